"""KR references: written and read back."""

import pytest

from bot.rules.refs import parse_ref, ref_text


def test_a_reference_round_trips():
    assert ref_text(7) == "KR-7" and parse_ref("KR-7") == 7 and parse_ref("kr-12") == 12


@pytest.mark.parametrize("text", ["KR-", "KR-x", "KR--1", "KR-1.5", "KR-١٢", "KR-1234567890", "d7-activation", ""])
def test_anything_else_is_not_a_reference(text):
    assert parse_ref(text) is None


def test_an_unnumbered_kr_has_no_reference():
    assert ref_text(None) == ""
