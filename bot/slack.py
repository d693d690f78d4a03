"""The one Slack Web API client the bot uses: pointed at SLACK_API_URL, with retries, and each
call counted and timed by method and outcome (bot/metrics.py) when given an observer."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.installations.clients import TeamClients
from bot.logs import SLACK_METHOD

logger = logging.getLogger(__name__)

# Rate limits are waited out (Retry-After); 5xx and dropped connections are tried again.
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 15
ERROR_CODE = re.compile(r"[a-z0-9_.]{1,64}")  # Slack's error codes; anything else is not a label


class WebCallObserver(Protocol):
    def observe_web_call(self, method: str, outcome: str, seconds: float) -> None: ...


class SlackWebClient(AsyncWebClient):
    """An AsyncWebClient that tells its observer the method, outcome and duration of each call
    (after the retry handlers are done), and names the method in the lines logged meanwhile."""

    observer: WebCallObserver | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        outcome = "ok"
        method_token = SLACK_METHOD.set(api_method)
        try:
            return await super().api_call(api_method, **kwargs)
        except BaseException as error:
            outcome = call_outcome(error)
            raise
        finally:
            seconds = time.perf_counter() - started
            if self.observer is not None:
                self.observer.observe_web_call(api_method, outcome, seconds)
            if logger.isEnabledFor(logging.DEBUG):
                duration = round(seconds * 1000, 1)
                logger.debug(
                    "slack %s: %s in %.1f ms",
                    api_method,
                    outcome,
                    duration,
                    extra={"duration_ms": duration},
                )
            SLACK_METHOD.reset(method_token)


def call_outcome(error: BaseException) -> str:
    """Slack's error code, or "429", "5xx", "timeout", "connection_error", "cancelled" (the
    caller gave up, e.g. at shutdown) or "error"."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        if status == 429:
            return "429"
        if status >= 500:
            return "5xx"
        code = error.response.data.get("error") if isinstance(error.response.data, dict) else None
        if isinstance(code, str) and ERROR_CODE.fullmatch(code):
            return code
        return f"http_{status}"
    if isinstance(error, TimeoutError):  # aiohttp's timeouts are TimeoutErrors too
        return "timeout"
    if isinstance(error, aiohttp.ClientError):
        return "connection_error"
    return "cancelled" if isinstance(error, asyncio.CancelledError) else "error"


def measure_calls(client: AsyncWebClient, observer: WebCallObserver) -> None:
    """Bolt builds a plain AsyncWebClient for each request (AsyncApp._init_context, copying the
    app client's settings); make that copy count its calls too. Same fields, no copy made."""
    if type(client) is AsyncWebClient:
        client.__class__ = SlackWebClient
    if isinstance(client, SlackWebClient):
        client.observer = observer


class MeasuredClients:
    """TeamClients whose clients count their calls: each one handed out is given the observer
    (whoever built it: one workspace's client, or each installed team's)."""

    def __init__(self, clients: TeamClients, observer: WebCallObserver) -> None:
        self.clients = clients
        self.observer = observer

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        client = await self.clients.client_for(team_id)
        if client is not None:
            measure_calls(client, self.observer)
        return client

    async def live_teams(self) -> list[tuple[str | None, AsyncWebClient]]:
        live = await self.clients.live_teams()
        for _, client in live:
            measure_calls(client, self.observer)
        return live


def create_web_client(
    *, base_url: str, token: str | None = None, observer: WebCallObserver | None = None
) -> SlackWebClient:
    """Bolt copies base_url and retry handlers into the per-request client it builds;
    `observer` (the runtime's Metrics) is told of every call."""
    client = SlackWebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )
    client.observer = observer
    return client
