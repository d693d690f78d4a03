"""The Slack side of the trackers, end to end: the served app over signed HTTP, the fake Slack,
and the fake GitHub on loopback talked to with the real httpx client.

- the owner's DM offers "Create GitHub issue"; a press is acked at once, files exactly one
  issue with the item's fields, and the DM and App Home then show its link; pressing again
  files nothing; the export lists the issue;
- a signed `closed` webhook closes the item and the next reminder sweep on an overdue day says
  nothing about it; `reopened` brings it back on a fresh schedule; a bad signature changes
  nothing;
- polling closes an item whose issue was closed without a webhook;
- TRACKER_SYNC=all files new items (the command's, the retro's) without a press.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.config import Settings
from bot.followup.items import settle_items
from bot.followup.sweep import sweep
from bot.ids import Trackers
from bot.publish.export import export_markdown, export_record
from bot.trackers.github import GitHubTracker
from bot.trackers.http import tracker_client
from bot.trackers.jira import JiraTracker
from bot.trackers.outbox import drain
from bot.trackers.shapes import Tracker, TrackerKind
from bot.trackers.sync import poll, redraw
from bot.ui.item import controls_block_id, item_block_id
from models import ActionItem, ActionStatus, Incident, ReminderDelivery, TrackerIntent
from tests.conftest import ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.faketrackers.github import Delivery, FakeGitHub
from tests.faketrackers.jira import FakeJira
from tests.timeline_seed import seed_incident

Sessions = async_sessionmaker[AsyncSession]
OWNER, FACILITATOR = "U0OWEN", "U0FAY"
OWNER_EMAIL, OWNER_LOGIN = "owen@example.com", "owen-gh"
DUE = date(2099, 1, 15)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
        fake.assert_no_violations()


@pytest.fixture
def people(fake_slack: FakeSlack) -> str:
    fake_slack.add_user(OWNER, name="owen", tz="Europe/Paris", email=OWNER_EMAIL)
    fake_slack.add_user(FACILITATOR, name="fay", tz="Europe/London")
    return fake_slack.add_channel("inc-checkout", members=[OWNER], bot_is_member=True)


@dataclass
class Bot:
    served: ServedBot
    slack: SlackRequests
    http: httpx.AsyncClient
    tracker: Tracker

    @property
    def sessions(self) -> Sessions:
        return self.served.runtime.sessions

    async def drain(self, *, later: timedelta = timedelta(0)) -> None:
        """The outbox drained now (the press's kick may have done it already: claims are
        atomic, so nothing runs twice), or `later` (a backoff past), and the changed items
        drawn again."""
        runtime = self.served.runtime
        report = await drain(
            sessionmaker=self.sessions,
            trackers={self.tracker.kind: self.tracker},
            clock=lambda: runtime.clock() + later,
            settings=runtime.settings,
        )
        await redraw(runtime, report.changed_items)

    async def webhook(self, delivery: Delivery, **headers: str) -> httpx.Response:
        return await self.http.post(
            f"{self.served.url}/webhooks/github",
            content=delivery.body,
            headers=delivery.headers | headers,
        )


def github_env(github: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": github.token,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_API_URL": github.api_url,
        "GITHUB_WEBHOOK_SECRET": github.webhook_secret,
        "GITHUB_USER_MAP": f"{OWNER_EMAIL}={OWNER_LOGIN}",
    }


def github_tracker(client: httpx.AsyncClient, settings: Settings) -> Tracker:
    assert settings.trackers.github is not None
    return GitHubTracker(client, settings.trackers.github)


async def serve_with(
    fake_slack: FakeSlack,
    database_url: str,
    env: dict[str, str],
    make_tracker: Callable[[httpx.AsyncClient, Settings], Tracker] = github_tracker,
    *,
    quiet: bool = False,
    client_timeout: float = 10,
) -> AsyncIterator[Bot]:
    """The served app with a tracker configured; `quiet`: without its own drains (no kick,
    no jobs), so the test's drains are the only ones."""
    settings = make_settings(fake_slack, database_url, **env)
    runtime = build_runtime(settings)
    if quiet:
        runtime.trackers = {}
    async with (
        serve_app(runtime) as served,
        httpx.AsyncClient(timeout=10) as http,
        tracker_client(client_timeout) as client,
    ):
        slack = SlackRequests(
            served.events_url,
            signing_secret=settings.slack_signing_secret or "",
            fake=fake_slack,
            team_id=fake_slack.team_id,
        )
        yield Bot(served, slack, http, make_tracker(client, settings))


@pytest.fixture
async def bot(fake_slack: FakeSlack, database_url: str, github: FakeGitHub) -> AsyncIterator[Bot]:
    async for served in serve_with(fake_slack, database_url, github_env(github)):
        yield served


@pytest.fixture
async def bot_filing_all(
    fake_slack: FakeSlack, database_url: str, github: FakeGitHub
) -> AsyncIterator[Bot]:
    env = github_env(github) | {"TRACKER_SYNC": "all"}
    async for served in serve_with(fake_slack, database_url, env):
        yield served


# ---- helpers -----------------------------------------------------------------------------------


async def create_by_command(bot: Bot, channel: str, title: str) -> ActionItem:
    """`/postmortem action …` in the incident channel, as the facilitator, for Owen."""
    response = await bot.slack.command(
        f"action {title} <@{OWNER}|owen> due {DUE.isoformat()}",
        channel_id=channel,
        user_id=FACILITATOR,
    )
    assert response.status_code == 200
    async with bot.sessions() as session:
        item = await session.scalar(select(ActionItem).where(ActionItem.title == title))
    assert item is not None
    return item


async def owner_dm(bot: Bot, fake: FakeSlack, item_id: int) -> dict[str, Any]:
    """The DM Owen was sent about the item (once it is sent, after the ack), as Slack holds it."""
    for _ in range(250):
        async with bot.sessions() as session:
            delivery = await session.scalar(
                select(ReminderDelivery).where(
                    ReminderDelivery.action_item_id == item_id,
                    ReminderDelivery.recipient_id == OWNER,
                    ReminderDelivery.message_ts.is_not(None),
                )
            )
        if delivery is not None:
            message = fake.find_message(str(delivery.channel_id), str(delivery.message_ts))
            assert message is not None
            return dict(message, channel=delivery.channel_id)
        await asyncio.sleep(0.02)
    raise AssertionError("no DM to the owner about the item")


def block_text(message: dict[str, Any], block_id: str) -> str:
    return json.dumps(next((b for b in message["blocks"] if b.get("block_id") == block_id), {}))


async def press(bot: Bot, message: dict[str, Any], item_id: int, action: str) -> float:
    """Press a tracker button in the message; how long the ack took."""
    started = time.monotonic()
    response = await bot.slack.block_action(
        action,
        value=str(item_id),
        block_id=controls_block_id(item_id),
        message=message,
        channel_id=message["channel"],
        user_id=OWNER,
    )
    assert response.status_code == 200
    return time.monotonic() - started


async def item_of(bot: Bot, item_id: int) -> ActionItem:
    async with bot.sessions() as session:
        item = await session.get(ActionItem, item_id)
    assert item is not None
    return item


async def filed(bot: Bot, item_id: int, timeout: float = 5.0) -> ActionItem:  # noqa: ASYNC109
    """The item once its issue exists (the drain after the press files it)."""
    deadline = time.monotonic() + timeout
    while True:
        await bot.drain()
        item = await item_of(bot, item_id)
        if item.tracker_key or time.monotonic() > deadline:
            assert item.tracker_key, "the item was never filed"
            return item
        await asyncio.sleep(0.05)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Until `check` holds: the outbox drains and redraws after the ack, on its own time."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "never came to pass"
        await asyncio.sleep(0.05)


async def intents(bot: Bot) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TrackerIntent)) or 0)


async def filed_by_press(bot: Bot, fake: FakeSlack, channel: str) -> tuple[ActionItem, dict]:
    """An item made with the command and filed with the DM's button."""
    await seed_incident(bot.sessions, channel, commander_id=FACILITATOR)
    made = await create_by_command(bot, channel, "Alert on checkout p99")
    dm = await owner_dm(bot, fake, made.id)
    await press(bot, dm, made.id, Trackers.CREATE)
    return await filed(bot, made.id), dm


# ---- pressing Create GitHub issue -------------------------------------------------------------


async def test_a_press_files_one_issue_and_the_dm_and_home_show_its_link(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    incident = await seed_incident(bot.sessions, people, commander_id=FACILITATOR)
    made = await create_by_command(bot, people, "Alert on checkout p99")
    dm = await owner_dm(bot, fake_slack, made.id)
    assert "Create GitHub issue" in block_text(dm, controls_block_id(made.id))
    assert "Jira" not in json.dumps(dm["blocks"])

    waited = await press(bot, dm, made.id, Trackers.CREATE)
    assert waited < 3.0  # acked before any call to GitHub
    await press(bot, dm, made.id, Trackers.CREATE)  # a double click
    item = await filed(bot, made.id)
    assert await intents(bot) == 1

    [issue] = github.issues.values()
    assert issue["title"] == "Alert on checkout p99"
    assert [label["name"] for label in issue["labels"]] == ["postmortem", "prevent"]
    assert issue["assignee"]["login"] == OWNER_LOGIN  # Owen's Slack e-mail, mapped
    for expected in (f"{incident.ref}: Checkout errors", DUE.isoformat(), f"-{item.id}"):
        assert expected in issue["body"]
    assert (item.tracker_kind, item.tracker_key, item.tracker_state) == (
        "github",
        f"{github.repository}#1",
        "open",
    )
    link = f"<{issue['html_url']}|{github.repository}#1>"

    async def linked() -> bool:
        shown = fake_slack.find_message(dm["channel"], dm["ts"]) or {"blocks": []}
        home = json.dumps(fake_slack.home_views.get(OWNER, {}).get("blocks"))
        return link in block_text(shown, item_block_id(item.id)) and link in home

    await eventually(linked)
    shown = fake_slack.find_message(dm["channel"], dm["ts"])
    assert shown is not None
    assert "Create GitHub issue" not in block_text(shown, controls_block_id(item.id))

    # A stale copy of the DM, pressed again: nothing new is filed.
    await press(bot, dm, made.id, Trackers.CREATE)
    await bot.drain()
    assert (
        len(github.issues) == 1
        and len(github.recorder.seen("POST", f"/repos/{github.repository}/issues")) == 1
    )
    assert await intents(bot) == 1

    async with bot.sessions() as session:
        stored = await session.get_one(Incident, incident.id)
        record = await export_record(session=session, incident=stored, now=datetime.now(UTC))
        markdown = await export_markdown(session=session, incident=stored)
    [exported] = record["action_items"]
    assert exported["tracker"]["url"] == issue["html_url"]
    assert exported["tracker"]["state"] == "open"
    assert f"[{github.repository}#1](<{issue['html_url']}>) (open)" in markdown


async def test_a_failed_filing_shows_the_error_and_retry_files_it(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    await seed_incident(bot.sessions, people, commander_id=FACILITATOR)
    made = await create_by_command(bot, people, "Alert on checkout p99")
    dm = await owner_dm(bot, fake_slack, made.id)
    github.fail(422, times=1, verb="POST")  # refused for good: not retried
    await press(bot, dm, made.id, Trackers.CREATE)

    async def retry_offered() -> bool:
        await bot.drain()
        shown = fake_slack.find_message(dm["channel"], dm["ts"]) or {"blocks": []}
        return '"trackers.retry"' in block_text(shown, controls_block_id(made.id))

    await eventually(retry_offered)
    item = await item_of(bot, made.id)
    assert item.tracker_key is None and "Validation Failed" in str(item.tracker_error)
    shown = fake_slack.find_message(dm["channel"], dm["ts"])
    assert shown is not None
    assert "Couldn't create the GitHub issue" in block_text(shown, item_block_id(made.id))

    await press(bot, shown | {"channel": dm["channel"]}, made.id, Trackers.RETRY)
    item = await filed(bot, made.id)
    assert len(github.issues) == 1 and item.tracker_error is None


# ---- the tracker's changes ---------------------------------------------------------------------


async def test_closed_in_github_closes_the_item_and_the_overdue_sweep_says_nothing(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    item, dm = await filed_by_press(bot, fake_slack, people)
    number = int(str(item.tracker_key).rpartition("#")[2])

    bad = await bot.webhook(github.close(number), **{"X-Hub-Signature-256": "sha256=00"})
    assert bad.status_code == 401
    assert (await item_of(bot, item.id)).status is ActionStatus.OPEN

    github.reopen(number)  # as it was; now closed again, this time delivered signed
    answer = await bot.webhook(github.close(number))
    assert answer.status_code == 200
    closed = await item_of(bot, item.id)
    assert (closed.status, closed.closed_by, closed.tracker_state) == (
        ActionStatus.DONE,
        None,
        "closed",
    )
    assert closed.next_reminder_at is None
    await asyncio.gather(*bot.served.runtime.backfills.running())
    shown = fake_slack.find_message(dm["channel"], dm["ts"])
    assert shown is not None and "Closed in GitHub" in block_text(shown, item_block_id(item.id))

    # A week past its due date, the reminder sweep has nothing to say about it.
    sent_before = len(fake_slack.calls_to("chat.postMessage"))
    overdue = datetime.combine(DUE + timedelta(days=7), datetime.min.time(), UTC) + timedelta(
        hours=10
    )
    runtime = bot.served.runtime
    await sweep(
        sessions=bot.sessions, client=runtime.client, settings=runtime.settings, now=overdue
    )
    assert len(fake_slack.calls_to("chat.postMessage")) == sent_before

    reopened = await bot.webhook(github.reopen(number))
    assert reopened.status_code == 200
    again = await item_of(bot, item.id)
    assert (again.status, again.closed_at, again.tracker_state) == (
        ActionStatus.OPEN,
        None,
        "open",
    )
    assert again.next_reminder_at is not None  # a fresh schedule


async def test_polling_closes_an_item_whose_issue_was_closed_without_a_webhook(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    item, _ = await filed_by_press(bot, fake_slack, people)
    runtime = bot.served.runtime
    trackers = {TrackerKind.GITHUB: bot.tracker}
    assert await poll(sessionmaker=bot.sessions, trackers=trackers, clock=runtime.clock) == []
    github.close(int(str(item.tracker_key).rpartition("#")[2]))  # the delivery is lost
    changed = await poll(sessionmaker=bot.sessions, trackers=trackers, clock=runtime.clock)
    assert changed == [item.id]
    polled = await item_of(bot, item.id)
    assert (polled.status, polled.tracker_state) == (ActionStatus.DONE, "closed")
    assert await poll(sessionmaker=bot.sessions, trackers=trackers, clock=runtime.clock) == []


# ---- TRACKER_SYNC=all --------------------------------------------------------------------------


async def test_with_sync_all_new_items_are_filed_without_a_press(
    bot_filing_all: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    bot = bot_filing_all
    incident = await seed_incident(bot.sessions, people, commander_id=FACILITATOR)
    made = await create_by_command(bot, people, "Alert on checkout p99")
    dm = await owner_dm(bot, fake_slack, made.id)
    assert "Create GitHub issue" not in json.dumps(dm["blocks"])  # asked for already
    # The retro's items, saved: each gets its due date, schedule and issue.
    async with bot.sessions() as session, session.begin():
        session.add_all(
            ActionItem(
                team_id=incident.team_id,
                incident_id=incident.id,
                title=title,
                owner_id=OWNER,
                created_by=FACILITATOR,
            )
            for title in ("Canary config deploys", "Runbook for failover")
        )
    runtime = bot.served.runtime
    async with bot.sessions() as session, session.begin():
        await settle_items(
            session=session,
            client=runtime.client,
            team_id=incident.team_id,
            incident_id=incident.id,
            actor_id=FACILITATOR,
            today=date.today(),
            now=runtime.clock(),
            settings=runtime.settings,
        )
    for _ in range(50):
        await bot.drain()
        if len(github.issues) == 3:
            break
        await asyncio.sleep(0.05)
    titles = sorted(issue["title"] for issue in github.issues.values())
    assert titles == ["Alert on checkout p99", "Canary config deploys", "Runbook for failover"]
    async with bot.sessions() as session:
        keys = list(await session.scalars(select(ActionItem.tracker_key)))
    assert len(set(keys)) == 3 and None not in keys


async def test_done_in_slack_closes_the_issue_and_its_echo_changes_nothing(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    item, dm = await filed_by_press(bot, fake_slack, people)
    number = int(str(item.tracker_key).rpartition("#")[2])
    shown = fake_slack.find_message(dm["channel"], dm["ts"])
    assert shown is not None
    await press(bot, shown | {"channel": dm["channel"]}, item.id, "followup.done")

    async def issue_closed() -> bool:
        await bot.drain()
        return github.issue(number)["state"] == "closed"

    await eventually(issue_closed)
    done = await item_of(bot, item.id)
    assert (done.status, done.closed_by) == (ActionStatus.DONE, OWNER)
    # GitHub tells us of the close we asked for: the item stays as Owen closed it.
    delivery = github.delivery("closed", github.issue(number), by="hindsight-bot")
    assert (await bot.webhook(delivery)).status_code == 200
    echoed = await item_of(bot, item.id)
    assert (echoed.status, echoed.closed_by, echoed.closed_at) == (
        ActionStatus.DONE,
        OWNER,
        done.closed_at,
    )
    assert len(github.issues) == 1


async def test_the_reminder_dm_offers_the_button_then_shows_the_link(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub, people: str
) -> None:
    item, _ = await filed_by_press(bot, fake_slack, people)
    unfiled = await create_by_command(bot, people, "Write the failover runbook")
    runtime = bot.served.runtime
    overdue = datetime.combine(DUE + timedelta(days=7), datetime.min.time(), UTC) + timedelta(
        hours=10
    )
    await sweep(
        sessions=bot.sessions, client=runtime.client, settings=runtime.settings, now=overdue
    )
    [reminder] = [
        call.args
        for call in fake_slack.calls_to("chat.postMessage")
        if call.args.get("channel") == OWNER and "followup.reminder.intro" in json.dumps(call.args)
    ]
    blocks = {"blocks": reminder["blocks"]}
    assert "Create GitHub issue" in block_text(blocks, controls_block_id(unfiled.id))
    assert "Create GitHub issue" not in block_text(blocks, controls_block_id(item.id))
    assert str(item.tracker_url) in block_text(blocks, item_block_id(item.id))


# ---- Jira ----------------------------------------------------------------------------------------


def jira_tracker(client: httpx.AsyncClient, settings: Settings) -> Tracker:
    assert settings.trackers.jira is not None
    return JiraTracker(client, settings.trackers.jira)


async def test_with_jira_the_button_files_a_jira_issue_and_its_done_status_closes_the_item(
    fake_slack: FakeSlack, database_url: str, people: str
) -> None:
    with FakeJira() as jira:
        account = jira.add_user(OWNER_EMAIL)
        env = {
            "JIRA_URL": jira.url,
            "JIRA_EMAIL": jira.email,
            "JIRA_API_TOKEN": jira.token,
            "JIRA_PROJECT": jira.project,
            "JIRA_WEBHOOK_SECRET": jira.webhook_secret,
        }
        async for bot in serve_with(fake_slack, database_url, env, jira_tracker):
            await seed_incident(bot.sessions, people, commander_id=FACILITATOR)
            made = await create_by_command(bot, people, "Alert on checkout p99")
            dm = await owner_dm(bot, fake_slack, made.id)
            assert "Create Jira issue" in block_text(dm, controls_block_id(made.id))
            assert "GitHub" not in json.dumps(dm["blocks"])
            await press(bot, dm, made.id, Trackers.CREATE)
            item = await filed(bot, made.id)
            [issue] = jira.issues.values()
            assert (issue.summary, issue.duedate, issue.assignee) == (
                "Alert on checkout p99",
                DUE.isoformat(),
                account,
            )
            assert {"postmortem", "prevent"} <= set(issue.labels)
            assert item.tracker_key == issue.key and item.tracker_url
            delivery = jira.delivery(jira.close(issue.key))
            answer = await bot.http.post(
                f"{bot.served.url}/webhooks/jira", content=delivery.body, headers=delivery.headers
            )
            assert answer.status_code == 200
            closed = await item_of(bot, item.id)
            assert (closed.status, closed.closed_by) == (ActionStatus.DONE, None)
            await asyncio.gather(*bot.served.runtime.backfills.running())
            shown = fake_slack.find_message(dm["channel"], dm["ts"])
            assert shown is not None
            assert "Closed in Jira" in block_text(shown, item_block_id(item.id))
        jira.assert_no_crashes()


# ---- faults ------------------------------------------------------------------------------------


async def test_through_500_429_and_a_lost_answer_the_press_files_exactly_one_issue(
    fake_slack: FakeSlack, database_url: str, github: FakeGitHub, people: str
) -> None:
    env = github_env(github)
    async for bot in serve_with(fake_slack, database_url, env, quiet=True, client_timeout=0.5):
        await seed_incident(bot.sessions, people, commander_id=FACILITATOR)
        made = await create_by_command(bot, people, "Alert on checkout p99")
        dm = await owner_dm(bot, fake_slack, made.id)
        github.fail(500, times=1, verb="POST")
        github.limit(retry_after=1, times=1)
        github.stall(1.0, after_work=True)  # the issue is made, its answer lost to the timeout
        assert await press(bot, dm, made.id, Trackers.CREATE) < 3.0
        later = timedelta(0)
        for _ in range(12):
            await bot.drain(later=later)
            if (await item_of(bot, made.id)).tracker_key:
                break
            later += timedelta(hours=1)  # past any backoff
        item = await item_of(bot, made.id)
        assert item.tracker_key == f"{github.repository}#1"
        assert len(github.issues) == 1  # found again by its marker, not filed twice
        async with bot.sessions() as session:
            [intent] = await session.scalars(select(TrackerIntent))
        assert (intent.state, intent.done_at is not None) == ("done", True)
        assert intent.attempts >= 3
