"""`python app.py demo`: the README's run command for people without a workspace, run as a real process."""

import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app import run_http_app
from bot.sim.demo import OKR_FILE, run_demo
from bot.sim.demo_summary import CHART_FILE

ROOT = Path(__file__).resolve().parents[3]
RULE = "━" * 78


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    """One whole quarter, as a real process: its stdout, stderr, working and temporary directories."""
    cwd, temp = tmp_path_factory.mktemp("cwd"), tmp_path_factory.mktemp("tmp")
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "demo"], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr, cwd, temp


def test_demo_quarter_shows_prompts_checkins_digests_nudges_alerts_and_a_summary(quarter):
    out, err, cwd, temp = quarter
    assert "Traceback" not in out + err
    assert out.count("Week ") >= 13  # the whole quarter, week by week
    assert "DM to Alice (Fri 10:00 EDT)" in out and "DM to Bob (Fri 10:00 CEST)" in out  # their own 10:00
    assert "Weekly OKR digest" in out and "#growth (channel)" in out
    assert "Bob checks in (saved)" in out
    assert "3 weeks in a row" in out  # the lead hears about Dev's streak...
    assert "Haven't heard from you" in out  # ...and Dev gets the nudge
    # Bob's green -> red reaches Lena at once: printed right after his check-in, at the hour he checked in.
    bob = out.index("Reduce median time-to-first-value from 14 days to 7 days: 12.6 days 🔴")
    assert out.index("\n  → DM to Lena (Fri 11:00 GMT)\n    🚨 *Confidence drop*", bob) < out.index("→", bob + 1) + 4
    assert "skipped this week" in out  # Chen's leave
    assert f"{RULE}\nEnd of the quarter\n" in out
    assert "Check-in rate: 35 of 51 weekly prompts answered (69%), 1 week skipped." in out
    assert "Nudges: 1 nudge to owners, 1 DM to leads" in out and "Alerts: 1 confidence-drop alert to leads." in out
    assert "Final scores:\n  Make self-serve onboarding effortless for mid-market customers: 0.90\n" in out
    # The chart of the quarter, written where the demo says.
    chart = temp / CHART_FILE
    assert f"as `/okr status Growth chart` posts it): {chart}\n" in out
    assert chart.read_bytes().startswith(b"\x89PNG")
    # The end of the quarter: the grading DM, the grades with evidence, the report, the carry-over, the lessons.
    assert "DM to Lena (Fri 09:00 GMT)" in out and "Time to grade 2026-Q4 for Growth" in out
    assert "2026-Q4 is graded for Growth" in out and "Carried over to 2027-Q1" in out
    assert "baseline 33.4, target 40 (to confirm)" in out
    assert "What Growth said it changes this cycle" in out
    # Christmas Day is a Friday and Growth follows the UK's holidays: the prompts go out on Tuesday the 29th.
    assert "Christmas Day (Fri 25 Dec)" in out and "DM to Bob (Tue 10:00 CET)" in out
    # Chen's away Slack status makes one week away, and the digest says so.
    assert "Chen sets a Slack status 🌴 “On holiday”" in out and "@chen away (Slack status)" in out
    # The closing summary is participation: a row per person, and the team's rate per week.
    summary = out[out.index("Lena types /okr participation Growth"):]
    assert "@alice `✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓` · 13 on time · 100%" in summary
    assert "@chen `✓ ✓ ✓ – ✓ ✓ ✗ – ✓ ✗ ✓ ✓ ✓` · 9 on time, 1 away, 1 skipped, 2 missed · 82%" in summary
    assert "*Team, per week:* 10/02 75%" in summary
    # Nothing is left behind: the demo's database lives in a temporary directory.
    assert [p for p in cwd.iterdir() if not p.name.startswith(".")] == []


def test_a_second_run_prints_the_same_weeks_and_a_shorter_one_says_where_it_ended(quarter, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # its chart goes to this test's directory
    out = io.StringIO()
    assert run_demo(run_http_app, out=out, weeks=7) == 0
    text = out.getvalue()
    weeks, _, end = text.rpartition(f"\n{RULE}\nEnd of week 7\n")
    # Byte for byte the first seven weeks of the other run: the alert used to land under whichever instant a
    # listener thread happened to finish in, and lines came in a different order.
    assert weeks and quarter[0].startswith(weeks + f"\n{RULE}\n  Week 8:"), "two runs printed different weeks"
    assert "End of the quarter" not in text and "Week 8:" not in text
    assert end.startswith("Check-in rate: 19 of 28 weekly prompts answered (68%), 1 week skipped.")
    # Each note lands under its own KR.
    assert ("Increase Day-7 activation rate from 22% to 35%: 25.1% 🟠 — “Dipped after the pricing change."
            in text)
    assert "Cut invoice disputes from 120 to 40 a month: 100.8 disputes 🟠 — “The new invoice layout" in text
    assert text.count("Dipped after the pricing change") == 1
    assert (tmp_path / CHART_FILE).read_bytes().startswith(b"\x89PNG")


def test_the_sample_okr_file_is_the_quarter_the_demo_plays():
    assert (ROOT / "examples" / "okrs.yaml").read_bytes() == OKR_FILE.read_bytes()
