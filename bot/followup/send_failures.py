"""What a failed Slack send means for the message: try again later (and how soon), or never.

Shared by the reminder sweep and the owner's "assigned" notice, so both treat Slack alike:
a rate limit, a 5xx, a timeout or a dropped connection is worth another try after a backoff;
any other error code (the person left, DMs to them are refused) won't change by waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError

# What a send through AsyncWebClient raises when it fails (after the client's own retries).
SEND_ERRORS = (SlackApiError, TimeoutError, aiohttp.ClientError)
FIRST_BACKOFF = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
# Slack errors worth trying again later; any other error code won't change by waiting.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True, slots=True)
class SendFailure:
    code: str
    transient: bool
    rate_limited: bool = False
    retry_after: float = 0.0

    def retry_at_least(self, failures: int) -> timedelta:
        """How long to wait after the `failures`-th failure in a row: doubling from a minute
        up to an hour, and never less than Slack's Retry-After."""
        backoff = min(FIRST_BACKOFF * 2 ** max(failures - 1, 0), MAX_BACKOFF)
        return max(timedelta(seconds=self.retry_after), backoff)


def classify(error: BaseException) -> SendFailure:
    """What a failed call means for what it was sending: try again later (and how soon), or
    not."""
    if not isinstance(error, SlackApiError):  # timeouts and dropped connections
        return SendFailure(code=type(error).__name__, transient=True)
    response = error.response
    status = getattr(response, "status_code", 200)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    headers = {str(k).lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    retry_after = headers.get("retry-after")
    if isinstance(retry_after, list):
        retry_after = retry_after[0] if retry_after else None
    try:
        wait = max(0.0, float(retry_after)) if retry_after is not None else 0.0
    except ValueError:
        wait = 0.0
    rate_limited = status == 429 or code == "ratelimited"
    transient = rate_limited or status >= 500 or code in TRANSIENT_ERRORS
    return SendFailure(code=code, transient=transient, rate_limited=rate_limited, retry_after=wait)
