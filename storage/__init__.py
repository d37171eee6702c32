"""Persistence: SQLModel tables, sessions and the session rule, queries by subject, the outbox and migrations."""
