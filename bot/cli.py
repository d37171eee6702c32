"""The command line: serve, tick, import, export, lint, workspaces and db upgrade."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError

from bot.jobs.prompts import send_prompt_now
from bot.jobs.tick import served, tick_all
from bot.okr_files.checker import load_okr_file
from bot.okr_files.exporter import CycleNotFound, export_csv, export_yaml
from bot.okr_files.importer import apply_okr_set
from bot.okr_files.lint import errors, format_json, format_plain, format_warnings, lint_file, lint_okr_set
from bot.okr_files.source_test import NoSource, file_sources, looks_like_file, read_now, ref_source, report
from bot.okr_files.spec import OkrFileError
from bot.reports.key_result import AmbiguousRef, NoSuchKR
from bot.settings import Settings, SettingsError, load_settings
from bot.slack.client import check_slack, make_client
from bot.slack.doctor import diagnose, failed
from storage.db import DatabaseError, make_engine, session_scope, upgrade
from storage.models import SINGLE_WORKSPACE
from storage.tokens import TokenNameTaken, create_token, list_tokens, revoke_token

logger = logging.getLogger("okrbot")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with a zone ('2026-11-27T09:05:00Z'); argparse-friendly errors otherwise."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time like 2026-11-27T09:05:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z for UTC or an offset like +01:00")
    return value.astimezone(UTC)


WORKSPACE_HELP = "the Slack team (or enterprise) id whose OKRs these are; needed when SLACK_CLIENT_ID is set"


def _command(sub, name: str, summary: str, *examples: str, more: str = "") -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and shows how it is used."""
    description = textwrap.fill(summary[:1].upper() + summary[1:] + "." + more, width=78)
    return sub.add_parser(name, help=summary, description=description,
                          epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    """The okrbot argument parser."""
    parser = argparse.ArgumentParser(prog="okrbot", description="A Slack app that keeps a team's OKRs alive.",
                                     epilog="`okrbot COMMAND --help` says what a command does, with an example.")
    sub = parser.add_subparsers(dest="command")
    _command(sub, "serve", "run the bot (HTTP or Socket Mode) with its scheduler; the default", "okrbot serve",
             more=" Reads .env; Slack posts to POST /slack/events on PORT (3000).")
    tick = _command(sub, "tick", "run every scheduled job due at an instant, then exit",
                    "okrbot tick", "okrbot tick --now 2026-11-27T09:05:00Z",
                    more=" For cron, with OKRBOT_SCHEDULER=off in serve.")
    tick.add_argument("--now", type=parse_instant, help="the instant, e.g. 2026-11-27T09:05:00Z (default: now)")
    tick.add_argument("--workspace", help="only this workspace (default: every installed workspace)")
    imp = _command(sub, "import", "create or update teams, the cycle, objectives and KRs from YAML",
                   "okrbot import examples/okrs.yaml",
                   more=" Importing the same file again changes nothing and says so.")
    imp.add_argument("file")
    imp.add_argument("--workspace", help=WORKSPACE_HELP)
    lint = _command(sub, "lint", "coach notes on how the objectives and KRs in an OKR file are written",
                    "okrbot lint examples/okrs.yaml", "okrbot lint okrs.yaml --format json",
                    more=" Needs no database or Slack. Exits 1 when import would refuse the file (the same rules, in the same "
                         "words), 0 when there are only notes.")
    lint.add_argument("file")
    lint.add_argument("--format", choices=("plain", "json"), default="plain")
    exp = _command(sub, "export", "print the OKR set with each KR's latest check-in",
                   "okrbot export > okrs.yaml", "okrbot export --format csv --cycle 2026-Q4")
    exp.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    exp.add_argument("--cycle", help="cycle name (default: the latest cycle)")
    exp.add_argument("--workspace", help=WORKSPACE_HELP)
    token = _command(sub, "token", "API tokens for pushing KR values (POST /api/v1/key-results/KR-7/values)",
                     "okrbot token create ci-activation", "okrbot token list", "okrbot token revoke ci-activation")
    token_sub = token.add_subparsers(dest="token_action", required=True)
    create = _command(token_sub, "create", "make a token and print it once, as the last line",
                      "okrbot token create ci-activation")
    create.add_argument("name")
    create.add_argument("--workspace", help=WORKSPACE_HELP)
    listing = _command(token_sub, "list", "names, creation and last use (never the tokens)", "okrbot token list")
    listing.add_argument("--workspace", help=WORKSPACE_HELP)
    revoke = _command(token_sub, "revoke", "delete a token: requests with it get 401 from now on",
                      "okrbot token revoke ci-activation")
    revoke.add_argument("name")
    revoke.add_argument("--workspace", help=WORKSPACE_HELP)
    doctor = _command(sub, "doctor", "check that okrbot can work: token, scopes, signing secret, public URL or "
                      "Socket Mode, database, digest channels", "okrbot doctor",
                      "okrbot doctor --url https://okrbot.example.com",
                      more=" One line each, ✓ or what to fix; exits 1 when anything needs fixing. Changes nothing.")
    doctor.add_argument("--url", help="okrbot's public URL, as in manifest.yaml, to check Slack can reach it")
    prompt = _command(sub, "prompt", "send someone their weekly check-in prompt now",
                      "okrbot prompt --me U0123ABCD",
                      more=" Someone who owns no key result gets a preview of the prompt. Find your member ID in "
                           "Slack: your profile, ⋮, Copy member ID.")
    prompt.add_argument("--me", required=True, metavar="USER_ID", type=parse_user,
                        help="the Slack member ID to send it to (U…), or <@U…>")
    prompt.add_argument("--workspace", help=WORKSPACE_HELP)
    prompt.add_argument("--now", type=parse_instant, help="as if it were this instant (default: now)")
    _command(sub, "workspaces", "list the workspaces okrbot is installed in (multi-workspace mode)",
             "okrbot workspaces")
    demo = _command(sub, "demo", "simulate a quarter against a fake Slack and print what everyone sees",
                    "okrbot demo", "okrbot demo --weeks 4", more=" Needs no Slack workspace, settings or database.")
    demo.add_argument("--weeks", type=int, help="stop after this many weeks (default: the whole quarter)")
    source = _command(sub, "source", "KR sources: read them now", "okrbot source test KR-7",
                      "okrbot source test okrs.yaml")
    source_sub = source.add_subparsers(dest="source_action", required=True)
    source_test = _command(source_sub, "test", "read a KR's source (or every source in an OKR file) now and print "
                           "each value or why it failed", "okrbot source test KR-7", "okrbot source test okrs.yaml",
                           more=" Exits 1 when any source failed. A file needs no database.")
    source_test.add_argument("target", metavar="REF_OR_FILE", help="KR-7 (or the KR's id), or an OKR file")
    source_test.add_argument("--workspace", help=WORKSPACE_HELP)
    db = _command(sub, "db", "database maintenance: apply the migrations", "okrbot db upgrade")
    db.add_argument("action", choices=("upgrade",))
    return parser


def parse_user(text: str) -> str:
    """A Slack member ID as typed: U0123ABCD, @U0123ABCD or <@U0123ABCD>."""
    found = re.fullmatch(r"<?@?([UW][A-Z0-9]{2,})(\|[^>]*)?>?", text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Slack member ID like U0123ABCD (in Slack: your profile, "
                                         "⋮, Copy member ID)")
    return found.group(1)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Library debug logs can echo request bodies; keep them quiet.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "apscheduler", "alembic", "uvicorn", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(message: str, code: int = 1) -> int:
    print(f"okrbot: {message}", file=sys.stderr)
    return code


def _engine(settings: Settings):
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def main(argv: Sequence[str] | None, *, serve: Callable[[Settings], int],
         demo: Callable[[int | None], int] | None = None, env=None) -> int:
    """Run one okrbot command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    if command == "demo" and demo is not None:
        # The demo brings its own fake Slack and throwaway database: no settings, no workspace needed.
        return demo(args.weeks)
    if command == "lint":
        # Linting reads only the file: no settings and no database, so it runs anywhere (CI, an editor hook).
        return _lint(args.file, args.format)
    if command == "source" and looks_like_file(args.target):
        # Like lint: the file says where each number lives, so no settings and no database are needed.
        return _source_file(args.target, os.environ if env is None else env)
    _configure_logging()
    try:
        settings = load_settings(env)
        if command == "serve":
            return serve(settings)
        if command == "db":
            _engine(settings)
            print("Database is up to date.")
            return 0
        if command == "tick":
            return _tick(settings, now=args.now or datetime.now(UTC), only=args.workspace)
        if command == "workspaces":
            return _workspaces(settings)
        if command == "import":
            return _import(settings, args.file, _workspace(settings, args.workspace))
        if command == "export":
            return _export(settings, args.format, args.cycle, _workspace(settings, args.workspace))
        if command == "token":
            return _token(settings, args, _workspace(settings, args.workspace))
        if command == "doctor":
            return _doctor(settings, args.url)
        if command == "source":
            return _source_ref(settings, args.target, _workspace(settings, args.workspace),
                               os.environ if env is None else env)
        if command == "prompt":
            return _prompt(settings, args.me, _workspace(settings, args.workspace),
                           now=args.now or datetime.now(UTC))
    except SettingsError as exc:
        return _fail(str(exc), 2)
    except DatabaseError as exc:
        return _fail(str(exc))
    return _fail(f"unknown command {command!r}", 2)


def _workspace(settings: Settings, given: str | None) -> str:
    """The workspace a CLI command works on: named with --workspace when okrbot serves many."""
    if settings.multi_workspace:
        if not given or not given.strip():
            raise SettingsError("SLACK_CLIENT_ID is set, so okrbot serves many workspaces: say which one with "
                                "--workspace T0123ABCD (`okrbot workspaces` lists them).")
        return given.strip()
    if given and given.strip():
        raise SettingsError("--workspace is for multi-workspace mode (SLACK_CLIENT_ID); with SLACK_BOT_TOKEN okrbot "
                            "serves one workspace, so leave it out.")
    return SINGLE_WORKSPACE


def _tick(settings: Settings, *, now: datetime, only: str | None) -> int:
    if not settings.multi_workspace:
        # One token for the whole tick: if Slack refuses it, or cannot be reached, say so once instead of per message.
        check_slack(make_client(settings.require_bot_token(), settings.api_url), settings.api_url)
    engine = _engine(settings)
    results = tick_all(settings, engine, now=now, only=only)
    if only and not results:
        logger.info("tick at %s: workspace %s is not installed, or it stopped okrbot", now.isoformat(), only)
    for workspace, jobs in results.items():
        failed = [name for name, result in jobs.items() if result is None]
        logger.info("tick at %s done%s%s", now.isoformat(), f" for {workspace}" if workspace else "",
                    f"; failed jobs: {', '.join(failed)}" if failed else "")
    return 0


def _workspaces(settings: Settings) -> int:
    if not settings.multi_workspace:
        print("okrbot serves one workspace with SLACK_BOT_TOKEN; set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to be "
              "installed by many.")
        return 0
    installed = served(settings, _engine(settings))
    for target in installed:
        print(f"{target.workspace}\t{target.name}")
    if not installed:
        print("No workspace has installed okrbot yet: open /slack/install on the running bot.", file=sys.stderr)
    return 0


def _import(settings: Settings, path: str, workspace: str) -> int:
    try:
        okr_set = load_okr_file(path)
    except OkrFileError as exc:
        return _fail(f"{path} was not imported; nothing changed.\n{exc}")
    engine = _engine(settings)
    try:
        with session_scope(engine, workspace) as session:
            summary = apply_okr_set(okr_set, session=session)
    except OkrFileError as exc:
        return _fail(f"{path} was not imported; nothing changed.\n{exc}")
    print(f"Imported {path}: {summary}")
    _coach_warnings(okr_set, path)
    return 0


def _coach_warnings(okr_set, path: str) -> None:
    # After the import, never before: the coach's notes are advice and must not stop a file that is valid.
    findings = lint_okr_set(okr_set)
    if findings:
        print(format_warnings(findings, source=path), file=sys.stderr)


def _lint(path: str, fmt: str) -> int:
    try:
        findings = lint_file(path)
    except OkrFileError as exc:
        return _fail(f"{path} could not be linted.\n{exc}")
    # Notes are advice and exit 0; a file import would refuse exits 1, so CI fails exactly when import would.
    print(format_json(findings) if fmt == "json" else format_plain(findings, source=path))
    return 1 if errors(findings) else 0


def _export(settings: Settings, fmt: str, cycle: str | None, workspace: str) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine, workspace) as session:
            text = (export_csv if fmt == "csv" else export_yaml)(session=session, cycle_name=cycle)
    except CycleNotFound as exc:
        return _fail(str(exc))
    sys.stdout.write(text)
    return 0


_TOKEN_NAME_CHARS = 80


def _token(settings: Settings, args, workspace: str) -> int:
    engine = _engine(settings)
    now = datetime.now(UTC)
    if args.token_action == "list":
        with session_scope(engine, workspace) as session:
            tokens = list_tokens(session=session)
        for row in tokens:
            used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never used"
            print(f"{row.name}\tcreated {row.created_at.isoformat(timespec='seconds')}\t{used}")
        if not tokens:
            print("No API tokens yet: `okrbot token create NAME` makes one.", file=sys.stderr)
        return 0
    name = args.name.strip()
    if not name or len(name) > _TOKEN_NAME_CHARS or not name.isprintable():
        return _fail(f"a token name is 1 to {_TOKEN_NAME_CHARS} printable characters, like ci-activation", 2)
    if args.token_action == "revoke":
        with session_scope(engine, workspace) as session:
            found = revoke_token(name, session=session)
        if not found:
            return _fail(f"there is no token named {name!r}; `okrbot token list` shows them")
        print(f"Revoked {name}: requests with it are refused from now on.")
        return 0
    try:
        with session_scope(engine, workspace) as session:
            token = create_token(name, session=session, now=now)
    except TokenNameTaken as exc:
        return _fail(str(exc))
    print(f"Created API token {name}. It is shown this once; okrbot keeps only its hash:")
    print(token)
    return 0


def _doctor(settings: Settings, url: str | None) -> int:
    checks = diagnose(settings, public_url=url)
    for check in checks:
        print(check.line())
    if failed(checks):
        print("okrbot is not ready: fix the ✗ lines above, then run `okrbot doctor` again.")
        return 1
    print("okrbot is ready.")
    return 0


def _prompt(settings: Settings, user_id: str, workspace: str, *, now: datetime) -> int:
    if settings.multi_workspace:
        installed = {t.workspace: t.token for t in served(settings, _engine(settings))}
        if workspace not in installed:
            return _fail(f"workspace {workspace} has not installed okrbot (`okrbot workspaces` lists them).")
        token = installed[workspace]
    else:
        token = settings.require_bot_token()
    client = make_client(token, settings.api_url)
    check_slack(client, settings.api_url)
    engine = _engine(settings)
    try:
        with session_scope(engine, workspace) as session:
            done = send_prompt_now(user_id, now=now, session=session, client=client)
    except SlackApiError as exc:
        return _fail(f"Slack refused the DM to {user_id} ({exc.response.get('error')}): check the member ID.")
    if not done.ok:
        return _fail(done.says[:1].upper() + done.says[1:] + ".")
    print(done.says[:1].upper() + done.says[1:] + ".")
    return 0


def _source_file(path: str, environ) -> int:
    try:
        pending = file_sources(path)
    except OkrFileError as exc:
        return _fail(f"{path} cannot be read; import would refuse it.\n{exc}")
    if not pending:
        print(f"No key result in {path} has a source (`source:` on a key result).", file=sys.stderr)
        return 0
    text, code = report(read_now(pending, environ=environ))
    print(text)
    return code


def _source_ref(settings: Settings, ref: str, workspace: str, environ) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine, workspace) as session:
            pending = ref_source(ref.strip(), session=session, now=datetime.now(UTC))
    except NoSuchKR:
        return _fail(f"there is no live key result {ref!r}: use its reference (KR-7, shown by /okr status and "
                     "`okrbot export`) or the id from the OKR file")
    except (AmbiguousRef, NoSource) as exc:
        return _fail(str(exc))
    # Read after the session is closed: no transaction stays open while a source takes its time.
    text, code = report(read_now([pending], environ=environ))
    print(text)
    return code
