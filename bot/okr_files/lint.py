"""`okrbot lint`: the coach's notes on an OKR file, also one the importer refuses, for a terminal or as JSON."""

from __future__ import annotations

import json
import math
import os
import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from bot.okr_files.checker import read_okr_file
from bot.okr_files.spec import OkrFileError, OkrSet, Problem
from bot.rules.coach.subjects import KRSubject, ObjectiveSubject
from bot.rules.coach.table import CLEAN, INVALID, Finding, group_findings, lint_subjects
from bot.rules.text import plural
from bot.rules.values import InvalidValue, parse_value

PLAIN_WIDTH = 100


def _notes_text(n: int) -> str:
    return plural(n, "note")


def lint_okr_set(okr_set: OkrSet) -> list[Finding]:
    """Coaching findings for a validated OKR file: team, objective and key result rules."""
    return lint_subjects([
        ObjectiveSubject(o.title, tuple(KRSubject(k.title, k.baseline, k.target, k.unit, o.team, o.title, k.line)
                                  for k in o.key_results), o.team, okr_set.cycle.name, o.line, o.path)
        for o in okr_set.objectives
    ])


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = parse_value(value) if isinstance(value, str) else float(value)
    except (InvalidValue, TypeError, ValueError, OverflowError):
        # Anything import would refuse as a number is reported by it; the coach just has no number to look at.
        return None
    return number if math.isfinite(number) else None


def _document_objectives(doc: Any) -> list[ObjectiveSubject]:
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
            KRSubject(_text(kr.get("title")), _number(kr.get("baseline")), _number(kr.get("target")),
                       _text(kr.get("unit")), team, title, getattr(kr, "line", None), f"objectives[{i}].key_results[{j}]")
            for j, kr in enumerate(raw_krs if isinstance(raw_krs, list) else ())
            if isinstance(kr, dict)
        )
        out.append(ObjectiveSubject(title, krs, team, cycle_name, getattr(item, "line", None), f"objectives[{i}]"))
    return out


def _invalid(problem: Problem, objectives: Sequence[ObjectiveSubject]) -> Finding:
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
    # Every problem import finds, in import's words: one set of rules (okr_files.checker, rules.validation) decides
    # both, so lint's errors are exactly import's.
    return [_invalid(p, objectives) for p in problems] + lint_subjects(objectives)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that make `okrbot import` refuse the file."""
    return [f for f in findings if f.rule == INVALID]



def format_json(findings: Iterable[Finding]) -> str:
    """The findings as a JSON list of {kind, title, rule, message, hint}."""
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False)



def _plain_lines(findings: Iterable[Finding]) -> list[str]:
    lines: list[str] = []
    for group in group_findings(findings):
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
    notes = len(findings) - invalid
    parts = [f"{plural(invalid, 'problem')} that {'stops' if invalid == 1 else 'stop'} import"] if invalid else []
    summary = ", ".join(parts + ([_notes_text(notes)] if notes or not invalid else []))
    return "\n".join([f"{source}: {summary}", *_plain_lines(findings)])


def format_warnings(findings: Sequence[Finding], *, source: str) -> str:
    """The findings as warnings after a successful import, which they never block."""
    head = f"Coach: {_notes_text(len(findings))} on how {source} is written (they did not stop the import):"
    return "\n".join([head, *_plain_lines(findings)])

