"""An OKR file as okrbot reads it: the problems found in it, and the validated set ready to apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an OKR file, located by file, line (when known) and field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class OkrFileError(Exception):
    """An OKR file that cannot be imported; str() lists every problem, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        # Problems found in different passes (file, then database) read best in file order.
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class CycleSpec:
    """The file's cycle."""

    name: str
    start: date
    end: date
    line: int


@dataclass(frozen=True)
class TeamSpec:
    """One team as the file describes it; days are weekday numbers (Monday is 0), times "HH:MM"."""

    name: str
    channel: str
    leads: tuple[str, ...]
    timezone: str
    checkin_day: int
    checkin_time: str
    digest_day: int
    digest_time: str
    line: int
    # A public-holiday calendar ("GB", "US-CA"), or None.
    holidays: str | None = None


@dataclass(frozen=True)
class KeyResultSpec:
    """One key result; `key` is its identity within the objective (the `id`, else the title)."""

    key: str
    title: str
    owner: str
    baseline: float
    target: float
    unit: str
    line: int
    # Where the number is read from: bot.sources.spec.source_dict of the `source:` definition, or None.
    source: dict | None = None


@dataclass(frozen=True)
class ObjectiveSpec:
    """One objective; `key` is its identity within team and cycle (the `id`, else the title)."""

    team: str
    key: str
    title: str
    type: str
    key_results: tuple[KeyResultSpec, ...]
    line: int
    team_line: int
    path: str


@dataclass(frozen=True)
class OkrSet:
    """A validated OKR file, ready to apply to the database."""

    filename: str
    cycle: CycleSpec
    teams: tuple[TeamSpec, ...]
    objectives: tuple[ObjectiveSpec, ...]
