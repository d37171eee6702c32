"""Reading the numbers people type into check-ins, and writing numbers back for people to read."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final

__all__ = ["InvalidValue", "MAX_INPUT_LENGTH", "MAX_MAGNITUDE", "parse_value", "format_value"]

MAX_INPUT_LENGTH: Final = 64
# Nothing an OKR tracks is plausibly beyond a trillion; bigger is almost always a typo or a paste accident.
MAX_MAGNITUDE: Final = 10**12
MAX_UNIT_LENGTH: Final = 15

CURRENCY_SYMBOLS: Final = ("$", "€", "£")
EXAMPLES: Final = "Try something like 35, 35%, 1,200, 3.5k or 12 min."

# Only capital M means million: a lowercase "m" after a number is far more often minutes or metres.
_MULTIPLIERS: Final = {
    "k": Decimal(10**3),
    "K": Decimal(10**3),
    "M": Decimal(10**6),
    "bn": Decimal(10**9),
    "Bn": Decimal(10**9),
    "BN": Decimal(10**9),
}

# [^\W\d_] is "a letter" in any script; digits are spelled [0-9] because \d also matches
# non-ASCII digits, which Decimal would happily read and people would not expect.
_LETTER = r"[^\W\d_]"
_PATTERN: Final = re.compile(
    rf"""
    (?P<sign1>[+-])?
    (?P<currency>[$€£])?\s*
    (?P<sign2>[+-])?
    (?P<number>[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)
    (?:\s*(?P<multiplier>k|K|M|bn|Bn|BN)(?!{_LETTER}))?
    (?:\s*(?P<unit>%|[$€£]|{_LETTER}+(?:/{_LETTER}+)?))?
    """,
    re.VERBOSE,
)
_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")

# People paste from documents and phones, which bring typographic minus signs with them.
_MINUS_SIGNS: Final = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})


class InvalidValue(ValueError):
    """A check-in value that cannot be read; str() is a sentence meant for the person who typed it."""


def _quote(text: str) -> str:
    return f"\u201c{text}\u201d"


def parse_value(text: str) -> float:
    """Read a number typed by a person ("35%", "1,200", "3.5k", "12 min"), raising InvalidValue with a helpful sentence."""
    if not isinstance(text, str):
        raise TypeError(f"parse_value expects a str, not {type(text).__name__}")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidValue(f"That is too long to be a number ({MAX_INPUT_LENGTH} characters at most). {EXAMPLES}")
    cleaned = text.strip().translate(_MINUS_SIGNS)
    if not cleaned:
        raise InvalidValue(f"Please enter a number. {EXAMPLES}")

    match = _PATTERN.fullmatch(cleaned)
    if match is None or (match["sign1"] and match["sign2"]):
        raise InvalidValue(f"{_quote(cleaned)} is not a number. {EXAMPLES}")

    unit = match["unit"] or ""
    if len(unit) > MAX_UNIT_LENGTH:
        raise InvalidValue(
            f"{_quote(cleaned)} has a unit longer than {MAX_UNIT_LENGTH} letters; a short one like min or days is enough. "
            f"{EXAMPLES}"
        )

    number = match["number"]
    whole = number.split(".", 1)[0]
    if "," in whole and not _GROUPED.fullmatch(whole):
        # "1,5" is a decimal comma in much of the world; guessing would silently store the wrong number.
        raise InvalidValue(
            f"{_quote(cleaned)} is not a number I can read: decimals use a dot, as in 1.5, "
            f"and commas only group thousands, as in 1,200. {EXAMPLES}"
        )

    amount = Decimal(number.replace(",", ""))
    if match["multiplier"]:
        amount *= _MULTIPLIERS[match["multiplier"]]
    if match["sign1"] == "-" or match["sign2"] == "-":
        amount = -amount
    if abs(amount) > MAX_MAGNITUDE:
        raise InvalidValue(
            f"{_quote(cleaned)} is too large: values must stay within a trillion (1,000,000,000,000) either way. "
            f"{EXAMPLES}"
        )
    # Adding 0.0 turns -0.0 into 0.0 so "-0" is stored and shown as plain zero.
    return float(amount) + 0.0


def _group(text: str) -> str:
    """Insert thousands separators into the integer part of an unsigned decimal string."""
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}"
    return f"{grouped}.{fraction}" if fraction else grouped


def format_value(value: float, unit: str = "") -> str:
    """Write a number for people: no ".0", at most 2 decimals, grouped thousands, and its unit ("35%", "$1,200", "12 min")."""
    if not math.isfinite(value):
        raise ValueError(f"cannot format a non-finite value: {value!r}")
    unit = unit.strip()
    rounded = round(float(value), 2) + 0.0
    negative = rounded < 0
    digits = f"{abs(rounded):.2f}".rstrip("0").rstrip(".")
    is_currency = unit in CURRENCY_SYMBOLS
    # Money is conventionally grouped from 1,000; other quantities from 10,000 so that years and
    # small counts ("2024 signups") stay unbroken.
    group_from = 1_000 if is_currency else 10_000
    if abs(rounded) >= group_from:
        digits = _group(digits)
    sign = "-" if negative else ""
    if not unit:
        return f"{sign}{digits}"
    if is_currency:
        return f"{sign}{unit}{digits}"
    if unit == "%":
        return f"{sign}{digits}%"
    return f"{sign}{digits} {unit}"
