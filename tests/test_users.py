"""The workspace's members: users.list as the simulated Slack answers it (Slack's shape, cursor
pagination, its limit and errors), and the roster fill that stores them all in the users cache
(every page, refilled once stale, one fill per team at a time, a failure keeping the cache), on
SQLite and PostgreSQL, through the bot's own Web API client."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.locks import KeyedLocks
from bot.simslack.methods_users import MAX_PAGE
from bot.slack import RATE_LIMIT_RETRIES, create_web_client
from bot.users import (
    ROSTER_PAGE,
    ROSTER_TTL,
    Rosters,
    fill_roster,
    refresh_roster,
    roster_is_stale,
    store_user,
)
from models import SlackRoster, SlackUser
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakeslack import FakeSlack, load_fixture

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)


def add_people(fake: FakeSlack, count: int, *, start: int = 0) -> list[str]:
    ids = [f"U{n:08d}" for n in range(start, start + count)]
    for user_id in ids:
        fake.add_user(user_id, name=f"person{user_id[-4:]}", real_name=f"Person {user_id[-4:]}")
    return ids


async def slack_error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


# ---- users.list in the simulated workspace -----------------------------------------------------


async def test_users_list_pages_by_cursor_until_the_cursor_is_empty(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    people = add_people(fake, 5)
    fake.add_user("U0GONE", name="gone", deleted=True)
    seen: list[str] = []
    cursors: list[str] = []
    async for page in await client.users_list(limit=2):
        seen += [member["id"] for member in page["members"]]
        cursors.append(page["response_metadata"]["next_cursor"])
        assert len(page["members"]) <= 2
    assert seen == [fake.bot_user_id, *people, "U0GONE"]  # bots and the deactivated too
    assert cursors[-1] == "" and all(cursors[:-1])
    assert base64.b64decode(cursors[0]).decode() == f"user:{people[1]}"  # Slack's cursor shape
    assert [call.args.get("cursor") for call in fake.calls_to("users.list")][1:] == cursors[:-1]


async def test_users_list_members_have_the_shape_users_info_gives(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.add_user("U0DEREK", name="derek", real_name="Derek Olsen", display_name="D.O.")
    answer = await client.users_list(limit=200)
    example = load_fixture("web_api/openapi_response_examples.json")["methods"]["users.info"]
    derek = next(m for m in answer["members"] if m["id"] == "U0DEREK")
    assert set(example["examples"]["200"]["user"]) <= set(derek)
    assert derek == (await client.users_info(user="U0DEREK"))["user"]
    assert derek["profile"]["display_name"] == "D.O." and derek["real_name"] == "Derek Olsen"
    assert isinstance(answer["cache_ts"], int)
    assert answer["response_metadata"] == {"next_cursor": ""}
    localised = await client.users_list(limit=200, include_locale=True)
    assert {m.get("locale") for m in localised["members"]} == {"en-US"}


async def test_users_list_caps_the_page_and_wants_a_limit_for_a_large_team(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    add_people(fake, MAX_PAGE)  # with the bot, one more than a page
    assert len((await client.users_list(limit=5000))["members"]) == MAX_PAGE
    assert await slack_error(client.users_list()) == "limit_required"


async def test_users_list_lists_this_workspace_only_and_refuses_a_bad_cursor(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.add_user("U0ALICE", name="alice")
    fake.add_user("U0STRANGER", name="stranger", team_id="T0OTHER")
    members = (await client.users_list())["members"]  # a small team: everyone without a limit
    assert [m["id"] for m in members] == [fake.bot_user_id, "U0ALICE"]
    bogus = base64.b64encode(b"user:U0NOBODY").decode()
    assert await slack_error(client.users_list(limit=1, cursor=bogus)) == "invalid_cursor"
    assert await slack_error(client.users_list(limit=1, cursor="not base64!")) == "invalid_cursor"
    outsider = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert await slack_error(outsider.users_list(limit=1)) == "invalid_auth"


# ---- the roster fill ---------------------------------------------------------------------------


@pytest.fixture
def bot_client(fake_slack: FakeSlack) -> AsyncWebClient:
    """The bot's own client (bot.slack): its retries on 429 and 5xx apply."""
    return create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sleeps Retry-After plus up to 1 s of jitter; tests need no jitter."""
    monkeypatch.setattr("random.random", lambda: 0.0)


async def cached(sessions: Sessions) -> dict[str, SlackUser]:
    async with sessions() as session:
        rows = await session.scalars(select(SlackUser).where(SlackUser.team_id == TEAM_ID))
        return {row.user_id: row for row in rows}


async def filled_at(sessions: Sessions) -> datetime | None:
    async with sessions() as session:
        return await session.scalar(
            select(SlackRoster.filled_at).where(SlackRoster.team_id == TEAM_ID)
        )


async def refresh(sessions: Sessions, client: AsyncWebClient, now: datetime) -> int | None:
    return await refresh_roster(
        sessions=sessions, client=client, locks=KeyedLocks(), team_id=TEAM_ID, now=now
    )


async def test_a_fill_reads_every_page_and_stores_every_member(
    fake_slack: FakeSlack, bot_client: AsyncWebClient, sessions: Sessions
) -> None:
    people = add_people(fake_slack, 2 * ROSTER_PAGE + 50)
    fake_slack.add_user("U0DEREK", name="derek", real_name="Derek Olsen", display_name="Del")
    fake_slack.add_user("U0GONE", name="gone", real_name="Gone Person", deleted=True)
    stored = await fill_roster(sessions=sessions, client=bot_client, team_id=TEAM_ID, now=NOW)
    calls = fake_slack.calls_to("users.list")
    assert len(calls) == 3 and {call.args["limit"] for call in calls} == {str(ROSTER_PAGE)}
    assert "cursor" not in calls[0].args and all(call.args["cursor"] for call in calls[1:])
    rows = await cached(sessions)
    assert stored == len(rows) == len(people) + 3  # the bot, Derek, the one who left
    derek = rows["U0DEREK"]
    assert (derek.name, derek.real_name, derek.display_name) == ("derek", "Derek Olsen", "Del")
    assert rows["U0GONE"].deleted and rows[fake_slack.bot_user_id].is_bot
    assert {row.fetched_at for row in rows.values()} == {NOW}
    assert await filled_at(sessions) == NOW


async def test_a_stale_roster_is_refilled_and_a_fresh_one_is_not(
    fake_slack: FakeSlack, bot_client: AsyncWebClient, sessions: Sessions
) -> None:
    fake_slack.add_user("U0ALICE", name="alice")
    async with sessions() as session:
        assert await roster_is_stale(session=session, team_id=TEAM_ID, now=NOW)  # never filled
    assert await refresh(sessions, bot_client, NOW) == 2
    fake_slack.add_user("U0DEREK", name="derek", real_name="Derek Olsen")  # joins afterwards
    almost = NOW + ROSTER_TTL - timedelta(minutes=1)
    assert await refresh(sessions, bot_client, almost) is None
    assert len(fake_slack.calls_to("users.list")) == 1 and "U0DEREK" not in await cached(sessions)
    later = NOW + ROSTER_TTL
    assert await refresh(sessions, bot_client, later) == 3
    assert len(fake_slack.calls_to("users.list")) == 2
    assert "U0DEREK" in await cached(sessions)
    assert await filled_at(sessions) == later


async def test_a_rate_limited_page_is_retried_by_the_client(
    fake_slack: FakeSlack, bot_client: AsyncWebClient, sessions: Sessions, no_jitter: None
) -> None:
    add_people(fake_slack, ROSTER_PAGE + 1)
    fake_slack.fail("users.list", status=429, retry_after=0, times=1)
    assert await refresh(sessions, bot_client, NOW) == ROSTER_PAGE + 2
    assert [call.status for call in fake_slack.calls_to("users.list")] == [429, 200, 200]


async def test_a_failed_fill_keeps_the_cache_and_the_roster_stays_stale(
    fake_slack: FakeSlack,
    bot_client: AsyncWebClient,
    sessions: Sessions,
    no_jitter: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people = add_people(fake_slack, ROSTER_PAGE + 10)
    earlier = NOW - timedelta(days=3)
    async with sessions() as session:  # known from users.info before, and gone from Slack since
        old = {"id": "U0OLD", "name": "old", "real_name": "Old Timer"}
        await store_user(session=session, team_id=TEAM_ID, user=old, now=earlier)
        session.add(SlackRoster(team_id=TEAM_ID, filled_at=earlier))
        await session.commit()
    gate = fake_slack.hold("users.list", let_through=1)  # the first page is answered at once
    caplog.set_level(logging.INFO, logger="bot.users")
    task = Rosters().refresh(sessions=sessions, client=bot_client, team_id=TEAM_ID, now=NOW)
    await fake_slack.wait_held("users.list")  # the second page is on its way...
    fake_slack.fail("users.list", status=429, retry_after=0, times=None)  # ...and never answered
    gate.set()
    with pytest.raises(SlackApiError):
        await task
    statuses = [call.status for call in fake_slack.calls_to("users.list")]
    assert statuses == [200] + [429] * (RATE_LIMIT_RETRIES + 1)  # retried, then given up
    rows = await cached(sessions)
    assert rows["U0OLD"].real_name == "Old Timer"  # nothing cached is lost
    assert set(people[: ROSTER_PAGE - 1]) <= set(rows)  # the first page is kept
    assert not set(people[ROSTER_PAGE:]) & set(rows)
    assert await filled_at(sessions) == earlier  # still stale: the next trigger tries again
    async with sessions() as session:
        assert await roster_is_stale(session=session, team_id=TEAM_ID, now=NOW)
    logged = caplog.text
    assert f"roster {TEAM_ID}: users.list failed (ratelimited, HTTP 429)" in logged
    assert BOT_TOKEN not in logged and "xoxb" not in logged


async def test_one_fill_per_team_at_a_time(
    fake_slack: FakeSlack, bot_client: AsyncWebClient, sessions: Sessions
) -> None:
    add_people(fake_slack, ROSTER_PAGE + 1)
    gate = fake_slack.hold("users.list")
    rosters = Rosters()
    first = rosters.refresh(sessions=sessions, client=bot_client, team_id=TEAM_ID, now=NOW)
    await fake_slack.wait_held("users.list")
    second = rosters.refresh(sessions=sessions, client=bot_client, team_id=TEAM_ID, now=NOW)
    await asyncio.sleep(0.05)
    assert len(fake_slack.calls_to("users.list")) == 0 and not second.done()  # it waits its turn
    gate.set()
    assert await first == ROSTER_PAGE + 2
    assert await second is None  # the roster it waited for is fresh
    assert len(fake_slack.calls_to("users.list")) == 2  # one fill's two pages
    assert len(rosters.locks) == 0 and not rosters.tasks.running()


async def test_the_cache_keeps_the_profile_email_a_tracker_user_is_found_by(
    sessions: Sessions,
) -> None:
    """users:read.email adds profile.email; without the scope Slack leaves it out."""
    with_email = {"id": "U0MAIL", "name": "ana", "profile": {"email": "ana@example.com"}}
    without = {"id": "U0NOMAIL", "name": "bo", "profile": {"display_name": "Bo"}}
    async with sessions() as session:
        await store_user(session=session, team_id=TEAM_ID, user=with_email, now=NOW)
        await store_user(session=session, team_id=TEAM_ID, user=without, now=NOW)
        await session.commit()
    rows = await cached(sessions)
    assert (rows["U0MAIL"].email, rows["U0NOMAIL"].email) == ("ana@example.com", None)
    changed = {"id": "U0MAIL", "name": "ana", "profile": {"email": "ana@new.example"}}
    async with sessions() as session:
        await store_user(session=session, team_id=TEAM_ID, user=changed, now=NOW)
        await session.commit()
    assert (await cached(sessions))["U0MAIL"].email == "ana@new.example"
