"""`okrbot source test`: read the sources of a KR or of an OKR file now, and say each value or why it failed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.okr_files.checker import load_okr_file
from bot.reports.key_result import find_kr
from bot.rules.refs import ref_text
from bot.rules.values import format_value
from bot.sources.read import READ_TIMEOUT_SECONDS, Reading, read_sources
from bot.sources.spec import Source, SourceProblem, origin_label, parse_source

__all__ = ["NoSource", "Pending", "Tested", "file_sources", "looks_like_file", "read_now", "ref_source", "report"]


class NoSource(LookupError):
    """The KR names no source; str() says how to give it one."""


@dataclass(frozen=True)
class Tested:
    """One KR's source read now."""

    label: str  # "KR-7 “Increase Day-7 activation…”" or "okrs.yaml:14 d7 “…”"
    source: Source
    unit: str
    reading: Reading

    def line(self) -> str:
        """One line for a terminal: ✓ and the value, or ✗ and the exact reason."""
        origin = origin_label(self.source)
        if self.reading.value is not None:
            return f"✓ {self.label}: {format_value(self.reading.value, self.unit)} from {origin}"
        return f"✗ {self.label}: {origin} source failed: {self.reading.failure}"


def looks_like_file(target: str) -> bool:
    """True when `okrbot source test TARGET` names an OKR file rather than a KR reference."""
    return target.lower().endswith((".yaml", ".yml")) or os.path.sep in target or os.path.isfile(target)


def _title(title: str) -> str:
    return f"\u201c{title if len(title) <= 60 else title[:59] + '…'}\u201d"


# What to read: the label to print, the source, and the KR's unit to write the value with.
Pending = tuple[str, Source, str]


def read_now(pending: list[Pending], *, environ: Mapping[str, str],
             timeout: float = READ_TIMEOUT_SECONDS) -> list[Tested]:
    """Read them all now, concurrently (bot.sources.read), in the order given."""
    readings = read_sources([source for _, source, _ in pending], environ=environ, timeout=timeout)
    return [Tested(label, source, unit, reading) for (label, source, unit), reading in zip(pending, readings)]


def file_sources(path: str) -> list[Pending]:
    """Every source an OKR file defines (raises OkrFileError when import would refuse the file)."""
    okr = load_okr_file(path)
    return [(f"{path}:{kr.line} {kr.key} {_title(kr.title)}", parse_source(kr.source), kr.unit)
            for objective in okr.objectives for kr in objective.key_results if kr.source is not None]


def ref_source(ref: str, *, session: Session, now: datetime) -> Pending:
    """The source of the live KR that `ref` names (raises NoSuchKR, AmbiguousRef or NoSource)."""
    row = find_kr(ref, session=session, now=now)
    label = f"{ref_text(row.kr.ref)} {_title(row.kr.title)}"
    if not row.kr.source:
        raise NoSource(f"{label} has no source: add `source:` to it in the OKR file and import it again")
    try:
        return label, parse_source(row.kr.source), row.kr.unit
    except SourceProblem as exc:
        # Stored by an older okrbot whose rules were looser: say so rather than fail obscurely.
        raise NoSource(f"{label} has a source okrbot can no longer read ({exc.path}: {exc}); fix it in the OKR "
                       "file and import it again") from None


def report(tested: list[Tested]) -> tuple[str, int]:
    """The lines to print and the exit code: 1 when any source failed."""
    failed = sum(1 for t in tested if t.reading.failure is not None)
    lines = [t.line() for t in tested]
    if tested:
        lines.append(f"{len(tested) - failed} of {len(tested)} sources read" + (f", {failed} failed." if failed
                                                                                    else "."))
    return "\n".join(lines), 1 if failed else 0
