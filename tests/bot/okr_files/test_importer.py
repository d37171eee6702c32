"""Tests for bot.importer: validating OKR files with line numbers, and creating or updating rows."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.okr_files.checker import load_okr_file, load_okr_text

from bot.okr_files.importer import import_file

from bot.okr_files.spec import OkrFileError, Problem
from storage.db import session_scope
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead

SAMPLE = """\
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Growth
    channel: C0GROWTH            # digest channel id
    leads: [U0LEAD]
    timezone: Europe/London      # team's zone, for the digest; default UTC
    checkin: {day: friday, time: "10:00"}   # in each owner's own Slack time zone; this is the default
    digest: {day: monday, time: "09:00"}    # in the team's zone; this is the default
  - name: Platform
    channel: G0PLATFORM
    leads: [U0PLAT, W0BOSS]
    checkin: {day: Thu, time: "16:30"}
objectives:
  - team: Growth
    id: onboarding               # optional stable id; without it, the title is the identity
    title: Make self-serve onboarding effortless for mid-market customers
    type: aspirational           # or committed; default aspirational
    key_results:
      - id: d7-activation
        title: Increase Day-7 activation rate from 22% to 35%
        owner: U0ALICE
        baseline: 22
        target: 35
        unit: "%"
      - title: Cut time to first dashboard from 3 days to 1 day
        owner: U0BOB
        baseline: 3
        target: 1
        unit: days
  - team: Platform
    title: Keep the API fast and available
    type: committed
    key_results:
      - id: p99
        title: Bring p99 latency from 800 ms down to 300 ms
        owner: U0CAROL
        baseline: 800
        target: 300
        unit: ms
"""

TABLES = (Cycle, Team, TeamLead, Objective, KeyResult)


def write(tmp_path, text: str, name: str = "okrs.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing needle."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def counts(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {t.__tablename__: s.exec(select(sa.func.count()).select_from(t)).one() for t in TABLES}


def problems_of(exc: pytest.ExceptionInfo[OkrFileError]) -> dict[str, Problem]:
    return {p.field: p for p in exc.value.problems}


# --------------------------------------------------------------------------- applying


def test_import_creates_everything(engine, tmp_path):
    path = write(tmp_path, SAMPLE)
    with session_scope(engine) as s:
        summary = import_file(path, session=s)
    assert (summary.teams_created, summary.objectives_created, summary.key_results_created) == (2, 2, 3)
    assert (summary.teams_updated, summary.objectives_updated, summary.key_results_updated) == (0, 0, 0)
    assert "\n" not in str(summary) and "created" in str(summary)

    with session_scope(engine) as s:
        cycle = s.exec(select(Cycle)).one()
        assert (cycle.name, cycle.start, cycle.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert (growth.channel, growth.timezone) == ("C0GROWTH", "Europe/London")
        assert (growth.checkin_day, growth.checkin_time, growth.digest_day, growth.digest_time) == (4, "10:00", 0, "09:00")
        platform = s.exec(select(Team).where(Team.name == "Platform")).one()
        # Omitted fields take the documented defaults.
        assert (platform.timezone, platform.checkin_day, platform.checkin_time) == ("UTC", 3, "16:30")
        assert (platform.digest_day, platform.digest_time) == (0, "09:00")
        leads = {(lead.team_id, lead.user_id) for lead in s.exec(select(TeamLead))}
        assert leads == {(growth.id, "U0LEAD"), (platform.id, "U0PLAT"), (platform.id, "W0BOSS")}

        onboarding = s.exec(select(Objective).where(Objective.key == "onboarding")).one()
        assert (onboarding.team_id, onboarding.cycle_id, onboarding.type) == (growth.id, cycle.id, "aspirational")
        api = s.exec(select(Objective).where(Objective.team_id == platform.id)).one()
        assert (api.key, api.type) == ("Keep the API fast and available", "committed")

        krs = {kr.key: kr for kr in s.exec(select(KeyResult))}
        d7 = krs["d7-activation"]
        assert (d7.objective_id, d7.owner_id, d7.baseline, d7.target, d7.unit) == (onboarding.id, "U0ALICE", 22, 35, "%")
        # Without an id the title is the identity.
        assert krs["Cut time to first dashboard from 3 days to 1 day"].unit == "days"
        assert krs["p99"].objective_id == api.id


def test_reimport_is_idempotent(engine, tmp_path):
    path = write(tmp_path, SAMPLE)
    with session_scope(engine) as s:
        import_file(path, session=s)
    before = counts(engine)
    with session_scope(engine) as s:
        summary = import_file(path, session=s)
    assert counts(engine) == before
    assert (summary.teams_created, summary.objectives_created, summary.key_results_created) == (0, 0, 0)
    assert (summary.teams_updated, summary.objectives_updated, summary.key_results_updated) == (0, 0, 0)
    assert (summary.teams_unchanged, summary.objectives_unchanged, summary.key_results_unchanged) == (2, 2, 3)
    assert str(summary) == "unchanged (cycle 2026-Q4, 2 teams, 2 objectives, 3 key results, as in the file)"


def test_stable_id_updates_in_place(engine, tmp_path):
    with session_scope(engine) as s:
        import_file(write(tmp_path, SAMPLE), session=s)
    with session_scope(engine) as s:
        original = s.exec(select(KeyResult).where(KeyResult.key == "d7-activation")).one()

    changed = (SAMPLE
               .replace("Increase Day-7 activation rate from 22% to 35%", "Lift Day-7 activation from 22% to 40%")
               .replace("target: 35", "target: 40")
               .replace("leads: [U0LEAD]", "leads: [U0NEWLEAD]")
               .replace("start: 2026-10-01", "start: 2026-10-05"))
    with session_scope(engine) as s:
        summary = import_file(write(tmp_path, changed, "v2.yaml"), session=s)
    assert summary.key_results_created == 0
    assert str(summary) == ("cycle 2026-Q4 updated; teams: 1 updated, 1 unchanged; objectives: 2 unchanged; "
                            "key results: 1 updated, 2 unchanged")

    with session_scope(engine) as s:
        kr = s.exec(select(KeyResult).where(KeyResult.key == "d7-activation")).one()
        assert kr.id == original.id
        assert (kr.title, kr.target) == ("Lift Day-7 activation from 22% to 40%", 40)
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert [lead.user_id for lead in s.exec(select(TeamLead).where(TeamLead.team_id == growth.id))] == ["U0NEWLEAD"]
        assert s.exec(select(Cycle)).one().start == date(2026, 10, 5)


def test_things_missing_from_the_file_are_left_alone(engine, tmp_path):
    with session_scope(engine) as s:
        import_file(write(tmp_path, SAMPLE), session=s)
    before = counts(engine)
    # Only Growth's objective, one KR, and no teams: an objective may name a team that only the database knows.
    partial = """\
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
objectives:
  - team: Platform
    title: Keep the API fast and available
    key_results:
      - id: p99
        title: Bring p99 latency from 800 ms down to 250 ms
        owner: U0CAROL
        baseline: 800
        target: 250
"""
    with session_scope(engine) as s:
        summary = import_file(write(tmp_path, partial, "partial.yaml"), session=s)
    # The partial file leaves out the objective's type and the KR's unit, so they take the defaults.
    assert (summary.objectives_updated, summary.key_results_updated, summary.teams_updated) == (1, 1, 0)
    assert counts(engine) == before
    with session_scope(engine) as s:
        assert s.exec(select(KeyResult).where(KeyResult.key == "p99")).one().target == 250
        # The type was omitted, so it goes back to the default.
        assert s.exec(select(Objective).where(Objective.key == "Keep the API fast and available")).one().type == "aspirational"


def test_sexagesimal_times_and_string_numbers(engine, tmp_path):
    text = (SAMPLE.replace('time: "10:00"', "time: 10:00")
                  .replace('time: "09:00"', "time: 9:45")
                  .replace("baseline: 22", 'baseline: "22%"')
                  .replace("target: 35", 'target: "35 %"'))
    assert "time: 10:00}" in text and 'baseline: "22%"' in text
    okr = load_okr_text(text)
    growth = okr.teams[0]
    assert (growth.checkin_time, growth.digest_time) == ("10:00", "09:45")
    kr = okr.objectives[0].key_results[0]
    assert (kr.baseline, kr.target) == (22.0, 35.0)
    with session_scope(engine) as s:
        import_file(write(tmp_path, text), session=s)
    with session_scope(engine) as s:
        team = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert (team.checkin_time, team.digest_time) == ("10:00", "09:45")
        assert s.exec(select(KeyResult.baseline).where(KeyResult.key == "d7-activation")).one() == 22


# --------------------------------------------------------------------------- problems

# The cycle, the Growth team and the first objective are valid; everything after them has mistakes.
BAD = """\
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Growth
    channel: C0GROWTH
    leads: [U0LEAD]
  - name: Platform
    channel: G0PLATFORM
    timezone: Europe/Londn
    digest: {day: monday, time: "9am"}
objectives:
  - team: Growth
    id: onboarding
    title: Make self-serve onboarding effortless
    key_results:
      - id: d7-activation
        title: Increase Day-7 activation rate from 22% to 35%
        owner: U0ALICE
        baseline: 22
        target: 35
  - team: Platform
    title: Keep the API fast
    key_results:
      - title: Bring p99 latency down
        tittle: typo
        baseline: 800
        target: 800
  - team: Finance
    title: Close the books faster
    key_results:
      - title: Close in 5 days instead of 10
        owner: U0DAVE
        baseline: 10
        target: 5
"""


def test_bad_file_lists_every_problem_with_lines_and_nothing_is_written(engine, tmp_path):
    path = write(tmp_path, BAD, "bad.yaml")
    with pytest.raises(OkrFileError) as exc:
        with session_scope(engine) as s:
            import_file(path, session=s)
    found = problems_of(exc)
    expected = {
        "teams[1].timezone": line_of(BAD, "Europe/Londn"),
        "teams[1].digest.time": line_of(BAD, '"9am"'),
        "objectives[1].key_results[0].tittle": line_of(BAD, "tittle"),
        # A missing field is reported on the first line of the mapping that lacks it.
        "objectives[1].key_results[0].owner": line_of(BAD, "- title: Bring p99 latency down"),
        "objectives[1].key_results[0].target": line_of(BAD, "target: 800"),
        "objectives[2].team": line_of(BAD, "team: Finance"),
    }
    assert {f: p.line for f, p in found.items()} == expected
    assert all(p.file == path for p in found.values())
    assert "Europe/London" in found["teams[1].timezone"].message
    assert "did you mean 'title'" in found["objectives[1].key_results[0].tittle"].message
    assert "change to measure" in found["objectives[1].key_results[0].target"].message
    assert "HH:MM" in found["teams[1].digest.time"].message
    assert "Finance" in found["objectives[2].team"].message

    text = str(exc.value).splitlines()
    assert len(text) == len(expected)
    assert f"{path}:{expected['teams[1].timezone']}: teams[1].timezone: " in text[0]
    assert [int(t.split(":")[1]) for t in text] == sorted(expected.values())

    assert counts(engine) == dict.fromkeys(counts(engine), 0)


def test_failed_import_leaves_existing_rows_untouched(engine, tmp_path):
    with session_scope(engine) as s:
        import_file(write(tmp_path, SAMPLE), session=s)
    before = counts(engine)
    # Valid apart from an unknown team at the very end: that is only found against the database.
    text = SAMPLE.replace("C0GROWTH", "C0CHANGED") + """\
  - team: Finance
    title: Close the books faster
    key_results:
      - title: Close in 5 days instead of 10
        owner: U0DAVE
        baseline: 10
        target: 5
"""
    load_okr_text(text)  # nothing wrong with the file on its own
    with pytest.raises(OkrFileError) as exc:
        with session_scope(engine) as s:
            import_file(write(tmp_path, text, "v2.yaml"), session=s)
    assert [(p.field, p.line) for p in exc.value.problems] == [("objectives[2].team", line_of(text, "team: Finance"))]
    assert counts(engine) == before
    with session_scope(engine) as s:
        assert s.exec(select(Team.channel).where(Team.name == "Growth")).one() == "C0GROWTH"


@pytest.mark.parametrize(("snippet", "replacement", "field", "needle"), [
    ("name: 2026-Q4", 'name: ""', "cycle.name", "empty"),
    ("end: 2026-12-31", "end: 2026-09-30", "cycle.end", "not after its start"),
    ("start: 2026-10-01", "start: 1st of October", "cycle.start", "not a date"),
    ("channel: C0GROWTH ", "channel: growth-team ", "teams[0].channel", "Slack channel id"),
    ("leads: [U0LEAD]", "leads: [U0LEAD, alice]", "teams[0].leads[1]", "Slack user id"),
    ("leads: [U0LEAD]", "leads: [U0LEAD, U0LEAD]", "teams[0].leads[1]", "twice"),
    ("day: friday", "day: fryday", "teams[0].checkin.day", "did you mean 'friday'"),
    ('time: "10:00"', 'time: "24:00"', "teams[0].checkin.time", "HH:MM"),
    ('time: "10:00"', "time: 600", "teams[0].checkin.time", "HH:MM"),
    ("  - name: Platform", "  - name: Growth  # again", "teams[1].name", "already defined on line 3"),
    ("type: committed", "type: stretch", "objectives[1].type", "aspirational or committed"),
    ("owner: U0ALICE", "owner: alice", "objectives[0].key_results[0].owner", "Slack user id"),
    ("baseline: 22", "baseline: yes", "objectives[0].key_results[0].baseline", "must be a number"),
    ("baseline: 22", "baseline: lots", "objectives[0].key_results[0].baseline", "not a number"),
    ("target: 35", "target: .nan", "objectives[0].key_results[0].target", "finite"),
    ('unit: "%"', "unit: " + "x" * 25, "objectives[0].key_results[0].unit", "24"),
    ("id: d7-activation", "id: " + "k" * 201, "objectives[0].key_results[0].id", "200"),
    ("id: onboarding", "id: [a]", "objectives[0].id", "must be text"),
    ("title: Keep the API fast and available", "title: Keep the API fast and available\n    colour: red",
     "objectives[1].colour", "unknown field"),
    ("      - title: Cut time to first dashboard from 3 days to 1 day",
     "      - title: Increase Day-7 activation rate from 22% to 35%\n        id: d7-activation  # again",
     "objectives[0].key_results[1].id", "already has a key result 'd7-activation'"),
    ("        owner: U0ALICE", "        owner: U0ALICE\n        latest: {value: 30, confidence: blue}",
     "objectives[0].key_results[0].latest.confidence", "green, amber or red"),
])
def test_single_mistakes(snippet, replacement, field, needle):
    assert snippet in SAMPLE
    text = SAMPLE.replace(snippet, replacement, 1)
    with pytest.raises(OkrFileError) as exc:
        load_okr_text(text, "okrs.yaml")
    fields = [p.field for p in exc.value.problems]
    assert fields == [field], str(exc.value)
    problem = exc.value.problems[0]
    assert needle in problem.message
    assert problem.line == line_of(text, replacement.splitlines()[-1].strip())


def test_duplicate_objective_in_a_team():
    text = SAMPLE + """\
  - team: Growth
    id: onboarding
    title: Something else
    key_results:
      - {title: x, owner: U0X1, baseline: 0, target: 1}
"""
    with pytest.raises(OkrFileError) as exc:
        load_okr_text(text)
    [problem] = exc.value.problems
    assert (problem.field, problem.line) == ("objectives[2].id", len(text.splitlines()) - 3)
    assert "already has an objective 'onboarding'" in problem.message


def test_structure_problems():
    with pytest.raises(OkrFileError) as exc:
        load_okr_text("teams: []\n", "x.yaml")
    assert str(exc.value) == "x.yaml:1: cycle: the file has no `cycle:`; add one with name, start and end"
    with pytest.raises(OkrFileError) as exc:
        load_okr_text("- cycle\n", "x.yaml")
    assert exc.value.problems[0].line == 1 and "mapping" in exc.value.problems[0].message
    with pytest.raises(OkrFileError) as exc:
        load_okr_text("", "x.yaml")
    assert "empty" in str(exc.value)
    with pytest.raises(OkrFileError) as exc:
        load_okr_text("cycle: {name: Q, start: 2026-01-01, end: 2026-02-01}\nobjectives:\n"
                      "  - team: T\n    title: t\n    key_results: []\n")
    assert [(p.field, p.line) for p in exc.value.problems] == [("objectives[0].key_results", 5)]
    with pytest.raises(OkrFileError) as exc:
        load_okr_text("cycle: {name: Q, start: 2026-01-01, end: 2026-02-01}\ncycle: {name: R}\n")
    assert [(p.field, p.line) for p in exc.value.problems] == [("cycle", 2), ("cycle.start", 2), ("cycle.end", 2)]


def test_yaml_syntax_error_names_the_line(tmp_path):
    text = SAMPLE.replace("leads: [U0LEAD]", "leads: [U0LEAD")
    path = write(tmp_path, text)
    with pytest.raises(OkrFileError) as exc:
        load_okr_file(path)
    [problem] = exc.value.problems
    assert (problem.file, problem.field) == (path, "syntax")
    # YAML notices the unclosed bracket at the next line's `key:`.
    assert problem.line == line_of(text, "leads: [U0LEAD") + 1
    assert "not valid YAML" in problem.message


def test_unreadable_path_is_a_clear_problem(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(OkrFileError) as exc:
        load_okr_file(missing)
    assert str(exc.value) == f"{missing}: file: cannot read the file: No such file or directory"
    with pytest.raises(OkrFileError) as exc:
        load_okr_file(tmp_path)
    assert exc.value.problems[0].line is None and "cannot read" in str(exc.value)
    binary = tmp_path / "okrs.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe")
    with pytest.raises(OkrFileError) as exc:
        load_okr_file(binary)
    assert "UTF-8" in str(exc.value)


def test_problem_format():
    assert str(Problem("a.yaml", 7, "teams[0].name", "x")) == "a.yaml:7: teams[0].name: x"
    assert str(Problem("a.yaml", None, "file", "x")) == "a.yaml: file: x"
    assert str(OkrFileError([Problem("a", 2, "f", "m"), Problem("a", 1, "g", "n")])) == "a:1: g: n\na:2: f: m"
