"""Database engine and sessions; migrations are run from here too."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations

T = TypeVar("T")

# How long a write waits for SQLite's lock: a request's write must fail inside Slack's 3 s ack
# budget (and be answered "busy" / 500 so Slack retries) rather than make Slack give up.
SQLITE_BUSY_TIMEOUT_MS = 1500
WRITE_CHECK_TIMEOUT_MS = 500  # /healthz: a lock held this long means "cannot take writes now"


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    # hide_parameters: a database error's text (logged with its traceback) would otherwise
    # quote the row's values, i.e. what people wrote.
    engine = create_async_engine(database_url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        _ensure_sqlite_directory(database_url)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def write_problem(engine: AsyncEngine) -> str | None:
    """Why the database cannot take a write now ("locked", "read-only"), or None if it can.
    Raises when it does not answer at all."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return await _sqlite_write_problem(connection)
        row = (
            await connection.execute(
                text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
            )
        ).one()
        return "read-only" if row[0] or row[1] == "on" else None


async def _sqlite_write_problem(connection: AsyncConnection) -> str | None:
    # Take the write lock and give it straight back; a short wait, then the usual one again.
    await connection.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_CHECK_TIMEOUT_MS}")
    try:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        await connection.exec_driver_sql("ROLLBACK")
    except exc.OperationalError as error:
        if is_busy(error):
            return "locked"
        if "readonly" in str(error.orig).lower() or "read-only" in str(error.orig).lower():
            return "read-only"
        raise
    finally:
        await connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return None


def is_busy(error: BaseException) -> bool:
    """A lock held elsewhere kept the database from taking a write in time: not a bug, and the
    same request works once the lock is gone."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    reason = str(error.orig).lower()
    return "database is locked" in reason or "lock timeout" in reason


async def retry_when_busy(attempt: Callable[[], Awaitable[T]], *, tries: int = 3) -> T:
    """Run `attempt` (a whole transaction, safe to repeat) again when the database was busy. On
    SQLite a transaction that read before another connection committed cannot then write: it
    fails at once, without waiting (a roster fill committing while a step is saved, say)."""
    for remaining in reversed(range(tries)):
        try:
            return await attempt()
        except exc.OperationalError as error:
            if remaining == 0 or not is_busy(error):
                raise
    raise AssertionError("tries must be at least 1")


def alembic_config(database_url: str) -> Config:
    """Alembic's config built in code, so an installed wheel can migrate without alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade to `revision`; Alembic's async env.py runs its own loop, so use a thread."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, and much faster per commit
    cursor.close()


def check_sqlite_file(database_url: str) -> None:
    """Open (creating) the SQLite file once with the standard library: OSError or sqlite3.Error
    when it can't be. Done before any aiosqlite connection, whose worker thread would otherwise
    report a failed open on an event loop that has already closed."""
    path = database_url.partition(":///")[2]
    if database_url.startswith("sqlite") and path and path != ":memory:":
        _ensure_sqlite_directory(database_url)
        sqlite3.connect(path).close()


def _ensure_sqlite_directory(database_url: str) -> None:
    path = database_url.partition(":///")[2]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
