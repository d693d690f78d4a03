"""FakeSlack: the simulated workspace (``bot.simslack``) checked against Slack's spec, with
injected failures and held calls for tests."""

from __future__ import annotations

import threading
from http import HTTPStatus
from typing import Any

from bot.simslack import SimSlack
from bot.simslack.http import Response, json_response, text_response
from bot.simslack.records import Call

from .models import Failure
from .spec import missing_args


class FakeSlack(SimSlack):
    """A stateful, spec-checked fake of the Slack Web API over real HTTP."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team_name = "Hindsight Test Workspace"
        self.team_domain = "hindsight-test"
        self._failures: list[Failure] = []
        self._holds: dict[str, tuple[threading.Event, int]] = {}  # the gate, calls let through
        self.held: dict[str, int] = {}  # calls that waited (or wait) at a hold, per method
        self._answer_holds: dict[str, tuple[threading.Event, int]] = {}
        self.answers_held: dict[str, int] = {}  # calls done whose answer waited at a hold

    def start(self) -> FakeSlack:
        super().start()
        return self

    def __enter__(self) -> FakeSlack:
        return self.start()

    # ---- Slack's required arguments ---------------------------------------------------------
    def missing_args(self, method: str, args: dict[str, Any]) -> list[str]:
        return missing_args(method, args)

    # ---- failure injection ------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 0,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` ("*" = any) fail; None = forever."""
        if status is None and error is None:
            raise ValueError("fail() needs status= or error=")
        with self._lock:
            self._failures.append(Failure(method, status, error, retry_after, times))

    def clear_failures(self) -> None:
        """Drop all pending injected failures."""
        with self._lock:
            self._failures.clear()

    def intercept(self, call: Call) -> Response | None:
        failure = self._take_failure(call.method)
        return None if failure is None else _failure_response(call, failure)

    def _take_failure(self, method: str) -> Failure | None:
        for failure in self._failures:
            if failure.method in (method, "*") and failure.remaining != 0:
                if failure.remaining is not None:
                    failure.remaining -= 1
                return failure
        return None

    # ---- held calls -------------------------------------------------------------------------
    def hold(self, method: str, *, let_through: int = 0) -> threading.Event:
        """Keep calls to ``method`` waiting (a slow Slack) until the returned event is set;
        the first ``let_through`` of them are answered at once."""
        gate = threading.Event()
        with self._lock:
            self._holds[method] = (gate, let_through)
        return gate

    def hold_answer(self, method: str, *, let_through: int = 0) -> threading.Event:
        """Do calls to ``method`` (the post lands) but keep their answers waiting until the
        returned event is set: the moment a crash loses the answer. The first
        ``let_through`` are answered at once."""
        gate = threading.Event()
        with self._lock:
            self._answer_holds[method] = (gate, let_through)
        return gate

    def gate(self, method: str, *, answer: bool) -> None:
        holds, counts = (
            (self._answer_holds, self.answers_held) if answer else (self._holds, self.held)
        )
        if method not in holds:
            return
        with self._lock:
            gate, let_through = holds[method]
            holds[method] = (gate, let_through - 1)
            if let_through <= 0:
                counts[method] = counts.get(method, 0) + 1
        if let_through <= 0:
            gate.wait(timeout=30)

    async def wait_held(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` calls to ``method`` are waiting at its hold (see ``hold``)."""
        await self.wait_until(
            lambda: self.held.get(method, 0) >= count,
            timeout=timeout,
            what=f"{count} call(s) to {method} reaching the hold",
        )

    async def wait_answer_held(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` answers of ``method`` are held (see ``hold_answer``)."""
        await self.wait_until(
            lambda: self.answers_held.get(method, 0) >= count,
            timeout=timeout,
            what=f"{count} answer(s) of {method} held",
        )


def _failure_response(call: Call, failure: Failure) -> Response:
    call.failed = True
    call.status = failure.status or 200
    if failure.status == 429:
        call.error = failure.error or "ratelimited"
        body = {"ok": False, "error": call.error}
        return json_response(body, 429, **{"Retry-After": str(failure.retry_after)})
    if failure.status is not None and failure.status != 200:
        phrase = HTTPStatus(failure.status).phrase
        html = f"<html><head><title>{failure.status} {phrase}</title></head></html>"
        return text_response(html, failure.status, "text/html")
    call.error = failure.error
    return json_response({"ok": False, "error": failure.error})
