"""Event listeners: App Home, user profile changes, and the app being uninstalled."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.answers import home
from bot.jobs import digests
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

    def channel_changed(event, context):
        with deps.session(context) as session:
            released = channels.channel_changed(event, bot_user_id=context.get("bot_user_id"), session=session)
        # Bolt copies the context into the lazy listener below.
        context["released_at"] = deps.clock() if released else None

    def post_held_digests(context, client):
        # After Slack has its answer, in Bolt's thread pool: the digest held for the channel goes out at once (the
        # outbox still sends it once, whichever of this and the next tick gets there first).
        released_at = context.get("released_at")
        if released_at is None:
            return
        with deps.session(context) as session:
            digests.send_due_digests(now=released_at, session=session, client=client)

    # okrbot invited to a channel, or a channel unarchived: what was held for that channel goes out.
    for name in channels.CHANNEL_EVENTS:
        app.event(name)(ack=channel_changed, lazy=[post_held_digests])

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
