"""The `hindsight` command as a person runs it: real processes, real ports, a fresh SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BOT_TOKEN, PG_URL, SIGNING_SECRET
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


# --- first contact: what a new user runs into -------------------------------------------

ATTEMPT = "Socket Mode: Slack did not open a connection"


class Running:
    """`hindsight serve` in a subprocess, its stderr read line by line as it comes."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        repo = Path(__file__).resolve().parents[1]
        self.process = subprocess.Popen(
            [*HINDSIGHT, "serve"],
            env=env | {"PYTHONPATH": str(repo)},
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise AssertionError(f"{count} × {text!r} not seen:\n{''.join(self.lines)}")
            time.sleep(0.05)

    def stop(self, sig: signal.Signals) -> tuple[int, float, str]:
        """Send `sig`; the exit code, the seconds it took to exit, and all of stderr."""
        sent = time.monotonic()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        took = time.monotonic() - sent
        self.reader.join(timeout=5)
        return code, took, "".join(self.lines)


def socket_mode_env(api_url: str) -> dict[str, str]:
    return base_env() | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-A0HINDSIGHT-1-s3cr3t",
        "SLACK_API_URL": api_url,
    }


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_socket_mode_that_cannot_open_a_connection_backs_off_and_stops_on_a_signal(
    tmp_path: Path, fake_slack: FakeSlack, sig: signal.Signals
) -> None:
    fake_slack.fail("apps.connections.open", status=503, times=None)  # Slack is having a bad day
    running = Running(socket_mode_env(fake_slack.base_url), tmp_path)
    running.wait_for(ATTEMPT, count=2)
    code, took, stderr = running.stop(sig)
    assert code == 0, stderr
    assert took < 5, f"took {took:.1f} s to stop"
    attempts = [line for line in stderr.splitlines() if ATTEMPT in line]
    assert "(attempt 1: 503); trying again in 1 s" in attempts[0]
    assert "(attempt 2: 503); trying again in 2 s" in attempts[1]  # backing off
    assert len(fake_slack.calls_to("apps.connections.open")) == len(attempts)  # one line each
    assert "Traceback" not in stderr
    assert "scheduler shut down, database connections closed" in stderr
    assert "s3cr3t" not in stderr


def test_socket_mode_with_slack_unreachable_says_connection_refused(tmp_path: Path) -> None:
    running = Running(socket_mode_env(f"http://127.0.0.1:{free_port()}/api/"), tmp_path)
    running.wait_for(ATTEMPT, count=2)
    code, _, stderr = running.stop(signal.SIGINT)
    assert code == 0, stderr
    assert "(attempt 2: connection refused)" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr


def test_socket_mode_with_a_refused_app_token_exits_2_naming_it(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("apps.connections.open", error="invalid_auth", times=None)
    result = run(["serve"], socket_mode_env(fake_slack.base_url), tmp_path)
    assert result.returncode == 2, result.stderr
    assert "hindsight: SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(fake_slack.calls_to("apps.connections.open")) == 1  # no point asking again


def test_serve_without_environment_names_every_missing_variable(tmp_path: Path) -> None:
    result = run(["serve"], base_env(), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hindsight: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set; required to talk to "
        "Slack (or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET and "
        "TOKEN_ENCRYPTION_KEY to serve many workspaces)"
    )


def test_sqlite_url_without_slashes_gets_the_url_to_write(tmp_path: Path) -> None:
    result = run(["migrate"], base_env() | {"DATABASE_URL": "sqlite:hindsight.db"}, tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "write sqlite:///hindsight.db" in line
    assert not any(tmp_path.iterdir())  # nothing was created


def unusable_database_urls(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(DATABASE_URL, what the line names, the cause it gives) for databases that can't work."""
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "a-directory").mkdir()
    port = free_port()
    return [
        (
            f"postgresql://hs:pa55word@127.0.0.1:{port}/hs",
            f"postgresql+asyncpg://hs:***@127.0.0.1:{port}/hs",
            "connection refused",
        ),
        (
            f"sqlite:///{tmp_path / 'a-file' / 'hindsight.db'}",
            f"the SQLite file {tmp_path / 'a-file' / 'hindsight.db'}",
            f"{tmp_path / 'a-file'} is a file, not a folder",
        ),
        (
            f"sqlite:///{tmp_path / 'a-directory'}",
            f"the SQLite file {tmp_path / 'a-directory'}",
            "unable to open database file",
        ),
    ]


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path, command: str
) -> None:
    env = base_env() | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    for url, named, cause in unusable_database_urls(tmp_path):
        result = run([command], env | {"DATABASE_URL": url}, tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith("hindsight:")]
        assert line == f"hindsight: cannot use the database ({named}): {cause}"
        assert "pa55word" not in result.stderr


@pytest.mark.postgresql
def test_a_missing_postgresql_database_is_named(tmp_path: Path) -> None:
    missing = make_url(PG_URL).set(database="hindsight_no_such_database", password="pa55word")
    url = missing.render_as_string(hide_password=False)
    result = run(["migrate"], base_env() | {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().endswith(
        '/hindsight_no_such_database): database "hindsight_no_such_database" does not exist'
    )
    assert "Traceback" not in result.stderr and "pa55word" not in result.stderr


def test_wording_piped_into_head_stops_quietly(tmp_path: Path) -> None:
    text = tmp_path / "postmortem.txt"
    text.write_text("Bob broke the deploy because he was careless.\n" * 20_000)
    repo = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [*HINDSIGHT, "wording", str(text)],
        env=base_env() | {"PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # `| head -1`: one line read, then the pipe is closed
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=30) == 0
    assert first.startswith('{"line": 1, "findings": [')
    assert stderr == ""


def test_help_piped_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`hindsight --help | head -1` where head has gone before the help is written: exit 0,
    nothing on stderr (the help's flush used to fail once more at the interpreter's exit)."""
    repo = Path(__file__).resolve().parents[1]
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before anything is written
    try:
        result = subprocess.run(
            [*HINDSIGHT, "--help"],
            env=base_env() | {"PYTHONPATH": str(repo)},
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
    finally:
        os.close(writer)
    assert result.returncode == 0
    assert result.stderr == ""
