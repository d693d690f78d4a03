"""Background tasks that outlive the request that started them, tracked by the runtime so
shutdown (and tests) can wait for them or cancel them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


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
