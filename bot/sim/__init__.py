"""Playing Slack: a fake Web API on loopback, signed requests as Slack sends them, and the demo quarter."""
