"""The ASGI application uvicorn serves: Slack on POST /slack/events, health on GET /healthz, the
trackers' webhooks on POST /webhooks/github and /webhooks/jira (bot/trackers/webhooks). With many
workspaces, Bolt's install flow answers GET /slack/install and /slack/oauth_redirect (Bolt's
ASGI handler routes them to the app's oauth_flow; bot/installations/oauth.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from types import FrameType
from typing import Any

import uvicorn
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.app import Runtime
from bot.db import write_problem
from bot.jobs import schedule_jobs
from bot.logs import bind_request
from bot.metrics import METRICS_PATH
from bot.trackers.webhooks import WEBHOOK_PATHS, serve_webhook

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT_SECONDS = 2.0
SLOW_ACK_SECONDS = 2.5  # Slack gives up at 3 s: an answer this late is logged as a warning
HEALTH_REASONS = {
    "unreachable": "the database does not answer",
    "locked": "the database is locked by another writer and cannot take writes",
    "read-only": "the database is read-only and cannot take writes",
}


class SlackHandler(AsyncSlackRequestHandler):
    """Bolt's handler, but a body that is not a Slack payload is a 4xx, never a 500."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.app, path=SLACK_PATH)
        self.verifier = SignatureVerifier(runtime.settings.slack_signing_secret or "")
        self.acks = runtime.metrics.acks
        self.direct = runtime.direct_capture

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        started = time.perf_counter()
        body = ""
        headers = request.get_headers()
        try:
            body = (await request_body(request)).decode()
            payload = parse_body(body, content_type(headers))
            if not isinstance(payload, dict):
                raise ValueError("payload is not a JSON object")
        except UnicodeDecodeError:  # Slack only sends UTF-8; this cannot be a Slack request
            return BoltResponse(status=400, body='{"error": "body is not UTF-8"}')
        except ValueError as error:  # bad JSON, or JSON that is not an object
            if not self.verifier.is_valid_request(body, headers):
                return BoltResponse(status=401, body='{"error": "invalid request"}')
            logger.warning("rejected a signed request with an unreadable body: %s", error)
            return BoltResponse(status=400, body='{"error": "unreadable body"}')
        kind = bind_request(payload)  # log lines name the kind and team from here on
        response = None
        if self.direct is not None:  # a message event, plainly fine: stored without Bolt
            response = await self.direct.answer(body, headers, payload)
        if response is None:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
            response = await self.app.async_dispatch(bolt_request)
        self._acked(kind, response.status, time.perf_counter() - started)
        return response

    def _acked(self, kind: str, status: int, seconds: float) -> None:
        """The ack's latency on /metrics; a line with it at DEBUG, or a warning when late."""
        self.acks[kind].observe(seconds)
        late = seconds >= SLOW_ACK_SECONDS
        if late or logger.isEnabledFor(logging.DEBUG):
            milliseconds = round(seconds * 1000, 1)
            level = logging.WARNING if late else logging.DEBUG
            extra = {"duration_ms": milliseconds}
            logger.log(level, "%s answered %d in %.1f ms", kind, status, milliseconds, extra=extra)


async def request_body(request: AsgiHttpRequest) -> bytes:
    chunks = bytearray()
    while True:
        message = await request.receive()
        chunks.extend(message.get("body", b""))
        if not message.get("more_body", False):
            return bytes(chunks)


def content_type(headers: dict[str, Any]) -> str | None:
    value = headers.get("content-type")
    return value if isinstance(value, str) or value is None else value[0]


class HindsightASGI:
    """Routes HTTP to Slack, health or a tracker's webhook; the runtime lives as the server does."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.slack = SlackHandler(runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await self._health(send)
        elif scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await self._metrics(scope, send)
        elif scope["type"] == "http" and scope["path"] in WEBHOOK_PATHS:
            await serve_webhook(self.runtime, scope, receive, send)
        elif scope["type"] == "http":
            await self.slack(scope, receive, send)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        payload, media_type = await self.runtime.metrics.exposition(accept)
        headers = [
            (b"content-type", media_type.encode()),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _health(self, send: Send) -> None:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                problem = await write_problem(self.runtime.engine)
        except Exception as error:  # any failure means "not healthy", never a crash
            logger.warning("health check: database did not answer: %s", type(error).__name__)
            problem = "unreachable"
        if problem is None:
            status, body = 200, {"status": "ok", "database": "ok"}
        else:
            if problem != "unreachable":
                logger.warning("health check: the database cannot take writes: %s", problem)
            reason = HEALTH_REASONS.get(problem, problem)
            status, body = 503, {"status": "unavailable", "database": problem, "reason": reason}
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
                # Before uvicorn listens (so before /healthz says ok): what the first events
                # would otherwise wait on together.
                await self.runtime.capture.warm()
                self.runtime.capture.start()
                schedule_jobs(self.runtime)
                self.runtime.scheduler.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


class OperationsASGI(HindsightASGI):
    """Socket Mode's HTTP side, on METRICS_PORT: GET /metrics and /healthz, nothing else (Slack
    comes over the WebSocket; the runtime's life is Socket Mode's, so no lifespan here)."""

    def __init__(self, runtime: Runtime) -> None:
        # No Slack handler: Socket Mode needs no signing secret, and a verifier can't be built
        # without one.
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == HEALTH_PATH:
            await self._health(send)
        elif scope["path"] == METRICS_PATH:
            await self._metrics(scope, send)
        else:
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"9")]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": b"not found"})


class SidecarServer(uvicorn.Server):
    """A uvicorn server beside another loop's work: signals stay with that work (Socket Mode's
    handlers stop everything, this server with it)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


class OperationsServer:
    """/metrics and /healthz on their own port while Socket Mode serves Slack."""

    def __init__(self, runtime: Runtime, *, host: str, port: int) -> None:
        config = uvicorn.Config(
            OperationsASGI(runtime), host=host, port=port, lifespan="off", log_config=None
        )
        self.server = SidecarServer(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the port listens (uvicorn exits the process if it cannot bind)."""
        self.task = asyncio.create_task(self.server.serve(), name="operations-http")
        listening = asyncio.create_task(self.server.listening.wait())
        await asyncio.wait({self.task, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if self.task.done():
            self.task.result()
        logger.info("serving /metrics and /healthz on port %d", self.server.config.port)

    async def stop(self) -> None:
        if self.task is not None:
            self.server.should_exit = True
            await self.task


class OrderlyServer(uvicorn.Server):
    """SIGTERM and SIGINT stop gracefully (lifespan shutdown runs) and the process exits 0.

    Plain uvicorn re-raises the signal after shutting down, so the process would die by it.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


async def serve_http(runtime: Runtime, *, host: str, port: int) -> None:
    config = uvicorn.Config(
        HindsightASGI(runtime),
        host=host,
        port=port,
        lifespan="on",
        log_config=None,  # keep our redacting formatter
        timeout_graceful_shutdown=10,
    )
    # What exists now (modules, app, engine) lives as long as the process: keep the cycle
    # collector from rescanning it; a full collection of it stalled every request for ~150 ms.
    gc.collect()
    gc.freeze()
    await OrderlyServer(config).serve()
