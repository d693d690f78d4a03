"""Paced reads of conversations.history / conversations.replies, under either of Slack's regimes.

Internal apps keep Tier 3 (50+ calls a minute, 200 messages a page); commercially distributed
apps outside the Marketplace get about one call a minute per method, 15 messages a page, and a
429 with Retry-After for a call too soon. Which regime applies is Slack's to say, so the reader
does not guess a pace: it reads until refused, waits out each 429 itself, parsing Retry-After
as a float (slack_sdk's handler takes whole seconds only, and counts every 429 as a retry),
learns the method's window from it (the time since its last good call plus the wait), and from
then on waits that long between that method's calls instead of being refused again. The two
methods are paced apart, so thread replies are read while history waits.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackCallError

logger = logging.getLogger("bot.timeline.backfill")

DEFAULT_PAUSE = 0.0  # our own floor between any two reads: none, Slack's 429s pace us
# 429s in a row for one call, each waited out, before giving up: more than a short fight for
# the token's window (two incidents' backfills in one workspace, a reaction's lookup) takes.
RATE_LIMIT_RETRIES = 10
DEFAULT_RETRY_AFTER = 1.0  # a 429 without Retry-After (Slack always sends one)
MAX_LEARNED_WINDOW = 65.0  # the strict regime's minute and a margin: a stray wait is capped


def reading_client(client: AsyncWebClient) -> AsyncWebClient:
    """`client` without slack_sdk's rate-limit retries: 429s come to the reader."""
    reader = copy.copy(client)
    reader.retry_handlers = [
        handler
        for handler in client.retry_handlers
        if not isinstance(handler, AsyncRateLimitErrorRetryHandler)
    ]
    return reader


def retry_after(error: SlackApiError) -> float | None:
    """Seconds a 429 asks to wait (fractional allowed); None when it is not a 429 (nor an
    answer saying `ratelimited`)."""
    response = error.response
    if response is None:
        return None
    if response.status_code != 429 and response.get("error") != "ratelimited":
        return None
    headers = response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(text), 0.0)
            except (TypeError, ValueError):
                return DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER


class PacedReader:
    """Web API reads for one channel, each method waiting for its own window."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel_id: str,
        pause: float = DEFAULT_PAUSE,
    ) -> None:
        self.client = reading_client(client)
        self.channel_id = channel_id
        self.pause = pause
        self.calls = 0
        self.refused = 0
        self._last_call: float | None = None
        self._last_ok: dict[str, float] = {}
        self._window: dict[str, float] = {}
        self._not_before: dict[str, float] = {}

    def ready_in(self, method: str) -> float:
        """Seconds before `method` may be called (0: now)."""
        moments = [self._not_before.get(method, 0.0)]
        if method in self._last_ok and method in self._window:
            moments.append(self._last_ok[method] + self._window[method])
        if self._last_call is not None:
            moments.append(self._last_call + self.pause)
        return max(0.0, max(moments) - time.monotonic())

    async def call(
        self, method: str, *, missing_ok: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """One read, waiting as long as Slack asks; SlackCallError when it keeps refusing or
        fails otherwise. An error named `missing_ok` reads as an empty page."""
        refusals = 0
        while True:
            await self._wait(self.ready_in(method))
            self.calls += 1
            try:
                response = await getattr(self.client, method.replace(".", "_"))(**params)
            except SlackApiError as error:
                self._last_call = time.monotonic()
                if missing_ok is not None and error.response.get("error") == missing_ok:
                    return {}
                seconds = retry_after(error)
                if seconds is None or refusals >= RATE_LIMIT_RETRIES:
                    raise self._failure(method, error) from error
                refusals += 1
                self.refused += 1
                self._learn(method, self._last_call, seconds)
                continue
            # Gaps are counted from the answer, when Slack surely saw the call.
            self._last_call = self._last_ok[method] = time.monotonic()
            return dict(response.data) if isinstance(response.data, dict) else {}

    def _learn(self, method: str, refused: float, seconds: float) -> None:
        """A 429 answered at `refused` asking `seconds`: the window is at least the time since
        this method's last good call plus that wait."""
        self._not_before[method] = refused + seconds
        if method in self._last_ok:
            window = min(refused - self._last_ok[method] + seconds, MAX_LEARNED_WINDOW)
            self._window[method] = max(self._window.get(method, 0.0), window)
        logger.debug("backfill of %s: %s asked to wait %.3fs", self.channel_id, method, seconds)

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        await asyncio.sleep(seconds)

    def _failure(self, method: str, error: SlackApiError) -> SlackCallError:
        detail = error.response.get("error") if error.response is not None else None
        status = error.response.status_code if error.response is not None else None
        logger.error(
            "backfill of %s stopped: %s failed (%s, HTTP %s)",
            self.channel_id,
            method,
            detail,
            status,
        )
        return SlackCallError(
            f"Couldn't read the history of <#{self.channel_id}> ({method}: {detail})."
        )


async def join_channel(client: AsyncWebClient, channel_id: str) -> int | None:
    """Join a public channel (a no-op if already in it); a private one must have invited us.
    The channel's creation time (epoch seconds), when Slack says."""
    try:
        response = await client.conversations_join(channel=channel_id)
    except SlackApiError as error:
        code = error.response.get("error")
        if code != "method_not_supported_for_channel_type":
            logger.error("backfill of %s stopped: conversations.join failed (%s)", channel_id, code)
            raise SlackCallError(
                f"Couldn't join <#{channel_id}> to read its history ({code})."
            ) from error
        logger.info("backfill: %s is private; reading it needs the bot invited", channel_id)
        return None
    created = (response.get("channel") or {}).get("created")
    return int(created) if isinstance(created, int | float) and created > 0 else None


async def channel_created(client: AsyncWebClient, channel_id: str) -> int | None:
    """When the channel was created (epoch seconds), from conversations.info (not one of the
    strictly limited reads); None when Slack won't say."""
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError:
        return None
    created = (response.get("channel") or {}).get("created")
    return int(created) if isinstance(created, int | float) and created > 0 else None
