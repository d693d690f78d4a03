"""The calls a simulated workspace recorded, and waiting for them (or for its state)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .records import Call
from .state import SlackState


class Waiting(SlackState):
    """Recorded calls and waits on them; mixed into ``SimSlack``."""

    @property
    def calls(self) -> list[Call]:
        """Copy of every recorded call, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def clear_calls(self) -> None:
        """Forget recorded calls (state is kept)."""
        with self._lock:
            self._calls.clear()

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:  # noqa: ASYNC109
        """Wait until ``count`` calls to ``method`` were recorded; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}; "
                    f"recorded: {seen}"
                )
            await asyncio.sleep(0.01)

    async def wait_until(
        self,
        check: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "the condition",
    ) -> None:
        """Wait until ``check`` (on the workspace's state) holds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what} did not happen within {timeout}s")
            await asyncio.sleep(0.01)

    def assert_no_violations(self) -> None:
        """Fail if the app broke the API contract (missing args, unknown methods)."""
        with self._lock:
            problems = list(self.violations)
        assert not problems, "Slack API contract violations:\n" + "\n".join(problems)

    def assert_no_rejections(self) -> None:
        """Fail if Slack would have rejected a payload for breaking a Block Kit limit."""
        with self._lock:
            problems = [str(r) for r in self.rejections]
        assert not problems, "Slack would reject:\n" + "\n".join(problems)
