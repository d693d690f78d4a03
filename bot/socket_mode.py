"""Socket Mode: Bolt's handler on a client that waits politely for a Slack it cannot reach.

The SDK's client asks Slack for a WebSocket URL (apps.connections.open) in a loop that logs a full
traceback every ping interval and never gives up. Ours backs off (1 s doubling to 60 s) with one
warning line per failed attempt, and a refused app token stops the start with exit 2.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError

logger = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
PING_INTERVAL_SECONDS = 10.0
# What Slack answers for an app token it will never accept; waiting does not help.
REFUSED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive", "token_revoked"}
)


class PatientSocketModeClient(SocketModeClient):
    async def connect(self) -> None:
        if self.wss_uri is None:
            # Our own loop first, so a refused token surfaces here instead of inside the SDK's
            # retry loop, which catches every exception.
            self.wss_uri = await self.issue_new_wss_url()
        await super().connect()

    async def issue_new_wss_url(self) -> str:
        for attempt in itertools.count(1):
            try:
                response = await self.web_client.apps_connections_open(app_token=self.app_token)
                return str(response["url"])
            except SlackApiError as error:
                reason = str(error.response.get("error") or error.response.status_code)
                if reason in REFUSED_TOKEN_ERRORS and self.current_session is None:
                    raise ConfigError(
                        f"SLACK_APP_TOKEN was refused by Slack ({reason}); it must be an "
                        "app-level token (xapp-…) with the connections:write scope"
                    ) from None
            except OSError as error:  # aiohttp's connection errors and timeouts are OSErrors
                reason = failure_reason(error)
            delay = min(FIRST_DELAY_SECONDS * 2 ** (attempt - 1), MAX_DELAY_SECONDS)
            logger.warning(
                "Socket Mode: Slack did not open a connection (attempt %d: %s); "
                "trying again in %.0f s",
                attempt,
                reason,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # itertools.count never ends


class OneLineFailures(logging.Filter):
    """The SDK logs a failed WebSocket connect with its traceback; keep the line, drop the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage().startswith("Failed to connect"):
            record.exc_info = record.exc_text = None
        return True


class SocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler with the patient client."""

    def __init__(
        self, app: AsyncApp, app_token: str, *, ping_interval: float = PING_INTERVAL_SECONDS
    ) -> None:
        self.app = app
        self.app_token = app_token
        sdk_logger = logging.getLogger("slack_sdk.socket_mode.aiohttp")
        sdk_logger.addFilter(OneLineFailures())
        self.client = PatientSocketModeClient(
            app_token=app_token,
            logger=sdk_logger,
            # Its own client without retry handlers: the backoff above is the retry, one line
            # per attempt. It only ever calls apps.connections.open, with the app token.
            web_client=AsyncWebClient(base_url=app.client.base_url, retry_handlers=[]),
            # Also how soon a socket that died without a close frame is noticed and replaced.
            ping_interval=ping_interval,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def failure_reason(error: BaseException) -> str:
    """`connection refused`, `timed out`, or the error's own words, in one short phrase."""
    error = getattr(error, "os_error", None) or error  # aiohttp wraps the socket's error
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
