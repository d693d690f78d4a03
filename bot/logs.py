"""Logging setup; Slack tokens, response_urls and people's messages never reach a log line.

LOG_LEVEL=DEBUG turns on Hindsight's own debug lines only: ids, counts and timings. The
libraries stay at INFO, because at DEBUG they print whole request bodies, Web API arguments and
answers, Socket Mode envelopes and SQL parameters, which hold what people wrote. LOG_LEVEL=TRACE
lets those through too, for chasing a bug; tokens and response_urls are still redacted.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

TRACE = "TRACE"
# Our own code; every other logger is a library's.
OWN_LOGGERS = ("hindsight", "bot", "handlers", "models", "migrations")

_SEP = r"(?:/|\\/|%2F)"  # a slash as it appears in a URL, in escaped JSON and in a form body
SECRET_PATTERN = re.compile(
    # xoxb-/xoxp-/xapp-… tokens, and Bearer headers, wherever a library prints them.
    r"\b(?P<token>xox[abprs]|xapp)-[A-Za-z0-9-]+"
    r"|(?P<bearer>Bearer\s+)\S+"
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


def redact(text: str) -> str:
    return SECRET_PATTERN.sub(_replacement, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str, *, stream: TextIO | None = None) -> None:
    """One redacting handler on the root logger (stderr unless `stream` is given)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    own = logging.DEBUG if level == TRACE else logging.getLevelNamesMapping().get(level)
    own = logging.INFO if own is None else own
    # Libraries never go below INFO unless asked for TRACE (see the module's docstring).
    root.setLevel(own if level == TRACE else max(own, logging.INFO))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
