"""Modal submission listeners."""

from __future__ import annotations

from bot import checkin, ids
from bot.payloads import parse_checkin_submission
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the view_submission listeners."""

    @app.view(ids.CHECKIN_VIEW)
    def submit_checkin(ack, body):
        submission = parse_checkin_submission(body)
        with deps.session() as session:
            outcome = checkin.submit_checkin(submission, session=session, now=deps.clock())
        if outcome.errors:
            ack(response_action="errors", errors=outcome.errors)
        else:
            ack(response_action="update", view=outcome.view)
