"""Block Kit for a lead's confidence-drop alert: a pure function of the KR and its two check-ins."""

from __future__ import annotations

from bot.slack import ids
from bot.views.kit import FALLBACK_CHARS, button, confidence_label, context, cut, escape, section, value_text
from storage.models import CheckIn
from storage.okrs import ActiveKR


def alert_message(row: ActiveKR, checkin: CheckIn, previous: CheckIn | None) -> tuple[str, list[dict]]:
    """A team lead's alert on a sharp confidence drop: KR, old and new confidence, value, note, status button."""
    kr = row.kr
    old = previous.confidence if previous else None
    text = cut(f"Confidence drop on {escape(kr.title)}: {confidence_label(old) if old else 'first check-in'} → "
               f"{confidence_label(checkin.confidence)} (<@{kr.owner_id}>)", FALLBACK_CHARS)
    was = confidence_label(old) if old else "— (first check-in)"
    note = "\n".join(f"> {line}" for line in escape(checkin.note).splitlines()) if checkin.note else "_No note._"
    blocks = [
        section(f":rotating_light: *Confidence drop* on *{escape(kr.title)}* ({escape(row.team.name)}), "
                 f"owned by <@{kr.owner_id}>"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Was*\n{was}"},
            {"type": "mrkdwn", "text": f"*Now*\n{confidence_label(checkin.confidence)}"},
            {"type": "mrkdwn", "text": f"*Value*\n{value_text(checkin.value, kr.unit)}"},
            {"type": "mrkdwn", "text": f"*Target*\n{value_text(kr.target, kr.unit)}"},
        ]},
        section(f"*Note*\n{note}"),
    ]
    if checkin.author_id != kr.owner_id:
        blocks.append(context(f"Checked in by <@{checkin.author_id}> on behalf of <@{kr.owner_id}>."))
    blocks.append({"type": "actions", "elements": [button(ids.OPEN_STATUS, "Open team status",
                                                          ids.team_value(row.team.id))]})
    return text, blocks
