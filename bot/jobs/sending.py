"""The one send loop of every scheduled job: plan messages, skip what was sent, send the rest exactly once.

A job plans Messages (each under its outbox key, storage.keys) and hands them to a Sender. The Sender asks the
outbox once which keys were sent already (or are held), sends each remaining message through
storage.outbox.deliver_once (claim, Slack call, mark), and when one fails logs one line and counts it, so the next
message and the next tick carry on. Jobs never catch a message's failure themselves.

A failure is judged by bot.slack.errors: one that goes away by itself is retried on the next tick; one that needs a
person holds the message for an hour (storage.outbox.release) and records the problem (storage.problems), which
bot.jobs.problems tells to the people who can fix it, once. A refused token stops the workspace.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import metrics
from bot.slack.errors import HOLD, Verdict, judge
from bot.slack.history import EVENT_TYPE, LookupCutShort, find_delivery
from bot.slack.people import find_dm, send_dm
from bot.slack.workspaces import stop_sending
from storage import problems
from storage.db import recover, workspace_of
from storage.outbox import DONE, Outcome, deliver_once, settled

logger = logging.getLogger(__name__)


@dataclass
class Report:
    """What one run of a sending job did: the labels (owners, teams or outbox keys) sent, failed and skipped, and
    for each failure its error and when it is tried again."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    # Slack refused the token: the tick runs no further job for this workspace.
    stopped: bool = False
    # The job has nothing to do before this instant unless something is written first (storage.wake);
    # bot.rules.next_due.NEVER when only a write can give it work, None when the job did not say (at once).
    next_due: datetime | None = None

    def note(self, outcome: Outcome, label: str) -> None:
        """Count one deliver_once outcome under `label` (a failure is counted with fail); 'recovered' (a process
        that died had sent it) counts as skipped, like 'done': this run posted nothing, and the counts say so."""
        if outcome.sent:
            self.sent.append(label)
        elif outcome.status != "failed":
            self.skipped += 1

    def fail(self, label: str, error: str = "unexpected", when: str = "retry next tick") -> None:
        """Count one failed message, with its error and when it is tried again."""
        self.failed.append(label)
        self.failures.append((when, error))

    def summary(self, job: str) -> str:
        """One line for the log, e.g. "prompts: 40 sent, 2 failed (retry in 1 h: not_in_channel x2)"."""
        line = f"{job}: {len(self.sent)} sent, {len(self.failed)} failed"
        if not self.failures:
            return line
        groups: dict[str, Counter] = {}
        for when, error in self.failures:
            groups.setdefault(when, Counter())[error] += 1
        return line + " (" + "; ".join(
            f"{when}: " + ", ".join(f"{error} x{n}" for error, n in errors.most_common())
            for when, errors in groups.items()) + ")"


def _when(verdict: Verdict) -> str:
    if verdict.kind == "token":
        return "stopped until reinstalled"
    return "retry in 1 h" if verdict.held else "retry next tick"


def _lookup_failure(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack refused to look for it ({exc.response.get('error')})"
    if isinstance(exc, LookupCutShort):
        return f"it is not among the messages it read ({exc})"
    return f"looking for it failed ({exc.__class__.__name__})"


def delivery_metadata(key: str) -> dict:
    """The Slack message metadata every outbox message carries: its outbox key, so that the message can be found
    in its conversation (conversations.history with include_all_metadata) after a process died before recording
    it; chat.postMessage has no idempotency key of its own."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


# Person errors that mean the account is gone (not, say, a bot or a turned-off Messages tab).
DEACTIVATED = frozenset({"user_not_found", "account_inactive", "user_disabled", "is_archived", "channel_not_found"})


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
        # Slack refused the token: nothing more is sent with it in this run.
        self.stopped = False
        # What settle() learnt of each key's row, so that a retry is claimed without a failing insert.
        self.known: dict[str, str] = {}

    def settle(self, keys: Iterable[str]) -> dict[str, str]:
        """storage.outbox.settled for these keys (one query per 5,000), remembered for send()."""
        found = settled(keys, now=self.now, session=self.session)
        self.known.update(found)
        return found

    def pending(self, keys: Iterable[str]) -> list[str]:
        """The keys with something to do at `now` (not sent, not held), in their order, in one query; the others
        count as skipped."""
        keys = list(keys)
        found = self.settle(keys)
        todo = [key for key in keys if found.get(key) not in DONE]
        self.report.skipped += len(keys) - len(todo)
        return todo

    def unsent(self, messages: Iterable[Message]) -> list[Message]:
        """The messages whose key the outbox has not sent yet (see pending)."""
        messages = list(messages)
        todo = set(self.pending(m.key for m in messages))
        return [m for m in messages if m.key in todo]

    def send(self, message: Message) -> None:
        """Build and send one message at most once; a failure is logged and counted, never raised."""
        if self.stopped:
            self.report.skipped += 1
            return
        try:
            built = message.build()
            if built is None:
                self.report.skipped += 1
                return
            text, blocks = built
            if message.to_user is not None:
                send = send_dm(message.to_user, text, blocks, session=self.session, client=self.client,
                               metadata=delivery_metadata(message.key))
                lookup = find_dm(message.to_user, message.key, session=self.session, client=self.client)
            else:
                def send() -> dict:
                    return self.client.chat_postMessage(channel=message.channel, text=text, blocks=blocks,
                                                        metadata=delivery_metadata(message.key))

                def lookup(claimed_at: datetime) -> dict | None:
                    return find_delivery(self.client, message.channel, message.key, claimed_at=claimed_at)
            judged: list[Verdict] = []

            def hold(exc: BaseException) -> datetime | None:
                judged.append(judge(exc, to_person=message.to_user is not None))
                return self.now + HOLD if judged[-1].held else None

            target = message.to_user or message.channel
            outcome = deliver_once(message.key, message.kind, now=self.now, session=self.session, send=send,
                                   hold=hold, target=target, exists=self.known.get(message.key) == "open",
                                   find=self._finder(message, lookup))
            metrics.count_message(message.kind, outcome.status, outcome.error)
            if outcome.status == "failed":
                self._failed(message, judged[0], outcome)
                return
            self.report.note(outcome, message.label)
            if outcome.sent and outcome.delivery.next_try_at is not None and target:
                # It was held and went out at its hourly try: whatever stopped it was fixed.
                problems.resolve([target], session=self.session)
        except Exception:
            recover(self.session)
            logger.exception("%s %s failed unexpectedly; retried on the next tick", message.kind, message.key)
            self.report.fail(message.label)

    def _finder(self, message: Message, lookup: Callable[[datetime], dict | None]
                ) -> Callable[[datetime], dict | None]:
        """The outbox's `find` for a claim a dead process left: `lookup`, whose failure is one log line and a post."""
        target = message.to_user or message.channel

        def find(claimed_at: datetime) -> dict | None:
            try:
                found = lookup(claimed_at)
            except Exception as exc:
                what = (f"{message.kind} {message.key} to {target}: a process died sending it, and "
                        f"{_lookup_failure(exc)}; posting it again, a duplicate is possible")
                if isinstance(exc, (SlackApiError, LookupCutShort, OSError)):
                    logger.warning("%s", what)
                else:
                    logger.error("%s", what, exc_info=exc)
                return None
            if found is not None:
                logger.info("%s %s to %s: found in Slack, sent by a process that died before recording it; "
                            "not posted again", message.kind, message.key, target)
            return found

        return find

    def _failed(self, message: Message, verdict: Verdict, outcome: Outcome) -> None:
        target = message.to_user or message.channel
        line = (f"{message.kind} {message.key} to {target}: chat.postMessage failed with {verdict.error}"
                + (f" ({verdict.reason})" if verdict.reason else "") + f"; {verdict.next_step}")
        if verdict.kind == "unexpected":
            logger.error("%s", line, exc_info=outcome.exc)
        else:
            logger.warning("%s", line)
        self.report.fail(message.label, verdict.error, _when(verdict))
        if verdict.kind == "token":
            self.stopped = self.report.stopped = True
            stop_sending(workspace_of(self.session), token=self.client.token, reason=verdict.error, now=self.now,
                         session=self.session)
            # Committed together with the stop above.
            problems.record("token", "token", verdict.error, now=self.now, session=self.session)
        elif verdict.kind in ("channel", "person") and target:
            if verdict.kind == "person" and verdict.error in DEACTIVATED:
                problems.set_deactivated(target, True, now=self.now, session=self.session)
            problems.record(target, verdict.kind, verdict.error, now=self.now, session=self.session)

    def send_all(self, messages: Iterable[Message]) -> Report:
        """Send every message not sent yet, in order; returns the report."""
        for message in self.unsent(messages):
            self.send(message)
        return self.report
