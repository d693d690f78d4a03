"""Logging setup; Slack tokens and signing secrets never reach a log line."""

from __future__ import annotations

import logging
import re

# xoxb-/xoxp-/xapp-… tokens, and Bearer headers, wherever a library prints them.
SECRET_PATTERN = re.compile(r"\b(xox[abprs]|xapp)-[A-Za-z0-9-]+|(Bearer\s+)\S+")


def redact(text: str) -> str:
    return SECRET_PATTERN.sub(lambda m: (m.group(2) or m.group(1) + "-") + "[redacted]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
