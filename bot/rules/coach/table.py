"""The coach's table of rules: what each applies to, when it fires, why it matters and how to rewrite.

Most OKRs fail by being written badly: a task dressed up as a key result, a number with nothing to compare it to,
an objective that is really a project. Each rule says what it applies to (an objective, a key result, or a team's
set for one cycle), when it fires, why it matters in one line, and how to rewrite, in the shape "verb of change +
metric + from X to Y + by when". Findings coach rather than block: they never stop an import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.rules.coach.subjects import (
    KRSubject,
    ObjectiveSubject,
    TeamSubject,
    kr_has_no_baseline,
    kr_has_no_number,
    kr_is_binary,
    kr_is_task,
    kr_is_vague,
    kr_repeats_weak,
    title_key,
    kr_target_equals_baseline,
    objective_is_number,
    objective_is_placeholder,
    objective_is_task,
)

KINDS = ("objective", "key_result", "team")
MIN_KRS, MAX_KRS, MAX_OBJECTIVES = 2, 5, 3
CLEAN = "No findings — these OKRs read well."
# Not a rule of the table: the id lint gives the problems that make `okrbot import` refuse a file.
INVALID = "invalid"


@dataclass(frozen=True)
class Finding:
    """One coaching note: what it is about (kind, title), which rule, why (message) and how to rewrite (hint)."""

    kind: str
    title: str
    rule: str
    message: str
    hint: str
    # Where it was found, for grouping findings in the plain and Slack formats; not part of the JSON shape.
    team: str = field(default="", kw_only=True)
    objective: str = field(default="", kw_only=True)
    line: int | None = field(default=None, kw_only=True)

    def as_dict(self) -> dict[str, str]:
        """The JSON shape: kind, title, rule, message and hint."""
        return {"kind": self.kind, "title": self.title, "rule": self.rule, "message": self.message, "hint": self.hint}




@dataclass(frozen=True)
class Rule:
    """One coaching rule; `reason` and `hint` are format strings over the subject `s`."""

    id: str
    applies_to: str
    check: Callable[[Any], bool]
    reason: str
    hint: str
    # Rules that, when they fire on the same thing, already say what this one would (a task has no number either).
    unless: tuple[str, ...] = ()

    def finding(self, s: Any) -> Finding:
        """This rule's finding about the subject `s`."""
        objective = s.objective if s.kind == "key_result" else s.title if s.kind == "objective" else ""
        return Finding(s.kind, s.title, self.id, self.reason.format(s=s), self.hint.format(s=s),
                       team=getattr(s, "team", "") if s.kind != "team" else s.title, objective=objective,
                       line=s.line)


_KR_SHAPE = "Try: {s.change_verb} <metric> from <baseline> to <target> by <date>"

RULES: tuple[Rule, ...] = (
    Rule("task-not-outcome", "key_result", kr_is_task,
         "“{s.title}” is a task or deliverable, not an outcome: getting it done says nothing about what changed "
         "for customers or the business.",
         "Ask what this work should change, and measure that; the work itself belongs in the plan. " + _KR_SHAPE
         + ", e.g. the rate or time this work is meant to move."),
    Rule("binary-target", "key_result", kr_is_binary,
         "“{s.title}” goes from 0 to 1: a yes/no milestone scores nothing until the last day, so weekly "
         "check-ins cannot show progress.",
         "Measure what the milestone is for. " + _KR_SHAPE + ".",
         unless=("task-not-outcome",)),
    Rule("vague-verb", "key_result", kr_is_vague,
         "“{s.vague}” says which way, not how far: the title “{s.title}” has no number, and the title is what "
         "people read in Slack, so it must name the metric and the move.",
         "Name the metric and both ends in the title. Try: {s.rewrite} by <date>.",
         unless=("task-not-outcome", "binary-target")),
    Rule("no-number", "key_result", kr_has_no_number,
         "“{s.title}” has no number and no target, so nobody can say at the end of the cycle whether it was met.",
         "Name the metric and how far it should move. " + _KR_SHAPE + ".",
         unless=("task-not-outcome", "vague-verb")),
    Rule("no-baseline", "key_result", kr_has_no_baseline,
         "“{s.title}” has a target but no starting point: without a baseline nobody can tell how big the change is, "
         "or score the progress made.",
         "Add today's value. Try: {s.change_verb} <metric> from <today's value> to {s.target_text} by <date>.",
         unless=("task-not-outcome", "vague-verb", "binary-target")),
    Rule("target-equals-baseline", "key_result", kr_target_equals_baseline,
         "“{s.title}” starts and ends at {s.baseline_text}: with no change to make there is no progress to measure.",
         "Set the level you want to reach. Try: {s.change_verb} <metric> from {s.baseline_text} to <new target> "
         "by <date>. A level you only need to hold is a health metric, not a key result."),
    Rule("repeats-weak-kr", "key_result", kr_repeats_weak,
         "“{s.title}” is last cycle's key result word for word, and it was graded {s.last_grade:.2f}: written again "
         "unchanged, it is likely to end the same way.",
         "Use what the retrospective taught: change the lever, the metric or the size of the step, or carry it "
         "over from the grading so it starts from where it ended."),
    Rule("objective-is-task", "objective", objective_is_task,
         "“{s.title}” reads like a task or project: an objective says what the team wants to be true, and why "
         "it matters.",
         "Name the change the work is for and leave the work to the plan. Try: Make <who> <better off, how>, e.g. "
         "“Make self-serve onboarding effortless for mid-market customers”, measured by key results like "
         "Increase <metric> from <baseline> to <target> by <date>."),
    Rule("objective-is-placeholder", "objective", objective_is_placeholder,
         "“{s.title}” is a heading or a bucket, not a direction: nobody can tell from it what the team wants to be "
         "true at the end of the cycle.",
         "Say what should be different and for whom. Try: Make <who> <better off, how>, e.g. “Make self-serve "
         "onboarding effortless for mid-market customers”, and group the key results that show it."),
    Rule("objective-is-number", "objective", objective_is_number,
         "“{s.title}” is a number, not a direction: numbers belong in the key results, the objective says what "
         "you want and why.",
         "Move the number into a key result (Increase <metric> from <baseline> to <target> by <date>) and say in "
         "the objective what it stands for, e.g. “Become the obvious choice for mid-market teams”.",
         unless=("objective-is-placeholder",)),
    Rule("too-few-krs", "objective", lambda o: o.key_results is not None and o.kr_count < MIN_KRS,
         "“{s.title}” has {s.kr_count_text}: one number alone is easy to hit while missing the point; "
         f"{MIN_KRS} to {MAX_KRS} key results give a rounded picture.",
         "Add a key result for another side of the same outcome, such as quality next to quantity. "
         "Try: Increase <metric> from <baseline> to <target> by <date>."),
    Rule("too-many-krs", "objective", lambda o: o.key_results is not None and o.kr_count > MAX_KRS,
         "“{s.title}” has {s.kr_count_text}: more than " f"{MAX_KRS}" " spreads attention thin and usually "
         "mixes in tasks.",
         f"Keep the {MAX_KRS} or fewer that best show the outcome; move the rest to the team's plan or its health "
         "metrics."),
    Rule("too-many-objectives", "team", lambda t: t.count > MAX_OBJECTIVES,
         "{s.title} has {s.count} objectives{s.in_cycle}: with more than " f"{MAX_OBJECTIVES}" ", none of them "
         "is really a priority.",
         f"Pick the {MAX_OBJECTIVES} that matter most this cycle; run the others as business as usual or park them "
         "for the next cycle."),
)


def apply(subject: Any) -> list[Finding]:
    fired = [rule for rule in RULES if rule.applies_to == subject.kind and rule.check(subject)]
    ids = {rule.id for rule in fired}
    return [rule.finding(subject) for rule in fired if not ids.intersection(rule.unless)]


def check_key_result(title: str, *, baseline: float | None = None, target: float | None = None,
                     unit: str | None = None) -> list[Finding]:
    """Coaching findings for one key result: from its title alone, or with baseline, target and unit when known."""
    # Findings are one line each; a unit typed with line breaks must not break them.
    unit = " ".join(unit.split()) if unit else unit
    return apply(KRSubject(title, baseline, target, unit))


def check_objective(title: str) -> list[Finding]:
    """Coaching findings for one objective's title (the KR-count rules need lint_okr_set or lint_team)."""
    return apply(ObjectiveSubject(title))


def check_draft(title: str, key_results: Sequence[tuple[str, float | None, float | None, str | None]], *,
                team: str = "", cycle: str = "", other_objectives: Sequence[str] = (),
                weak_last_cycle: Mapping[str, float] | None = None) -> list[Finding]:
    """Findings for one objective as written in a form: the team's objective count with it, its title, KR count and KRs.

    `key_results` are (title, baseline, target, unit); `other_objectives` are the titles of the team's other live
    objectives in the same cycle, which count towards too-many-objectives but are not coached themselves;
    `weak_last_cycle` maps the titles of the team's last-cycle KRs graded below 0.3 to their grades.
    """
    weak = {title_key(t): grade for t, grade in (weak_last_cycle or {}).items()}
    objective = ObjectiveSubject(title, tuple(KRSubject(t, b, g, u, team, title, last_grade=weak.get(title_key(t)))
                                              for t, b, g, u in key_results), team, cycle)
    others = tuple(ObjectiveSubject(other, None, team, cycle) for other in other_objectives)
    findings = apply(TeamSubject(team, cycle, (*others, objective)))
    findings += apply(objective)
    for kr in objective.key_results or ():
        if kr.title:
            findings += apply(kr)
    return findings


def lint_subjects(objectives: Sequence[ObjectiveSubject]) -> list[Finding]:
    """Team, objective and KR findings, team by team in order of appearance, each objective followed by its KRs."""
    by_team: dict[tuple[str, str], list[ObjectiveSubject]] = defaultdict(list)
    for objective in objectives:
        by_team[objective.team, objective.cycle].append(objective)
    findings: list[Finding] = []
    for (team, cycle), group in by_team.items():
        findings += apply(TeamSubject(team, cycle, tuple(group), group[0].line))
        for objective in group:
            if objective.title:
                findings += apply(objective)
            for kr in objective.key_results or ():
                if kr.title:
                    findings += apply(kr)
    return findings



@dataclass
class FindingGroup:
    """Findings that read best under one heading: the file's problems, a team, or an objective."""

    kind: str
    team: str
    objective: str
    findings: list[Finding]

    @property
    def line(self) -> int | None:
        return next((f.line for f in self.findings if f.kind == "objective" and f.rule != INVALID), None)


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    groups: dict[tuple[str, str, str], FindingGroup] = {}
    for f in findings:
        if f.kind == "file" or (f.kind == "team" and f.rule == INVALID):
            key = ("file", "", "")
        elif f.kind == "team":
            key = ("team", f.team, "")
        else:
            key = ("objective", f.team, f.objective)
        groups.setdefault(key, FindingGroup(*key, [])).findings.append(f)
    return list(groups.values())

