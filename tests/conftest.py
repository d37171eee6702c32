"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa

from storage.db import make_engine, upgrade
from storage.scratch import create_schema, drop_schema

PG_URL = os.environ.get("OKRBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, object] = {}


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    if "reason" not in _pg_state:
        try:
            eng = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            eng.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # any failure to connect means "not available"
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} is unreachable: {exc.__class__.__name__}"
    return _pg_state["reason"]  # type: ignore[return-value]


def _require_postgres() -> None:
    reason = _postgres_available()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def sqlite_url(tmp_path) -> str:
    """A fresh SQLite file under the test's tmp dir."""
    return f"sqlite:///{tmp_path / 'okrbot.db'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """One migrated SQLite file per test run; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "okrbot.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection's close checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _sqlite_template):
    """A migrated, empty database URL; every test using it runs once per backend."""
    if request.param == "sqlite":
        shutil.copyfile(_sqlite_template, tmp_path / "okrbot.db")
        yield sqlite_url(tmp_path)
        return
    _require_postgres()
    url, schema = create_schema(PG_URL)
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    try:
        yield url
    finally:
        drop_schema(PG_URL, schema)


@pytest.fixture
def engine(db_url):
    """An engine on the per-test database (both backends)."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, _sqlite_template):
    """An engine on a fresh migrated SQLite database, for tests where the backend does not matter."""
    shutil.copyfile(_sqlite_template, tmp_path / "okrbot.db")
    eng = make_engine(sqlite_url(tmp_path))
    yield eng
    eng.dispose()


# --- End-to-end: the real app over HTTP, Slack played by the fake Web API ----------------------------------------

from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


@pytest.fixture
def fake_slack():
    """A running fake Slack Web API with the people of tests/fixtures/growth.yaml."""
    from bot.sim.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.start()
    fake.add_user("U0ALICE", tz="America/New_York", name="alice")
    fake.add_user("U0BOB", tz="Europe/Berlin", name="bob")
    fake.add_user("U0LEAD", tz="Europe/London", name="lena")
    fake.add_user("U0EVE", tz="UTC", name="eve")
    # Growth's channel, where its weekly digest is posted.
    fake.add_channel("C0GROWTH", name="growth")
    yield fake
    fake.stop()


@dataclass
class OkrEnv:
    """The app under test and everything around it."""

    fake: object
    engine: object
    clock: object
    slack: object
    client: object
    url: str

    def tick(self, now: datetime):
        """Run the scheduler's tick at `now`, as `okrbot tick --now` would."""
        from bot.jobs.tick import run_tick

        self.clock.set(now)
        return run_tick(now=now, engine=self.engine, client=self.client)

    def import_file(self, path=FIXTURES / "growth.yaml"):
        """Import an OKR file into the app's database."""
        from bot.okr_files.importer import import_file
        from storage.db import session_scope

        with session_scope(self.engine) as session:
            return import_file(str(path), session=session)

    def session(self):
        from storage.db import session_scope

        return session_scope(self.engine)


@pytest.fixture
def okr(engine, fake_slack):
    """The okrbot Bolt app served over HTTP on loopback, with the Growth OKRs imported."""
    from app import start_http_app
    from bot.settings import Settings
    from bot.sim.signed import Clock, SignedSlack
    from bot.slack.client import make_client

    settings = Settings(bot_token=TOKEN, signing_secret=SECRET, api_url=fake_slack.url,
                        database_url=str(engine.url), scheduler=False)
    clock = Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    # No retry sleeps in tests: Retry-After is still honoured, only the jitter and backoff are zero.
    client = make_client(TOKEN, fake_slack.url, backoff=0.0, jitter=0.0)
    url, stop = start_http_app(settings, engine, clock=clock, client=client)
    env = OkrEnv(fake=fake_slack, engine=engine, clock=clock, slack=SignedSlack(url, SECRET, fake=fake_slack), client=client,
                 url=url)
    env.import_file()
    fake_slack.reset_calls()
    yield env
    stop()
