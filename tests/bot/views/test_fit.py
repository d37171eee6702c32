"""Every view builder, fed the longest inputs okrbot accepts and the most rows each view supports, produces payloads
Slack accepts, judged by the fake's own validator (bot/sim/fake_validate.py)."""

from __future__ import annotations

import pytest

from bot.rules.validation import CYCLE_NAME_MAX, TEAM_NAME_MAX, TITLE_MAX, UNIT_MAX
from bot.sim.fake_validate import check_message, check_view
from bot.views.kit import MESSAGE_TEXT_CHARS, block_text
from tests.bot.views.builders import LONGEST, payloads

PAYLOADS = payloads(LONGEST)


def test_the_inputs_are_the_longest_okrbot_accepts():
    assert len(LONGEST.title) == TITLE_MAX and len(LONGEST.unit) == UNIT_MAX
    assert len(LONGEST.team) == TEAM_NAME_MAX and len(LONGEST.cycle) == CYCLE_NAME_MAX and len(LONGEST.note) == 3000


@pytest.mark.parametrize("name, kind, payload", PAYLOADS, ids=[name for name, _, _ in PAYLOADS])
def test_slack_accepts_every_payload(name, kind, payload):
    refusal = check_message(payload) if kind == "message" else check_view(payload, kind=kind)
    assert refusal is None, refusal
    if kind == "message":
        assert block_text(payload["blocks"]) <= MESSAGE_TEXT_CHARS


def test_the_longest_digest_is_split_into_parts():
    parts = [name for name, _, _ in PAYLOADS if name.startswith("digest part")]
    assert len(parts) >= 2
