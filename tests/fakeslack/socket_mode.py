"""Slack's side of Socket Mode on loopback: the WebSocket that `apps.connections.open` points at.

`FakeSocketMode` speaks Slack's frames (python-slack-sdk's samples in
../shared/fixtures/socket_mode): a `hello` on each connection, then envelopes `{envelope_id,
type, payload, accepts_response_payload, retry_attempt, retry_reason}`, and it expects
`{envelope_id, payload?}` back. As Slack does, it keeps an Events API envelope until it is
acked and delivers it again (its retry_attempt counted up) on the next connection when the
socket dropped first; a command or an interaction caught by a drop fails, as it does for the
person in Slack. `drop()` cuts the socket, at once or when an envelope's ack arrives (the ack is
lost with the socket).

`SocketModeTransport` lets `SlackRequests` (or the demo's `SignedRequests`) play the people over
this socket instead of signed HTTP: each request is turned into the envelope Slack would send,
and the app's ack comes back as the HTTP answer (the view_submission's response_action too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from aiohttp import WSMsgType, web

from bot.simslack import SimSlack

APP_TOKEN = "xapp-1-A0HINDSIGHT-1-socket-mode-test"
# Interactions whose ack may carry an answer (a view_submission's response_action, a
# block_suggestion's options); Slack marks them accepts_response_payload.
ANSWERED_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})


class SocketDropped(ConnectionError):
    """The socket dropped before the app acked a command or an interaction (not retried)."""


@dataclass
class Envelope:
    """One envelope Slack keeps until the app acks it."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    acked: asyncio.Future[dict[str, Any]]
    sent: int = 0  # times it went out over a socket

    def frame(self) -> str:
        body: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            body["retry_attempt"] = self.sent
            body["retry_reason"] = "timeout" if self.sent else ""
        return json.dumps(body)


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    connection: int  # which connection (1 = the first) carried it
    lost: bool = False  # dropped with the socket, never seen by "Slack"


@dataclass
class FakeSocketMode:
    """Serves Socket Mode for `workspace` (the fake Web API), whose apps.connections.open it
    points here when started; `app_token` is the xapp- token the app must use."""

    workspace: SimSlack
    app_token: str = APP_TOKEN
    connections: int = 0  # WebSocket connections accepted so far
    frames_sent: list[dict[str, Any]] = field(default_factory=list)  # every envelope sent
    acks: list[Ack] = field(default_factory=list)
    _pending: dict[str, Envelope] = field(default_factory=dict)
    _socket: web.WebSocketResponse | None = None
    _lose_acks: set[int] = field(default_factory=set)
    _transport: asyncio.BaseTransport | None = None
    _runner: web.AppRunner | None = None

    # ---- life ------------------------------------------------------------------------------
    async def start(self) -> FakeSocketMode:
        app = web.Application()
        app.router.add_get("/link/", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.workspace.add_app_token(
            self.app_token, socket_mode_url=f"ws://127.0.0.1:{port}/link/?ticket=test"
        )
        return self

    async def stop(self) -> None:
        for envelope in self._pending.values():
            if not envelope.acked.done():
                envelope.acked.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSocketMode:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- what a test does ------------------------------------------------------------------
    async def deliver(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False
    ) -> dict[str, Any]:
        """Send an envelope (now, or on the next connection) and return the app's ack."""
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=kind,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            acked=asyncio.get_running_loop().create_future(),
        )
        self._pending[envelope.envelope_id] = envelope
        if self._socket is not None:
            await self._send(self._socket, envelope)
        return await envelope.acked

    def drop(self) -> None:
        """Cut the current socket without a close frame, as a network failure does."""
        transport, self._transport = self._transport, None
        if self._socket is not None:
            self._socket = None
            self._fail_unretried()
        if transport is not None:
            transport.abort()

    async def refresh(self) -> None:
        """Ask the app to move to a new connection, as Slack does every few hours (a
        `disconnect` frame, reason refresh_requested); the old socket stays up meanwhile."""
        assert self._socket is not None, "no connection to refresh"
        frame = {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-fake"},
        }
        await self._socket.send_str(json.dumps(frame))

    def lose_ack(self, number: int) -> None:
        """The `number`-th ack to arrive (1 = the first, counting every ack so far) is lost:
        the socket drops (`drop`) as it comes in, so Slack never sees it."""
        self._lose_acks.add(number)

    def unacked(self) -> list[str]:
        return list(self._pending)

    # ---- the socket ------------------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.connections += 1
        connection = self.connections
        previous, self._socket, self._transport = self._socket, socket, request.transport
        if previous is not None:  # one connection at a time, as this app opens
            await previous.close()
        await socket.send_str(json.dumps(self._hello()))
        for envelope in list(self._pending.values()):
            # Events the last socket left unacked come again; anything queued goes out now.
            if envelope.type == "events_api" or not envelope.sent:
                await self._send(socket, envelope)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self._receive(json.loads(message.data), connection)
        if self._socket is socket:
            self._socket = None
            self._fail_unretried()
        return socket

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.workspace.app_id},
        }

    async def _send(self, socket: web.WebSocketResponse, envelope: Envelope) -> None:
        frame = envelope.frame()
        envelope.sent += 1
        self.frames_sent.append(json.loads(frame))
        with contextlib.suppress(ConnectionError):  # a drop: it goes out again on the next one
            await socket.send_str(frame)

    async def _receive(self, message: dict[str, Any], connection: int) -> None:
        envelope_id = str(message.get("envelope_id") or "")
        ack = Ack(envelope_id, message.get("payload"), connection)
        self.acks.append(ack)
        if len(self.acks) in self._lose_acks:
            ack.lost = True
            self.drop()
            return
        envelope = self._pending.pop(envelope_id, None)
        if envelope is not None and not envelope.acked.done():
            envelope.acked.set_result(ack.payload or {})

    def _fail_unretried(self) -> None:
        """Slack retries events; a command or an interaction cut off fails for the person."""
        for envelope_id, envelope in list(self._pending.items()):
            if envelope.type != "events_api" and envelope.sent:
                del self._pending[envelope_id]
                if not envelope.acked.done():
                    envelope.acked.set_exception(SocketDropped(envelope_id))


class SocketModeTransport(httpx.AsyncBaseTransport):
    """An httpx transport that delivers each signed request as the Socket Mode envelope Slack
    would send instead, and answers with the app's ack (an empty body when it has none)."""

    def __init__(self, server: FakeSocketMode) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        kind, payload, answered = envelope_of(
            request.headers["content-type"], await request.aread()
        )
        try:
            ack = await self.server.deliver(kind, payload, accepts_response_payload=answered)
        except SocketDropped:
            return httpx.Response(503, text="the socket dropped before the app acked")
        if not ack:
            return httpx.Response(200, content=b"")
        return httpx.Response(200, json=ack)


def envelope_of(content_type: str, body: bytes) -> tuple[str, dict[str, Any], bool]:
    """(type, payload, accepts_response_payload) of the envelope carrying this HTTP body."""
    if content_type.startswith("application/json"):
        payload = json.loads(body)
        if payload.get("type") != "event_callback":  # url_verification is HTTP's alone
            raise ValueError(f"not sent over Socket Mode: {payload.get('type')}")
        return "events_api", payload, False
    fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if "payload" in fields:
        interaction = json.loads(fields["payload"])
        return "interactive", interaction, interaction.get("type") in ANSWERED_INTERACTIONS
    return "slash_commands", fields, True
