"""Button listeners."""

from __future__ import annotations

from bot import checkin, ids, status
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
