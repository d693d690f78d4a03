"""Slack's side of the soak: the simulated workspace with bursts of 429s and 5xx, and the sender
that plays Slack's delivery: signed requests over keep-alive connections, a 3-second deadline
for each answer, and Events API retries (same event_id, X-Slack-Retry-Num) until one is
acknowledged or Slack would give up."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from bot.simslack import SignedRequests
from bot.simslack.http import Response, json_response, text_response
from bot.simslack.records import Call
from tests.fakeslack import FakeSlack

SLACK_DEADLINE = 3.0  # Slack counts a request unanswered after 3 seconds
FORM = "application/x-www-form-urlencoded"


class SoakSlack(FakeSlack):
    """The fake Web API, whose every method fails for a while when a burst is on: 429 with
    Retry-After, or a 5xx HTML page, as Slack does on a bad day."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.real_clock_ts = True  # message ts near the real time, as Slack's
        self.burst_until = 0.0
        self.burst_status = 429
        self.burst_retry_after = 1
        self.burst_failures: Counter[int] = Counter()
        # An aimed kill: the next reminder DM lands, its answer waits, the bot is killed.
        self.aim = threading.Event()
        self.dm_landed = threading.Event()
        self.release = threading.Event()

    def burst(self, status: int, seconds: float, retry_after: int = 1) -> None:
        with self._lock:
            self.burst_status, self.burst_retry_after = status, retry_after
            self.burst_until = time.monotonic() + seconds

    def _api(self, method: str, verb: str, args: dict[str, Any], token: str | None) -> Response:
        response = super()._api(method, verb, args, token)
        person = str(args.get("channel", "")).startswith("U")  # a DM by user id: a reminder
        if method == "chat.postMessage" and person and response[0] == 200 and self.aim.is_set():
            self.aim.clear()
            self.dm_landed.set()
            self.release.wait(timeout=60)  # the answer waits while the bot is killed
        return response

    def intercept(self, call: Call) -> Response | None:
        if time.monotonic() >= self.burst_until:
            return super().intercept(call)
        status = self.burst_status
        self.burst_failures[status] += 1
        call.failed, call.status = True, status
        if status == 429:
            call.error = "ratelimited"
            body = {"ok": False, "error": "ratelimited"}
            return json_response(body, 429, **{"Retry-After": str(self.burst_retry_after)})
        return text_response(f"<html><title>{status}</title></html>", status, "text/html")


@dataclass
class Traffic:
    """What Slack sent and what it got back."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # answered 200, seconds
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    retries: int = 0  # redeliveries of an event not acknowledged
    duplicates: int = 0  # redeliveries of an event already acknowledged
    given_up: int = 0  # events no delivery of which was acknowledged

    def record(self, kind: str, outcome: str, seconds: float | None = None) -> None:
        self.statuses.setdefault(kind, Counter())[outcome] += 1
        if seconds is not None:
            self.latencies.setdefault(kind, []).append(seconds)

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def kind_of(content_type: str, body: bytes) -> str:
    if content_type != FORM:
        return "event"
    return "interaction" if body.startswith(b"payload=") else "command"


class SoakRequests(SignedRequests):
    """SignedRequests over one aiohttp session (keep-alive, like Slack's senders), each answer
    awaited at most 3 seconds, every outcome recorded in `traffic`."""

    def __init__(self, url: str, *, signing_secret: str, workspace: SoakSlack) -> None:
        super().__init__(url, signing_secret=signing_secret, workspace=workspace)
        self.traffic = Traffic()
        self.session: aiohttp.ClientSession | None = None
        self.retry_delays: tuple[float, ...] = (1.0, 5.0, 20.0)
        self.duplicate_rate = 0.02
        self.rng = random.Random(7)
        self._background: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        timeout = aiohttp.ClientTimeout(total=SLACK_DEADLINE)
        self.session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    async def post_raw(
        self,
        body: bytes | str,
        *,
        content_type: str,
        timestamp: str | int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST as Slack does; raises TimeoutError past 3 s, aiohttp.ClientError when the
        connection fails. Each outcome is recorded by request kind."""
        assert self.session is not None
        raw = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **self.sign(raw, timestamp)}
        headers.update(extra_headers or {})
        kind = kind_of(content_type, raw)
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=raw, headers=headers) as answer:
                content = await answer.read()
                status, answer_headers = answer.status, dict(answer.headers)
        except TimeoutError:
            self.traffic.record(kind, "no answer in 3 s")
            raise
        except aiohttp.ClientError as error:
            self.traffic.record(kind, f"connection failed ({type(error).__name__})")
            raise
        seconds = time.perf_counter() - started
        self.traffic.record(kind, str(status), seconds if status == 200 else None)
        return httpx.Response(status, content=content, headers=answer_headers)

    async def deliver(self, inner: dict[str, Any]) -> bool:
        """One Events API event, delivered until acknowledged: the first attempt, then
        retries after `retry_delays` with the same event_id. True once a delivery got a 200
        within 3 s; False when Slack would give up."""
        event_id = f"Ev{self.rng.getrandbits(48):012X}"
        reason: str | None = None
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if attempt:
                self.traffic.retries += 1
                await asyncio.sleep(delay)
            try:
                answer = await self.event(
                    inner,
                    event_id=event_id,
                    retry_num=attempt or None,
                    retry_reason=reason or "http_error",
                )
            except TimeoutError:
                reason = "http_timeout"
                continue
            except aiohttp.ClientError:
                reason = "connection_failed"
                continue
            if answer.status_code == 200:
                if self.rng.random() < self.duplicate_rate:
                    self._redeliver_later(inner, event_id)
                return True
            reason = "http_error"
        self.traffic.given_up += 1
        return False

    def _redeliver_later(self, inner: dict[str, Any], event_id: str) -> None:
        """Slack sometimes delivers an acknowledged event again (its at-least-once)."""

        async def again() -> None:
            await asyncio.sleep(self.rng.uniform(0.2, 2.0))
            self.traffic.duplicates += 1
            with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                await self.event(inner, event_id=event_id, retry_num=1, retry_reason="http_timeout")

        task = asyncio.create_task(again())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
