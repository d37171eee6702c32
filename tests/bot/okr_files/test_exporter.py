"""Tests for bot.okr_files.exporter: YAML that re-imports to the same text, and CSV with the latest check-ins."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.okr_files.exporter import CSV_HEADER, CycleNotFound, export_csv, export_yaml
from bot.okr_files.checker import load_okr_text
from storage.db import session_scope
from storage.models import CheckIn, KeyResult, Objective
from tests.bot.okr_files.test_importer import SAMPLE, write

# Awkward text on purpose: colons, quotes, commas, a leading digit, non-ASCII and a fractional number.
EXTRA = """\
  - team: Platform
    id: 2027
    title: 'Reliability: "boring" releases, every week'
    key_results:
      - title: Raise deploys/week from 2.5 to 10 — without pager noise
        owner: U0CAROL
        baseline: 2.5
        target: 10
      - id: on-call
        title: Cut pages per week from 12 to 3
        owner: U0DAVE
        baseline: "12"
        target: 3
        unit: pages/week
"""
FILE = SAMPLE + EXTRA


def import_text(engine, tmp_path, text: str, name: str = "okrs.yaml") -> None:
    from bot.okr_files.importer import import_file

    with session_scope(engine) as s:
        import_file(write(tmp_path, text, name), session=s)


def add_checkin(session, kr_key: str, value: float, confidence: str, note: str, at: datetime) -> None:
    kr = session.exec(select(KeyResult).where(KeyResult.key == kr_key)).one()
    session.add(CheckIn(kr_id=kr.id, author_id=kr.owner_id, value=value, confidence=confidence, note=note,
                        created_at=at))


def test_yaml_round_trip_is_identical(engine, sqlite_engine, tmp_path):
    import_text(engine, tmp_path, FILE)
    with session_scope(engine) as s:
        first = export_yaml(session=s)

    import_text(sqlite_engine, tmp_path, first, "exported.yaml")
    with session_scope(sqlite_engine) as s:
        second = export_yaml(session=s)
    assert second == first

    original, exported = load_okr_text(FILE), load_okr_text(first)
    assert exported.cycle == original.cycle
    assert [t[:-1] for t in map(_fields, exported.teams)] == [t[:-1] for t in map(_fields, original.teams)]
    assert [(o.team, o.title, o.type) for o in exported.objectives] == [(o.team, o.title, o.type)
                                                                      for o in original.objectives]
    assert [(k.title, k.owner, k.baseline, k.target, k.unit) for o in exported.objectives for k in o.key_results] == \
           [(k.title, k.owner, k.baseline, k.target, k.unit) for o in original.objectives for k in o.key_results]


def _fields(spec) -> tuple:
    return tuple(getattr(spec, f) for f in spec.__dataclass_fields__)


def test_yaml_looks_like_the_import_format(engine, tmp_path):
    import_text(engine, tmp_path, FILE)
    with session_scope(engine) as s:
        text = export_yaml(session=s)
    assert text.startswith("cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}\nteams:\n  - name: Growth\n")
    assert '    checkin: {day: friday, time: "10:00"}\n' in text
    assert '    digest: {day: monday, time: "09:00"}\n' in text
    assert "    leads: [U0PLAT, W0BOSS]\n" in text
    # Integral numbers are ints; the objective id is the key (its title when the file had no id).
    assert "        baseline: 22\n        target: 35\n" in text
    assert "        baseline: 2.5\n" in text
    assert "    id: Keep the API fast and available\n" in text
    assert "    id: '2027'\n" in text
    assert "latest" not in text


def test_yaml_latest_checkin_and_archived_rows(engine, tmp_path):
    import_text(engine, tmp_path, FILE)
    berlin = timezone(timedelta(hours=1))
    with session_scope(engine) as s:
        add_checkin(s, "d7-activation", 24, "amber", "slow week", datetime(2026, 10, 9, 10, 0, tzinfo=UTC))
        add_checkin(s, "d7-activation", 26.5, "green", "new tour: shipped", datetime(2026, 10, 16, 11, 0, tzinfo=berlin))
        add_checkin(s, "p99", 700, "red", "", datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
        s.exec(select(KeyResult).where(KeyResult.key == "on-call")).one().archived_at = datetime(2026, 10, 20, tzinfo=UTC)
    with session_scope(engine) as s:
        text = export_yaml(session=s)
    okr = load_okr_text(text)  # still a valid import file with `latest` blocks in it
    assert [k.key for o in okr.objectives for k in o.key_results] == [
        "d7-activation", "Cut time to first dashboard from 3 days to 1 day", "p99",
        "Raise deploys/week from 2.5 to 10 — without pager noise"]
    assert ("      - id: d7-activation\n"
            "        ref: KR-1\n"
            "        title: Increase Day-7 activation rate from 22% to 35%\n"
            "        owner: U0ALICE\n"
            "        baseline: 22\n"
            "        target: 35\n"
            "        unit: '%'\n"
            "        latest:\n"
            "          value: 26.5\n"
            "          confidence: green\n"
            "          note: 'new tour: shipped'\n"
            "          at: 2026-10-16 10:00:00+00:00\n") in text
    assert "          value: 700\n          confidence: red\n          note: ''\n" in text

    with session_scope(engine) as s:
        s.exec(select(Objective).where(Objective.key == "onboarding")).one().archived_at = datetime(2026, 10, 21,
                                                                                                     tzinfo=UTC)
    with session_scope(engine) as s:
        text = export_yaml(session=s)
    assert "onboarding" not in text and "d7-activation" not in text
    load_okr_text(text)


def test_cycle_choice(engine, tmp_path):
    with session_scope(engine) as s:
        with pytest.raises(CycleNotFound, match="no cycles yet"):
            export_yaml(session=s)
    import_text(engine, tmp_path, FILE)
    earlier = FILE.replace("name: 2026-Q4, start: 2026-10-01, end: 2026-12-31",
                           "name: 2026-Q3, start: 2026-07-01, end: 2026-09-30")
    import_text(engine, tmp_path, earlier.replace("target: 35", "target: 33"), "q3.yaml")
    with session_scope(engine) as s:
        latest, q3 = export_yaml(session=s), export_yaml(session=s, cycle_name="2026-Q3")
        assert latest.startswith("cycle: {name: 2026-Q4,") and "target: 35\n" in latest
        assert q3.startswith("cycle: {name: 2026-Q3,") and "target: 33\n" in q3
        assert export_csv(session=s, cycle_name="2026-Q3").splitlines()[1].startswith("2026-Q3,Growth,onboarding,")
        with pytest.raises(CycleNotFound, match="no cycle named '2025-Q1'"):
            export_csv(session=s, cycle_name="2025-Q1")


def test_csv_one_row_per_kr_with_latest_checkin(engine, tmp_path):
    import_text(engine, tmp_path, FILE)
    with session_scope(engine) as s:
        add_checkin(s, "d7-activation", 30, "amber", "older", datetime(2026, 10, 16, 9, 0, tzinfo=UTC))
        add_checkin(s, "d7-activation", 24.5, "green", 'Tour shipped, "finally"\nmore next week',
                    datetime(2026, 10, 23, 9, 0, tzinfo=UTC))
        add_checkin(s, "d7-activation", 20, "red", "oldest", datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
        add_checkin(s, "on-call", 9, "green", "", datetime(2026, 10, 23, 8, 0, tzinfo=timezone(timedelta(hours=-5))))
    with session_scope(engine) as s:
        text = export_csv(session=s)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 1 + 5
    by_kr = {row[5]: dict(zip(CSV_HEADER, row)) for row in rows[1:]}
    assert len(by_kr) == 5

    d7 = by_kr["d7-activation"]
    assert d7 == {
        "cycle": "2026-Q4", "team": "Growth", "objective_id": "onboarding",
        "objective": "Make self-serve onboarding effortless for mid-market customers", "type": "aspirational",
        "kr_id": "d7-activation", "key_result": "Increase Day-7 activation rate from 22% to 35%", "owner": "U0ALICE",
        "baseline": "22", "target": "35", "unit": "%", "latest_value": "24.5", "confidence": "green",
        "checked_in_at": "2026-10-23T09:00:00+00:00", "note": 'Tour shipped, "finally"\nmore next week',
        "ref": "KR-1", "observed_value": "", "observed_at": "", "observed_origin": "",
        # Not graded yet: the end-of-cycle columns are empty.
        **{column: "" for column in CSV_HEADER[19:]},
    }
    on_call = by_kr["on-call"]
    assert (on_call["objective"], on_call["objective_id"]) == ('Reliability: "boring" releases, every week', "2027")
    assert (on_call["latest_value"], on_call["checked_in_at"], on_call["unit"]) == ("9", "2026-10-23T13:00:00+00:00",
                                                                                   "pages/week")
    p99 = by_kr["p99"]
    assert (p99["baseline"], p99["target"], p99["type"]) == ("800", "300", "committed")
    assert (p99["latest_value"], p99["confidence"], p99["checked_in_at"], p99["note"]) == ("", "", "", "")
    # Quoting keeps commas and quotes inside one field.
    assert '"Reliability: ""boring"" releases, every week"' in text

    with session_scope(engine) as s:
        s.exec(select(KeyResult).where(KeyResult.key == "p99")).one().archived_at = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        rows = list(csv.reader(io.StringIO(export_csv(session=s))))
    assert len(rows) == 1 + 4 and "p99" not in {row[5] for row in rows}


def test_the_ref_is_written_for_people_and_ignored_on_import(engine, tmp_path):
    import_text(engine, tmp_path, FILE)
    with session_scope(engine) as s:
        text = export_yaml(session=s)
        csv_rows = list(csv.reader(io.StringIO(export_csv(session=s))))
    assert "        ref: KR-2\n" in text
    assert [row[CSV_HEADER.index("ref")] for row in csv_rows] == ["ref", "KR-1", "KR-2", "KR-3", "KR-4", "KR-5"]
    # A file that says other refs changes none: okrbot assigns them, and a script relies on them staying put.
    import_text(engine, tmp_path, text.replace("ref: KR-1\n", "ref: KR-99\n"), "edited.yaml")
    with session_scope(engine) as s:
        assert export_yaml(session=s) == text


def test_the_latest_observed_value_is_exported_and_ignored_on_import(engine, tmp_path):
    from storage.models import ObservedValue
    from storage.observed import record_observed

    import_text(engine, tmp_path, FILE)
    at = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        kr = s.exec(select(KeyResult).where(KeyResult.key == "d7-activation")).one()
        for value, when in ((31.5, at), (30, at - timedelta(days=1))):
            record_observed(ObservedValue(kr_id=kr.id, value=value, observed_at=when, recorded_at=at, origin="api"),
                            session=s)
    with session_scope(engine) as s:
        text = export_yaml(session=s)
        rows = {row["kr_id"]: row for row in csv.DictReader(io.StringIO(export_csv(session=s)))}
    assert ("        observed:\n          value: 31.5\n          at: 2026-11-27 06:00:00+00:00\n"
            "          origin: api\n") in text
    assert (rows["d7-activation"]["observed_value"], rows["d7-activation"]["observed_at"],
            rows["d7-activation"]["observed_origin"]) == ("31.5", "2026-11-27T06:00:00+00:00", "api")
    assert rows["p99"]["observed_value"] == ""
    import_text(engine, tmp_path, text, "again.yaml")
    with session_scope(engine) as s:
        assert export_yaml(session=s) == text
