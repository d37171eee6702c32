"""Button and select listeners."""

from __future__ import annotations

from bot.answers import authoring, chart, checkin, grading, skip, status
from bot.rules.validation import mentioned_user
from bot.slack import ids
from bot.slack.payloads import draft_from_json
from handlers.deps import Deps
from handlers.respond import to_click


def register(app, deps: Deps) -> None:
    """Attach the block_actions listeners."""

    @app.action(ids.OPEN_CHECKIN)
    def open_checkin(ack, body, client, context):
        ack()
        with deps.session(context) as session:
            answer = checkin.checkin_form(body["user"]["id"], None, session=session, now=deps.clock())
        to_click(client, body, answer)

    @app.action(ids.EDIT_CHECKIN)
    def edit_checkin(ack, body, action, client, context):
        # From the confirmation: the form again, filled in with what was just saved, in place of the confirmation.
        ack()
        for_user = mentioned_user(action.get("value") or "")
        with deps.session(context) as session:
            answer = checkin.checkin_form(body["user"]["id"], for_user, session=session, now=deps.clock())
        to_click(client, body, answer)

    @app.action(ids.OPEN_STATUS)
    def open_status(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            answer = status.status_modal(action.get("value") or "", session=session, now=deps.clock())
        to_click(client, body, answer)

    @app.action(ids.OPEN_CHART)
    def open_chart(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            answer = chart.chart_click(action.get("value") or "", session=session, now=deps.clock(), client=client)
        to_click(client, body, answer)

    @app.action(ids.SKIP_WEEK)
    def skip_week(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            answer = skip.skip_week(action.get("value") or "", body["user"]["id"], now=deps.clock(),
                                    session=session)
        to_click(client, body, answer)

    @app.action(ids.UNDO_SKIP)
    def undo_skip(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            answer = skip.undo_skip(action.get("value") or "", body["user"]["id"], now=deps.clock(),
                                    session=session)
        to_click(client, body, answer)

    @app.action(ids.OPEN_NEW_OBJECTIVE)
    def open_new_objective(ack, body, client, context):
        ack()
        with deps.session(context) as session:
            answer = authoring.new_objective_modal(body["user"]["id"], session=session, now=deps.clock(),
                                                   client=client)
        to_click(client, body, answer)

    @app.action(ids.PICK_OBJECTIVE)
    def pick_objective(ack, body, action, client, context):
        ack()
        picked = (action.get("selected_option") or {}).get("value") or ""
        with deps.session(context) as session:
            answer = authoring.edit_form(int(picked) if picked.isdigit() and len(picked) <= 9 else None,
                                         body["user"]["id"], session=session, now=deps.clock(), client=client)
        to_click(client, body, answer)

    @app.action(ids.BACK_TO_FORM)
    def back_to_form(ack, body, client, context):
        ack()
        draft = draft_from_json((body.get("view") or {}).get("private_metadata") or "")
        with deps.session(context) as session:
            answer = authoring.back_to_form(draft, body["user"]["id"], session=session, now=deps.clock(),
                                            client=client)
        to_click(client, body, answer)

    @app.action(ids.OPEN_GRADING)
    def open_grading(ack, body, action, client, context):
        ack()
        with deps.session(context) as session:
            answer = grading.grade_button(action.get("value") or "", body["user"]["id"], session=session,
                                          now=deps.clock(), client=client)
        to_click(client, body, answer)
