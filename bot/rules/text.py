"""How okrbot handles words: the one plural, for Slack messages and the command line alike, and cleaning typed text."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1) other than tab and newline, and Unicode's bidirectional formatting characters
# (Bidi_Control: the embeddings, overrides, isolates and marks). All are invisible: they reorder or hide what others
# read ("Trojan Source"), NUL breaks PostgreSQL text, and none belongs in a title, a unit, a name or a note.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Text a person typed, without control characters (except newline and tab) or bidirectional controls."""
    return _UNSAFE.sub("", text)


def plural(count: int, word: str, *, zero: str | None = None, many: str | None = None) -> str:
    """'1 key result', '3 key results'; `zero` says nothing ("no key results"), `many` spells irregular plurals."""
    if count == 0 and zero is not None:
        return zero
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or word + 's'}"


def sentence(clause: object) -> str:
    """A clause (such as a validation problem) as a sentence: capitalised, ending with a full stop."""
    text = str(clause).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
