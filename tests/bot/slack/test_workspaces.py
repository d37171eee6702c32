"""Which workspaces a tick serves, and the stop left by an uninstall."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from slack_sdk.oauth.installation_store import Installation

from bot.slack.workspaces import (BOT_SCOPES, fingerprint, forget_installation, installation_store, installed_workspaces, may_send,
                            stop_sending, targets, workspace_key, workspace_of_context)
from storage.db import session_scope

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _install(store, team_id, token, *, at, enterprise_id=None, org_wide=False):
    store.save(Installation(app_id="A0OKR", enterprise_id=enterprise_id, team_id=None if org_wide else team_id,
                            team_name=f"{team_id} Inc", bot_token=token, bot_id="B1", bot_user_id="U0BOT",
                            bot_scopes=",".join(BOT_SCOPES), user_id="U0INSTALLER", installed_at=at.timestamp(),
                            is_enterprise_install=org_wide))


def test_workspace_key_is_the_org_for_org_wide_installs_else_the_workspace():
    assert workspace_key(team_id="T1") == "T1"
    assert workspace_key(team_id="T1", enterprise_id="E1") == "T1"
    assert workspace_key(team_id="T1", enterprise_id="E1", is_enterprise_install=True) == "E1"
    assert workspace_key(team_id=None, enterprise_id="E1") == "E1"
    assert workspace_of_context({"team_id": "T2", "enterprise_id": "E1", "is_enterprise_install": False}) == "T2"


def test_fingerprint_tells_tokens_apart_without_revealing_them():
    assert fingerprint("xoxb-a") == fingerprint("xoxb-a") != fingerprint("xoxb-b")
    assert "xoxb" not in fingerprint("xoxb-a") and len(fingerprint("xoxb-a")) == 16


def test_a_stop_holds_for_the_revoked_token_only(engine):
    with session_scope(engine, "T1") as s:
        assert may_send("T1", "xoxb-old", session=s)
        stop_sending("T1", token="xoxb-old", reason="app_uninstalled", now=NOW, session=s)
    with session_scope(engine, "T1") as s:
        assert not may_send("T1", "xoxb-old", session=s)
        # Installed again: Slack issues a new token, and sending resumes without anyone clearing the stop.
        assert may_send("T1", "xoxb-new", session=s)
        assert may_send("T2", "xoxb-old", session=s)


def test_an_uninstall_with_no_installation_left_blocks_no_later_install(engine):
    with session_scope(engine, "T1") as s:
        stop_sending("T1", token="xoxb-old", reason="app_uninstalled", now=NOW, session=s)
        # The other event of the same uninstall finds nothing installed: the first stop stands as it was.
        stop_sending("T1", token=None, reason="tokens_revoked", now=NOW, session=s)
        stop_sending("T2", token=None, reason="app_uninstalled", now=NOW, session=s)
    with session_scope(engine, "T1") as s:
        assert not may_send("T1", "xoxb-old", session=s) and may_send("T1", "xoxb-new", session=s)
        assert may_send("T2", "xoxb-t2", session=s)


def test_an_uninstall_event_older_than_the_installation_leaves_it_alone(engine):
    store = installation_store("111.222", engine)
    _install(store, "T1", "xoxb-again", at=NOW)
    context = {"team_id": "T1", "enterprise_id": None, "is_enterprise_install": False}
    # Slack retried the uninstall of the previous installation after the workspace installed okrbot again.
    assert forget_installation(store, context, happened_at=NOW - timedelta(minutes=5)) is None
    assert [i.token for i in targets(bot_token=None, client_id="111.222", engine=engine)] == ["xoxb-again"]
    assert forget_installation(store, context, happened_at=NOW + timedelta(minutes=5)) == "xoxb-again"
    assert targets(bot_token=None, client_id="111.222", engine=engine) == []


def test_installed_workspaces_are_the_latest_install_of_each(engine):
    store = installation_store("111.222", engine)
    _install(store, "T1", "xoxb-t1-old", at=NOW - timedelta(days=2))
    _install(store, "T1", "xoxb-t1-new", at=NOW - timedelta(days=1))
    _install(store, "T2", "xoxb-t2", at=NOW)
    _install(store, "T9", "xoxb-org", at=NOW, enterprise_id="E1", org_wide=True)
    # Another app's installs in the same tables are not ours.
    _install(installation_store("999.999", engine), "T3", "xoxb-other", at=NOW)
    found = installed_workspaces(store.bots, client_id="111.222", engine=engine)
    assert [(i.workspace, i.token) for i in found] == [("E1", "xoxb-org"), ("T1", "xoxb-t1-new"), ("T2", "xoxb-t2")]
    assert [i.workspace for i in targets(bot_token=None, client_id="111.222", engine=engine, only="T2")] == ["T2"]


def test_single_token_mode_serves_one_workspace(engine):
    assert [(i.workspace, i.token) for i in targets(bot_token="xoxb-1", client_id=None, engine=engine)] == [
        ("", "xoxb-1")]
    assert targets(bot_token=None, client_id=None, engine=engine) == []


def test_manifest_asks_for_the_scopes_and_events_okrbot_uses():
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "user_change", "app_uninstalled", "tokens_revoked"} <= events
