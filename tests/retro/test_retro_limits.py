"""The retrospective at Slack's limits: 3000-character answers, 10 factors with five whys,
20 action items and 200 marked timeline events never produce a view Slack rejects."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ids import Retro
from bot.retro.forms import MAX_FACTORS, MAX_ITEMS
from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
    Incident,
    TimelineEvent,
    TimelineMark,
)
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.retro.test_retro import (
    START,
    action_values,
    all_of,
    draft_of,
    factor_values,
    future,
    initial,
    lesson_values,
    open_retro,
    press,
    rows_of,
    seed_retro_incident,
    step_of,
    submit,
    summary_values,
    timeline_values,
    view_text,
)

Sessions = async_sessionmaker[AsyncSession]
SENTENCE = "The connection pool reached its limit under peak load while retries added more work. "
EVENTS = 200


def long_text(tag: str, size: int = 3000) -> str:
    return (f"{tag}: " + SENTENCE * 40)[: size - 1] + "."


async def seed_marked_events(sessions: Sessions, incident: Incident) -> list[int]:
    async with sessions() as session, session.begin():
        events = [
            TimelineEvent(
                team_id=incident.team_id,
                incident_id=incident.id,
                source=EventSource.MANUAL,
                text=long_text(f"event {n}"),
                occurred_at=START + timedelta(minutes=n),
                author_id="U0ALICE",
            )
            for n in range(EVENTS)
        ]
        session.add_all(events)
        await session.flush()
        kinds = ["detection", "action", "key_event", "resolution"]
        session.add_all(
            TimelineMark(
                team_id=incident.team_id,
                event_id=event.id,
                kind=kinds[n % len(kinds)],
                reaction="pushpin",
                marked_by="U0BOB",
            )
            for n, event in enumerate(events)
        )
        return [event.id for event in events]


def assert_within_limits(view: dict[str, Any]) -> None:
    assert len(view["blocks"]) <= 100
    assert len(view["private_metadata"]) <= 3000
    assert len(view["title"]["text"]) <= 24


async def test_long_answers_many_items_and_a_long_timeline_stay_within_slacks_limits(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    incident = await seed_retro_incident(fake_slack, sessions)
    event_ids = await seed_marked_events(sessions, incident)

    view = await open_retro(slack, fake_slack)
    full = summary_values(
        summary=long_text("what"),
        impact=long_text("impact"),
        duration="d" * 200,
        detection=long_text("detection"),
    )
    _, view = await submit(slack, fake_slack, view, full)
    assert step_of(view) == "timeline"
    assert_within_limits(view)
    assert f"of {EVENTS} marked events" in view_text(view)
    chosen = {"detection": event_ids[0], "mitigation": event_ids[50], "resolution": event_ids[3]}
    _, view = await submit(slack, fake_slack, view, timeline_values(chosen))

    assert step_of(view) == "factors"
    for _ in range(MAX_FACTORS - 1):
        view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)
        assert_within_limits(view)
    assert Retro.FACTOR_ADD not in view_text(view)  # ten is the most
    whys = [long_text(f"why {i}", 590) for i in range(5)]
    factors = [("capacity", long_text(f"factor {n}"), whys) for n in range(MAX_FACTORS)]
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, factors, keep_wording=False)
    )

    assert step_of(view) == "lessons"
    _, view = await submit(
        slack,
        fake_slack,
        view,
        lesson_values(long_text("well"), long_text("badly"), long_text("lucky")),
    )
    for _ in range(MAX_ITEMS - 1):
        view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    assert_within_limits(view)
    assert len(rows_of(view)) == MAX_ITEMS and Retro.ACTION_ADD not in view_text(view)
    items = [
        (long_text(f"item {n}", 300), "U0BOB", future(7), "high", "prevent")
        for n in range(MAX_ITEMS)
    ]
    _, view = await submit(slack, fake_slack, view, action_values(view, items))

    assert step_of(view) == "review"
    assert_within_limits(view)
    assert "the draft keeps all of it" in view_text(view)
    assert len(await all_of(sessions, ActionItem)) == MAX_ITEMS
    factors_saved = await all_of(sessions, ContributingFactor)
    assert [len(f.description) for f in factors_saved] == [3000] * MAX_FACTORS
    assert factors_saved[0].whys == whys
    draft = await draft_of(sessions)
    assert (len(draft.summary), len(draft.went_badly), len(draft.duration)) == (3000, 3000, 200)

    reopened = await open_retro(slack, fake_slack)  # everything done: the review
    assert step_of(reopened) == "review"
    for step in ("actions", "lessons", "factors", "timeline", "summary"):
        reopened = await press(slack, fake_slack, reopened, Retro.BACK)
        assert step_of(reopened) == step
        assert_within_limits(reopened)
    assert initial(reopened, Retro.SUMMARY) == long_text("what")
    assert json.loads(reopened["private_metadata"])["v"] == draft.version

    # Bob edits the twenty items while Alice saves: his conflict view holds both versions.
    bob = await press(
        slack,
        fake_slack,
        await open_retro(slack, fake_slack, user_id="U0BOB"),
        Retro.BACK,
        user_id="U0BOB",
    )
    assert step_of(bob) == "actions"
    await submit(slack, fake_slack, reopened, full)
    ack, shown = await submit(slack, fake_slack, bob, action_values(bob, items), user_id="U0BOB")
    assert ack["response_action"] == "update" and step_of(shown) == "actions"
    assert "Their saved version of this step" in view_text(shown)
    assert_within_limits(shown)
    fake_slack.assert_no_rejections()
