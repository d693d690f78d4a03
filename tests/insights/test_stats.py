"""`/postmortem stats [30d|90d|365d]`: a seeded set of incidents with known times gives the exact
medians, 90th percentiles and counts in the message posted in the channel, with the chart
uploaded there as a PNG; the weekly digest and App Home show the headline; another team's
incidents never count. Signed requests to the served bot, the fake Slack, both databases.

The seed (NOW = 2026-11-25 10:00 UTC; "+5m" = minutes after the incident's start):

    INC  sev   started  detect          mitigate  resolve          postmortem          services
    1    SEV1  NOW-10d  +5m (marked)    +30m      +2h              published +1d       checkout
    2    SEV2  NOW-20d  +15m (picked;   +1h       +4h              published +3d       checkout,
                        a mark at +3m)                                                 payments
    3    SEV2  NOW-29d  +25m (column)   +2h       +7h (marked;     none                payments
                                                   column +8h)
    4    SEV3  NOW-40d  +1h (column)    —         — (investigating) none               —
    5    SEV3  NOW-50d  —               +30m      +30m             draft               checkout
    6    SEV4  NOW-60d  —               +1h       +1h              no postmortem needed —
    7    SEV1  NOW-100d outside 90d and 30d, inside 365d
    Team B: a SEV1 in the window with items and factors (never counted)
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import literal, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import UserInputError
from bot.followup.digest import post_weekly_digests
from bot.ids import Digest, Home, Stats
from bot.insights.stats import middle_ranks, nearest_rank, parse_window, spread
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Priority,
    Retrospective,
    Severity,
    TimelineEvent,
    TimelineMark,
)
from tests.clock import FrozenClock
from tests.conftest import TEAM_ID, ServedBot, make_settings
from tests.fakeslack import FakeSlack, SlackRequests

TEAM_B = "T0TEAM2"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Sessions = async_sessionmaker[AsyncSession]
m, h, d = (lambda n: timedelta(minutes=n)), (lambda n: timedelta(hours=n)), timedelta


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def sessions(served_bot: ServedBot) -> Sessions:
    return served_bot.runtime.sessions


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    return fake_slack.add_channel("sre-team", members=["U0ALICE"], bot_is_member=True)


# ---- seeding ----------------------------------------------------------------------------------


async def add(sessions: Sessions, *rows: Any) -> None:
    async with sessions() as session, session.begin():
        session.add_all(rows)


async def incident(
    sessions: Sessions,
    number: int,
    severity: Severity,
    started: datetime,
    *,
    team_id: str = TEAM_ID,
    status: IncidentStatus = IncidentStatus.RESOLVED,
    state: PostmortemState = PostmortemState.NONE,
    services: tuple[str, ...] = (),
    **times: Any,
) -> Incident:
    row = Incident(
        team_id=team_id,
        number=number,
        title=f"Incident {number} <!channel>",
        severity=severity,
        status=status,
        postmortem_state=state,
        channel_id=f"C0INC{number}{team_id[-1]}",
        declared_by="U0BOB",
        services=list(services),
        started_at=started,
        **{name: started + span for name, span in times.items() if name.endswith("_at")},
    )
    await add(sessions, row)
    return row


async def mark(sessions: Sessions, inc: Incident, at: datetime, kind: str, reaction: str) -> None:
    async with sessions() as session, session.begin():
        event = TimelineEvent(
            team_id=inc.team_id,
            incident_id=inc.id,
            source=EventSource.MESSAGE,
            channel_id=inc.channel_id,
            ts=f"{at.timestamp():.6f}",
            author_id="U0CAROL",
            text="seen it",
            occurred_at=at,
        )
        session.add(event)
        await session.flush()
        session.add(
            TimelineMark(
                team_id=inc.team_id,
                event_id=event.id,
                kind=kind,
                reaction=reaction,
                marked_by="U0C",
            )
        )


async def retro(
    sessions: Sessions,
    inc: Incident,
    categories: list[FactorCategory],
    published_at: datetime | None = None,
) -> None:
    async with sessions() as session, session.begin():
        row = Retrospective(team_id=inc.team_id, incident_id=inc.id, published_at=published_at)
        session.add(row)
        await session.flush()
        session.add_all(
            ContributingFactor(
                team_id=inc.team_id,
                retrospective_id=row.id,
                position=position,
                category=category,
                description="a condition",
            )
            for position, category in enumerate(categories)
        )


def item(
    inc: Incident,
    priority: Priority,
    *,
    created: datetime,
    due: date | None = None,
    status: ActionStatus = ActionStatus.OPEN,
    closed: datetime | None = None,
) -> ActionItem:
    return ActionItem(
        team_id=inc.team_id,
        incident_id=inc.id,
        title="Fix a condition",
        priority=priority,
        due_date=due,
        status=status,
        closed_at=closed,
        created_by="U0BOB",
        created_at=created,
    )


async def seed(sessions: Sessions) -> dict[int, Incident]:
    s1, s2, s3 = NOW - d(10), NOW - d(20), NOW - d(29)
    incidents = {
        1: await incident(
            sessions, 1, Severity.SEV1, s1, state=PostmortemState.PUBLISHED,
            services=("checkout",), mitigated_at=m(30), resolved_at=h(2),
        ),
        2: await incident(
            sessions, 2, Severity.SEV2, s2, state=PostmortemState.PUBLISHED,
            services=("checkout", "payments"), detected_at=m(15), mitigated_at=h(1),
            resolved_at=h(4),
        ),
        3: await incident(
            sessions, 3, Severity.SEV2, s3, services=("payments",), detected_at=m(25),
            mitigated_at=h(2), resolved_at=h(8),
        ),
        4: await incident(
            sessions, 4, Severity.SEV3, NOW - d(40), status=IncidentStatus.INVESTIGATING,
            detected_at=h(1),
        ),
        5: await incident(
            sessions, 5, Severity.SEV3, NOW - d(50), state=PostmortemState.DRAFT,
            services=("checkout",), mitigated_at=m(30), resolved_at=m(30),
        ),
        6: await incident(
            sessions, 6, Severity.SEV4, NOW - d(60), mitigated_at=h(1), resolved_at=h(1),
            no_postmortem_at=h(2),
        ),
        7: await incident(
            sessions, 7, Severity.SEV1, NOW - d(100), services=("checkout",),
            mitigated_at=h(1), resolved_at=h(3),
        ),
    }  # fmt: skip
    one, two, three, five = incidents[1], incidents[2], incidents[3], incidents[5]
    await mark(sessions, one, s1 + m(5), "detection", "mag")
    await mark(sessions, two, s2 + m(3), "detection", "eyes")  # earlier, but the pick wins
    await mark(sessions, two, s2 + m(15), "detection", "retro:detection")
    await mark(sessions, three, s3 + h(7), "resolution", "white_check_mark")  # before the column
    await retro(sessions, one, [FactorCategory.CODE_CHANGE] * 2 + [FactorCategory.MONITORING_GAP],
                published_at=s1 + h(2) + d(1))  # fmt: skip
    await retro(sessions, two, [FactorCategory.CODE_CHANGE, FactorCategory.CONFIGURATION],
                published_at=s2 + h(4) + d(3))  # fmt: skip
    await retro(sessions, three, [FactorCategory.CONFIGURATION, FactorCategory.MONITORING_GAP])
    await retro(sessions, five, [FactorCategory.CODE_CHANGE])
    await retro(sessions, incidents[7], [FactorCategory.CODE_CHANGE])  # outside 90d
    today = NOW.date()
    await add(
        sessions,
        # closed 3 d after creation, a day before its due date: on time
        item(one, Priority.HIGH, created=NOW - d(9), due=today - d(5),
             status=ActionStatus.DONE, closed=NOW - d(6)),
        # closed 2 d after creation, a day after its due date: late
        item(one, Priority.MEDIUM, created=NOW - d(9), due=today - d(8),
             status=ActionStatus.DONE, closed=NOW - d(7)),
        # closed on its due date (10:00 UTC): on time; 5 d to close
        item(one, Priority.HIGH, created=NOW - d(9), due=today - d(4),
             status=ActionStatus.DONE, closed=NOW - d(4)),
        # no due date, closed after 9 d: on time
        item(two, Priority.HIGH, created=NOW - d(19), status=ActionStatus.DONE,
             closed=NOW - d(10)),
        item(two, Priority.LOW, created=NOW - d(19), status=ActionStatus.WONT_DO,
             closed=NOW - d(12)),
        item(three, Priority.HIGH, created=NOW - d(28), due=today - d(2)),  # open, overdue
        item(three, Priority.MEDIUM, created=NOW - d(28), due=today + d(5)),  # open
        item(five, Priority.LOW, created=NOW - d(49)),  # open, no due date
        item(incidents[7], Priority.HIGH, created=NOW - d(99), due=today - d(50)),  # outside
    )  # fmt: skip
    await seed_team_b(sessions)
    return incidents


async def seed_team_b(sessions: Sessions) -> None:
    other = await incident(
        sessions, 1, Severity.SEV1, NOW - d(5), team_id=TEAM_B, services=("checkout",),
        detected_at=m(1), mitigated_at=m(2), resolved_at=m(3),
    )  # fmt: skip
    await retro(sessions, other, [FactorCategory.CODE_CHANGE, FactorCategory.CAPACITY])
    await add(sessions, item(other, Priority.HIGH, created=NOW - d(4), due=NOW.date() - d(1)))


# ---- driving it -------------------------------------------------------------------------------


async def ask(slack: SlackRequests, bot: ServedBot, channel: str, text: str = "stats") -> Any:
    """The command, its ack, and everything it started after the ack, finished."""
    response = await slack.command(text, channel_id=channel)
    assert response.status_code == 200
    await bot.idle()
    await asyncio.wait_for(asyncio.gather(*bot.runtime.backfills.running()), timeout=20)
    return response


def posts_in(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """What was posted in that channel (the reminder sweep may DM people meanwhile)."""
    return [c.args for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def posted(fake: FakeSlack, channel: str) -> dict[str, str]:
    """The stats message posted in the channel: block id → its text."""
    (message,) = posts_in(fake, channel)
    return block_texts(message["blocks"])


def block_texts(blocks: Any) -> dict[str, str]:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    texts = {}
    for block in blocks:
        parts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        texts[block.get("block_id", "")] = "\n".join(str(p["text"]) for p in parts if p)
    return texts


def ephemerals(fake: FakeSlack) -> list[dict[str, Any]]:
    return [call.args for call in fake.calls_to("response_url")]


# ---- the tests --------------------------------------------------------------------------------


async def test_stats_post_the_exact_numbers_and_a_png_chart_in_the_channel(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    channel: str,
) -> None:  # fmt: skip
    await seed(sessions)

    response = await ask(slack, served_bot, channel)

    assert response.text == ""  # acked at once, nothing said in the ack
    texts = posted(fake_slack, channel)
    assert "last 90 days" in texts[Stats.HEADER]
    # INC-1…6 (INC-7 started 100 days ago; team B's never counts)
    assert texts[Stats.INCIDENTS] == "*6 incidents* · SEV1 1 · SEV2 2 · SEV3 2 · SEV4 1"
    times = texts[Stats.TIMES].split("\n")
    # detect: 5 m (marked, INC-1), 15 m (picked over a mark at 3 m, INC-2), 25 m and 1 h
    # (columns, INC-3/4): median (15+25)/2 = 20 min; p90 rank ⌈0.9·4⌉ = 4th = 1 h
    assert times[0:2] == ["*Time to detect* (4 incidents)", "median 20 min · p90 1 h"]
    # mitigate: 30 m, 30 m, 1 h, 1 h, 2 h: median 3rd = 1 h; p90 rank ⌈4.5⌉ = 5th = 2 h
    assert times[2:4] == ["*Time to mitigate* (5 incidents)", "median 1 h · p90 2 h"]
    # resolve: 30 m, 1 h, 2 h, 4 h, 7 h (INC-3's mark at 7 h beats its column's 8 h):
    # median 2 h, p90 5th = 7 h; INC-4 is unresolved
    assert times[4:6] == ["*Time to resolve* (5 incidents)", "median 2 h · p90 7 h"]
    postmortems = texts[Stats.POSTMORTEMS]
    # published 1 d and 3 d after resolution: median 2 d; INC-6 needs none
    assert postmortems.startswith(
        "*Postmortems* · 2 published, median 2 d from resolution to publication"
        " · 1 marked no postmortem needed\n2 resolved incidents still without one:\n"
    )
    # oldest first: INC-5 resolved 50 d − 30 m ago, INC-3 29 d − 7 h ago; titles shown inert
    assert (
        "• INC-5: Incident 5 &lt;!channel&gt; · <#C0INC51> · resolved 49 d 23 h 30 min ago\n"
        in postmortems
    )
    assert postmortems.endswith(
        "• INC-3: Incident 3 &lt;!channel&gt; · <#C0INC31> · resolved 28 d 17 h ago"
    )
    # items of INC-1…6: 8 created; on time: done before / on its due date / without one (3);
    # late 1; won't do 1; open 3, of which 1 overdue (high)
    assert texts[Stats.ITEMS].split("\n") == [
        "*Action items* · 8 created · 3 closed on time · 1 closed late · 1 won't do · "
        "3 still open, 1 overdue",
        "Open (overdue) by priority: high 1 (1) · medium 1 (0) · low 1 (0)",
        # done after 2, 3, 5 and 9 days: median (3+5)/2 = 4 d; p90 rank 4 = 9 d
        "Time to close: median 4 d · p90 9 d",
    ]
    # code change in INC-1 (twice, counted once), 2 and 5; configuration in 2, 3; monitoring
    # gap in 1, 3 (tie: the enum's order). Repeats: checkout (1, 2, 5), payments (2, 3).
    assert texts[Stats.FACTORS].split("\n") == [
        "*Contributing factors* · most frequent: Code change (3 incidents) · "
        "Configuration (2 incidents) · Monitoring gap (2 incidents)",
        "Repeating on a service:",
        "• checkout: Code change in 3 incidents",
        "• payments: Configuration in 2 incidents",
    ]
    (upload,) = [f for f in fake_slack.files.values() if f.completed]
    assert (upload.content or b"")[:8] == PNG_MAGIC and len(upload.content or b"") > 10_000
    assert upload.channels == [channel] and upload.name == "incident-stats-90d.png"
    assert [c.method for c in fake_slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert ephemerals(fake_slack) == []
    fake_slack.assert_no_rejections()


@pytest.mark.parametrize(
    ("window", "incidents"),
    [
        ("30d", "*3 incidents* · SEV1 1 · SEV2 2"),
        ("365d", "*7 incidents* · SEV1 2 · SEV2 2 · SEV3 2 · SEV4 1"),
        (" 90D ", "*6 incidents* · SEV1 1 · SEV2 2 · SEV3 2 · SEV4 1"),
    ],
)
async def test_the_window_picks_the_incidents_started_in_it(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    channel: str, window: str, incidents: str,
) -> None:  # fmt: skip
    await seed(sessions)

    await ask(slack, served_bot, channel, f"stats {window}")

    texts = posted(fake_slack, channel)
    assert texts[Stats.INCIDENTS] == incidents
    assert f"last {window.strip().lower().removesuffix('d')} days" in texts[Stats.HEADER]
    (upload,) = [f for f in fake_slack.files.values() if f.completed]
    assert upload.name == f"incident-stats-{window.strip().lower()}.png"


@pytest.mark.parametrize("window", ["7d", "90", "last year", "90d 30d"])
async def test_any_other_window_is_refused_in_the_ack_naming_the_allowed_ones(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, channel: str,
    window: str,
) -> None:  # fmt: skip
    response = await ask(slack, served_bot, channel, f"stats {window}")

    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "`30d`, `90d`, `365d`" in answer["text"] and "default `90d`" in answer["text"]
    assert posts_in(fake_slack, channel) == [] and not fake_slack.files


async def test_another_teams_incidents_are_never_counted(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    channel: str,
) -> None:  # fmt: skip
    await seed_team_b(sessions)

    await ask(slack, served_bot, channel, "stats 365d")

    texts = posted(fake_slack, channel)
    assert texts[Stats.INCIDENTS] == "*No incidents* in the last 365 days. :sunny:"
    assert Stats.ITEMS not in texts and Stats.FACTORS not in texts
    (upload,) = [f for f in fake_slack.files.values() if f.completed]
    assert (upload.content or b"")[:8] == PNG_MAGIC


async def test_where_the_bot_cannot_post_the_asker_gets_the_numbers_and_why(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions
) -> None:
    await seed(sessions)
    outside = fake_slack.add_channel("random", members=["U0ALICE"], bot_is_member=False)

    await ask(slack, served_bot, outside)

    (answer,) = ephemerals(fake_slack)
    assert answer["response_type"] == "ephemeral" and "not_in_channel" in answer["text"]
    texts = block_texts(answer["blocks"])
    assert "Only you can see these numbers" in texts[Stats.NOT_POSTED]
    assert "invite me" in texts[Stats.NOT_POSTED]
    assert texts[Stats.INCIDENTS] == "*6 incidents* · SEV1 1 · SEV2 2 · SEV3 2 · SEV4 1"
    assert not [f for f in fake_slack.files.values() if f.completed]


async def test_a_chart_slack_refuses_is_told_to_the_asker(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    channel: str,
) -> None:  # fmt: skip
    await seed(sessions)
    fake_slack.fail("files.getUploadURLExternal", error="missing_scope")

    await ask(slack, served_bot, channel)

    assert Stats.INCIDENTS in posted(fake_slack, channel)
    (answer,) = ephemerals(fake_slack)
    assert "couldn't upload the chart" in answer["text"] and "missing_scope" in answer["text"]


async def test_numbers_that_cannot_be_worked_out_are_told_to_the_asker_alone(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    channel: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A row no version of Hindsight wrote (a severity it doesn't know) fails the load."""
    await seed(sessions)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Incident).where(Incident.number == 2).values(severity=literal("SEV9"))
        )

    with caplog.at_level(logging.ERROR, logger="bot.insights.stats_post"):
        await ask(slack, served_bot, channel)

    (answer,) = ephemerals(fake_slack)
    assert answer["response_type"] == "ephemeral"
    assert (
        "couldn't work out the numbers" in answer["text"] and "nothing was posted" in answer["text"]
    )
    assert posts_in(fake_slack, channel) == [] and not fake_slack.files
    assert "stats for T0TEAM1 over 90 days not worked out" in caplog.text


async def test_the_digest_gains_a_line_and_app_home_the_headline_numbers(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, sessions: Sessions,
    database_url: str,
) -> None:  # fmt: skip
    await seed(sessions)
    digest_channel = fake_slack.add_channel("postmortems", bot_is_member=True)
    settings = make_settings(fake_slack, database_url, DIGEST_CHANNEL=digest_channel)

    await post_weekly_digests(
        sessions=sessions, client=served_bot.runtime.client, settings=settings, now=NOW
    )
    await slack.event(slack.app_home_opened_event("U0ALICE"))
    await fake_slack.wait_for("views.publish")

    line = posted(fake_slack, digest_channel)[Digest.STATS]
    assert line == (
        "*Last 90 days:* 6 incidents (SEV1 1 · SEV2 2 · SEV3 2 · SEV4 1) · time to resolve "
        "median 2 h · p90 7 h · 2 postmortems published, 2 still to write · action items "
        "closed on time: 3 of 4. `/postmortem stats` for the whole picture."
    )
    home = block_texts(fake_slack.home_views["U0ALICE"]["blocks"])[Home.STATS]
    assert home.split("\n") == [
        "*The team, last 90 days*",
        "*Incidents*",
        "6 (SEV1 1 · SEV2 2 · SEV3 2 · SEV4 1)",
        "*Median time to resolve*",
        "2 h",
        "*Postmortems published*",
        "2 (2 to write)",
        "*Items closed on time*",
        "3 of 4",
    ]


# ---- the maths, alone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "median", "p90"),
    [
        ([], None, None),
        ([60], 60, 60),
        ([120, 60], 90, 120),  # even: the mean of the two middle values; p90 rank ⌈1.8⌉ = 2
        ([5, 1, 3], 3, 5),  # p90 rank ⌈2.7⌉ = 3
        (list(range(1, 11)), 5.5, 9),  # p90 rank ⌈9⌉ = 9th: nearest rank, not interpolated
        (list(range(1, 12)), 6, 10),  # p90 rank ⌈9.9⌉ = 10th
    ],
)
def test_median_and_nearest_rank_p90(
    seconds: list[int], median: float | None, p90: float | None
) -> None:
    found = spread(seconds)
    assert found.count == len(seconds)
    assert found.median == (None if median is None else timedelta(seconds=median))
    assert found.p90 == (None if p90 is None else timedelta(seconds=p90))


def test_ranks_are_zero_based_positions() -> None:
    assert middle_ranks(1) == (0, 0) and middle_ranks(4) == (1, 2) and middle_ranks(5) == (2, 2)
    assert [nearest_rank(n) for n in (1, 2, 9, 10, 11, 100)] == [0, 1, 8, 8, 9, 89]


def test_window_words() -> None:
    assert [parse_window(w) for w in ("", "30d", "90D", " 365d ")] == [90, 30, 90, 365]
    with pytest.raises(UserInputError, match="`30d`, `90d`, `365d`"):
        parse_window("1y")
