"""/okr status TEAM chart and the Chart button: the PNG goes up through files.uploadV2 (the fake's strict
files.getUploadURLExternal, upload URL and files.completeUploadExternal) and shows in an image block."""

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from matplotlib import image as mpimg
from sqlmodel import select

from bot.reports.chart import team_chart
from bot.slack import ids
from bot.views.chart import CONFIDENCE_COLOURS, LINE_COLOURS, PACE_COLOUR, chart_png
from storage.models import Team
from tests.status_helpers import check_in, kr_ids

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
def checked_in(okr):
    k = kr_ids(okr)
    check_in(okr, "U0ALICE", datetime(2026, 10, 23, 16, tzinfo=UTC), {k["d7-activation"]: ("25%", "green", "")})
    check_in(okr, "U0ALICE", datetime(2026, 11, 20, 16, tzinfo=UTC), {k["d7-activation"]: ("30%", "amber", "Dip")})
    check_in(okr, "U0BOB", datetime(2026, 11, 27, 16, tzinfo=UTC), {k["ttfv"]: ("10 days", "red", "Blocked")})
    okr.fake.reset_calls()
    okr.clock.set(NOW)
    return okr


def colour_pixels(png: bytes, colour: str) -> int:
    """How many pixels of the PNG are this colour (give or take antialiasing)."""
    pixels = mpimg.imread(io.BytesIO(png), format="png")[:, :, :3]
    wanted = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(pixels - wanted).max(axis=2) < 0.02).sum())


def image_of(body: dict) -> dict:
    (image,) = [b for b in body["blocks"] if b["type"] == "image"]
    return image


def test_status_team_chart_uploads_a_png_with_a_line_per_kr(checked_in):
    body = checked_in.slack.command("U0EVE", "status growth chart").json()
    image = image_of(body)
    assert [c.method for c in checked_in.fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal", "files.completeUploadExternal"]
    png = checked_in.fake.uploaded_file(image["slack_file"]["id"])
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert mpimg.imread(io.BytesIO(png), format="png").shape[:2] == (560, 1000)
    # A line in its own colour for each of Growth's three KRs, the pace line, and the confidences' dots.
    for colour in (*LINE_COLOURS[:3], PACE_COLOUR, *CONFIDENCE_COLOURS.values()):
        assert colour_pixels(png, colour) > 50, colour
    assert colour_pixels(png, LINE_COLOURS[3]) == 0  # no fourth KR
    assert "Growth · 2026-Q4: scores by week" in body["text"]
    assert "3 key results of Growth" in image["alt_text"]


def test_the_chart_button_under_a_teams_status_posts_the_chart(checked_in):
    body = checked_in.slack.command("U0EVE", "status growth").json()
    (button,) = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == ids.OPEN_CHART and button["text"]["text"] == "Chart"
    checked_in.fake.reset_calls()
    checked_in.slack.click("U0EVE", ids.OPEN_CHART, button["value"])
    (posted,) = checked_in.fake.ephemerals("U0EVE") or checked_in.fake.dms_to("U0EVE")
    file_id = image_of(posted)["slack_file"]["id"]
    assert checked_in.fake.uploaded_file(file_id).startswith(b"\x89PNG")


def test_the_same_data_draws_the_same_bytes(checked_in):
    with checked_in.session() as session:
        team = session.exec(select(Team)).one()
        chart = team_chart(team, session=session, now=NOW)
    assert chart is not None and len(chart.weeks) == 9 and len(chart.krs) == 3
    activation = next(kr for kr in chart.krs if kr.title.startswith("Increase Day-7"))
    # Weeks start on Thursdays from Oct 1: the check-ins of Oct 23 and Nov 20 are in weeks 4 and 8 (indexes 3, 7).
    assert activation.confidences == (None, None, None, "green", None, None, None, "amber", None)
    assert activation.scores[2] == 0 and activation.scores[3] == activation.scores[6] == pytest.approx(3 / 13)
    assert chart_png(chart) == chart_png(chart)


@pytest.mark.slack_rejects("missing_scope")
def test_without_files_write_the_person_is_told_what_to_add(checked_in):
    checked_in.fake.scopes = tuple(s for s in checked_in.fake.scopes if s != "files:write")
    body = checked_in.slack.command("U0EVE", "status growth chart").json()
    assert "lacks the files:write scope" in body["text"]


def test_an_unknown_team_gets_a_sentence(checked_in):
    body = checked_in.slack.command("U0EVE", "status nope chart").json()
    assert "There is no team called “nope”" in body["text"]
