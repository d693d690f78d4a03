"""The one httpx client every tracker call goes through, and how a tracker's refusal or
silence becomes a TrackerError the outbox can act on (retry later, or give up and say why)."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from bot.trackers.shapes import TrackerError

USER_AGENT = "Hindsight (postmortem bot; https://github.com/hindsight)"
MAX_MESSAGE = 300  # what is kept of a tracker's message: enough to show on the item
# GitHub's secondary rate limit is a 403 without x-ratelimit-remaining: 0 and, sometimes,
# without Retry-After; GitHub asks to wait at least a minute then.
SECONDARY_LIMIT_WAIT = 60.0


def tracker_client(timeout: float = 10) -> httpx.AsyncClient:
    """The runtime's client for every tracker: a bounded wait on every step (connect, read,
    write, pool), no redirects followed (an API that redirects a write is misconfigured)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


def refusal(response: httpx.Response) -> TrackerError:
    """A tracker's non-2xx answer as a TrackerError: 5xx and 429 are worth retrying, and so are
    GitHub's 403 rate limits (x-ratelimit-remaining: 0, or a secondary limit); anything else
    (401, 404, 422 …) is not. `retry_after` from Retry-After, else x-ratelimit-reset."""
    status = response.status_code
    message = tracker_message(response)  # the status is kept apart, on the error
    retry_after = retry_after_header(response)
    if status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
        reset = rate_limit_reset(response)
        return TrackerError(
            message, status=status, retryable=True, retry_after=retry_after or reset
        )
    if status == 403 and (retry_after is not None or "secondary rate limit" in message.lower()):
        wait = retry_after if retry_after is not None else SECONDARY_LIMIT_WAIT
        return TrackerError(message, status=status, retryable=True, retry_after=wait)
    retryable = status == 429 or status >= 500
    return TrackerError(
        message, status=status, retryable=retryable, retry_after=retry_after if retryable else None
    )


def unreachable(error: httpx.HTTPError) -> TrackerError:
    """No answer: a timeout or a connection that failed is worth retrying (the tracker may be
    down for a while); a request we could not even build is not."""
    if isinstance(error, httpx.HTTPStatusError):
        return refusal(error.response)
    if isinstance(error, httpx.TimeoutException):
        return TrackerError(f"no answer within the timeout ({kind(error)})", retryable=True)
    if isinstance(error, httpx.TransportError) and not isinstance(
        error, httpx.UnsupportedProtocol | httpx.DecodingError
    ):
        return TrackerError(f"could not reach the tracker ({kind(error)})", retryable=True)
    return TrackerError(f"request failed ({kind(error)})")


def kind(error: Exception) -> str:
    """The error's class and text, never the request (its URL could carry a token)."""
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}"[:MAX_MESSAGE] if text else name


def tracker_message(response: httpx.Response) -> str:
    """What the tracker said, from its JSON: GitHub's `message` and `errors`, Jira's
    `errorMessages` and `errors` (field → message); the reason phrase otherwise."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            parts.append(body["message"])
        parts += [str(text) for text in body.get("errorMessages") or [] if text]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{field}: {text}" for field, text in errors.items()]
        elif isinstance(errors, list):
            parts += [described(entry) for entry in errors]
    text = "; ".join(part for part in parts if part) or response.reason_phrase
    return " ".join(text.split())[:MAX_MESSAGE]


def described(entry: Any) -> str:
    """One of GitHub's `errors`: a string, or {resource, field, code, message}."""
    if isinstance(entry, dict):
        if entry.get("message"):
            return str(entry["message"])
        return " ".join(str(entry[key]) for key in ("field", "code") if entry.get(key))
    return str(entry)


def retry_after_header(response: httpx.Response) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date counted from the answer's Date."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, moment - answered_at(response))


def rate_limit_reset(response: httpx.Response) -> float | None:
    """GitHub's x-ratelimit-reset (epoch seconds) as seconds from the answer, read against the
    answer's own Date so neither clock's skew matters."""
    value = response.headers.get("x-ratelimit-reset", "").strip()
    if not value.isdigit():
        return None
    return max(0.0, int(value) - answered_at(response))


def answered_at(response: httpx.Response) -> float:
    """When the tracker answered, by its Date header; by our clock when it sent none."""
    date = response.headers.get("date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()
