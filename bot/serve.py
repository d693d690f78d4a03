"""`hindsight serve`: check the token, migrate, build the runtime and serve Slack over HTTP or
Socket Mode until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from bot.app import Runtime
from bot.config import Settings, hide_password
from bot.errors import DatabaseUnavailableError
from bot.installation import Identity

if TYPE_CHECKING:
    from bot.server import OperationsServer

logger = logging.getLogger(__name__)


async def serve(settings: Settings, *, host: str | None, port: int | None) -> None:
    from bot.app import build_runtime
    from bot.server import serve_http

    identity = await check_slack(settings)  # a refused token or key: nothing touched yet
    await migrate(settings)
    runtime = build_runtime(settings, identity=identity)
    if settings.socket_mode:
        await serve_socket_mode(runtime)
        return
    await serve_http(runtime, host=host or settings.host, port=port or settings.port)


async def check_slack(settings: Settings) -> Identity | None:
    """One workspace: its token asked about (auth.test). Many: each team's token is read when
    its requests come; here only TOKEN_ENCRYPTION_KEY is checked (a key that isn't a Fernet key
    stops the start, exit 2)."""
    if not settings.multi_workspace:
        return await check_bot_token(settings)
    from bot.installations.crypto import TokenCipher

    TokenCipher(settings.workspaces.encryption_keys)
    return None


async def check_bot_token(settings: Settings) -> Identity | None:
    """auth.test once at start: a refused token stops here (exit 2), not at the first command."""
    from bot.installation import check_token
    from bot.slack import create_web_client

    client = create_web_client(base_url=settings.slack_api_url, token=settings.slack_bot_token)
    return await check_token(client)


async def serve_socket_mode(runtime: Runtime) -> None:
    """Connect (waiting out a Slack that cannot be reached) and serve until SIGTERM or SIGINT,
    which stop it cleanly at any point, connected or not."""
    from bot.jobs import schedule_jobs
    from bot.socket_mode import SocketModeHandler

    handler = SocketModeHandler(runtime.app, runtime.settings.slack_app_token or "")
    await runtime.capture.warm()  # as over HTTP: before /healthz answers, before any event
    operations = await serve_operations(runtime)  # METRICS_PORT: /metrics and /healthz
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    connecting = asyncio.create_task(handler.connect_async())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connecting.done():
            connecting.result()  # a refused app token ends the start here
            logger.info("connected to Slack in Socket Mode")
            # Jobs start once Slack answers: a start that fails at once leaves no sweep behind.
            schedule_jobs(runtime)
            runtime.scheduler.start()
            await stopping
    finally:
        for task in (connecting, stopping):
            task.cancel()
        await asyncio.gather(connecting, stopping, return_exceptions=True)
        await handler.close_async()
        if operations is not None:
            await operations.stop()
        await runtime.close()


async def serve_operations(runtime: Runtime) -> OperationsServer | None:
    """Socket Mode has no HTTP port of its own: with METRICS_PORT set, /metrics and /healthz
    are served there (on HOST), from before Slack is reached until the runtime closes."""
    from bot.server import OperationsServer

    port = runtime.settings.metrics_port
    if port is None:
        return None
    operations = OperationsServer(runtime, host=runtime.settings.host, port=port)
    await operations.start()
    return operations


async def migrate(settings: Settings) -> None:
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import check_sqlite_file, create_engine, ping
    from bot.db import migrate as upgrade

    try:
        # Connect once in this loop first: a failure inside Alembic's own loop leaves aiosqlite's
        # worker thread printing a traceback after the loop has closed.
        check_sqlite_file(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            await ping(engine)
        finally:
            await engine.dispose()
        await upgrade(settings.database_url)
    except (SQLAlchemyError, OSError, sqlite3.Error) as error:
        raise DatabaseUnavailableError(database_failure(settings.database_url, error)) from None
    logger.info("database is at the newest schema")


def database_failure(url: str, error: BaseException) -> str:
    """`cannot use the database postgresql+asyncpg://hs:***@db/hs: connection refused`, or the
    SQLite file's path and why it cannot be opened."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(cause, TimeoutError):
        reason = "no answer (timed out)"
    elif isinstance(cause, FileExistsError):  # making the file's folder: a file is in the way
        reason = f"{cause.filename} is a file, not a folder"
    elif isinstance(cause, OSError) and cause.strerror:
        reason = cause.strerror + (f": {cause.filename}" if cause.filename else "")
    else:
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    scheme, _, path = url.partition(":///")
    where = f"the SQLite file {path}" if scheme.startswith("sqlite") else hide_password(url)
    return f"cannot use the database ({where}): {reason}"
