"""How okrbot counts things in words: the one plural, for Slack messages and the command line alike."""

from __future__ import annotations


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
