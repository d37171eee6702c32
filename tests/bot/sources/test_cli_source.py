"""`okrbot source test REF` and `okrbot source test FILE.yaml`: each value or the exact reason, exit 1 on a failure."""

from bot import cli

from .conftest import ALLOW, Route

FILE = """\
cycle: {{name: 2026-Q4, start: 2026-10-01, end: 2099-12-31}}
teams:
  - name: Growth
    channel: C0GROWTH
objectives:
  - team: Growth
    title: Activation
    key_results:
      - id: d7
        title: Increase Day-7 activation rate from 22% to 35%
        owner: U0ALICE
        baseline: 22
        target: 35
        unit: "%"
        source: {{type: http, url: "{good}", path: data.d7, headers: {{Authorization: "Bearer ${{METRICS_TOKEN}}"}}}}
      - id: signups
        title: Signups from 100 to 200
        owner: U0ALICE
        baseline: 100
        target: 200
        source: {{type: http, url: "{down}"}}
      - id: typed
        title: NPS from 20 to 40
        owner: U0ALICE
        baseline: 20
        target: 40
"""


def no_serve(settings):
    raise AssertionError("serve must not run")


def _file(tmp_path, web):
    web.json("/a.json", {"data": {"d7": 31.5}})
    web.routes["/down"] = Route(status=503, body=b"{}")
    path = tmp_path / "okrs.yaml"
    path.write_text(FILE.format(good=web.url("/a.json"), down=web.url("/down")))
    return path


def test_a_file_needs_no_database_and_says_each_value_or_reason(tmp_path, web, capsys):
    path = _file(tmp_path, web)
    env = {**ALLOW, "METRICS_TOKEN": "tok-123456"}
    assert cli.main(["source", "test", str(path)], serve=no_serve, env=env) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"✓ {path}:9 d7 “Increase Day-7 activation rate from 22% to 35%”: 31.5% from HTTP",
                   f"✗ {path}:16 signups “Signups from 100 to 200”: HTTP source failed: HTTP 503",
                   "1 of 2 sources read, 1 failed."]
    # Without the token the reason names the variable; the secret itself never shows.
    assert cli.main(["source", "test", str(path)], serve=no_serve, env=ALLOW) == 1
    assert "HTTP source failed: environment variable METRICS_TOKEN is not set" in capsys.readouterr().out


def test_a_file_import_would_refuse_is_refused(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(FILE.format(good="ftp://x", down="https://x"))
    assert cli.main(["source", "test", str(path)], serve=no_serve, env={}) == 1
    err = capsys.readouterr().err
    assert f"{path}:15: objectives[0].key_results[0].source.url: the URL must start with https://" in err


def test_a_ref_reads_the_stored_source(tmp_path, web, db_url, capsys):
    path = _file(tmp_path, web)
    env = {**ALLOW, "METRICS_TOKEN": "tok-123456", "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-cli"}
    assert cli.main(["import", str(path)], serve=no_serve, env=env) == 0
    capsys.readouterr()
    assert cli.main(["source", "test", "KR-1"], serve=no_serve, env=env) == 0
    assert capsys.readouterr().out.splitlines() == [
        "✓ KR-1 “Increase Day-7 activation rate from 22% to 35%”: 31.5% from HTTP", "1 of 1 sources read."]
    assert cli.main(["source", "test", "signups"], serve=no_serve, env=env) == 1
    assert "✗ KR-2 “Signups from 100 to 200”: HTTP source failed: HTTP 503" in capsys.readouterr().out
    assert cli.main(["source", "test", "KR-3"], serve=no_serve, env=env) == 1
    assert "KR-3 “NPS from 20 to 40” has no source: add `source:`" in capsys.readouterr().err
    assert cli.main(["source", "test", "KR-99"], serve=no_serve, env=env) == 1
    assert "there is no live key result 'KR-99'" in capsys.readouterr().err
