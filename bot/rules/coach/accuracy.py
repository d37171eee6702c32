"""How well the coach reads a labelled set: the share it gets exactly right, and the good ones it flags anyway."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

from bot.rules.coach.table import check_key_result, check_objective


@dataclass(frozen=True)
class Score:
    """Exact matches out of the total, and good (unflagged-by-label) subjects that got a note."""

    total: int
    right: int
    good: int
    good_flagged: int
    misses: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0

    @property
    def good_flagged_share(self) -> float:
        return self.good_flagged / self.good if self.good else 0.0


def _score(cases: Iterable[tuple[str, Set[str], set[str]]]) -> Score:
    total = right = good = good_flagged = 0
    misses = []
    for title, expected, got in cases:
        total += 1
        right += got == set(expected)
        if not expected:
            good += 1
            good_flagged += bool(got)
        if got != set(expected):
            misses.append(f"{title!r}: expected {sorted(expected)}, got {sorted(got)}")
    return Score(total, right, good, good_flagged, tuple(misses))


def score_key_results(cases: Iterable[tuple[str, float | None, float | None, str | None, Set[str]]]) -> Score:
    """Score key results labelled (title, baseline, target, unit, expected rule ids)."""
    return _score((title, expected, {f.rule for f in check_key_result(title, baseline=b, target=t, unit=u)})
                  for title, b, t, u, expected in cases)


def score_objectives(cases: Iterable[tuple[str, Set[str]]]) -> Score:
    """Score objective titles labelled with the expected rule ids."""
    return _score((title, expected, {f.rule for f in check_objective(title)}) for title, expected in cases)
