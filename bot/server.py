"""The ASGI application uvicorn serves: Slack on POST /slack/events, health on GET /healthz."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.app import Runtime
from bot.db import ping

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class SlackHandler(AsyncSlackRequestHandler):
    """Bolt's handler, but a body that is not a Slack payload is a 4xx, never a 500."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.app, path=SLACK_PATH)
        self.verifier = SignatureVerifier(runtime.settings.slack_signing_secret or "")

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        raw = await request.get_raw_body()
        headers = request.get_headers()
        try:
            bolt_request = AsyncBoltRequest(body=raw, query=request.query_string, headers=headers)
            if not isinstance(bolt_request.body, dict):
                raise ValueError("payload is not a JSON object")
        except ValueError as error:
            if not self.verifier.is_valid_request(raw, headers):
                return BoltResponse(status=401, body='{"error": "invalid request"}')
            logger.warning("rejected a signed request with an unreadable body: %s", error)
            return BoltResponse(status=400, body='{"error": "unreadable body"}')
        return await self.app.async_dispatch(bolt_request)


class HindsightASGI:
    """Routes HTTP to Slack or health, and ties the runtime's life to the server's."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.slack = SlackHandler(runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await self._health(send)
        elif scope["type"] == "http":
            await self.slack(scope, receive, send)

    async def _health(self, send: Send) -> None:
        try:
            await ping(self.runtime.engine)
            status, body = 200, {"status": "ok", "database": "ok"}
        except Exception as error:  # any failure means "not healthy", never a crash
            logger.warning("health check: database did not answer: %s", type(error).__name__)
            status, body = 503, {"status": "unavailable", "database": "unreachable"}
        payload = json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.runtime.scheduler.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
