"""Capture: every message in an incident channel becomes a timeline event, committed before the
200 goes out, true to every edit and deletion, stored once however often Slack delivers it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.timeline.messages import StoreMessage, captured_from_slack
from bot.timeline.writer import CaptureWriter
from models import Incident, Severity, TimelineEvent
from tests.conftest import TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests

TEAM_B = "T0TEAM2"


def seed_channel(fake_slack: FakeSlack, name: str = "inc-db-outage") -> str:
    for user_id, name_ in (("U0ALICE", "alice"), ("U0BOB", "bob")):
        fake_slack.add_user(user_id, name=name_)
    return fake_slack.add_channel(name, members=["U0ALICE", "U0BOB"], bot_is_member=True)


async def seed_incident(
    sessions: async_sessionmaker[AsyncSession],
    channel_id: str,
    *,
    team_id: str = TEAM_ID,
    number: int = 1,
) -> int:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=team_id,
            number=number,
            title="Database outage",
            severity=Severity.SEV2,
            channel_id=channel_id,
            declared_by="U0ALICE",
        )
        session.add(incident)
        await session.flush()
        return incident.id


async def events_of(
    sessions: async_sessionmaker[AsyncSession], team_id: str = TEAM_ID
) -> list[TimelineEvent]:
    async with sessions() as session:
        found = await session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.team_id == team_id)
            .order_by(TimelineEvent.occurred_at)
        )
        return list(found)


async def test_a_message_is_committed_before_the_200_goes_out(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    event = slack.message_event(channel, "db-1 is refusing connections", user="U0ALICE")
    response = await slack.event(event)
    # No waiting, no polling: the row exists the moment the response has arrived.
    [stored] = await events_of(sessions)
    assert response.status_code == 200
    assert (stored.incident_id, stored.channel_id, stored.ts) == (incident_id, channel, event["ts"])
    assert stored.text == "db-1 is refusing connections" and stored.author_id == "U0ALICE"
    assert stored.occurred_at == datetime.fromtimestamp(float(event["ts"]), UTC)
    assert stored.thread_ts is None and stored.edited_at is None and stored.deleted_at is None


async def test_a_write_that_fails_answers_500_so_slack_retries(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    assert (await slack.event(slack.message_event(channel, "first", user="U0ALICE"))).is_success
    async with sessions() as session, session.begin():  # the (cached) incident disappears
        await session.execute(delete(Incident).where(Incident.id == incident_id))
    response = await slack.event(slack.message_event(channel, "orphan", user="U0ALICE"))
    assert response.status_code == 500
    assert await events_of(sessions) == []


async def test_one_bad_change_fails_only_its_own_request_in_a_batch(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    good, doomed = seed_channel(fake_slack), fake_slack.add_channel("inc-doomed")
    await seed_incident(sessions, good)
    doomed_id = await seed_incident(sessions, doomed, number=2)
    await slack.event(slack.message_event(doomed, "caches the incident", user="U0ALICE"))
    async with sessions() as session, session.begin():
        await session.execute(delete(Incident).where(Incident.id == doomed_id))
    events = [slack.message_event(good, f"update {n}", user="U0BOB") for n in range(30)]
    bad = slack.message_event(doomed, "lost channel", user="U0BOB")
    responses = await asyncio.gather(*(slack.event(e) for e in [*events[:15], bad, *events[15:]]))
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 15 + [500] + [200] * 15
    assert sorted(e.text or "" for e in await events_of(sessions)) == sorted(
        e["text"] for e in events
    )


async def test_threads_other_bots_and_file_shares_are_captured(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    parent = slack.message_event(channel, "latency is up", user="U0ALICE")
    reply = slack.message_event(channel, "looking", user="U0BOB", thread_ts=parent["ts"])
    broadcast = slack.message_event(
        channel, "found it", user="U0BOB", thread_ts=parent["ts"], subtype="thread_broadcast"
    )
    alert = {
        "type": "message",
        "subtype": "bot_message",
        "text": "",
        "username": "PagerDuty",
        "bot_id": "B0PAGER",
        "attachments": [{"fallback": "[Triggered] db-1 p99 > 2s", "title": "db-1 p99 > 2s"}],
        "channel": channel,
        "ts": fake_slack.next_ts(),
    }
    app_bot = slack.message_event(channel, "deploy 42 rolled back", user="U0DEPLOYBOT")
    app_bot.update(bot_id="B0DEPLOY", bot_profile={"name": "deploybot"})
    file = {
        "id": "F0GRAPH",
        "name": "p99.png",
        "title": "p99 graph",
        "permalink": "https://acme.slack.com/files/U0BOB/F0GRAPH/p99.png",
        "url_private": "https://files.slack.com/files-pri/T0TEAM1-F0GRAPH/p99.png",
        "public_url_shared": False,
    }
    share = slack.message_event(channel, "graph", user="U0BOB", subtype="file_share", files=[file])
    for event in (parent, reply, broadcast, alert, app_bot, share):
        assert (await slack.event(event)).status_code == 200
    stored = {e.ts: e for e in await events_of(sessions)}
    assert stored[reply["ts"]].thread_ts == parent["ts"] and stored[parent["ts"]].thread_ts is None
    assert stored[broadcast["ts"]].thread_ts == parent["ts"]
    assert stored[alert["ts"]].author_id == "B0PAGER"
    assert stored[alert["ts"]].author_name == "PagerDuty"
    assert "db-1 p99 > 2s" in (stored[alert["ts"]].text or "")
    assert stored[app_bot["ts"]].author_name is None  # has a user; named when rendered
    assert stored[share["ts"]].files == [
        {"name": "p99.png", "title": "p99 graph", "permalink": file["permalink"]}
    ]
    assert not [c for c in fake_slack.calls if c.method.startswith("files.")]  # never made public


async def test_the_bots_own_messages_and_channel_noise_are_not_timeline_content(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    own = slack.message_event(channel, "INC-1 header", user=fake_slack.bot_user_id)
    own.update(bot_id=fake_slack.bot_id)
    noise = [
        slack.message_event(channel, f"<@U0BOB> {what}", user="U0BOB", subtype=subtype)
        for subtype, what in (
            ("channel_join", "has joined the channel"),
            ("channel_leave", "has left the channel"),
            ("channel_topic", "set the channel topic: db"),
            ("channel_purpose", "set the channel purpose: db"),
            ("pinned_item", "pinned a message"),
        )
    ]
    parent = slack.message_event(channel, "thread parent", user="U0ALICE")
    replied = {  # only says the parent got a reply (the reply is an event of its own)
        "type": "message",
        "subtype": "message_replied",
        "hidden": True,
        "channel": channel,
        "ts": fake_slack.next_ts(),
        "message": {**parent, "reply_count": 1, "thread_ts": parent["ts"]},
    }
    for event in (own, *noise, replied):
        assert (await slack.event(event)).status_code == 200
    own_edit = slack.message_changed_event(
        channel, ts=own["ts"], text="INC-1 header (SEV1)", user=fake_slack.bot_user_id
    )
    assert (await slack.event(own_edit)).status_code == 200
    assert await events_of(sessions) == []


async def test_a_message_outside_incident_channels_stores_nothing_until_declared(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack, "random")
    await slack.event(slack.message_event(channel, "lunch?", user="U0ALICE"))
    await slack.event(slack.message_event(channel, "sure", user="U0BOB"))
    assert await events_of(sessions) == []
    # Declared elsewhere (another replica): the next message finds it in the database.
    await seed_incident(sessions, channel)
    await slack.event(slack.message_event(channel, "now it's an incident", user="U0ALICE"))
    assert [e.text for e in await events_of(sessions)] == ["now it's an incident"]


async def test_edits_keep_the_latest_text_and_deletions_remove_it(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    kept = slack.message_event(channel, "restartng db-1", user="U0ALICE")
    gone = slack.message_event(channel, "the password is hunter2", user="U0BOB")
    await slack.event(kept)
    await slack.event(gone)
    edit = slack.message_changed_event(
        channel, ts=kept["ts"], text="restarting db-1", user="U0ALICE"
    )
    await slack.event(edit)
    await slack.event(slack.message_deleted_event(channel, ts=gone["ts"], user="U0BOB"))
    stored = {e.ts: e for e in await events_of(sessions)}
    assert stored[kept["ts"]].text == "restarting db-1"
    assert stored[kept["ts"]].edited_at == datetime.fromtimestamp(float(edit["ts"]), UTC)
    assert stored[kept["ts"]].occurred_at == datetime.fromtimestamp(float(kept["ts"]), UTC)
    assert stored[gone["ts"]].text is None and stored[gone["ts"]].deleted_at is not None
    # A late retry of the original, or an older edit, changes nothing.
    await slack.event(kept, event_id="EvLATE1")
    older = slack.message_changed_event(channel, ts=kept["ts"], text="restartng", user="U0ALICE")
    older["message"]["edited"]["ts"] = kept["ts"]
    await slack.event(older)
    await slack.event(gone, retry_num=1)
    stored = {e.ts: e for e in await events_of(sessions)}
    assert stored[kept["ts"]].text == "restarting db-1" and stored[gone["ts"]].text is None


async def test_a_thread_parent_deleted_under_its_replies_loses_its_text(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    parent = slack.message_event(channel, "customer data in here", user="U0ALICE")
    reply = slack.message_event(channel, "ack", user="U0BOB", thread_ts=parent["ts"])
    await slack.event(parent)
    await slack.event(reply)
    # Slack keeps a "This message was deleted." tombstone so the thread survives.
    tombstone = slack.message_changed_event(
        channel, ts=parent["ts"], text="This message was deleted.", user="USLACKBOT"
    )
    tombstone["message"].update(subtype="tombstone", hidden=True, thread_ts=parent["ts"])
    assert (await slack.event(tombstone)).status_code == 200
    stored = {e.ts: e for e in await events_of(sessions)}
    assert stored[parent["ts"]].text is None and stored[parent["ts"]].deleted_at is not None
    assert stored[reply["ts"]].text == "ack"


async def test_edits_and_deletions_that_arrive_before_the_original_win(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    edited = slack.message_event(channel, "db-2 is fine", user="U0ALICE")
    deleted = slack.message_event(channel, "oops wrong channel", user="U0BOB")
    await slack.event(
        slack.message_changed_event(
            channel, ts=edited["ts"], text="db-2 is NOT fine", user="U0ALICE", previous_text="x"
        )
    )
    await slack.event(
        slack.message_deleted_event(channel, ts=deleted["ts"], user="U0BOB", previous_text="x")
    )
    await slack.event(edited)
    await slack.event(deleted)
    stored = {e.ts: e for e in await events_of(sessions)}
    assert stored[edited["ts"]].text == "db-2 is NOT fine"
    assert stored[edited["ts"]].author_id == "U0ALICE"
    assert stored[deleted["ts"]].text is None and stored[deleted["ts"]].deleted_at is not None
    assert stored[deleted["ts"]].author_id == "U0BOB"


async def test_retries_and_concurrent_duplicates_are_stored_once(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel)
    event = slack.message_event(channel, "paging the on-call", user="U0ALICE")
    first = await slack.event(event, event_id="Ev0RETRY")
    retries = [slack.event(event, event_id="Ev0RETRY", retry_num=n) for n in (1, 2, 3)]
    duplicates = [slack.event(event) for _ in range(5)]
    responses = await asyncio.gather(*retries, *duplicates)
    assert all(r.status_code == 200 for r in (first, *responses))
    assert [e.text for e in await events_of(sessions)] == ["paging the on-call"]


async def test_team_a_messages_never_appear_for_team_b(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)  # the same channel id in two workspaces
    incident_a = await seed_incident(sessions, channel)
    incident_b = await seed_incident(sessions, channel, team_id=TEAM_B)
    ts = fake_slack.next_ts()
    await slack.event(slack.message_event(channel, "team A secret", user="U0ALICE", ts=ts))
    fake_slack.clear_calls()
    # The bot is installed in team A only: team B's events are taken (200, so Slack does not
    # deliver them again) and ignored, even the deletion of a message with the same ts.
    event_b = slack.message_event(channel, "team B note", user="U0BOB", ts=ts, team_id=TEAM_B)
    deleted_b = slack.message_deleted_event(channel, ts=ts, user="U0BOB", team_id=TEAM_B)
    for event in (event_b, deleted_b):
        response = await slack.event(event, team_id=TEAM_B)
        assert response.status_code == 200
    [a] = await events_of(sessions, TEAM_ID)
    assert (a.incident_id, a.text, a.deleted_at) == (incident_a, "team A secret", None)
    assert await events_of(sessions, TEAM_B) == [] and incident_b != incident_a
    assert fake_slack.calls == []


async def test_the_writer_groups_concurrent_changes_and_drains_on_stop(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    incident_id = await seed_incident(sessions, "C0INC")
    writer = CaptureWriter(sessions)
    writer.start()
    messages = [
        captured_from_slack(
            {"type": "message", "user": "U0ALICE", "text": f"m{n}", "ts": f"1700000000.{n:06d}"},
            team_id=TEAM_ID,
            channel_id="C0INC",
            bot_user_id="U0BOT",
            bot_id="B0BOT",
        )
        for n in range(200)
    ]
    pending = [
        asyncio.create_task(writer.submit(incident_id, StoreMessage(m))) for m in messages if m
    ]
    await asyncio.sleep(0)  # every request has queued its change
    await writer.stop()
    await asyncio.gather(*pending)  # every request was answered, none failed
    assert writer.batches < 200  # grouped, not one commit per message
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(TimelineEvent))
    assert count == 200
