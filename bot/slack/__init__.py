"""Slack's side: the paced client, every Block Kit id, payloads parsed into types, people and workspaces."""
