"""Multi-workspace mode end to end: installs through Bolt's real OAuth flow, per-workspace tokens and uninstalls.

The app runs over HTTP on loopback with OAuth settings, FakeSlack plays Slack's OAuth exchange and Web API for
every workspace, and each workspace's requests arrive signed as coming from it.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest

from app import start_http_app
from bot import cli
from bot.sim.fake_slack import FakeSlack
from bot.okr_files.checker import load_okr_text
from bot.okr_files.importer import apply_okr_set
from bot.jobs.tick import tick_all
from bot.settings import Settings
from bot.sim.signed import Clock, SignedSlack
from bot.slack.workspaces import Installed, installation_store, targets
from web.app import EVENTS_PATH
from storage.db import session_scope

CLIENT_ID, CLIENT_SECRET = "111.222", "client-secret"
SECRET = "test-signing-secret"
STATE_COOKIE = "slack-app-oauth-state"
T1_TOKEN, T2_TOKEN = "xoxb-t1", "xoxb-t2"
# Friday check-ins at 10:00 UTC; every owner lives in UTC.
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NEXT_FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)

OKRS = """
cycle: {{name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}}
teams:
  - name: {team}
    channel: {channel}
    leads: [{owner}]
    timezone: UTC
    checkin: {{day: friday, time: "10:00"}}
objectives:
  - team: {team}
    title: {team} objective
    type: committed
    key_results:
      - id: kr
        title: {kr}
        owner: {owner}
        baseline: 0
        target: 10
"""
# One team per workspace, each with its own owner, channel and KR.
SEEDS = {
    "T1": dict(team="Alpha", channel="C1ALPHA", owner="U1ADA", kr="Alpha ships the widget"),
    "T2": dict(team="Beta", channel="C2BETA", owner="U2BEA", kr="Beta halves the churn"),
    "": dict(team="Solo", channel="C0SOLO", owner="U0SOL", kr="Solo keeps it simple"),
}


@dataclass
class Page:
    status: int
    headers: object
    body: str


def get(url: str, *, cookie: str | None = None) -> Page:
    """A browser's GET: the install page, or Slack redirecting the browser back with a code."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Page(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as err:
        return Page(err.code, err.headers, err.read().decode())


def seed(engine, workspace: str) -> None:
    """Import the workspace's one team, KR and owner into that workspace's rows."""
    with session_scope(engine, workspace) as session:
        apply_okr_set(load_okr_text(OKRS.format(**SEEDS[workspace])), session=session)


def dm_user(channel: str) -> str:
    """The user a DM went to, whether the app posted to the user id or to FakeSlack's DM id ("D" + user id)."""
    return channel.removeprefix("D")


def prompts_sent(fake: FakeSlack) -> set[tuple[str, str]]:
    """(token, user) of every check-in prompt DM that Slack accepted."""
    return {(call.token, dm_user(call.params["channel"])) for call in fake.calls_to("chat.postMessage")
            if call.error is None and str(call.params.get("text", "")).startswith("Time for your weekly OKR check-in")}


@dataclass
class Multi:
    """okrbot in multi-workspace mode, served over HTTP, with FakeSlack as Slack for every workspace."""

    fake: FakeSlack
    engine: object
    db_url: str
    settings: Settings
    url: str

    @property
    def base(self) -> str:
        return self.url.removesuffix(EVENTS_PATH)

    def begin_install(self) -> tuple[str, str]:
        """Open the install page as a browser does: the state in its Add to Slack link, and the state cookie."""
        page = get(self.base + "/slack/install")
        assert page.status == 200, page.body
        link = html.unescape(re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body).group(1))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert query["client_id"] == [CLIENT_ID]
        cookies = SimpleCookie()
        for header in page.headers.get_all("Set-Cookie"):
            cookies.load(header)
        assert cookies[STATE_COOKIE].value == query["state"][0]
        return query["state"][0], f"{STATE_COOKIE}={cookies[STATE_COOKIE].value}"

    def redirect(self, *, code: str | None, state: str | None, cookie: str | None) -> Page:
        """Slack sending the browser back to okrbot after the workspace approved it."""
        params = {k: v for k, v in (("code", code), ("state", state)) if v is not None}
        return get(f"{self.base}/slack/oauth_redirect?{urllib.parse.urlencode(params)}", cookie=cookie)

    def install(self, workspace: str, name: str, token: str, *, code: str | None = None) -> Page:
        """The whole OAuth flow for one workspace; fails the test unless the installation succeeded."""
        code = code or f"code-{workspace}-{token}"
        self.fake.add_install(code, team_id=workspace, team_name=name, bot_token=token)
        state, cookie = self.begin_install()
        page = self.redirect(code=code, state=state, cookie=cookie)
        assert page.status == 200, page.body
        return page

    def slack(self, workspace: str) -> SignedSlack:
        """Requests signed as coming from one workspace."""
        return SignedSlack(self.url, SECRET, team_id=workspace, fake=self.fake)

    def targets(self) -> list[Installed]:
        return targets(bot_token=None, client_id=CLIENT_ID, engine=self.engine)

    def tick(self, now: datetime):
        return tick_all(self.settings, self.engine, now=now)

    def tokens_used(self) -> set[str | None]:
        return {call.token for call in self.fake.calls}


def start_fake() -> FakeSlack:
    fake = FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    for seeded in SEEDS.values():
        fake.add_user(seeded["owner"], tz="UTC", name=seeded["owner"].lower())
        fake.add_channel(seeded["channel"], name=seeded["team"].lower())
    return fake


@pytest.fixture
def multi(engine, db_url):
    """The app in OAuth mode with no workspace installed yet."""
    fake = start_fake()
    settings = Settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, signing_secret=SECRET, api_url=fake.url,
                        database_url=db_url, scheduler=False)
    url, stop = start_http_app(settings, engine, clock=Clock(FRIDAY))
    try:
        yield Multi(fake, engine, db_url, settings, url)
    finally:
        stop()
        fake.stop()


@pytest.fixture
def two(multi):
    """T1 and T2 installed through OAuth, each with one team and one KR owner; no call recorded yet."""
    multi.install("T1", "Alpha Inc", T1_TOKEN)
    multi.install("T2", "Beta Ltd", T2_TOKEN)
    seed(multi.engine, "T1")
    seed(multi.engine, "T2")
    multi.fake.reset_calls()
    return multi


# --- installing -----------------------------------------------------------------------------------------------


def test_two_workspaces_install_through_oauth_each_with_its_own_token(multi, capsys):
    multi.install("T1", "Alpha Inc", T1_TOKEN)
    multi.install("T2", "Beta Ltd", T2_TOKEN)

    assert multi.targets() == [Installed("T1", T1_TOKEN, "Alpha Inc"), Installed("T2", T2_TOKEN, "Beta Ltd")]
    # Bolt exchanged each code once with the app's credentials, then asked who each new token is.
    assert [(c.method, c.token, c.params.get("code")) for c in multi.fake.calls] == [
        ("oauth.v2.access", None, f"code-T1-{T1_TOKEN}"), ("auth.test", T1_TOKEN, None),
        ("oauth.v2.access", None, f"code-T2-{T2_TOKEN}"), ("auth.test", T2_TOKEN, None),
    ]
    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "DATABASE_URL": multi.db_url}
    assert cli.main(["workspaces"], serve=lambda _settings: pytest.fail("serve must not run"), env=env) == 0
    assert capsys.readouterr().out.splitlines() == ["T1\tAlpha Inc", "T2\tBeta Ltd"]


def test_a_redirect_without_the_right_state_installs_nothing(multi):
    multi.fake.add_install("code-1", team_id="T1", team_name="Alpha Inc", bot_token=T1_TOKEN)
    state, cookie = multi.begin_install()

    refused = [
        multi.redirect(code="code-1", state=None, cookie=cookie),
        multi.redirect(code="code-1", state=state + "x", cookie=cookie),
        multi.redirect(code="code-1", state=state, cookie=None),  # another browser than the one that started
        multi.redirect(code="code-1", state=state, cookie=f"{STATE_COOKIE}={state}x"),
    ]

    assert all(400 <= page.status < 500 for page in refused), [page.status for page in refused]
    assert multi.targets() == []
    assert multi.fake.calls_to("oauth.v2.access") == []


def test_a_state_is_spent_by_the_install_that_used_it(multi):
    multi.fake.add_install("code-1", team_id="T1", team_name="Alpha Inc", bot_token=T1_TOKEN)
    multi.fake.add_install("code-2", team_id="T2", team_name="Beta Ltd", bot_token=T2_TOKEN)
    state, cookie = multi.begin_install()
    assert multi.redirect(code="code-1", state=state, cookie=cookie).status == 200

    replayed = multi.redirect(code="code-2", state=state, cookie=cookie)

    assert replayed.status == 401 and "invalid_state" in replayed.body
    assert [t.workspace for t in multi.targets()] == ["T1"]


def test_a_code_slack_refuses_installs_nothing(multi):
    state, cookie = multi.begin_install()

    page = multi.redirect(code="never-issued", state=state, cookie=cookie)

    assert page.status == 401 and "invalid_code" in page.body
    assert [c.error for c in multi.fake.calls] == ["invalid_code"]
    assert multi.targets() == []


# --- each workspace with its own token ------------------------------------------------------------------------


def test_the_tick_prompts_each_workspace_with_its_own_token(two):
    results = two.tick(now=FRIDAY)

    assert set(results) == {"T1", "T2"}
    assert prompts_sent(two.fake) == {(T1_TOKEN, "U1ADA"), (T2_TOKEN, "U2BEA")}
    for call in two.fake.calls:
        # No call with one workspace's token names the other workspace's owner or channel.
        other = SEEDS["T2"] if call.token == T1_TOKEN else SEEDS["T1"]
        assert other["owner"] not in str(call.params) and other["channel"] not in str(call.params), call


def test_a_slash_command_is_answered_with_its_workspaces_data_and_token(two):
    response = two.slack("T1").command("U1ADA", "checkin")

    assert response.status == 200
    (view,) = two.fake.views_opened()
    assert SEEDS["T1"]["kr"] in str(view["blocks"]) and SEEDS["T2"]["kr"] not in str(view["blocks"])
    assert two.tokens_used() == {T1_TOKEN}
    assert [c.method for c in two.fake.calls] == ["auth.test", "views.open"]


# --- uninstalling and reinstalling ----------------------------------------------------------------------------


def uninstall_t1(multi: Multi, *events: dict) -> None:
    """T1 removes okrbot: Slack revokes the token and tells the app with each event."""
    multi.fake.revoke(T1_TOKEN)
    for event in events:
        assert multi.slack("T1").event(event).status == 200


def assert_only_t2_is_served(multi: Multi, now: datetime) -> None:
    store = installation_store(CLIENT_ID, multi.engine)
    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert [t.workspace for t in multi.targets()] == ["T2"]
    multi.fake.reset_calls()
    assert set(multi.tick(now=now)) == {"T2"}
    assert T1_TOKEN not in multi.tokens_used()
    assert prompts_sent(multi.fake) == {(T2_TOKEN, "U2BEA")}


APP_UNINSTALLED = {"type": "app_uninstalled"}
BOT_TOKENS_REVOKED = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}
USER_TOKENS_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": ["U1ADA"]}}


@pytest.mark.parametrize("events", [
    [APP_UNINSTALLED],
    [BOT_TOKENS_REVOKED],
    # What Slack sends when a workspace uninstalls: both events, in either order.
    [BOT_TOKENS_REVOKED, APP_UNINSTALLED],
    [APP_UNINSTALLED, BOT_TOKENS_REVOKED],
], ids=["app_uninstalled", "tokens_revoked", "revoked-then-uninstalled", "uninstalled-then-revoked"])
def test_uninstalling_stops_sending_there_and_reinstalling_resumes(two, events):
    two.tick(now=FRIDAY)
    uninstall_t1(two, *events)

    assert_only_t2_is_served(two, NEXT_FRIDAY)

    two.install("T1", "Alpha Inc", "xoxb-t1-again")
    two.fake.reset_calls()
    two.tick(now=NEXT_FRIDAY.replace(hour=11))
    # The week's prompt T1 missed while uninstalled goes out late, with the new token only.
    assert prompts_sent(two.fake) == {("xoxb-t1-again", "U1ADA")}
    assert T1_TOKEN not in two.tokens_used()


def test_a_retried_uninstall_event_changes_nothing_more(two):
    uninstall_t1(two, APP_UNINSTALLED, APP_UNINSTALLED)

    assert_only_t2_is_served(two, FRIDAY)
    two.install("T1", "Alpha Inc", "xoxb-t1-again")
    two.fake.reset_calls()
    two.tick(now=FRIDAY)
    assert prompts_sent(two.fake) == {("xoxb-t1-again", "U1ADA")}


def test_revoking_only_user_tokens_changes_nothing(two):
    assert two.slack("T1").event(USER_TOKENS_REVOKED).status == 200

    assert [t.workspace for t in two.targets()] == ["T1", "T2"]
    two.tick(now=FRIDAY)
    assert prompts_sent(two.fake) == {(T1_TOKEN, "U1ADA"), (T2_TOKEN, "U2BEA")}


# --- single-token mode ----------------------------------------------------------------------------------------


def test_single_token_mode_uninstall_stops_the_tick_until_a_new_token(engine, db_url):
    fake = start_fake()
    settings = Settings(bot_token="xoxb-single", signing_secret=SECRET, api_url=fake.url, database_url=db_url,
                        scheduler=False)
    url, stop = start_http_app(settings, engine, clock=Clock(FRIDAY))
    try:
        seed(engine, "")
        assert SignedSlack(url, SECRET).event(APP_UNINSTALLED).status == 200
        fake.revoke("xoxb-single")
        fake.reset_calls()

        assert tick_all(settings, engine, now=FRIDAY) == {}
        assert fake.calls == []

        renewed = Settings(bot_token="xoxb-single-2", api_url=fake.url, database_url=db_url)
        assert set(tick_all(renewed, engine, now=FRIDAY)) == {""}
        assert prompts_sent(fake) == {("xoxb-single-2", "U0SOL")}
        assert {call.token for call in fake.calls} == {"xoxb-single-2"}
    finally:
        stop()
        fake.stop()
