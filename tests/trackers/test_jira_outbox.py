"""The outbox carrying intents out against the fake Jira with the real JiraTracker and httpx
client, on both databases: a press files one issue with the owner assigned; 500, 429 with
Retry-After, a timeout and an answer lost after Jira made the issue end in that one issue;
close and reopen move it through the workflow; polling closes an item done in Jira without a
webhook; a refusal no retry mends fails with Jira's words on the item."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.trackers.http import tracker_client
from bot.trackers.jira import JiraTracker
from bot.trackers.outbox import DrainReport, drain, enqueue
from bot.trackers.shapes import IntentKind, TrackerKind
from bot.trackers.sync import poll
from models import ActionItem, ActionStatus, Incident, Severity, SlackUser, TrackerIntent
from tests.clock import FrozenClock
from tests.faketrackers.jira import FakeJira

Sessions = async_sessionmaker[AsyncSession]
TEAM = "T0JIRA"
OWNER = "U0OWNER"
START = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
DUE = date(2026, 12, 11)
CLIENT_TIMEOUT = 0.5
CREATE_PATH = "/rest/api/3/issue"


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira(project="OPS") as fake:
        yield fake
        fake.assert_no_crashes()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with tracker_client(timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def settings_for(fake: FakeJira, project: str | None = None) -> Settings:
    return load_settings(
        {
            "JIRA_URL": fake.url,
            "JIRA_EMAIL": fake.email,
            "JIRA_API_TOKEN": fake.token,
            "JIRA_PROJECT": project or fake.project,
            "JIRA_WEBHOOK_SECRET": fake.webhook_secret,
        }
    )


async def seed_item(sessions: Sessions) -> int:
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
        item = ActionItem(
            team_id=TEAM,
            incident_id=incident.id,
            title="Alert on checkout error rate",
            owner_id=OWNER,
            due_date=DUE,
            created_by=OWNER,
        )
        session.add(item)
        await session.flush()
        return item.id


async def ask_for(sessions: Sessions, item_id: int, kind: IntentKind, now: datetime) -> bool:
    async with sessions() as session, session.begin():
        item = await session.get_one(ActionItem, item_id)
        return await enqueue(session, item=item, kind=kind, now=now)


async def run_drain(
    sessions: Sessions, tracker: JiraTracker, clock: FrozenClock, settings: Settings
) -> DrainReport:
    trackers = {TrackerKind.JIRA: tracker}
    return await drain(sessionmaker=sessions, trackers=trackers, clock=clock, settings=settings)


async def the_item(sessions: Sessions, item_id: int) -> ActionItem:
    async with sessions() as session:
        return await session.get_one(ActionItem, item_id)


async def the_intents(sessions: Sessions) -> list[TrackerIntent]:
    async with sessions() as session:
        return list(await session.scalars(select(TrackerIntent).order_by(TrackerIntent.id)))


def creates(fake: FakeJira) -> int:
    return len(fake.recorder.seen("POST", CREATE_PATH))


async def test_a_press_files_one_jira_issue_assigned_to_the_owner(
    sessions: Sessions, jira: FakeJira, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    settings = settings_for(jira)
    tracker = JiraTracker(client, settings.trackers.jira)
    owner = jira.add_user("owner@example.com")
    item_id = await seed_item(sessions)
    assert await ask_for(sessions, item_id, IntentKind.CREATE, clock())
    assert not await ask_for(sessions, item_id, IntentKind.CREATE, clock())  # a second press

    report = await run_drain(sessions, tracker, clock, settings)

    assert (report.done, report.retried, report.failed) == (1, 0, 0)
    assert report.calls == 2  # the owner's user, then the create
    [issue] = jira.issues.values()
    marker = f"hindsight-item-{TEAM}-{item_id}"
    assert issue.summary == "Alert on checkout error rate"
    assert issue.labels == ["postmortem", "prevent", marker]
    assert (issue.assignee, issue.duedate, issue.issue_type) == (owner, "2026-12-11", "Task")
    assert "INC-7" in issue.description_text() and marker in issue.description_text()
    filed = await the_item(sessions, item_id)
    assert (filed.tracker_kind, filed.tracker_key) == ("jira", "OPS-1")
    assert filed.tracker_url == f"{jira.url}/browse/OPS-1"
    assert (filed.tracker_state, filed.tracker_error) == ("open", None)
    assert (await run_drain(sessions, tracker, clock, settings)).ran == 0


async def test_500_429_timeout_and_a_lost_answer_end_in_one_issue(
    sessions: Sessions, jira: FakeJira, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    settings = settings_for(jira)
    tracker = JiraTracker(client, settings.trackers.jira)
    item_id = await seed_item(sessions)
    await ask_for(sessions, item_id, IntentKind.CREATE, clock())

    jira.fail(500, verb="POST", path=CREATE_PATH)
    assert (await run_drain(sessions, tracker, clock, settings)).retried == 1
    clock.advance(timedelta(hours=1))
    jira.limit(retry_after=90)
    assert (await run_drain(sessions, tracker, clock, settings)).retried == 1
    [intent] = await the_intents(sessions)
    assert intent.next_attempt_at is not None
    assert intent.next_attempt_at.replace(tzinfo=UTC) == clock() + timedelta(seconds=90)
    clock.advance(timedelta(hours=1))
    jira.stall(CLIENT_TIMEOUT * 4)
    assert (await run_drain(sessions, tracker, clock, settings)).retried == 1
    clock.advance(timedelta(hours=1))
    jira.stall(CLIENT_TIMEOUT * 4, after_work=True, verb="POST", path=CREATE_PATH)
    assert (await run_drain(sessions, tracker, clock, settings)).retried == 1
    assert list(jira.issues) == ["OPS-1"]  # Jira made it; its answer never came
    clock.advance(timedelta(hours=1))

    report = await run_drain(sessions, tracker, clock, settings)

    assert (report.done, report.retried, report.failed) == (1, 0, 0)
    assert list(jira.issues) == ["OPS-1"] and creates(jira) == 2  # the 500 filed nothing
    [intent] = await the_intents(sessions)
    assert (intent.state, intent.attempts) == ("done", 5)
    filed = await the_item(sessions, item_id)
    assert (filed.tracker_key, filed.tracker_state, filed.tracker_error) == ("OPS-1", "open", None)


async def test_close_and_reopen_move_the_issue_through_the_workflow(
    sessions: Sessions, jira: FakeJira, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    settings = settings_for(jira)
    tracker = JiraTracker(client, settings.trackers.jira)
    item_id = await seed_item(sessions)
    await ask_for(sessions, item_id, IntentKind.CREATE, clock())
    await run_drain(sessions, tracker, clock, settings)

    assert await ask_for(sessions, item_id, IntentKind.CLOSE, clock())
    assert (await run_drain(sessions, tracker, clock, settings)).done == 1
    assert jira.issues["OPS-1"].status == "Done"
    assert (await the_item(sessions, item_id)).tracker_state == "closed"

    assert await ask_for(sessions, item_id, IntentKind.REOPEN, clock())
    assert (await run_drain(sessions, tracker, clock, settings)).done == 1
    assert jira.issues["OPS-1"].status == "To Do"
    assert (await the_item(sessions, item_id)).tracker_state == "open"


async def test_polling_closes_an_item_whose_issue_was_done_without_a_webhook(
    sessions: Sessions, jira: FakeJira, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    settings = settings_for(jira)
    tracker = JiraTracker(client, settings.trackers.jira)
    item_id = await seed_item(sessions)
    await ask_for(sessions, item_id, IntentKind.CREATE, clock())
    await run_drain(sessions, tracker, clock, settings)
    trackers = {TrackerKind.JIRA: tracker}
    assert await poll(sessionmaker=sessions, trackers=trackers, clock=clock) == []

    jira.close("OPS-1")  # done in Jira; the webhook never arrives
    clock.advance(timedelta(minutes=15))

    assert await poll(sessionmaker=sessions, trackers=trackers, clock=clock) == [item_id]
    closed = await the_item(sessions, item_id)
    assert (closed.status, closed.tracker_state) == (ActionStatus.DONE, "closed")
    assert await poll(sessionmaker=sessions, trackers=trackers, clock=clock) == []


async def test_a_refusal_no_retry_mends_fails_with_jiras_words(
    sessions: Sessions, jira: FakeJira, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    settings = settings_for(jira, project="NOPE")
    tracker = JiraTracker(client, settings.trackers.jira)
    item_id = await seed_item(sessions)
    await ask_for(sessions, item_id, IntentKind.CREATE, clock())

    report = await run_drain(sessions, tracker, clock, settings)

    assert (report.done, report.retried, report.failed) == (0, 0, 1)
    assert jira.issues == {}
    failed = await the_item(sessions, item_id)
    assert failed.tracker_key is None
    assert failed.tracker_error is not None and "valid project" in failed.tracker_error
