"""App Home: opening the tab publishes the person's own open items (overdue first, with their
controls), the incidents they took part in with each retrospective's state, and the team's
numbers; refresh_home redraws it after an item changes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.home import refresh_home
from bot.ids import FollowUp, Home
from models import (
    ActionItem,
    ActionStatus,
    EventSource,
    Incident,
    IncidentStatus,
    PostmortemState,
    Severity,
    TimelineEvent,
)
from tests.clock import FrozenClock
from tests.conftest import TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline_seed import seed_action_item

TEAM_B = "T0TEAM2"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def clock() -> FrozenClock:
    """The served bot's clock, frozen at NOW."""
    return FrozenClock(NOW)


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    for user_id, name in (("U0ALICE", "alice"), ("U0BOB", "bob"), ("U0CAROL", "carol")):
        fake_slack.add_user(user_id, name=name, tz="Europe/Paris")


@pytest.fixture
def sessions(served_bot: ServedBot) -> Sessions:
    return served_bot.runtime.sessions


# ---- seeding ------------------------------------------------------------------------------------


async def add_incident(
    sessions: Sessions,
    number: int,
    *,
    team_id: str = TEAM_ID,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    state: PostmortemState = PostmortemState.NONE,
    declared_by: str = "U0BOB",
    commander_id: str | None = None,
    facilitator_id: str | None = None,
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
            declared_by=declared_by,
            commander_id=commander_id,
            facilitator_id=facilitator_id,
            started_at=NOW - timedelta(days=30 - number),
        )
        session.add(incident)
    return incident


async def add_message(sessions: Sessions, incident: Incident, author_id: str) -> None:
    async with sessions() as session, session.begin():
        session.add(
            TimelineEvent(
                team_id=incident.team_id,
                incident_id=incident.id,
                source=EventSource.MESSAGE,
                channel_id=incident.channel_id,
                ts=f"{int(NOW.timestamp()) - 3600}.000100",
                author_id=author_id,
                text="looking at the dashboards",
                occurred_at=NOW - timedelta(hours=1),
            )
        )


async def open_home(slack: SlackRequests, fake: FakeSlack, user_id: str) -> dict[str, Any]:
    before = len(fake.calls_to("views.publish"))
    response = await slack.event(slack.app_home_opened_event(user_id))
    assert response.status_code == 200
    calls = await fake.wait_for("views.publish", count=before + 1)
    assert calls[-1].args["user_id"] == user_id
    return fake.home_views[user_id]


def texts(view: dict[str, Any]) -> str:
    return "\n".join(block_text(block) for block in view["blocks"])


def block_text(block: dict[str, Any]) -> str:
    parts = [(block.get("text") or {}).get("text", "")]
    parts += [field["text"] for field in block.get("fields") or []]
    parts += [element.get("text", "") for element in block.get("elements") or []]
    return "\n".join(part for part in parts if isinstance(part, str))


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert found, f"no block {block_id}; have {[b.get('block_id') for b in view['blocks']]}"
    return found[0]


def item_sections(view: dict[str, Any]) -> list[str]:
    """The item sections, in order (their texts)."""
    return [
        block_text(b)
        for b in view["blocks"]
        if str(b.get("block_id", "")).startswith(f"{FollowUp.ITEM}.")
        and not str(b["block_id"]).endswith(".do")
    ]


# ---- opening the tab -----------------------------------------------------------------------------


async def test_opening_home_shows_own_open_items_overdue_first_with_controls(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions
) -> None:
    draft = await add_incident(
        sessions,
        1,
        status=IncidentStatus.RESOLVED,
        state=PostmortemState.DRAFT,
        commander_id="U0ALICE",
    )
    chatted = await add_incident(sessions, 2)
    bobs = await add_incident(sessions, 3)
    await add_incident(sessions, 4, status=IncidentStatus.CLOSED, state=PostmortemState.PUBLISHED)
    await add_message(sessions, chatted, "U0ALICE")
    later = await seed_action_item(
        sessions, draft, "Add a canary stage", owner_id="U0ALICE", due=TODAY + timedelta(days=5)
    )
    overdue = await seed_action_item(
        sessions, draft, "Alert on pool size", owner_id="U0ALICE", due=TODAY - timedelta(days=3)
    )
    undated = await seed_action_item(
        sessions, draft, "Write the runbook", owner_id="U0ALICE", due=None
    )
    await seed_action_item(
        sessions,
        draft,
        "Already finished",
        owner_id="U0ALICE",
        due=TODAY - timedelta(days=9),
        status=ActionStatus.DONE,
    )
    await seed_action_item(
        sessions, bobs, "Bob's own item", owner_id="U0BOB", due=TODAY - timedelta(days=1)
    )
    other_team = await add_incident(sessions, 1, team_id=TEAM_B, commander_id="U0ALICE")
    await seed_action_item(
        sessions, other_team, "Other team secret", owner_id="U0ALICE", due=TODAY - timedelta(days=2)
    )

    view = await open_home(slack, fake_slack, "U0ALICE")

    assert view["type"] == "home"
    assert view.get("title") is None and view.get("submit") is None
    sections = item_sections(view)
    assert [s.splitlines()[0] for s in sections] == [
        "*Alert on pool size*",
        "*Add a canary stage*",
        "*Write the runbook*",
    ]
    assert "overdue" in sections[0] and "no due date" in sections[2]
    for item in (overdue, later, undated):
        controls = block(view, f"{FollowUp.ITEM}.{item.id}.do")
        assert [e["action_id"] for e in controls["elements"]] == [
            FollowUp.DONE,
            FollowUp.SNOOZE_DAY,
            FollowUp.SNOOZE_WEEK,
            FollowUp.REASSIGN,
            FollowUp.WONT_DO,
        ]
        assert {e["value"] for e in controls["elements"]} == {str(item.id)}
    assert "3 open, 1 past due" in block_text(block(view, Home.ITEMS))
    everything = texts(view)
    assert "Bob's own item" not in everything
    assert "Already finished" not in everything
    assert "Other team secret" not in everything

    took_part = [
        block_text(b)
        for b in view["blocks"]
        if str(b.get("block_id", "")).startswith(f"{Home.INCIDENTS}.")
    ]
    assert len(took_part) == 2  # INC-3 and INC-4 are not hers, team B's INC-1 is not this team's
    assert took_part[0].startswith("*INC-2: Incident number 2*")  # newest first
    assert "Investigating" in took_part[0] and "in the timeline" in took_part[0]
    assert "INC-1" in took_part[1] and "Retrospective in draft" in took_part[1]
    assert "commander" in took_part[1] and "action items" in took_part[1]

    team = block(view, Home.TEAM)
    fields = [field["text"] for field in team["fields"]]
    assert fields == [
        "*Open incidents*\n2",  # INC-2, INC-3
        "*Postmortems to publish*\n1",  # INC-1 (INC-4 is published)
        "*Action items past due*\n2",  # hers and Bob's; team B's is not counted
    ]
    fake_slack.assert_no_rejections()


async def test_an_empty_home_is_friendly(slack: SlackRequests, fake_slack: FakeSlack) -> None:
    view = await open_home(slack, fake_slack, "U0CAROL")

    assert "Nothing on your plate. Nice." in block_text(block(view, Home.ITEMS_EMPTY))
    assert "None yet" in block_text(block(view, Home.INCIDENTS_EMPTY))
    assert block(view, Home.TEAM)["fields"][0]["text"] == "*Open incidents*\n0"
    fake_slack.assert_no_rejections()


async def test_the_messages_tab_publishes_nothing(
    slack: SlackRequests, fake_slack: FakeSlack
) -> None:
    response = await slack.event(slack.app_home_opened_event("U0BOB", tab="messages"))
    assert response.status_code == 200
    await open_home(slack, fake_slack, "U0CAROL")  # a later event, handled after it

    assert [c.args["user_id"] for c in fake_slack.calls_to("views.publish")] == ["U0CAROL"]
    assert "U0BOB" not in fake_slack.home_views


async def test_many_items_and_incidents_stay_within_the_view_limits(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions
) -> None:
    incidents = [
        await add_incident(sessions, n, declared_by="U0ALICE", title="x" * 200)
        for n in range(1, 16)
    ]
    async with sessions() as session, session.begin():
        session.add_all(
            ActionItem(
                team_id=TEAM_ID,
                incident_id=incidents[n % 15].id,
                title=f"Item {n:02d} " + "y" * 290,
                owner_id="U0ALICE",
                due_date=TODAY + timedelta(days=n - 30),
                created_by="U0BOB",
            )
            for n in range(60)
        )

    view = await open_home(slack, fake_slack, "U0ALICE")

    assert len(view["blocks"]) <= 100
    fake_slack.assert_no_rejections()
    sections = item_sections(view)
    assert sections[0].startswith("*Item 00")  # the most overdue comes first
    more = len(sections)
    assert more >= 30
    assert f"{60 - more} more open items" in block_text(block(view, Home.ITEMS_MORE))
    assert "60 open, 30 past due" in block_text(block(view, Home.ITEMS))
    assert "10 most recent" in block_text(block(view, Home.INCIDENTS_MORE))


# ---- refreshing ----------------------------------------------------------------------------------


async def test_refresh_home_shows_the_item_as_it_now_stands(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, served_bot: ServedBot
) -> None:
    incident = await add_incident(sessions, 1, commander_id="U0ALICE")
    first = await seed_action_item(
        sessions, incident, "Fix the pool", owner_id="U0ALICE", due=TODAY
    )
    await seed_action_item(sessions, incident, "Tune the alert", owner_id="U0ALICE", due=TODAY)
    view = await open_home(slack, fake_slack, "U0ALICE")
    assert len(item_sections(view)) == 2

    # As the Done button does: the change is committed, then each affected Home is redrawn.
    async with sessions() as session:
        await session.execute(
            update(ActionItem)
            .where(ActionItem.id == first.id)
            .values(status=ActionStatus.DONE, closed_at=NOW, closed_by="U0ALICE")
        )
        await session.commit()
        await refresh_home(
            session=session,
            client=served_bot.runtime.app.client,
            team_id=TEAM_ID,
            user_id="U0ALICE",
            now=NOW,
            settings=served_bot.runtime.settings,
        )

    view = fake_slack.home_views["U0ALICE"]
    assert [s.splitlines()[0] for s in item_sections(view)] == ["*Tune the alert*"]
    assert "1 open" in block_text(block(view, Home.ITEMS))
    assert len(fake_slack.calls_to("views.publish")) == 2


async def test_a_failed_refresh_is_logged_not_raised(
    fake_slack: FakeSlack,
    sessions: Sessions,
    served_bot: ServedBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_slack.fail("views.publish", error="not_enabled")

    with caplog.at_level(logging.ERROR, logger="bot.followup.home"):
        async with sessions() as session:
            await refresh_home(
                session=session,
                client=served_bot.runtime.app.client,
                team_id=TEAM_ID,
                user_id="U0BOB",
                now=NOW,
                settings=served_bot.runtime.settings,
            )

    assert "Home of U0BOB not refreshed" in caplog.text
    assert "U0BOB" not in fake_slack.home_views
