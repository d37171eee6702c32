"""What the coach's rules look at (a key result, an objective, a team's set for a cycle) and the checks on each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from bot.rules.coach.words import (
    ACTIVITY_COUNT,
    AMOUNT,
    ARROW,
    CHANGE_BASE,
    CHANGE_LEAD,
    DECREASE_VERBS,
    DELIVERABLE_LEAD,
    DELIVERABLE_TAIL,
    END_STATE,
    FROM_TO,
    HAS_BASELINE,
    METRIC_NOUN_AFTER_VERB,
    MULTIPLIER_WORDS,
    NUMBER,
    NUMBER_WORDS,
    OBJECTIVE_TASK_LEAD,
    OUTCOME_LEAD,
    PLACEHOLDER,
    RELATIVE,
    SOFT_ARTIFACT,
    SOFT_LEAD,
    TARGET_IN_TITLE,
    TASK_BASE,
    TASK_LEAD,
    TASK_UNLESS_AMOUNT,
    VAGUE,
    VAGUE_BASE,
    VAGUE_LEAD,
    amount,
    leading,
    normalize,
)
from bot.rules.text import plural
from bot.rules.values import format_value


@dataclass
class KRSubject:
    """A key result as the rules see it: a title, and the numbers when they are known."""

    title: str
    baseline: float | None = None
    target: float | None = None
    unit: str | None = None
    team: str = ""
    objective: str = ""
    line: int | None = None
    path: str = ""
    # The grade of the same KR, word for word, in the team's last graded cycle, when it was below 0.3.
    last_grade: float | None = None

    kind = "key_result"

    def __post_init__(self) -> None:
        # A title pasted with line breaks still makes a one-line finding.
        self.title = " ".join(self.title.split())
        self.objective = " ".join(self.objective.split())

    @cached_property
    def text(self) -> str:
        return normalize(self.title)

    @cached_property
    def from_to(self) -> tuple[str, str] | None:
        match = FROM_TO.search(self.text) or ARROW.search(self.text)
        return (match["a"].strip(), match["b"].strip()) if match else None

    @cached_property
    def has_number(self) -> bool:
        return bool(NUMBER.search(self.text) or NUMBER_WORDS.search(self.text))

    @cached_property
    def has_baseline(self) -> bool:
        return self.baseline is not None or bool(HAS_BASELINE.search(self.text) or ARROW.search(self.text))

    @cached_property
    def vague(self) -> str:
        # Quoted as written ("Better", "optimise"), so the finding reads back the person's own words.
        match = VAGUE.search(self.title)
        if match:
            return match.group(0)
        lead = VAGUE_LEAD.match(self.text)
        if lead is None:
            return ""
        written = re.search(rf"(?<![\w-]){re.escape(lead.group(0))}(?![\w-])", self.title, re.I)
        return written.group(0) if written else lead.group(0)

    @property
    def metric_text(self) -> str:
        """The title without its vague verbs and adverbs: what the rewrite raises or lowers."""
        text = " ".join(self.title.split())
        text = re.sub(r"^(?:(?:kr|okr)\s*\d*\s*[:.)\-–—]\s*|[-*•·]\s*|\d+\s*[.)]\s+)", "", text, flags=re.I)
        text = re.sub(r"^(?:we|i|the team|team)\s+(?:will|shall|must|should)\s+", "", text, flags=re.I)
        lead = VAGUE_LEAD.match(normalize(text))
        if lead is not None:
            text = text[len(lead.group(0)):]
        text = VAGUE.sub("", text)
        text = " ".join(text.split()).strip(" .,;:!")
        return re.sub(r"^(?:the|our)\s+", "", text, flags=re.I) or "<metric>"

    @property
    def rewrite(self) -> str:
        """The title rewritten from the fields: verb of change + metric + from the baseline to the target."""
        verb = "Lower" if self.change_verb == "Reduce" else "Raise"
        return f"{verb} {self.metric_text} from {self.baseline_text} to {self.target_text}"

    @property
    def change_verb(self) -> str:
        """Increase or Reduce, whichever way this KR points, for the rewrite hint."""
        lead = leading(CHANGE_LEAD, CHANGE_BASE, self.text) or leading(VAGUE_LEAD, VAGUE_BASE, self.text)
        ends = self.from_to and (amount(self.from_to[0]), amount(self.from_to[1]))
        falling = (lead in DECREASE_VERBS or lead in ("minimize", "minimise", "diminish", "limit")
                   or (self.baseline is not None and self.target is not None and self.target < self.baseline)
                   or bool(ends and None not in ends and ends[1] < ends[0]))
        return "Reduce" if falling else "Increase"

    @property
    def target_text(self) -> str:
        if self.target is not None:
            return format_value(self.target, self.unit or "")
        match = TARGET_IN_TITLE.search(self.title)
        return match["t"].strip() if match else "<target>"

    @property
    def baseline_text(self) -> str:
        if self.baseline is not None:
            return format_value(self.baseline, self.unit or "")
        return self.from_to[0] if self.from_to else "<baseline>"


@dataclass
class ObjectiveSubject:
    """An objective as the rules see it; `key_results` is None when only the title is known."""

    title: str
    key_results: tuple[KRSubject, ...] | None = None
    team: str = ""
    cycle: str = ""
    line: int | None = None
    path: str = ""

    kind = "objective"

    def __post_init__(self) -> None:
        self.title = " ".join(self.title.split())

    @cached_property
    def text(self) -> str:
        return normalize(self.title)

    @property
    def kr_count(self) -> int:
        return len(self.key_results or ())

    @property
    def kr_count_text(self) -> str:
        return plural(self.kr_count, "key result", zero="no key results")


@dataclass
class TeamSubject:
    """One team's objectives in one cycle."""

    title: str
    cycle: str
    objectives: tuple[ObjectiveSubject, ...]
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



def kr_is_task(kr: KRSubject) -> bool:
    text = kr.text
    if kr.from_to:
        # A from-to measure is an outcome even when its metric starts with a verb ("Release frequency from 2 to 8").
        return False
    verb = leading(TASK_LEAD, TASK_BASE, text)
    if verb and not METRIC_NOUN_AFTER_VERB.match(text):
        if verb not in TASK_UNLESS_AMOUNT or not re.match(rf"^\S+\s+{AMOUNT}(?![\w/-])", text):
            return True
    if DELIVERABLE_LEAD.match(text):
        return True
    if leading(OUTCOME_LEAD, None, text):
        # "Grow weekly active teams to 500 by the time v2 is live": the result comes first, the rest is context.
        return False
    return bool((END_STATE.search(text) and "%" not in text) or ACTIVITY_COUNT.search(text))


def kr_is_binary(kr: KRSubject) -> bool:
    # 0 -> 1 is yes or no whatever the unit says ("customers", "%") or the verb.
    if kr.baseline == 0 and kr.target == 1:
        return True
    return bool(kr.from_to) and kr.baseline is None and tuple(amount(v) for v in kr.from_to) == (0, 1)


def kr_repeats_weak(kr: KRSubject) -> bool:
    return kr.last_grade is not None


def title_key(title: str) -> str:
    """A title as compared with last cycle's: spacing and case do not make it a different KR."""
    return " ".join(title.split()).casefold()


def kr_has_no_number(kr: KRSubject) -> bool:
    return not kr.has_number and kr.target is None


def kr_is_vague(kr: KRSubject) -> bool:
    # The title is what people read in Slack: numbers only in the fields do not make it say how far.
    return bool(kr.vague) and not kr.has_number


def kr_has_no_baseline(kr: KRSubject) -> bool:
    if kr.has_baseline:
        return False
    if kr.target is not None:
        return True
    # "Reach 40% weekly active usage" is a level to reach, fine on its own; "Increase sign-ups by 20%" or
    # "Reduce churn to 2%" promise a change, which means nothing without the starting point.
    changes = bool(leading(CHANGE_LEAD, None, kr.text)) and kr.has_number
    return changes or bool(RELATIVE.search(kr.text))


def kr_target_equals_baseline(kr: KRSubject) -> bool:
    """The title promises no change ("from 40 to 40"). Typed numbers are validation's (rules.validation.kr_change):
    equal ones are an error that import and the forms refuse, so the coach does not repeat it as a note."""
    if kr.baseline is not None and kr.target is not None:
        return False
    if kr.from_to:
        start, end = (amount(v) for v in kr.from_to)
        return start is not None and start == end
    return False


def objective_is_task(o: ObjectiveSubject) -> bool:
    text = o.text
    if OBJECTIVE_TASK_LEAD.match(text) or (SOFT_LEAD.match(text) and SOFT_ARTIFACT.match(text)):
        return True
    if DELIVERABLE_LEAD.match(text) or DELIVERABLE_TAIL.search(text):
        return True
    return bool(END_STATE.search(text)) and not leading(OUTCOME_LEAD, None, text)


def objective_is_placeholder(o: ObjectiveSubject) -> bool:
    return bool(PLACEHOLDER.match(o.text))


def objective_is_number(o: ObjectiveSubject) -> bool:
    # Spelled counts ("Win two new markets") can be a fine direction; amounts and multipliers are targets.
    return bool(NUMBER.search(o.text) or MULTIPLIER_WORDS.search(o.text))


