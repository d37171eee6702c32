"""A newcomer's first hour: the README's "Run it" and "Test it" commands, run as written on a clean copy.

The copy holds the files git would check out; Slack is the fake Slack, reached through SLACK_API_URL in `.env`.
Installing the dependencies again would take minutes and the network, so the copy's `.venv` reuses this one's
packages (a .pth file) with okrbot itself coming from the copy, and is stamped as installed: what runs is the copy's
Makefile, app and tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from bot.sim.fake_slack import FakeSlack
from bot.sim.demo import CHANNELS, PEOPLE

ROOT = Path(__file__).resolve().parents[1]
ME = "U0123ABCD"  # the member ID the README's prompt step names
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def readme_commands(section: str) -> list[list[str]]:
    """Each ```sh block of a README section, as its command lines (comments dropped)."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", body, re.S)
    return [[line.split("  #")[0].strip() for line in block.splitlines() if line.strip()] for block in blocks]


def clean_copy(into: Path) -> Path:
    """The files of a fresh clone (tracked, and new ones not ignored), symlinks kept."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, target = ROOT / name, into / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the worktree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return into


def reuse_venv(copy: Path) -> None:
    """A .venv for the copy with this venv's packages, okrbot from the copy, and make's stamp of an install."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(copy / ".venv")], check=True)
    (site,) = (copy / ".venv" / "lib").glob("python3*/site-packages")
    # The copy first, so `app` and `bot` are the copy's; this venv's .pth files (its editable okrbot) stay unread.
    (site / "okrbot-copy.pth").write_text(f"{copy}\n{sysconfig.get_paths()['purelib']}\n")
    script = copy / ".venv" / "bin" / "okrbot"
    script.write_text(f"#!{copy / '.venv' / 'bin' / 'python'}\nimport sys\nfrom app import main\nsys.exit(main())\n")
    script.chmod(0o755)
    stamp = copy / ".venv" / ".installed"
    stamp.touch()
    later = (copy / "pyproject.toml").stat().st_mtime + 1
    os.utime(stamp, (later, later))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"make run exited with {server.returncode}: {server.stdout.read()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("make run did not answer /health within a minute")


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        for person in PEOPLE:
            fake.add_user(person.user_id, tz=person.tz, name=person.name.lower())
        fake.add_user(ME, tz="Europe/Paris", name="newcomer")
        for channel_id, name in CHANNELS.items():
            fake.add_channel(channel_id, name=name)
        yield fake


def test_the_readme_run_it_and_test_it_work_as_written(tmp_path, slack):
    copy = clean_copy(tmp_path / "okrbot")
    reuse_venv(copy)
    (start, next_steps), (test,) = readme_commands("Run it"), readme_commands("Test it")
    assert start == ["cp .env.example .env", "make run"], start
    assert next_steps[0] == "source .venv/bin/activate" and next_steps[1:] == [
        "okrbot doctor", "okrbot import examples/okrs.yaml", f"okrbot prompt --me {ME}"], next_steps
    assert test == ["make test"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    subprocess.run(start[0], shell=True, cwd=copy, check=True, env=env)
    # "then fill in SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"; the rest points okrbot at the fake Slack.
    port = free_port()
    dotenv = (copy / ".env").read_text()
    dotenv = dotenv.replace("\nSLACK_BOT_TOKEN=\n", "\nSLACK_BOT_TOKEN=xoxb-newcomer\n").replace(
        "\nSLACK_SIGNING_SECRET=\n", f"\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n")
    (copy / ".env").write_text(dotenv + f"SLACK_API_URL={slack.url}\nPORT={port}\n")

    server = subprocess.Popen(start[1], shell=True, cwd=copy, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait_for_health(port, server)
        steps = subprocess.run(["bash", "-e", "-c", "\n".join(next_steps)], cwd=copy, env=env, capture_output=True,
                               text=True, timeout=120)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert steps.returncode == 0, steps.stdout + steps.stderr
    assert "okrbot is ready." in steps.stdout
    assert "Imported examples/okrs.yaml" in steps.stdout
    assert f"Sent {ME} a preview of the weekly prompt" in steps.stdout
    assert "Traceback" not in steps.stdout + steps.stderr
    (preview,) = slack.dms_to(ME)
    assert "Preview of the weekly check-in prompt" in slack.render(preview["blocks"])

    # `make test`, limited to one small file: the whole suite inside the suite would run it twice.
    tested = subprocess.run(test[0], shell=True, cwd=copy, capture_output=True, text=True, timeout=240,
                            env=dict(env, PYTEST_ADDOPTS="-p no:xdist -q tests/bot/rules/test_text.py"))
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    assert re.search(r"\d+ passed", tested.stdout)
