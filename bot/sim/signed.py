"""Slack's side of the wire: signed HTTP requests into a running okrbot, as Slack sends them (tests, demo, benchmarks)."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from bot.slack import ids
from bot.sim.fake_slack import FakeSlack, sign_request
from bot.sim.fake_validate import Refusal, Violation, check_message, check_submission_answer, record

TEAM_ID = "T0FAKE"
_counter = itertools.count(1)


@dataclass
class Response:
    status: int
    body: str

    def json(self):
        return json.loads(self.body) if self.body else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature."""
    return sign_request(secret, timestamp, body)


class SignedSlack:
    """Sends slash commands, button clicks, modal submissions and events the way Slack does.

    With the FakeSlack the app talks to, every interaction carries a trigger_id that fake issued (single-use, three
    seconds), as in Slack. Every HTTP answer of the app is checked the way Slack checks it (bot/sim/fake_validate.py):
    a slash command's message (read at its response_url, where okrbot posts it after the ack) and a view
    submission's response_action; what Slack would refuse is kept in .violations (and recorded for the test that
    caused it).
    """

    def __init__(self, url: str, secret: str, *, team_id: str = TEAM_ID, fake: FakeSlack | None = None):
        self.url = url
        self.secret = secret
        # The workspace every request says it comes from (multi-workspace tests use one SignedSlack per workspace).
        self.team_id = team_id
        self.violations: list[Violation] = []
        self._triggers: Callable[[], str] = fake.issue_trigger if fake is not None else (
            lambda: f"trig{next(_counter)}")
        # Serves each command's response_url, where okrbot posts its answer after the ack.
        self.fake = fake

    def trigger(self) -> str:
        """A trigger_id for one interaction."""
        return self._triggers()

    def _judge(self, where: str, response: Response, check: Callable[[dict], Refusal | None]) -> Response:
        if response.status != 200 or not response.body.strip():
            return response
        try:
            answer = json.loads(response.body)
        except ValueError:
            refusal: Refusal | None = Refusal("invalid_response", (f"[ERROR] not JSON: {response.body[:80]!r}",))
        else:
            refusal = check(answer) if isinstance(answer, dict) else Refusal("invalid_response")
        if refusal is not None:
            violation = Violation(where, refusal.error, refusal.messages)
            self.violations.append(violation)
            record(violation)
        return response

    def post(self, body: bytes, content_type: str, *, headers: dict | None = None, signed: bool = True,
             timestamp: str | None = None) -> Response:
        ts = timestamp or str(int(time.time()))
        hdrs = {"Content-Type": content_type}
        if signed:
            hdrs["X-Slack-Request-Timestamp"] = ts
            hdrs["X-Slack-Signature"] = sign(self.secret, ts, body)
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url, data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Response(resp.status, resp.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())

    def command(self, user: str, text: str = "", *, command: str = "/okr", **kw) -> Response:
        """A slash command; with a fake, the answer the person sees (what was posted to the command's response_url)
        once it arrived, else the ack itself (also when the ack is a refusal, or the answer is a modal)."""
        response_url = self.fake.response_url() if self.fake else "https://hooks.invalid/commands/1"
        trigger = self.trigger()
        form = {"token": "x", "team_id": self.team_id, "team_domain": "fake", "channel_id": "C0ANY",
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": command,
                "text": text, "api_app_id": "A0OKR", "response_url": response_url, "trigger_id": trigger}
        ack = self.deliver("slash_commands", form, **kw)
        where = f"{command} {text}".strip() + " (slash command answer)"
        if self.fake is None or ack.status != 200 or ack.body:
            return self._judge(where, ack, check_message)
        answer = self.fake.wait_for_answer(response_url, trigger)
        return ack if answer is None else self._judge(where, Response(ack.status, json.dumps(answer)), check_message)

    def deliver(self, kind: str, payload: dict, **kw) -> Response:
        """Hand one request to the app as Slack does over HTTP (Socket Mode: fake_socket.SocketSlack); the answer.

        kind is Socket Mode's name for it: "slash_commands" (a form), "interactive" (a form holding `payload` as
        JSON) or "events_api" (JSON).
        """
        if kind == "slash_commands":
            return self.post(urllib.parse.urlencode(payload).encode(), "application/x-www-form-urlencoded", **kw)
        if kind == "interactive":
            body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
            return self.post(body, "application/x-www-form-urlencoded", **kw)
        return self.post(json.dumps(payload).encode(), "application/json", **kw)

    def interactive(self, payload: dict, **kw) -> Response:
        response = self.deliver("interactive", payload, **kw)
        if payload.get("type") == "view_submission":
            submitted = payload.get("view") or {}
            where = f"view_submission of {submitted.get('callback_id')!r} (response_action)"
            return self._judge(where, response, lambda answer: check_submission_answer(answer, submitted))
        return response

    def click(self, user: str, action_id: str, value: str = "", *, block_id: str = "b", **kw) -> Response:
        return self.interactive({
            "type": "block_actions", "user": {"id": user, "team_id": self.team_id}, "team": {"id": self.team_id},
            "api_app_id": "A0OKR", "trigger_id": self.trigger(), "container": {"type": "message"},
            "channel": {"id": "D" + user},
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                         "action_ts": str(time.time())}],
        }, **kw)

    def submit(self, user: str, view: dict, answers: dict[int, tuple[str, str | None, str]], *,
               view_id: str = "V0001", **kw) -> Response:
        """Submit a check-in modal as opened by the app, filled with {kr_id: (value, confidence, note)}."""
        values = {}
        for kr_id, (value, confidence, note) in answers.items():
            values[ids.kr_block(ids.VALUE_BLOCK, kr_id)] = {
                ids.VALUE_ACTION: {"type": "plain_text_input", "value": value or None}}
            values[ids.kr_block(ids.CONFIDENCE_BLOCK, kr_id)] = {
                ids.CONFIDENCE_ACTION: {"type": "radio_buttons",
                                        "selected_option": {"value": confidence} if confidence else None}}
            values[ids.kr_block(ids.NOTE_BLOCK, kr_id)] = {
                ids.NOTE_ACTION: {"type": "plain_text_input", "value": note or None}}
        submitted = dict(view, id=view_id, state={"values": values}, team_id=self.team_id, app_id="A0OKR")
        return self.interactive({"type": "view_submission", "team": {"id": self.team_id},
                                 "user": {"id": user, "team_id": self.team_id}, "api_app_id": "A0OKR",
                                 "trigger_id": self.trigger(), "view": submitted}, **kw)

    def event(self, event: dict, **kw) -> Response:
        body = {"token": "x", "team_id": self.team_id, "api_app_id": "A0OKR", "event": event, "type": "event_callback",
                "event_id": f"Ev{next(_counter)}", "event_time": int(time.time())}
        return self.deliver("events_api", body, **kw)


class Clock:
    """A settable clock for the app under test (the app reads time only through Deps.clock)."""

    def __init__(self, start):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self._now

    def set(self, instant):
        """Move the clock to `instant`."""
        with self._lock:
            self._now = instant


class Settling:
    """A person's clicks and submissions, each followed by the work okrbot's answer set off (alerts, Home tabs).

    Bolt runs that work in threads after it answers Slack; printing before it finished would put a check-in's alert
    under a later instant, or after the next message, depending on which thread got there first. Waiting for the
    app to be idle makes every run of the demo print the same thing.
    """

    def __init__(self, slack: SignedSlack, wait_idle: Callable[..., bool]):
        self.slack = slack
        self.wait_idle = wait_idle

    def click(self, *args, **kwargs):
        """SignedSlack.click, then wait until the app is idle."""
        return self._settled(self.slack.click(*args, **kwargs))

    def submit(self, *args, **kwargs):
        """SignedSlack.submit, then wait until the app is idle."""
        return self._settled(self.slack.submit(*args, **kwargs))

    def command(self, *args, **kwargs):
        """SignedSlack.command, then wait until the app is idle."""
        return self._settled(self.slack.command(*args, **kwargs))

    def interactive(self, *args, **kwargs):
        """SignedSlack.interactive, then wait until the app is idle."""
        return self._settled(self.slack.interactive(*args, **kwargs))

    def __getattr__(self, name: str):
        return getattr(self.slack, name)  # trigger(), team_id: nothing to wait for

    def _settled(self, response):
        if not self.wait_idle():
            raise RuntimeError("okrbot did not finish the work after an answer within 30 seconds")
        return response
