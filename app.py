"""okrbot's composition root: load .env, build settings, build the Bolt app, register handlers, start."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from dotenv import load_dotenv
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

import handlers
from bot import cli
from bot.jobs.tick import Ticker
from bot.settings import Settings, SettingsError
from bot.slack.client import check_slack, make_client
from bot.slack.workspaces import BOT_SCOPES, forget_installation, installation_store, workspace_of_context
from handlers.deps import Deps, utc_now
from storage.db import make_engine, upgrade
from web.api import build_api
from web.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, Web
from web.server import HttpServer, Limits, bind, limit_malloc_arenas
from web.slack import AcksFirst

logger = logging.getLogger("okrbot")
# Threads for what Bolt runs after answering Slack (the /okr answers, alerts and Home tabs after a check-in). Few, as
# the work is CPU-bound under the GIL: more would only slow the event loop that acks Slack's next requests.
AFTER_ACK_WORKERS = 2


def make_deps(settings: Settings, engine, clock=utc_now) -> Deps:
    """Listeners' dependencies; in multi-workspace mode each request is scoped to the workspace it came from."""
    if settings.multi_workspace:
        store = installation_store(settings.client_id, engine)
        return Deps(engine=engine, clock=clock, workspace_of=workspace_of_context,
                    forget_install=lambda context, at: forget_installation(store, context, happened_at=at))
    return Deps(engine=engine, clock=clock, forget_install=lambda _context, _at: settings.bot_token)


def build_app(settings: Settings, *, deps: Deps, client=None, after_ack=None) -> App:
    """The Bolt app with every listener registered; `after_ack` runs its lazy listeners."""
    common = dict(
        signing_secret=settings.signing_secret,
        request_verification_enabled=not settings.socket_mode,
        # Listeners finish before Slack gets its answer (view errors travel in the ack); what may come later runs as
        # a lazy listener in `after_ack`.
        process_before_response=True,
        listener_executor=after_ack,
    )
    if settings.multi_workspace:
        oauth = OAuthSettings(
            client_id=settings.client_id, client_secret=settings.client_secret, scopes=list(BOT_SCOPES),
            redirect_uri=settings.redirect_uri, install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
            installation_store=installation_store(settings.client_id, deps.engine),
            state_store=SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=deps.engine),
        )
        # No token here: Bolt gives each request a client carrying its own workspace's bot token.
        app = App(client=client or make_client(None, settings.api_url), oauth_settings=oauth, **common)
    else:
        app = App(client=client or make_client(settings.require_bot_token(), settings.api_url), **common)
    handlers.register(app, deps)
    return app


def start_scheduler(settings: Settings, engine, *, clock: Callable[[], datetime] = utc_now,
                    every: timedelta = timedelta(minutes=1)):
    """Run the tick every minute in the background; the tick itself decides what is due."""
    # Scheduled fan-out gets its own paced clients (Ticker), so interactive answers never wait behind it.
    ticker = Ticker(settings, engine)
    scheduler = BackgroundScheduler(timezone=UTC)
    # On the whole minute (counted from a fixed instant), so that several instances tick together and share the
    # minute's workspaces (bot.jobs.tick.Ticker) instead of the first one to wake taking them all.
    trigger = IntervalTrigger(seconds=every.total_seconds(), start_date=datetime(2026, 1, 1, tzinfo=UTC), timezone=UTC)
    scheduler.add_job(lambda: ticker.tick(now=clock()), trigger, max_instances=1, coalesce=True, id="okrbot-tick")
    # And once at start-up, so what fell due while okrbot was down goes out now, not on the next whole minute.
    scheduler.add_job(lambda: ticker.tick(now=clock()), "date", run_date=datetime.now(UTC), id="okrbot-first-tick")
    scheduler.start()
    return scheduler, ticker


def serve(settings: Settings, *, clock: Callable[[], datetime] = utc_now,
          tick_every: timedelta = timedelta(minutes=1)) -> int:
    """Run the bot until SIGTERM or SIGINT: HTTP or Socket Mode, with the scheduler unless it is off.

    `clock` and `tick_every` are the scheduler's (a benchmark runs simulated minutes faster than real ones).
    """
    settings.require_serving()
    limit_malloc_arenas()
    # Bolt falls back to SLACK_BOT_TOKEN from the environment even when handed a client, and then warns that the
    # token "will be unused"; okrbot passes every setting explicitly, so the variable has done its job.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    client = make_client(None if settings.multi_workspace else settings.bot_token, settings.api_url)
    check_slack(client, settings.api_url)
    sock = None if settings.socket_mode else _listen(settings.port)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    after_ack = AcksFirst(AFTER_ACK_WORKERS)
    app = build_app(settings, deps=make_deps(settings, engine), client=client, after_ack=after_ack)
    scheduler, ticker = (start_scheduler(settings, engine, clock=clock, every=tick_every) if settings.scheduler
                         else (None, None))
    try:
        if settings.socket_mode:
            _serve_socket_mode(app, settings.app_token, after_ack)
        else:
            web = Web(app, signing_secret=settings.signing_secret, limits=_limits(settings), after_ack=after_ack,
                      api=build_api(engine, clock=utc_now))
            # uvicorn handles SIGTERM and SIGINT: it stops accepting, lets requests in flight finish, and returns;
            # then it re-raises the signal, which this handler turns into a clean exit.
            signal.signal(signal.SIGTERM, lambda *_: None)
            logger.info("okrbot is listening on port %s (POST /slack/events%s; GET /health, /metrics; the API at "
                        "/api/v1)", settings.port,
                        "; install at GET /slack/install" if settings.multi_workspace else "")
            try:
                HttpServer(web.asgi, sock, _limits(settings)).run()
            finally:
                web.close()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            ticker.shutdown()
        # Answers already acked still reach their people.
        after_ack.shutdown(wait=True)
    logger.info("okrbot stopped")
    return 0


def _serve_socket_mode(app: App, app_token: str, after_ack: AcksFirst) -> None:
    """Serve Slack over Socket Mode until SIGTERM or SIGINT, then let the envelopes being worked on finish."""
    # Imported here, as the demo is in demo(): an HTTP deployment does not keep the websocket client in memory.
    from web.socket_mode import RETRYABLE, SocketMode, why_not_connected

    socket_mode = SocketMode(app, app_token, after_ack=after_ack)
    # The first connection is made here, so a refused SLACK_APP_TOKEN stops start-up with one sentence; anything
    # else (Slack or the network) is retried by run().
    try:
        first = socket_mode.connect()
    except RETRYABLE as exc:
        logger.warning("Socket Mode: cannot connect to Slack yet (%s); retrying", why_not_connected(exc))
        first = None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    def read() -> None:
        try:
            socket_mode.run(first=first)
        finally:
            # Should the loop ever end by itself, okrbot stops rather than run on deaf.
            stop.set()

    reader = threading.Thread(target=read, name="okrbot-socket-mode")
    reader.start()
    logger.info("okrbot is running in Socket Mode (no public URL needed)")
    stop.wait()
    socket_mode.stop()
    reader.join(timeout=10)


def _limits(settings: Settings) -> Limits:
    return Limits(max_connections=settings.max_connections)


def _listen(port: int):
    try:
        return bind("0.0.0.0", port)
    except OSError as exc:
        raise SettingsError(f"okrbot cannot listen on PORT {port}: {exc.strerror or exc}. Stop whatever uses it, "
                            "or set PORT to a free port.") from None


@dataclass(frozen=True)
class HttpApp:
    """The app served on loopback: its URL, how to stop it, and how to wait for the work its answers set off."""

    url: str
    stop: Callable[[], None]
    wait_idle: Callable[..., bool]


def run_http_app(settings: Settings, engine, *, clock, client=None, limits: Limits | None = None) -> HttpApp:
    """Serve the app on a free loopback port in a background thread (for the demo, tests and benchmarks).

    `client` replaces the Web API client Bolt would build from the settings, and `limits` the server's limits.
    """
    limits = limits or _limits(settings)
    after_ack = AcksFirst(AFTER_ACK_WORKERS)
    app = build_app(settings, deps=make_deps(settings, engine, clock), client=client, after_ack=after_ack)
    web = Web(app, signing_secret=settings.signing_secret, limits=limits, after_ack=after_ack,
              api=build_api(engine, clock=clock))
    server = HttpServer(web.asgi, bind("127.0.0.1", 0), limits).start()

    def stop():
        server.stop()
        web.close()
        after_ack.shutdown(wait=True)

    return HttpApp(f"http://127.0.0.1:{server.port}{EVENTS_PATH}", stop, after_ack.wait_idle)


def start_http_app(settings: Settings, engine, *, clock, client=None, limits: Limits | None = None):
    """run_http_app's URL and stop function."""
    served = run_http_app(settings, engine, clock=clock, client=client, limits=limits)
    return served.url, served.stop


def demo(weeks: int | None) -> int:
    """Run the demo quarter against the in-process fake Slack."""
    from bot.sim.demo import run_demo

    return run_demo(run_http_app, out=sys.stdout, weeks=weeks)


def main(argv=None) -> int:
    """The okrbot command (also `python app.py`)."""
    load_dotenv()
    return cli.main(sys.argv[1:] if argv is None else argv, serve=serve, demo=demo)


if __name__ == "__main__":
    sys.exit(main())
