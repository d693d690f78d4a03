"""`hindsight remind --once` as cron runs it: a real process, one sweep at the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import ActionItem, ActionStatus, Incident, ReminderDelivery, Severity, SlackUser
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakeslack import FakeSlack
from tests.test_cli import base_env, run

Sessions = async_sessionmaker[AsyncSession]
OWNER = "U0OWNER"
# Every moment is a working one, so the test doesn't depend on when it runs.
ALWAYS = {"WORKING_HOURS": "00:00-24:00", "WORKING_DAYS": "mon-sun"}


async def seed_due_item(sessions: Sessions) -> int:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=7,
            title="Checkout errors",
            severity=Severity.SEV2,
            channel_id="C0INC",
            declared_by=OWNER,
        )
        session.add(incident)
        session.add(SlackUser(team_id=TEAM_ID, user_id=OWNER, name="owner", tz="Asia/Tokyo"))
        await session.flush()
        item = ActionItem(
            team_id=TEAM_ID,
            incident_id=incident.id,
            title="Alert on checkout p99",
            owner_id=OWNER,
            due_date=now.date(),
            status=ActionStatus.OPEN,
            created_by=OWNER,
            next_reminder_at=now - timedelta(minutes=1),
        )
        session.add(item)
    return item.id


async def test_remind_once_sends_the_due_dm_and_prints_a_summary(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> None:
    fake_slack.add_user(OWNER, name="owner", tz="Asia/Tokyo")
    item_id = await seed_due_item(sessions)
    env = base_env() | ALWAYS
    env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.base_url}
    env |= {"DATABASE_URL": database_url}
    result = run(["remind", "--once"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "1 DM(s) sent, 1 item(s) nudged" in lines[0]
    [dm] = fake_slack.calls_to("chat.postMessage")
    assert dm.args["channel"] == OWNER and "Alert on checkout p99" in dm.args["text"]
    async with sessions() as session:
        item = await session.get(ActionItem, item_id)
        rows = list(await session.scalars(select(ReminderDelivery)))
    assert item is not None and item.reminder_count == 1 and item.reminder_claim is None
    assert item.next_reminder_at is not None and item.next_reminder_at > datetime.now(UTC)
    assert [row.message_ts for row in rows] == [dm_ts(fake_slack)]
    assert BOT_TOKEN not in result.stdout + result.stderr
    # Run again at once: nothing is due, nothing is sent twice.
    again = run(["remind", "--once"], env, tmp_path)
    assert again.returncode == 0 and "0 due item(s)" in again.stdout
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def dm_ts(fake: FakeSlack) -> str:
    [channel] = [c for c in fake.channels.values() if c.messages]
    return str(channel.messages[-1]["ts"])


def test_remind_without_a_token_exits_2_naming_it(tmp_path: Path) -> None:
    result = run(["remind", "--once"], base_env(), tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]
    assert not (tmp_path / "hindsight.db").exists()


def test_remind_with_an_unreachable_database_exits_1(tmp_path: Path) -> None:
    env = base_env() | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere",
    }
    result = run(["remind", "--once"], env, tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database" in lines[0] and "Traceback" not in result.stderr
