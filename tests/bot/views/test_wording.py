"""Every message okrbot can send, rendered as a person reads it, against the reviewed snapshot (wording.txt), and
read for the slips a lead would trip on: plurals, pace that contradicts confidence, numbers without a name.

After changing a message on purpose: OKRBOT_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/bot/views/test_wording.py
and review wording.txt in the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bot.sim.fake_render import render
from tests.bot.views.builders import Sizes, Texts, payloads

SNAPSHOT = Path(__file__).with_name("wording.txt")
TYPICAL = Texts(title="Raise weekly active usage", unit="%", team="Growth", cycle="2026-Q4",
                note="Pipeline fixed. Decision: re-measure Friday.")
FEW = Sizes(objectives=2, krs=2, teams=2, findings=2)
# Nouns okrbot counts; "1 <plural>" or "3 <singular>" is a slip.
NOUNS = ("key result", "objective", "note", "team", "week", "problem", "KR", "day", "check-in", "reminder",
         "message", "owner", "lead", "hour", "part", "finding", "cycle")


def rendered() -> str:
    out = []
    for name, _kind, payload in payloads(TYPICAL, FEW):
        out += [f"━━ {name} ━━", render(payload).rstrip(), ""]
    return "\n".join(out)


TEXT = rendered()


def test_every_message_matches_the_reviewed_snapshot():
    if os.environ.get("OKRBOT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(TEXT)
    assert TEXT == SNAPSHOT.read_text(), "a message changed: review it, then update wording.txt (see the docstring)"


def test_plurals_agree_with_their_numbers():
    nouns = "|".join(re.escape(n) for n in NOUNS)
    singular_after_many = re.findall(rf"\b(?:[02-9]|\d\d+) (?:more )?(?:{nouns})\b(?!s)", TEXT)
    plural_after_one = re.findall(rf"(?<![\d.,])\b1 (?:more )?(?:{nouns})s\b", TEXT)
    assert singular_after_many == [] and plural_after_one == []


def test_pace_never_contradicts_confidence_without_saying_why():
    for line in TEXT.splitlines():
        if "on pace" in line and ("off track" in line or "at risk" in line or ":red_circle:" in line
                                  or ":large_orange_circle:" in line):
            assert "though the number is on pace" in line, line


def test_behind_says_what_is_behind_what():
    assert "to be on pace" not in TEXT  # the old "behind: 24% - needs 51% to be on pace"
    for found in re.findall(r"behind: [^·\n]*", TEXT):
        assert "expected by now" in found, found
