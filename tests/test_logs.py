"""Tokens never reach a log line, whichever library logs them."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFormatter, redact


@pytest.mark.parametrize(
    "secret",
    ["xoxb-1234-5678-abcdEFGH", "xoxp-9-9-9-zz", "xapp-1-A0-123-abc", "xoxe.xoxp-1-abc"],
)
def test_slack_tokens_are_redacted(secret: str) -> None:
    line = redact(f"calling with token={secret} now")
    assert "abc" not in line.split("token=")[1].split(" ")[0].replace("[redacted]", "")
    assert "[redacted]" in line


def test_bearer_headers_are_redacted() -> None:
    assert redact("Authorization: Bearer s3cr3t") == "Authorization: Bearer [redacted]"


def test_formatter_redacts_arguments_too() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s", ("xoxb-1-2-s3cr3t",), None
    )
    assert "s3cr3t" not in RedactingFormatter("%(message)s").format(record)
