"""API tokens: created, listed, revoked per workspace, and found by the hash of what a request presents.

Only a token's SHA-256 is stored. A plain hash is enough (no salt, no slow KDF): the tokens are 256 random bits, so
there is nothing to guess from a leaked hash, and a request must be checked in microseconds.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage.db import flushed, workspace_of
from storage.models import ApiToken

PREFIX = "okr_"
# last_used_at is written at most this often per token, so a busy pusher does not turn every read into a write.
TOUCH_EVERY = timedelta(minutes=1)


class TokenNameTaken(ValueError):
    """The workspace has a token of that name already."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, *, session: Session, now: datetime) -> str:
    """A new token of the session's workspace: returned once, only its hash stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(workspace_id=workspace_of(session), name=name, token_hash=hash_token(token), created_at=now))
    if not flushed(session):
        raise TokenNameTaken(f"there is a token named {name!r} already; revoke it first or choose another name")
    return token


def list_tokens(*, session: Session) -> list[ApiToken]:
    """The session's workspace's tokens, oldest first."""
    return list(session.exec(select(ApiToken).where(ApiToken.workspace_id == workspace_of(session))
                             .order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(name: str, *, session: Session) -> bool:
    """Delete the workspace's token of that name; False when there is none."""
    row = session.exec(select(ApiToken).where(ApiToken.workspace_id == workspace_of(session),
                                              ApiToken.name == name)).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def token_for(presented: str, *, session: Session, now: datetime) -> ApiToken | None:
    """The live token a request presented (in any workspace), noting its use; None for anything else."""
    if not presented.startswith(PREFIX) or len(presented) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(presented))).first()
    if row is not None and (row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY):
        row.last_used_at = now
        session.add(row)
    return row
