"""The app factory: settings in, a wired Bolt AsyncApp out. Nothing here runs at import."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.slack import create_web_client

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    """Everything one serving process owns, built once and closed once."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    app: AsyncApp
    scheduler: AsyncIOScheduler

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.engine.dispose()
        logger.info("stopped: scheduler shut down, database connections closed")


def build_runtime(settings: Settings) -> Runtime:
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        app=create_app(settings, sessions),
        scheduler=AsyncIOScheduler(timezone="UTC"),
    )


def create_app(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> AsyncApp:
    settings.require_slack()
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret or "",
        client=create_web_client(base_url=settings.slack_api_url, token=settings.slack_bot_token),
        # Socket Mode is authenticated by the app token; there is no signature to check.
        request_verification_enabled=not settings.socket_mode,
    )

    async def provide(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["sessions"] = sessions
        context["settings"] = settings
        await next()

    app.use(provide)
    handlers.register(app)
    return app
