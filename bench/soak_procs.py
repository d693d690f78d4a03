"""The soak's processes: `hindsight serve` (started, killed with SIGKILL, restarted, its RSS
sampled), a throwaway PostgreSQL cluster of its own (never the machine's main one), and a
SQLite lock held from outside to play a database another process has locked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def rss_mib(pid: int) -> float | None:
    """Resident set size of a live process, in MiB (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


@dataclass
class Incarnation:
    """One run of the server process: from its start to its kill (or the soak's end)."""

    number: int
    pid: int
    started: float  # soak seconds
    healthy: float | None = None
    ended: float | None = None
    end: str = "running"  # "killed -9", "stopped", "exited N"
    samples: list[tuple[float, float]] = field(default_factory=list)  # (age s, RSS MiB)

    def rss_at_age(self, age: float) -> float | None:
        """The first sample at or after `age` seconds of life."""
        return next((rss for at, rss in self.samples if at >= age), None)

    @property
    def last_rss(self) -> float | None:
        return self.samples[-1][1] if self.samples else None

    @property
    def age(self) -> float:
        return self.samples[-1][0] if self.samples else 0.0


class BotProcess:
    """`hindsight serve` as a subprocess on a fixed port, restartable."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path, clock: SoakClock) -> None:
        self.env = env
        self.port = port
        self.log_path = log_path
        self.clock = clock
        self.process: subprocess.Popen[bytes] | None = None
        self.incarnations: list[Incarnation] = []

    @property
    def current(self) -> Incarnation | None:
        return self.incarnations[-1] if self.incarnations else None

    def start(self) -> Incarnation:
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        life = Incarnation(len(self.incarnations) + 1, self.process.pid, self.clock())
        self.incarnations.append(life)
        return life

    async def wait_healthy(self, timeout: float = 90.0) -> bool:  # noqa: ASYNC109
        """Until /healthz answers 200; False if the process exits or time runs out first."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    return False
                try:
                    if (await client.get(url)).status_code == 200:
                        if self.current is not None:
                            self.current.healthy = self.clock()
                            self.sample()  # its RSS at start: up, before any load
                        return True
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        return False

    def exited(self) -> int | None:
        """The exit code if the process ended by itself (not killed by us)."""
        if self.process is None:
            return None
        return self.process.poll()

    def sample(self) -> None:
        life = self.current
        if life is None or self.process is None or life.ended is not None or not life.healthy:
            return
        rss = rss_mib(self.process.pid)
        if rss is not None:
            life.samples.append((self.clock() - life.started, rss))

    def kill9(self) -> None:
        if self.process is None:
            return
        self.sample()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._ended("killed -9")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.sample()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
            self._ended("stopped")
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self._ended("killed after SIGTERM timed out")

    def note_exit(self, code: int) -> None:
        self._ended(f"exited {code}")

    def _ended(self, how: str) -> None:
        life = self.current
        if life is not None and life.ended is None:
            life.ended, life.end = self.clock(), how


class SoakClock:
    """Seconds since the soak began."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.began


class PostgresCluster:
    """A throwaway cluster in a temp directory, run as the postgres user on its own port and
    socket directory: restarting it touches nobody else's database."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.log = directory / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        done = subprocess.run([*prefix, *command], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip() or done.stdout}")

    def _pg_ctl(self, *arguments: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-o", options, *arguments,
        )  # fmt: skip

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """A fast restart: every connection is cut, the server is back a second later."""
        self._pg_ctl("-m", "fast", "restart")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def hold_sqlite_lock(path: Path, seconds: float) -> None:
    """Another process's write transaction on the SQLite file for `seconds` (run it in a
    thread): the bot's writers wait on it (busy timeout) and give up when it lasts longer."""
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()
