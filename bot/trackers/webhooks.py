"""POST /webhooks/github and POST /webhooks/jira: what a tracker says changed on an issue,
applied to its action item.

The signature is checked over the exact bytes received before anything is read: a missing or
bad one is 401 and changes nothing. A signed delivery that is not a change an item follows, or
names an issue we never filed, is 200 and ignored (a 4xx would only make the tracker retry or
disable the hook). An applied change is committed before the answer; the item's messages and
App Home are redrawn after it, on the runtime's after-ack tasks.

Plain ASGI, like the rest of bot/server.py: two routes don't need a framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

from bot.tasks import TaskSet
from bot.trackers.config import TrackerSettings
from bot.trackers.github import github_change, verify_github_signature
from bot.trackers.jira import jira_change, verify_jira_signature
from bot.trackers.redraw import Host
from bot.trackers.shapes import RemoteChange, TrackerKind
from bot.trackers.sync import apply_change, redraw

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

WEBHOOK_PATHS: Mapping[str, TrackerKind] = {
    "/webhooks/github": TrackerKind.GITHUB,
    "/webhooks/jira": TrackerKind.JIRA,
}
MAX_BODY_BYTES = 5 * 1024 * 1024  # an issue event is a few kB; GitHub's ceiling is 25 MB


class WebhookHost(Host, Protocol):
    """What the endpoints use of the runtime (bot.app.Runtime is one)."""

    backfills: TaskSet


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class Refused(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.answer = Answer(status, {"error": error})


async def serve_webhook(host: WebhookHost, scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI side: read the request, answer with JSON."""
    kind = WEBHOOK_PATHS[scope["path"]]
    if scope.get("method") != "POST":
        await respond(send, Answer(405, {"error": "POST only"}), allow=b"POST")
        return
    body = await read_body(receive)
    if body is None:
        await respond(send, Answer(413, {"error": "body too large"}))
        return
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    try:
        answer = await handle_webhook(host, kind, body, headers)
    except Exception:  # logged and answered 500: the tracker may deliver again, polling catches it
        logger.exception("%s webhook: the change could not be applied", kind.label)
        answer = Answer(500, {"error": "the change could not be applied"})
    await respond(send, answer)


async def handle_webhook(
    host: WebhookHost, kind: TrackerKind, body: bytes, headers: Mapping[str, str]
) -> Answer:
    """One delivery: verified, read, applied, its item redrawn after the answer."""
    try:
        change = read_change(host.settings.trackers, kind, body, headers)
    except Refused as refused:
        return refused.answer
    if change is None:
        return Answer(200, {"ignored": "not a change an action item follows"})
    async with host.sessions() as session:
        item_id = await apply_change(session, change, now=host.clock(), settings=host.settings)
        await session.commit()
    if item_id is None:
        return Answer(200, {"ignored": f"no change for an action item from {change.key}"})
    task = host.backfills.start(redraw(host, [item_id]), name=f"redraw-item-{item_id}")
    task.add_done_callback(log_failure)
    return Answer(200, {"item": item_id})


def read_change(
    trackers: TrackerSettings, kind: TrackerKind, body: bytes, headers: Mapping[str, str]
) -> RemoteChange | None:
    """The change a verified delivery describes; Refused when it isn't one of ours."""
    if kind is TrackerKind.GITHUB:
        if trackers.github is None:
            raise Refused(404, "GitHub is not configured")
        secret = trackers.github.webhook_secret or ""
        if not verify_github_signature(secret, body, headers.get("x-hub-signature-256")):
            raise Refused(401, "bad or missing X-Hub-Signature-256")
        return github_change(headers, json_object(body, headers))
    if trackers.jira is None:
        raise Refused(404, "Jira is not configured")
    if not verify_jira_signature(trackers.jira.webhook_secret or "", body, headers):
        raise Refused(401, "bad or missing X-Hub-Signature")
    return jira_change(json_object(body, headers))


def json_object(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The delivery's JSON: the body, or its `payload` field when the webhook was set up with
    GitHub's other content type, application/x-www-form-urlencoded."""
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        body = (form.get("payload") or [""])[-1].encode()
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise Refused(400, "the body is not JSON") from error
    if not isinstance(payload, dict):
        raise Refused(400, "the body is not a JSON object")
    return payload


async def read_body(receive: Receive) -> bytes | None:
    """The whole body, or None past MAX_BODY_BYTES."""
    chunks = bytearray()
    while True:
        message = await receive()
        chunks.extend(message.get("body", b""))
        if len(chunks) > MAX_BODY_BYTES:
            return None
        if not message.get("more_body", False):
            return bytes(chunks)


async def respond(send: Send, answer: Answer, *, allow: bytes | None = None) -> None:
    payload = json.dumps(answer.body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("redrawing after a webhook failed", exc_info=task.exception())
