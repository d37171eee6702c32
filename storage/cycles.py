"""Queries about cycles: the running and upcoming ones, by name, the latest."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from storage.models import Cycle


def current_cycles(*, session: Session, today: date) -> list[Cycle]:
    """Cycles that have not ended by `today`, the running ones first, then by start."""
    cycles = session.exec(select(Cycle).where(Cycle.end >= today)).all()
    return sorted(cycles, key=lambda c: (c.start > today, c.start, c.name))


def all_cycles(*, session: Session) -> list[Cycle]:
    """Every cycle, by start date then name."""
    return list(session.exec(select(Cycle).order_by(Cycle.start, Cycle.name)))


def find_cycle(name: str, *, session: Session) -> Cycle | None:
    """The cycle of exactly that name."""
    return session.exec(select(Cycle).where(Cycle.name == name)).first()


def latest_cycle(*, session: Session) -> Cycle | None:
    """The cycle that starts last."""
    return session.exec(select(Cycle).order_by(Cycle.start.desc(), Cycle.id.desc())).first()
