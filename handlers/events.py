"""Event listeners: App Home, user profile changes, and the app being uninstalled."""

from __future__ import annotations

from bot import home, people, workspaces
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("app_home_opened")
    def home_opened(event, client, context):
        if event.get("tab", "home") != "home":
            return
        with deps.session(context) as session:
            view = home.home_for(event["user"], session=session, now=deps.clock())
        client.views_publish(user_id=event["user"], view=view)

    @app.event("user_change")
    def user_changed(event, context):
        with deps.session(context) as session:
            people.refresh_from_event(event.get("user") or {}, session=session, now=deps.clock())

    @app.event("app_uninstalled")
    def uninstalled(context):
        _stop(context, "app_uninstalled")

    @app.event("tokens_revoked")
    def tokens_revoked(event, context):
        # Only the bot token matters: okrbot asks for no user tokens, so a revoked user token changes nothing.
        if (event.get("tokens") or {}).get("bot"):
            _stop(context, "tokens_revoked")

    def _stop(context, reason: str) -> None:
        token = deps.forget_install(context)
        with deps.session(context) as session:
            workspaces.stop_sending(deps.workspace_of(context), token=token, reason=reason, now=deps.clock(),
                                    session=session)
