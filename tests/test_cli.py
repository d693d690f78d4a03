"""The `hindsight` command as a person runs it: real processes, real ports, a fresh SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fakeslack import FakeSlack

HINDSIGHT = [sys.executable, "-m", "bot"]


def base_env() -> dict[str, str]:
    """Only what a process needs to start; no SLACK_* from the machine."""
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT")
    return {name: os.environ[name] for name in keep if name in os.environ}


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parents[1]
    env = env | {"PYTHONPATH": str(repo)}
    return subprocess.run(
        [*HINDSIGHT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_without_environment_exits_2_naming_the_token(tmp_path: Path) -> None:
    result = run(["serve"], base_env(), tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "hindsight.db").exists()  # nothing was created on the way out


def test_serve_without_signing_secret_names_it(tmp_path: Path) -> None:
    result = run(["serve"], base_env() | {"SLACK_BOT_TOKEN": BOT_TOKEN}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": "mysql://x@y/z"}
    result = run(["migrate"], env, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DATABASE_URL" in result.stderr


def test_serve_answers_healthz_on_a_fresh_sqlite_file_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    repo = Path(__file__).resolve().parents[1]
    port = free_port()
    env = base_env() | {
        "PYTHONPATH": str(repo),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    process = subprocess.Popen(
        [*HINDSIGHT, "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = time.monotonic()
        response = None
        while time.monotonic() - started < 10:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert response is not None, "no answer on /healthz within 10 s"
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        assert (tmp_path / "hindsight.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "scheduler shut down, database connections closed" in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    assert run(["migrate"], env, tmp_path).returncode == 0
    second = run(["migrate"], env, tmp_path)
    assert second.returncode == 0, second.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "m.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"incidents", "timeline_events", "action_items", "alembic_version"} <= tables


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["export", "--help"], "--format {markdown,json}"),
    ],
)
def test_batch_commands_exist_and_say_there_is_nothing_to_do(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = run(args, base_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert says in result.stdout


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["frobnicate"], base_env(), tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_console_script_is_installed_beside_python() -> None:
    script = Path(sys.executable).parent / "hindsight"
    assert script.exists(), "pip install did not create the hindsight console script"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for command in ("serve", "migrate", "remind", "export", "wording"):
        assert command in result.stdout
