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
    assert "End of the quarter:" in out
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
    assert list(tmp_path.iterdir()) == [] or all(p.name.startswith(".") for p in tmp_path.iterdir())
