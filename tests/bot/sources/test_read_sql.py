"""SQL sources against the local PostgreSQL and SQLite: the first value, read-only, one statement, the timeout."""

import sqlite3

import pytest
import sqlalchemy as sa

from bot.sources.read import read_source
from bot.sources.spec import SqlSource
from storage.scratch import create_schema, drop_schema
from tests.conftest import PG_URL, _require_postgres


@pytest.fixture(scope="module")
def pg_url():
    """A throwaway schema holding activation_weekly, as a database URL (search_path set to the schema)."""
    _require_postgres()
    url, schema = create_schema(PG_URL, prefix="src")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE activation_weekly (week int, d7 numeric, label text)"))
        conn.execute(sa.text("INSERT INTO activation_weekly VALUES (48, 0.30, '30%'), (49, 0.33, 'n/a')"))
    engine.dispose()
    yield url
    drop_schema(PG_URL, schema, terminate=True)


@pytest.fixture
def sqlite_url(tmp_path):
    path = tmp_path / "analytics.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE activation_weekly (week int, d7 real, label text)")
    conn.execute("INSERT INTO activation_weekly VALUES (48, 0.30, '30%'), (49, 0.33, 'n/a')")
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request):
    """The environment of a SQL source: ANALYTICS_DATABASE_URL on each backend."""
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    return {"ANALYTICS_DATABASE_URL": url}


def read(environ, query, timeout=5.0):
    return read_source(SqlSource("ANALYTICS_DATABASE_URL", query), environ=environ, timeout=timeout)


def test_the_first_column_of_the_first_row(database):
    assert read(database, "select avg(d7) from activation_weekly").value == pytest.approx(0.315)
    assert read(database, "select d7, week from activation_weekly order by week desc;").value == pytest.approx(0.33)
    # Text is read like a check-in value.
    assert read(database, "select label from activation_weekly where week = 48").value == 30.0
    assert read(database, "select label from activation_weekly where week = 49").failure == \
        "the query's first value is not a number: 'n/a'"
    assert read(database, "select d7 from activation_weekly where week = 1").failure == "the query returned no rows"
    assert read(database, "select null").failure == "the query's first value is empty (null)"


def test_writes_are_refused_and_change_nothing(database):
    for query in ("delete from activation_weekly", "update activation_weekly set d7 = 1",
                  "insert into activation_weekly values (50, 1, 'x')", "drop table activation_weekly"):
        reading = read(database, query)
        assert reading.failure is not None
    # SQLite opens the file read-only; PostgreSQL's server-side cursor takes only a query.
    assert read(database, "delete from activation_weekly").failure in (
        "the query tried to write; SQL sources are read-only",
        "a SQL source runs one query (SELECT, WITH or VALUES), not DELETE")
    assert read(database, "select count(*) from activation_weekly").value == 2.0


def test_a_write_hidden_in_a_query_is_refused_on_postgresql(pg_url):
    environ = {"ANALYTICS_DATABASE_URL": pg_url}
    assert read(environ, "select nextval('no_such_sequence')").failure is not None
    reading = read(environ, "with gone as (delete from activation_weekly returning 1) select count(*) from gone")
    assert reading.failure is not None
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE OR REPLACE FUNCTION wipe() RETURNS int LANGUAGE sql AS "
                             "'DELETE FROM activation_weekly RETURNING 1'"))
        conn.commit()
    engine.dispose()
    assert read(environ, "select wipe()").failure == "the query tried to write; SQL sources are read-only"
    assert read(environ, "select count(*) from activation_weekly").value == 2.0


def test_exactly_one_statement(database):
    for query in ("select 1; select 2", "select 1; delete from activation_weekly",
                  "commit; delete from activation_weekly"):
        failure = read(database, query).failure
        assert failure is not None and ("exactly one statement" in failure or "syntax error" in failure)
    assert read(database, "select 1; select 2").failure == "the query must be exactly one statement"
    assert read(database, "select count(*) from activation_weekly").value == 2.0


def test_the_timeout(database):
    slow = ("select pg_sleep(3)" if database["ANALYTICS_DATABASE_URL"].startswith("postgresql")
            else "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n")
    assert read(database, slow, timeout=0.4).failure == "the query timed out after 0.4 s"


def test_urls_come_only_from_the_environment_and_never_show(tmp_path):
    assert read({}, "select 1").failure == "environment variable ANALYTICS_DATABASE_URL is not set"
    environ = {"ANALYTICS_DATABASE_URL": "postgresql://okr:hunter2-secret@127.0.0.1:1/analytics"}
    failure = read(environ, "select 1").failure
    assert failure.startswith("could not connect to the database") and "hunter2" not in failure
    environ = {"ANALYTICS_DATABASE_URL": "mysql://okr:hunter2-secret@127.0.0.1/analytics"}
    assert read(environ, "select 1").failure.startswith("mysql databases are not supported")
    missing = {"ANALYTICS_DATABASE_URL": f"sqlite:///{tmp_path / 'absent.db'}"}
    assert read(missing, "select 1").failure == "could not open the SQLite database (it must exist and be readable)"
    assert not (tmp_path / "absent.db").exists()
