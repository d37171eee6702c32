"""A small HTTP client for the REST API in tests and benchmarks: real requests on loopback, JSON in and out."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class ApiReply:
    status: int
    headers: dict[str, str]
    body: object

    @property
    def detail(self) -> str:
        return self.body.get("detail", "") if isinstance(self.body, dict) else ""


class Api:
    """Requests to one okrbot's /api/v1, each on its own connection."""

    def __init__(self, base: str, token: str | None = None, *, prefix: str = "/api/v1"):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.token = token
        self.prefix = prefix

    def call(self, method: str, path: str, body=None, *, token: str | None = None, raw: bytes | None = None,
             headers: dict | None = None) -> ApiReply:
        """One request; `raw` sends those bytes as the body instead of JSON."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        sent = {"Content-Type": "application/json", **(headers or {})}
        token = self.token if token is None else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        try:
            conn.request(method, self.prefix + path, body=data, headers=sent)
            resp = conn.getresponse()
            text = resp.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return ApiReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)

    def push(self, ref: str, body, **kw) -> ApiReply:
        return self.call("POST", f"/key-results/{ref}/values", body, **kw)

    def get(self, ref: str, **kw) -> ApiReply:
        return self.call("GET", f"/key-results/{ref}", **kw)
