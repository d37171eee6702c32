"""okrbot's composition root: load .env, build settings, build the Bolt app, register handlers, start."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from dotenv import load_dotenv
from slack_bolt import App

import handlers
from bot import cli
from bot.jobs import run_tick
from bot.settings import Settings
from bot.slack_client import DEFAULT_LIMITS, Pacer, make_client
from handlers.deps import Deps, utc_now
from handlers.server import EVENTS_PATH, make_http_server
from storage.db import make_engine, upgrade

logger = logging.getLogger("okrbot")


def build_app(settings: Settings, *, deps: Deps, client=None) -> App:
    """The Bolt app with every listener registered."""
    client = client or make_client(settings.require_bot_token(), settings.api_url)
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=not settings.socket_mode,
        # Listeners finish before Slack gets its answer: view errors travel in the ack, and nothing runs after it.
        process_before_response=True,
    )
    handlers.register(app, deps)
    return app


def start_scheduler(settings: Settings, engine, client):
    """Run the tick every minute in the background; the tick itself decides what is due."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(lambda: run_tick(datetime.now(UTC), engine=engine, client=client), "interval", minutes=1,
                      next_run_time=datetime.now(UTC), max_instances=1, coalesce=True, id="okrbot-tick")
    scheduler.start()
    return scheduler


def serve(settings: Settings) -> int:
    """Run the bot until interrupted: HTTP or Socket Mode, with the scheduler unless it is off."""
    settings.require_serving()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = build_app(settings, deps=Deps(engine=engine, clock=utc_now))
    # Scheduled fan-out gets its own paced client; interactive answers must never wait behind it.
    jobs_client = make_client(settings.bot_token, settings.api_url, pacer=Pacer(DEFAULT_LIMITS))
    scheduler = start_scheduler(settings, engine, jobs_client) if settings.scheduler else None
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            logger.info("okrbot is running in Socket Mode")
            SocketModeHandler(app, settings.app_token).start()
        else:
            server = make_http_server(app, "0.0.0.0", settings.port)
            # SystemExit unwinds serve_forever, so the finally block stops the scheduler cleanly.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            logger.info("okrbot is listening on port %s (POST /slack/events)", settings.port)
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def start_http_app(settings: Settings, engine, clock):
    """Serve the app on a free loopback port in a background thread: its URL and a function that stops it."""
    app = build_app(settings, deps=Deps(engine=engine, clock=clock))
    server = make_http_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", stop


def demo(weeks: int | None) -> int:
    """Run the demo quarter against the in-process fake Slack."""
    from bot.demo import run_demo

    return run_demo(start_http_app, out=sys.stdout, weeks=weeks)


def main(argv=None) -> int:
    """The okrbot command (also `python app.py`)."""
    load_dotenv()
    return cli.main(sys.argv[1:] if argv is None else argv, serve=serve, demo=demo)


if __name__ == "__main__":
    sys.exit(main())
