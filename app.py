"""okrbot's composition root: load .env, build settings, build the Bolt app, register handlers, start."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from dotenv import load_dotenv
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

import handlers
from bot import cli
from bot.jobs.tick import Ticker
from bot.settings import Settings
from bot.sim.demo import run_demo
from bot.slack.client import make_client
from bot.slack.workspaces import BOT_SCOPES, forget_installation, installation_store, workspace_of_context
from handlers.deps import Deps, utc_now
from handlers.server import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, make_http_server
from storage.db import make_engine, upgrade

logger = logging.getLogger("okrbot")


def make_deps(settings: Settings, engine, clock=utc_now) -> Deps:
    """Listeners' dependencies; in multi-workspace mode each request is scoped to the workspace it came from."""
    if settings.multi_workspace:
        store = installation_store(settings.client_id, engine)
        return Deps(engine=engine, clock=clock, workspace_of=workspace_of_context,
                    forget_install=lambda context, at: forget_installation(store, context, happened_at=at))
    return Deps(engine=engine, clock=clock, forget_install=lambda _context, _at: settings.bot_token)


def build_app(settings: Settings, *, deps: Deps, client=None) -> App:
    """The Bolt app with every listener registered."""
    common = dict(
        signing_secret=settings.signing_secret,
        request_verification_enabled=not settings.socket_mode,
        # Listeners finish before Slack gets its answer: view errors travel in the ack, and nothing runs after it.
        process_before_response=True,
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


def start_scheduler(settings: Settings, engine):
    """Run the tick every minute in the background; the tick itself decides what is due."""
    # Scheduled fan-out gets its own paced clients (Ticker), so interactive answers never wait behind it.
    ticker = Ticker(settings, engine)
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(lambda: ticker.tick(now=datetime.now(UTC)), "interval", minutes=1,
                      next_run_time=datetime.now(UTC), max_instances=1, coalesce=True, id="okrbot-tick")
    scheduler.start()
    return scheduler, ticker


def serve(settings: Settings) -> int:
    """Run the bot until interrupted: HTTP or Socket Mode, with the scheduler unless it is off."""
    settings.require_serving()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = build_app(settings, deps=make_deps(settings, engine))
    scheduler, ticker = start_scheduler(settings, engine) if settings.scheduler else (None, None)
    try:
        if settings.socket_mode:
            logger.info("okrbot is running in Socket Mode")
            SocketModeHandler(app, settings.app_token).start()
        else:
            server = make_http_server(app, "0.0.0.0", settings.port)
            # SystemExit unwinds serve_forever, so the finally block stops the scheduler cleanly.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            logger.info("okrbot is listening on port %s (POST /slack/events%s)", settings.port,
                        "; install at GET /slack/install" if settings.multi_workspace else "")
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            ticker.shutdown()
    return 0


def start_http_app(settings: Settings, engine, *, clock, client=None):
    """Serve the app on a free loopback port in a background thread: its URL and a function that stops it.

    For the demo, tests and benchmarks; `client` replaces the Web API client Bolt would build from the settings.
    """
    app = build_app(settings, deps=make_deps(settings, engine, clock), client=client)
    server = make_http_server(app, "127.0.0.1", 0)
    # A short poll so stop() returns within 10 ms (serve_forever's default of 0.5 s made every test's teardown wait).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", stop


def demo(weeks: int | None) -> int:
    """Run the demo quarter against the in-process fake Slack."""
    return run_demo(start_http_app, out=sys.stdout, weeks=weeks)


def main(argv=None) -> int:
    """The okrbot command (also `python app.py`)."""
    load_dotenv()
    return cli.main(sys.argv[1:] if argv is None else argv, serve=serve, demo=demo)


if __name__ == "__main__":
    sys.exit(main())
