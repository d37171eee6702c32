"""Cleaning typed text: control and bidirectional characters go, everything a person means to write stays."""

import pytest

from bot.rules.text import clean


@pytest.mark.parametrize("typed,kept", [
    ("on track\x00", "on track"),
    ("\x1b[31mred\x1b[0m", "[31mred[0m"),
    ("line one\r\nline two", "line one\nline two"),
    ("a\tb\nc", "a\tb\nc"),
    ("DEL\x7f and C1\x85\x9b", "DEL and C1"),
    ("invoice\u202egnp.exe", "invoicegnp.exe"),
    ("\u2066isolated\u2069 \u202aembedded\u202c \u200emarks\u200f\u061c", "isolated embedded marks"),
])
def test_control_and_bidi_characters_are_stripped(typed, kept):
    assert clean(typed) == kept


def test_what_people_mean_to_write_stays():
    text = "Grow ARR 20% → 35% 🚀 in Zürich, שלום, مرحبا, 日本語 — “quoted” ‘too’\u00a0nbsp"
    assert clean(text) == text
