"""The scheduler's Ticker: every installed workspace ticks with its own token, and none waits for another."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation

from bot.okr_files.importer import import_file
from bot.jobs.tick import Ticker
from bot.settings import Settings
from bot.slack.client import make_client
from bot.slack.workspaces import BOT_SCOPES, installation_store
from storage.db import session_scope, upgrade

GROWTH = Path(__file__).resolve().parents[2] / "fixtures" / "growth.yaml"
CLIENT_ID = "111.222"
# Friday 27 Nov, 23:00 UTC: every Growth owner's 10:00 has passed, whatever their zone.
DUE = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


class GatedClient:
    """Wraps a workspace's client so its calls wait until the test opens the gate: a fan-out that takes long."""

    def __init__(self, client, gate: threading.Event):
        self._client, self._gate = client, gate

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def gated(*args, **kwargs):
            assert self._gate.wait(timeout=30), "the gate never opened"
            return attr(*args, **kwargs)

        return gated


def _install(engine, team_id: str, token: str) -> None:
    installation_store(CLIENT_ID, engine).save(Installation(
        app_id="A0OKR", enterprise_id=None, team_id=team_id, team_name=f"{team_id} Inc", bot_token=token,
        bot_id="B1", bot_user_id="U0BOT", bot_scopes=",".join(BOT_SCOPES), user_id="U0INSTALLER"))


def test_a_slow_workspace_delays_no_other_and_is_not_ticked_twice(engine, fake_slack):
    upgrade(engine)
    for team_id in ("T1", "T2"):
        _install(engine, team_id, f"xoxb-{team_id.lower()}")
        with session_scope(engine, team_id) as session:
            import_file(str(GROWTH), session=session)
    settings = Settings(client_id=CLIENT_ID, client_secret="cs", signing_secret="s", api_url=fake_slack.url)
    gate = threading.Event()

    def client_for(target):
        client = make_client(target.token, fake_slack.url, backoff=0.0, jitter=0.0)
        return GatedClient(client, gate) if target.workspace == "T1" else client

    ticker = Ticker(settings, engine, clients=client_for)
    try:
        first = ticker.tick(now=DUE)
        assert set(first) == {"T1", "T2"}
        t2 = first["T2"].result(timeout=30)
        assert t2["prompts"].sent and not first["T1"].done()
        # A minute later T1 is still busy with its fan-out: it is left to finish, T2 ticks again.
        second = ticker.tick(now=DUE + timedelta(minutes=1))
        assert set(second) == {"T2"}
        second["T2"].result(timeout=30)
        gate.set()
        t1 = first["T1"].result(timeout=30)
        assert sorted(t1["prompts"].sent) == sorted(t2["prompts"].sent) == ["U0ALICE", "U0BOB"]
        assert ticker.tick(now=DUE + timedelta(minutes=2))["T1"].result(timeout=30)["prompts"].sent == []
    finally:
        gate.set()
        ticker.shutdown()
    prompts = Counter((call.token, call.params["channel"]) for call in fake_slack.calls_to("chat.postMessage"))
    # Each workspace's prompts, and this week's digest (posted late, as it was due on Monday), once, with its token.
    assert prompts == {("xoxb-t1", "U0ALICE"): 1, ("xoxb-t1", "U0BOB"): 1, ("xoxb-t1", "C0GROWTH"): 1,
                       ("xoxb-t2", "U0ALICE"): 1, ("xoxb-t2", "U0BOB"): 1, ("xoxb-t2", "C0GROWTH"): 1}
