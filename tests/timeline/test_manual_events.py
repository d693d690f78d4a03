"""`/postmortem event <time> <text>`: what happened before the channel existed, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.installation import NOT_INSTALLED
from models import EventSource
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline_seed import events_of, seed_cached_user, seed_incident

PARIS = ZoneInfo("Europe/Paris")
TEAM_B = "T0TEAM2"


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    fake_slack.add_user("U0ALICE", name="alice", tz="Europe/Paris")
    return fake_slack.add_channel("inc-checkout", members=["U0ALICE"], bot_is_member=True)


async def test_an_event_is_stored_at_a_dated_time_in_the_persons_zone(
    slack: SlackRequests, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    response = await slack.command(
        "event 2025-11-20 14:05 Deploy 4512 went out", channel_id=channel, user_id="U0ALICE"
    )
    [event] = await events_of(sessions)
    assert event.source == EventSource.MANUAL
    assert event.incident_id == incident.id and event.author_id == "U0ALICE"
    assert event.text == "Deploy 4512 went out"
    assert event.occurred_at == datetime(2025, 11, 20, 13, 5, tzinfo=UTC)  # 14:05 in Paris
    assert event.ts is None and event.channel_id is None
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    epoch = int(event.occurred_at.timestamp())
    assert f"<!date^{epoch}^{{date_short}} {{time}}|Nov 20, 2025 14:05>" in answer["text"]
    assert "INC-1" in answer["text"] and "Europe/Paris" in answer["text"]


async def test_without_a_date_the_time_is_today_where_the_person_is(
    slack: SlackRequests, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    await slack.command("event 00:00 Midnight batch started", channel_id=channel, user_id="U0ALICE")
    [event] = await events_of(sessions)
    today_in_paris = datetime.now(PARIS).date()
    assert event.occurred_at == datetime(
        today_in_paris.year, today_in_paris.month, today_in_paris.day, tzinfo=PARIS
    )


async def test_yesterday_and_twelve_hour_times_are_understood(
    slack: SlackRequests, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    await slack.command(
        "event yesterday 11:40pm Disk filled", channel_id=channel, user_id="U0ALICE"
    )
    [event] = await events_of(sessions)
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    local = event.occurred_at.astimezone(PARIS)
    assert (local.date(), local.hour, local.minute) == (yesterday, 23, 40)


async def test_a_person_without_a_known_zone_gets_utc(
    slack: SlackRequests, served_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    sessions = served_bot.runtime.sessions
    channel = fake_slack.add_channel("inc-zoneless", bot_is_member=True)
    await seed_incident(sessions, channel)
    await seed_cached_user(sessions, "U0NOTZ", "nomad", tz=None)
    response = await slack.command(
        "event 2025-11-20 14:05 Alert fired", channel_id=channel, user_id="U0NOTZ"
    )
    [event] = await events_of(sessions)
    assert event.occurred_at == datetime(2025, 11, 20, 14, 5, tzinfo=UTC)
    assert "(UTC)" in response.json()["text"]
    assert fake_slack.calls_to("users.info") == []  # the cache answered


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("event", "Give a time"),
        ("event 14:05", "Say what happened"),
        ("event 14:05    ", "Say what happened"),
        ("event lunchtime the db fell over", "isn't a time"),
        ("event 25:99 nope", "isn't a time of day"),
        ("event 2025-13-01 10:00 nope", "isn't a date"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_stores_nothing(
    slack: SlackRequests, served_bot: ServedBot, channel: str, typed: str, says: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    response = await slack.command(typed, channel_id=channel, user_id="U0ALICE")
    answer = response.json()
    assert response.status_code == 200 and answer["response_type"] == "ephemeral"
    assert says in answer["text"]
    if says != "isn't a date":
        assert "/postmortem event 14:05" in answer["text"]  # an example to copy
    assert await events_of(sessions) == []


async def test_a_time_in_the_future_is_refused(
    slack: SlackRequests, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    response = await slack.command(
        f"event {tomorrow.isoformat()} 09:00 Not yet", channel_id=channel, user_id="U0ALICE"
    )
    assert "future" in response.json()["text"]
    assert await events_of(sessions) == []


async def test_outside_an_incident_channel_it_says_how_to_declare(
    slack: SlackRequests, served_bot: ServedBot, channel: str, fake_slack: FakeSlack
) -> None:
    general = fake_slack.add_channel("general", members=["U0ALICE"], bot_is_member=True)
    response = await slack.command("event 10:00 Something", channel_id=general, user_id="U0ALICE")
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "isn't an incident channel" in answer["text"] and "/postmortem declare" in answer["text"]
    assert await events_of(served_bot.runtime.sessions) == []


async def test_another_workspace_cannot_add_to_this_incident(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_incident(sessions, channel)
    response = await slack.command(
        "event 2025-11-20 10:00 Sneaky", channel_id=channel, user_id="U0ALICE", team_id=TEAM_B
    )
    assert response.status_code == 200 and response.text == NOT_INSTALLED
    assert await events_of(sessions) == [] and await events_of(sessions, TEAM_B) == []
    # Only the bot's own identity was asked; nothing was looked up or posted for team B.
    assert [call.method for call in fake_slack.calls] == ["auth.test"]
