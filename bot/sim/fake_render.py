"""Slack messages, views and mrkdwn as the plain text a person would read: for test failures and the demo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_LINK = re.compile(r"<([^<>]+)>")
_DIVIDER = "─" * 40


def render(blocks_or_message: Any, *, user_names: Mapping[str, str] | None = None) -> str:
    """Blocks, a message, a view or mrkdwn text as the plain text a person would read in Slack."""
    names = dict(user_names or {})
    item = blocks_or_message
    if item is None:
        return ""
    if isinstance(item, str):
        return _mrkdwn(item, names)
    if isinstance(item, (list, tuple)):
        return "\n".join(_render_blocks(item, names))
    if not isinstance(item, Mapping):
        raise TypeError(f"cannot render {type(item).__name__}")
    if item.get("type") in ("modal", "home"):
        return "\n".join(_render_view(item, names))
    if "blocks" in item or "text" in item or "attachments" in item:
        return "\n".join(_render_message(item, names))
    return "\n".join(_render_blocks([item], names))


def _render_view(view: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    title = _text(view.get("title"), names)
    if title:
        lines += [title, "═" * len(title)]
    lines += _render_blocks(view.get("blocks") or [], names)
    buttons = [f"[{_text(view.get(key), names)}]" for key in ("close", "submit") if view.get(key)]
    if buttons:
        lines += ["", " ".join(buttons)]
    return lines


def _render_message(message: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    blocks = message.get("blocks") or []
    lines = _render_blocks(blocks, names) if blocks else _mrkdwn(str(message.get("text") or ""), names).splitlines()
    for attachment in message.get("attachments") or []:
        inner = _render_blocks(attachment.get("blocks") or [], names)
        if not inner:
            text = attachment.get("text") or attachment.get("fallback") or ""
            inner = _mrkdwn(str(text), names).splitlines()
        lines += ["│ " + line for line in inner]
    return lines


def _render_blocks(blocks: Iterable[Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping):
            lines += _render_block(block, names)
    return lines


def _render_block(block: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"), names)
        return [title, "=" * len(title)]
    if kind == "divider":
        return [_DIVIDER]
    if kind == "section":
        lines = _text(block.get("text"), names).splitlines()
        lines += [_text(field, names) for field in block.get("fields") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            rendered = _render_element(accessory, names)
            if len(rendered) == 1 and lines:
                lines[-1] = f"{lines[-1]}  {rendered[0]}"
            else:
                lines += rendered
        return lines
    if kind == "context":
        parts = []
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("type") == "image":
                if element.get("alt_text"):
                    parts.append(str(element["alt_text"]))
            else:
                parts.append(_text(element, names))
        return ["  ".join(part for part in parts if part)]
    if kind == "actions":
        rendered = [_render_element(e, names) for e in block.get("elements") or [] if isinstance(e, Mapping)]
        if all(len(r) == 1 for r in rendered):
            return [" ".join(r[0] for r in rendered)]
        return [line for r in rendered for line in r]
    if kind == "input":
        label = _text(block.get("label"), names)
        lines = [label + (" (optional)" if block.get("optional") else "")]
        element = block.get("element")
        if isinstance(element, Mapping):
            lines += ["  " + line for line in _render_element(element, names)]
        if block.get("hint"):
            lines.append("  " + _text(block["hint"], names))
        return lines
    if kind == "image":
        title = _text(block.get("title"), names)
        return [f"[image: {block.get('alt_text') or title or 'image'}]"]
    if kind == "rich_text":
        return _render_rich_text(block.get("elements") or [], names)
    return [f"[{kind or 'unknown'} block]"]


def _render_element(element: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    kind = str(element.get("type") or "")
    placeholder = _text(element.get("placeholder"), names)
    if kind == "button":
        return [f"[{_text(element.get('text'), names)}]"]
    if kind == "overflow":
        return ["[⋯]"]
    if kind == "image":
        return [f"[image: {element.get('alt_text') or 'image'}]"]
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"):
        value = element.get("initial_value")
        if isinstance(value, Mapping):
            value = "\n".join(_render_rich_text(value.get("elements") or [], names))
        return [f"[ {value or placeholder or ''} ]"]
    if kind == "checkboxes" or kind == "radio_buttons":
        chosen = {_option_value(o) for o in element.get("initial_options") or []}
        if element.get("initial_option"):
            chosen.add(_option_value(element["initial_option"]))
        marks = ("☑", "☐") if kind == "checkboxes" else ("●", "○")
        return [
            f"{marks[0] if _option_value(o) in chosen else marks[1]} {_text(o.get('text'), names)}"
            for o in element.get("options") or []
        ]
    if kind.endswith("_select"):
        return [f"[{_selected(element, names) or placeholder or 'Select an item'} ▾]"]
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        value = element.get("initial_date") or element.get("initial_time") or element.get("initial_date_time")
        return [f"[{value or placeholder or 'Select'} ▾]"]
    return [f"[{kind or 'element'}]"]


def _option_value(option: Any) -> Any:
    if not isinstance(option, Mapping):
        return option
    return option.get("value", json.dumps(option.get("text"), sort_keys=True))


def _selected(element: Mapping[str, Any], names: dict[str, str]) -> str:
    options = element.get("initial_options") or ([element["initial_option"]] if element.get("initial_option") else [])
    if options:
        return ", ".join(_text(o.get("text"), names) for o in options if isinstance(o, Mapping))
    users = element.get("initial_users") or ([element["initial_user"]] if element.get("initial_user") else [])
    if users:
        return ", ".join("@" + names.get(u, u) for u in users)
    channels = element.get("initial_channels") or element.get("initial_conversations") or []
    single = element.get("initial_channel") or element.get("initial_conversation")
    if single:
        channels = [single]
    return ", ".join("#" + c for c in channels)


def _render_rich_text(elements: Iterable[Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "rich_text_section":
            lines += _inline(element.get("elements") or [], names).split("\n")
        elif kind == "rich_text_list":
            indent = "  " * int(element.get("indent") or 0)
            start = int(element.get("offset") or 0) + 1
            for number, item in enumerate(element.get("elements") or [], start=start):
                bullet = f"{number}." if element.get("style") == "ordered" else "•"
                text = _inline(item.get("elements") or [], names) if isinstance(item, Mapping) else ""
                lines.append(f"{indent}{bullet} {text}")
        elif kind == "rich_text_preformatted":
            lines += ["```", *_inline(element.get("elements") or [], names).split("\n"), "```"]
        elif kind == "rich_text_quote":
            lines += ["> " + line for line in _inline(element.get("elements") or [], names).split("\n")]
    return lines


def _inline(elements: Iterable[Any], names: dict[str, str]) -> str:
    parts: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text") or ""))
        elif kind == "link":
            url = str(element.get("url") or "")
            parts.append(f"{element['text']} ({url})" if element.get("text") else url)
        elif kind == "user":
            parts.append("@" + names.get(str(element.get("user_id")), str(element.get("user_id"))))
        elif kind == "usergroup":
            parts.append("@" + str(element.get("usergroup_id")))
        elif kind == "channel":
            parts.append("#" + str(element.get("channel_id")))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        elif kind == "broadcast":
            parts.append("@" + str(element.get("range")))
        elif kind == "date":
            parts.append(str(element.get("fallback") or element.get("timestamp") or ""))
    return "".join(parts)


def _text(obj: Any, names: dict[str, str]) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return _mrkdwn(obj, names)
    if isinstance(obj, Mapping):
        text = str(obj.get("text") or "")
        return _mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text
    return str(obj)


def _mrkdwn(text: str, names: dict[str, str]) -> str:
    """Slack's <@U1>, <#C1|name>, <!here>, <url|label> and &amp; escapes as readable text."""

    def link(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@" + target.removeprefix("!subteam^")
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        target = target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
