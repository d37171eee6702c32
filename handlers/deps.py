"""What listeners need from the composition root: the database, the clock and the request's workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope
from storage.models import SINGLE_WORKSPACE


def utc_now() -> datetime:
    """The wall clock, read only at the edge of the app."""
    return datetime.now(UTC)


def single_workspace(_context: Mapping) -> str:
    """Single-token mode: the token serves one workspace, whose rows are keyed ''."""
    return SINGLE_WORKSPACE


def forget_nothing(_context: Mapping, _happened_at: datetime | None = None) -> str | None:
    """No installation store to clean up and no token to stop (tests that do not exercise uninstalling)."""
    return None


@dataclass(frozen=True)
class Deps:
    """Shared by every listener: one database session per request, scoped to the request's workspace."""

    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)
    # Maps a Bolt context to the workspace whose rows the request may see.
    workspace_of: Callable[[Mapping], str] = field(default=single_workspace)
    # Drops the request's installation after an uninstall event sent at the given time; returns the bot token that
    # stopped working, or None when there is nothing to stop.
    forget_install: Callable[[Mapping, datetime | None], str | None] = field(default=forget_nothing)

    @contextmanager
    def session(self, context: Mapping) -> Iterator[Session]:
        """The request's unit of work, confined to its workspace."""
        with session_scope(self.engine, self.workspace_of(context)) as session:
            yield session
