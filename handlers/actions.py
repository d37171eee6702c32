"""Button listeners."""

from __future__ import annotations

from bot import authoring, checkin, ids, skip, status
from bot.payloads import draft_from_json
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the block_actions listeners."""

    @app.action(ids.OPEN_CHECKIN)
    def open_checkin(ack, body, client, context):
        ack()
        with deps.session(context) as session:
            view = checkin.checkin_form(body["user"]["id"], None, session=session, now=deps.clock())
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ids.OPEN_STATUS)
    def open_status(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            view = status.status_modal(action.get("value") or "", session=session, now=deps.clock())
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ids.SKIP_WEEK)
    def skip_week(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            outcome = skip.skip_week(action.get("value") or "", body["user"]["id"], deps.clock(), session=session)
        _show_skip(client, body, outcome)

    @app.action(ids.UNDO_SKIP)
    def undo_skip(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            outcome = skip.undo_skip(action.get("value") or "", body["user"]["id"], deps.clock(), session=session)
        _show_skip(client, body, outcome)

    @app.action(ids.OPEN_NEW_OBJECTIVE)
    def open_new_objective(ack, body, client, context):
        ack()
        with deps.session(context) as session:
            view = authoring.new_objective_modal(body["user"]["id"], session=session, now=deps.clock(),
                                                 client=client)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ids.PICK_OBJECTIVE)
    def pick_objective(ack, body, action, client, context):
        ack()
        picked = (action.get("selected_option") or {}).get("value") or ""
        with deps.session(context) as session:
            view = authoring.edit_form(int(picked) if picked.isdigit() else None, body["user"]["id"],
                                       session=session, now=deps.clock(), client=client)
        _replace_view(client, body, view)

    @app.action(ids.BACK_TO_FORM)
    def back_to_form(ack, body, client, context):
        ack()
        draft = draft_from_json((body.get("view") or {}).get("private_metadata") or "")
        with deps.session(context) as session:
            view = authoring.back_to_form(draft, body["user"]["id"], session=session, now=deps.clock(),
                                          client=client)
        _replace_view(client, body, view)


def _replace_view(client, body, view: dict) -> None:
    """Swap the modal the click came from for `view`; the hash makes Slack refuse it if the modal moved on."""
    current = body.get("view") or {}
    client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=view)


def _show_skip(client, body, outcome: skip.SkipOutcome) -> None:
    """Rewrite the weekly prompt, or tell the clicker (and only them) why not."""
    if outcome.ephemeral:
        client.chat_postEphemeral(channel=(body.get("channel") or {}).get("id"), user=body["user"]["id"],
                                  text=outcome.ephemeral)
    else:
        client.chat_update(channel=outcome.channel, ts=outcome.ts, text=outcome.text, blocks=outcome.blocks)
