"""Work outside a request, for many workspaces (SQLite and PostgreSQL): the reminder sweep (owner
notices, reminders, postmortem debt), the weekly digest, a tracker redraw and `hindsight remind
--once` each speak to a team with that team's own token, read from the installation store; a
team whose app was uninstalled gets nothing, with no token at all.

Installations are saved through the real SqlInstallationStore (tokens encrypted), the runtime is
the one `serve` builds in OAuth mode, and the fake Slack knows each team's token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Runtime, build_runtime
from bot.installations.crypto import TokenCipher
from bot.installations.lifecycle import uninstall
from bot.installations.store import SqlInstallationStore
from bot.jobs import run_reminder_sweep, run_weekly_digest
from bot.trackers.redraw import redraw
from models import (
    ActionItem,
    ActionStatus,
    DeliveryKind,
    DigestPost,
    Incident,
    IncidentStatus,
    PostmortemState,
    ReminderDelivery,
    Severity,
)
from tests.clock import FrozenClock
from tests.fakeslack import Call, FakeSlack
from tests.faketrackers.github import FakeGitHub
from tests.installations.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENCRYPTION_KEY,
    TEAM_A,
    TEAM_B,
    oauth_settings,
)
from tests.test_cli import base_env, run
from tests.trackers.test_outbox import press
from tests.trackers.test_tracker_runs import github, github_env

__all__ = ["github"]  # the fake GitHub fixture, used here too

Sessions = async_sessionmaker[AsyncSession]
TEAM_GONE = "T0GONE"  # installed, then uninstalled: its work stays in the database, unsent
TEAMS = (TEAM_A, TEAM_B, TEAM_GONE)
OWNERS = {TEAM_A: "U0ANN", TEAM_B: "U0BEN", TEAM_GONE: "U0GIL"}
GONE_DM = "D0GILDM"  # where the uninstalled team's owner was reminded once
# Monday 23 November 2026, 10:00 UTC: the digest ("mon 09:00") is due.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ALWAYS = {"WORKING_HOURS": "00:00-24:00", "WORKING_DAYS": "mon-sun"}


def token_of(team_id: str) -> str:
    return f"xoxb-{team_id}-bot-secret"


def installation(team_id: str) -> Installation:
    return Installation(
        app_id="A0HINDSIGHT",
        team_id=team_id,
        team_name=f"Team {team_id}",
        bot_token=token_of(team_id),
        bot_id=f"B0{team_id}",
        bot_user_id=f"U0BOT{team_id[-1]}",
        bot_scopes="chat:write,users:read",
        user_id=OWNERS[team_id],
        token_type="bot",
    )


async def install_teams(sessions: Sessions, fake: FakeSlack) -> None:
    """Every team installs the app (saved through the store, as the OAuth flow saves it), then
    TEAM_GONE uninstalls it. The fake Slack still honours TEAM_GONE's token, so a call made with
    it would be seen."""
    store = SqlInstallationStore(sessions, TokenCipher([ENCRYPTION_KEY]), client_id=CLIENT_ID)
    for team_id in TEAMS:
        await store.async_save(installation(team_id))
        fake.add_token(token_of(team_id), team_id)
        fake.add_user(OWNERS[team_id], name=f"owner-{team_id}", tz="UTC", team_id=team_id)
    await uninstall(sessions, store, team_id=TEAM_GONE, enterprise_id=None, now=NOW)


async def seed_work(sessions: Sessions, team_id: str) -> dict[str, int]:
    """For one team: an incident still owing its postmortem (resolved a month ago), an item
    whose reminder is due and one whose "assigned" notice is due, both the team owner's."""
    owner = OWNERS[team_id]
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=team_id,
            number=1,
            title=f"Checkout down for {team_id}",
            severity=Severity.SEV2,
            status=IncidentStatus.RESOLVED,
            postmortem_state=PostmortemState.NONE,
            channel_id=f"C0INC{team_id}",
            declared_by=owner,
            commander_id=owner,
            started_at=NOW - timedelta(days=31),
            resolved_at=NOW - timedelta(days=30),
        )
        session.add(incident)
        await session.flush()
        reminded = item(team_id, incident.id, f"Alert on p99 ({team_id})", owner)
        reminded.next_reminder_at = NOW - timedelta(minutes=5)
        noticed = item(team_id, incident.id, f"Write the runbook ({team_id})", owner)
        noticed.notice_due_at, noticed.notice_from = NOW - timedelta(minutes=5), "U0SOMEONE"
        session.add_all([reminded, noticed])
    return {"incident": incident.id, "reminded": reminded.id, "noticed": noticed.id}


def item(team_id: str, incident_id: int, title: str, owner: str) -> ActionItem:
    return ActionItem(
        team_id=team_id,
        incident_id=incident_id,
        title=title,
        owner_id=owner,
        due_date=NOW.date() - timedelta(days=2),
        status=ActionStatus.OPEN,
        created_by="U0SOMEONE",
    )


@pytest.fixture
def digest_channel(fake_slack: FakeSlack) -> str:
    return fake_slack.add_channel("postmortems", bot_is_member=True)


@pytest.fixture
async def runtime(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions, digest_channel: str
) -> AsyncIterator[Runtime]:
    fake_slack.oauth.client_id, fake_slack.oauth.client_secret = CLIENT_ID, CLIENT_SECRET
    await install_teams(sessions, fake_slack)
    settings = oauth_settings(fake_slack, database_url, DIGEST_CHANNEL=digest_channel, **ALWAYS)
    built = build_runtime(settings, clock=FrozenClock(NOW))
    yield built
    await built.close()


def sent_to(fake: FakeSlack, channel: str, method: str = "chat.postMessage") -> list[Call]:
    return [call for call in fake.calls_to(method) if call.args.get("channel") == channel]


def tokens(calls: Iterable[Call]) -> set[str | None]:
    return {call.token for call in calls}


def gone_calls(fake: FakeSlack) -> list[Call]:
    """Every call made with the uninstalled team's token, or naming its owner or incident."""
    gone = (token_of(TEAM_GONE), OWNERS[TEAM_GONE], TEAM_GONE, GONE_DM)
    return [
        call
        for call in fake.calls
        if call.token == gone[0] or any(g in str(call.args) for g in gone)
    ]


async def test_each_teams_reminders_notices_and_debt_go_out_with_its_own_token(
    runtime: Runtime, fake_slack: FakeSlack, sessions: Sessions
) -> None:
    seeded = {team_id: await seed_work(sessions, team_id) for team_id in TEAMS}

    await run_reminder_sweep(runtime)

    for team_id in (TEAM_A, TEAM_B):
        dms = sent_to(fake_slack, OWNERS[team_id])
        texts = " ".join(str(call.args) for call in dms)
        # The notice, the reminder and the postmortem-debt nudge: three DMs, the team's token.
        assert len(dms) == 3, [call.args.get("text") for call in dms]
        assert tokens(dms) == {token_of(team_id)}
        assert f"Write the runbook ({team_id})" in texts and f"Alert on p99 ({team_id})" in texts
        other = TEAM_B if team_id == TEAM_A else TEAM_A
        assert f"({other})" not in texts
    assert gone_calls(fake_slack) == []
    async with sessions() as session:
        items = {row.id: row for row in await session.scalars(select(ActionItem))}
        incidents = {row.team_id: row for row in await session.scalars(select(Incident))}
    for team_id in (TEAM_A, TEAM_B):
        assert items[seeded[team_id]["reminded"]].reminder_count == 1
        assert items[seeded[team_id]["noticed"]].notice_due_at is None
        assert incidents[team_id].debt_nudges == 1
    gone = seeded[TEAM_GONE]
    # Nothing of the uninstalled team was claimed or counted: it is all still due as it was.
    assert items[gone["reminded"]].reminder_count == 0
    assert items[gone["reminded"]].reminder_claim is None
    assert items[gone["noticed"]].notice_due_at == NOW - timedelta(minutes=5)
    assert incidents[TEAM_GONE].debt_nudges == 0 and incidents[TEAM_GONE].debt_claim is None

    fake_slack.clear_calls()
    await run_reminder_sweep(runtime)  # a second sweep finds nothing left for the live teams
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_each_teams_digest_goes_out_with_its_own_token_and_none_for_an_uninstalled_team(
    runtime: Runtime,
    fake_slack: FakeSlack,
    sessions: Sessions,
    digest_channel: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for team_id in TEAMS:
        await seed_work(sessions, team_id)

    await run_weekly_digest(runtime)

    posts = sent_to(fake_slack, digest_channel)
    by_token = {call.token: str(call.args) for call in posts}
    assert sorted(by_token) == [token_of(TEAM_A), token_of(TEAM_B)]
    assert len(posts) == 2
    for team_id, other in ((TEAM_A, TEAM_B), (TEAM_B, TEAM_A)):
        assert f"Checkout down for {team_id}" in by_token[token_of(team_id)]
        assert f"Checkout down for {other}" not in by_token[token_of(team_id)]
    assert gone_calls(fake_slack) == []
    assert fake_slack.calls_to("auth.test") == []  # each client's team is known: no asking
    assert f"weekly digest for {TEAM_GONE} skipped: the app is not installed there" in caplog.text
    async with sessions() as session:
        posted = {row.team_id: row.message_ts for row in await session.scalars(select(DigestPost))}
    assert sorted(posted) == [TEAM_A, TEAM_B] and all(posted.values())


async def test_a_tracker_redraw_uses_each_items_own_teams_token(
    runtime: Runtime, fake_slack: FakeSlack, sessions: Sessions
) -> None:
    seeded = {team_id: await seed_work(sessions, team_id) for team_id in (TEAM_A, TEAM_B)}
    await run_reminder_sweep(runtime)  # the DMs a redraw draws again
    gone = await seed_work(sessions, TEAM_GONE)
    async with sessions() as session, session.begin():
        # As if the sweep had reached the gone team's owner before the uninstall.
        session.add(
            ReminderDelivery(
                team_id=TEAM_GONE,
                action_item_id=gone["reminded"],
                recipient_id=OWNERS[TEAM_GONE],
                kind=DeliveryKind.REMINDER,
                channel_id=GONE_DM,
                message_ts="1700000000.000100",
                sent_at=NOW,
            )
        )
    fake_slack.clear_calls()

    await redraw(runtime, [ids["reminded"] for ids in seeded.values()] + [gone["reminded"]])

    for team_id in (TEAM_A, TEAM_B):
        homes = [
            call
            for call in fake_slack.calls_to("views.publish")
            if call.args.get("user_id") == OWNERS[team_id]
        ]
        assert homes and tokens(homes) == {token_of(team_id)}
    updates = fake_slack.calls_to("chat.update")
    assert updates and tokens(updates) <= {token_of(TEAM_A), token_of(TEAM_B)}
    assert gone_calls(fake_slack) == []


async def test_remind_once_sweeps_each_installed_team_with_its_token(
    runtime: Runtime, fake_slack: FakeSlack, sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    """`hindsight remind --once` (a real process) in many-workspace mode, at the real time."""
    for team_id in TEAMS:
        ids = await seed_work(sessions, team_id)
        async with sessions() as session, session.begin():
            reminded = await session.get(ActionItem, ids["reminded"])
            assert reminded is not None
            reminded.next_reminder_at = datetime.now(UTC) - timedelta(minutes=1)
    env = base_env() | ALWAYS | {"DATABASE_URL": database_url}
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    env |= {"TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY, "SLACK_API_URL": fake_slack.base_url}

    result = run(["remind", "--once"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [TEAM_A, TEAM_B]
    for team_id in (TEAM_A, TEAM_B):
        dms = sent_to(fake_slack, OWNERS[team_id])
        assert dms and tokens(dms) == {token_of(team_id)}
    assert gone_calls(fake_slack) == []
    for secret in (token_of(team_id) for team_id in TEAMS):
        assert secret not in result.stdout + result.stderr


async def test_digest_once_posts_each_installed_teams_digest_with_its_token(
    runtime: Runtime,
    fake_slack: FakeSlack,
    sessions: Sessions,
    database_url: str,
    digest_channel: str,
    tmp_path: Path,
) -> None:
    """`hindsight digest --once` (a real process) in many-workspace mode, this week."""
    for team_id in TEAMS:
        await seed_work(sessions, team_id)
    env = base_env() | {"DATABASE_URL": database_url, "DIGEST_CHANNEL": digest_channel}
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    env |= {"TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY, "SLACK_API_URL": fake_slack.base_url}

    result = await asyncio.to_thread(run, ["digest", "--once"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    said = {line.split(" for ")[1].split(":")[0]: line for line in result.stdout.splitlines()}
    assert sorted(said) == sorted(TEAMS)
    assert "posted" in said[TEAM_A] and "posted" in said[TEAM_B]
    assert "skipped: not installed" in said[TEAM_GONE]
    posts = sent_to(fake_slack, digest_channel)
    assert sorted(call.token or "" for call in posts) == [token_of(TEAM_A), token_of(TEAM_B)]
    assert gone_calls(fake_slack) == []


async def test_sync_once_redraws_a_closed_issues_item_with_its_teams_token(
    runtime: Runtime,
    fake_slack: FakeSlack,
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    github: FakeGitHub,
) -> None:
    """`hindsight sync --once` (a real process) in many-workspace mode: the item closed in
    GitHub is drawn again in its owner's App Home with the token of the item's team."""
    item_id = (await seed_work(sessions, TEAM_B))["reminded"]
    await press(sessions, item_id, datetime.now(UTC))
    env = base_env() | github_env(github) | {"DATABASE_URL": database_url}
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    env |= {"TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY, "SLACK_API_URL": fake_slack.base_url}
    filed = await asyncio.to_thread(run, ["sync", "--once"], env, tmp_path)
    assert filed.returncode == 0, filed.stderr
    github.close(1)  # closed in GitHub; the webhook never came

    polled = await asyncio.to_thread(run, ["sync", "--once"], env, tmp_path)

    assert polled.returncode == 0, polled.stderr
    assert "tracker poll: 1 item(s) changed" in polled.stdout
    homes = fake_slack.calls_to("views.publish")
    assert [call.args["user_id"] for call in homes] == [OWNERS[TEAM_B]] * len(homes)
    assert homes and tokens(homes) == {token_of(TEAM_B)}
    assert gone_calls(fake_slack) == []


def test_remind_without_slack_settings_names_both_modes(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/h.db"}
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}

    result = run(["remind", "--once"], env, tmp_path)

    assert result.returncode == 2
    assert "TOKEN_ENCRYPTION_KEY" in result.stderr and "Traceback" not in result.stderr
