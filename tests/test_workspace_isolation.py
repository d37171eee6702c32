"""Two workspaces in one database: no command, Home tab, prompt, digest, export or mutation of one shows or touches
the other's data.

T1 and T2 collide on purpose: each has a team called Growth, a cycle called 2026-Q4, the objective key north-star
and the KR key kr1, and the same person, U0SAME, is in both (Enterprise Grid) with different roles: lead of
Growth in T1 (owning nothing there), owner of a Growth KR in T2 (leading nothing there). Everything else is
recognisable: each workspace's titles, notes, units, values, channels, dates and the people only it has are its
"markers", and every answer given in one workspace is searched for the other's markers.

Requests are real signed HTTP requests into the app in multi-workspace (OAuth) mode, each workspace installed
with its own bot token; Slack is the fake Web API, which records the token of every call, so each message, modal
and Home tab is attributed to the workspace whose token sent it.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import yaml
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from bot import cli

from bot.slack import ids
from bot.sim.fake_slack import FakeSlack
from bot.settings import Settings
from bot.slack.client import make_client
from bot.sim.signed import Clock, SignedSlack
from storage.db import session_scope
from storage.models import SCOPED_TABLES, CheckIn, Cycle, KeyResult, Objective, Prompt, Team, TeamLead
from tests.flows import wait_for

CLIENT_ID, CLIENT_SECRET, SECRET = "client-id.42", "client-secret", "multi-signing-secret"
WORKSPACES = ("T1", "T2")
OTHER = {"T1": "T2", "T2": "T1"}
TOKENS = {"T1": "xoxb-t1", "T2": "xoxb-t2"}
# The person in both workspaces: Growth's lead in T1, a KR owner in T2.
SAME = "U0SAME"
# The one person only each workspace has, who owns its KRs (T2 also has its own lead of Growth).
OWNER = {"T1": "U0ANN1", "T2": "U0BEN2"}
LEAD2 = "U0LEAD2"
# Each workspace's Growth channel, and the channel of its second team (Apollo in T1, Zephyr in T2).
GROWTH_CHANNEL = {"T1": "C0GROWTH1", "T2": "C0GROWTH2"}
SECOND_TEAM = {"T1": "Apollo", "T2": "Zephyr"}
SECOND_CHANNEL = {"T1": "C0APOLLO1", "T2": "C0ZEPHYR2"}

OKRS = {
    "T1": """
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Growth
    channel: C0GROWTH1
    leads: [U0SAME]
    timezone: Europe/London
    checkin: {day: friday, time: "10:00"}
    digest: {day: monday, time: "09:00"}
  - name: Apollo
    channel: C0APOLLO1
    leads: [U0ANN1]
    timezone: Europe/London
    checkin: {day: friday, time: "10:00"}
    digest: {day: monday, time: "09:00"}
objectives:
  - team: Growth
    id: north-star
    title: T1-secret make onboarding effortless
    key_results:
      - id: kr1
        title: T1-secret activation grows from 1111 to 2222 signups
        owner: U0ANN1
        baseline: 1111
        target: 2222
        unit: t1-widgets
  - team: Apollo
    id: apollo-launch
    title: T1-secret launch Apollo to every region
    key_results:
      - id: kr1
        title: T1-secret Apollo regions live from 3 to 7
        owner: U0ANN1
        baseline: 3
        target: 7
""",
    "T2": """
cycle: {name: 2026-Q4, start: 2026-09-28, end: 2026-12-27}
teams:
  - name: Growth
    channel: C0GROWTH2
    leads: [U0LEAD2]
    timezone: Europe/London
    checkin: {day: friday, time: "10:00"}
    digest: {day: monday, time: "09:00"}
  - name: Zephyr
    channel: C0ZEPHYR2
    leads: [U0LEAD2]
    timezone: Europe/London
    checkin: {day: friday, time: "10:00"}
    digest: {day: monday, time: "09:00"}
objectives:
  - team: Growth
    id: north-star
    title: T2-secret grow revenue from existing customers
    key_results:
      - id: kr1
        title: T2-secret revenue grows from 5555 to 9999 per month
        owner: U0SAME
        baseline: 5555
        target: 9999
        unit: t2-dollars
      - id: kr2
        title: T2-secret retention rises from 64 to 88 percent
        owner: U0BEN2
        baseline: 64
        target: 88
        unit: "%"
  - team: Zephyr
    id: zephyr-pilot
    title: T2-secret pilot Zephyr with design partners
    key_results:
      - id: kr1
        title: T2-secret Zephyr pilots signed from 0 to 6
        owner: U0BEN2
        baseline: 0
        target: 6
""",
}

# What only that workspace has: anything here showing up in the other workspace is a leak.
MARKERS = {
    "T1": ("T1-secret", "t1-widgets", "Apollo", "C0APOLLO1", "C0GROWTH1", "U0ANN1", "t1ann", "1111", "2222", "1357",
           "1200", "2026-10-01", "2026-12-31"),
    "T2": ("T2-secret", "t2-dollars", "Zephyr", "C0ZEPHYR2", "C0GROWTH2", "U0BEN2", "t2ben", "U0LEAD2", "t2lee",
           "5555", "9999", "8642", "6000", "2026-09-28", "2026-12-27"),
}
# Seeded check-ins, by workspace and KR title prefix: (when, value, confidence, note).
SEEDED = {
    "T1": {"T1-secret activation": [("2026-11-13T11:00", 1200, "green", ""),
                                    ("2026-11-20T11:00", 1357, "amber", "T1-secret note: the welcome emails slipped")]},
    "T2": {"T2-secret revenue": [("2026-11-13T11:00", 6000, "green", ""),
                                 ("2026-11-20T11:00", 8642, "green", "T2-secret note: two upsells closed")],
           "T2-secret retention": [("2026-11-20T11:00", 70, "amber", "T2-secret note: churn in the SMB tier")]},
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def leaks(text: str, workspace: str) -> list[str]:
    """The other workspace's markers found in text shown in `workspace`."""
    return [marker for marker in MARKERS[OTHER[workspace]] if marker in text]


def assert_private(text: str, workspace: str, where: str) -> None:
    found = leaks(text, workspace)
    assert not found, f"{where} in {workspace} shows {OTHER[workspace]}'s {found}:\n{text[:3000]}"


def view_text(view: dict) -> str:
    """Everything a modal or Home tab shows or carries: title, blocks and private metadata."""
    return json.dumps({k: view.get(k) for k in ("title", "blocks", "private_metadata", "submit", "close")})


def message_text(params: dict) -> str:
    return json.dumps({k: params.get(k) for k in ("text", "blocks", "attachments", "user", "channel")})


@dataclass
class TwoWorkspaces:
    """The app in multi-workspace mode with T1 and T2 installed, both in one database."""

    fake: FakeSlack
    engine: object
    db_url: str
    settings: Settings
    clock: Clock
    url: str
    slack: dict[str, SignedSlack]

    @property
    def env(self) -> dict[str, str]:
        """The environment of `okrbot` commands run against this database in multi-workspace mode."""
        return {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "DATABASE_URL": self.db_url}

    def cli(self, *argv: str) -> int:
        return cli.main(list(argv), serve=_no_serve, env=self.env)

    def command(self, workspace: str, user: str, text: str):
        resp = self.slack[workspace].command(user, text)
        assert resp.status == 200, resp.body
        return resp

    def session(self, workspace: str):
        return session_scope(self.engine, workspace)

    def kr_id(self, workspace: str, title_start: str) -> int:
        with self.session(workspace) as s:
            return s.exec(select(KeyResult.id).where(KeyResult.title.startswith(title_start))).one()

    def team_id(self, workspace: str, name: str) -> int:
        with self.session(workspace) as s:
            return s.exec(select(Team.id).where(Team.name == name)).one()

    def kr_ids(self, workspace: str) -> set[int]:
        with self.session(workspace) as s:
            return set(s.exec(select(KeyResult.id)))

    def calls(self, method: str, workspace: str) -> list:
        """The fake's calls to `method` made with that workspace's bot token."""
        return [c for c in self.fake.calls_to(method) if c.token == TOKENS[workspace]]

    def tick(self, now: datetime) -> dict:
        """The scheduler's tick of every installed workspace, each with its own token (unpaced for speed)."""
        from bot.jobs.tick import tick_all

        self.clock.set(now)
        results = tick_all(self.settings, self.engine, now=now,
                           clients=lambda t: make_client(t.token, self.fake.url, backoff=0.0, jitter=0.0))
        assert list(results) == list(WORKSPACES)
        return results

    def snapshot(self, workspace: str) -> dict[str, list[dict]]:
        """Every row of the workspace, table by table, as plain dicts (to prove another one left it alone)."""
        out = {}
        with self.session(workspace) as s:
            for model in SCOPED_TABLES:
                rows = [row.model_dump() for row in s.exec(select(model))]
                out[model.__tablename__] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        return out


def _no_serve(_settings):
    raise AssertionError("the CLI must not serve in these tests")


def _install(engine, workspace: str) -> None:
    from bot.slack.workspaces import installation_store

    installation_store(CLIENT_ID, engine).save(Installation(
        app_id="A0OKR", enterprise_id=None, team_id=workspace, team_name=f"Workspace {workspace}",
        bot_token=TOKENS[workspace], bot_id=f"B0{workspace}", bot_user_id="U0BOT",
        bot_scopes="chat:write,commands,users:read", user_id=SAME, installed_at=time.time()))


@pytest.fixture
def two(engine, db_url, tmp_path):
    """T1 and T2 installed, their OKR files imported with `okrbot import --workspace`, check-ins in both."""
    from app import start_http_app

    # Only the two installations' tokens work, and auth.test answers each with its own workspace.
    fake = FakeSlack(tokens=())
    for workspace in WORKSPACES:
        fake.add_install(f"code-{workspace}", team_id=workspace, team_name=f"Workspace {workspace}",
                         bot_token=TOKENS[workspace], installer=SAME)
    fake.start()
    fake.add_user(SAME, tz="Europe/London", name="sam")
    fake.add_user(OWNER["T1"], tz="Europe/London", name="t1ann")
    fake.add_user(OWNER["T2"], tz="Europe/London", name="t2ben")
    fake.add_user(LEAD2, tz="Europe/London", name="t2lee")
    # The conversation SignedSlack's button clicks come from, where ephemeral answers go.
    fake.add_channel("D0ANY")
    for workspace in WORKSPACES:
        fake.add_channel(GROWTH_CHANNEL[workspace])
        fake.add_channel(SECOND_CHANNEL[workspace])
        _install(engine, workspace)
    settings = Settings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, signing_secret=SECRET, api_url=fake.url,
                        database_url=str(engine.url), scheduler=False)
    clock = Clock(at("2026-11-23T12:00"))
    url, stop = start_http_app(settings, engine, clock=clock)
    env = TwoWorkspaces(fake=fake, engine=engine, db_url=db_url, settings=settings, clock=clock, url=url,
                        slack={w: SignedSlack(url, SECRET, team_id=w, fake=fake) for w in WORKSPACES})
    try:
        for workspace in WORKSPACES:
            path = tmp_path / f"{workspace}.yaml"
            path.write_text(OKRS[workspace])
            assert env.cli("import", str(path), "--workspace", workspace) == 0
            with env.session(workspace) as s:
                for title, checkins in SEEDED[workspace].items():
                    kr = s.exec(select(KeyResult).where(KeyResult.title.startswith(title))).one()
                    for when, value, confidence, note in checkins:
                        s.add(CheckIn(kr_id=kr.id, author_id=kr.owner_id, value=value, confidence=confidence,
                                      note=note, created_at=at(when)))
        fake.reset_calls()
        yield env
    finally:
        stop()
        fake.stop()


# --- The seed itself ---------------------------------------------------------------------------------------------


def test_both_workspaces_hold_colliding_names_in_one_database(two):
    """The premise: one database, two Growth teams, two 2026-Q4 cycles, the same keys; each session sees its own."""
    for workspace in WORKSPACES:
        with two.session(workspace) as s:
            assert [t.name for t in s.exec(select(Team).order_by(Team.name))] == sorted(["Growth",
                                                                                        SECOND_TEAM[workspace]])
            assert [c.name for c in s.exec(select(Cycle))] == ["2026-Q4"]
            assert {o.key for o in s.exec(select(Objective))} >= {"north-star"}
            assert all(row.workspace_id == workspace for model in SCOPED_TABLES for row in s.exec(select(model)))
    with two.engine.connect() as conn:
        growth = conn.execute(sa.text("SELECT workspace_id, channel FROM teams WHERE name = 'Growth' "
                                      "ORDER BY workspace_id")).all()
        cycles = conn.execute(sa.text("SELECT workspace_id FROM cycles WHERE name = '2026-Q4' "
                                      "ORDER BY workspace_id")).all()
    assert [tuple(r) for r in growth] == [("T1", "C0GROWTH1"), ("T2", "C0GROWTH2")]
    assert [r[0] for r in cycles] == ["T1", "T2"]


# --- Read-only commands and App Home -----------------------------------------------------------------------------

# A near miss of the other workspace's second team: "did you mean" must not suggest it.
NEAR_MISS = {"T1": "Zephy", "T2": "Apoll"}


def _read_only_commands(workspace: str) -> list[tuple[str, str]]:
    users = [SAME, OWNER[workspace]] + ([LEAD2] if workspace == "T2" else [])
    texts = ["help", "", "status", "status Growth", "status growth", f"status {SECOND_TEAM[workspace]}", "status me",
             f"status <@{SAME}|sam>", f"status <@{OWNER[workspace]}>", f"status {NEAR_MISS[workspace]}", "team",
             "team Growth", "team help", "cycle", "lint", "lint Growth", f"lint {NEAR_MISS[workspace]}",
             "digest Growth preview", "digest preview", f"digest {NEAR_MISS[workspace]} preview",
             "digest Growth"]
    return [(user, text) for user in users for text in texts]


def test_read_only_commands_answer_from_the_callers_workspace_only(two):
    """Every read-only /okr answer in a workspace shows none of the other's teams, KRs, notes, values or people."""
    for workspace in WORKSPACES:
        for user, text in _read_only_commands(workspace):
            body = two.command(workspace, user, text).body
            assert_private(body, workspace, f"/okr {text} by {user}")
            rendered = two.fake.render(json.loads(body).get("blocks") or [])
            assert_private(rendered, workspace, f"/okr {text} by {user} (rendered)")


def test_read_only_commands_show_the_callers_own_data(two):
    """The same commands are not blank: each workspace sees its own Growth, cycle, leads and check-ins."""
    for workspace in WORKSPACES:
        other = OTHER[workspace]
        growth = two.command(workspace, OWNER[workspace], "status Growth").body
        assert f"{workspace}-secret" in growth and f"{other}-secret" not in growth
        assert {"T1": "1357", "T2": "8642"}[workspace] in growth
        teams = json.loads(two.command(workspace, SAME, "team").body)
        assert GROWTH_CHANNEL[workspace] in teams["text"] and SECOND_CHANNEL[workspace] in teams["text"]
        assert "2 teams" in json.dumps(teams["blocks"])
        lead = {"T1": SAME, "T2": LEAD2}[workspace]
        assert f"<@{lead}>" in two.command(workspace, SAME, "team Growth").body
        cycle = json.loads(two.command(workspace, SAME, "cycle").body)["text"]
        start, end = {"T1": ("2026-10-01", "2026-12-31"), "T2": ("2026-09-28", "2026-12-27")}[workspace]
        assert cycle.count("2026-Q4") == 1 and f"{start} to {end}" in cycle, cycle
        assert f"{workspace}-secret" in two.command(workspace, SAME, "digest Growth preview").body
        assert "Did you mean" not in two.command(workspace, SAME, f"status {NEAR_MISS[workspace]}").body
        # A person of the other workspace owns nothing here, even when mentioned by id.
        mention = two.command(workspace, SAME, f"status <@{OWNER[other]}>").body
        assert "owns no key results" in mention
        assert_private(mention.replace(f"<@{OWNER[other]}>", ""), workspace, "status of the other's owner")

    # U0SAME leads Growth in T1 and owns nothing there; in T2 they own the revenue KR and lead nothing.
    t1_me = two.command("T1", SAME, "status me").body
    assert "You own no key results" in t1_me
    t1_mine = two.command("T1", SAME, "status").body
    assert "T1-secret activation" in t1_mine
    t2_me = two.command("T2", SAME, "status me").body
    assert "T2-secret revenue" in t2_me and "T2-secret retention" not in t2_me


def _last_modal(two, workspace: str) -> dict:
    """The modal views.open showed last, checked to have been opened with that workspace's token."""
    opened = two.fake.calls_to("views.open")[-1]
    assert opened.token == TOKENS[workspace], f"the modal was opened with {opened.token}"
    view = two.fake.views_opened()[-1]
    assert_private(view_text(view), workspace, "check-in modal")
    assert_private(two.fake.render(view.get("blocks") or []), workspace, "check-in modal (rendered)")
    return view


def _modal_krs(view: dict) -> list[int]:
    return json.loads(view.get("private_metadata") or "{}").get("krs", [])


def test_checkin_modal_offers_only_the_workspaces_key_results(two):
    """/okr checkin lists the caller's KRs of this workspace: U0SAME's T2 KR never appears in T1, and being T1's
    lead lets U0SAME check in for nobody in T2."""
    t1_activation = two.kr_id("T1", "T1-secret activation")
    t2_revenue = two.kr_id("T2", "T2-secret revenue")

    two.command("T1", SAME, "checkin")
    view = _last_modal(two, "T1")
    assert _modal_krs(view) == [] and "You own no key results" in view_text(view)

    two.command("T2", SAME, "checkin")
    view = _last_modal(two, "T2")
    assert _modal_krs(view) == [t2_revenue]

    # As T1's Growth lead, on behalf of T1's owner: only Growth's KR, not Apollo's (not led) nor any of T2.
    two.command("T1", SAME, f"checkin <@{OWNER['T1']}>")
    assert _modal_krs(_last_modal(two, "T1")) == [t1_activation]
    # In T2 U0SAME leads nothing, so they may not check in for T2's owner.
    two.command("T2", SAME, f"checkin <@{OWNER['T2']}>")
    view = _last_modal(two, "T2")
    assert _modal_krs(view) == [] and "teams you lead" in view_text(view)

    for workspace in WORKSPACES:
        two.command(workspace, OWNER[workspace], "checkin")
        krs = _modal_krs(_last_modal(two, workspace))
        assert krs and set(krs) <= two.kr_ids(workspace)
        # The other workspace's owner owns nothing here.
        two.command(workspace, OWNER[OTHER[workspace]], "checkin")
        assert _modal_krs(_last_modal(two, workspace)) == []


def _status_buttons(view: dict) -> list[str]:
    return [b["accessory"]["value"] for b in view["blocks"]
            if b.get("accessory", {}).get("action_id") == ids.OPEN_STATUS]


def test_app_home_shows_only_the_workspace_of_the_event(two):
    """app_home_opened in a workspace publishes a Home tab built from that workspace only, with its own token:
    U0SAME's Home in T1 is a lead's (T1's Growth, no KRs), in T2 an owner's (T2's revenue KR, no team)."""
    growth = {w: two.team_id(w, "Growth") for w in WORKSPACES}
    expected = {("T1", SAME): ("You own no key results", [f"team:{growth['T1']}"]),
                ("T1", OWNER["T1"]): ("T1-secret Apollo regions", [f"team:{two.team_id('T1', 'Apollo')}"]),
                ("T2", SAME): ("T2-secret revenue", []),
                ("T2", OWNER["T2"]): ("T2-secret Zephyr pilots", []),
                ("T2", LEAD2): ("You own no key results", [f"team:{growth['T2']}",
                                                           f"team:{two.team_id('T2', 'Zephyr')}"])}
    for (workspace, user), (shown, buttons) in expected.items():
        resp = two.slack[workspace].event({"type": "app_home_opened", "user": user, "tab": "home",
                                           "channel": f"D{user}", "event_ts": str(time.time())})
        assert resp.status == 200, resp.body
        published = wait_for(lambda: [c for c in two.calls("views.publish", workspace)
                                      if c.params.get("user_id") == user])
        assert published, f"no Home tab published for {user} in {workspace}"
        home = two.fake.published_home(user)
        # The Home tab the fake shows is the one this workspace's token published last.
        assert home["blocks"] == published[-1].params["view"]["blocks"]
        assert shown in view_text(home), view_text(home)
        assert _status_buttons(home) == buttons
        assert_private(view_text(home), workspace, f"Home tab of {user}")
        assert_private(two.fake.render(home["blocks"]), workspace, f"Home tab of {user} (rendered)")
    assert {c.token for c in two.fake.calls_to("views.publish")} == set(TOKENS.values())


def test_status_button_naming_another_workspaces_team_shows_nothing_of_it(two):
    """A Status button click from T1 carrying T2's Growth id (forged) finds no such team; T2's own click works."""
    for workspace in WORKSPACES:
        other = OTHER[workspace]
        two.slack[workspace].click(SAME, ids.OPEN_STATUS, f"team:{two.team_id(other, 'Growth')}")
        view = _last_modal(two, workspace)
        assert "That team no longer exists" in view_text(view)
        two.slack[workspace].click(SAME, ids.OPEN_STATUS, f"team:{two.team_id(workspace, 'Growth')}")
        assert f"{workspace}-secret" in view_text(_last_modal(two, workspace))


# --- Scheduled prompts, alerts, Home refreshes and digests --------------------------------------------------------

# Where each workspace's token may post: its teams' channels and DMs with its own people.
PEOPLE = {"T1": {SAME, OWNER["T1"]}, "T2": {SAME, OWNER["T2"], LEAD2}}


def _assert_every_call_private(two) -> None:
    """Every message, modal and Home tab any token sent carries nothing of the other workspace, and every message
    went to a channel or person of the token's own workspace."""
    workspace_of_token = {token: w for w, token in TOKENS.items()}
    for call in two.fake.calls:
        workspace = workspace_of_token.get(call.token)
        assert workspace is not None, f"{call.method} was called with an unknown token"
        where = f"{call.method} with {workspace}'s token"
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            assert_private(message_text(call.params), workspace, where)
            assert_private(two.fake.render(call.params.get("blocks") or []), workspace, where + " (rendered)")
        elif call.method in ("views.open", "views.update", "views.push", "views.publish"):
            view = call.params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            assert_private(view_text(view), workspace, where)
        if call.method == "chat.postMessage":
            allowed = {GROWTH_CHANNEL[workspace], SECOND_CHANNEL[workspace]}
            allowed |= {p for p in PEOPLE[workspace]} | {two.fake.dm_channel_id(p) for p in PEOPLE[workspace]}
            assert call.params["channel"] in allowed, f"{where} posted to {call.params['channel']}"
        if call.method in ("users.info", "conversations.open"):
            asked = call.params.get("user") or call.params.get("users")
            assert asked in PEOPLE[workspace], f"{where} asked about {asked}"


def _posted(two, workspace: str) -> dict[str, list[dict]]:
    """chat.postMessage params sent with the workspace's token, by channel (a DM posted to a user id by its DM id)."""
    out: dict[str, list[dict]] = {}
    for call in two.calls("chat.postMessage", workspace):
        channel = call.params["channel"]
        channel = two.fake.dm_channel_id(channel) if channel.startswith("U") else channel
        out.setdefault(channel, []).append(call.params)
    return out


def _checkin(two, workspace: str, user: str, answers: dict[int, tuple[str, str, str]], view_id: str) -> None:
    """The real flow: /okr checkin opens the modal, the modal comes back filled."""
    two.command(workspace, user, "checkin")
    view = _last_modal(two, workspace)
    resp = two.slack[workspace].submit(user, view, answers, view_id=view_id)
    assert resp.status == 200 and resp.json()["response_action"] == "update", resp.body
    assert_private(resp.body, workspace, "check-in answer")


def test_scheduled_prompts_alerts_and_digests_stay_in_their_workspace(two):
    """A whole week in both workspaces at once: each tick prompts only its own owners with its own token, each
    check-in alerts only its own leads and refreshes Home tabs with its own data, and each Monday digest lands in
    its own Growth channel with its own KRs. U0SAME, T1's lead and T2's owner, gets T2's prompt and T1's alert."""
    dm = two.fake.dm_channel_id
    results = two.tick(now=at("2026-11-27T10:05"))
    assert set(results) == set(WORKSPACES)
    assert all(report is not None for jobs in results.values() for report in jobs.values()), results
    # (Last Monday's digests, never sent, go out late in this tick too: see the Monday tick below.)
    prompts = {w: {c: ps for c, ps in _posted(two, w).items() if c.startswith("D")} for w in WORKSPACES}
    assert set(prompts["T1"]) == {dm(OWNER["T1"])}
    assert set(prompts["T2"]) == {dm(SAME), dm(OWNER["T2"])}
    (t1_prompt,) = prompts["T1"][dm(OWNER["T1"])]
    assert "T1-secret activation" in two.fake.render(t1_prompt["blocks"])
    (same_prompt,) = prompts["T2"][dm(SAME)]
    rendered = two.fake.render(same_prompt["blocks"])
    assert "T2-secret revenue" in rendered and "T2-secret retention" not in rendered
    with two.session("T1") as s:
        assert {p.user_id for p in s.exec(select(Prompt))} == {OWNER["T1"]}
    with two.session("T2") as s:
        assert {p.user_id for p in s.exec(select(Prompt))} == {SAME, OWNER["T2"]}

    # Check-ins through the modal in both workspaces: each a sharp drop, so each alerts its own Growth lead.
    two.clock.set(at("2026-11-27T11:00"))
    _checkin(two, "T1", OWNER["T1"], {two.kr_id("T1", "T1-secret activation"): ("1500", "red",
                                                                              "T1-secret blocked on legal")}, "VT1A")
    _checkin(two, "T2", SAME, {two.kr_id("T2", "T2-secret revenue"): ("7000", "red",
                                                                      "T2-secret lost a big account")}, "VT2A")
    alerts = {w: wait_for(lambda w=w: [(c, p) for c, ps in _posted(two, w).items() for p in ps
                                       if "Confidence drop" in p["text"]]) for w in WORKSPACES}
    assert [c for c, _ in alerts["T1"]] == [dm(SAME)]
    assert [c for c, _ in alerts["T2"]] == [dm(LEAD2)]
    alerts = {w: [p for _, p in alerts[w]] for w in WORKSPACES}
    assert "T1-secret activation" in two.fake.render(alerts["T1"][0]["blocks"])
    assert "T2-secret revenue" in two.fake.render(alerts["T2"][0]["blocks"])
    # The check-ins refreshed the Home tabs of whoever checked in, each with its own workspace's token.
    assert wait_for(lambda: two.calls("views.publish", "T1") and two.calls("views.publish", "T2"))
    assert {c.params["user_id"] for c in two.calls("views.publish", "T1")} == {OWNER["T1"]}
    assert {c.params["user_id"] for c in two.calls("views.publish", "T2")} == {SAME}

    # Monday 09:05 in London: both workspaces' digests are due in the same tick.
    two.fake.reset_calls()
    results = two.tick(now=at("2026-11-30T09:05"))
    assert all(report is not None for jobs in results.values() for report in jobs.values()), results
    digests = {w: {c: ps for c, ps in _posted(two, w).items() if c.startswith("C")} for w in WORKSPACES}
    for workspace in WORKSPACES:
        assert set(digests[workspace]) == {GROWTH_CHANNEL[workspace], SECOND_CHANNEL[workspace]}
        assert all(len(ps) == 1 for ps in digests[workspace].values())
    t1_growth = two.fake.render(digests["T1"]["C0GROWTH1"][0]["blocks"])
    assert "T1-secret activation" in t1_growth and "1500" in t1_growth
    t2_growth = two.fake.render(digests["T2"]["C0GROWTH2"][0]["blocks"])
    assert "T2-secret revenue" in t2_growth and "7000" in t2_growth
    # T2's retention owner was prompted and did not check in: T2's digest says so, T1's knows nothing of them.
    assert "t2ben" in t2_growth
    assert two.fake.messages("C0GROWTH1") and two.fake.messages("C0GROWTH2")
    for message in two.fake.messages("C0GROWTH1") + two.fake.messages("C0APOLLO1"):
        assert_private(two.fake.render(message) + json.dumps(message.get("blocks")), "T1", "T1's channel")
    for message in two.fake.messages("C0GROWTH2") + two.fake.messages("C0ZEPHYR2"):
        assert_private(two.fake.render(message) + json.dumps(message.get("blocks")), "T2", "T2's channel")
    _assert_every_call_private(two)


# --- Export -------------------------------------------------------------------------------------------------------


def test_export_of_a_workspace_holds_its_okrs_only(two, capsys):
    """`okrbot export --workspace T1` (YAML and CSV, default and named cycle) is T1's set alone, and vice versa."""
    capsys.readouterr()
    for workspace in WORKSPACES:
        for extra in ([], ["--cycle", "2026-Q4"]):
            assert two.cli("export", "--workspace", workspace, *extra) == 0
            out = capsys.readouterr().out
            assert_private(out, workspace, "okrbot export")
            doc = yaml.safe_load(out)
            start = {"T1": "2026-10-01", "T2": "2026-09-28"}[workspace]
            assert doc["cycle"]["name"] == "2026-Q4" and str(doc["cycle"]["start"]) == start
            assert sorted(t["name"] for t in doc["teams"]) == sorted(["Growth", SECOND_TEAM[workspace]])
            growth = next(t for t in doc["teams"] if t["name"] == "Growth")
            assert growth["channel"] == GROWTH_CHANNEL[workspace]
            assert growth["leads"] == [{"T1": SAME, "T2": LEAD2}[workspace]]
            krs = [kr for o in doc["objectives"] for kr in o["key_results"]]
            assert krs and all(kr["title"].startswith(f"{workspace}-secret") for kr in krs)
            latest = {kr["title"].split()[1]: kr.get("latest", {}).get("value") for kr in krs}
            assert latest == ({"activation": 1357, "Apollo": None} if workspace == "T1" else
                              {"revenue": 8642, "retention": 70, "Zephyr": None})

            assert two.cli("export", "--workspace", workspace, "--format", "csv", *extra) == 0
            out = capsys.readouterr().out
            assert_private(out, workspace, "okrbot export --format csv")
            rows = list(csv.DictReader(io.StringIO(out)))
            assert len(rows) == len(krs)
            assert {r["team"] for r in rows} == {"Growth", SECOND_TEAM[workspace]}
            assert all(f"{workspace}-secret" in line for line in out.splitlines()[1:])

    # A workspace with no OKRs exports nothing at all, of either workspace.
    assert two.cli("export", "--workspace", "T3") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cycle" in captured.err.lower()
    for workspace in WORKSPACES:
        assert not [m for m in MARKERS[workspace] if m in captured.err]


# --- Mutations from one workspace never touch the other ----------------------------------------------------------


def _forged_checkin_view(kr_ids: list[int], for_user: str) -> dict:
    return {"type": "modal", "callback_id": ids.CHECKIN_VIEW, "title": {"type": "plain_text", "text": "Check-in"},
            "private_metadata": json.dumps({"for": for_user, "krs": kr_ids}),
            # The value fields a check-in modal has, so that field errors have somewhere to show.
            "blocks": [{"type": "input", "block_id": ids.kr_block(ids.VALUE_BLOCK, kr_id), "label": {
                "type": "plain_text", "text": "Current value"}, "element": {"type": "plain_text_input",
                                                                            "action_id": ids.VALUE_ACTION}}
                       for kr_id in kr_ids]}


def test_checkin_naming_another_workspaces_key_result_is_refused_and_changes_nothing(two):
    """A view_submission from one workspace naming a KR of the other (forged, or the other's modal replayed)
    stores nothing anywhere, says the KR is not this workspace's, and tells nothing about it."""
    before = {w: two.snapshot(w) for w in WORKSPACES}
    two.clock.set(at("2026-11-24T12:00"))
    two.command("T2", SAME, "checkin")
    t2_modal = _last_modal(two, "T2")
    t1_activation, t2_revenue = two.kr_id("T1", "T1-secret activation"), two.kr_id("T2", "T2-secret revenue")
    attempts = [
        # U0SAME leads T1's Growth; from T1 they name their T2 KR.
        ("T1", SAME, _forged_checkin_view([t2_revenue], SAME), {t2_revenue: ("9000", "green", "from T1")}),
        # The very modal T2 showed them, submitted to T1.
        ("T1", SAME, t2_modal, {t2_revenue: ("9000", "green", "replayed")}),
        # T1's owner mixes their own KR with T2's: all or nothing, so not even their own is stored.
        ("T1", OWNER["T1"], _forged_checkin_view([t1_activation, t2_revenue], OWNER["T1"]),
         {t1_activation: ("1400", "green", ""), t2_revenue: ("9000", "green", "")}),
        # And the other way round: from T2, U0SAME names T1's KR (of the team they lead in T1).
        ("T2", SAME, _forged_checkin_view([t1_activation], OWNER["T1"]), {t1_activation: ("1999", "green", "")}),
        ("T2", LEAD2, _forged_checkin_view([t1_activation], OWNER["T1"]), {t1_activation: ("1999", "green", "")}),
    ]
    for n, (workspace, user, view, answers) in enumerate(attempts):
        resp = two.slack[workspace].submit(user, view, answers, view_id=f"VFORGED{n}")
        assert resp.status == 200, resp.body
        answer = resp.json()
        assert answer["response_action"] == "errors", answer
        foreign = next(k for k in answers if k not in two.kr_ids(workspace))
        message = answer["errors"][ids.kr_block(ids.VALUE_BLOCK, foreign)]
        assert message.startswith("This key result is not in this workspace"), message
        # Naming the KR does not make the answer tell anything of it or of its workspace.
        assert_private(message, workspace, "refused check-in")
    assert {w: two.snapshot(w) for w in WORKSPACES} == before


def test_skip_button_with_another_workspaces_prompt_changes_nothing(two):
    """U0SAME has a T2 prompt; clicking Skip with its id in T1 finds no such week, and T2's prompt stays open."""
    two.tick(now=at("2026-11-27T10:05"))
    two.clock.set(at("2026-11-27T12:00"))
    with two.session("T2") as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == SAME)).one()
    before = two.snapshot("T2")
    two.fake.reset_calls()
    assert two.slack["T1"].click(SAME, ids.SKIP_WEEK, str(prompt.id)).status == 200
    (refusal,) = [c for c in two.calls("chat.postEphemeral", "T1")]
    assert "out of date" in refusal.params["text"]
    assert two.calls("chat.update", "T2") == [] and two.calls("chat.update", "T1") == []
    assert two.snapshot("T2") == before
    # The same click in T2 skips it: the id was real, only the workspace was wrong.
    assert two.slack["T2"].click(SAME, ids.SKIP_WEEK, str(prompt.id)).status == 200
    with two.session("T2") as s:
        assert s.get(Prompt, prompt.id).skipped_at is not None


def _leads(two, workspace: str, team: str = "Growth") -> set[str]:
    with two.session(workspace) as s:
        return set(s.exec(select(TeamLead.user_id).join(Team, Team.id == TeamLead.team_id)
                          .where(Team.name == team)))


def test_team_commands_in_one_workspace_leave_the_other_workspaces_team_alone(two):
    """`/okr team lead|unlead|schedule|zone Growth …` in T1 changes T1's Growth only; being T1's lead gives
    U0SAME no say over T2's Growth."""
    t2_before = two.snapshot("T2")
    answers = [two.command("T1", SAME, text).body for text in (
        f"team lead Growth <@{OWNER['T1']}>", f"team unlead Growth <@{LEAD2}>",
        "team schedule Growth digest tuesday 11:30", "team zone Growth America/New_York")]
    assert "now leads *Growth*" in answers[0]
    assert "does not lead Growth" in answers[1]
    assert _leads(two, "T1") == {SAME, OWNER["T1"]}
    with two.session("T1") as s:
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert (growth.digest_day, growth.digest_time, growth.timezone) == (1, "11:30", "America/New_York")
    assert two.snapshot("T2") == t2_before

    # In T2 U0SAME leads nothing and is no admin: refused, whatever they lead in T1.
    t1_before = two.snapshot("T1")
    refused = two.command("T2", SAME, f"team lead Growth <@{SAME}>").body
    assert "Only Growth's leads and workspace admins can" in refused
    assert "Only Growth's leads and workspace admins can" in two.command(
        "T2", SAME, "team schedule Growth digest friday 08:00").body
    assert _leads(two, "T2") == {LEAD2}
    with two.session("T2") as s:
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert (growth.digest_day, growth.digest_time, growth.timezone) == (0, "09:00", "Europe/London")
    assert two.snapshot("T1") == t1_before
    # (The unlead answer names U0LEAD2 only because the caller typed it.)
    for body in answers[:1] + [answers[1].replace(f"<@{LEAD2}>", "")] + answers[2:]:
        assert_private(body, "T1", "team command")
    assert_private(refused, "T2", "team command")


def test_import_into_one_workspace_leaves_the_other_untouched(two, tmp_path, capsys):
    """Re-importing T1's file with every colliding name changed (same cycle name, team name and keys) updates
    T1's rows only; a T1 file naming T2's team Zephyr is refused as naming an unknown team."""
    t2_before = two.snapshot("T2")
    changed = (OKRS["T1"].replace("start: 2026-10-01, end: 2026-12-31", "start: 2026-10-05, end: 2027-01-03")
               .replace("channel: C0GROWTH1\n    leads: [U0SAME]", "channel: C0GROWTH1B\n    leads: [U0ANN1]")
               .replace("T1-secret make onboarding effortless", "T1-secret onboarding, rewritten")
               .replace("target: 2222", "target: 2500"))
    path = tmp_path / "T1-changed.yaml"
    path.write_text(changed)
    assert two.cli("import", str(path), "--workspace", "T1") == 0
    assert " created" not in capsys.readouterr().out  # everything was there: updated or unchanged
    with two.session("T1") as s:
        cycle = s.exec(select(Cycle)).one()
        assert (cycle.start.isoformat(), cycle.end.isoformat()) == ("2026-10-05", "2027-01-03")
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        assert growth.channel == "C0GROWTH1B"
        assert s.exec(select(Objective.title).where(Objective.key == "north-star")).one() == \
            "T1-secret onboarding, rewritten"
        assert s.exec(select(KeyResult.target).where(KeyResult.title.startswith("T1-secret activation"))).one() \
            == 2500
    assert _leads(two, "T1") == {OWNER["T1"]}
    assert two.snapshot("T2") == t2_before

    # Zephyr is a team of T2 only: in T1 it is unknown, and nothing is written in either workspace.
    t1_before = two.snapshot("T1")
    stray = tmp_path / "T1-stray.yaml"
    stray.write_text("""
cycle: {name: 2026-Q4, start: 2026-10-05, end: 2027-01-03}
objectives:
  - team: Zephyr
    id: zephyr-pilot
    title: Sneak into another workspace's team
    key_results:
      - {id: kr1, title: Pilots signed from 0 to 9, owner: U0SAME, baseline: 0, target: 9}
""")
    assert two.cli("import", str(stray), "--workspace", "T1") == 1
    err = capsys.readouterr().err
    assert "was not imported" in err and "Zephyr" in err
    assert two.snapshot("T1") == t1_before
    assert two.snapshot("T2") == t2_before


# --- The CLI needs a workspace exactly when okrbot serves many --------------------------------------------------


def test_cli_refuses_import_and_export_without_a_workspace_in_multi_workspace_mode(db_url, tmp_path, capsys):
    """With SLACK_CLIENT_ID set, import and export must name a workspace (exit 2, one sentence, nothing written);
    with SLACK_BOT_TOKEN, --workspace is refused the same way."""
    from storage.db import make_engine

    path = tmp_path / "T1.yaml"
    path.write_text(OKRS["T1"])
    multi = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "DATABASE_URL": db_url}
    single = {"SLACK_BOT_TOKEN": "xoxb-single", "DATABASE_URL": db_url}
    cases = [
        (multi, ["import", str(path)], "--workspace"),
        (multi, ["import", str(path), "--workspace", "  "], "--workspace"),
        (multi, ["export"], "--workspace"),
        (multi, ["export", "--format", "csv"], "--workspace"),
        (single, ["import", str(path), "--workspace", "T1"], "leave it out"),
        (single, ["export", "--workspace", "T1"], "leave it out"),
    ]
    capsys.readouterr()
    for env, argv, says in cases:
        assert cli.main(argv, serve=_no_serve, env=env) == 2, argv
        out, err = capsys.readouterr()
        assert out == "", argv
        assert err.startswith("okrbot: ") and err.count("\n") == 1 and says in err, (argv, err)
        assert err.rstrip().endswith("."), err
    engine = make_engine(db_url)
    try:
        for workspace in ("", "T1"):
            with session_scope(engine, workspace) as s:
                assert s.exec(select(Team)).all() == [] and s.exec(select(Cycle)).all() == []
    finally:
        engine.dispose()
