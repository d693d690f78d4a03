"""The app factory: settings in, a wired Bolt AsyncApp out. Nothing here runs at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.installation import NOT_INSTALLED, Identity, Installation, RefuseOtherWorkspaces
from bot.installations.clients import SingleWorkspaceClients, TeamClients
from bot.installations.oauth import InstalledWorkspaces, build_oauth_flow, installed_workspaces
from bot.locks import KeyedLocks
from bot.metrics import Metrics
from bot.slack import MeasuredClients, create_web_client, measure_calls
from bot.tasks import Rerun, TaskSet
from bot.text_clean import clean_strings, json_is_storable
from bot.timeline.writer import CaptureWriter
from bot.trackers.adapters import build_trackers
from bot.trackers.http import tracker_client
from bot.trackers.runs import drain_outbox
from bot.trackers.shapes import Tracker, TrackerKind
from bot.users import Rosters
from handlers.events import BotFinder, DirectCapture
from models import utcnow

Clock = Callable[[], datetime]
PublishLocks = KeyedLocks[tuple[str, int]]  # (team_id, incident_id)
Kick = Callable[[], "asyncio.Task[None] | None"]  # the outbox drained now; its task, if any

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    """Everything one serving process owns, built once and closed once."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    app: AsyncApp
    scheduler: AsyncIOScheduler
    capture: CaptureWriter
    clients: TeamClients  # each team's Web API client, for jobs and work outside requests
    clock: Clock = field(default=utcnow)  # "now" for reminders and buttons; tests set their own
    metrics: Metrics = field(default_factory=Metrics)  # this process's /metrics (bot/metrics.py)
    installed: InstalledWorkspaces | None = None  # many workspaces' stores (None: one token)
    # Message events over HTTP, answered before Bolt's dispatch (handlers/events.py).
    direct_capture: DirectCapture | None = None
    running_jobs: TaskSet = field(default_factory=TaskSet)  # scheduled runs, see bot.jobs.tracked
    # Work started after an ack: reviewed channels being read, similar incidents, stats posts.
    backfills: TaskSet = field(default_factory=TaskSet)
    publish_locks: PublishLocks = field(default_factory=KeyedLocks)  # one press per incident
    rosters: Rosters = field(default_factory=Rosters)  # users.list fills, one per team
    # The configured tracker (GitHub or Jira; none when neither is), on the one httpx client.
    trackers: Mapping[TrackerKind, Tracker] = field(default_factory=dict)
    tracker_client: httpx.AsyncClient | None = None
    tracker_kick: Rerun | None = None  # the outbox drained right after a press

    def kick_trackers(self) -> asyncio.Task[None] | None:
        """Drain the tracker outbox now (a press just wrote an intent), not at the next job:
        the drain's task (None without a tracker), for a caller that shows what it came to."""
        if not self.trackers:
            return None
        if self.tracker_kick is None:
            self.tracker_kick = Rerun(
                self.running_jobs, lambda: drain_outbox(self), name="trackers.kick"
            )
        return self.tracker_kick.request()

    @property
    def client(self) -> AsyncWebClient:
        """The app's own client (one workspace: its token). Jobs ask `clients` for a team's;
        requests get theirs from Bolt."""
        return self.app.client

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # A sweep cut short gives its claims back before the engine goes.
        await self.running_jobs.cancel_all()
        await self.backfills.cancel_all()  # a backfill stopped halfway keeps what it stored
        await self.rosters.tasks.cancel_all()  # so does a roster fill
        await self.capture.stop()  # what was queued is committed before the engine goes
        if self.tracker_client is not None:
            await self.tracker_client.aclose()
        await self.engine.dispose()
        logger.info("stopped: scheduler shut down, database connections closed")


def build_runtime(
    settings: Settings, *, clock: Clock = utcnow, identity: Identity | None = None
) -> Runtime:
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    metrics = Metrics()
    metrics.count_from(sessions, clock)
    capture = CaptureWriter(sessions, metrics=metrics)
    backfills, publish_locks, rosters = TaskSet(), PublishLocks(), Rosters()
    http = tracker_client() if settings.trackers.github or settings.trackers.jira else None
    installed = installed_workspaces(settings, sessions) if settings.multi_workspace else None
    installation = None if installed else one_installation(settings, identity, metrics)
    runtime: Runtime | None = None

    def kick_trackers() -> asyncio.Task[None] | None:  # the handlers' way to the runtime below
        return None if runtime is None else runtime.kick_trackers()

    app = create_app(
        settings,
        sessions,
        capture,
        clock=clock,
        identity=identity,
        backfills=backfills,
        publish_locks=publish_locks,
        rosters=rosters,
        kick_trackers=kick_trackers,
        installed=installed,
        installation=installation,
        metrics=metrics,
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        app=app,
        scheduler=AsyncIOScheduler(timezone="UTC"),
        capture=capture,
        clients=MeasuredClients(installed.clients if installed else one_client(app), metrics),
        metrics=metrics,
        installed=installed,
        direct_capture=direct_capture(settings, installation or installed, capture, clock),
        clock=clock,
        backfills=backfills,
        publish_locks=publish_locks,
        rosters=rosters,
        trackers=build_trackers(settings.trackers, http) if http is not None else {},
        tracker_client=http,
    )
    return runtime


def one_client(app: AsyncApp) -> SingleWorkspaceClients:
    return SingleWorkspaceClients(app.client)  # one workspace: the app's own token


def direct_capture(
    settings: Settings,
    bots: Installation | InstalledWorkspaces | None,
    capture: CaptureWriter,
    clock: Clock,
) -> DirectCapture | None:
    """Message events stored before Bolt's dispatch: over HTTP (Socket Mode has no signature
    to check and goes through Bolt)."""
    if settings.socket_mode or bots is None:
        return None
    finder: BotFinder = bots.authorize if isinstance(bots, InstalledWorkspaces) else bots
    return DirectCapture(
        signing_secret=settings.slack_signing_secret or "",
        bots=finder,
        capture=capture,
        clock=clock,
    )


def one_installation(
    settings: Settings, identity: Identity | None, metrics: Metrics
) -> Installation:
    """One workspace's token and identity: Bolt's authorize, and the direct capture's."""
    client = create_web_client(base_url=settings.slack_api_url, token=settings.slack_bot_token)
    measure_calls(client, metrics)
    return Installation(client, identity)


def create_app(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    capture: CaptureWriter | None = None,
    *,
    clock: Clock = utcnow,
    identity: Identity | None = None,
    backfills: TaskSet | None = None,
    publish_locks: PublishLocks | None = None,
    rosters: Rosters | None = None,
    kick_trackers: Kick | None = None,
    installed: InstalledWorkspaces | None = None,
    installation: Installation | None = None,
    metrics: Metrics | None = None,
) -> AsyncApp:
    """`identity`: what auth.test said at start, if it could be asked (else the first request
    asks). `backfills`, `publish_locks` and `rosters`: the runtime's (made here when there is
    none). `kick_trackers`: drains the tracker outbox after a press (nothing without one).
    `installed`: many workspaces' stores and caches, the runtime's (made here when none).
    `installation`: one workspace's token and identity, the runtime's (made here when none).
    `metrics`: where every Web API call is counted, the runtime's (made here when none)."""
    settings.require_slack()
    writer = capture or CaptureWriter(sessions)
    if settings.multi_workspace:
        installed = installed or installed_workspaces(settings, sessions)
        app = many_workspaces_app(settings, installed)
    else:
        app = one_workspace_app(settings, identity, installation)
    metrics = metrics or writer.metrics
    measure_calls(app.client, metrics)
    app.use(CleanText())  # before any listener reads the body, after the signature check
    app.use(
        Provide(
            sessions=sessions,
            settings=settings,
            capture=writer,
            clock=clock,
            backfills=TaskSet() if backfills is None else backfills,
            publish_locks=PublishLocks() if publish_locks is None else publish_locks,
            rosters=Rosters() if rosters is None else rosters,
            kick_trackers=kick_trackers or (lambda: None),
            installed=installed,
            metrics=metrics,
        )
    )
    handlers.register(app)
    return app


def one_workspace_app(
    settings: Settings, identity: Identity | None, installation: Installation | None
) -> AsyncApp:
    """SLACK_BOT_TOKEN: the token's own workspace; a request from any other is refused."""
    client = create_web_client(base_url=settings.slack_api_url)
    installation = installation or Installation(client, identity)
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret or "",
        client=client,
        authorize=installation,
        # Socket Mode is authenticated by the app token; there is no signature to check.
        request_verification_enabled=not settings.socket_mode,
    )
    # The token is set after: next to `authorize`, Bolt would warn that it ignores it.
    # (Jobs outside requests use app.client; requests get the token from `authorize`.)
    client.token = settings.slack_bot_token
    app.use(RefuseOtherWorkspaces(installation))  # first: a foreign request touches nothing
    return app


def many_workspaces_app(settings: Settings, installed: InstalledWorkspaces) -> AsyncApp:
    """SLACK_CLIENT_ID/SECRET: Slack's OAuth install on /slack/install, each request answered
    with its own team's token; a team with no live installation gets no call at all."""
    client = create_web_client(base_url=settings.slack_api_url)  # no token: each team's own
    return AsyncApp(
        signing_secret=settings.slack_signing_secret or "",
        client=client,
        authorize=installed.authorize,
        installation_store=installed.store,
        oauth_flow=build_oauth_flow(settings, installed.store, installed.state_store, client),
        user_facing_authorize_error_message=NOT_INSTALLED,
        request_verification_enabled=not settings.socket_mode,
    )


class Provide(AsyncMiddleware):
    """Puts the runtime's parts in every listener's context: context["sessions"], ["settings"],
    ["capture"], ["clock"], ["backfills"], ["publish_locks"], ["rosters"], ["kick_trackers"],
    ["installed"] (many workspaces' stores; None with one bot token). A middleware class, not a
    function, so Bolt builds no kwargs for it on every request (it runs on each of them, and
    message capture is the hot path)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        capture: CaptureWriter,
        clock: Clock,
        backfills: TaskSet,
        publish_locks: PublishLocks,
        rosters: Rosters,
        kick_trackers: Kick,
        installed: InstalledWorkspaces | None,
        metrics: Metrics,
    ) -> None:
        self.metrics = metrics
        self.parts = {
            "sessions": sessions,
            "settings": settings,
            "capture": capture,
            "clock": clock,
            "backfills": backfills,
            "publish_locks": publish_locks,
            "rosters": rosters,
            "kick_trackers": kick_trackers,
            "installed": installed,
        }

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        req.context.update(self.parts)
        measure_calls(req.context.client, self.metrics)  # Bolt's per-request copy counts too
        return await next()


class CleanText(AsyncMiddleware):
    """Every string in the request body made storable (bot/text_clean.py), in place, so a NUL
    typed into a message, a title or a command never reaches a database. A JSON body (every
    event) whose raw text cannot hold such a character is left as it is, unwalked."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if not json_is_storable(req.raw_body):  # Socket Mode has no raw body: always cleaned
            clean_strings(req.body)
        return await next()
