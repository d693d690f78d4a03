"""The names the retrospective's wording check treats as persons: what known_names takes from the
users cache, that a name only the roster knows is recognised once users.list filled it, and
that the retrospective fills a stale roster after answering (opening it, saving a step), never
a fresh one. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ids import Retro
from bot.retro.checks import known_names, wording_problems
from bot.retro.forms import FactorRow, FactorsForm, row_block
from bot.slack import create_web_client
from bot.users import ROSTER_TTL, fill_roster, store_user
from models import SlackRoster
from tests.clock import FrozenClock
from tests.conftest import BOT_TOKEN, TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.retro.test_retro import open_retro, seed_retro_incident, submit, summary_values

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


async def cache(sessions: Sessions, *users: dict[str, object], team_id: str = TEAM_ID) -> None:
    async with sessions() as session:
        for user in users:
            await store_user(session=session, team_id=team_id, user=user, now=NOW)
        await session.commit()


def person(user_id: str, handle: str, real: str, display: str, **flags: bool) -> dict[str, object]:
    """A user object as users.info and users.list give it (the fields the cache keeps)."""
    profile = {"display_name": display}
    return {"id": user_id, "name": handle, "real_name": real, "profile": profile, **flags}


async def names(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return await known_names(session=session, team_id=TEAM_ID)


async def test_known_names_are_each_persons_names_and_first_names_bots_left_out(
    sessions: Sessions,
) -> None:
    await cache(
        sessions,
        person("U0DEREK", "derek.olsen", "Derek Olsen", "Del"),
        person("U0GWEN", "gwen", "Gwen Stacy", "", deleted=True),  # left, still nameable
        person("U0ADA", "ada", "Ada Lee", "Dr. Ada Lee"),  # a title is nobody's first name
        person("U0JS", "jsmith", "J. Smith", "J Smith"),  # nor is an initial
        person("U0BOT", "deploybot", "Deploy Bot", "deploy", is_bot=True),
    )
    await cache(sessions, person("U0OTHER", "olga", "Olga Other", "Olga"), team_id="T0OTHER")
    assert await names(sessions) == sorted(
        {
            *("derek.olsen", "Derek Olsen", "Del", "Derek"),
            *("gwen", "Gwen Stacy", "Gwen"),
            *("ada", "Ada Lee", "Dr. Ada Lee", "Ada"),
            *("jsmith", "J. Smith", "J Smith"),
        }
    )


async def test_a_name_only_the_roster_knows_is_a_person_once_users_list_filled_it(
    fake_slack: FakeSlack, sessions: Sessions
) -> None:
    fake_slack.add_user("U0ZIGGY", name="zig", real_name="Ziggy Moreau", display_name="ziggy")
    row = FactorRow(
        key="n1",
        category="process",
        description="ziggy forgot to rotate the key.",
        whys=["The key is rotated by hand", "Nothing reminds anyone before it expires"],
    )
    form = FactorsForm(rows=[row])
    assert wording_problems(form, people=await names(sessions)) == {}  # not a name yet
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    await fill_roster(sessions=sessions, client=client, team_id=TEAM_ID, now=NOW)
    problems = wording_problems(form, people=await names(sessions))
    error = problems[row_block(Retro.FACTOR_DESCRIPTION, "n1")]
    assert error.startswith("“ziggy forgot") and "A person as the cause." in error


# ---- when the retrospective fills the roster ---------------------------------------------------


async def settled(served_bot: ServedBot) -> None:
    """Until the handler has returned and the roster fill it started (if any) is done."""
    await served_bot.idle()
    running = served_bot.runtime.rosters.tasks.running()
    if running:
        _, pending = await asyncio.wait(running, timeout=10)
        assert not pending


async def filled_at(sessions: Sessions) -> datetime | None:
    async with sessions() as session:
        return await session.scalar(select(SlackRoster.filled_at))


async def test_the_retrospective_fills_a_stale_roster_after_answering_and_not_a_fresh_one(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, clock: FrozenClock
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_retro_incident(fake_slack, sessions)
    view = await open_retro(slack, fake_slack)  # an empty roster: filled after the modal opens
    await settled(served_bot)
    assert len(fake_slack.calls_to("users.list")) == 1 and await filled_at(sessions) == NOW
    ack, view = await submit(slack, fake_slack, view, summary_values())
    await settled(served_bot)
    assert ack["response_action"] == "update"
    assert len(fake_slack.calls_to("users.list")) == 1  # fresh: nothing asked
    clock.advance(ROSTER_TTL)
    fake_slack.add_user("U0DEREK", name="derek", real_name="Derek Olsen")
    await submit(slack, fake_slack, view, {})  # the timeline step, saved once the roster is stale
    await settled(served_bot)
    assert len(fake_slack.calls_to("users.list")) == 2
    assert await filled_at(sessions) == NOW + ROSTER_TTL
    assert "Derek" in await names(sessions)


async def test_a_retrospective_opened_while_users_list_fails_still_works_on_the_cache(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_retro_incident(fake_slack, sessions)
    await cache(sessions, person("U0DEREK", "derek", "Derek Olsen", "Derek"))
    fake_slack.fail("users.list", error="fatal_error", times=None)
    view = await open_retro(slack, fake_slack)
    await settled(served_bot)
    assert await filled_at(sessions) is None  # stale still: the next trigger tries again
    blaming = summary_values(summary="Derek forgot to renew the certificate.")
    ack, _ = await submit(slack, fake_slack, view, blaming)
    assert "A person as the cause." in ack["errors"][Retro.SUMMARY]  # the cache still answers
