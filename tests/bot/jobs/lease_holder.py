"""A scheduler instance for test_tick_leases, run as its own process: it claims workspace T1 and hangs on its
second message, until the test kills it with SIGKILL.

    python -m tests.bot.jobs.lease_holder DATABASE_URL SLACK_API_URL NOW
"""

import sys
import threading
from datetime import datetime

from bot.jobs.tick import Ticker
from bot.settings import Settings
from bot.slack.client import make_client
from storage.db import make_engine

CLIENT_ID = "111.222"


class HangsOnSecondPost:
    """The workspace's client, except that its second chat.postMessage never returns."""

    def __init__(self, client):
        self._client, self._posts = client, 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def chat_postMessage(self, **kwargs):
        self._posts += 1
        if self._posts >= 2:
            print("hanging", flush=True)
            threading.Event().wait()
        return self._client.chat_postMessage(**kwargs)


def main(db_url: str, api_url: str, now: str) -> None:
    settings = Settings(client_id=CLIENT_ID, client_secret="cs", signing_secret="s", api_url=api_url)
    ticker = Ticker(settings, make_engine(db_url), holder="doomed",
                    clients=lambda t: HangsOnSecondPost(make_client(t.token, api_url, backoff=0.0, jitter=0.0)))
    ticker.tick(now=datetime.fromisoformat(now))
    threading.Event().wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
