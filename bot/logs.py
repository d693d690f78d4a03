"""Logging setup; Slack tokens, response_urls and people's messages never reach a log line.

LOG_LEVEL=DEBUG turns on Hindsight's own debug lines only: ids, counts and timings. The
libraries stay at INFO, because at DEBUG they print whole request bodies, Web API arguments and
answers, Socket Mode envelopes and SQL parameters, which hold what people wrote. LOG_LEVEL=TRACE
lets those through too, for chasing a bug; tokens and response_urls are still redacted.

LOG_FORMAT=json writes one JSON object a line (`JsonFormatter`): time, level, logger, message,
and what the line was logged for, read from context variables the request and the Web API client
set (`team`, `incident`, `request_kind`, `slack_method`) and a `duration_ms` a line may carry.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

TRACE = "TRACE"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Our own code; every other logger is a library's.
OWN_LOGGERS = ("hindsight", "bot", "handlers", "models", "migrations")

_SEP = r"(?:/|\\/|%2F)"  # a slash as it appears in a URL, in escaped JSON and in a form body
SECRET_PATTERN = re.compile(
    # xoxb-/xoxp-/xapp-… tokens, refresh tokens (xoxe-1-…; a rotating token is xoxe.xoxb-1-…),
    # and Bearer and Basic (client id and secret) headers, wherever a library prints them.
    r"\b(?P<token>xox[abeprs]|xapp)-[A-Za-z0-9-]+"
    r"|(?P<bearer>(?:Bearer|Basic)\s+)\S+"
    # A response_url is a credential for 30 minutes: Slack's hooks host, and the path shape
    # (/commands/T…/123/secret, /actions/…, /app/…) on whatever host it arrives from.
    rf"|(?P<hooks>hooks\.slack(?:-gov)?\.com){_SEP}[^\s'\"&,)}}\]]+"
    rf"|(?P<hook_path>{_SEP}(?:commands|actions|app){_SEP})T[A-Z0-9]+{_SEP}\d+{_SEP}[^\s'\"&,)}}\]]+"
    # …and any value given under a response_url key (JSON, a dict's repr, a form body).
    r"|(?P<key>response_url[\"']?\s*(?:[:=]|%3A|%3D)\s*[\"']?)[^\s'\"&,)}\]]+",
    re.IGNORECASE,
)


def _replacement(match: re.Match[str]) -> str:
    if match["token"]:
        return match["token"] + "-[redacted]"
    kept = match["bearer"] or match["hooks"] or match["hook_path"] or match["key"] or ""
    return kept + ("/[redacted]" if match["hooks"] else "[redacted]")


# Every match of SECRET_PATTERN holds one of these, lowercased. Most lines (an access line, a
# count) hold none and skip the pattern, which costs ten times as much as this look.
SECRET_MARKERS = re.compile(
    r"xox|xapp|bearer|basic|hooks\.slack|commands|actions|/app|%2fapp|response_url"
)


def redact(text: str) -> str:
    if SECRET_MARKERS.search(text.lower()) is None:
        return text
    return SECRET_PATTERN.sub(_replacement, text)


# What a log line was written for. Set per request (each request runs in its own task, so its
# own copy) and per Web API call; None outside of one.
TEAM: ContextVar[str | None] = ContextVar("team", default=None)
INCIDENT: ContextVar[int | None] = ContextVar("incident", default=None)
REQUEST_KIND: ContextVar[str | None] = ContextVar("request_kind", default=None)
SLACK_METHOD: ContextVar[str | None] = ContextVar("slack_method", default=None)


# Slack's interactivity payloads (Bolt routes them by this `type`).
INTERACTION_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_suggestion",
        "dialog_cancellation",
    }
)


def request_kind(payload: dict[str, Any]) -> str:
    """event, command, interaction or other (url_verification, ssl_check…)."""
    kind = payload.get("type")
    if kind == "event_callback":
        return "event"
    if "command" in payload:
        return "command"
    return "interaction" if kind in INTERACTION_TYPES else "other"


def payload_team(payload: dict[str, Any]) -> str | None:
    """The team a Slack payload comes from: team_id (events, commands) or team.id (the rest)."""
    team = payload.get("team_id")
    if isinstance(team, str):
        return team
    team = payload.get("team")
    return team.get("id") if isinstance(team, dict) else None


def bind_request(payload: dict[str, Any]) -> str:
    """Name the request's kind and team in the lines it logs; the kind, for its metrics."""
    kind = request_kind(payload)
    REQUEST_KIND.set(kind)
    TEAM.set(payload_team(payload))
    return kind


@contextmanager
def log_context(*, team: str | None = None, incident: int | None = None) -> Iterator[None]:
    """Lines logged inside name this team and incident (a job's pass over one team, say)."""
    team_token, incident_token = TEAM.set(team), INCIDENT.set(incident)
    try:
        yield
    finally:
        INCIDENT.reset(incident_token)
        TEAM.reset(team_token)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object a line, every key always present (null when unknown); the message and
    any traceback redacted before they are encoded."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "team": TEAM.get(),
            "incident": INCIDENT.get(),
            "request_kind": REQUEST_KIND.get(),
            "slack_method": SLACK_METHOD.get(),
            "duration_ms": getattr(record, "duration_ms", None),
        }
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return _encode(line)


def configure_logging(level: str, *, fmt: str = "text", stream: TextIO | None = None) -> None:
    """One redacting handler on the root logger (stderr unless `stream` is given), writing
    `fmt`: "text" (a line of words) or "json" (one object a line)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    own = logging.DEBUG if level == TRACE else logging.getLevelNamesMapping().get(level)
    own = logging.INFO if own is None else own
    # Libraries never go below INFO unless asked for TRACE (see the module's docstring).
    root.setLevel(own if level == TRACE else max(own, logging.INFO))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    access.filters[:] = [] if own <= logging.DEBUG else [QuietEventAcks()]


class QuietEventAcks(logging.Filter):
    """Below DEBUG, Slack's event deliveries answered 2xx get no access line: a busy incident
    channel would write one per message, and /metrics counts them
    (`hindsight_http_ack_seconds{kind="event"}`). Failed deliveries, commands, interactions,
    health checks and scrapes keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if REQUEST_KIND.get() != "event":
            return True
        args = record.args
        status = args[4] if isinstance(args, tuple) and len(args) > 4 else None
        return not (isinstance(status, int) and status < 400)
