"""`okrbot lint FILE` and the coach's warnings after `okrbot import`."""

import json
import os
import subprocess
import sys

import pytest

from bot import cli
from tests.bot.test_cli import GROWTH, ROOT, no_serve

PLATFORM = ROOT / "tests" / "fixtures" / "coach_platform.yaml"
# Lint reads only the file: settings that point at no database at all must not matter.
NO_DATABASE = {"DATABASE_URL": "postgresql+psycopg://nobody:pw@127.0.0.1:1/x"}


def run(argv, env=NO_DATABASE):
    return cli.main(argv, serve=no_serve, env=env)


def test_plain_lists_findings_grouped_with_hints_and_exits_0(capsys):
    assert run(["lint", str(PLATFORM)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"{PLATFORM}: 6 notes"
    assert "Objective “Launch v2” · Platform (line 8)" in lines
    assert "  Key result “Ship AI dashboard in Q2” (line 12)" in lines
    assert "    - task-not-outcome: “Ship AI dashboard in Q2” is a task or deliverable, not an outcome: getting" in lines
    assert max(len(line) for line in lines) <= 100
    assert "Try: Increase <metric> from <baseline> to <target> by <date>" in " ".join(out.split())
    assert out.index("Launch v2") < out.index("Increase revenue to $2M") < out.index("too-few-krs")


def test_json_is_a_list_of_findings_and_exits_0(capsys):
    assert run(["lint", str(PLATFORM), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["title"], d["rule"]) for d in data] == [
        ("objective", "Launch v2", "objective-is-task"),
        ("key_result", "Ship AI dashboard in Q2", "task-not-outcome"),
        ("key_result", "Improve customer satisfaction", "vague-verb"),
        ("objective", "Increase revenue to $2M", "objective-is-number"),
        ("objective", "Increase revenue to $2M", "too-few-krs"),
        ("key_result", "Conduct 20 customer interviews", "task-not-outcome"),
    ]
    assert all(set(d) == {"kind", "title", "rule", "message", "hint"} for d in data)


def test_a_clean_file(capsys):
    assert run(["lint", str(GROWTH)]) == 0
    assert capsys.readouterr().out == f"{GROWTH}: No findings — these OKRs read well.\n"
    assert run(["lint", str(GROWTH), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_file_import_would_refuse_is_linted_anyway(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GROWTH.read_text().replace("baseline: 14", "baseline: 7").replace("Europe/London", "Europe/Londn"))
    # Exit 1: import would refuse it (tests/bot/okr_files/test_lint_agrees.py holds the two to one set of rules).
    assert run(["lint", str(bad), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(d["rule"], d["title"]) for d in data] == [
        ("invalid", "teams[0].timezone"),
        ("invalid", "Reduce median time-to-first-value from 14 days to 7 days"),
    ]
    assert data[0]["message"].startswith(f"{bad}:6: teams[0].timezone: 'Europe/Londn' is not a known IANA time zone")
    assert "the baseline and target are both 7" in data[1]["message"]
    assert run(["lint", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}: 2 problems that stop import\n") and "Problems that stop import" in out


@pytest.mark.parametrize("content, where", [
    (None, "cannot read the file"),
    ("objectives: [\n  - team: Growth\n", "okrs.yaml:2: syntax: the file is not valid YAML"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
])
def test_unreadable_or_unparsable_file_exits_1_naming_file_and_line(tmp_path, capsys, content, where):
    path = tmp_path / "okrs.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert run(["lint", str(path), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"okrbot: {path} could not be linted." in captured.err and where in captured.err
    assert "Traceback" not in captured.err


def test_import_prints_the_coachs_notes_as_warnings_and_still_imports(db_url, capsys):
    env = {"DATABASE_URL": db_url}
    assert run(["import", str(PLATFORM)], env) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Imported {PLATFORM}: cycle 2026-Q4 created")
    assert captured.err.startswith(f"Coach: 6 notes on how {PLATFORM} is written (they did not stop the import):")
    assert "task-not-outcome" in captured.err and "too-few-krs" in captured.err
    assert run(["import", str(GROWTH)], env) == 0
    assert capsys.readouterr().err == ""


def test_real_process_lint(tmp_path):
    """`python app.py lint` as its own process, as CI or an editor hook would run it."""
    proc_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "lint", str(PLATFORM), "--format", "json"],
                          env=proc_env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 6
    assert not (tmp_path / "okrbot.db").exists()  # no database touched
