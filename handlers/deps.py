"""What listeners need from the composition root: the database and the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope


def utc_now() -> datetime:
    """The wall clock, read only at the edge of the app."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """Shared by every listener: one database session per request, and `now` read once per request."""

    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The request's unit of work."""
        with session_scope(self.engine) as session:
            yield session
