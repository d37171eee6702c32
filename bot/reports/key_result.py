"""One key result as the REST API shows it: found by its reference, with its latest value, score and pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.reports.status import KRStatus, kr_status
from bot.rules.refs import parse_ref, ref_text
from bot.rules.schedule import days_around, local_day
from storage.checkins import recent_checkins
from storage.okrs import ActiveKR, live_krs_named


class NoSuchKR(LookupError):
    """No live KR of the workspace has that reference (or one of another workspace does: never said)."""


class AmbiguousRef(LookupError):
    """An import-file id that several live KRs share; `refs` are the references that tell them apart."""

    def __init__(self, name: str, refs: list[str]):
        super().__init__(f"{len(refs)} key results have the id {name!r}: use one of their references, "
                         f"{', '.join(refs)}.")
        self.refs = refs


def find_kr(name: str, *, session: Session, now: datetime) -> ActiveKR:
    """The live KR that `name` (KR-<n>, or an import-file id that exactly one live KR of a running cycle has) names."""
    found = live_krs_named(parse_ref(name), name, session=session, first_day=days_around(now=now)[0])
    if not found:
        raise NoSuchKR(name)
    if len(found) > 1:
        raise AmbiguousRef(name, [ref_text(row.kr.ref) for row in found])
    return found[0]


@dataclass(frozen=True)
class KRReport:
    """A KR with where it stands now."""

    row: ActiveKR
    status: KRStatus
    # The latest check-in's time, and where the value shown came from ("check-in", or the observed value's origin).
    checked_in_at: datetime | None
    value_origin: str | None
    value_at: datetime | None


def kr_report(row: ActiveKR, *, session: Session, now: datetime) -> KRReport:
    """The KR's status on its team's local date, in one query (the KR was found already)."""
    checkins = recent_checkins([row.kr.id], session=session, now=now).latest.get(row.kr.id, ())
    status = kr_status(row, checkins, on=local_day(row.team.timezone, now=now), now=now)
    if status.value_origin is not None:
        origin, at = status.value_origin, status.value_at
    else:
        origin, at = ("check-in", status.last_at) if status.value is not None else (None, None)
    return KRReport(row, status, status.last_at, origin, at)
