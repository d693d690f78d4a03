"""The bot's Web API client goes where SLACK_API_URL says and retries what Slack asks it to."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack import RATE_LIMIT_RETRIES, create_web_client
from tests.conftest import BOT_TOKEN
from tests.fakeslack import FakeSlack


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sleeps Retry-After plus up to 1 s of jitter; tests need no jitter."""
    monkeypatch.setattr("random.random", lambda: 0.0)


async def test_rate_limited_and_failed_calls_are_retried(
    fake_slack: FakeSlack, no_jitter: None
) -> None:
    channel = fake_slack.add_channel("inc-test", bot_is_member=True)
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=1)
    fake_slack.fail("chat.postMessage", status=500, times=1)
    response = await client.chat_postMessage(channel=channel, text="Header")
    assert response["ok"] is True
    attempts = fake_slack.calls_to("chat.postMessage")
    assert [call.status for call in attempts] == [429, 500, 200]
    assert all(call.token == BOT_TOKEN for call in attempts)


async def test_a_rate_limit_that_never_lifts_is_raised_not_swallowed(
    fake_slack: FakeSlack, no_jitter: None
) -> None:
    channel = fake_slack.add_channel("inc-test", bot_is_member=True)
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=None)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=channel, text="Header")
    assert raised.value.response.status_code == 429
    assert len(fake_slack.calls_to("chat.postMessage")) == RATE_LIMIT_RETRIES + 1
