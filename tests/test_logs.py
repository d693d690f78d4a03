"""Tokens never reach a log line, whichever library logs them."""

from __future__ import annotations

import io
import json
import logging
import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot import server
from bot.app import build_runtime
from bot.db import create_engine
from bot.logs import OWN_LOGGERS, RedactingFormatter, configure_logging, log_context, redact
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.test_cli import Running, base_env, free_port
from tests.timeline.test_capture import seed_channel, seed_incident


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-abcdEFGH",
        "xoxp-9-9-9-zz",
        "xapp-1-A0-123-abc",
        "xoxe.xoxp-1-abc",
        "xoxe-1-abcDEF-123",  # a refresh token (token rotation)
    ],
)
def test_slack_tokens_are_redacted(secret: str) -> None:
    line = redact(f"calling with token={secret} now")
    assert "abc" not in line.split("token=")[1].split(" ")[0].replace("[redacted]", "")
    assert "[redacted]" in line


def test_bearer_and_basic_headers_are_redacted() -> None:
    assert redact("Authorization: Bearer s3cr3t") == "Authorization: Bearer [redacted]"
    assert redact("Authorization: Basic aWQ6c2VjcmV0") == "Authorization: Basic [redacted]"


@pytest.mark.parametrize(
    "line",
    [
        "posting to HTTPS://HOOKS.SLACK.COM/commands/T0A/123/s3cr3t now",
        "url https://example.test/actions/T0A/123/s3cr3t",
        'json {"url": "https:\\/\\/h.test\\/app\\/T0A\\/123\\/s3cr3t"}',
        "form url=https%3A%2F%2Fh.test%2FAPP%2FT0A%2F123%2Fs3cr3t&x=1",
        "{'Response_URL': 's3cr3t'}",
        "AUTHORIZATION: BEARER s3cr3t",
        "token XOXB-1-2-s3cr3t",
    ],
)
def test_every_shape_is_redacted_whatever_its_case(line: str) -> None:
    """The quick look for markers before the pattern misses none of the pattern's shapes."""
    assert "s3cr3t" not in redact(line)


def test_formatter_redacts_arguments_too() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s", ("xoxb-1-2-s3cr3t",), None
    )
    assert "s3cr3t" not in RedactingFormatter("%(message)s").format(record)


# --- the served app at DEBUG and TRACE ----------------------------------------------------

SECRET_MESSAGE = "db password is hunter2-7f3a9c"
SECRET_EVENT = "rotated key sk-live-51Hq8"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    names = (*OWN_LOGGERS, "alembic.runtime.plugins")
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in names}
    access_filters = logging.getLogger("uvicorn.access").filters[:]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("uvicorn.access").filters[:] = access_filters
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


async def served_log(
    fake_slack: FakeSlack, database_url: str, level: str, fmt: str = "text"
) -> tuple[str, list[str]]:
    """Everything the served app logs while it stores a message, takes a command with a
    response_url and answers another through its response_url; and the response_urls."""
    stream = io.StringIO()
    # Before the app is built, as `hindsight serve` does.
    configure_logging(level, fmt=fmt, stream=stream)
    runtime = build_runtime(make_settings(fake_slack, database_url, LOG_LEVEL=level))
    async with serve_app(runtime) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        channel = seed_channel(fake_slack)
        await seed_incident(runtime.sessions, channel)
        response_urls = []
        stored = await slack.event(slack.message_event(channel, SECRET_MESSAGE, user="U0ALICE"))
        added = await slack.command(f"event {SECRET_EVENT}", channel_id=channel)
        response_urls.append(slack.last_payload["response_url"])
        shown = await slack.command("timeline all", channel_id=channel)
        response_urls.append(slack.last_payload["response_url"])
        assert [r.status_code for r in (stored, added, shown)] == [200, 200, 200]
        [answer] = await fake_slack.wait_for("response_url")
        assert SECRET_MESSAGE in json.dumps(answer.args)  # the timeline went by response_url
    return stream.getvalue(), response_urls


async def test_debug_logs_hold_no_message_text_and_no_response_url(
    fake_slack: FakeSlack, database_url: str, restore_logging: None
) -> None:
    log, response_urls = await served_log(fake_slack, database_url, "DEBUG")
    assert logging.getLogger("bot.timeline.messages").isEnabledFor(logging.DEBUG)  # ours at DEBUG
    for library in ("slack_bolt.AsyncApp", "slack_sdk.web.async_base_client", "aiosqlite"):
        assert not logging.getLogger(library).isEnabledFor(logging.DEBUG)
    assert "POST /slack/events" in log  # the requests were logged, their bodies were not
    for secret in (SECRET_MESSAGE, SECRET_EVENT, "hunter2", BOT_TOKEN, SIGNING_SECRET):
        assert secret not in log
    for url in response_urls:
        assert url.rsplit("/", 1)[1] not in log


async def test_trace_logs_payloads_but_still_no_token_or_response_url(
    fake_slack: FakeSlack, database_url: str, restore_logging: None
) -> None:
    log, response_urls = await served_log(fake_slack, database_url, "TRACE")
    assert SECRET_MESSAGE in log  # what TRACE is for
    assert "slack_sdk.webhook" in log  # the response_url post was logged, its URL redacted
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log
    for url in response_urls:
        assert url.rsplit("/", 1)[1] not in log


async def test_a_database_error_does_not_quote_the_values(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as failed:
                await connection.execute(text("INSERT INTO nowhere VALUES (:t)"), {"t": "hunter2"})
    finally:
        await engine.dispose()
    assert "nowhere" in str(failed.value) and "hunter2" not in str(failed.value)


# --- LOG_FORMAT=json ------------------------------------------------------------------------

JSON_KEYS = {
    "time",
    "level",
    "logger",
    "message",
    "team",
    "incident",
    "request_kind",
    "slack_method",
    "duration_ms",
}


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def test_json_lines_carry_the_context_and_the_duration(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", fmt="json", stream=stream)
    log = logging.getLogger("bot.test")
    with log_context(team="T0TEAM9", incident=42):
        log.info("swept %d item(s)", 3, extra={"duration_ms": 12.5})
    log.info("outside")
    inside, outside = json_lines(stream.getvalue())
    assert set(inside) == JSON_KEYS
    assert inside["message"] == "swept 3 item(s)"
    assert (inside["level"], inside["logger"]) == ("INFO", "bot.test")
    assert (inside["team"], inside["incident"], inside["duration_ms"]) == ("T0TEAM9", 42, 12.5)
    assert datetime.fromisoformat(inside["time"]).tzinfo is not None
    assert (outside["team"], outside["incident"], outside["duration_ms"]) == (None, None, None)


def test_json_redacts_the_message_and_the_traceback(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", fmt="json", stream=stream)
    try:
        raise RuntimeError("refused token xoxb-1-2-s3cr3t at hooks.slack.com/commands/T1/2/abc")
    except RuntimeError:
        logging.getLogger("bot.test").exception("call with %s failed", "xoxp-9-9-hunter2")
    [line] = json_lines(stream.getvalue())
    for secret in ("s3cr3t", "hunter2", "/abc"):
        assert secret not in stream.getvalue()
    assert line["message"] == "call with xoxp-[redacted] failed"
    assert "RuntimeError: refused token xoxb-[redacted]" in line["exception"]


async def test_served_app_json_lines_name_kind_team_incident_and_slack_method(
    fake_slack: FakeSlack, database_url: str, restore_logging: None
) -> None:
    log, response_urls = await served_log(fake_slack, database_url, "DEBUG", fmt="json")
    lines = json_lines(log)
    for secret in (SECRET_MESSAGE, SECRET_EVENT, "hunter2", BOT_TOKEN, SIGNING_SECRET):
        assert secret not in log
    for url in response_urls:
        assert url.rsplit("/", 1)[1] not in log
    assert {line["request_kind"] for line in lines} >= {"event", "command"}
    in_request = [line for line in lines if line["request_kind"] is not None]
    assert {line["team"] for line in in_request} == {TEAM_ID}
    assert any(line["incident"] is not None for line in in_request)
    calls = [line for line in lines if line["slack_method"] is not None]
    assert calls, "no Web API call was logged"
    timed = [line for line in calls if line["duration_ms"] is not None]
    assert timed and all(line["duration_ms"] >= 0 for line in timed)


async def test_a_late_ack_is_a_warning_with_its_duration(
    fake_slack: FakeSlack,
    database_url: str,
    restore_logging: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server, "SLOW_ACK_SECONDS", 0.0)  # every ack counts as late
    stream = io.StringIO()
    configure_logging("INFO", fmt="json", stream=stream)
    runtime = build_runtime(make_settings(fake_slack, database_url, LOG_LEVEL="INFO"))
    async with serve_app(runtime) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        channel = seed_channel(fake_slack)
        assert (await slack.event(slack.message_event(channel, "hi", user="U0ALICE"))).is_success
    [late] = [line for line in json_lines(stream.getvalue()) if line["logger"] == "bot.server"]
    assert late["level"] == "WARNING" and late["message"].startswith("event answered 200 in ")
    assert (late["request_kind"], late["team"]) == ("event", TEAM_ID)
    assert late["duration_ms"] > 0


def test_hindsight_serve_with_log_format_json_writes_one_object_a_line(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """The real command: LOG_FORMAT=json from the environment, every stderr line an object,
    from start-up through a scrape of /metrics to the shutdown after SIGTERM."""
    port = free_port()
    env = base_env() | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hindsight.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_FORMAT": "json",
    }
    running = Running(env, tmp_path)
    try:
        running.wait_for("Uvicorn running on", count=1)
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        running.wait_for("GET /metrics", count=1)
    finally:
        code, _, stderr = running.stop(signal.SIGTERM)
    assert code == 0, stderr
    assert scraped.status_code == 200 and "hindsight_http_ack_seconds" in scraped.text
    lines = json_lines(stderr)
    assert all(set(line) >= JSON_KEYS for line in lines)
    assert {"bot.serve", "uvicorn.access", "bot.app"} <= {line["logger"] for line in lines}
    assert BOT_TOKEN not in stderr and SIGNING_SECRET not in stderr


async def test_at_info_stored_messages_get_no_access_line_but_commands_and_failures_do(
    fake_slack: FakeSlack, database_url: str, restore_logging: None
) -> None:
    """One line per message in a busy channel would be noise: /metrics counts them. A
    command, a refused request and DEBUG keep their lines."""
    stream = io.StringIO()
    configure_logging("INFO", fmt="json", stream=stream)
    runtime = build_runtime(make_settings(fake_slack, database_url, LOG_LEVEL="INFO"))
    async with serve_app(runtime) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        channel = seed_channel(fake_slack)
        await seed_incident(runtime.sessions, channel)
        for number in range(3):
            stored = await slack.event(slack.message_event(channel, f"m{number}", user="U0A"))
            assert stored.status_code == 200
        assert (await slack.command("help", channel_id=channel)).status_code == 200
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                bot.events_url,
                content=b'{"type": "event_callback"}',
                headers={"x-slack-signature": "v0=0", "content-type": "application/json"},
            )
        assert forged.status_code == 401
    access = [line for line in json_lines(stream.getvalue()) if line["logger"] == "uvicorn.access"]
    kinds = sorted((line["request_kind"], line["message"].rsplit(" ", 1)[-1]) for line in access)
    assert kinds == [("command", "200"), ("event", "401")]
    configure_logging("DEBUG", fmt="json", stream=stream)  # at DEBUG every request has its line
    assert logging.getLogger("uvicorn.access").filters == []
