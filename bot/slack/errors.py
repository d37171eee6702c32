"""What a failed Slack call means for okrbot: try again in a minute, or wait for a person to fix something.

The error codes come from Slack's method docs for the calls the send loop makes (chat.postMessage, and users.info
for zones): each lists the errors it can answer. Retry-later is what goes away by itself (rate limits, Slack's own
5xx and timeouts, a network that is down). The others need a person: okrbot is not in a channel, the channel was
archived or deleted, an owner's account was deactivated, the token was revoked or lacks a scope, or okrbot itself
built a message Slack refuses. Retrying those every minute only costs work; they are tried once an hour and told to
someone who can act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError

# A message that needs a person is tried at most this often for the rest of its window.
HOLD = timedelta(hours=1)

RETRY_LATER = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    "timeout", "team_added_to_org",
})

# A channel post that cannot go out until someone changes the channel (or okrbot's place in it).
CHANNEL = {
    "not_in_channel": "I'm not in that channel",
    "channel_not_found": "that channel doesn't exist any more, or it is private and I'm not in it",
    "is_archived": "that channel is archived",
    "restricted_action": "a workspace setting doesn't let me post there",
    "restricted_action_read_only_channel": "only admins may post in that channel",
    "restricted_action_thread_only_channel": "that channel only takes replies in threads",
    "restricted_action_non_threadable_channel": "that channel doesn't take threads",
    "ekm_access_denied": "the workspace's administrators have suspended posting",
    "team_access_not_granted": "okrbot is not granted access to that channel's workspace",
}

# A DM that cannot go out because of the person it is for.
PERSON = {
    "user_not_found": "their Slack account is deactivated or gone",
    "account_inactive": "their Slack account is deactivated",
    "user_disabled": "their Slack account is deactivated",
    "cannot_dm_bot": "they are a bot",
    "channel_not_found": "their Slack account is deactivated or gone",
    "is_archived": "their Slack account is deactivated",
    "messages_tab_disabled": "okrbot's Messages tab is turned off, so it cannot DM anyone",
}

# The token itself: nothing can be sent to the workspace until the app is installed again.
TOKEN = {
    "invalid_auth": "Slack does not accept okrbot's token",
    "not_authed": "okrbot sent no token",
    "token_revoked": "okrbot's token was revoked (the app was removed)",
    "token_expired": "okrbot's token expired",
    "account_inactive": "okrbot's bot user or workspace was deactivated",
    "missing_scope": "okrbot's token lacks a permission it needs; reinstall the app from its manifest",
    "no_permission": "okrbot's token lacks a permission it needs; reinstall the app from its manifest",
    "not_allowed_token_type": "okrbot's token is of the wrong type",
    "org_login_required": "the workspace is migrating to an Enterprise org",
}

# A message okrbot built and Slack refused: okrbot's own bug, for whoever runs it (the log) to report.
CONTENT = frozenset({
    "msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format", "invalid_arguments",
    "invalid_attachments", "too_many_attachments", "no_text", "metadata_too_large", "invalid_metadata_format",
})


@dataclass(frozen=True)
class Verdict:
    """One failure judged: its error code, what class it is in, and in words what is wrong and what happens next.

    kind is "retry" (next tick), "channel", "person", "token", "content" (held an hour; the first three are told to
    a person) or "unexpected" (a bug in okrbot: next tick, with a traceback in the log).
    """

    error: str
    kind: str
    reason: str = ""

    @property
    def held(self) -> bool:
        """True when the message waits HOLD before its next try instead of the next tick."""
        return self.kind in ("channel", "person", "token", "content")

    @property
    def next_step(self) -> str:
        """What happens next, as a log line ends."""
        if self.kind == "token":
            return "okrbot stops sending to this workspace until it is installed again"
        if self.held:
            return "held, next try in 1 h"
        return "retried on the next tick"


def error_code(exc: BaseException) -> str:
    """Slack's error code of a failed call, or the exception's class name when Slack did not answer."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        code = response.get("error")
        if code:
            return str(code)
        status = getattr(response, "status_code", None)
        if status:
            return f"http_{status}"
    return exc.__class__.__name__


def judge(exc: BaseException, *, to_person: bool) -> Verdict:
    """What a failed send means; `to_person` says whether it was a DM (a person's errors) or a channel post."""
    code = error_code(exc)
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200) or 200
        if status == 429 or status >= 500 or code in RETRY_LATER:
            return Verdict(code, "retry")
        if to_person and code in PERSON:
            return Verdict(code, "person", PERSON[code])
        if code in TOKEN:
            return Verdict(code, "token", TOKEN[code])
        if not to_person and code in CHANNEL:
            return Verdict(code, "channel", CHANNEL[code])
        if code in CONTENT:
            return Verdict(code, "content", "Slack refused the message okrbot built")
        # An error Slack documents that okrbot has no plan for: waiting an hour costs less than every minute.
        return Verdict(code, "content", "Slack refused the message")
    # Connection refused or reset, DNS, a read timeout: the network, not the message.
    if isinstance(exc, OSError | TimeoutError):
        return Verdict(code, "retry")
    return Verdict(code, "unexpected")
