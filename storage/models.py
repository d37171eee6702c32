"""SQLModel tables: the whole persistent state of okrbot."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive datetime is a bug at the call site; refusing it keeps the database honest.
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zone type; store naive UTC there and re-attach UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_field(*, nullable: bool = True, index: bool = False):
    """A Field for a UTC-aware timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


CONFIDENCES = ("green", "amber", "red")
OBJECTIVE_TYPES = ("aspirational", "committed")


class Cycle(SQLModel, table=True):
    __tablename__ = "cycles"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    start: date
    end: date


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    channel: str = Field(max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    # Weekday numbers follow datetime.weekday(): Monday is 0.
    checkin_day: int = 4
    checkin_time: str = Field(default="10:00", max_length=5)
    digest_day: int = 0
    digest_time: str = Field(default="09:00", max_length=5)


class TeamLead(SQLModel, table=True):
    __tablename__ = "team_leads"

    team_id: int = Field(foreign_key="teams.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32, primary_key=True)


class Objective(SQLModel, table=True):
    __tablename__ = "objectives"
    __table_args__ = (sa.UniqueConstraint("team_id", "cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    cycle_id: int = Field(foreign_key="cycles.id", index=True)
    # The stable identity used by import: the file's `id`, or the title when there is none.
    key: str = Field(max_length=200)
    title: str = Field(max_length=200)
    type: str = Field(default="aspirational", max_length=16)
    archived_at: datetime | None = utc_field()


class KeyResult(SQLModel, table=True):
    __tablename__ = "key_results"
    __table_args__ = (sa.UniqueConstraint("objective_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objectives.id", index=True)
    key: str = Field(max_length=200)
    title: str = Field(max_length=200)
    owner_id: str = Field(max_length=32, index=True)
    baseline: float
    target: float
    unit: str = Field(default="", max_length=24)
    archived_at: datetime | None = utc_field()


class Person(SQLModel, table=True):
    """What okrbot caches about a Slack user, so a steady-state prompt costs one API call."""

    __tablename__ = "people"

    user_id: str = Field(max_length=32, primary_key=True)
    dm_channel: str | None = Field(default=None, max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    tz_fetched_at: datetime | None = utc_field()
    # Workspace admin or owner, as users.info / users.list / user_change last said; None until okrbot has asked.
    is_admin: bool | None = Field(default=None)
    admin_checked_at: datetime | None = utc_field()


class Prompt(SQLModel, table=True):
    """One owner's check-in week for one schedule; its DM goes out through the outbox under "prompt:<id>"."""

    __tablename__ = "prompts"
    __table_args__ = (sa.UniqueConstraint("user_id", "week_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32, index=True)
    # The owner's local due date and time, e.g. "2026-11-27@10:00": one prompt per schedule and week.
    week_key: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # "Skip this week" (on leave, say): the week is not counted as missed.
    skipped_at: datetime | None = utc_field()


class PromptItem(SQLModel, table=True):
    """Which key results a prompt asked about: the check-in weeks of those KRs."""

    __tablename__ = "prompt_items"

    prompt_id: int = Field(foreign_key="prompts.id", primary_key=True, ondelete="CASCADE")
    kr_id: int = Field(foreign_key="key_results.id", primary_key=True, index=True)


class CheckIn(SQLModel, table=True):
    __tablename__ = "checkins"

    id: int | None = Field(default=None, primary_key=True)
    kr_id: int = Field(foreign_key="key_results.id", index=True)
    author_id: str = Field(max_length=32)
    value: float
    confidence: str = Field(max_length=8)
    note: str = Field(default="", max_length=3000)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # The owner's most recent prompted week when the check-in arrived; None before any prompt.
    prompt_id: int | None = Field(default=None, foreign_key="prompts.id", index=True)
    # Slack view id + KR: a retried or double-submitted view maps to the same key and is stored once.
    source_key: str | None = Field(default=None, max_length=80, unique=True)


class Delivery(SQLModel, table=True):
    """The outbox: every message okrbot sends on its own is claimed here under a unique key before it is sent.

    A claim is taken by inserting the row (or, once its lease has run out, by a compare-and-set on claimed_at);
    sent_at is written after Slack answers. Two processes, a restart or a repeated tick therefore never send the
    same key twice; the one window left is a crash between Slack's answer and the write of sent_at.
    """

    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    kind: str = Field(max_length=16, index=True)
    claimed_at: datetime | None = utc_field()
    sent_at: datetime | None = utc_field()
    attempts: int = 0
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=200)
