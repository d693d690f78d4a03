"""Each request's team gets its own bot token from the store (SQLite and PostgreSQL): no
auth.test, a cache dropped when the store changes, an expiring token rotated and saved."""

from __future__ import annotations

import logging
import time

import pytest
from slack_bolt.context.async_context import AsyncBoltContext
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.installations.authorize import InstalledTeamsAuthorize
from bot.installations.lifecycle import uninstall
from bot.installations.store import SqlInstallationStore
from bot.simslack.methods_oauth import Workspace
from bot.slack import create_web_client
from models.base import utcnow
from models.installation import SlackTeam
from tests.fakeslack import FakeSlack
from tests.installations.test_store import CLIENT_ID, installation, make_store

SECRET = "sim-client-secret"


def context(fake_slack: FakeSlack, *, is_enterprise_install: bool = False) -> AsyncBoltContext:
    found = AsyncBoltContext()
    found["client"] = create_web_client(base_url=fake_slack.base_url)
    found["is_enterprise_install"] = is_enterprise_install
    return found


def make_authorize(store: SqlInstallationStore, fake_slack: FakeSlack) -> InstalledTeamsAuthorize:
    fake_slack.oauth.client_id = CLIENT_ID
    return InstalledTeamsAuthorize(store, client_id=CLIENT_ID, client_secret=SECRET)


async def test_each_team_gets_its_own_token_and_no_call_is_made(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A", bot_refresh_token=None, bot_token_expires_in=None))
    await store.async_save(
        installation("T0B", bot_user_id="U0BOTB", bot_refresh_token=None, bot_token_expires_in=None)
    )
    authorize = make_authorize(store, fake_slack)

    for team_id, bot_user in (("T0A", "U0BOT"), ("T0B", "U0BOTB")):
        result = await authorize(
            context=context(fake_slack), enterprise_id=None, team_id=team_id, user_id="U0ME"
        )
        assert result is not None
        assert result.bot_token == f"xoxb-{team_id}-bot-secret"
        assert (result.team_id, result.bot_user_id, result.bot_id) == (team_id, bot_user, "B0BOT")
        assert result.user_id == "U0ME"
        assert result.bot_scopes == ["chat:write", "commands"]
    stranger = await authorize(
        context=context(fake_slack), enterprise_id=None, team_id="T0NOBODY", user_id="U0ME"
    )
    assert stranger is None
    assert fake_slack.calls == []


async def test_an_uninstall_drops_the_cached_token_at_once(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A", bot_refresh_token=None, bot_token_expires_in=None))
    authorize = make_authorize(store, fake_slack)
    args = {"enterprise_id": None, "team_id": "T0A", "user_id": "U0ME"}
    assert await authorize(context=context(fake_slack), **args) is not None

    await uninstall(sessions, store, team_id="T0A", enterprise_id=None, now=utcnow())
    assert await authorize(context=context(fake_slack), **args) is None


async def test_another_replicas_uninstall_is_seen_once_the_cache_expires(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store, other_replica = make_store(sessions), make_store(sessions)
    await store.async_save(installation("T0A", bot_refresh_token=None, bot_token_expires_in=None))
    authorize = make_authorize(store, fake_slack)
    args = {"enterprise_id": None, "team_id": "T0A", "user_id": "U0ME"}
    assert await authorize(context=context(fake_slack), **args) is not None

    await uninstall(sessions, other_replica, team_id="T0A", enterprise_id=None, now=utcnow())
    assert await authorize(context=context(fake_slack), **args) is not None  # cached
    authorize.bots.cache_seconds = 0
    assert await authorize(context=context(fake_slack), **args) is None


async def test_an_expiring_token_is_rotated_once_and_saved_encrypted(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A", bot_token_expires_in=600))
    fake_slack.oauth.token_expires_in = 43200
    fake_slack.oauth.refresh_tokens["xoxe-1-T0A-bot-refresh"] = Workspace("T0A", "A", "U0ME")
    authorize = make_authorize(store, fake_slack)
    args = {"enterprise_id": None, "team_id": "T0A", "user_id": "U0ME"}

    first = await authorize(context=context(fake_slack), **args)
    second = await authorize(context=context(fake_slack), **args)
    assert first is not None and second is not None
    assert first.bot_token != "xoxb-T0A-bot-secret"
    assert first.bot_token in fake_slack.oauth.tokens_of("T0A")
    assert second.bot_token == first.bot_token
    refreshes = fake_slack.calls_to("oauth.v2.access")
    assert [call.args.get("grant_type") for call in refreshes] == ["refresh_token"]

    saved = await store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert saved is not None and saved.bot_token == first.bot_token
    assert saved.bot_token_expires_at is not None
    assert saved.bot_token_expires_at > time.time() + 40000
    async with sessions() as session:
        stored = " ".join(
            str(value)
            for row in (await session.execute(text("SELECT * FROM slack_installations"))).all()
            for value in row
        )
    assert first.bot_token not in stored


async def test_a_failed_rotation_authorizes_nothing_and_logs_no_token(
    sessions: async_sessionmaker, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A", bot_token_expires_in=60))
    authorize = make_authorize(store, fake_slack)  # the fake knows no such refresh token
    with caplog.at_level(logging.DEBUG):
        result = await authorize(
            context=context(fake_slack), enterprise_id=None, team_id="T0A", user_id="U0ME"
        )
    assert result is None
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("bot.")]
    assert any("invalid_refresh_token" in line for line in ours)
    assert not [line for line in ours if "xoxe-" in line or "xoxb-" in line or "secret" in line]


async def test_an_org_wide_install_serves_its_workspaces_and_records_them(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    org = installation(
        None,
        enterprise_id="E0ORG",
        enterprise_name="Org",
        is_enterprise_install=True,
        bot_refresh_token=None,
        bot_token_expires_in=None,
    )
    await store.async_save(org)
    authorize = make_authorize(store, fake_slack)

    for team_id in ("T0W1", "T0W2"):
        result = await authorize(
            context=context(fake_slack, is_enterprise_install=True),
            enterprise_id="E0ORG",
            team_id=team_id,
            user_id="U0ME",
        )
        assert result is not None and result.bot_token == org.bot_token
        assert result.team_id == team_id
    assert (
        await authorize(
            context=context(fake_slack), enterprise_id="E0ORG", team_id="T0W1", user_id="U0ME"
        )
        is None
    )
    async with sessions() as session:
        teams = (await session.scalars(select(SlackTeam).order_by(SlackTeam.team_id))).all()
    assert [(team.team_id, team.enterprise_id) for team in teams] == [
        ("E0ORG", "E0ORG"),
        ("T0W1", "E0ORG"),
        ("T0W2", "E0ORG"),
    ]


async def test_a_token_another_replica_rotated_first_is_taken_from_the_store(
    sessions: async_sessionmaker, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Two replicas find the same expiring token; the second's refresh token is spent by the
    time it asks Slack, so it uses what the first saved instead of giving up."""
    await make_store(sessions).async_save(installation("T0A", bot_token_expires_in=600))
    fake_slack.oauth.token_expires_in = 43200
    fake_slack.oauth.refresh_tokens["xoxe-1-T0A-bot-refresh"] = Workspace("T0A", "A", "U0ME")
    first, second = (make_authorize(make_store(sessions), fake_slack).bots for _ in range(2))
    stale = await second.store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert stale is not None
    client = create_web_client(base_url=fake_slack.base_url)

    rotated = await first.find(
        enterprise_id=None, team_id="T0A", is_enterprise_install=False, client=client
    )
    with caplog.at_level(logging.ERROR):
        taken = await second._rotate(stale, client)

    assert rotated is not None and taken is not None
    assert taken.bot_token == rotated.bot_token != stale.bot_token
    errors = [call.error for call in fake_slack.calls_to("oauth.v2.access")]
    assert errors == [None, "invalid_refresh_token"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
