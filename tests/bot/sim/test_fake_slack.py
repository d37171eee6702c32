"""FakeSlack driven by the real slack_sdk WebClient: methods, recording, fault injection and render()."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sim.fake_slack import Call, FakeSlack, render
from bot.slack.workspaces import BOT_SCOPES

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Weekly check-in* for <@U1>"}}
DIVIDER = {"type": "divider"}


@pytest.fixture
def fake():
    # Every scope: these tests are about the methods; scopes are checked in test_fake_scopes.py.
    with FakeSlack(scopes=None) as running:
        running.add_user("U1", tz="America/New_York", name="ada", real_name="Ada Lovelace")
        running.add_user("U2", tz="Asia/Kolkata", name="alan")
        yield running


@pytest.fixture
def client(fake):
    # No retry handlers: each test opts in, so a 429 or 500 surfaces unless a test asks otherwise.
    web = WebClient(token="xoxb-test", base_url=fake.url, timeout=5)
    web.retry_handlers.clear()
    return web


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def post_raw(fake: FakeSlack, method: str, *, query: str = "", body: bytes = b"", headers=None):
    """A request sent without slack_sdk, to exercise query strings and odd bodies; returns (status, json)."""
    request = urllib.request.Request(f"{fake.url}{method}{query}", data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_auth_test_names_the_bot_and_team(fake, client):
    answer = client.auth_test()
    assert answer["team_id"] == "T0FAKE"
    assert answer["user_id"] == "U0BOT"
    assert answer["bot_id"] == "B0BOT"
    assert fake.calls == [Call("auth.test", {}, "xoxb-test", fake.calls[0].at, 200)]


def test_constructor_ids_are_used():
    with FakeSlack(team_id="T9", bot_user_id="U9BOT") as other:
        answer = WebClient(token="x", base_url=other.url).auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T9", "U9BOT", "B9BOT")


def test_users_info_reports_time_zone_and_offset(fake, client):
    user = client.users_info(user="U1")["user"]
    now = datetime.now(ZoneInfo("America/New_York"))
    assert user["id"] == "U1"
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] == int(now.utcoffset().total_seconds())
    assert user["tz_label"] == now.tzname()
    assert user["real_name"] == user["profile"]["real_name"] == "Ada Lovelace"
    assert user["profile"]["display_name"] == "ada"
    assert user["deleted"] is False and user["is_admin"] is False

    fake.set_user_tz("U1", "Asia/Kolkata")
    assert client.users_info(user="U1")["user"]["tz_offset"] == 5 * 3600 + 1800


def test_users_info_unknown_user(client):
    assert error_of(lambda: client.users_info(user="UNOPE")).response["error"] == "user_not_found"


def test_add_user_rejects_unknown_time_zone(fake):
    with pytest.raises(ValueError, match="Mars/Olympus"):
        fake.add_user("U3", tz="Mars/Olympus")


def test_conversations_open_gives_stable_dm_ids(fake, client):
    first = client.conversations_open(users="U1")["channel"]["id"]
    again = client.conversations_open(users=["U1"])
    assert first == again["channel"]["id"] == fake.dm_channel_id("U1")
    assert first.startswith("D")
    assert again["already_open"] is True
    assert client.conversations_open(users="U2")["channel"]["id"] != first
    assert error_of(lambda: client.conversations_open(users="UNOPE")).response["error"] == "user_not_found"


def test_post_to_user_id_and_to_dm_id_both_land_in_the_dm(fake, client):
    dm = client.conversations_open(users="U1")["channel"]["id"]
    by_user = client.chat_postMessage(channel="U1", text="via user id")
    by_dm = client.chat_postMessage(channel=dm, text="via dm id")
    client.chat_postMessage(channel="U2", text="someone else")

    assert by_user["channel"] == by_dm["channel"] == dm
    assert [m["text"] for m in fake.dms_to("U1")] == ["via user id", "via dm id"]
    assert [m["text"] for m in fake.dms_to("U2")] == ["someone else"]
    assert fake.messages("U1") == fake.dms_to("U1")
    assert len(fake.messages()) == 3
    stamps = [by_user["ts"], by_dm["ts"]]
    assert stamps == sorted(stamps) and stamps[0] != stamps[1]
    assert by_user["ts"] == "1700000000.000100"
    assert fake.dms_to("U1")[0]["thread_ts"] is None


def test_channels_must_exist(fake, client):
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")).response["error"] == "channel_not_found"
    fake.add_channel("C1", name="okrs")
    client.chat_postMessage(channel="C1", text="digest", thread_ts="1700000000.000100")
    assert fake.messages("C1")[0]["thread_ts"] == "1700000000.000100"
    assert client.conversations_info(channel="C1")["channel"]["name"] == "okrs"
    fake.add_channel("C2", is_archived=True)
    assert error_of(lambda: client.chat_postMessage(channel="C2", text="x")).response["error"] == "is_archived"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_validates_like_slack(fake, client):
    assert error_of(lambda: client.chat_postMessage(channel="U1")).response["error"] == "no_text"
    missing_channel = error_of(lambda: client.api_call("chat.postMessage", json={"text": "hi"}))
    assert missing_channel.response["error"] == "channel_not_found"
    assert fake.messages() == []
    assert [c.error for c in fake.calls_to("chat.postMessage")] == ["no_text", "channel_not_found"]


def test_blocks_are_decoded_from_json_forms_and_multipart(fake, client):
    client.chat_postMessage(channel="U1", text="json body", blocks=[SECTION])
    client.api_call("chat.postMessage", params={"channel": "U1", "text": "form", "blocks": json.dumps([SECTION])})
    client.api_call("chat.postMessage", data={"channel": "U1", "text": "multipart", "blocks": json.dumps([SECTION])})

    for call in fake.calls_to("chat.postMessage"):
        assert call.params["blocks"] == [SECTION]
    assert [m["blocks"] for m in fake.dms_to("U1")] == [[SECTION]] * 3


def test_query_string_params_and_token_param(fake):
    status, answer = post_raw(fake, "users.info", query="?user=U2&token=xoxb-q")
    assert status == 200 and answer["user"]["id"] == "U2"
    assert fake.calls[-1].token == "xoxb-q"
    assert "token" not in fake.calls[-1].params


def test_chat_update_of_missing_ts_errors_and_update_replaces_content(fake, client):
    posted = client.chat_postMessage(channel="U1", text="before")
    missing = error_of(lambda: client.chat_update(channel=posted["channel"], ts="1.000000", text="x"))
    assert missing.response["error"] == "message_not_found"

    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="after", blocks=[SECTION])
    (message,) = fake.dms_to("U1")
    assert (message["text"], message["blocks"], message["ts"]) == ("after", [SECTION], posted["ts"])
    assert "edited" in message


def test_ephemeral_and_delete(fake, client):
    posted = client.chat_postMessage(channel="U1", text="bye")
    assert client.chat_postEphemeral(channel="U1", user="U1", text="only you")["message_ts"]
    assert [m["text"] for m in fake.ephemerals("U1")] == ["only you"]
    client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert fake.dms_to("U1") == []
    again = error_of(lambda: client.chat_delete(channel=posted["channel"], ts=posted["ts"]))
    assert again.response["error"] == "message_not_found"


def test_views_open_needs_a_trigger_id(fake, client):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Check-in"}, "blocks": [SECTION]}
    refused = error_of(lambda: client.api_call("views.open", json={"view": modal}))
    assert refused.response["error"] == "invalid_arguments"
    assert fake.views_opened() == []

    opened = client.views_open(trigger_id=fake.issue_trigger(), view={**modal, "external_id": "checkin-U1"})["view"]
    second = client.views_open(trigger_id=fake.issue_trigger(), view=modal)["view"]
    assert opened["id"].startswith("V") and opened["id"] != second["id"]
    assert [v["id"] for v in fake.views_opened()] == [opened["id"], second["id"]]

    client.views_update(external_id="checkin-U1", view={**modal, "blocks": [DIVIDER]})
    assert fake.views_opened()[0]["blocks"] == [DIVIDER]
    stale = error_of(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal))
    assert stale.response["error"] == "hash_conflict"


def test_views_publish_keeps_the_last_home_per_user(fake, client):
    assert fake.published_home("U1") is None
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [DIVIDER]})
    assert fake.published_home("U1")["blocks"] == [DIVIDER]
    assert fake.published_home("U2") is None


def test_unknown_method_is_http_200_with_error(fake, client):
    failure = error_of(lambda: client.api_call("okrs.frobnicate"))
    assert failure.response.status_code == 200
    assert failure.response["error"] == "unknown_method"
    assert fake.calls[-1].method == "okrs.frobnicate"


def test_tokens_are_checked_when_given():
    with FakeSlack(tokens={"xoxb-good"}) as strict:
        bad = error_of(lambda: WebClient(token="xoxb-test", base_url=strict.url).auth_test())
        none = error_of(lambda: WebClient(base_url=strict.url).auth_test())
        assert WebClient(token="xoxb-good", base_url=strict.url).auth_test()["ok"] is True
        assert [c.error for c in strict.calls] == ["invalid_auth", "not_authed", None]
    assert bad.response["error"] == "invalid_auth"
    assert none.response["error"] == "not_authed"


def test_fail_next_429_carries_retry_after(fake, client):
    fake.fail_next("users.info", retry_after=7)
    limited = error_of(lambda: client.users_info(user="U1"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "7"
    assert limited.response["error"] == "ratelimited"
    assert client.users_info(user="U1")["ok"] is True


def test_fail_next_429_is_retried_by_slack_sdk(fake, client):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    fake.fail_next("chat.postMessage", status=429, retry_after=0)

    answer = client.chat_postMessage(channel="U1", text="eventually")

    assert answer["ok"] is True
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in fake.dms_to("U1")] == ["eventually"]


def test_fail_next_500_raises_without_a_retry_handler(fake, client):
    fake.fail_next(status=500)
    failure = error_of(lambda: client.chat_postMessage(channel="U1", text="lost"))
    assert failure.response.status_code == 500
    assert failure.response["error"] == "internal_error"
    assert fake.messages() == []
    assert client.chat_postMessage(channel="U1", text="kept")["ok"] is True


def test_fail_next_counts_matches_only_its_method_and_can_return_a_slack_error(fake, client):
    fake.fail_next("chat.postMessage", status=200, error="channel_not_found", count=2)
    assert client.auth_test()["ok"] is True
    for _ in range(2):
        failure = error_of(lambda: client.chat_postMessage(channel="U1", text="x"))
        assert (failure.response.status_code, failure.response["error"]) == (200, "channel_not_found")
    assert client.chat_postMessage(channel="U1", text="x")["ok"] is True
    with pytest.raises(ValueError):
        fake.fail_next(status=200)


def _statuses_with_failure_rate(seed: int) -> tuple[list[int], int]:
    with FakeSlack() as fake:
        fake.add_user("U1")
        fake.set_failure_rate(0.5, seed=seed, methods={"chat.postMessage"})
        web = WebClient(token="xoxb-test", base_url=fake.url)
        web.retry_handlers.clear()
        for n in range(20):
            try:
                web.chat_postMessage(channel="U1", text=str(n))
            except SlackApiError:
                pass
        web.auth_test()  # not in methods: never fails
        return [c.status for c in fake.calls_to("chat.postMessage")], len(fake.messages())


def test_set_failure_rate_is_reproducible_with_a_seed():
    first, stored = _statuses_with_failure_rate(seed=1)
    again, _ = _statuses_with_failure_rate(seed=1)
    other, _ = _statuses_with_failure_rate(seed=2)
    assert first == again
    assert first != other
    assert {200, 429, 500} <= set(first)
    assert stored == first.count(200)  # a failed call stores nothing


def test_set_rate_limits_per_method_with_injected_clock(fake, client):
    now = [1000.0]
    fake.set_rate_limits({"users.info": 2}, clock=lambda: now[0])
    client.users_info(user="U1")
    now[0] += 10
    client.users_info(user="U1")
    now[0] += 5
    limited = error_of(lambda: client.users_info(user="U1"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "45"  # the first call leaves the window at 1060
    assert client.auth_test()["ok"] is True  # other methods are unlimited

    now[0] = 1060.0
    assert client.users_info(user="U1")["ok"] is True
    assert [c.status for c in fake.calls_to("users.info")] == [200, 200, 429, 200]


def test_set_rate_limits_per_channel(fake, client):
    now = [0.0]
    fake.set_rate_limits(None, channel_per_second=1, clock=lambda: now[0])
    client.chat_postMessage(channel="U1", text="one")
    limited = error_of(lambda: client.chat_postMessage(channel=fake.dm_channel_id("U1"), text="two"))
    assert limited.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="U2", text="other channel")
    now[0] += 1
    client.chat_postMessage(channel="U1", text="three")
    assert [m["text"] for m in fake.dms_to("U1")] == ["one", "three"]


def test_concurrent_posts_get_unique_timestamps(fake):
    web = WebClient(token="xoxb-test", base_url=fake.url)

    def post(n: int) -> None:
        for i in range(5):
            web.chat_postMessage(channel="U1", text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m["ts"] for m in fake.dms_to("U1")]
    assert len(stamps) == len(set(stamps)) == 30
    assert len(fake.calls_to("chat.postMessage")) == 30
    assert fake.errors == []


def test_handler_is_quiet_and_stop_releases_the_port(capfd):
    fake = FakeSlack().start()
    url = fake.url
    WebClient(token="xoxb-test", base_url=url).auth_test()
    post_raw(
        fake,
        "auth.test",
        body=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": "Bearer xoxb-test"},
    )
    fake.stop()
    fake.stop()
    assert capfd.readouterr().err == ""
    assert [c.error for c in fake.calls] == [None, "invalid_json"]
    closed = WebClient(token="xoxb-test", base_url=url, timeout=1)
    closed.retry_handlers.clear()
    with pytest.raises(urllib.error.URLError):
        closed.auth_test()


def test_latency_delays_answers(fake, client):
    fake.latency(0.2)
    client.auth_test()
    fake.latency(0)
    client.auth_test()
    (slow, fast) = fake.calls
    assert fast.at - slow.at >= 0.2


def test_render_turns_blocks_into_readable_text():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Week 12"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Hi <@U1>, see <https://x.test|the doc> &amp; reply"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Check in"}},
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Due <!date^1^{date}|Friday>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Snooze"}},
                {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Confidence"}},
            ],
        },
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Progress"},
            "element": {"type": "plain_text_input", "placeholder": {"type": "plain_text", "text": "e.g. 40%"}},
            "optional": True,
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "Ship v2"}]}],
                }
            ],
        },
    ]
    assert render(blocks, user_names={"U1": "ada"}).splitlines() == [
        "Week 12",
        "=======",
        "Hi @ada, see the doc (https://x.test) & reply  [Check in]",
        "─" * 40,
        "Due Friday",
        "[Snooze] [Confidence ▾]",
        "Progress (optional)",
        "  [ e.g. 40% ]",
        "• Ship v2",
    ]


def test_render_messages_and_views(fake, client):
    assert render({"text": "plain <@U2>"}) == "plain @U2"
    client.chat_postMessage(channel="U1", text="fallback", blocks=[SECTION])
    assert fake.render(fake.dms_to("U1")[0]) == "*Weekly check-in* for @ada"
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check-in"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [],
    }
    assert render(modal).splitlines() == ["Check-in", "═" * 8, "", "[Save]"]


def test_users_list_pages_through_every_user():
    from slack_sdk import WebClient

    with FakeSlack() as fake:
        for n in range(5):
            fake.add_user(f"U{n}LIST", tz="Europe/Paris")
        client = WebClient(token="xoxb-test", base_url=fake.url)
        seen, cursor = [], None
        while True:
            page = client.users_list(limit=2, cursor=cursor)
            seen += [m["id"] for m in page["members"]]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted([f"U{n}LIST" for n in range(5)] + ["U0BOT"])
        assert len(fake.calls_to("users.list")) == 3


# --- installs: oauth.v2.access, auth.test per token, revocation -------------------------------------------------


def exchange(fake: FakeSlack, code: str, *, client_id: str = "111.222", client_secret: str = "shh"):
    """oauth.v2.access as Bolt's OAuth flow calls it: no token, the app's credentials as HTTP Basic auth."""
    return WebClient(base_url=fake.url).oauth_v2_access(client_id=client_id, client_secret=client_secret, code=code)


def test_oauth_v2_access_redeems_an_install_code_once(fake):
    fake.add_install("code-1", team_id="T1", team_name="One", bot_token="xoxb-one", bot_user_id="U1BOT")
    answer = exchange(fake, "code-1").data
    assert answer == {
        "ok": True, "access_token": "xoxb-one", "token_type": "bot", "scope": ",".join(BOT_SCOPES),
        "bot_user_id": "U1BOT", "app_id": "A0FAKE", "team": {"id": "T1", "name": "One"}, "enterprise": None,
        "is_enterprise_install": False, "authed_user": {"id": "U0INSTALLER"},
    }
    assert error_of(lambda: exchange(fake, "code-1")).response["error"] == "invalid_code"
    assert error_of(lambda: exchange(fake, "never-issued")).response["error"] == "invalid_code"
    # No bearer token, yet answered and recorded like any other call.
    assert [(c.method, c.token, c.params.get("code"), c.error) for c in fake.calls] == [
        ("oauth.v2.access", None, "code-1", None),
        ("oauth.v2.access", None, "code-1", "invalid_code"),
        ("oauth.v2.access", None, "never-issued", "invalid_code"),
    ]


def test_oauth_v2_access_takes_form_credentials_and_checks_them():
    with FakeSlack(client_id="111.222", client_secret="shh") as fake:
        fake.add_install("c", team_id="T1", team_name="One", bot_token="xoxb-one")
        fake.add_install("e", team_id="T2", team_name="Two", bot_token="xoxb-two", enterprise_id="E1")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, answer = post_raw(fake, "oauth.v2.access", body=b"client_id=111.222&client_secret=shh&code=c",
                                  headers=form)
        assert status == 200 and answer["access_token"] == "xoxb-one"
        assert "client_secret" not in fake.calls[-1].params
        assert post_raw(fake, "oauth.v2.access", body=b"code=e", headers=form)[1]["error"] == "invalid_client_id"
        assert error_of(lambda: exchange(fake, "e", client_id="999")).response["error"] == "invalid_client_id"
        assert error_of(lambda: exchange(fake, "e", client_secret="nope")).response["error"] == "bad_client_secret"
        # Refused attempts leave the code unspent.
        assert exchange(fake, "e")["enterprise"] == {"id": "E1", "name": "E1"}


def test_auth_test_answers_for_the_workspace_of_each_token(fake):
    fake.add_install("c1", team_id="T1", team_name="Team One", bot_token="xoxb-one", bot_user_id="U1BOT")
    fake.add_install("c2", team_id="T2", team_name="Two", bot_token="xoxb-two", enterprise_id="E2")
    one = WebClient(token="xoxb-one", base_url=fake.url).auth_test()
    two = WebClient(token="xoxb-two", base_url=fake.url).auth_test()
    other = WebClient(token="xoxb-other", base_url=fake.url).auth_test()
    assert (one["team_id"], one["team"], one["user_id"], one["bot_id"]) == ("T1", "Team One", "U1BOT", "B1BOT")
    assert one["url"] == "https://team-one.slack.com/"
    assert (two["team_id"], two["enterprise_id"]) == ("T2", "E2")
    assert (other["team_id"], other["user_id"], other["bot_id"]) == ("T0FAKE", "U0BOT", "B0BOT")


def test_install_tokens_pass_a_token_allow_list():
    with FakeSlack(tokens=["xoxb-known"]) as fake:
        fake.add_install("c", team_id="T1", team_name="One", bot_token="xoxb-installed")
        assert WebClient(token="xoxb-installed", base_url=fake.url).auth_test()["team_id"] == "T1"
        stranger = WebClient(token="xoxb-stranger", base_url=fake.url)
        assert error_of(stranger.auth_test).response["error"] == "invalid_auth"


def test_revoked_tokens_answer_token_revoked_and_are_still_recorded(fake, client):
    fake.add_install("c", team_id="T1", team_name="One", bot_token="xoxb-one")
    one = WebClient(token="xoxb-one", base_url=fake.url)
    one.chat_postMessage(channel="U1", text="before")
    fake.revoke("xoxb-one")
    assert error_of(lambda: one.chat_postMessage(channel="U1", text="after")).response["error"] == "token_revoked"
    assert error_of(one.auth_test).response["error"] == "token_revoked"
    client.chat_postMessage(channel="U1", text="another token still works")
    assert [m["text"] for m in fake.dms_to("U1")] == ["before", "another token still works"]
    assert [(c.token, c.error) for c in fake.calls] == [
        ("xoxb-one", None), ("xoxb-one", "token_revoked"), ("xoxb-one", "token_revoked"), ("xoxb-test", None),
    ]


# --- response_url ---------------------------------------------------------------------------------------------


def _post_hook(url: str, payload, content_type: str = "application/json"):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_response_url_takes_five_messages_then_expires(fake):
    url = fake.response_url()
    for n in range(5):
        assert _post_hook(url, {"text": f"answer {n}", "response_type": "ephemeral"}) == (200, "ok")
    assert _post_hook(url, {"text": "a sixth"}) == (404, "expired_url")
    assert [p["text"] for p in fake.posts_to(url)] == [f"answer {n}" for n in range(5)]
    assert fake.answered_at(url) is not None and fake.wait_for_answer(url, "t", timeout=0.1)["text"] == "answer 0"


def test_response_url_refuses_what_slack_refuses(fake):
    url = fake.response_url()
    assert _post_hook(url, b"text=hi", "application/x-www-form-urlencoded") == (400, "invalid_payload")
    assert _post_hook(url, b"{not json") == (400, "invalid_payload")
    assert _post_hook(url, {"response_type": "ephemeral"}) == (400, "no_text")
    assert _post_hook(url.rsplit("/", 1)[0] + "/forged", {"text": "hi"}) == (404, "expired_url")
    assert fake.posts_to(url) == [] and fake.calls == []


def test_wait_for_answer_gives_up_with_a_timeout(fake):
    with pytest.raises(TimeoutError):
        fake.wait_for_answer(fake.response_url(), "never", timeout=0.1)


def test_api_test_needs_no_token(fake):
    assert WebClient(base_url=fake.url).api_test()["ok"] is True


def test_a_channel_the_bot_is_not_in_refuses_its_posts_as_slack_does(fake, client):
    fake.add_channel("C1", name="growth", member=False)
    fake.add_channel("G1", name="secret", is_private=True, member=False)
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")).response["error"] == "not_in_channel"
    # A private channel the bot is not in is invisible to it.
    assert error_of(lambda: client.chat_postMessage(channel="G1", text="hi")).response["error"] == "channel_not_found"
    assert client.conversations_info(channel="C1")["channel"]["is_member"] is False
    fake.set_member("C1")
    assert client.chat_postMessage(channel="C1", text="hi")["channel"] == "C1"
    assert client.conversations_info(channel="C1")["channel"]["is_member"] is True
    fake.set_archived("C1")
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")).response["error"] == "is_archived"
    fake.set_archived("C1", False)
    assert client.chat_postMessage(channel="C1", text="again")["ok"] is True
    assert [m["text"] for m in fake.messages("C1")] == ["hi", "again"]


def test_a_deactivated_user_cannot_be_dmed(fake, client):
    fake.set_user_deleted("U1")
    assert error_of(lambda: client.chat_postMessage(channel="U1", text="hi")).response["error"] == "user_not_found"
    dm = fake.dm_channel_id("U1")
    assert error_of(lambda: client.chat_postMessage(channel=dm, text="hi")).response["error"] == "account_inactive"
    assert client.users_info(user="U1")["user"]["deleted"] is True
    fake.set_user_deleted("U1", False)
    assert client.chat_postMessage(channel="U1", text="back")["channel"] == dm
