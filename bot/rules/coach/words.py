"""The coach's vocabulary: verbs of tasks and of outcomes, numbers as people write them, and title clean-up.

The checks are wording heuristics (the leading verb, the numbers, a few tell-tale phrases), so findings coach
rather than block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DOUBLED = {"ship", "run", "set", "plan", "cut", "drop", "put", "map", "begin", "get", "slash"}
IRREGULAR = {"run": ("ran",), "write": ("wrote", "written"), "build": ("built",), "rebuild": ("rebuilt",),
              "send": ("sent",), "begin": ("began", "begun"), "hold": ("held",), "make": ("made",),
              "rewrite": ("rewrote", "rewritten"), "bring": ("brought",), "win": ("won",), "get": ("got",),
              "sell": ("sold",), "keep": ("kept",)}


def forms(verb: str) -> set[str]:
    """The verb with its -s, -ed and -ing forms ("ship": ships, shipped, shipping); only a phrase's first word bends."""
    head, _, rest = verb.partition(" ")
    tail = f" {rest}" if rest else ""
    if head.endswith("e") and not head.endswith("ee"):
        bent = {head + "s", head + "d", head[:-1] + "ing"}
    elif head.endswith("y") and head[-2] not in "aeiou":
        bent = {head[:-1] + "ies", head[:-1] + "ied", head + "ing"}
    elif head in DOUBLED:
        bent = {head + ("es" if head.endswith("sh") else "s"), head + head[-1] + "ed", head + head[-1] + "ing"}
    elif head.endswith(("s", "sh", "ch", "x", "z")):
        bent = {head + "es", head + "ed", head + "ing"}
    else:
        bent = {head + "s", head + "ed", head + "ing"}
    return {form + tail for form in {head, *bent, *IRREGULAR.get(head, ())}}


def verb_table(verbs: Iterable[str]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern matching any form of these verbs at the start of a text, and each form's base verb."""
    base = {form: verb for verb in verbs for form in forms(verb)}
    # Longest first, so "set up" wins over "set" and "map out" over "map".
    alternation = "|".join(re.escape(form) for form in sorted(base, key=len, reverse=True))
    return re.compile(rf"^(?:{alternation})(?![\w-])"), base


# Work to be done: its completion says nothing about what changed.
TASK_VERBS = (
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
TASK_UNLESS_AMOUNT = {"add"}
# For objectives these are tasks outright; the softer verbs below only when they name an artifact to produce.
OBJECTIVE_TASK_VERBS = (
    "launch", "ship", "update", "implement", "migrate", "release", "complete", "finish", "redesign",
    "rewrite", "refactor", "hire", "publish", "set up", "roll out", "integrate", "deploy", "add", "fix", "upgrade",
    "install", "configure", "write", "conduct", "replace", "revamp", "overhaul", "document", "draft", "prepare",
    "plan", "kick off", "introduce", "pilot", "move to", "switch to", "go live with", "finalize", "finalise",
)
SOFT_VERBS = ("build", "create", "develop", "design", "establish", "start", "rebuild", "define", "run", "deliver")
ARTIFACTS = (
    r"dashboards?|features?|pages?|website|site|apps?|application|tools?|api|apis|integrations?|reports?|flows?|"
    r"system|version|module|pipeline|prototype|mvp|database|backend|frontend|service|portal|sdk|plugin|extension|"
    r"widget|wiki|playbook|process|documentation|docs|roadmap|strategy|plan|program|programme|v\d+"
)
# Verbs of a result; an activity count after one of these ("Reach 500 attendees") is the result itself.
OUTCOME_VERBS = (
    "increase", "grow", "raise", "boost", "lift", "improve", "reduce", "decrease", "cut", "lower", "drop", "shrink",
    "reach", "achieve", "hit", "attain", "maintain", "keep", "sustain", "double", "triple", "halve", "convert",
    "retain", "acquire", "win", "sign", "generate", "close", "save", "expand", "get", "move", "bring", "earn",
    "sell", "exceed", "slash", "shorten", "accelerate", "speed up", "eliminate",
)
# Verbs that promise a change from somewhere, so they need a starting point to mean anything.
CHANGE_VERBS = (
    "increase", "grow", "raise", "boost", "lift", "improve", "reduce", "decrease", "cut", "lower", "drop",
    "shrink", "double", "triple", "halve", "expand", "move", "bring", "slash", "shorten", "accelerate", "speed up",
)
DECREASE_VERBS = {"reduce", "decrease", "cut", "lower", "drop", "shrink", "halve", "slash", "shorten"}
# A title led by one of these names a direction; without a number it says which way, not how far, however
# well the baseline and target fields are filled, since people read the title in Slack.
VAGUE_VERBS = (
    *CHANGE_VERBS, "enhance", "optimize", "optimise", "strengthen", "maximize", "maximise", "minimize", "minimise",
    "streamline", "elevate", "amplify", "deepen", "bolster", "advance", "foster", "sharpen", "widen", "broaden",
    "scale", "drive", "push", "step up", "ramp up", "build up", "level up", "supercharge", "uplift", "grow up",
    "decrease", "diminish", "limit", "tighten",
)

TASK_LEAD, TASK_BASE = verb_table(TASK_VERBS)
OBJECTIVE_TASK_LEAD, _ = verb_table(OBJECTIVE_TASK_VERBS)
SOFT_LEAD, _ = verb_table(SOFT_VERBS)
OUTCOME_LEAD, OUTCOME_BASE = verb_table(OUTCOME_VERBS)
CHANGE_LEAD, CHANGE_BASE = verb_table(CHANGE_VERBS)
VAGUE_LEAD, VAGUE_BASE = verb_table(VAGUE_VERBS)

# "Release frequency", "Test coverage", "Run rate": a task verb used as the first word of a metric's name.
METRIC_NOUN_AFTER_VERB = re.compile(
    r"^\S+(?:\s+up|\s+out)?[\s-]+(?:rates?|times?|frequency|latency|speed|velocity|success|failures?|duration|"
    r"cadence|volume|count|size|quality|costs?|throughput|coverage|pass|errors?|reliability|adoption|conversion|"
    r"lead time|cycle time)\b")
SOFT_ARTIFACT = re.compile(rf"^\S+(?:\s+\S+){{0,5}}?\s+(?:{ARTIFACTS})(?![\w-])")
# "New onboarding flow live by March 1", "Migration complete": a deliverable with a finish line, not a measure.
END_STATE = re.compile(
    r"\b(?:live|launched|shipped|released|delivered|done|complete|completed|finished|in place|"
    r"rolled out|signed off|approved|published|implemented|built|deployed|migrated|up and running)(?:\s+(?:by|in|before|on|for|at|to|across|within)\b.*)?$")
DELIVERABLE_LEAD = re.compile(
    r"^(?:the\s+|a\s+|an\s+)?(?:launch|delivery|completion|implementation|migration|rollout|roll-out|release|"
    r"creation|development|publication|introduction|redesign|rewrite|go-live|kick-?off)\s+(?:of|to|for)\b")
DELIVERABLE_TAIL = re.compile(r"\b(?:launch|rollout|roll-out|release|migration|redesign|rewrite|go-live)$")
# "Conduct 20 customer interviews": a count of things done is output, not outcome.
ACTIVITY_COUNT = re.compile(
    r"(?<![\w.])\d[\d,]*\+?\s+(?:[a-z][\w-]*\s+){0,2}?(?:interviews?|calls?|meetings?|workshops?|webinars?|"
    r"blog posts?|posts?|articles?|sessions?|events?|presentations?|trainings?|newsletters?|conferences?|surveys?|"
    r"experiments?|campaigns?|emails?|videos?|case studies|talks?|meetups?|hackathons?|features?|integrations?|"
    r"dashboards?|reports?|pages?|screens?|templates?|guides?|tutorials?|courses?|releases?|tests?|a/b tests?|"
    r"modules?|endpoints?|connectors?|plugins?|podcasts?|episodes?|demos?|roadshows?|trade shows?)\b")

AMOUNT = r"[$€£]?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|k|m|bn)(?![a-z]))?"
# A number that measures something: not an identifier such as v2, Q3, p95, #1, 24/7, Day-7 or a year.
NUMBER = re.compile(
    r"[$€£¥]\s?\d"
    r"|(?<![\w#./-])(?!20\d\d(?![\d%.,]|\s?(?:k|m|bn|x)\b))\d[\d,]*(?:\.\d+)?(?:\s?(?:%|k|m|bn|x)(?![a-z]))?(?![\w/-])")
NUMBER_WORDS = re.compile(
    r"(?<![\w-])(?:zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|percent|double|doubled|triple|tripled|halve|halved|twice|tenfold|"
    r"(?:by|in)\s+half)(?![\w-])(?!\s+down)")
MULTIPLIER_WORDS = re.compile(r"(?<![\w-])(?:double|doubled|triple|tripled|halve|halved|tenfold)(?![\w-])(?!\s+down)")
FROM_TO = re.compile(
    rf"\bfrom\s+(?:~|about\s+|around\s+)?(?P<a>{AMOUNT})(?:\s*[a-z/]+){{0,3}}?\s+to\s+(?:~|about\s+)?(?P<b>{AMOUNT})")
ARROW = re.compile(rf"(?P<a>{AMOUNT})\s*(?:[a-z/]+\s*)?(?:→|->|=>)\s*(?P<b>{AMOUNT})")
HAS_BASELINE = re.compile(r"\bfrom\s+(?:~|about\s+|around\s+)?[$€£]?\s?\d|\bbaseline\b|\bvs\.?\s+[$€£]?\d")
RELATIVE = re.compile(
    r"\bby\s+[$€£]?\d[\d,.]*\s?(?:%|percent\b|pp\b|points?\b|x\b)"
    r"|\b\d[\d,.]*\s?(?:%|x)\s+(?:more|fewer|less|higher|lower|faster|slower|increase|decrease|reduction|growth|"
    r"improvement|uplift|lift|drop)\b"
    r"|\b(?:up|down)\s+\d[\d,.]*\s?%"
    r"|\b(?:double|doubled|doubling|triple|tripled|halve|halved|halving|twice)\b|\b\d+x\b|\b(?:by|in)\s+half\b")
TARGET_IN_TITLE = re.compile(rf"\b(?:to|at|below|under|above|over)\s+(?P<t>{AMOUNT})", re.I)
VAGUE = re.compile(
    r"\b(improv(?:e|es|ed|ing|ement|ements)|enhanc(?:e|es|ed|ing|ement)|optimi[sz](?:e|es|ed|ing|ation)|better|"
    r"boost(?:s|ed|ing)?|maximi[sz](?:e|es|ed|ing)|minimi[sz](?:e|es|ed|ing)|streamlin(?:e|es|ed|ing)|"
    r"strengthen(?:s|ed|ing)?|significantly|substantially|dramatically|greatly|drastically|meaningfully|"
    r"considerably|a lot)\b", re.I)
# "Q4 goals", "Misc", "Objective 2", "42": a heading or a bucket, not a direction anyone can aim at.
_PERIOD = r"(?:q[1-4]|h[12]|fy\s?\d{2,4}|(?:20)?\d{2}(?:[-/ ]?(?:q[1-4]|h[12]))?|this\s+(?:quarter|cycle|year)|quarterly|annual|yearly)"
PLACEHOLDER = re.compile(
    rf"^(?:(?:{_PERIOD}\s+)?(?:our\s+|other\s+|the\s+)?(?:[\w&-]+\s+){{0,2}}?"
    r"(?:goals?|objectives?|okrs?|targets?|priorities|themes?|stuff|items|things|tasks|initiatives|projects|bets)"
    rf"(?:\s+(?:for\s+)?{_PERIOD})?"
    r"|misc\.?|miscellaneous|others?|general|various|tbd|tbc|todo|to do|n/?a|none|bau|business as usual|placeholder|"
    r"(?:objective|goal|okr|o|theme)\s*#?\d+|[#\d\s.,%$€£:/-]*\d[#\d\s.,%$€£:/-]*)$")

# "KR2: ", "O1 -", "- ", "1. ", "We will ", "To ": wrapping that hides the leading verb.
NOISE = re.compile(
    r"^(?:(?:kr|okr|o|objective|key\s+result)\s*\d*\s*[:.)\-–—]\s*"
    r"|[-*•·]\s*|\d+\s*[.)]\s+"
    r"|(?:we|i|the\s+team|team)\s+(?:will|shall|must|should|are\s+going\s+to|plan\s+to|want\s+to|need\s+to)\s+"
    r"|(?:to|will|must|should)\s+)")


def normalize(title: str) -> str:
    """Lower case, plain quotes and dashes, one space, no list markers or "We will" in front, no final stop."""
    text = title.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    text = " ".join(text.split())
    while (match := NOISE.match(text)) and match.end() > 0:
        text = text[match.end():]
    return text.rstrip(" .!;:")


def amount(text: str) -> float | None:
    """A number written in a title ("$1.2m", "22%", "3,400") as a float, for comparing the two ends of a KR."""
    match = re.fullmatch(r"[$€£]?\s?(\d[\d,]*(?:\.\d+)?)\s?(%|k|m|bn)?", text.strip().lower())
    if match is None:
        return None
    scale = {"k": 1e3, "m": 1e6, "bn": 1e9}.get(match[2] or "", 1.0)
    return float(match[1].replace(",", "")) * scale


def leading(pattern: re.Pattern[str], base: dict[str, str] | None, text: str) -> str:
    match = pattern.match(text)
    if match is None:
        return ""
    return base[match.group(0)] if base is not None else match.group(0)

