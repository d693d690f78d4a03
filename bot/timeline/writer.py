"""Group commit for captured messages: durable before the ack, without a commit per request.

Each request puts its change on a queue and awaits a future. One writer task takes everything
queued, applies it in one transaction, commits, and resolves the futures; if that batch fails,
its changes are applied one by one, so a bad change fails only its own request (which answers
Slack with a 5xx, and Slack delivers it again). Every write is idempotent (ON CONFLICT on
team, channel and ts), so retries, duplicates and backfill overlap are stored once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import is_busy
from bot.incidents.lifecycle import find_by_channel
from bot.logs import INCIDENT
from bot.metrics import Metrics
from bot.timeline.messages import DeleteMessage, EditMessage, MessageChange, StoreMessage
from bot.timeline.store import (
    BatchStore,
    Operation,
    batch_operations,
    incident_channels,
    rehearsal,
)

logger = logging.getLogger(__name__)

MAX_BATCH = 1000
# How long a request waits for its change to be committed. Slack gives up at 3 s; past this the
# request answers 500 and Slack delivers the event again (the change may still be committed in
# the meantime: every write is idempotent, so the retry stores nothing twice).
COMMIT_WAIT_SECONDS = 2.0
WARM_SECONDS = 10.0  # at most this long at start (a database locked by another process)


@dataclass(slots=True)
class _Pending:
    incident_id: int
    change: MessageChange
    done: asyncio.Future[None]


class CaptureWriter:
    """Owns the one task that writes captured messages; `record` returns once it is committed."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = MAX_BATCH,
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.metrics = metrics or Metrics()
        # Counter children looked up once: every captured change passes here.
        self._captured = {
            StoreMessage: self.metrics.captured["message"],
            EditMessage: self.metrics.captured["edit"],
            DeleteMessage: self.metrics.captured["delete"],
        }
        self.metrics.watch_capture_queue(self.queued)
        self.engine: AsyncEngine = sessions.kw["bind"]
        self.max_batch = max_batch
        self.commit_wait = COMMIT_WAIT_SECONDS
        self._store: BatchStore | None = None  # opened by warm() or the first batch
        # channel → incident never changes once declared; a miss always asks the database,
        # since another replica may have declared it a moment ago.
        self._incidents: dict[tuple[str, str], int] = {}
        self._lookups: dict[tuple[str, str], asyncio.Task[int | None]] = {}  # misses in flight
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.batches = 0  # transactions committed (figures for the benchmark and tests)

    # ---- life ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the writer task (in the running loop); idempotent."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="capture")

    async def stop(self) -> None:
        """Write what is queued, then end the task and give its connection back."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._queue.put_nowait(None)
            await self._task
        self._task = None
        store, self._store = self._store, None
        if store is not None:
            await store.close()

    def queued(self) -> int:
        """Changes waiting for the writer task (a gauge on /metrics)."""
        return self._queue.qsize()

    # ---- requests ------------------------------------------------------------------------
    async def incident_for(self, *, team_id: str, channel_id: str) -> int | None:
        """The id of the channel's incident, or None if it is not an incident channel."""
        key = (team_id, channel_id)
        incident_id = self._incidents.get(key)
        if incident_id is None:
            incident_id = await self._look_up(key)
            if incident_id is None:
                return None
        INCIDENT.set(incident_id)  # the request's log lines name it
        return incident_id

    async def _look_up(self, key: tuple[str, str]) -> int | None:
        """Ask the database; requests that miss on one channel at once share one query (after
        a start, every request in flight misses together)."""
        lookup = self._lookups.get(key)
        if lookup is None:
            lookup = asyncio.get_running_loop().create_task(self._query_incident(key))
            self._lookups[key] = lookup
            lookup.add_done_callback(lambda task: self._looked_up(key, task))
        return await asyncio.shield(lookup)  # a request that gives up leaves it to the others

    async def _query_incident(self, key: tuple[str, str]) -> int | None:
        team_id, channel_id = key
        async with self.sessions() as session:
            incident = await find_by_channel(
                session=session, team_id=team_id, channel_id=channel_id
            )
        if incident is None:
            return None
        self._incidents[key] = incident.id
        return incident.id

    def _looked_up(self, key: tuple[str, str], task: asyncio.Task[int | None]) -> None:
        if self._lookups.get(key) is task:
            del self._lookups[key]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have given up

    async def warm(self) -> None:
        """Make ready before the first request (the server calls this before /healthz answers):
        the channels of every incident cached, a miss's query and each statement a batch runs
        compiled, on the connection the writer holds, in a transaction rolled back (nothing is
        stored). Without it the first events after a start waited on all of that at once. A
        failure is only logged: health reports a database that cannot take writes."""
        try:
            async with asyncio.timeout(WARM_SECONDS):
                async with self.sessions() as session:
                    self._incidents.update(await incident_channels(session))
                await self.incident_for(team_id="", channel_id="")  # a miss, compiled
                await self._held().rehearse(self._rehearsal())  # opens the held connection
        except Exception as error:
            logger.warning(
                "capture: warming up failed (%r); the first events will be slower", error
            )

    def _rehearsal(self) -> list[Operation]:
        """A batch of each kind of change for a known incident channel (none without one:
        nothing can be captured before an incident is declared)."""
        first = next(iter(self._incidents.items()), None)
        if first is None:
            return []
        (team_id, channel_id), incident_id = first
        changes = rehearsal(team_id=team_id, channel_id=channel_id)
        return batch_operations(self.engine.dialect.name, [(incident_id, c) for c in changes])

    async def record(self, change: MessageChange) -> bool:
        """Commit the change if its channel is an incident's; False when it is not."""
        team_id, channel_id = _where(change)
        incident_id = await self.incident_for(team_id=team_id, channel_id=channel_id)
        if incident_id is None:
            return False
        await self.submit(incident_id, change)
        return True

    async def submit(self, incident_id: int, change: MessageChange) -> None:
        """Queue the change for the incident and wait until it is committed (or failed); a
        TimeoutError after `commit_wait` seconds (a locked database)."""
        if self._stopping:
            raise RuntimeError("the capture writer is shutting down")
        self.start()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put_nowait(_Pending(incident_id, change, done))
        # A bare timer rather than asyncio.timeout(): this runs once per captured message.
        timer = loop.call_later(self.commit_wait, _time_out, done)
        try:
            await done
        finally:
            timer.cancel()

    def _held(self) -> BatchStore:
        if self._store is None:
            self._store = BatchStore(self.engine)
        return self._store

    # ---- the writer task -----------------------------------------------------------------
    async def _run(self) -> None:
        stopping = False
        while not (stopping and self._queue.empty()):
            batch: list[_Pending] = []
            item = await self._queue.get()
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                if self._queue.empty() or len(batch) >= self.max_batch:
                    break
                item = self._queue.get_nowait()
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            await self._apply(batch)
        except Exception as error:
            if is_busy(error):  # one by one would only wait for the same lock again
                logger.warning("%d captured changes not stored: database busy", len(batch))
                for pending in batch:
                    self._failed(pending, error, log=False)
                return
            if len(batch) == 1:
                self._failed(batch[0], error)
                return
            logger.warning(
                "a batch of %d changes failed (%r); retrying one by one", len(batch), error
            )
            for pending in batch:
                await self._write([pending])
            return
        for pending in batch:
            _resolve(pending, None)

    def _failed(self, pending: _Pending, error: Exception, *, log: bool = True) -> None:
        if log:
            logger.error("could not store a captured message: %r", error, exc_info=error)
        # Ask the database again next time: the incident may have gone or changed.
        self._incidents.pop(_where(pending.change), None)
        _resolve(pending, error)

    async def _apply(self, batch: list[_Pending]) -> None:
        changes = [(pending.incident_id, pending.change) for pending in batch]
        await self._held().run(batch_operations(self.engine.dialect.name, changes))
        self.batches += 1
        self.metrics.batch_size.observe(len(batch))
        for pending in batch:
            self._captured[type(pending.change)].inc()


def _time_out(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_exception(TimeoutError("the change was not committed in time"))


def _where(change: MessageChange) -> tuple[str, str]:
    if isinstance(change, DeleteMessage):
        return change.team_id, change.channel_id
    return change.message.team_id, change.message.channel_id


def _resolve(pending: _Pending, error: Exception | None) -> None:
    if pending.done.done():  # the request gave up (cancelled); nothing to tell it
        return
    if error is None:
        pending.done.set_result(None)
    else:
        pending.done.set_exception(error)
