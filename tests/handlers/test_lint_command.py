"""`/okr lint [TEAM]` end to end: signed slash commands into the running app, answered ephemerally."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.rules.coach.table import CLEAN
from storage.models import Objective
from tests.conftest import FIXTURES

PLATFORM = FIXTURES / "coach_platform.yaml"


def lint(okr, text="lint", user="U0ALICE"):
    resp = okr.slack.command(user, text)
    assert resp.status == 200
    answer = resp.json()
    assert answer["response_type"] == "ephemeral"
    assert len(answer["text"]) <= 3000
    return answer["text"]


def test_growth_reads_well(okr):
    assert lint(okr, "lint Growth") == CLEAN
    assert lint(okr, "lint growth") == CLEAN  # team names are matched without regard to case
    assert okr.fake.calls_to("chat.postMessage") == []  # an answer to the caller only, nothing posted


def test_findings_for_a_badly_written_team(okr):
    okr.import_file(PLATFORM)
    text = lint(okr, "lint Platform")
    assert text.startswith("*Platform*: 6 notes")
    assert "*Objective:* Launch v2" in text and "*Objective:* Increase revenue to $2M" in text
    for rule in ("objective-is-task", "task-not-outcome", "vague-verb", "objective-is-number", "too-few-krs"):
        assert f"`{rule}`" in text
    # Slack mrkdwn: the hint's placeholders are escaped so Slack shows them instead of reading them as links.
    assert "Try: Increase &lt;metric&gt; from &lt;baseline&gt; to &lt;target&gt; by &lt;date&gt;" in text
    assert "“Ship AI dashboard in Q2” is a task or deliverable, not an outcome" in text


def test_a_missing_team_says_so_and_lists_the_teams(okr):
    okr.import_file(PLATFORM)
    text = lint(okr, "lint Grwoth")
    # The same sentence as every other command that names a team (answers.lookup.no_such_team).
    assert text == "There is no team called “Grwoth”. Did you mean *Growth*?\nTeams: Growth, Platform."


def test_without_a_team_the_callers_teams_else_all(okr):
    okr.import_file(PLATFORM)
    assert lint(okr, "lint", user="U0ALICE") == CLEAN  # Alice owns KRs in Growth only
    eve = lint(okr, "lint", user="U0EVE")  # Eve leads Platform
    assert eve.startswith("*Platform*: 6 notes") and "Growth" not in eve
    everyone = lint(okr, "lint", user="U0NOBODY")  # in no team: every team
    assert everyone.startswith(f"*Growth*: {CLEAN}\n\n*Platform*: 6 notes")


def test_only_live_okrs_count(okr):
    okr.import_file(PLATFORM)
    with okr.session() as s:
        for objective in s.exec(select(Objective).where(Objective.title == "Launch v2")):
            objective.archived_at = datetime(2026, 11, 1, tzinfo=UTC)
            s.add(objective)
    text = lint(okr, "lint Platform")
    assert "Launch v2" not in text and text.startswith("*Platform*: 3 notes")
    okr.clock.set(datetime(2027, 1, 15, 12, 0, tzinfo=UTC))  # after the cycle
    assert lint(okr, "lint Platform") == "*Platform* has no live OKRs right now."


def test_a_long_answer_is_cut_to_fit_and_says_how_much_is_left(okr, tmp_path):
    objectives = []
    for i in range(12):
        krs = "\n".join(f"""      - title: Launch the onboarding redesign part {i}-{j} for every mid-market customer segment
        owner: U0EVE
        baseline: 0
        target: 1""" for j in range(6))
        objectives.append(f"  - team: Platform\n    title: Ship release {i}\n    key_results:\n{krs}")
    path = tmp_path / "big.yaml"
    path.write_text("cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}\n"
                    "teams:\n  - {name: Platform, channel: C0PLATFORM}\nobjectives:\n" + "\n".join(objectives) + "\n")
    okr.import_file(path)
    text = lint(okr, "lint Platform")
    assert text.startswith("*Platform*: 109 notes")
    assert text.splitlines()[-1].startswith("…and ") and "more notes. Run `okrbot lint FILE.yaml`" in text


def test_help_mentions_lint(okr):
    assert "`/okr lint [TEAM]`" in lint(okr, "help")
