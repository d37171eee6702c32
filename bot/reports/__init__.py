"""Queries turned into frozen dataclasses for views and jobs; never Block Kit."""
