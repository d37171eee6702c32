"""Tests for bot.rules.values: reading typed numbers and formatting them back."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.rules.values import MAX_MAGNITUDE, InvalidValue, format_value, parse_value

ACCEPTED = [
    ("35", 35.0),
    ("35%", 35.0),
    ("35 %", 35.0),
    ("1,200", 1200.0),
    ("1,200,000", 1_200_000.0),
    ("1,200.5", 1200.5),
    ("3.5k", 3500.0),
    ("3.5K", 3500.0),
    ("3.5 k", 3500.0),
    ("3k users", 3000.0),
    ("2M", 2_000_000.0),
    ("1.1k", 1100.0),
    ("1.2bn", 1_200_000_000.0),
    ("-4.5", -4.5),
    ("\u22124.5", -4.5),
    ("+3", 3.0),
    ("12 min", 12.0),
    ("12 minutes", 12.0),
    ("12m", 12.0),
    ("12 Mins", 12.0),
    ("2Mb", 2.0),
    ("3.5km", 3.5),
    ("$1.2k", 1200.0),
    ("-$1,200", -1200.0),
    ("$-5", -5.0),
    ("\u20ac40", 40.0),
    ("\u00a33", 3.0),
    ("40\u20ac", 40.0),
    (".5", 0.5),
    ("35.", 35.0),
    ("45 ms", 45.0),
    ("  7  ", 7.0),
    ("\t42\n", 42.0),
    ("4.5 days", 4.5),
    ("5 req/s", 5.0),
    ("12 d\u00edas", 12.0),
    ("0", 0.0),
    ("-0", 0.0),
    ("1,000,000,000,000", 1e12),
    ("-1000bn", -1e12),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_parse_value_accepts(text: str, expected: float) -> None:
    assert parse_value(text) == expected


def test_parse_value_never_returns_negative_zero() -> None:
    assert math.copysign(1.0, parse_value("-0")) == 1.0


REFUSED = [
    ("", "Please enter a number"),
    ("   ", "Please enter a number"),
    ("abc", "is not a number"),
    ("NaN", "is not a number"),
    ("nan", "is not a number"),
    ("inf", "is not a number"),
    ("-inf", "is not a number"),
    ("1e400", "is not a number"),
    ("1e5", "is not a number"),
    ("1,20", "decimals use a dot"),
    ("1,5", "decimals use a dot"),
    ("12,5%", "decimals use a dot"),
    ("1,2345", "decimals use a dot"),
    ("1,,200", "decimals use a dot"),
    ("1,", "decimals use a dot"),
    ("3 4", "is not a number"),
    ("--3", "is not a number"),
    ("+-3", "is not a number"),
    ("-$-3", "is not a number"),
    ("35%%", "is not a number"),
    ("%35", "is not a number"),
    ("$", "is not a number"),
    ("1.2.3", "is not a number"),
    ("12 min 30 s", "is not a number"),
    ("5 abcdefghijklmnop", "unit longer than"),
    ("2000bn", "too large"),
    ("1,000,000,000,001", "too large"),
    ("-1000001M", "too large"),
    ("9" * 40, "too large"),
    ("1" * 65, "too long"),
    ("\u0663", "is not a number"),  # ARABIC-INDIC DIGIT THREE: not something we promise to read
]


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_parse_value_refuses_with_a_helpful_sentence(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_value(text)
    message = str(info.value)
    assert fragment in message
    assert message.endswith(".")
    assert message[0].isupper() or message[0] == "\u201c"
    # Every refusal shows the person something that would have worked.
    assert "Try something like 35, 35%, 1,200, 3.5k or 12 min." in message


def test_refusal_quotes_what_was_typed() -> None:
    with pytest.raises(InvalidValue, match="\u201cabc\u201d is not a number"):
        parse_value("  abc ")


def test_invalid_value_is_a_value_error() -> None:
    assert issubclass(InvalidValue, ValueError)


def test_parse_value_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_value(35)  # type: ignore[arg-type]


@given(st.text())
@example("1e400")
@example("9" * 64)
@example("NaN")
@example("1,20")
@example("\u0663\u0665")
def test_parse_value_returns_a_sane_float_or_refuses(text: str) -> None:
    try:
        value = parse_value(text)
    except InvalidValue as exc:
        assert str(exc)
    else:
        assert isinstance(value, float)
        assert math.isfinite(value)
        assert abs(value) <= MAX_MAGNITUDE


@given(st.from_regex(r"[+\-\u2212]?[$€£]?[0-9,.]{1,12}\s?(k|K|M|bn|%|min|days)?", fullmatch=True))
def test_parse_value_on_number_like_text(text: str) -> None:
    # Random text rarely looks like a number; this strategy exercises the accepting paths.
    try:
        value = parse_value(text)
    except InvalidValue:
        return
    assert math.isfinite(value)
    assert abs(value) <= MAX_MAGNITUDE


FORMATTED = [
    (35, "", "35"),
    (35.0, "", "35"),
    (35, "%", "35%"),
    (4.5, "days", "4.5 days"),
    (12, "min", "12 min"),
    (12, " min ", "12 min"),
    (3.14159, "", "3.14"),
    (2.005, "", "2"),  # 2.005 is stored as 2.00499..., so it rounds down
    (0.1 + 0.2, "", "0.3"),
    (1.10, "", "1.1"),
    (1200, "", "1200"),
    (9999.99, "", "9999.99"),
    (10_000, "", "10,000"),
    (12_500, "", "12,500"),
    (12_500.25, "", "12,500.25"),
    (1_234_567.891, "", "1,234,567.89"),
    (-12_500, "", "-12,500"),
    (-4.5, "%", "-4.5%"),
    (1200, "$", "$1,200"),
    (999, "$", "$999"),
    (40, "\u20ac", "\u20ac40"),
    (3.5, "\u00a3", "\u00a33.5"),
    (-1200, "$", "-$1,200"),
    (-0.001, "", "0"),
    (0, "%", "0%"),
]


@pytest.mark.parametrize(("value", "unit", "expected"), FORMATTED)
def test_format_value(value: float, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_format_value_refuses_non_finite(value: float) -> None:
    with pytest.raises(ValueError):
        format_value(value)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "%", "min", "days", "$", "\u20ac", "\u00a3"]),
)
@example(0.005, "")
@example(-0.004, "$")
@example(9999.995, "")
@example(123456.785, "$")
def test_format_then_parse_round_trips_to_two_decimals(value: float, unit: str) -> None:
    assert parse_value(format_value(value, unit)) == round(value, 2)
