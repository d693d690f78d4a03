"""Reactions mark the timeline: a mapped emoji marks the message's event with a kind, each
person's reaction is one mark, and the event is marked while any remains."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import TimelineEvent, TimelineMark
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline.test_capture import events_of, seed_channel, seed_incident


async def marks_on(sessions: async_sessionmaker[AsyncSession], ts: str) -> set[tuple[str, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(TimelineMark.kind, TimelineMark.reaction, TimelineMark.marked_by)
            .join(TimelineEvent, TimelineEvent.id == TimelineMark.event_id)
            .where(TimelineEvent.ts == ts)
        )
        return {tuple(row) for row in rows}


async def test_a_pushpin_marks_a_key_event_at_the_messages_own_time(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    message = slack.message_event(channel, "failover to db-2 done", user="U0ALICE")
    await slack.event(message)
    pin = slack.reaction_event(True, "pushpin", user="U0BOB", channel=channel, ts=message["ts"])
    response = await slack.event(pin)
    assert response.status_code == 200
    assert await marks_on(sessions, message["ts"]) == {("key_event", "pushpin", "U0BOB")}
    [event] = await events_of(sessions)
    assert event.occurred_at == datetime.fromtimestamp(float(message["ts"]), UTC)


async def test_each_mapped_reaction_marks_its_kind_and_others_mark_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    message = slack.message_event(channel, "alert: error rate 40%", user="U0ALICE")
    await slack.event(message)
    for name in ("rotating_light", "bulb", "thumbsup", "white_check_mark", "+1::skin-tone-3"):
        await slack.event(
            slack.reaction_event(True, name, user="U0BOB", channel=channel, ts=message["ts"])
        )
    assert await marks_on(sessions, message["ts"]) == {
        ("detection", "rotating_light", "U0BOB"),
        ("lesson", "bulb", "U0BOB"),
    }


async def test_removing_the_last_marking_reaction_unmarks(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    message = slack.message_event(channel, "cause: expired cert", user="U0ALICE")
    await slack.event(message)
    ts = message["ts"]

    async def react(added: bool, user: str) -> None:
        event = slack.reaction_event(added, "pushpin", user=user, channel=channel, ts=ts)
        assert (await slack.event(event)).status_code == 200

    await react(True, "U0ALICE")
    await react(True, "U0BOB")
    await react(True, "U0BOB")  # a retry: still one mark per person
    await react(False, "U0ALICE")
    assert await marks_on(sessions, ts) == {("key_event", "pushpin", "U0BOB")}
    await react(False, "U0BOB")
    assert await marks_on(sessions, ts) == set()
    assert [e.text for e in await events_of(sessions)] == ["cause: expired cert"]


async def test_a_reaction_on_an_uncaptured_message_fetches_stores_and_marks_it(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    older = fake_slack.add_message(channel, text="disk 95% on db-1", user="U0ALICE")
    fake_slack.add_message(channel, text="newer chatter", user="U0BOB")
    reply = fake_slack.add_message(channel, text="it's the WAL", user="U0BOB", thread_ts=older)
    for ts, name in ((older, "rotating_light"), (reply, "bulb")):
        event = slack.reaction_event(True, name, user="U0ALICE", channel=channel, ts=ts)
        assert (await slack.event(event)).status_code == 200
    stored = {e.ts: e for e in await events_of(sessions)}
    assert set(stored) == {older, reply}
    assert stored[older].text == "disk 95% on db-1" and stored[reply].thread_ts == older
    assert await marks_on(sessions, older) == {("detection", "rotating_light", "U0ALICE")}
    assert await marks_on(sessions, reply) == {("lesson", "bulb", "U0ALICE")}
    [history, *_] = fake_slack.calls_to("conversations.history")
    assert history.args["latest"] == older and history.args["limit"] in (1, "1")
    assert fake_slack.calls_to("conversations.replies")  # the reply is found in its thread


async def test_reactions_outside_incident_channels_and_on_files_do_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack, "random")
    ts = fake_slack.add_message(channel, text="lunch?", user="U0ALICE")
    await slack.event(slack.reaction_event(True, "pushpin", user="U0BOB", channel=channel, ts=ts))
    incident_channel = seed_channel(fake_slack)
    await seed_incident(sessions, incident_channel)
    on_file = slack.reaction_event(True, "pushpin", user="U0BOB", channel=incident_channel, ts=ts)
    on_file["item"] = {"type": "file", "file": "F0GRAPH"}
    assert (await slack.event(on_file)).status_code == 200
    assert await events_of(sessions) == []
    assert not fake_slack.calls_to("conversations.history")
