"""Event listeners: App Home, user profile changes, and the app being uninstalled."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.answers import home
from bot.slack import channels, people, workspaces
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("app_home_opened")
    def home_opened(event, client, context):
        if event.get("tab", "home") != "home":
            return
        with deps.session(context) as session:
            answer = home.home_for(event["user"], session=session, now=deps.clock())
        client.views_publish(user_id=event["user"], view=answer.view)

    @app.event("user_change")
    def user_changed(event, context):
        with deps.session(context) as session:
            people.refresh_from_event(event.get("user") or {}, session=session, now=deps.clock())

    # okrbot invited to a channel, or a channel unarchived: the digest held for it goes out on the next tick.
    @app.event("member_joined_channel")
    @app.event("channel_unarchive")
    @app.event("group_unarchive")
    def channel_changed(event, context):
        with deps.session(context) as session:
            channels.channel_changed(event, bot_user_id=context.get("bot_user_id"), session=session)

    @app.event("app_uninstalled")
    def uninstalled(body, context):
        _stop(body, context, "app_uninstalled")

    @app.event("tokens_revoked")
    def tokens_revoked(body, event, context):
        # Only the bot token matters: okrbot asks for no user tokens, so a revoked user token changes nothing.
        if (event.get("tokens") or {}).get("bot"):
            _stop(body, context, "tokens_revoked")

    def _stop(body, context, reason: str) -> None:
        token = deps.forget_install(context, event_time(body))
        with deps.session(context) as session:
            workspaces.stop_sending(deps.workspace_of(context), token=token, reason=reason, now=deps.clock(),
                                    session=session)


def event_time(body) -> datetime | None:
    """When Slack says the event happened (the envelope's event_time, in epoch seconds)."""
    seconds = body.get("event_time")
    return datetime.fromtimestamp(seconds, UTC) if isinstance(seconds, int | float) else None
