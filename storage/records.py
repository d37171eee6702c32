"""Read-only records of table rows: namedtuples with the tables' attribute names, for reads too hot for ORM objects.

A job's full computation reads every owner's KRs and zone: an ORM object per row cost most of its CPU and memory
at 100,000 owners (storage.okrs.live_key_results, storage.people.person_rows).
"""

from __future__ import annotations

from collections import namedtuple

import sqlalchemy as sa


class Rows:
    """One table's columns in a select, and the record type of its rows."""

    def __init__(self, model, name: str):
        names = [attr.key for attr in sa.inspect(model).column_attrs]
        # ORM attributes, not the table's columns, so that storage.db's workspace scoping applies; labelled, so
        # that several tables' columns can share one select.
        self.columns = tuple(getattr(model, n).label(f"{name}_{n}") for n in names)
        self.record = namedtuple(name.title() + "Row", names)
        self.id_at = names.index("id") if "id" in names else None

    def at(self, offset: int) -> slice:
        """Where this table's columns sit in a row whose first `offset` columns belong to other tables."""
        return slice(offset, offset + len(self.columns))
