"""The served app over real HTTP: signatures, Slack's handshake, bad bodies, and help."""

from __future__ import annotations

import json
import time

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import ProcessedEvent, TimelineEvent
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests


async def count_rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        events = await session.scalar(select(func.count()).select_from(TimelineEvent))
        processed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    return int(events or 0) + int(processed or 0)


async def test_url_verification_challenge_is_answered(slack: SlackRequests) -> None:
    response = await slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_bad_signature_is_401_and_changes_nothing(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    response = await slack.post_raw(
        body, content_type="application/json", signature="v0=" + "0" * 64
    )
    assert response.status_code == 401
    command = await slack.post_raw(
        "command=%2Fpostmortem&text=help&team_id=T0TEAM1",
        content_type="application/x-www-form-urlencoded",
        signature="v0=deadbeef",
    )
    assert command.status_code == 401
    assert fake_slack.calls == []  # not even auth.test: nothing was processed
    assert await count_rows(served_bot.runtime.sessions) == 0


async def test_stale_signature_is_401(slack: SlackRequests) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    response = await slack.post_raw(
        body, content_type="application/json", timestamp=six_minutes_ago
    )
    assert response.status_code == 401


async def test_garbage_bodies_get_4xx_and_the_bot_keeps_serving(
    slack: SlackRequests, served_bot: ServedBot
) -> None:
    for body, content_type in [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        ("", "application/json"),
    ]:
        response = await slack.post_raw(body, content_type=content_type)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    unsigned = await slack.post_raw("{not json", content_type="application/json", signature="")
    assert unsigned.status_code == 401
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{served_bot.url}/healthz")
    assert health.status_code == 200
    help_answer = await slack.command("help")
    assert help_answer.status_code == 200 and "declare" in help_answer.text


async def test_help_lists_every_subcommand_ephemerally(
    slack: SlackRequests, fake_slack: FakeSlack
) -> None:
    response = await slack.command("help")
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    for sub in ("declare", "status", "severity", "role", "event", "timeline", "retro", "action"):
        assert f"/postmortem {sub}" in answer["text"]
    assert len(answer["blocks"]) >= 2
    # The app learned who it is from the fake, through SLACK_API_URL, exactly once.
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


async def test_no_text_and_unknown_subcommands_answer_with_help(slack: SlackRequests) -> None:
    empty = (await slack.command("")).json()
    assert empty["response_type"] == "ephemeral" and "/postmortem declare" in empty["text"]
    unknown = (await slack.command("frobnicate now")).json()
    assert unknown["response_type"] == "ephemeral"
    assert "Unknown subcommand `frobnicate`" in unknown["text"]
    assert "/postmortem help" in unknown["text"]


async def test_healthz_reports_the_database(served_bot: ServedBot) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{served_bot.url}/healthz")
        other = await client.get(f"{served_bot.url}/nowhere")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert other.status_code == 404
