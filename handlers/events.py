"""Event listeners: App Home and user profile changes."""

from __future__ import annotations

from bot import home, people
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("app_home_opened")
    def home_opened(event, client):
        if event.get("tab", "home") != "home":
            return
        with deps.session() as session:
            view = home.home_for(event["user"], session=session, now=deps.clock())
        client.views_publish(user_id=event["user"], view=view)

    @app.event("user_change")
    def user_changed(event):
        with deps.session() as session:
            people.refresh_from_event(event.get("user") or {}, session=session, now=deps.clock())
