"""The one send loop of every scheduled job: plan messages, skip what was sent, send the rest exactly once.

A job plans Messages (each under its outbox key, storage.keys) and hands them to a Sender. The Sender asks the
outbox once which keys were sent already, sends each remaining message through storage.outbox.deliver_once (claim,
Slack call, mark), and when one fails rolls the session back, logs it and counts it, so the next message and the
next tick carry on. Jobs never catch a message's failure themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from sqlmodel import Session

from bot import metrics
from bot.slack.people import send_dm
from storage.db import recover
from storage.outbox import Outcome, deliver_once, sent

logger = logging.getLogger(__name__)


@dataclass
class Report:
    """What one run of a sending job did: the labels (owners, teams or outbox keys) sent, failed and skipped."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0

    def note(self, outcome: Outcome, label: str) -> None:
        """Count one deliver_once outcome under `label`."""
        if outcome.sent:
            self.sent.append(label)
        elif outcome.status == "failed":
            self.failed.append(label)
        else:
            self.skipped += 1


@dataclass(frozen=True)
class Message:
    """One message a job wants sent: its outbox key, to whom, and how to build it (only when it is sent).

    `build` returns the fallback text and blocks, or None when there turns out to be nothing to say.
    """

    key: str
    kind: str
    label: str
    build: Callable[[], tuple[str, list[dict]] | None]
    to_user: str | None = None
    channel: str | None = None


class Sender:
    """Sends a job's messages through the outbox and keeps its Report."""

    def __init__(self, *, now: datetime, session: Session, client: WebClient, report: Report | None = None):
        self.now = now
        self.session = session
        self.client = client
        self.report = report or Report()

    def pending(self, keys: Iterable[str]) -> list[str]:
        """The keys the outbox has not sent yet, in their order, in one query; the others count as skipped."""
        keys = list(keys)
        done = sent(keys, session=self.session)
        self.report.skipped += sum(1 for key in keys if key in done)
        return [key for key in keys if key not in done]

    def unsent(self, messages: Iterable[Message]) -> list[Message]:
        """The messages whose key the outbox has not sent yet (see pending)."""
        messages = list(messages)
        todo = set(self.pending(m.key for m in messages))
        return [m for m in messages if m.key in todo]

    def send(self, message: Message) -> None:
        """Build and send one message at most once; a failure is logged and counted, never raised."""
        try:
            built = message.build()
            if built is None:
                self.report.skipped += 1
                return
            text, blocks = built
            if message.to_user is not None:
                send = send_dm(message.to_user, text, blocks, session=self.session, client=self.client)
            else:
                def send() -> dict:
                    return self.client.chat_postMessage(channel=message.channel, text=text, blocks=blocks)
            outcome = deliver_once(message.key, message.kind, now=self.now, session=self.session, send=send)
            metrics.count_message(message.kind, outcome.status, outcome.error)
            self.report.note(outcome, message.label)
        except Exception:
            recover(self.session)
            logger.exception("%s %s failed; it will be retried on the next tick", message.kind, message.key)
            self.report.failed.append(message.label)

    def send_all(self, messages: Iterable[Message]) -> Report:
        """Send every message not sent yet, in order; returns the report."""
        for message in self.unsent(messages):
            self.send(message)
        return self.report
