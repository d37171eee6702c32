"""SQLModel tables: the whole persistent state of okrbot."""

from __future__ import annotations

import json
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
        # SQLite has no zone type: naive UTC there, UTC re-attached on the way out (by combine: replace costs 4x).
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return datetime.combine(value, value.time(), UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator):
    """A JSON document kept as text: the same column type on SQLite and PostgreSQL, read back as Python values."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


def utc_field(*, nullable: bool = True, index: bool = False):
    """A Field for a UTC-aware timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


# The workspace of single-token mode; a multi-workspace install keys rows by Slack team id (or enterprise id).
SINGLE_WORKSPACE = ""


class WorkspaceScoped(SQLModel):
    """Every okrbot table carries the workspace its rows belong to; storage.db filters every query on it.

    In composite keys workspace_id comes last: SQLite has no statistics, and an index led by the workspace would
    look selective to its planner when it is not.
    """

    workspace_id: str = Field(default=SINGLE_WORKSPACE, max_length=32)


class Cycle(WorkspaceScoped, table=True):
    __tablename__ = "cycles"
    __table_args__ = (sa.UniqueConstraint("name", "workspace_id", name="uq_cycles_name_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    start: date
    end: date


class Team(WorkspaceScoped, table=True):
    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("name", "workspace_id", name="uq_teams_name_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    channel: str = Field(max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    # Weekday numbers follow datetime.weekday(): Monday is 0.
    checkin_day: int = 4
    checkin_time: str = Field(default="10:00", max_length=5)
    digest_day: int = 0
    digest_time: str = Field(default="09:00", max_length=5)
    # A public-holiday calendar of the `holidays` package, "GB" or "US-CA" (country-subdivision); None: no holidays.
    holidays: str | None = Field(default=None, max_length=16)


class TeamLead(WorkspaceScoped, table=True):
    __tablename__ = "team_leads"

    team_id: int = Field(foreign_key="teams.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(max_length=32, primary_key=True)


class Objective(WorkspaceScoped, table=True):
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


class KeyResult(WorkspaceScoped, table=True):
    __tablename__ = "key_results"
    __table_args__ = (sa.UniqueConstraint("objective_id", "key"),
                      sa.UniqueConstraint("ref", "workspace_id", name="uq_key_results_ref_workspace"))

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objectives.id", index=True)
    key: str = Field(max_length=200)
    title: str = Field(max_length=200)
    owner_id: str = Field(max_length=32, index=True)
    baseline: float
    target: float
    unit: str = Field(default="", max_length=24)
    archived_at: datetime | None = utc_field()
    # The n of the KR's reference "KR-<n>": numbered per workspace when the row is first flushed (storage.db), never
    # reused, so a script pushing values to KR-7 keeps reaching the same KR whatever is imported or renamed.
    ref: int | None = Field(default=None)
    # The newest observed value (storage.observed keeps every one): kept on the KR so that status, Home, digests and
    # prompts, which load KRs anyway, show it without another query.
    observed_value: float | None = Field(default=None)
    observed_at: datetime | None = utc_field()
    observed_origin: str | None = Field(default=None, max_length=32)
    # Where the KR's number is read from: bot.sources.spec.source_dict of its definition (${VAR} references kept,
    # never a secret), or None.
    source: dict | None = Field(default=None, sa_type=JSONText)
    # When the KR's source is read next (bot.rules.reads; None: no source to read), and why its last read failed
    # ("source failed: HTTP 503 at 09:12"), until a read succeeds. Indexed: an idle tick asks "due before now?".
    source_next_read_at: datetime | None = utc_field(index=True)
    source_note: str | None = Field(default=None, max_length=200)


class Person(WorkspaceScoped, table=True):
    """What okrbot caches about a Slack user, so a steady-state prompt costs one API call."""

    __tablename__ = "people"

    user_id: str = Field(max_length=32, primary_key=True)
    # Keyed by workspace too: in an Enterprise Grid org one user id is a member of several workspaces.
    workspace_id: str = Field(default=SINGLE_WORKSPACE, max_length=32, primary_key=True)
    dm_channel: str | None = Field(default=None, max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    tz_fetched_at: datetime | None = utc_field()
    # Workspace admin or owner, as users.info / users.list / user_change last said; None until okrbot has asked.
    is_admin: bool | None = Field(default=None)
    admin_checked_at: datetime | None = utc_field()
    # When okrbot learned the account was deactivated (a DM answered user_not_found, or user_change said deleted):
    # no prompts, reminders or nudges from then on, and not listed as "not checked in".
    deactivated_at: datetime | None = utc_field()
    # The Slack status as users.info / users.list / user_change last said (bot.rules.away reads it);
    # status_expiration is Slack's Unix time, 0 for a status that does not expire.
    status_text: str = Field(default="", max_length=100)
    status_emoji: str = Field(default="", max_length=100)
    status_expiration: int = 0
    status_fetched_at: datetime | None = utc_field()


class Prompt(WorkspaceScoped, table=True):
    """One owner's check-in week for one schedule; its DM goes out through the outbox under "prompt:<id>"."""

    __tablename__ = "prompts"
    __table_args__ = (sa.UniqueConstraint("user_id", "week_key", "workspace_id", name="uq_prompts_user_week_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32, index=True)
    # The owner's local due date and time, e.g. "2026-11-27@10:00": one prompt per schedule and week.
    week_key: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # "Skip this week" (on leave, say): the week is not counted as missed.
    skipped_at: datetime | None = utc_field()
    # Why okrbot skipped the week by itself, so that no prompt went out: "away" (/okr away) or "status" (the
    # owner's Slack status said away). None for a week prompted as usual, or skipped with the button.
    away: str | None = Field(default=None, max_length=16)


class PromptItem(WorkspaceScoped, table=True):
    """Which key results a prompt asked about: the check-in weeks of those KRs."""

    __tablename__ = "prompt_items"

    prompt_id: int = Field(foreign_key="prompts.id", primary_key=True, ondelete="CASCADE")
    kr_id: int = Field(foreign_key="key_results.id", primary_key=True, index=True)


class CheckIn(WorkspaceScoped, table=True):
    __tablename__ = "checkins"
    __table_args__ = (sa.Index("ix_checkins_kr_id_created_at", "kr_id", "created_at", "id"),
                      sa.Index("ix_checkins_prompt_id_kr_id", "prompt_id", "kr_id", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    kr_id: int = Field(foreign_key="key_results.id")
    author_id: str = Field(max_length=32)
    value: float
    confidence: str = Field(max_length=8)
    note: str = Field(default="", max_length=3000)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # The owner's most recent prompted week when the check-in arrived; None before any prompt.
    prompt_id: int | None = Field(default=None, foreign_key="prompts.id")
    # Slack view id + KR (+ the version an edit started from): a retried or double-submitted view is stored once.
    source_key: str | None = Field(default=None, max_length=80, unique=True)
    # An edit keeps the old version as history (replaced_at set); each names the first (first_id), its alerts' key.
    replaced_at: datetime | None = utc_field()
    first_id: int | None = Field(default=None, foreign_key="checkins.id")


class Absence(WorkspaceScoped, table=True):
    """A stretch of days an owner is away (/okr away): weeks whose check-in day falls in it are skipped, unprompted."""

    __tablename__ = "absences"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32, index=True)
    # Local dates on the owner's wall clock, both included; until None: away until /okr back.
    start: date
    until: date | None = None
    set_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Delivery(WorkspaceScoped, table=True):
    """The outbox: every message okrbot sends on its own is claimed here under a unique key before it is sent.

    A claim is taken by inserting the row (or, once its lease has run out, by a compare-and-set on claimed_at);
    sent_at is written after Slack answers. Two processes, a restart or a repeated tick therefore never send the
    same key twice; a claim a crash left after Slack's answer is looked up in Slack before it is sent again.
    """

    __tablename__ = "deliveries"
    __table_args__ = (sa.UniqueConstraint("key", "workspace_id", name="uq_deliveries_key_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160)
    kind: str = Field(max_length=16, index=True)
    claimed_at: datetime | None = utc_field()
    sent_at: datetime | None = utc_field()
    attempts: int = 0
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=200)
    # A failure that needs a person (storage.problems): no try before this instant, so the message is tried once
    # an hour instead of every minute; `channel` then names where it was going, so fixing that resumes it.
    next_try_at: datetime | None = utc_field()


class Problem(WorkspaceScoped, table=True):
    """Something only a person can fix that stops okrbot's messages: one row per subject while it lasts.

    The subject is a channel id (okrbot not in it, archived, gone), a user id (account deactivated) or "token".
    told_at is set once the people who can fix it were told, so they hear of it once; fixing it deletes the row.
    """

    __tablename__ = "problems"
    __table_args__ = (sa.UniqueConstraint("subject", "workspace_id", name="uq_problems_subject_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    error: str = Field(max_length=64)
    first_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    told_at: datetime | None = utc_field(index=True)


class Grading(WorkspaceScoped, table=True):
    """One grading of a team's cycle: who graded and the retrospective. A re-grade supersedes it, keeping it."""

    __tablename__ = "gradings"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    cycle_id: int = Field(foreign_key="cycles.id", index=True)
    graded_by: str = Field(max_length=32)
    graded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Set when a later grading of the same team and cycle replaced this one; the current grading has none.
    superseded_at: datetime | None = utc_field()
    worked: str = Field(default="", max_length=3000)
    did_not_work: str = Field(default="", max_length=3000)
    learned: str = Field(default="", max_length=3000)
    change_next: str = Field(default="", max_length=3000)
    # Slack view id: a retried or double-submitted grading modal is stored once.
    source_key: str | None = Field(default=None, max_length=80, unique=True)


class KRGrade(WorkspaceScoped, table=True):
    """One KR's grade in one grading: its final value and computed score, the grade given, and what happens next."""

    __tablename__ = "kr_grades"

    grading_id: int = Field(foreign_key="gradings.id", primary_key=True, ondelete="CASCADE")
    kr_id: int = Field(foreign_key="key_results.id", primary_key=True, index=True)
    final_value: float | None = None
    computed: float
    grade: float
    evidence: str = Field(default="", max_length=3000)
    decision: str = Field(default="", max_length=8)  # "carry" or "drop" for a KR short of its target, else ""
    carried_kr_id: int | None = Field(default=None, foreign_key="key_results.id")


class ObservedValue(WorkspaceScoped, table=True):
    """A KR's value as the data said it (pushed through the API), apart from the check-ins people write."""

    __tablename__ = "observed_values"
    __table_args__ = (sa.UniqueConstraint("token_id", "idempotency_key", name="uq_observed_values_token_idempotency"),
                      sa.UniqueConstraint("kr_id", "read_slot", name="uq_observed_values_kr_read_slot"))

    id: int | None = Field(default=None, primary_key=True)
    kr_id: int = Field(foreign_key="key_results.id", index=True)
    value: float
    # When the value was true (the request's `at`, else its arrival) and when okrbot stored it.
    observed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Who said it: "api" for now (sources will add theirs); shown to people as "from API".
    origin: str = Field(max_length=32)
    note: str = Field(default="", max_length=3000)
    # The token that pushed it and the request's Idempotency-Key: a retried push maps to the same row.
    token_id: int | None = Field(default=None, foreign_key="api_tokens.id", ondelete="SET NULL")
    idempotency_key: str | None = Field(default=None, max_length=200)
    # A value read from the KR's source: the read slot it belongs to (bot.rules.reads.slot_key), stored once.
    read_slot: str | None = Field(default=None, max_length=32)


# The tables whose every query storage.db scopes to the session's workspace.
SCOPED_TABLES: tuple[type[WorkspaceScoped], ...] = (Cycle, Team, TeamLead, Objective, KeyResult, Person, Prompt,
                                                    PromptItem, CheckIn, Delivery, Grading, KRGrade, Problem,
                                                    ObservedValue, Absence)


class Workspace(SQLModel, table=True):
    """A workspace okrbot has served, and whether it must stop sending there (uninstalled, or its token revoked).

    Not scoped: the scheduler reads it across workspaces. The stop applies to the token that was revoked (a short
    fingerprint, never the token), so installing again with a new token resumes by itself.
    """

    __tablename__ = "workspaces"

    id: str = Field(max_length=32, primary_key=True)
    stopped_at: datetime | None = utc_field()
    stopped_reason: str | None = Field(default=None, max_length=32)
    stopped_token: str | None = Field(default=None, max_length=16)


class ApiToken(SQLModel, table=True):
    """A token for okrbot's REST API; it belongs to one workspace, and only its SHA-256 is kept.

    Not scoped: a request names no workspace until its token is found, so the lookup by hash reads across
    workspaces (storage.tokens); everything the request does after that runs in a session of the token's workspace.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (sa.UniqueConstraint("name", "workspace_id", name="uq_api_tokens_name_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(default=SINGLE_WORKSPACE, max_length=32)
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = utc_field()


class Wake(SQLModel, table=True):
    """When a workspace's tick next has work (storage.wake says how it is kept; wake_at None: now); not scoped."""

    __tablename__ = "wakes"

    workspace_id: str = Field(max_length=32, primary_key=True)
    wake_at: datetime | None = utc_field(index=True)
    # The `now` the wake_at was computed at: a tick for an earlier instant (a clock set back) runs in full.
    computed_at: datetime | None = utc_field()
    generation: int = 0
    # Check-ins counted, and counted as seen by the alerts job: a check-in wakes only that job (storage.db).
    checkins: int = 0
    checkins_seen: int = 0


class TickLease(SQLModel, table=True):
    """Which instance computes a workspace's tick, for which minute, until when (storage.leases); not scoped."""

    __tablename__ = "tick_leases"

    workspace_id: str = Field(max_length=32, primary_key=True)
    holder: str = Field(max_length=80)
    minute: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


# The next read of a KR whose source was just set or changed: the next tick (storage.db schedules it).
READ_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)
