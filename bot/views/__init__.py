"""Block Kit as pure functions of reports and rows, within Slack's limits."""
