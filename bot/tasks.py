"""Background tasks that outlive the request that started them, tracked by the runtime so
shutdown (and tests) can wait for them or cancel them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)


class TaskSet:
    """The tasks still running; each is held here (so it isn't garbage-collected mid-way) and
    dropped when done. Their outcome is the starter's to log (a done callback)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @contextlib.contextmanager
    def tracking(self, task: asyncio.Task[Any]) -> Iterator[None]:
        """Hold a task started elsewhere while the block runs (a scheduled job's run, see
        bot.jobs.tracked): the block, not the task, may end first when a job is run directly."""
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    def running(self) -> set[asyncio.Task[Any]]:
        return set(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel what still runs and wait for each to clean up."""
        tasks = self.running()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Rerun:
    """Work run on demand, one run at a time: asked again while it runs, it runs once more
    after (not once per ask). Errors are the work's to log; one that escapes is logged here."""

    def __init__(self, tasks: TaskSet, work: Callable[[], Awaitable[object]], *, name: str) -> None:
        self._tasks = tasks
        self._work = work
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> asyncio.Task[None]:
        """Ask for a run; the task that will make it (ended once no run is asked for)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return self._task
        self._task = self._tasks.start(self._runs(), name=self._name)
        return self._task

    async def _runs(self) -> None:
        while True:
            self._again = False
            try:
                await self._work()
            except Exception:
                logger.exception("%s failed; it runs again when next asked", self._name)
            if not self._again:
                return
