"""Scheduled work: the tick, and every job that finds in the database what is due at `now` and sends it once."""
