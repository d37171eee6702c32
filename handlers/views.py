"""Modal submission listeners."""

from __future__ import annotations

from bot import alerts, authoring, checkin, home, ids
from bot.payloads import parse_checkin_submission, parse_objective_form, parse_review_submission
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the view_submission listeners."""

    def submit_checkin(ack, body, context):
        submission = parse_checkin_submission(body)
        now = deps.clock()
        with deps.session(context) as session:
            outcome = checkin.submit_checkin(submission, session=session, now=now)
        if outcome.errors:
            ack(response_action="errors", errors=outcome.errors)
        else:
            # Bolt copies the context into the lazy listener: it alerts as of the check-in's own time.
            context["checkin_saved_at"] = now
            ack(response_action="update", view=outcome.view)

    def alert_leads(context, client):
        # Runs in Bolt's thread pool once the check-in is committed, so Slack gets its answer without waiting.
        saved_at = context.get("checkin_saved_at")
        if saved_at is None:
            return
        with deps.session(context) as session:
            alerts.send_due_alerts(saved_at, session=session, client=client)

    def refresh_homes(body, context, client):
        # Also after the answer: the Home tabs of whoever checked in and of the KRs' owner show the new values.
        saved_at = context.get("checkin_saved_at")
        if saved_at is None:
            return
        submission = parse_checkin_submission(body)
        with deps.session(context) as session:
            home.publish_homes({submission.user_id, submission.for_user}, session=session, client=client,
                               now=saved_at)

    app.view(ids.CHECKIN_VIEW)(ack=submit_checkin, lazy=[alert_leads, refresh_homes])

    @app.view(ids.OBJECTIVE_VIEW)
    def submit_objective(ack, body, client, context):
        with deps.session(context) as session:
            outcome = authoring.submit_form(parse_objective_form(body), session=session, now=deps.clock(),
                                            client=client)
        _answer(ack, outcome)

    @app.view(ids.OBJECTIVE_REVIEW_VIEW)
    def save_reviewed_objective(ack, body, client, context):
        with deps.session(context) as session:
            outcome = authoring.submit_review(parse_review_submission(body), session=session, now=deps.clock(),
                                              client=client)
        _answer(ack, outcome)


def _answer(ack, outcome: authoring.FormOutcome) -> None:
    """Field errors stay in the form; anything else replaces it (the session has committed by now)."""
    if outcome.errors:
        ack(response_action="errors", errors=outcome.errors)
    else:
        ack(response_action="update", view=outcome.view)
