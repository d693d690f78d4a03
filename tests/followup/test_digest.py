"""The weekly digest: one message per team and ISO week in the digest channel, however many
processes run it at once; a failed post is recorded and retried later that week."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.config import DigestSchedule, Settings
from bot.db import create_engine, create_sessionmaker
from bot.followup.digest import DigestOutcome, digest_due, iso_period, post_weekly_digests
from bot.ids import Digest
from bot.jobs import DIGEST_JOB_ID, run_weekly_digest
from bot.slack import create_web_client
from models import (
    ActionItem,
    ActionStatus,
    DigestPost,
    Incident,
    IncidentStatus,
    PostmortemState,
    Severity,
)
from tests.clock import FrozenClock
from tests.conftest import BOT_TOKEN, TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack
from tests.test_cli import base_env
from tests.test_cli import run as cli
from tests.timeline_seed import seed_action_item

TEAM_B = "T0TEAM2"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # ISO week 48
TODAY = MONDAY.date()
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def channel(fake_slack: FakeSlack) -> str:
    return fake_slack.add_channel("postmortems", bot_is_member=True)


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str, channel: str) -> Settings:
    return make_settings(fake_slack, database_url, DIGEST_CHANNEL=channel)


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


async def add_incident(
    sessions: Sessions,
    number: int,
    *,
    team_id: str = TEAM_ID,
    status: IncidentStatus = IncidentStatus.RESOLVED,
    state: PostmortemState = PostmortemState.NONE,
    title: str | None = None,
) -> Incident:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=team_id,
            number=number,
            title=title or f"Incident number {number}",
            severity=Severity.SEV2,
            status=status,
            postmortem_state=state,
            channel_id=f"C0INC{number}{team_id[-1]}",
            declared_by="U0BOB",
            started_at=MONDAY - timedelta(days=20 - number),
        )
        session.add(incident)
    return incident


async def seed_team(sessions: Sessions) -> dict[str, Incident]:
    """INC-1 resolved (retro in draft) with items past due; INC-2 ongoing with one open item;
    INC-3 published, an item of it done this week; INC-4 resolved, no retro yet. Team B has
    its own past-due item."""
    draft = await add_incident(sessions, 1, state=PostmortemState.DRAFT, title="Checkout <down>")
    ongoing = await add_incident(sessions, 2, status=IncidentStatus.INVESTIGATING)
    published = await add_incident(
        sessions, 3, status=IncidentStatus.CLOSED, state=PostmortemState.PUBLISHED
    )
    waiting = await add_incident(sessions, 4)
    await seed_action_item(
        sessions, draft, "Alert on pool size", owner_id="U0ALICE", due=TODAY - timedelta(3)
    )
    await seed_action_item(
        sessions, draft, "Add a canary", owner_id="U0BOB", due=TODAY + timedelta(4)
    )
    await seed_action_item(
        sessions, draft, "Write the runbook", owner_id=None, due=TODAY - timedelta(1)
    )
    await seed_action_item(sessions, ongoing, "Tune retries", owner_id="U0ALICE", due=None)
    await seed_action_item(
        sessions,
        published,
        "Already finished",
        owner_id="U0CAROL",
        due=TODAY - timedelta(9),
        status=ActionStatus.DONE,
        closed_at=MONDAY - timedelta(days=2),
    )
    other = await add_incident(sessions, 1, team_id=TEAM_B, state=PostmortemState.DRAFT)
    await seed_action_item(
        sessions, other, "Other team secret", owner_id="U0ALICE", due=TODAY - timedelta(5)
    )
    return {"draft": draft, "ongoing": ongoing, "published": published, "waiting": waiting}


async def run(
    sessions: Sessions, client: AsyncWebClient, settings: Settings, now: datetime
) -> list[DigestOutcome]:
    return await post_weekly_digests(sessions=sessions, client=client, settings=settings, now=now)


def posted(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [
        c.args
        for c in fake.calls_to("chat.postMessage")
        if not c.failed and c.args.get("channel") == channel
    ]


def text_of(blocks: list[dict[str, Any]], block_id: str) -> str:
    found = [b for b in blocks if b.get("block_id") == block_id]
    assert found, f"no block {block_id}"
    block = found[0]
    if block["type"] == "header":
        return str(block["text"]["text"])
    if block["type"] == "context":
        return " ".join(e["text"] for e in block["elements"])
    return str(block["text"]["text"])


async def digest_rows(sessions: Sessions) -> list[DigestPost]:
    async with sessions() as session:
        return list(await session.scalars(select(DigestPost).order_by(DigestPost.id)))


# ---- what it says -------------------------------------------------------------------------------


async def test_the_digest_lists_items_per_incident_and_owner_and_unpublished_postmortems(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
    clock: FrozenClock,
) -> None:
    incidents = await seed_team(sessions)

    outcomes = await run(sessions, client, settings, clock())

    [message] = posted(fake_slack, channel)
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert "week 48, 2026" in text_of(blocks, Digest.HEADER)
    summary = text_of(blocks, Digest.SUMMARY)
    assert "4 action items open across 2 incidents, 2 past due." in summary
    assert "1 item closed this week: thank you!" in summary
    assert "2 postmortems waiting to be published" in summary

    first = text_of(blocks, f"{Digest.INCIDENTS}.{incidents['draft'].id}")
    assert first.startswith("*INC-1: Checkout &lt;down&gt;* · <#C0INC11>\n3 open, 2 past due")
    assert "• Alert on pool size · <@U0ALICE> · *overdue* since" in first
    assert "• Write the runbook · no owner yet · *overdue* since" in first
    assert "Add a canary" not in first  # not past due: counted, not named
    second = text_of(blocks, f"{Digest.INCIDENTS}.{incidents['ongoing'].id}")
    assert second.endswith("1 open")

    owners = text_of(blocks, Digest.OWNERS).splitlines()
    assert owners[1:] == [
        "<@U0ALICE>: 2 open (1 past due)",
        "<@U0BOB>: 1 open",
        "No owner yet: 1 open (1 past due), free for anyone to pick up",
    ]
    unpublished = text_of(blocks, Digest.UNPUBLISHED)
    assert "INC-1" in unpublished and "Retrospective in draft" in unpublished
    assert "INC-4" in unpublished and "Retrospective not started" in unpublished
    assert "INC-3" not in unpublished and "INC-2" not in unpublished
    assert "Other team secret" not in str(blocks)
    assert "blame" in text_of(blocks, Digest.FOOTER).lower()

    assert [(o.team_id, o.error) for o in outcomes if o.message_ts] == [(TEAM_ID, None)]
    assert [(o.team_id, o.skipped) for o in outcomes if o.skipped] == [
        (TEAM_B, "another workspace")  # one token posts into one workspace only
    ]
    [row] = await digest_rows(sessions)
    assert (row.team_id, row.period, row.channel_id) == (TEAM_ID, "2026-W48", channel)
    assert row.message_ts == outcomes[0].message_ts and row.error is None
    fake_slack.assert_no_rejections()


async def test_a_big_backlog_stays_within_message_limits(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    incidents = [await add_incident(sessions, n, title="t" * 200) for n in range(1, 31)]
    async with sessions() as session, session.begin():
        session.add_all(
            ActionItem(
                team_id=TEAM_ID,
                incident_id=incident.id,
                title="x" * 300,
                owner_id=f"U0PERSON{n % 60:02d}",
                due_date=TODAY - timedelta(days=n + 1),
                created_by="U0BOB",
            )
            for incident in incidents
            for n in range(8)
        )

    await run(sessions, client, settings, MONDAY)

    [message] = posted(fake_slack, channel)
    fake_slack.assert_no_rejections()
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert "15 more incidents" in text_of(blocks, Digest.INCIDENTS_MORE)
    assert "…and 3 more past due" in text_of(blocks, f"{Digest.INCIDENTS}.{incidents[0].id}")
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


# ---- once per team and week ----------------------------------------------------------------------


async def test_a_second_run_the_same_week_posts_nothing_and_the_next_week_posts_again(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await seed_team(sessions)

    await run(sessions, client, settings, MONDAY)
    again = await run(sessions, client, settings, MONDAY + timedelta(days=3))
    assert len(posted(fake_slack, channel)) == 1
    assert [o.team_id for o in again if o.message_ts] == []

    await run(sessions, client, settings, MONDAY + timedelta(days=7))
    assert len(posted(fake_slack, channel)) == 2
    assert [row.period for row in await digest_rows(sessions)] == ["2026-W48", "2026-W49"]


async def test_two_processes_at_once_post_once(
    database_url: str,
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await seed_team(sessions)
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        results = await asyncio.gather(
            *(run(create_sessionmaker(engine), client, settings, MONDAY) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()

    assert len(posted(fake_slack, channel)) == 1
    mine = [o for outcomes in results for o in outcomes if o.team_id == TEAM_ID]
    assert len([o for o in mine if o.message_ts]) == 1
    assert all(o.message_ts or o.skipped == "posted by another run" for o in mine)
    [row] = await digest_rows(sessions)
    assert row.message_ts is not None and row.error is None


async def test_a_claim_abandoned_by_a_crash_is_taken_over_once_its_lease_ran_out(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
) -> None:
    await seed_team(sessions)
    async with sessions() as session, session.begin():  # claimed, then the process died
        session.add(DigestPost(team_id=TEAM_ID, period="2026-W48", posted_at=MONDAY))

    soon = await run(sessions, client, settings, MONDAY + timedelta(minutes=5))
    assert [o.skipped for o in soon if o.team_id == TEAM_ID] == ["posted by another run"]
    assert posted(fake_slack, channel) == []

    later = await run(sessions, client, settings, MONDAY + timedelta(minutes=20))
    assert [o.message_ts is not None for o in later if o.team_id == TEAM_ID] == [True]
    assert len(posted(fake_slack, channel)) == 1


# ---- when it can't or needn't post ---------------------------------------------------------------


async def test_no_channel_configured_posts_nothing(
    sessions: Sessions, client: AsyncWebClient, fake_slack: FakeSlack, database_url: str
) -> None:
    await seed_team(sessions)
    unset = make_settings(fake_slack, database_url)
    assert unset.digest_channel is None

    assert await run(sessions, client, unset, MONDAY) == []
    assert fake_slack.calls_to("chat.postMessage") == []
    assert await digest_rows(sessions) == []


async def test_nothing_open_or_unpublished_posts_nothing(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
) -> None:
    done = await add_incident(sessions, 1, state=PostmortemState.PUBLISHED)
    await seed_action_item(
        sessions, done, "Finished", owner_id="U0BOB", due=TODAY, status=ActionStatus.DONE
    )

    outcomes = await run(sessions, client, settings, MONDAY)

    assert [o.skipped for o in outcomes] == ["nothing to report"]
    assert fake_slack.calls_to("chat.postMessage") == []
    assert await digest_rows(sessions) == []


@pytest.mark.parametrize(
    "failure",
    [{"error": "channel_not_found"}, {"status": 500, "times": None}],
    ids=["slack-error", "server-errors"],
)
async def test_a_failed_post_is_recorded_and_retried_later_that_week(
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    fake_slack: FakeSlack,
    channel: str,
    failure: dict[str, Any],
) -> None:
    await seed_team(sessions)
    fake_slack.fail("chat.postMessage", **failure)

    [outcome, _] = await run(sessions, client, settings, MONDAY)

    assert outcome.message_ts is None and outcome.error
    if "error" in failure:
        assert outcome.error == "channel_not_found"
    [row] = await digest_rows(sessions)
    assert (row.message_ts, row.error) == (None, outcome.error)
    assert posted(fake_slack, channel) == []

    fake_slack.clear_failures()
    [retried, _] = await run(sessions, client, settings, MONDAY + timedelta(hours=1))

    assert retried.message_ts is not None and retried.error is None
    assert len(posted(fake_slack, channel)) == 1
    [row] = await digest_rows(sessions)
    assert (row.message_ts, row.error) == (retried.message_ts, None)


# ---- when it is due ----------------------------------------------------------------------------


def test_the_digest_is_due_from_its_moment_for_a_day_within_its_week() -> None:
    monday_nine = DigestSchedule(weekday=0, at=time(9, 0))
    assert not digest_due(monday_nine, MONDAY - timedelta(minutes=1))
    assert digest_due(monday_nine, MONDAY)
    assert digest_due(monday_nine, MONDAY + timedelta(hours=23, minutes=59))
    assert not digest_due(monday_nine, MONDAY + timedelta(hours=24))
    assert not digest_due(None, MONDAY)

    sunday_late = DigestSchedule(weekday=6, at=time(23, 0))
    sunday = MONDAY + timedelta(days=6, hours=14)  # Sunday 23:00
    assert digest_due(sunday_late, sunday)
    assert not digest_due(sunday_late, sunday + timedelta(hours=2))  # next week already
    assert iso_period(sunday) == "2026-W48"
    assert iso_period(sunday + timedelta(hours=2)) == "2026-W49"


# ---- how it is run: the serve job and `hindsight digest --once` --------------------------------


async def test_serve_posts_the_digest_once_its_moment_has_come(
    fake_slack: FakeSlack, database_url: str, channel: str, sessions: Sessions
) -> None:
    await seed_team(sessions)
    settings = make_settings(
        fake_slack, database_url, DIGEST_CHANNEL=channel, DIGEST_SCHEDULE="mon 08:30"
    )
    clock = FrozenClock(MONDAY)  # 09:00, half an hour after the scheduled moment
    async with serve_app(build_runtime(settings, clock=clock)) as bot:
        assert bot.runtime.scheduler.get_job(DIGEST_JOB_ID) is not None
        [post] = await fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == channel
    [row] = await digest_rows(sessions)
    assert (row.team_id, row.period, row.message_ts) == (TEAM_ID, "2026-W48", post_ts(fake_slack))


async def test_serve_waits_for_the_moment_and_off_means_no_job(
    fake_slack: FakeSlack, database_url: str, channel: str, sessions: Sessions
) -> None:
    await seed_team(sessions)
    early = make_settings(
        fake_slack, database_url, DIGEST_CHANNEL=channel, DIGEST_SCHEDULE="mon 10:00"
    )
    async with serve_app(build_runtime(early, clock=FrozenClock(MONDAY))) as bot:
        job = bot.runtime.scheduler.get_job(DIGEST_JOB_ID)
        assert job is not None
        await run_weekly_digest(bot.runtime)  # the job's own check, an hour too early
    off = make_settings(fake_slack, database_url, DIGEST_CHANNEL=channel, DIGEST_SCHEDULE="off")
    async with serve_app(build_runtime(off, clock=FrozenClock(MONDAY))) as bot:
        assert bot.runtime.scheduler.get_job(DIGEST_JOB_ID) is None
    assert posted(fake_slack, channel) == [] and await digest_rows(sessions) == []


def post_ts(fake: FakeSlack) -> str:
    [message] = [m for c in fake.channels.values() for m in c.messages]
    return str(message["ts"])


async def test_digest_once_posts_now_and_only_once_a_week(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, channel: str, sessions: Sessions
) -> None:
    await seed_team(sessions)
    env = base_env() | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "DIGEST_CHANNEL": channel,
    }
    first = cli(["digest", "--once"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"for {TEAM_ID}: posted" in first.stdout
    assert len(posted(fake_slack, channel)) == 1
    again = cli(["digest", "--once"], env, tmp_path)
    assert again.returncode == 0 and "posted" not in again.stdout
    assert len(posted(fake_slack, channel)) == 1
    assert BOT_TOKEN not in first.stdout + first.stderr + again.stdout + again.stderr


def test_digest_once_needs_the_token(tmp_path: Path) -> None:
    result = cli(["digest", "--once"], base_env(), tmp_path)
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr
