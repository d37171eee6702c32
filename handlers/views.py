"""Modal submission listeners."""

from __future__ import annotations

from bot.answers import authoring, checkin, grading, home
from bot.jobs import alerts
from bot.jobs import grading as grading_job
from bot.slack import ids
from bot.slack.payloads import (parse_checkin_submission, parse_grading_submission, parse_objective_form,
                                parse_review_submission)
from handlers.deps import Deps
from handlers.respond import to_submission


def register(app, deps: Deps) -> None:
    """Attach the view_submission listeners."""

    def submit_checkin(ack, body, context):
        submission = parse_checkin_submission(body)
        now = deps.clock()
        with deps.session(context) as session:
            answer = checkin.submit_checkin(submission, session=session, now=now)
        if not answer.errors:
            # Bolt copies the context into the lazy listeners: they act as of the check-in's own time.
            context["checkin_saved_at"] = now
        # The session has committed by now, so the lazy listeners see the check-in.
        to_submission(ack, answer, body.get("view"))

    def alert_leads(context, client):
        # Runs in Bolt's thread pool once the check-in is committed, so Slack gets its answer without waiting.
        saved_at = context.get("checkin_saved_at")
        if saved_at is None:
            return
        with deps.session(context) as session:
            alerts.send_due_alerts(now=saved_at, session=session, client=client)

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
            answer = authoring.submit_form(parse_objective_form(body), session=session, now=deps.clock(),
                                           client=client)
        to_submission(ack, answer, body.get("view"))

    @app.view(ids.OBJECTIVE_REVIEW_VIEW)
    def save_reviewed_objective(ack, body, client, context):
        with deps.session(context) as session:
            answer = authoring.submit_review(parse_review_submission(body), session=session, now=deps.clock(),
                                             client=client)
        to_submission(ack, answer, body.get("view"))

    def submit_grading(ack, body, client, context):
        now = deps.clock()
        with deps.session(context) as session:
            answer = grading.submit_grading(parse_grading_submission(body), session=session, now=now, client=client)
        if not answer.errors:
            context["graded_at"] = now
        to_submission(ack, answer, body.get("view"))

    def post_report(context, client):
        # After the answer, once the grading is committed: the team channel's cycle report, through the outbox.
        graded_at = context.get("graded_at")
        if graded_at is None:
            return
        with deps.session(context) as session:
            grading_job.send_cycle_reports(now=graded_at, session=session, client=client)

    app.view(ids.GRADING_VIEW)(ack=submit_grading, lazy=[post_report])
