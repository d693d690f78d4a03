"""`/postmortem timeline [all]`: the marked moments (or everything) in time order, with dates and
times in the viewer's zone, names, kinds and links, within Slack's message limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.installation import NOT_INSTALLED
from bot.timeline.shapes import Permalinks, Timeline, TimelineEntry
from bot.ui.text import clip
from bot.ui.timeline import MAX_BLOCKS, MAX_MESSAGES, SECTION_CHARS, timeline_messages
from models import EventSource, Incident, Severity, TimelineEvent, TimelineMark
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, validate_message_blocks
from tests.timeline_seed import (
    Sessions,
    seed_event,
    seed_incident,
    seed_mark,
    seed_message,
    ts_of,
)

TEAM_B = "T0TEAM2"
START = datetime(2025, 11, 20, 22, 30, tzinfo=UTC)  # 17:30 in New York, 23:30 in Paris


COUNT = 1000  # more than three messages of 50 blocks can show


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def texts(call_args: dict[str, Any]) -> str:
    """Every text in a message's blocks, joined (what the person reads)."""
    parts = []
    for block in call_args["blocks"]:
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [element.get("text", "") for element in block.get("elements") or []]
    return "\n".join(parts)


class Story:
    """A two-evening incident as the database holds it, and the channel as Slack holds it."""

    def __init__(self, fake: FakeSlack) -> None:
        fake.add_user("U0ALICE", name="alice", real_name="Alice Martin", tz="Europe/Paris")
        fake.add_user("U0BOB", name="bob", real_name="Bob Stone", tz="America/New_York")
        self.fake = fake
        self.channel = fake.add_channel(
            "inc-checkout", members=["U0ALICE", "U0BOB"], bot_is_member=True
        )

    def post(self, when: datetime, text: str, user: str | None, **extra: Any) -> str:
        return self.fake.add_message(self.channel, text=text, user=user, ts=ts_of(when), **extra)

    async def seed(self, sessions: Sessions) -> Incident:
        incident = await seed_incident(sessions, self.channel)
        self.incident = incident
        pd = self.post(at(-1), "CRITICAL checkout 5xx > 5%", None, bot_id="B0ALERTS")
        await seed_message(
            sessions,
            incident,
            pd,
            "CRITICAL checkout 5xx > 5%",
            author="B0ALERTS",
            author_name="PagerDuty",
        )
        self.detect = self.post(at(0), "db-1 is refusing connections", "U0ALICE")
        detect = await seed_message(sessions, incident, self.detect, "db-1 is refusing connections")
        await seed_mark(sessions, detect, "detection", marked_by="U0BOB", reaction="rotating_light")
        chatter = self.post(at(1), "looking", "U0BOB")
        await seed_message(sessions, incident, chatter, "looking", author="U0BOB")
        gone = ts_of(at(10))  # deleted in Slack too: no message to link to
        deleted = await seed_message(
            sessions, incident, gone, "", deleted_at=at(12), author="U0BOB"
        )
        await seed_mark(sessions, deleted, "key_event")
        self.deleted_id = deleted.id
        self.failover = self.post(at(30), "Failover to db-2 started", "U0ALICE")
        failover = await seed_message(
            sessions, incident, self.failover, "Failover to db-2 started", edited_at=at(31)
        )
        await seed_mark(sessions, failover, "action")
        self.reply = self.post(at(35), "replication lag 4s", "U0BOB", thread_ts=self.failover)
        reply = await seed_message(
            sessions,
            incident,
            self.reply,
            "replication lag 4s",
            author="U0BOB",
            thread_ts=self.failover,
        )
        await seed_mark(
            sessions,
            reply,
            "mitigation",
            marked_by="U0ALICE",
            reaction="",
            note="watch <replication> lag",
        )
        await seed_event(sessions, incident, at(-30), "Deploy 4512 went out")
        await seed_event(
            sessions,
            incident,
            at(40),
            "Status changed to monitoring by <@U0ALICE>",
            source=EventSource.SYSTEM,
        )
        self.green = self.post(at(165), "All green", "U0ALICE")  # 01:15 UTC on the 21st
        green = await seed_message(sessions, incident, self.green, "All green")
        await seed_mark(sessions, green, "resolution", marked_by="U0ALICE")
        return incident


@pytest.fixture
async def story(fake_slack: FakeSlack, served_bot: ServedBot) -> Story:
    story = Story(fake_slack)
    await story.seed(served_bot.runtime.sessions)
    return story


async def show(slack: SlackRequests, fake: FakeSlack, text: str, **where: str) -> list[Any]:
    before = len(fake.calls_to("response_url"))
    response = await slack.command(text, **where)
    assert response.status_code == 200 and response.text == ""  # the answer follows
    calls = await fake.wait_for("response_url", count=before + 1)
    return [call.args for call in calls[before:]]


async def test_marked_events_show_in_time_order_in_the_viewers_zone(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story
) -> None:
    [message] = await show(slack, fake_slack, "timeline", channel_id=story.channel, user_id="U0BOB")
    assert message["response_type"] == "ephemeral" and message["replace_original"] is False
    shown = texts(message)
    order = [
        "Deploy 4512 went out",
        "db-1 is refusing",
        "deleted",
        "Failover to db-2",
        "replication lag",
        "All green",
    ]
    positions = [shown.index(piece) for piece in order]
    assert positions == sorted(positions)
    for hidden in ("looking", "CRITICAL checkout", "Status changed"):
        assert hidden not in shown  # not marked (manual events count as marked)
    epoch = int(at(0).timestamp())
    assert f"<!date^{epoch}^{{date_short}} {{time}}|Nov 20, 2025 17:30>" in shown  # New York
    # 17:00 to 20:15 in New York is one evening: one day heading.
    assert len(re.findall(r"\{date_long\}", shown)) == 1
    assert "*Alice Martin*" not in shown and "*alice*" in shown  # display names, via users.info
    assert "`Detection`" in shown and "`Action`" in shown and "`Resolution`" in shown
    assert "_(edited)_" in shown and "↳ in a thread" in shown
    assert "_Note from alice: watch &lt;replication&gt; lag_" in shown
    assert "INC-1" in shown and "(6)" in shown


async def test_links_come_from_one_permalink_call_and_names_are_cached(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story
) -> None:
    [message] = await show(slack, fake_slack, "timeline", channel_id=story.channel, user_id="U0BOB")
    shown = texts(message)
    base = f"https://fake.slack.test/archives/{story.channel}/p"
    assert f"<{base}{story.detect.replace('.', '')}|view message>" in shown
    reply_link = f"{base}{story.reply.replace('.', '')}?thread_ts={story.failover}&cid="
    assert reply_link in shown
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1
    assert sorted(c.args["user"] for c in fake_slack.calls_to("users.info")) == [
        "U0ALICE",
        "U0BOB",
    ]
    await show(slack, fake_slack, "timeline all", channel_id=story.channel, user_id="U0BOB")
    assert len(fake_slack.calls_to("users.info")) == 2  # the cache answered the second time


async def test_deleted_messages_never_show_their_text_or_a_link(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story, served_bot: ServedBot
) -> None:
    async with served_bot.runtime.sessions() as session:  # a deletion the renderer must honour
        event = await session.get(TimelineEvent, story.deleted_id)
        assert event is not None and event.deleted_at is not None
        event.text = "the password is hunter2"
        await session.commit()
    [message] = await show(
        slack, fake_slack, "timeline all", channel_id=story.channel, user_id="U0BOB"
    )
    shown = texts(message)
    assert "hunter2" not in json.dumps(message)
    assert "_This message was deleted._" in shown
    assert ts_of(at(10)).replace(".", "") not in shown  # no link to it


async def test_all_shows_the_full_log_and_a_paris_viewer_sees_two_days(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story
) -> None:
    [message] = await show(
        slack, fake_slack, "timeline ALL", channel_id=story.channel, user_id="U0ALICE"
    )
    shown = texts(message)
    for piece in (
        "looking",
        "*PagerDuty*",
        "Status changed to monitoring",
        "_recorded by Hindsight_",
        "_added by hand_",
    ):
        assert piece in shown
    assert "full log (9)" in shown
    assert "|Nov 20, 2025 23:30>" in shown  # Paris
    headings = re.findall(r"\{date_long\}\|([^>]+)>", shown)
    assert headings == ["Thursday, November 20, 2025", "Friday, November 21, 2025"]
    assert fake_slack.calls_to("users.info")[0].args["user"] in ("U0ALICE", "U0BOB")
    assert not any(c.args["user"] == "B0ALERTS" for c in fake_slack.calls_to("users.info"))


async def test_nothing_marked_says_how_to_mark(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    fake_slack.add_user("U0BOB", name="bob")
    channel = fake_slack.add_channel("inc-quiet", members=["U0BOB"], bot_is_member=True)
    await seed_incident(served_bot.runtime.sessions, channel)
    [message] = await show(slack, fake_slack, "timeline", channel_id=channel, user_id="U0BOB")
    assert "Nothing is marked yet" in texts(message) and ":pushpin:" in texts(message)
    assert fake_slack.calls_to("chat.getPermalink") == []


async def test_outside_an_incident_channel_or_with_a_bad_argument_it_explains(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story
) -> None:
    general = fake_slack.add_channel("general", members=["U0BOB"], bot_is_member=True)
    outside = (await slack.command("timeline", channel_id=general, user_id="U0BOB")).json()
    assert outside["response_type"] == "ephemeral"
    assert "isn't an incident channel" in outside["text"]
    wrong = (await slack.command("timeline everything", channel_id=story.channel)).json()
    assert "/postmortem timeline all" in wrong["text"]
    assert fake_slack.calls_to("response_url") == []


async def test_another_workspace_never_sees_this_timeline(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    other = await seed_incident(sessions, story.channel, team_id=TEAM_B, title="Team B's own")
    secret = await seed_message(sessions, other, ts_of(at(5)), "B-ONLY secret", author="U0BOB")
    await seed_mark(sessions, secret)
    [a_view] = await show(
        slack, fake_slack, "timeline all", channel_id=story.channel, user_id="U0BOB"
    )
    assert "B-ONLY" not in json.dumps(a_view) and "Team B" not in json.dumps(a_view)
    fake_slack.clear_calls()
    refused = await slack.command(
        "timeline all", channel_id=story.channel, user_id="U0BOB", team_id=TEAM_B
    )
    assert refused.text == NOT_INSTALLED and fake_slack.calls == []  # nothing shown to B


async def test_a_long_timeline_is_split_and_then_cut_with_a_pointer_to_the_export(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    fake_slack.add_user("U0BOB", name="bob")
    channel = fake_slack.add_channel("inc-long", members=["U0BOB"], bot_is_member=True)
    sessions = served_bot.runtime.sessions
    incident = await seed_incident(sessions, channel)
    first = fake_slack.add_message(channel, text="first", user="U0BOB", ts=ts_of(START))
    rows = [
        {
            "team_id": incident.team_id,
            "incident_id": incident.id,
            "source": EventSource.MESSAGE,
            "channel_id": channel,
            "ts": ts,
            "author_id": "U0BOB",
            "text": f"step {n} " + "x" * 300,
            "occurred_at": datetime.fromtimestamp(float(ts), UTC),
        }
        for n in range(COUNT)
        for ts in [first if n == 0 else ts_of(START + timedelta(minutes=n))]
    ]
    async with sessions() as session, session.begin():
        await session.execute(insert(TimelineEvent), rows)
        ids = list(await session.scalars(select(TimelineEvent.id)))
        marks = [
            {
                "team_id": incident.team_id,
                "event_id": event_id,
                "kind": "key_event",
                "reaction": "pushpin",
                "marked_by": "U0BOB",
            }
            for event_id in ids
        ]
        await session.execute(insert(TimelineMark), marks)
    await show(slack, fake_slack, "timeline", channel_id=channel, user_id="U0BOB")
    await fake_slack.wait_for("response_url", count=MAX_MESSAGES)
    messages = [call.args for call in fake_slack.calls_to("response_url")]
    assert len(messages) == MAX_MESSAGES
    for message in messages:
        assert len(message["blocks"]) <= MAX_BLOCKS
        assert validate_message_blocks(message["blocks"]) == []
    shown = sum(len(re.findall(r"step \d+ ", texts(message))) for message in messages)
    footer = messages[-1]["blocks"][-1]["elements"][0]["text"]
    assert (
        footer == f"…and {COUNT - shown} more. `hindsight export INC-1` prints the whole timeline."
    )
    assert "(2/3)" in texts(messages[1])
    fake_slack.assert_no_rejections()


# ---- the builder on its own ------------------------------------------------------------------


def entry(n: int, text: str, *, day: int = 0) -> TimelineEntry:
    moment = START + timedelta(days=day, seconds=n)
    event = TimelineEvent(
        id=n,
        team_id="T1",
        incident_id=1,
        source=EventSource.MESSAGE,
        channel_id="C1",
        ts=ts_of(moment),
        author_id="U1",
        text=text,
        occurred_at=moment,
        files=[],
    )
    return TimelineEntry(event, (TimelineMark(kind="key_event", marked_by="U1", note=None),))


def incident() -> Incident:
    return Incident(
        id=1,
        team_id="T1",
        number=7,
        title="Cache <stampede> & co",
        severity=Severity.SEV1,
        channel_id="C1",
        declared_by="U1",
    )


def test_every_message_keeps_to_slacks_limits_whatever_the_events_hold() -> None:
    huge = [entry(n, "y" * 5000, day=n % 3) for n in range(400)]
    timeline = Timeline(incident=incident(), entries=huge, total=400, everything=False)
    messages = timeline_messages(
        timeline,
        names={"U1": "ann"},
        links=Permalinks("https://x.slack.com/archives/"),
        zone=ZoneInfo("Asia/Tokyo"),
    )
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        blocks = [block.to_dict() for block in message.blocks]
        assert len(blocks) <= MAX_BLOCKS and validate_message_blocks(blocks) == []
        assert all(len(b.get("text", {}).get("text", "")) <= SECTION_CHARS for b in blocks)
    assert "Cache &lt;stampede&gt; &amp; co" in messages[0].blocks[0].text.text


def test_events_cut_by_the_db_limit_are_counted_in_the_footer() -> None:
    timeline = Timeline(incident=incident(), entries=[entry(1, "hi")], total=5, everything=True)
    [message] = timeline_messages(timeline, names={}, links=None, zone=ZoneInfo("UTC"))
    assert "…and 4 more" in message.blocks[-1].elements[0].text


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("short", 10, "short"),
        ("see <https://example.com/a-long-path|the dashboard> now", 20, "see…"),
        ("fish &amp; chips", 9, "fish…"),
        ("plain words that run on", 12, "plain words…"),
    ],
)
def test_clipping_never_cuts_a_link_or_an_entity_in_half(
    text: str, limit: int, clipped: str
) -> None:
    assert clip(text, limit) == clipped


async def test_links_survive_a_deleted_first_message_and_a_lost_channel_means_no_links(
    slack: SlackRequests, fake_slack: FakeSlack, story: Story
) -> None:
    fake_slack.fail("chat.getPermalink", error="message_not_found")
    [message] = await show(slack, fake_slack, "timeline", channel_id=story.channel, user_id="U0BOB")
    assert len(fake_slack.calls_to("chat.getPermalink")) == 2  # the next message was asked
    assert "|view message>" in texts(message)
    fake_slack.fail("chat.getPermalink", error="channel_not_found")
    [message] = await show(slack, fake_slack, "timeline", channel_id=story.channel, user_id="U0BOB")
    assert "|view message>" not in texts(message) and "db-1 is refusing" in texts(message)
