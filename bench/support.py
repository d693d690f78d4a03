"""What every benchmark needs first: an empty database at the newest schema."""

from __future__ import annotations

from sqlalchemy import text

from bot.db import create_engine, migrate


async def empty_and_migrate(url: str) -> None:
    """Drop everything in a PostgreSQL database (a SQLite file is expected to be new), then
    migrate it."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await migrate(url)
