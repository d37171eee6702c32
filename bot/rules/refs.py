"""KR references: KR-<n>, the stable name scripts and people use for a key result."""

from __future__ import annotations

from typing import Final

PREFIX: Final = "KR-"
# References are numbered per workspace from 1; nine digits is far past any real workspace and keeps ints small.
_MAX_DIGITS: Final = 9


def ref_text(number: int | None) -> str:
    """A KR's reference as people and scripts write it: KR-7 ('' for a KR not numbered yet)."""
    return f"{PREFIX}{number}" if number is not None else ""


def parse_ref(text: str) -> int | None:
    """The n of 'KR-<n>' (any case), or None when the text is not a reference (it may be an import-file id)."""
    head, number = text[:len(PREFIX)], text[len(PREFIX):]
    if head.upper() == PREFIX and number.isascii() and number.isdigit() and len(number) <= _MAX_DIGITS:
        return int(number)
    return None
