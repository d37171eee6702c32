"""Slack's requests into the Bolt app: signature checked and body parsed here, Bolt's sync dispatch off the loop.

Bolt's Starlette adapter calls the sync App's dispatch on the event loop, which would make every request wait
behind the one being answered; here it runs in a bounded thread pool of its own, so /health, /metrics and the
REST API keep answering while Bolt works.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.slack.payloads import misshapen

logger = logging.getLogger(__name__)

# Slack's timestamps are epoch seconds; anything longer is not one.
_MAX_TIMESTAMP_DIGITS = 12


class AcksFirst(ThreadPoolExecutor):
    """The executor for Bolt's lazy listeners (the work after an ack): a job waits until no Slack request is being
    answered, or `patience` seconds at most, before it starts.

    Under the GIL a CPU-bound render slows every other thread, and Slack times a request out after 3 seconds: in a
    burst, all the acks go out first and the answers (which have 30 minutes) follow.
    """

    def __init__(self, workers: int, *, patience: float = 2.0):
        super().__init__(max_workers=workers, thread_name_prefix="okrbot-after")
        self.patience = patience
        self._answering = 0
        self._pending = 0  # jobs submitted and not finished
        self._quiet = threading.Condition()

    def answering(self, delta: int) -> None:
        """Count a Slack request starting (+1) or answered (-1)."""
        with self._quiet:
            self._answering += delta
            if self._answering == 0:
                self._quiet.notify_all()

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102 - Executor.submit
        def when_quiet():
            with self._quiet:
                self._quiet.wait_for(lambda: self._answering == 0, timeout=self.patience)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._quiet:
                    self._pending -= 1
                    self._quiet.notify_all()

        with self._quiet:
            self._pending += 1
        return super().submit(when_quiet)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every job submitted so far (and any it submitted) has finished; False on timeout.

        Bolt submits a request's lazy listeners before it answers the request, so once a caller has its answer,
        this waits for everything that answer set off: the demo prints a check-in's alert with the check-in, not
        whenever a thread happens to get to it.
        """
        with self._quiet:
            return self._quiet.wait_for(lambda: self._pending == 0, timeout=timeout)


class SlackEndpoint:
    """POST /slack/events (and the OAuth pages): refuse what Slack did not sign, then hand the rest to Bolt."""

    def __init__(self, bolt: App, signing_secret: str, *, workers: int, after_ack: AcksFirst | None = None):
        self.bolt = bolt
        self.verifier = SignatureVerifier(signing_secret)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrbot-slack")
        self.after_ack = after_ack

    def signed(self, body: bytes, headers) -> bool:
        """True when the request carries Slack's v0 signature of this body, made in the last five minutes."""
        timestamp = headers.get("x-slack-request-timestamp") or ""
        signature = headers.get("x-slack-signature") or ""
        if not (timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS and signature.startswith("v0=")):
            return False
        # Slack signs UTF-8 text; a body that is not UTF-8 cannot match, and decoding it must not raise.
        return self.verifier.is_valid(body.decode("utf-8", "replace"), timestamp, signature)

    async def events(self, request: Request) -> Response:
        """A command, click, submission or event from Slack."""
        if self.after_ack is None:
            return await self._events(request)
        self.after_ack.answering(+1)
        try:
            return await self._events(request)
        finally:
            self.after_ack.answering(-1)

    async def _events(self, request: Request) -> Response:
        body = await request.body()
        if not self.signed(body, request.headers):
            return PlainTextResponse("This request is not signed by Slack, or the signature is stale.", 401)
        try:
            bolt_request = BoltRequest(body=body.decode("utf-8"), query=request.url.query,
                                       headers=dict(request.headers))
            if not isinstance(bolt_request.body, dict):
                raise TypeError(f"the payload is a {type(bolt_request.body).__name__}")
            if (part := misshapen(bolt_request.body)) is not None:
                raise TypeError(f"its {part} is missing or not what Slack sends")
        except Exception as exc:  # signed, so from Slack or a holder of the secret: worth one line, not a trace
            logger.warning("refused a signed request that is not a Slack payload (%s: %s); answered 400",
                           type(exc).__name__, str(exc)[:120])
            return PlainTextResponse("This request's body is not a Slack payload.", 400)
        return await self._run(self.bolt.dispatch, bolt_request)

    async def oauth(self, request: Request) -> Response:
        """The "Add to Slack" page and Slack's redirect back (multi-workspace mode)."""
        flow = self.bolt.oauth_flow
        bolt_request = BoltRequest(body="", query=request.url.query, headers=dict(request.headers))
        handle = flow.handle_installation if request.url.path == flow.install_path else flow.handle_callback
        return await self._run(handle, bolt_request)

    async def _run(self, handle, bolt_request: BoltRequest) -> Response:
        loop = asyncio.get_running_loop()
        return to_starlette_response(await loop.run_in_executor(self.pool, handle, bolt_request))

    def close(self) -> None:
        """Finish the requests Bolt is working on and stop the pool."""
        self.pool.shutdown(wait=True)
