"""Persistence: SQLModel tables, the engine and session scope, queries and migrations."""
