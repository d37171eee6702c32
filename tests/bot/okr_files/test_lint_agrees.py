"""Lint and import decide with one set of rules: every lint error is an import error and every import error a lint
error, in the same sentence, file and line; a file lint passes is one import takes."""

from __future__ import annotations

import pytest

from bot import cli
from bot.okr_files.importer import import_file
from bot.okr_files.lint import errors, lint_file
from bot.okr_files.spec import OkrFileError
from storage.db import session_scope
from tests.conftest import FIXTURES

GROWTH = (FIXTURES / "growth.yaml").read_text()
PLATFORM = (FIXTURES / "coach_platform.yaml").read_text()

# (name, file text): each breaks a different rule, some several at once; the first ones break none.
VARIANTS = [
    ("valid", GROWTH),
    ("valid with coach notes", PLATFORM),
    ("target equals baseline", GROWTH.replace("baseline: 14", "baseline: 7")),
    ("unknown time zone", GROWTH.replace("Europe/London", "Europe/Londn")),
    ("misspelt day", GROWTH.replace("day: friday", "day: fryday")),
    ("impossible time", GROWTH.replace('time: "10:00"', 'time: "25:00"')),
    ("owner is a name", GROWTH.replace("owner: U0ALICE", "owner: alice")),
    ("channel is a name", GROWTH.replace("channel: C0GROWTH", "channel: growth")),
    ("unknown objective type", GROWTH.replace("type: aspirational", "type: stretch")),
    ("target is not a number", GROWTH.replace("target: 35", "target: lots")),
    ("cycle ends before it starts", GROWTH.replace("end: 2026-12-31", "end: 2026-09-01")),
    ("no cycle", "\n".join(line for line in GROWTH.splitlines() if not line.startswith("cycle:"))),
    ("duplicate KR id", GROWTH.replace("id: ttfv", "id: d7-activation")),
    ("unit is a list", GROWTH.replace('unit: "%"', "unit: [1]", 1)),
    ("unknown field", GROWTH.replace("        unit: days", "        unit: days\n        colour: red")),
    ("no key results", GROWTH.split("    key_results:")[0] + "    key_results: []\n"),
    ("target equals baseline, twice, and a bad zone", GROWTH.replace("baseline: 14", "baseline: 7")
     .replace("baseline: 22", "baseline: 35").replace("Europe/London", "Mars/Olympus")),
    ("not YAML", "objectives: [\n  - team: Growth\n"),
]


@pytest.mark.parametrize("name, text", VARIANTS, ids=[name for name, _ in VARIANTS])
def test_lint_errors_are_import_errors_and_back(name, text, tmp_path, engine, capsys):
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    try:
        with session_scope(engine) as session:
            import_file(path, session=session)
        refused = []
    except OkrFileError as exc:
        refused = sorted(str(problem) for problem in exc.problems)
    try:
        linted = sorted(f.message for f in errors(lint_file(path)))
    except OkrFileError as exc:  # not even YAML: lint refuses to coach it, with import's own words
        linted = sorted(str(problem) for problem in exc.problems)
    assert linted == refused
    assert (name.startswith("valid")) == (refused == [])
    # The exit codes agree too: lint fails exactly when import would refuse the file.
    assert cli.main(["lint", str(path)], serve=lambda settings: 1, env={}) == (1 if refused else 0)
    capsys.readouterr()


def test_equal_numbers_are_one_error_in_the_validation_sentence_not_a_coach_note(tmp_path):
    path = tmp_path / "okrs.yaml"
    path.write_text(GROWTH.replace("baseline: 14", "baseline: 7"))
    findings = lint_file(path)
    about = [f for f in findings if f.title == "Reduce median time-to-first-value from 14 days to 7 days"]
    assert [(f.rule, f.message) for f in about] == [
        ("invalid", f"{path}:25: objectives[0].key_results[1].target: the baseline and target are both 7; a key result "
                    "needs a change to measure, so the target must differ from the baseline")]
