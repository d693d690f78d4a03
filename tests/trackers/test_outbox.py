"""The tracker outbox on both databases: an intent is added once, claimed by one drain, retried
after the wait the tracker asked for, given up after MAX_ATTEMPTS with the tracker's words, and
a create whose answer was lost is found again instead of filed twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.trackers.lease import LEASE, claim
from bot.trackers.outbox import MAX_ATTEMPTS, DrainReport, drain, enqueue, retry_failed
from bot.trackers.shapes import IntentKind, IntentState, RemoteState, TrackerError, TrackerKind
from models import ActionItem, ActionStatus, Incident, Severity, SlackUser, TrackerIntent
from tests.clock import FrozenClock
from tests.trackers.memory_tracker import MemoryTracker

Sessions = async_sessionmaker[AsyncSession]
TEAM = "T0OUTBOX"
OWNER = "U0OWNER"
START = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings() -> Settings:
    return load_settings({"GITHUB_TOKEN": "ghp_test", "GITHUB_REPOSITORY": "acme/ops"})


async def seed_items(sessions: Sessions, count: int = 1) -> list[int]:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM,
            number=7,
            title="Checkout errors",
            severity=Severity.SEV2,
            channel_id="C0INC7",
            declared_by=OWNER,
        )
        session.add(incident)
        session.add(SlackUser(team_id=TEAM, user_id=OWNER, email="Owner@Example.com"))
        await session.flush()
        items = [
            ActionItem(
                team_id=TEAM,
                incident_id=incident.id,
                title=f"Alert on checkout error rate ({number})",
                owner_id=OWNER,
                due_date=date(2026, 12, 11),
                created_by=OWNER,
            )
            for number in range(count)
        ]
        session.add_all(items)
        await session.flush()
        return [item.id for item in items]


async def press(sessions: Sessions, item_id: int, now: datetime) -> bool:
    """What the Create button's handler does: enqueue in its own transaction."""
    async with sessions() as session, session.begin():
        item = await session.get_one(ActionItem, item_id)
        return await enqueue(session, item=item, kind=IntentKind.CREATE, now=now)


async def run_drain(
    sessions: Sessions, tracker: MemoryTracker, clock: FrozenClock, settings: Settings
) -> DrainReport:
    return await drain(
        sessionmaker=sessions,
        trackers={TrackerKind.GITHUB: tracker},
        clock=clock,
        settings=settings,
    )


async def intents(sessions: Sessions) -> list[TrackerIntent]:
    async with sessions() as session:
        return list(await session.scalars(select(TrackerIntent).order_by(TrackerIntent.id)))


async def item(sessions: Sessions, item_id: int) -> ActionItem:
    async with sessions() as session:
        return await session.get_one(ActionItem, item_id)


async def test_a_press_files_one_issue_with_the_owner_as_assignee(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    tracker = MemoryTracker()
    assert await press(sessions, item_id, clock())
    assert not await press(sessions, item_id, clock())  # the second press adds nothing

    report = await run_drain(sessions, tracker, clock, settings)

    assert (report.done, report.retried, report.failed) == (1, 0, 0)
    assert report.changed_items == [item_id]
    assert report.calls == len(tracker.calls) == 2  # the owner's user, then the create
    [(key, draft)] = tracker.drafts.items()
    assert draft.marker == f"hindsight-item-{TEAM}-{item_id}"
    assert draft.assignee == "owner-gh" and draft.due == date(2026, 12, 11)
    filed = await item(sessions, item_id)
    assert (filed.tracker_kind, filed.tracker_key) == ("github", key)
    assert filed.tracker_url == tracker.issues[key].url
    assert filed.tracker_state == "open" and filed.tracker_error is None
    assert filed.tracker_synced_at == START
    [intent] = await intents(sessions)
    assert (intent.state, intent.attempts, intent.done_at) == ("done", 1, START)
    assert not await press(sessions, item_id, clock())  # filed: nothing more to add
    assert (await run_drain(sessions, tracker, clock, settings)).ran == 0


async def test_two_presses_at_once_add_one_intent(sessions: Sessions, clock: FrozenClock) -> None:
    [item_id] = await seed_items(sessions)
    added = await asyncio.gather(*(press(sessions, item_id, clock()) for _ in range(2)))
    assert sorted(added) == [False, True]
    assert len(await intents(sessions)) == 1


async def test_two_drains_at_once_run_every_intent_once(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    item_ids = await seed_items(sessions, 40)
    for item_id in item_ids:
        await press(sessions, item_id, clock())
    tracker = MemoryTracker(delay=0.002)

    reports = await asyncio.gather(
        *(
            drain(
                sessionmaker=sessions,
                trackers={TrackerKind.GITHUB: tracker},
                clock=clock,
                settings=settings,
                limit=40,  # each may take them all: only the claim keeps them apart
            )
            for _ in range(2)
        )
    )

    assert sum(report.done for report in reports) == 40
    assert tracker.calls.count("create") == 40
    markers = tracker.markers()
    assert len(markers) == len(set(markers)) == 40
    assert {intent.state for intent in await intents(sessions)} == {"done"}
    assert {intent.attempts for intent in await intents(sessions)} == {1}


async def test_concurrent_claims_take_disjoint_intents(
    sessions: Sessions, clock: FrozenClock
) -> None:
    for item_id in await seed_items(sessions, 30):
        await press(sessions, item_id, clock())
    claims = await asyncio.gather(
        *(claim(sessions, now=clock(), claim_id=f"drain-{n}", limit=30) for n in range(3))
    )
    taken = [intent.id for claimed in claims for intent in claimed]
    assert len(taken) == len(set(taken)) == 30


async def test_a_rate_limit_is_waited_out_as_the_tracker_asked(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    first, second = await seed_items(sessions, 2)
    for item_id in (first, second):
        await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    limited = TrackerError("403 API rate limit exceeded", status=403, retryable=True)
    limited.retry_after = 120.0
    tracker.refusals = [limited]

    report = await run_drain(sessions, tracker, clock, settings)

    # The first asked us to wait; the second was not tried in the meantime.
    assert (report.done, report.retried, report.calls) == (0, 1, 1)
    one, two = await intents(sessions)
    assert one.next_attempt_at == START + timedelta(seconds=120) and one.attempts == 1
    assert two.next_attempt_at == START + timedelta(seconds=120) and two.attempts == 0
    assert one.last_error == "403 API rate limit exceeded"
    assert (await item(sessions, first)).tracker_error == "403 API rate limit exceeded"

    clock.advance(timedelta(seconds=119))
    assert (await run_drain(sessions, tracker, clock, settings)).ran == 0
    clock.advance(timedelta(seconds=1))
    assert (await run_drain(sessions, tracker, clock, settings)).done == 2
    assert (await item(sessions, first)).tracker_error is None
    assert len(tracker.issues) == 2


async def test_failures_back_off_then_fail_with_the_trackers_message(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    down = "502 Bad Gateway"
    tracker.refusals = [TrackerError(down, status=502, retryable=True)] * MAX_ATTEMPTS
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await run_drain(sessions, tracker, clock, settings)
        [intent] = await intents(sessions)
        assert intent.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retried == 1 and intent.state == "pending"
            waits.append(intent.next_attempt_at - clock())
            clock.advance(waits[-1])
    assert [wait.total_seconds() for wait in waits] == [15, 30, 60, 120, 240, 480, 960]
    assert report.failed == 1
    assert (intent.state, intent.last_error) == ("failed", down)
    assert (await item(sessions, item_id)).tracker_error == down
    clock.advance(timedelta(days=1))
    assert (await run_drain(sessions, tracker, clock, settings)).ran == 0  # failed stays failed

    async with sessions() as session, session.begin():
        assert await retry_failed(session, item_id=item_id, team_id=TEAM, now=clock())
        assert not await retry_failed(session, item_id=item_id, team_id="T0OTHER", now=clock())
    assert (await item(sessions, item_id)).tracker_error is None
    assert (await run_drain(sessions, tracker, clock, settings)).done == 1
    assert len(tracker.issues) == 1


async def test_retry_after_a_lost_last_answer_files_nothing_twice(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    """The last attempt was filed but its answer lost, and the intent failed for good: Retry
    starts the count over and still searches for the marker before filing."""
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    tracker.refused_method = "create"
    tracker.refusals = [TrackerError("503 Service Unavailable", retryable=True)] * (
        MAX_ATTEMPTS - 1
    )
    tracker.lose_answers = 1  # the eighth create is filed, its answer lost
    for _ in range(MAX_ATTEMPTS):
        report = await run_drain(sessions, tracker, clock, settings)
        clock.advance(timedelta(hours=1))
    assert report.failed == 1 and len(tracker.issues) == 1
    async with sessions() as session, session.begin():
        assert await retry_failed(session, item_id=item_id, team_id=TEAM, now=clock())
    report = await run_drain(sessions, tracker, clock, settings)
    assert report.done == 1 and len(tracker.issues) == 1
    assert tracker.calls[-1] == "find_by_marker"
    assert (await item(sessions, item_id)).tracker_key == "acme/ops#1"


async def test_a_refusal_no_retry_mends_fails_at_once(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    tracker.refusals = [TrackerError("422 Validation Failed; assignees invalid", status=422)]
    tracker.refused_method = "create"
    report = await run_drain(sessions, tracker, clock, settings)
    assert (report.failed, report.retried) == (1, 0)
    [intent] = await intents(sessions)
    assert intent.state == IntentState.FAILED
    refused = "422 Validation Failed; assignees invalid"
    assert (await item(sessions, item_id)).tracker_error == refused
    async with sessions() as session, session.begin():
        assert await retry_failed(session, item_id=item_id, team_id=TEAM, now=clock())


async def test_an_answer_lost_after_the_tracker_filed_it_files_nothing_twice(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    tracker.lose_answers = 1  # filed, then the answer timed out

    assert (await run_drain(sessions, tracker, clock, settings)).retried == 1
    clock.advance(timedelta(seconds=15))
    report = await run_drain(sessions, tracker, clock, settings)

    assert report.done == 1
    assert tracker.calls.count("create") == 1 and "find_by_marker" in tracker.calls
    [key] = tracker.issues
    assert (await item(sessions, item_id)).tracker_key == key


async def test_a_drain_that_died_after_the_trackers_answer_files_nothing_twice(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    """The dead process claimed the intent and the tracker filed it; nothing was recorded.
    Once its lease is over, the next drain finds the issue by its marker."""
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    tracker = MemoryTracker()
    tracker.hold_creates = asyncio.Event()  # the tracker files it; the answer never arrives
    tracker.filed = asyncio.Event()
    dead = asyncio.create_task(run_drain(sessions, tracker, clock, settings))
    await asyncio.wait_for(tracker.filed.wait(), timeout=5)
    [intent] = await intents(sessions)
    assert intent.claim is not None
    claimed_until = intent.claimed_until

    # A second drain meanwhile takes nothing: the lease holds it.
    other = MemoryTracker()
    assert (await run_drain(sessions, other, clock, settings)).ran == 0
    dead.cancel()  # shutdown: the intent goes back with its attempt counted
    with pytest.raises(asyncio.CancelledError):
        await dead
    assert claimed_until == START + LEASE

    tracker.hold_creates = None
    report = await run_drain(sessions, tracker, clock, settings)
    assert report.done == 1
    assert tracker.calls.count("create") == 1 and tracker.calls.count("find_by_marker") == 1
    assert (await item(sessions, item_id)).tracker_key == "acme/ops#1"


async def test_a_claim_left_by_a_crash_is_taken_again_after_its_lease(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    [claimed] = await claim(sessions, now=clock(), claim_id="dead-process", limit=10)
    assert claimed.attempts == 1
    tracker = MemoryTracker()
    assert (await run_drain(sessions, tracker, clock, settings)).ran == 0
    clock.advance(LEASE)
    report = await run_drain(sessions, tracker, clock, settings)
    assert report.done == 1
    # Its attempt was counted: the tracker is searched before filing.
    assert tracker.calls == ["user_for_email", "find_by_marker", "create"]


async def test_an_items_intents_run_in_order_and_a_done_item_is_closed_when_filed(
    sessions: Sessions, clock: FrozenClock, settings: Settings
) -> None:
    [item_id] = await seed_items(sessions)
    await press(sessions, item_id, clock())
    async with sessions() as session, session.begin():
        row = await session.get_one(ActionItem, item_id)
        row.status = ActionStatus.DONE
        assert await enqueue(session, item=row, kind=IntentKind.CLOSE, now=clock())
        assert not await enqueue(session, item=row, kind=IntentKind.CLOSE, now=clock())
    tracker = MemoryTracker()
    first = await run_drain(sessions, tracker, clock, settings)
    assert first.done == 1  # the close waited for the create
    assert tracker.calls == ["user_for_email", "create", "update"]
    assert (await item(sessions, item_id)).tracker_state == RemoteState.CLOSED
    second = await run_drain(sessions, tracker, clock, settings)
    assert second.done == 1 and tracker.calls[-1] == "update"
    assert [intent.kind for intent in await intents(sessions)] == ["create", "close"]


async def test_updates_need_an_issue_or_a_filing_on_its_way(
    sessions: Sessions, clock: FrozenClock
) -> None:
    [item_id] = await seed_items(sessions)
    async with sessions() as session, session.begin():
        row = await session.get_one(ActionItem, item_id)
        assert not await enqueue(session, item=row, kind=IntentKind.UPDATE, now=clock())
        row.tracker_kind, row.tracker_key = "github", "acme/ops#9"
        assert await enqueue(session, item=row, kind=IntentKind.UPDATE, now=clock())
        assert not await enqueue(session, item=row, kind=IntentKind.UPDATE, now=clock())
        assert await enqueue(session, item=row, kind=IntentKind.CLOSE, now=clock())
        assert await enqueue(session, item=row, kind=IntentKind.REOPEN, now=clock())
    keys = [intent.idempotency_key for intent in await intents(sessions)]
    assert keys == [f"update:{item_id}:1", f"close:{item_id}:2", f"reopen:{item_id}:3"]
