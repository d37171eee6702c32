"""okrbot's product code: check-ins, scoring, schedules, digests, Block Kit and the CLI."""
