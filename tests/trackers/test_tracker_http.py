"""How a tracker's answer or silence is read: what is retried, after how long, and the message
kept for the item."""

from __future__ import annotations

import httpx
import pytest

from bot.trackers.http import refusal, tracker_client, unreachable

DATE = "Fri, 04 Dec 2026 18:00:00 GMT"
EPOCH_AT_DATE = 1_796_407_200  # the same moment


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    request = httpx.Request("POST", "https://api.github.test/repos/acme/ops/issues")
    if body is None:
        return httpx.Response(status, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(status: int) -> None:
    error = refusal(answer(status, {"message": "Server Error"}))
    assert error.retryable and error.status == status and error.retry_after is None
    assert error.message == "Server Error"


def test_429_honours_retry_after_in_seconds_or_as_a_date() -> None:
    assert refusal(answer(429, **{"Retry-After": "7"})).retry_after == 7.0
    dated = refusal(answer(429, **{"Retry-After": "Fri, 04 Dec 2026 18:01:30 GMT"}, date=DATE))
    assert dated.retryable and dated.retry_after == 90.0


def test_github_primary_rate_limit_waits_until_the_reset() -> None:
    error = refusal(
        answer(
            403,
            {"message": "API rate limit exceeded for installation ID 1."},
            **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(EPOCH_AT_DATE + 45)},
            date=DATE,
        )
    )
    assert error.retryable and error.retry_after == 45.0
    assert error.message == "API rate limit exceeded for installation ID 1."


def test_github_secondary_rate_limit_is_retried_after_a_minute() -> None:
    error = refusal(answer(403, {"message": "You have exceeded a secondary rate limit."}))
    assert error.retryable and error.retry_after == 60.0


def test_a_plain_403_and_validation_errors_are_final_with_the_trackers_words() -> None:
    forbidden = refusal(answer(403, {"message": "Resource not accessible by integration"}))
    assert not forbidden.retryable and forbidden.retry_after is None
    github = refusal(
        answer(
            422,
            {
                "message": "Validation Failed",
                "errors": [{"resource": "Issue", "field": "assignees", "code": "invalid"}],
            },
        )
    )
    assert github.message == "Validation Failed; assignees invalid" and github.status == 422
    jira = refusal(
        answer(400, {"errorMessages": [], "errors": {"duedate": "Due date is not on screen."}})
    )
    assert not jira.retryable and jira.message == "duedate: Due date is not on screen."
    assert refusal(answer(404)).message == "Not Found"


def test_timeouts_and_refused_connections_are_retried() -> None:
    request = httpx.Request("GET", "https://api.github.test/")
    timeout = unreachable(httpx.ReadTimeout("timed out", request=request))
    assert timeout.retryable and "ReadTimeout" in timeout.message
    refused = unreachable(httpx.ConnectError("Connection refused", request=request))
    assert refused.retryable
    assert not unreachable(httpx.UnsupportedProtocol("ftp", request=request)).retryable


async def test_the_client_times_out_on_a_silent_tracker() -> None:
    import asyncio

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(2)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, tracker_client(timeout=0.2) as client:
        with pytest.raises(httpx.TimeoutException) as silence:
            await client.get(f"http://127.0.0.1:{port}/")
    error = unreachable(silence.value)
    assert error.retryable and error.status is None
