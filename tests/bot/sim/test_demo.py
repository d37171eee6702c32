"""`python app.py demo`: the README's run command for people without a workspace, run as a real process."""

import io
import subprocess
import sys
from pathlib import Path

from app import run_http_app
from bot.sim.demo import OKR_FILE, run_demo

ROOT = Path(__file__).resolve().parents[3]


def _demo(tmp_path, name: str) -> subprocess.Popen:
    cwd, temp = tmp_path / name, tmp_path / f"{name}-tmp"
    cwd.mkdir()
    temp.mkdir()
    # The chart goes to the temporary directory: one each, so the two runs cannot write the same file.
    return subprocess.Popen([sys.executable, str(ROOT / "app.py"), "demo"], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "TMPDIR": str(temp)})


def test_demo_quarter_is_the_same_every_run_and_shows_prompts_checkins_digests_nudges_and_alerts(tmp_path):
    # Two runs side by side: the alert used to land under whichever instant a listener thread finished in.
    runs = [_demo(tmp_path, "one"), _demo(tmp_path, "two")]
    (out, err), (again, _) = (run.communicate(timeout=300) for run in runs)
    assert [run.returncode for run in runs] == [0, 0], err[-3000:]
    assert "Traceback" not in out + err
    assert out.replace(str(tmp_path / "one-tmp"), "TMP") == again.replace(str(tmp_path / "two-tmp"), "TMP"), \
        "two runs of the demo printed different quarters"
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
    assert "End of the quarter\n" in out
    assert "Check-in rate: 36 of 52 weekly prompts answered (69%), 1 week skipped." in out
    assert "Nudges: 1 nudge to owners, 1 DM to leads" in out and "Alerts: 1 confidence-drop alert to leads." in out
    assert "Final scores:\n  Make self-serve onboarding effortless for mid-market customers: 0.90\n" in out
    # The chart of the quarter, written where the demo says, the same picture both times.
    chart = tmp_path / "one-tmp" / "okrbot-demo-chart.png"
    assert out.rstrip().endswith(f"as `/okr status Growth chart` posts it): {chart}")
    assert chart.read_bytes().startswith(b"\x89PNG") and chart.read_bytes() == (
        tmp_path / "two-tmp" / "okrbot-demo-chart.png").read_bytes()
    # Nothing is left behind: the demo's database lives in a temporary directory.
    for name in ("one", "two"):
        assert [p for p in (tmp_path / name).iterdir() if not p.name.startswith(".")] == []


def test_a_shorter_demo_puts_each_note_under_its_own_kr_and_says_which_week_it_ended_in():
    out = io.StringIO()
    assert run_demo(run_http_app, out=out, weeks=7) == 0
    text = out.getvalue()
    assert ("Increase Day-7 activation rate from 22% to 35%: 25.1% 🟠 — “Dipped after the pricing change."
            in text)
    assert "Cut invoice disputes from 120 to 40 a month: 100.8 disputes 🟠 — “The new invoice layout" in text
    assert text.count("Dipped after the pricing change") == 1
    assert "End of week 7\n" in text and "End of the quarter" not in text and "Week 8:" not in text
    assert "Check-in rate: 19 of 28 weekly prompts answered (68%), 1 week skipped." in text


def test_the_sample_okr_file_is_the_quarter_the_demo_plays():
    assert (ROOT / "examples" / "okrs.yaml").read_bytes() == OKR_FILE.read_bytes()
