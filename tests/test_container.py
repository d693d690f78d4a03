"""The container setup, checked without a registry (none is reachable here, so the image is never
built): the Dockerfile read instruction by instruction (a pinned base, a non-root user, a health
check that runs with what a slim image has, the port, `hindsight serve`, no secret baked in), the
files it copies installed on their own into a scratch virtualenv and run, and compose.yaml (the
bot with PostgreSQL in one command) parsed and checked."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from bot.config import load_settings
from bot.simslack import SignedRequests
from tests.conftest import BOT_TOKEN, ServedBot
from tests.fakeslack import FakeSlack
from tests.fakeslack.socket_mode import APP_TOKEN, FakeSocketMode, SocketModeTransport

ROOT = Path(__file__).resolve().parents[1]
WORKDIR_IN_IMAGE = "/app"
# A release, not a moving tag (python:3.11-slim moves with every patch and Debian release).
PINNED_BASE = re.compile(
    r"^[\w./-]+:(?P<version>\d+\.\d+\.\d+)-slim-(?P<os>[a-z]+)(@sha256:[0-9a-f]{64})?$"
)
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|_KEY|CREDENTIAL", re.IGNORECASE)
SECRET_VALUE = re.compile(r"xox[abposr]-|xapp-|://[^/\s:@]+:[^/\s@$]+@")  # tokens, URL passwords


@pytest.fixture
def backend() -> str:
    """The health check needs a running bot, not a particular database: SQLite only."""
    return "sqlite"


# --- reading the Dockerfile ---------------------------------------------------------------


def instructions(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        found.append((keyword.upper(), arguments.strip()))
    return found


def arguments_of(keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions() if name == keyword]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array command (exec form: no shell, so no shell to lack)."""
    command = json.loads(arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    return command


def key_values(arguments: str) -> dict[str, str]:
    """ENV/ARG `A=1 B=2` (or the old `A 1`) as a dict."""
    if "=" not in arguments.split()[0]:
        name, _, value = arguments.partition(" ")
        return {name: value.strip()}
    pairs = (word.partition("=") for word in shlex.split(arguments))
    return {name: value for name, _, value in pairs}


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in arguments_of("ENV"):
        env |= key_values(arguments)
    return env


def healthcheck_command() -> list[str]:
    [arguments] = arguments_of("HEALTHCHECK")
    options, _, command = arguments.partition("CMD ")
    assert all(option.startswith("--") for option in options.split()), options
    return exec_form(command)


def test_the_base_image_is_a_pinned_release_of_a_python_the_package_supports() -> None:
    [base] = arguments_of("FROM")
    pinned = PINNED_BASE.match(base)
    assert pinned, f"FROM {base}: name a release (python:3.11.13-slim-bookworm), and its digest"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert pinned["version"] in SpecifierSet(requires["requires-python"])


def test_the_image_runs_as_a_user_it_creates_not_root() -> None:
    steps = instructions()
    users = [i for i, (name, _) in enumerate(steps) if name == "USER"]
    assert users, "no USER: the bot would run as root"
    user = steps[users[-1]][1].split(":")[0]
    assert user not in ("root", "0")
    creates = [args for name, args in steps if name == "RUN" and "useradd" in args]
    assert any(re.search(rf"\buseradd\b.*\b{re.escape(user)}\b", args) for args in creates)
    # Nothing runs as root after the switch but the bot (and its health check).
    assert not [name for name, _ in steps[users[-1] :] if name in ("RUN", "USER")][1:]


def test_the_command_is_hindsight_serve_from_the_package_scripts() -> None:
    [command] = arguments_of("CMD")
    assert exec_form(command) == ["hindsight", "serve"]
    assert not arguments_of("ENTRYPOINT")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hindsight"] == "bot.cli:main"


def test_the_port_exposed_is_the_one_the_bot_listens_on() -> None:
    env = image_env()
    exposed = {port for arguments in arguments_of("EXPOSE") for port in arguments.split()}
    settings = load_settings({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y", **env})
    assert settings.host == "0.0.0.0"  # reachable from outside the container
    assert {str(settings.port), env["METRICS_PORT"]} <= exposed


def test_no_secret_is_baked_into_the_image() -> None:
    for keyword in ("ENV", "ARG", "LABEL"):
        for arguments in arguments_of(keyword):
            for name, value in key_values(arguments).items():
                assert not SECRET_NAME.search(name), f"{keyword} {name}: a secret in the image"
                assert not SECRET_VALUE.search(value), f"{keyword} {name}={value}"
    for name, arguments in instructions():
        assert not SECRET_VALUE.search(arguments), f"{name} {arguments}"
    copied = {part for arguments in arguments_of("COPY") for part in arguments.split()[:-1]}
    assert "." not in copied and not any(".env" in part for part in copied)  # named files only
    assert {".env", ".git/"} <= set((ROOT / ".dockerignore").read_text().split())


async def test_the_health_check_needs_only_python_and_passes_on_a_healthy_bot(
    served_bot: ServedBot,
) -> None:
    command = healthcheck_command()
    assert command[0] == "python" and not {"curl", "wget"} & set(" ".join(command).split())
    port = served_bot.url.rsplit(":", 1)[1]
    closed = str(free_port())
    venv_python = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    http_mode = {**venv_python, "PORT": port, "METRICS_PORT": closed}
    socket_mode = {**venv_python, "PORT": closed, "METRICS_PORT": port, "SLACK_APP_TOKEN": "xapp-1"}

    assert (await check(command, http_mode)) == 0
    assert (await check(command, socket_mode)) == 0  # Socket Mode: /healthz on METRICS_PORT
    assert (await check(command, http_mode | {"PORT": closed})) != 0  # a bot that is down
    assert (await check(command, socket_mode | {"METRICS_PORT": closed})) != 0


async def check(command: list[str], env: dict[str, str]) -> int:
    """The health check's exit status, run beside the served bot's event loop."""
    return (await asyncio.to_thread(run, command, env)).returncode


# --- the copied files, installed on their own -----------------------------------------------


def ignored_by_docker() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def copy_context_files(destination: Path) -> None:
    """Do the Dockerfile's COPY steps (sources from the repo, .dockerignore honoured) into
    `destination`, standing for the image's WORKDIR."""
    ignore = shutil.ignore_patterns(*ignored_by_docker())
    steps = instructions()
    workdirs = [args for name, args in steps if name == "WORKDIR"]
    assert workdirs[0] == WORKDIR_IN_IMAGE
    for name, arguments in steps:
        if name == "WORKDIR" and arguments != WORKDIR_IN_IMAGE:
            break  # what comes after is the runtime's, not the install's
        if name != "COPY":
            continue
        *sources, target = arguments.split()
        assert not any(s.startswith("--") for s in sources), "COPY --from/--chown: teach me"
        into = destination / target
        for source in sources:
            found = ROOT / source
            if found.is_dir():
                shutil.copytree(found, into, ignore=ignore, dirs_exist_ok=True)
            else:
                into.mkdir(parents=True, exist_ok=True)
                shutil.copy2(found, into / found.name)


def pip_install_steps() -> list[str]:
    runs = [args for name, args in instructions() if name == "RUN" and "pip install" in args]
    assert runs == ["pip install --no-cache-dir ."], runs  # what the scratch install mirrors
    return runs


def test_the_files_the_image_copies_install_a_working_hindsight(tmp_path: Path) -> None:
    pip_install_steps()
    app = tmp_path / "app"
    copy_context_files(app)
    venv = tmp_path / "venv"
    python = make_scratch_venv(venv)
    installed = install(app, python)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    elsewhere = tmp_path / "data"  # the image runs in /data, not beside the sources
    elsewhere.mkdir()
    shutil.rmtree(app)  # nothing may still be read from the copied tree
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    helped = run([str(venv / "bin" / "hindsight"), "--help"], env, cwd=elsewhere)
    assert helped.returncode == 0, helped.stderr
    assert "serve" in helped.stdout and "migrate" in helped.stdout
    imported = run([str(python), "-c", IMPORT_EVERY_MODULE], env, cwd=elsewhere)
    assert imported.returncode == 0, imported.stderr  # every module there, its imports found
    places = set(imported.stdout.split())
    assert len(places) == 1 and places.pop().startswith(str(venv))  # none from the work tree
    database = f"sqlite:///{elsewhere / 'hindsight.db'}"
    migrated = run(
        [str(venv / "bin" / "hindsight"), "migrate"],
        env | {"DATABASE_URL": database},
        cwd=elsewhere,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr  # migrations shipped


# Imports every module of the installed packages (migrations: Alembic runs them, in the
# migrate below); prints the folder each package came from.
IMPORT_EVERY_MODULE = """
import importlib, pathlib, pkgutil
for name in ("bot", "handlers", "models", "migrations"):
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if name != "migrations" and not module.name.endswith("__main__"):  # main runs the CLI
            importlib.import_module(module.name)
    print(pathlib.Path(package.__file__).parent.parent)
"""


def make_scratch_venv(venv: Path) -> Path:
    """A bare venv that sees the project venv's packages (the dependencies: --no-deps below)
    but not the work tree (the editable install's .pth is not processed from a path entry)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site] = list((venv / "lib").glob("python3*/site-packages"))
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "python"


def install(app: Path, python: Path) -> subprocess.CompletedProcess[str]:
    """`pip install .` in `app`, offline when the build backend is at hand (the test extras
    bring hatchling), else with pip's own isolated build (which fetches it)."""
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    pip += ["--ignore-installed", "--quiet", "--disable-pip-version-check"]
    if importlib.util.find_spec("hatchling") is not None:
        pip += ["--no-build-isolation", "--no-index"]
    return run([*pip, str(app)], dict(os.environ), timeout=180)


def run(
    command: list[str], env: dict[str, str], *, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- compose.yaml ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(parsed, dict)
    return parsed


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} against `env`."""

    def one(found: re.Match[str]) -> str:
        name, how, rest = found["name"], found["how"], found["rest"] or ""
        if how == ":?" and not env.get(name):
            raise KeyError(f"{name}: {rest}")
        return env.get(name) or (rest if how == ":-" else "")

    return re.sub(r"\$\{(?P<name>\w+)(?:(?P<how>:[-?])(?P<rest>[^}]*))?\}", one, value)


def test_compose_starts_hindsight_after_a_healthy_postgresql_with_a_named_volume(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    bot, database = services["hindsight"], services["postgres"]
    assert bot["build"] == "." and (ROOT / "Dockerfile").is_file()
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    image = database["image"]
    assert re.match(r"^postgres:\d+\.\d+(-[a-z]+)?(@sha256:[0-9a-f]{64})?$", image), image
    assert "pg_isready" in " ".join(database["healthcheck"]["test"])
    # The bot's check is the image's own, named here so `docker compose ps` shows it.
    assert bot["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    [volume] = database["volumes"]
    name, _, mounted = volume.partition(":")
    assert mounted == "/var/lib/postgresql/data" and name in compose["volumes"]
    assert "3000:3000" in bot["ports"]


def test_compose_passes_slack_settings_from_the_environment_and_holds_no_secret(
    compose: dict[str, Any],
) -> None:
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(name) or name.startswith("SLACK_"):
                assert re.fullmatch(rf"\$\{{{name}(:[-?][^}}]*)?\}}", value), f"{name}: {value}"
            assert not SECRET_VALUE.search(str(value)), f"{name}: {value}"
    environment = compose["services"]["hindsight"]["environment"]
    given = {"POSTGRES_PASSWORD": "pw", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    env = {name: interpolate(str(value), given) for name, value in environment.items()}
    settings = load_settings(env)
    settings.require_slack()  # the settings the bot starts with, accepted
    assert settings.database_url == "postgresql+asyncpg://hindsight:pw@postgres:5432/hindsight"
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):  # no default password
        interpolate(environment["DATABASE_URL"], {})
    database_env = compose["services"]["postgres"]["environment"]
    assert interpolate(database_env["POSTGRES_PASSWORD"], given) == "pw"


# --- the image's command in Socket Mode -----------------------------------------------------


async def test_hindsight_serve_in_socket_mode_answers_over_the_socket_and_is_healthy(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """The image's CMD with its ENV (ports moved to free ones) and an app token: it connects
    through apps.connections.open, acks a command by its envelope_id, the image's health
    check passes on METRICS_PORT, and SIGTERM stops it cleanly."""
    metrics_port = free_port()
    env = image_env() | {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hindsight.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),  # nothing listens there in Socket Mode
        "METRICS_PORT": str(metrics_port),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake_slack.base_url,
    }
    [command] = arguments_of("CMD")
    async with FakeSocketMode(fake_slack) as socket_mode:
        process = await asyncio.create_subprocess_exec(
            *exec_form(command), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
        )
        try:
            await fake_slack.wait_until(
                lambda: socket_mode.connections == 1 or process.returncode is not None,
                timeout=30,
                what="a Socket Mode connection",
            )
            assert process.returncode is None, "hindsight serve stopped (its stderr below)"
            people = SignedRequests(
                "http://socket-mode.invalid/slack/events",
                signing_secret="unused in Socket Mode",
                workspace=fake_slack,
                transport=SocketModeTransport(socket_mode),
            )
            answer = await asyncio.wait_for(people.command("help"), 15)
            assert answer.status_code == 200 and "/postmortem" in answer.json()["text"]
            assert await check(healthcheck_command(), env) == 0
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 20)
            print(stderr.decode())  # shown when the test fails
    said = stderr.decode()
    assert process.returncode == 0, said
    assert socket_mode.unacked() == [] and len(socket_mode.acks) == 1
    assert "Traceback" not in said and APP_TOKEN not in said and BOT_TOKEN not in said
