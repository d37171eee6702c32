"""Export of a graded cycle: each KR's grade and evidence, the retrospective, and a file that still re-imports."""

import csv
import io

import yaml

from bot.okr_files.checker import load_okr_text
from bot.okr_files.exporter import CSV_HEADER, export_csv, export_yaml
from bot.slack import ids
from tests.authoring_flows import last_opened, state_of, submit_view
from tests.flows import at
from tests.quarter_flows import end_growth_cycle, grading_fields


def _grade(okr, grade="0.9", change="Write KRs from the funnel data"):
    okr.clock.set(at("2026-11-27T10:00"))
    assert okr.slack.command("U0LEAD", "grade Growth 2026-Q4").status == 200
    view = last_opened(okr)
    submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(
        okr, grades={"d7-activation": grade}, evidence={"d7-activation": "Cohort data shows 33%"},
        decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.DROP_VALUE}, change=change, worked="Weekly check-ins")))


def test_yaml_export_of_a_graded_cycle_has_grades_evidence_and_the_retrospective(okr):
    end_growth_cycle(okr)
    _grade(okr, "0.8", change="First try")
    _grade(okr)
    with okr.session() as s:
        text = export_yaml(session=s, cycle_name="2026-Q4")
    doc = yaml.safe_load(text)
    krs = {kr["id"]: kr for o in doc["objectives"] for kr in o["key_results"]}
    assert krs["d7-activation"]["grade"] == {"value": 0.9, "computed": 0.6154, "evidence": "Cohort data shows 33%",
                                             "next": "carry"}
    assert krs["ttfv"]["grade"]["next"] == "done" and krs["wau"]["grade"]["next"] == "drop"
    (retro,) = doc["retrospectives"]
    assert retro["team"] == "Growth" and retro["what_we_change"] == "Write KRs from the funnel data"
    assert retro["what_worked"] == "Weekly check-ins" and retro["earlier_gradings"] == 1
    # The export re-imports: grades and retrospectives are ignored like `latest`.
    assert len(load_okr_text(text, "export.yaml").objectives) == 1


def test_csv_export_of_a_graded_cycle(okr):
    end_growth_cycle(okr)
    _grade(okr)
    with okr.session() as s:
        rows = list(csv.DictReader(io.StringIO(export_csv(session=s, cycle_name="2026-Q4")), fieldnames=CSV_HEADER))
    d7 = next(r for r in rows[1:] if r["kr_id"] == "d7-activation")
    assert (d7["grade"], d7["computed_score"], d7["evidence"], d7["next_cycle"]) == (
        "0.9", "0.6154", "Cohort data shows 33%", "carry")
    assert d7["graded_by"] == "U0LEAD" and d7["what_we_change"] == "Write KRs from the funnel data"
