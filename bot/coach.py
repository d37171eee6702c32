"""The KR quality coach: reads objectives and key results the way a good OKR coach would, as a table of rules.

Most OKRs fail by being written badly: a task dressed up as a key result, a number with nothing to compare it to,
an objective that is really a project. Each rule below says what it applies to (an objective, a key result, or a
team's set for one cycle), when it fires, why it matters in one line, and how to rewrite, in the shape
"verb of change + metric + from X to Y + by when". The checks are wording heuristics (the leading verb, the numbers,
a few tell-tale phrases), so findings coach rather than block: they never stop an import.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from bot.blocks import SECTION_CHARS, escape
from bot.importer import OkrFileError, OkrSet, Problem, read_okr_file
from bot.values import format_value
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead

__all__ = [
    "CLEAN",
    "KINDS",
    "RULES",
    "Finding",
    "Rule",
    "check_draft",
    "check_key_result",
    "check_objective",
    "format_json",
    "format_plain",
    "format_warnings",
    "lint_command",
    "lint_file",
    "lint_okr_set",
    "lint_team",
]

KINDS = ("objective", "key_result", "team")
MIN_KRS, MAX_KRS, MAX_OBJECTIVES = 2, 5, 3
PLAIN_WIDTH = 100
# Team names listed when a name is not found: 30 names of up to 80 characters stay inside one Slack section.
MAX_LISTED = 30
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


# --------------------------------------------------------------------------- vocabulary

_DOUBLED = {"ship", "run", "set", "plan", "cut", "drop", "put", "map", "begin", "get", "slash"}
_IRREGULAR = {"run": ("ran",), "write": ("wrote", "written"), "build": ("built",), "rebuild": ("rebuilt",),
              "send": ("sent",), "begin": ("began", "begun"), "hold": ("held",), "make": ("made",),
              "rewrite": ("rewrote", "rewritten"), "bring": ("brought",), "win": ("won",), "get": ("got",),
              "sell": ("sold",), "keep": ("kept",)}


def _forms(verb: str) -> set[str]:
    """The verb with its -s, -ed and -ing forms ("ship": ships, shipped, shipping); only a phrase's first word bends."""
    head, _, rest = verb.partition(" ")
    tail = f" {rest}" if rest else ""
    if head.endswith("e") and not head.endswith("ee"):
        bent = {head + "s", head + "d", head[:-1] + "ing"}
    elif head.endswith("y") and head[-2] not in "aeiou":
        bent = {head[:-1] + "ies", head[:-1] + "ied", head + "ing"}
    elif head in _DOUBLED:
        bent = {head + ("es" if head.endswith("sh") else "s"), head + head[-1] + "ed", head + head[-1] + "ing"}
    elif head.endswith(("s", "sh", "ch", "x", "z")):
        bent = {head + "es", head + "ed", head + "ing"}
    else:
        bent = {head + "s", head + "ed", head + "ing"}
    return {form + tail for form in {head, *bent, *_IRREGULAR.get(head, ())}}


def _verb_table(verbs: Iterable[str]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern matching any form of these verbs at the start of a text, and each form's base verb."""
    base = {form: verb for verb in verbs for form in _forms(verb)}
    # Longest first, so "set up" wins over "set" and "map out" over "map".
    alternation = "|".join(re.escape(form) for form in sorted(base, key=len, reverse=True))
    return re.compile(rf"^(?:{alternation})(?![\w-])"), base


# Work to be done: its completion says nothing about what changed.
_TASK_VERBS = (
    "launch", "ship", "conduct", "complete", "build", "implement", "create", "hire", "migrate", "publish", "run",
    "write", "release", "deliver", "finish", "set up", "roll out", "design", "develop", "introduce", "organize",
    "organise", "host", "send", "deploy", "document", "define", "draft", "prepare", "plan", "establish", "start",
    "begin", "kick off", "integrate", "redesign", "refactor", "rewrite", "update", "upgrade", "install",
    "configure", "fix", "attend", "perform", "carry out", "put in place", "test", "pilot", "train", "interview",
    "audit", "research", "analyze", "analyse", "evaluate", "assess", "review", "identify", "explore",
    "investigate", "map", "map out", "translate", "localize", "localise", "finalize", "finalise", "automate",
    "replace", "rebuild", "revamp", "overhaul", "refresh", "clean up", "add", "do",
)
# "Add 500 paying customers" is a result; "Add SSO" is a task: add counts as a task verb only before a non-number.
_TASK_UNLESS_AMOUNT = {"add"}
# For objectives these are tasks outright; the softer verbs below only when they name an artifact to produce.
_OBJECTIVE_TASK_VERBS = (
    "launch", "ship", "update", "implement", "migrate", "release", "complete", "finish", "redesign",
    "rewrite", "refactor", "hire", "publish", "set up", "roll out", "integrate", "deploy", "add", "fix", "upgrade",
    "install", "configure", "write", "conduct", "replace", "revamp", "overhaul", "document", "draft", "prepare",
    "plan", "kick off", "introduce", "pilot", "move to", "switch to", "go live with", "finalize", "finalise",
)
_SOFT_VERBS = ("build", "create", "develop", "design", "establish", "start", "rebuild", "define", "run", "deliver")
_ARTIFACTS = (
    r"dashboards?|features?|pages?|website|site|apps?|application|tools?|api|apis|integrations?|reports?|flows?|"
    r"system|version|module|pipeline|prototype|mvp|database|backend|frontend|service|portal|sdk|plugin|extension|"
    r"widget|wiki|playbook|process|documentation|docs|roadmap|strategy|plan|program|programme|v\d+"
)
# Verbs of a result; an activity count after one of these ("Reach 500 attendees") is the result itself.
_OUTCOME_VERBS = (
    "increase", "grow", "raise", "boost", "lift", "improve", "reduce", "decrease", "cut", "lower", "drop", "shrink",
    "reach", "achieve", "hit", "attain", "maintain", "keep", "sustain", "double", "triple", "halve", "convert",
    "retain", "acquire", "win", "sign", "generate", "close", "save", "expand", "get", "move", "bring", "earn",
    "sell", "exceed", "slash", "shorten", "accelerate", "speed up", "eliminate",
)
# Verbs that promise a change from somewhere, so they need a starting point to mean anything.
_CHANGE_VERBS = (
    "increase", "grow", "raise", "boost", "lift", "improve", "reduce", "decrease", "cut", "lower", "drop",
    "shrink", "double", "triple", "halve", "expand", "move", "bring", "slash", "shorten", "accelerate", "speed up",
)
_DECREASE_VERBS = {"reduce", "decrease", "cut", "lower", "drop", "shrink", "halve", "slash", "shorten"}

_TASK_LEAD, _TASK_BASE = _verb_table(_TASK_VERBS)
_OBJECTIVE_TASK_LEAD, _ = _verb_table(_OBJECTIVE_TASK_VERBS)
_SOFT_LEAD, _ = _verb_table(_SOFT_VERBS)
_OUTCOME_LEAD, _OUTCOME_BASE = _verb_table(_OUTCOME_VERBS)
_CHANGE_LEAD, _CHANGE_BASE = _verb_table(_CHANGE_VERBS)

# "Release frequency", "Test coverage", "Run rate": a task verb used as the first word of a metric's name.
_METRIC_NOUN_AFTER_VERB = re.compile(
    r"^\S+(?:\s+up|\s+out)?[\s-]+(?:rates?|times?|frequency|latency|speed|velocity|success|failures?|duration|"
    r"cadence|volume|count|size|quality|costs?|throughput|coverage|pass|errors?|reliability|adoption|conversion|"
    r"lead time|cycle time)\b")
_SOFT_ARTIFACT = re.compile(rf"^\S+(?:\s+\S+){{0,5}}?\s+(?:{_ARTIFACTS})(?![\w-])")
# "New onboarding flow live by March 1", "Migration complete": a deliverable with a finish line, not a measure.
_END_STATE = re.compile(
    r"\b(?:live|launched|shipped|released|delivered|done|complete|completed|finished|in place|"
    r"rolled out|signed off|approved|published|implemented|built|deployed|migrated|up and running)(?:\s+(?:by|in|before|on|for|at|to|across|within)\b.*)?$")
_DELIVERABLE_LEAD = re.compile(
    r"^(?:the\s+|a\s+|an\s+)?(?:launch|delivery|completion|implementation|migration|rollout|roll-out|release|"
    r"creation|development|publication|introduction|redesign|rewrite|go-live|kick-?off)\s+(?:of|to|for)\b")
_DELIVERABLE_TAIL = re.compile(r"\b(?:launch|rollout|roll-out|release|migration|redesign|rewrite|go-live)$")
# "Conduct 20 customer interviews": a count of things done is output, not outcome.
_ACTIVITY_COUNT = re.compile(
    r"(?<![\w.])\d[\d,]*\+?\s+(?:[a-z][\w-]*\s+){0,2}?(?:interviews?|calls?|meetings?|workshops?|webinars?|"
    r"blog posts?|posts?|articles?|sessions?|events?|presentations?|trainings?|newsletters?|conferences?|surveys?|"
    r"experiments?|campaigns?|emails?|videos?|case studies|talks?|meetups?|hackathons?)\b")

_AMOUNT = r"[$€£]?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|k|m|bn)(?![a-z]))?"
# A number that measures something: not an identifier such as v2, Q3, p95, #1, 24/7, Day-7 or a year.
_NUMBER = re.compile(
    r"[$€£¥]\s?\d"
    r"|(?<![\w#./-])(?!20\d\d(?![\d%.,]|\s?(?:k|m|bn|x)\b))\d[\d,]*(?:\.\d+)?(?:\s?(?:%|k|m|bn|x)(?![a-z]))?(?![\w/-])")
_NUMBER_WORDS = re.compile(
    r"(?<![\w-])(?:zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|percent|double|doubled|triple|tripled|halve|halved|twice|tenfold|"
    r"(?:by|in)\s+half)(?![\w-])(?!\s+down)")
_MULTIPLIER_WORDS = re.compile(r"(?<![\w-])(?:double|doubled|triple|tripled|halve|halved|tenfold)(?![\w-])(?!\s+down)")
_FROM_TO = re.compile(
    rf"\bfrom\s+(?:~|about\s+|around\s+)?(?P<a>{_AMOUNT})(?:\s*[a-z/]+){{0,3}}?\s+to\s+(?:~|about\s+)?(?P<b>{_AMOUNT})")
_ARROW = re.compile(rf"(?P<a>{_AMOUNT})\s*(?:[a-z/]+\s*)?(?:→|->|=>)\s*(?P<b>{_AMOUNT})")
_HAS_BASELINE = re.compile(r"\bfrom\s+(?:~|about\s+|around\s+)?[$€£]?\s?\d|\bbaseline\b|\bvs\.?\s+[$€£]?\d")
_RELATIVE = re.compile(
    r"\bby\s+[$€£]?\d[\d,.]*\s?(?:%|percent\b|pp\b|points?\b|x\b)"
    r"|\b\d[\d,.]*\s?(?:%|x)\s+(?:more|fewer|less|higher|lower|faster|slower|increase|decrease|reduction|growth|"
    r"improvement|uplift|lift|drop)\b"
    r"|\b(?:up|down)\s+\d[\d,.]*\s?%"
    r"|\b(?:double|doubled|doubling|triple|tripled|halve|halved|halving|twice)\b|\b\d+x\b|\b(?:by|in)\s+half\b")
_TARGET_IN_TITLE = re.compile(rf"\b(?:to|at|below|under|above|over)\s+(?P<t>{_AMOUNT})", re.I)
_VAGUE = re.compile(
    r"\b(improv(?:e|es|ed|ing|ement|ements)|enhanc(?:e|es|ed|ing|ement)|optimi[sz](?:e|es|ed|ing|ation)|better|"
    r"boost(?:s|ed|ing)?|maximi[sz](?:e|es|ed|ing)|minimi[sz](?:e|es|ed|ing)|streamlin(?:e|es|ed|ing)|"
    r"strengthen(?:s|ed|ing)?|significantly|substantially|dramatically|greatly|drastically|meaningfully|"
    r"considerably|a lot)\b", re.I)
_BINARY_UNITS = {"", "done", "yes", "yes/no", "launched", "shipped", "complete", "completed", "binary", "bool",
                 "boolean", "milestone"}

# "KR2: ", "O1 -", "- ", "1. ", "We will ", "To ": wrapping that hides the leading verb.
_NOISE = re.compile(
    r"^(?:(?:kr|okr|o|objective|key\s+result)\s*\d*\s*[:.)\-–—]\s*"
    r"|[-*•·]\s*|\d+\s*[.)]\s+"
    r"|(?:we|i|the\s+team|team)\s+(?:will|shall|must|should|are\s+going\s+to|plan\s+to|want\s+to|need\s+to)\s+"
    r"|(?:to|will|must|should)\s+)")


def _normalize(title: str) -> str:
    """Lower case, plain quotes and dashes, one space, no list markers or "We will" in front, no final stop."""
    text = title.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    text = " ".join(text.split())
    while (match := _NOISE.match(text)) and match.end() > 0:
        text = text[match.end():]
    return text.rstrip(" .!;:")


def _amount(text: str) -> float | None:
    """A number written in a title ("$1.2m", "22%", "3,400") as a float, for comparing the two ends of a KR."""
    match = re.fullmatch(r"[$€£]?\s?(\d[\d,]*(?:\.\d+)?)\s?(%|k|m|bn)?", text.strip().lower())
    if match is None:
        return None
    scale = {"k": 1e3, "m": 1e6, "bn": 1e9}.get(match[2] or "", 1.0)
    return float(match[1].replace(",", "")) * scale


def _lead(pattern: re.Pattern[str], base: dict[str, str] | None, text: str) -> str:
    match = pattern.match(text)
    if match is None:
        return ""
    return base[match.group(0)] if base is not None else match.group(0)


# --------------------------------------------------------------------------- what the rules look at


@dataclass
class _KeyResult:
    """A key result as the rules see it: a title, and the numbers when they are known."""

    title: str
    baseline: float | None = None
    target: float | None = None
    unit: str | None = None
    team: str = ""
    objective: str = ""
    line: int | None = None
    path: str = ""

    kind = "key_result"

    def __post_init__(self) -> None:
        # A title pasted with line breaks still makes a one-line finding.
        self.title = " ".join(self.title.split())
        self.objective = " ".join(self.objective.split())

    @cached_property
    def text(self) -> str:
        return _normalize(self.title)

    @cached_property
    def from_to(self) -> tuple[str, str] | None:
        match = _FROM_TO.search(self.text) or _ARROW.search(self.text)
        return (match["a"].strip(), match["b"].strip()) if match else None

    @cached_property
    def has_number(self) -> bool:
        return bool(_NUMBER.search(self.text) or _NUMBER_WORDS.search(self.text))

    @cached_property
    def has_baseline(self) -> bool:
        return self.baseline is not None or bool(_HAS_BASELINE.search(self.text) or _ARROW.search(self.text))

    @cached_property
    def vague(self) -> str:
        # Quoted as written ("Better", "optimise"), so the finding reads back the person's own words.
        match = _VAGUE.search(self.title)
        return match.group(0) if match else ""

    @property
    def change_verb(self) -> str:
        """Increase or Reduce, whichever way this KR points, for the rewrite hint."""
        lead = _lead(_CHANGE_LEAD, _CHANGE_BASE, self.text)
        ends = self.from_to and (_amount(self.from_to[0]), _amount(self.from_to[1]))
        falling = (lead in _DECREASE_VERBS
                   or (self.baseline is not None and self.target is not None and self.target < self.baseline)
                   or bool(ends and None not in ends and ends[1] < ends[0]))
        return "Reduce" if falling else "Increase"

    @property
    def target_text(self) -> str:
        if self.target is not None:
            return format_value(self.target, self.unit or "")
        match = _TARGET_IN_TITLE.search(self.title)
        return match["t"].strip() if match else "<target>"

    @property
    def baseline_text(self) -> str:
        if self.baseline is not None:
            return format_value(self.baseline, self.unit or "")
        return self.from_to[0] if self.from_to else "<baseline>"


@dataclass
class _Objective:
    """An objective as the rules see it; `key_results` is None when only the title is known."""

    title: str
    key_results: tuple[_KeyResult, ...] | None = None
    team: str = ""
    cycle: str = ""
    line: int | None = None
    path: str = ""

    kind = "objective"

    def __post_init__(self) -> None:
        self.title = " ".join(self.title.split())

    @cached_property
    def text(self) -> str:
        return _normalize(self.title)

    @property
    def kr_count(self) -> int:
        return len(self.key_results or ())

    @property
    def kr_count_text(self) -> str:
        n = self.kr_count
        return "no key results" if n == 0 else f"{n} key result" if n == 1 else f"{n} key results"


@dataclass
class _Team:
    """One team's objectives in one cycle."""

    title: str
    cycle: str
    objectives: tuple[_Objective, ...]
    line: int | None = None

    kind = "team"

    def __post_init__(self) -> None:
        self.title = " ".join(self.title.split())

    @property
    def count(self) -> int:
        return len(self.objectives)

    @property
    def in_cycle(self) -> str:
        return f" in {self.cycle}" if self.cycle else ""


# --------------------------------------------------------------------------- checks


def _kr_is_task(kr: _KeyResult) -> bool:
    text = kr.text
    if kr.from_to:
        # A from-to measure is an outcome even when its metric starts with a verb ("Release frequency from 2 to 8").
        return False
    verb = _lead(_TASK_LEAD, _TASK_BASE, text)
    if verb and not _METRIC_NOUN_AFTER_VERB.match(text):
        if verb not in _TASK_UNLESS_AMOUNT or not re.match(rf"^\S+\s+{_AMOUNT}(?![\w/-])", text):
            return True
    if _DELIVERABLE_LEAD.match(text):
        return True
    if _lead(_OUTCOME_LEAD, None, text):
        # "Grow weekly active teams to 500 by the time v2 is live": the result comes first, the rest is context.
        return False
    return bool((_END_STATE.search(text) and "%" not in text) or _ACTIVITY_COUNT.search(text))


def _kr_is_binary(kr: _KeyResult) -> bool:
    return kr.baseline == 0 and kr.target == 1 and (kr.unit or "").strip().lower() in _BINARY_UNITS


def _kr_has_no_number(kr: _KeyResult) -> bool:
    return not kr.has_number and kr.target is None


def _kr_is_vague(kr: _KeyResult) -> bool:
    return bool(kr.vague) and not kr.has_number and kr.target is None


def _kr_has_no_baseline(kr: _KeyResult) -> bool:
    if kr.has_baseline:
        return False
    if kr.target is not None:
        return True
    # "Reach 40% weekly active usage" is a level to reach, fine on its own; "Increase sign-ups by 20%" or
    # "Reduce churn to 2%" promise a change, which means nothing without the starting point.
    changes = bool(_lead(_CHANGE_LEAD, None, kr.text)) and kr.has_number
    return changes or bool(_RELATIVE.search(kr.text))


def _kr_target_equals_baseline(kr: _KeyResult) -> bool:
    if kr.baseline is not None and kr.target is not None:
        return kr.baseline == kr.target
    if kr.from_to:
        start, end = (_amount(v) for v in kr.from_to)
        return start is not None and start == end
    return False


def _objective_is_task(o: _Objective) -> bool:
    text = o.text
    if _OBJECTIVE_TASK_LEAD.match(text) or (_SOFT_LEAD.match(text) and _SOFT_ARTIFACT.match(text)):
        return True
    if _DELIVERABLE_LEAD.match(text) or _DELIVERABLE_TAIL.search(text):
        return True
    return bool(_END_STATE.search(text)) and not _lead(_OUTCOME_LEAD, None, text)


def _objective_is_number(o: _Objective) -> bool:
    # Spelled counts ("Win two new markets") can be a fine direction; amounts and multipliers are targets.
    return bool(_NUMBER.search(o.text) or _MULTIPLIER_WORDS.search(o.text))


# --------------------------------------------------------------------------- the rules


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
    Rule("task-not-outcome", "key_result", _kr_is_task,
         "“{s.title}” is a task or deliverable, not an outcome: getting it done says nothing about what changed "
         "for customers or the business.",
         "Ask what this work should change, and measure that; the work itself belongs in the plan. " + _KR_SHAPE
         + ", e.g. the rate or time this work is meant to move."),
    Rule("binary-target", "key_result", _kr_is_binary,
         "“{s.title}” goes from 0 to 1: a yes/no milestone scores nothing until the last day, so weekly "
         "check-ins cannot show progress.",
         "Measure what the milestone is for. " + _KR_SHAPE + ".",
         unless=("task-not-outcome",)),
    Rule("vague-verb", "key_result", _kr_is_vague,
         "“{s.vague}” says which way, not how far: “{s.title}” has no number, so nobody can say at the end of the "
         "cycle whether it was met.",
         "Replace “{s.vague}” with the metric and both ends. " + _KR_SHAPE + ".",
         unless=("task-not-outcome",)),
    Rule("no-number", "key_result", _kr_has_no_number,
         "“{s.title}” has no number and no target, so nobody can say at the end of the cycle whether it was met.",
         "Name the metric and how far it should move. " + _KR_SHAPE + ".",
         unless=("task-not-outcome", "vague-verb")),
    Rule("no-baseline", "key_result", _kr_has_no_baseline,
         "“{s.title}” has a target but no starting point: without a baseline nobody can tell how big the change is, "
         "or score the progress made.",
         "Add today's value. Try: {s.change_verb} <metric> from <today's value> to {s.target_text} by <date>.",
         unless=("task-not-outcome",)),
    Rule("target-equals-baseline", "key_result", _kr_target_equals_baseline,
         "“{s.title}” starts and ends at {s.baseline_text}: with no change to make there is no progress to measure.",
         "Set the level you want to reach. Try: {s.change_verb} <metric> from {s.baseline_text} to <new target> "
         "by <date>. A level you only need to hold is a health metric, not a key result."),
    Rule("objective-is-task", "objective", _objective_is_task,
         "“{s.title}” reads like a task or project: an objective says what the team wants to be true, and why "
         "it matters.",
         "Name the change the work is for and leave the work to the plan. Try: Make <who> <better off, how>, e.g. "
         "“Make self-serve onboarding effortless for mid-market customers”, measured by key results like "
         "Increase <metric> from <baseline> to <target> by <date>."),
    Rule("objective-is-number", "objective", _objective_is_number,
         "“{s.title}” is a number, not a direction: numbers belong in the key results, the objective says what "
         "you want and why.",
         "Move the number into a key result (Increase <metric> from <baseline> to <target> by <date>) and say in "
         "the objective what it stands for, e.g. “Become the obvious choice for mid-market teams”."),
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


def _apply(subject: Any) -> list[Finding]:
    fired = [rule for rule in RULES if rule.applies_to == subject.kind and rule.check(subject)]
    ids = {rule.id for rule in fired}
    return [rule.finding(subject) for rule in fired if not ids.intersection(rule.unless)]


# --------------------------------------------------------------------------- public checks


def check_key_result(title: str, *, baseline: float | None = None, target: float | None = None,
                     unit: str | None = None) -> list[Finding]:
    """Coaching findings for one key result: from its title alone, or with baseline, target and unit when known."""
    # Findings are one line each; a unit typed with line breaks must not break them.
    unit = " ".join(unit.split()) if unit else unit
    return _apply(_KeyResult(title, baseline, target, unit))


def check_objective(title: str) -> list[Finding]:
    """Coaching findings for one objective's title (the KR-count rules need lint_okr_set or lint_team)."""
    return _apply(_Objective(title))


def check_draft(title: str, key_results: Sequence[tuple[str, float | None, float | None, str | None]], *,
                team: str = "", cycle: str = "", other_objectives: Sequence[str] = ()) -> list[Finding]:
    """Findings for one objective as written in a form: the team's objective count with it, its title, KR count and KRs.

    `key_results` are (title, baseline, target, unit); `other_objectives` are the titles of the team's other live
    objectives in the same cycle, which count towards too-many-objectives but are not coached themselves.
    """
    objective = _Objective(title, tuple(_KeyResult(t, b, g, u, team, title) for t, b, g, u in key_results), team, cycle)
    others = tuple(_Objective(other, None, team, cycle) for other in other_objectives)
    findings = _apply(_Team(team, cycle, (*others, objective)))
    findings += _apply(objective)
    for kr in objective.key_results or ():
        if kr.title:
            findings += _apply(kr)
    return findings


def _lint(objectives: Sequence[_Objective]) -> list[Finding]:
    """Team, objective and KR findings, team by team in order of appearance, each objective followed by its KRs."""
    by_team: dict[tuple[str, str], list[_Objective]] = defaultdict(list)
    for objective in objectives:
        by_team[objective.team, objective.cycle].append(objective)
    findings: list[Finding] = []
    for (team, cycle), group in by_team.items():
        findings += _apply(_Team(team, cycle, tuple(group), group[0].line))
        for objective in group:
            if objective.title:
                findings += _apply(objective)
            for kr in objective.key_results or ():
                if kr.title:
                    findings += _apply(kr)
    return findings


def lint_okr_set(okr_set: OkrSet) -> list[Finding]:
    """Coaching findings for a validated OKR file: team, objective and key result rules."""
    return _lint([
        _Objective(o.title, tuple(_KeyResult(k.title, k.baseline, k.target, k.unit, o.team, o.title, k.line)
                                  for k in o.key_results), o.team, okr_set.cycle.name, o.line, o.path)
        for o in okr_set.objectives
    ])


# --------------------------------------------------------------------------- files, leniently


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    from bot.values import InvalidValue, parse_value

    if isinstance(value, bool):
        return None
    try:
        number = parse_value(value) if isinstance(value, str) else float(value)
    except (InvalidValue, TypeError, ValueError, OverflowError):
        # Anything import would refuse as a number is reported by it; the coach just has no number to look at.
        return None
    return number if math.isfinite(number) else None


def _document_objectives(doc: Any) -> list[_Objective]:
    """Whatever objectives and key results can be read from a file the importer refused, for linting anyway."""
    top = doc if isinstance(doc, dict) else {}
    cycle = top.get("cycle")
    cycle_name = str(cycle.get("name") or "") if isinstance(cycle, dict) else ""
    items = top.get("objectives")
    out = []
    for i, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, dict):
            continue
        title, team = _text(item.get("title")), _text(item.get("team"))
        raw_krs = item.get("key_results")
        krs = tuple(
            _KeyResult(_text(kr.get("title")), _number(kr.get("baseline")), _number(kr.get("target")),
                       _text(kr.get("unit")), team, title, getattr(kr, "line", None), f"objectives[{i}].key_results[{j}]")
            for j, kr in enumerate(raw_krs if isinstance(raw_krs, list) else ())
            if isinstance(kr, dict)
        )
        out.append(_Objective(title, krs, team, cycle_name, getattr(item, "line", None), f"objectives[{i}]"))
    return out


def _invalid(problem: Problem, objectives: Sequence[_Objective]) -> Finding:
    """A problem that makes import refuse the file, as a finding about the objective or KR it is in."""
    hint = "Fix this in the file: okrbot import refuses the file until it is fixed."
    match = re.match(r"objectives\[(\d+)\](?:\.key_results\[(\d+)\])?", problem.field)
    found = [o for o in objectives if match and o.path == f"objectives[{match[1]}]"]
    if found:
        objective = found[0]
        krs = [k for k in objective.key_results or () if match[2] is not None and k.path == match[0]]
        if krs:
            return Finding("key_result", krs[0].title or problem.field, INVALID, str(problem), hint,
                           team=objective.team, objective=objective.title, line=problem.line)
        return Finding("objective", objective.title or problem.field, INVALID, str(problem), hint,
                       team=objective.team, objective=objective.title, line=problem.line)
    kind = "team" if problem.field.startswith("teams") else "file"
    return Finding(kind, problem.field, INVALID, str(problem), hint, line=problem.line)


def lint_file(path: str | os.PathLike[str]) -> list[Finding]:
    """Coaching findings for an OKR file; problems that stop import become findings with rule "invalid".

    Raises OkrFileError only when the file cannot be read or is not YAML at all.
    """
    okr_set, doc, problems = read_okr_file(path)
    if okr_set is not None:
        return lint_okr_set(okr_set)
    if doc is None and any(p.field in ("file", "syntax") for p in problems):
        raise OkrFileError(problems)
    objectives = _document_objectives(doc)
    coached = _lint(objectives)
    # The importer refuses baseline == target too; the coach's finding says it with a rewrite, so keep only that.
    equal = {f"{o.path}.key_results[{j}].target" for o in objectives for j, kr in enumerate(o.key_results or ())
             if kr.title and _kr_target_equals_baseline(kr)}
    invalid = [_invalid(p, objectives) for p in problems if p.field not in equal]
    return invalid + coached


# --------------------------------------------------------------------------- the database


def _live_objectives(team: Team, *, session: Session, today: date) -> list[_Objective]:
    """The team's unarchived objectives in cycles running on `today`, with their unarchived KRs."""
    rows = session.exec(
        select(Objective, Cycle).join(Cycle, Objective.cycle_id == Cycle.id)
        .where(Objective.team_id == team.id, Objective.archived_at.is_(None))
        .where(Cycle.start <= today, Cycle.end >= today)
        .order_by(Cycle.start, Cycle.id, Objective.id)
    ).all()
    krs: dict[int, list[KeyResult]] = defaultdict(list)
    ids = [objective.id for objective, _ in rows]
    if ids:
        stmt = (select(KeyResult).where(KeyResult.objective_id.in_(ids), KeyResult.archived_at.is_(None))
                .order_by(KeyResult.id))
        for kr in session.exec(stmt):
            krs[kr.objective_id].append(kr)
    return [
        _Objective(o.title, tuple(_KeyResult(k.title, k.baseline, k.target, k.unit, team.name, o.title)
                                  for k in krs[o.id]), team.name, cycle.name)
        for o, cycle in rows
    ]


def lint_team(team: Team, *, session: Session, today: date) -> list[Finding]:
    """Coaching findings for a team's live OKRs: unarchived objectives and KRs of the cycles running on `today`."""
    return _lint(_live_objectives(team, session=session, today=today))


# --------------------------------------------------------------------------- output


def format_json(findings: Iterable[Finding]) -> str:
    """The findings as a JSON list of {kind, title, rule, message, hint}."""
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False)


def _notes(n: int) -> str:
    return f"{n} note" if n == 1 else f"{n} notes"


@dataclass
class _Group:
    """Findings that read best under one heading: the file's problems, a team, or an objective."""

    kind: str
    team: str
    objective: str
    findings: list[Finding]

    @property
    def line(self) -> int | None:
        return next((f.line for f in self.findings if f.kind == "objective" and f.rule != INVALID), None)


def _grouped(findings: Iterable[Finding]) -> list[_Group]:
    groups: dict[tuple[str, str, str], _Group] = {}
    for f in findings:
        if f.kind == "file" or (f.kind == "team" and f.rule == INVALID):
            key = ("file", "", "")
        elif f.kind == "team":
            key = ("team", f.team, "")
        else:
            key = ("objective", f.team, f.objective)
        groups.setdefault(key, _Group(*key, [])).findings.append(f)
    return list(groups.values())


def _plain_lines(findings: Iterable[Finding]) -> list[str]:
    lines: list[str] = []
    for group in _grouped(findings):
        if group.kind == "file":
            heading = "Problems that stop import"
        elif group.kind == "team":
            heading = f"Team {group.team}"
        else:
            heading = f"Objective “{group.objective}”" + (f" · {group.team}" if group.team else "")
            heading += f" (line {group.line})" if group.line is not None else ""
        lines += ["", heading]
        shown_kr = None
        for f in group.findings:
            indent = "  "
            if f.kind == "key_result":
                if f.title != shown_kr:
                    line = f" (line {f.line})" if f.line is not None else ""
                    lines.append(f"  Key result “{f.title}”{line}")
                    shown_kr = f.title
                indent = "    "
            lines += _wrap(f"- {f.rule}: {f.message}", indent, indent + "  ")
            lines += _wrap(f"→ {f.hint}", indent + "  ", indent + "    ")
    return lines


def _wrap(text: str, first: str, rest: str) -> list[str]:
    # Wrapped for a terminal, but never inside a word or a hyphenated metric such as time-to-first-value.
    return textwrap.wrap(text, PLAIN_WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


def format_plain(findings: Sequence[Finding], *, source: str) -> str:
    """The findings for people: a summary line, then grouped by team and objective, each with its rewrite hint."""
    if not findings:
        return f"{source}: {CLEAN}"
    invalid = sum(f.rule == INVALID for f in findings)
    summary = _notes(len(findings) - invalid)
    if invalid:
        summary = f"{invalid} problem{'s' if invalid != 1 else ''} that stop import, {summary}"
    return "\n".join([f"{source}: {summary}", *_plain_lines(findings)])


def format_warnings(findings: Sequence[Finding], *, source: str) -> str:
    """The findings as warnings after a successful import, which they never block."""
    head = f"Coach: {_notes(len(findings))} on how {source} is written (they did not stop the import):"
    return "\n".join([head, *_plain_lines(findings)])


# --------------------------------------------------------------------------- /okr lint


def _local_today(team: Team, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(team.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def _slack_team(team: Team, findings: Sequence[Finding]) -> list[str]:
    """One team's findings as mrkdwn chunks: a heading, team notes, then each objective's notes."""
    if not findings:
        return [f"*{escape(team.name)}*: {CLEAN}"]
    chunks = [f"*{escape(team.name)}*: {_notes(len(findings))}"]
    for group in _grouped(findings):
        if group.kind == "objective":
            chunks.append(f"*Objective:* {escape(group.objective)}")
        chunks += [f"• `{f.rule}` {escape(f.message)}\n      _{escape(f.hint)}_" for f in group.findings]
    return chunks


def _caller_teams(user_id: str, teams: Sequence[Team], *, session: Session, now: datetime) -> list[Team]:
    """Teams the caller leads or owns a live key result in."""
    led = set(session.exec(select(TeamLead.team_id).where(TeamLead.user_id == user_id)).all())
    owned = set()
    for team in teams:
        today = _local_today(team, now)
        stmt = (select(Objective.team_id).join(KeyResult, KeyResult.objective_id == Objective.id)
                .join(Cycle, Objective.cycle_id == Cycle.id)
                .where(Objective.team_id == team.id, KeyResult.owner_id == user_id)
                .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
                .where(Cycle.start <= today, Cycle.end >= today).limit(1))
        if session.exec(stmt).first() is not None:
            owned.add(team.id)
    return [team for team in teams if team.id in led | owned]


def lint_command(args: Sequence[str], user_id: str, *, session: Session, now: datetime) -> str:
    """The answer to `/okr lint [TEAM]`: the coach's findings for one team, or the caller's teams, or all teams."""
    teams = list(session.exec(select(Team).order_by(Team.name)).all())
    if not teams:
        return "There are no teams yet. Import an OKR file with `okrbot import FILE.yaml` first."
    name = " ".join(args).strip().lstrip("#").strip()
    if name:
        chosen = [team for team in teams if team.name.casefold() == name.casefold()]
        if not chosen:
            names = [team.name for team in teams]
            close = difflib.get_close_matches(name, names, n=1)
            maybe = f" Did you mean *{escape(close[0])}*?" if close else ""
            listed = ", ".join(names[:MAX_LISTED]) + (f" and {len(names) - MAX_LISTED} more"
                                                      if len(names) > MAX_LISTED else "")
            return f"There is no team called “{escape(name[:80])}”.{maybe} Teams: {escape(listed)}."
    else:
        chosen = _caller_teams(user_id, teams, session=session, now=now) or teams
    chunks: list[str] = []
    total = 0
    for team in chosen:
        objectives = _live_objectives(team, session=session, today=_local_today(team, now))
        findings = _lint(objectives)
        total += len(findings)
        if chunks:
            chunks.append("")
        chunks += _slack_team(team, findings) if objectives else [f"*{escape(team.name)}* has no live OKRs right now."]
    if total == 0 and len(chosen) == 1 and chunks[0].endswith(CLEAN):
        return CLEAN
    more = "Name one team, like `/okr lint TEAM`, or" if len(chosen) > 1 else "Run"
    return _fit(chunks, f"{more} `okrbot lint FILE.yaml` for the full list.")


def _fit(chunks: Sequence[str], advice: str, limit: int = SECTION_CHARS) -> str:
    """Join chunks into at most `limit` characters; when some must go, say how many notes were left out."""
    text = "\n".join(chunks)
    if len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for i, chunk in enumerate(chunks):
        left = sum(c.startswith("• ") for c in chunks[i:])
        tail = f"…and {left} more {'note' if left == 1 else 'notes'}. {advice}"
        if used + len(chunk) + 1 + len(tail) > limit:
            out.append(tail)
            break
        out.append(chunk)
        used += len(chunk) + 1
    return "\n".join(out)
