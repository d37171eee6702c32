"""Shared fixtures: a migrated, empty database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa

from storage.db import make_engine, upgrade
from storage.scratch import create_schema, drop_schema, empty_schema, schema_state


def pytest_addoption(parser, pluginmanager):
    if not pluginmanager.has_plugin("xdist"):
        # `-p no:xdist` (to debug with breakpoint()) or no pytest-xdist at all: accept pyproject's --numprocesses and
        # run every test in this one process.
        parser.addoption("--numprocesses", help="ignored: pytest-xdist is not loaded, tests run in this process")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slack_rejects(*errors): the test sends Slack payloads it refuses on purpose, with these errors")


@pytest.fixture(autouse=True)
def _slack_is_the_judge(request):
    """Fail any test that made okrbot send Slack something Slack would refuse (bot/sim/fake_validate.py), even when
    the product swallowed the error; a test that does it on purpose says so with @pytest.mark.slack_rejects(...)."""
    from bot.sim import fake_validate

    fake_validate.drain()
    yield
    found = fake_validate.drain()
    marker = request.node.get_closest_marker("slack_rejects")
    allowed = set(marker.args) if marker is not None else set()
    unexpected = [v for v in found if v.error not in allowed]
    if unexpected:
        pytest.fail("Slack would refuse what this test made okrbot send:\n" + fake_validate.describe(unexpected),
                    pytrace=False)


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
    """One migrated SQLite file per test process; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "okrbot.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection's close checkpoints the WAL into the file
    return path


class _PostgresSchemas:
    """The PostgreSQL side of db_url, one per test process (each pytest-xdist worker has its own).

    Migrating a schema costs about a second, so a process migrates one and hands it from test to test, emptied in
    between by storage.scratch.empty_schema: every row deleted but alembic_version's and every sequence back at 1,
    so each test still starts from what a freshly migrated database holds. A schema that cannot be emptied (a test
    changed its tables or migrated it, or left a transaction writing to it) is set aside and the next test gets a
    newly migrated one. Tests marked fresh_database get a new schema of their own, dropped after them.
    """

    def __init__(self):
        self.admin: sa.Engine | None = None
        self.shared: tuple[str, str] | None = None  # (url, schema) handed from test to test
        self.fresh_state = None  # schema_state() of a freshly migrated schema
        self.set_aside: list[str] = []

    def migrated(self) -> tuple[str, str]:
        """A new, migrated schema: its URL and name."""
        url, schema = create_schema(PG_URL)
        eng = make_engine(url)
        try:
            upgrade(eng)
        finally:
            eng.dispose()
        if self.admin is None:
            self.admin = sa.create_engine(PG_URL)
            with self.admin.connect() as conn:
                self.fresh_state = schema_state(conn, schema)
        return url, schema

    def shared_url(self) -> str:
        if self.shared is None:
            self.shared = self.migrated()
        return self.shared[0]

    def after_shared(self) -> None:
        """After a test: empty the shared schema, or set it aside when it cannot pass for a fresh one."""
        if self.shared is not None and not empty_schema(self.admin, self.shared[1], self.fresh_state):
            self.set_aside.append(self.shared[1])
            self.shared = None

    def close(self) -> None:
        for schema in self.set_aside + ([self.shared[1]] if self.shared else []):
            drop_schema(PG_URL, schema, terminate=True)
        if self.admin is not None:
            self.admin.dispose()


@pytest.fixture(scope="session")
def _pg_schemas():
    schemas = _PostgresSchemas()
    yield schemas
    schemas.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _sqlite_template):
    """A migrated, empty database URL; every test using it runs once per backend.

    On PostgreSQL the URL names a schema reused by the next tests of this process, emptied in between; mark a test
    `fresh_database` when it changes the schema itself (migrations), to give it a new schema of its own.
    """
    if request.param == "sqlite":
        shutil.copyfile(_sqlite_template, tmp_path / "okrbot.db")
        yield sqlite_url(tmp_path)
        return
    _require_postgres()
    schemas: _PostgresSchemas = request.getfixturevalue("_pg_schemas")
    if request.node.get_closest_marker("fresh_database"):
        url, schema = schemas.migrated()
        try:
            yield url
        finally:
            drop_schema(PG_URL, schema, terminate=True)
        return
    try:
        yield schemas.shared_url()
    finally:
        schemas.after_shared()


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
