"""`python app.py demo`: the README's run command for people without a workspace, run as a real process."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_demo_quarter_shows_prompts_checkins_digests_nudges_and_alerts(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "demo"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert out.count("Week ") >= 13  # the whole quarter, week by week
    assert "DM to Alice (Fri 10:00 EDT)" in out and "DM to Bob (Fri 10:00 CEST)" in out  # their own 10:00
    assert "Weekly OKR digest" in out and "#growth (channel)" in out
    assert "Bob checks in (saved)" in out
    assert "3 weeks in a row" in out  # the lead hears about Dev's streak...
    assert "Haven't heard from you" in out  # ...and Dev gets the nudge
    assert "Confidence drop" in out  # Bob's green -> red reaches Lena at once
    assert "skipped this week" in out  # Chen's leave
    # The end of the quarter: the grading DM, the grades with evidence, the report, the carry-over, the lessons.
    assert "DM to Lena (Fri 09:00 GMT)" in out and "Time to grade 2026-Q4 for Growth" in out
    assert "2026-Q4 is graded for Growth" in out and "Carried over to 2027-Q1" in out
    assert "baseline 33.4, target 40 (to confirm)" in out
    assert "What Growth said it changes this cycle" in out
    assert "End of the quarter:" in out
    # Nothing is left behind: the demo's database lives in a temporary directory.
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith(".") for p in tmp_path.iterdir())
