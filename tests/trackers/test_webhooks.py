"""POST /webhooks/github and /webhooks/jira on the served app: a signed delivery changes its
linked action item; a bad or missing signature is 401 and changes nothing; an issue we never
filed, or an event no item follows, is 200 and ignored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Clock, build_runtime
from bot.followup.deliver import SweepReport
from bot.followup.sweep import sweep
from bot.trackers.config import GitHubSettings, JiraSettings
from bot.trackers.github import GitHubTracker
from bot.trackers.http import tracker_client
from bot.trackers.jira import JiraTracker
from bot.trackers.shapes import IssueDraft
from models import (
    ActionItem,
    ActionStatus,
    Incident,
    IncidentStatus,
    PostmortemState,
    Severity,
    SlackUser,
)
from tests.conftest import TEAM_ID, ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack
from tests.faketrackers.github import Delivery, FakeGitHub, sign
from tests.faketrackers.jira import FakeJira, signature

Sessions = async_sessionmaker[AsyncSession]
JIRA_SECRET = "test-jira-secret"
OVERDUE_DAY = datetime(2026, 12, 21, 14, 0, tzinfo=UTC)  # a Monday, three days past the due date
DRAFT = IssueDraft(
    title="Alert on replica lag",
    body="Action item from INC-7.",
    labels=("postmortem", "detect"),
    due=date(2026, 12, 18),
    assignee=None,
    marker=f"hindsight-item-{TEAM_ID}-1",
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
        fake.assert_no_violations()


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


def github_env(fake: FakeGitHub, *, secret: bool = True) -> dict[str, str]:
    env = {
        "GITHUB_TOKEN": fake.token,
        "GITHUB_REPOSITORY": fake.repository,
        "GITHUB_API_URL": fake.api_url,
    }
    return env | ({"GITHUB_WEBHOOK_SECRET": fake.webhook_secret} if secret else {})


def jira_env(fake: FakeJira) -> dict[str, str]:
    return {
        "JIRA_URL": fake.url,
        "JIRA_EMAIL": fake.email,
        "JIRA_API_TOKEN": fake.token,
        "JIRA_PROJECT": fake.project,
        "JIRA_WEBHOOK_SECRET": JIRA_SECRET,
    }


@dataclass
class Bot:
    served: ServedBot
    http: httpx.AsyncClient

    async def deliver(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post(f"{self.served.url}{path}", content=body, headers=headers)

    async def settled(self) -> None:
        """Until the redraws started after the answer are done."""
        await asyncio.gather(*self.served.runtime.backfills.running())


async def serve_with(
    fake_slack: FakeSlack, database_url: str, clock: Clock, env: dict[str, str]
) -> AsyncIterator[Bot]:
    runtime = build_runtime(make_settings(fake_slack, database_url, **env), clock=clock)
    async with serve_app(runtime) as served, httpx.AsyncClient(timeout=10) as http:
        yield Bot(served, http)


@pytest.fixture
async def github_bot(
    fake_slack: FakeSlack, database_url: str, clock: Clock, github: FakeGitHub
) -> AsyncIterator[Bot]:
    async for bot in serve_with(fake_slack, database_url, clock, github_env(github)):
        yield bot


async def seed_linked_item(sessions: Sessions, *, kind: str, key: str) -> int:
    """An open action item of INC-7 filed as `key`."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=7,
            title="Checkout errors",
            severity=Severity.SEV1,
            status=IncidentStatus.RESOLVED,
            postmortem_state=PostmortemState.PUBLISHED,
            channel_id="C0INC7",
            declared_by="U0ALICE",
        )
        session.add(incident)
        await session.flush()
        item = ActionItem(
            team_id=TEAM_ID,
            incident_id=incident.id,
            title="Alert on replica lag",
            owner_id="U0ALICE",
            due_date=date(2026, 12, 18),
            created_by="U0ALICE",
            next_reminder_at=now + timedelta(days=1),
            tracker_kind=kind,
            tracker_key=key,
            tracker_url=f"https://example.test/{key}",
            tracker_state="open",
        )
        session.add(item)
        await session.flush()
        return item.id


async def item_of(sessions: Sessions, item_id: int) -> ActionItem:
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
        assert item is not None
        return item


async def filed_on(github: FakeGitHub, count: int = 1) -> list[str]:
    """File `count` issues on the fake through the adapter; their keys."""
    async with tracker_client() as client:
        settings = GitHubSettings(
            token=github.token, repository=github.repository, api_url=github.api_url
        )
        tracker = GitHubTracker(client, settings)
        return [(await tracker.create(DRAFT)).key for _ in range(count)]


async def reminder_sweep(bot: Bot, now: datetime) -> SweepReport:
    runtime = bot.served.runtime
    return await sweep(
        sessions=runtime.sessions, client=runtime.client, settings=runtime.settings, now=now
    )


def resigned(delivery: Delivery, header: str | None) -> dict[str, str]:
    headers = {k: v for k, v in delivery.headers.items() if k != "X-Hub-Signature-256"}
    return headers | ({"X-Hub-Signature-256": header} if header is not None else {})


# ---- GitHub ---------------------------------------------------------------------------------


async def test_a_signed_closed_delivery_closes_the_item_and_reopened_brings_it_back(
    github_bot: Bot, github: FakeGitHub, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", name="alice", tz="Europe/Paris")
    [key] = await filed_on(github)
    sessions = github_bot.served.runtime.sessions
    item_id = await seed_linked_item(sessions, kind="github", key=key)

    closed = github.close(1)
    answer = await github_bot.deliver("/webhooks/github", closed.body, closed.headers)

    assert (answer.status_code, answer.json()) == (200, {"item": item_id})
    item = await item_of(sessions, item_id)
    assert (item.status, item.tracker_state, item.next_reminder_at) == (
        ActionStatus.DONE,
        "closed",
        None,
    )
    await github_bot.settled()
    [home] = [c.args for c in fake_slack.calls_to("views.publish")]
    assert home["user_id"] == "U0ALICE"  # the owner's App Home drawn again, after the answer

    quiet = await reminder_sweep(github_bot, OVERDUE_DAY)
    assert (quiet.claimed, quiet.dms_sent) == (0, 0)  # closed: nothing about it, overdue or not

    reopened = github.reopen(1)
    answer = await github_bot.deliver("/webhooks/github", reopened.body, reopened.headers)

    assert (answer.status_code, answer.json()) == (200, {"item": item_id})
    item = await item_of(sessions, item_id)
    assert (item.status, item.tracker_state) == (ActionStatus.OPEN, "open")
    assert item.next_reminder_at is not None
    await github_bot.settled()
    reminded = await reminder_sweep(github_bot, OVERDUE_DAY)
    assert (reminded.claimed, reminded.dms_sent) == (1, 1)  # open again: reminded once more


async def test_a_form_encoded_delivery_is_read_from_its_payload_field(
    github_bot: Bot, github: FakeGitHub
) -> None:
    [key] = await filed_on(github)
    sessions = github_bot.served.runtime.sessions
    item_id = await seed_linked_item(sessions, kind="github", key=key)
    closed = github.close(1)
    form = urlencode({"payload": closed.body.decode()}).encode()
    headers = resigned(closed, sign(github.webhook_secret, form))
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    answer = await github_bot.deliver("/webhooks/github", form, headers)

    assert (answer.status_code, answer.json()) == (200, {"item": item_id})
    assert (await item_of(sessions, item_id)).status is ActionStatus.DONE
    await github_bot.settled()


async def test_an_assignee_mapped_by_the_user_map_and_an_edited_due_line_follow(
    fake_slack: FakeSlack, database_url: str, clock: Clock, github: FakeGitHub
) -> None:
    [key] = await filed_on(github)
    env = github_env(github) | {"GITHUB_USER_MAP": "Bo@Example.com=bo-gh"}
    async for bot in serve_with(fake_slack, database_url, clock, env):
        sessions = bot.served.runtime.sessions
        item_id = await seed_linked_item(sessions, kind="github", key=key)
        async with sessions() as session, session.begin():
            session.add(SlackUser(team_id=TEAM_ID, user_id="U0BOB", email="bo@example.com"))

        for delivery in (github.assign(1, "bo-gh"), github.set_due(1, date(2027, 1, 15))):
            answer = await bot.deliver("/webhooks/github", delivery.body, delivery.headers)
            assert (answer.status_code, answer.json()) == (200, {"item": item_id})
        item = await item_of(sessions, item_id)
        assert (item.owner_id, item.due_date) == ("U0BOB", date(2027, 1, 15))

        # Unassigned, then given to a login no Slack user maps to: the owner stays.
        for delivery in (github.unassign(1, "bo-gh"), github.assign(1, "someone-else")):
            assert delivery.payload["issue"]["assignee"] in (None, {**delivery.payload["assignee"]})
            answer = await bot.deliver("/webhooks/github", delivery.body, delivery.headers)
            assert answer.status_code == 200 and "ignored" in answer.json()
        assert (await item_of(sessions, item_id)).owner_id == "U0BOB"
        await bot.settled()


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("sha256=" + "0" * 64, id="wrong"),
        pytest.param(sign("another-secret", b"{}"), id="other-secret"),
    ],
)
async def test_a_bad_or_missing_signature_is_401_and_changes_nothing(
    github_bot: Bot, github: FakeGitHub, header: str | None
) -> None:
    [key] = await filed_on(github)
    sessions = github_bot.served.runtime.sessions
    item_id = await seed_linked_item(sessions, kind="github", key=key)
    closed = github.close(1)

    answer = await github_bot.deliver("/webhooks/github", closed.body, resigned(closed, header))

    assert answer.status_code == 401
    assert "X-Hub-Signature-256" in answer.json()["error"]
    item = await item_of(sessions, item_id)
    assert (item.status, item.tracker_state) == (ActionStatus.OPEN, "open")


async def test_a_body_changed_after_signing_is_401(github_bot: Bot, github: FakeGitHub) -> None:
    [key] = await filed_on(github)
    sessions = github_bot.served.runtime.sessions
    item_id = await seed_linked_item(sessions, kind="github", key=key)
    signed = github.reopen(1)
    tampered = signed.body.replace(b'"reopened"', b'"closed"', 1)

    answer = await github_bot.deliver("/webhooks/github", tampered, signed.headers)

    assert answer.status_code == 401
    assert (await item_of(sessions, item_id)).status is ActionStatus.OPEN


async def test_an_issue_we_never_filed_is_200_and_ignored(
    github_bot: Bot, github: FakeGitHub
) -> None:
    keys = await filed_on(github, count=2)
    sessions = github_bot.served.runtime.sessions
    item_id = await seed_linked_item(sessions, kind="github", key=keys[0])

    closed = github.close(2)  # filed in GitHub by hand, never linked to an item
    answer = await github_bot.deliver("/webhooks/github", closed.body, closed.headers)

    assert answer.status_code == 200
    assert "ignored" in answer.json()
    assert (await item_of(sessions, item_id)).status is ActionStatus.OPEN


async def test_signed_deliveries_no_item_follows_are_200_and_garbage_is_400(
    github_bot: Bot, github: FakeGitHub
) -> None:
    await filed_on(github)
    labeled = github.delivery("labeled", github.issue(1), label={"name": "bug"})
    ping_body = b'{"zen": "Design for failure.", "hook_id": 1}'
    ping = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": sign(github.webhook_secret, ping_body)}
    not_json = b"action=closed"

    for body, headers in ((labeled.body, labeled.headers), (ping_body, ping)):
        answer = await github_bot.deliver("/webhooks/github", body, headers)
        assert answer.status_code == 200 and "ignored" in answer.json()
    garbage = {
        "X-GitHub-Event": "issues",
        "X-Hub-Signature-256": sign(github.webhook_secret, not_json),
    }
    answer = await github_bot.deliver("/webhooks/github", not_json, garbage)
    assert answer.status_code == 400
    answer = await github_bot.http.get(f"{github_bot.served.url}/webhooks/github")
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")


async def test_without_a_webhook_secret_every_delivery_is_refused(
    fake_slack: FakeSlack, database_url: str, clock: Clock, github: FakeGitHub
) -> None:
    await filed_on(github)
    closed = github.close(1)
    env = github_env(github, secret=False)
    async for bot in serve_with(fake_slack, database_url, clock, env):
        answer = await bot.deliver("/webhooks/github", closed.body, closed.headers)
        assert answer.status_code == 401


# ---- Jira -----------------------------------------------------------------------------------


async def test_the_jira_endpoint_checks_its_signature_and_ignores_unknown_issues(
    fake_slack: FakeSlack, database_url: str, clock: Clock, jira: FakeJira
) -> None:
    async with tracker_client() as client:
        settings = JiraSettings(
            url=jira.url, email=jira.email, api_token=jira.token, project=jira.project
        )
        linked, unknown = [(await JiraTracker(client, settings).create(DRAFT)).key for _ in "ab"]
    async for bot in serve_with(fake_slack, database_url, clock, jira_env(jira)):
        sessions = bot.served.runtime.sessions
        item_id = await seed_linked_item(sessions, kind="jira", key=linked)
        done = httpx.Request("POST", "/", json=jira.move(linked, "Done")).read()

        for header in (None, "sha256=" + "0" * 64, signature("other", done)):
            headers = {"X-Hub-Signature": header} if header else {}
            answer = await bot.deliver("/webhooks/jira", done, headers)
            assert answer.status_code == 401
        assert (await item_of(sessions, item_id)).status is ActionStatus.OPEN

        other = httpx.Request("POST", "/", json=jira.move(unknown, "Done")).read()
        answer = await bot.deliver(
            "/webhooks/jira", other, {"X-Hub-Signature": signature(JIRA_SECRET, other)}
        )
        assert answer.status_code == 200 and "ignored" in answer.json()

        answer = await bot.deliver(
            "/webhooks/jira", done, {"X-Hub-Signature": signature(JIRA_SECRET, done)}
        )
        assert (answer.status_code, answer.json()) == (200, {"item": item_id})
        assert (await item_of(sessions, item_id)).status is ActionStatus.DONE
        await bot.settled()

        # GitHub is not configured here: its endpoint answers 404
        answer = await bot.deliver("/webhooks/github", b"{}", {})
        assert answer.status_code == 404
