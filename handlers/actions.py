"""Button listeners."""

from __future__ import annotations

from bot import checkin, ids, skip, status
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the block_actions listeners."""

    @app.action(ids.OPEN_CHECKIN)
    def open_checkin(ack, body, client):
        ack()
        with deps.session() as session:
            view = checkin.checkin_form(body["user"]["id"], None, session=session, now=deps.clock())
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ids.OPEN_STATUS)
    def open_status(ack, body, action, client):
        ack()
        with deps.session() as session:
            view = status.status_modal(action.get("value") or "", session=session, now=deps.clock())
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ids.SKIP_WEEK)
    def skip_week(ack, body, action, client):
        ack()
        with deps.session() as session:
            outcome = skip.skip_week(action.get("value") or "", body["user"]["id"], deps.clock(), session=session)
        _show_skip(client, body, outcome)

    @app.action(ids.UNDO_SKIP)
    def undo_skip(ack, body, action, client):
        ack()
        with deps.session() as session:
            outcome = skip.undo_skip(action.get("value") or "", body["user"]["id"], deps.clock(), session=session)
        _show_skip(client, body, outcome)


def _show_skip(client, body, outcome: skip.SkipOutcome) -> None:
    """Rewrite the weekly prompt, or tell the clicker (and only them) why not."""
    if outcome.ephemeral:
        client.chat_postEphemeral(channel=(body.get("channel") or {}).get("id"), user=body["user"]["id"],
                                  text=outcome.ephemeral)
    else:
        client.chat_update(channel=outcome.channel, ts=outcome.ts, text=outcome.text, blocks=outcome.blocks)
