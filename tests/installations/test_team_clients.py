"""Each team's client for work outside a request (SQLite and PostgreSQL): its own token, none
for a team that is not installed, a rotated token when it expires soon."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.installations.crypto import generate_key
from bot.installations.lifecycle import uninstall
from bot.installations.store import SqlInstallationStore
from bot.installations.team_clients import InstalledTeamClients
from bot.simslack.methods_oauth import Workspace
from models.base import utcnow
from tests.fakeslack import FakeSlack
from tests.installations.test_authorize import SECRET
from tests.installations.test_store import CLIENT_ID, installation, make_store

FIXED = {"bot_refresh_token": None, "bot_token_expires_in": None}


def make_clients(store: SqlInstallationStore, fake_slack: FakeSlack) -> InstalledTeamClients:
    fake_slack.oauth.client_id = CLIENT_ID
    return InstalledTeamClients(
        store, base_url=fake_slack.base_url, client_id=CLIENT_ID, client_secret=SECRET
    )


async def test_live_teams_are_the_installed_ones_each_with_its_token(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    for team_id in ("T0A", "T0B", "T0GONE"):
        await store.async_save(installation(team_id, **FIXED))
        fake_slack.add_token(f"xoxb-{team_id}-bot-secret", team_id)
    await uninstall(sessions, store, team_id="T0GONE", enterprise_id=None, now=utcnow())
    clients = make_clients(store, fake_slack)

    live = await clients.live_teams()
    assert [team_id for team_id, _ in live] == ["T0A", "T0B"]
    for team_id, client in live:
        await client.auth_test()
        assert fake_slack.calls[-1].token == f"xoxb-{team_id}-bot-secret"
    assert await clients.client_for("T0GONE") is None
    assert await clients.client_for("T0NEVER") is None
    client_a = await clients.client_for("T0A")
    assert client_a is not None and client_a.token == "xoxb-T0A-bot-secret"
    assert await clients.client_for("T0A") is client_a  # one client per team, kept


async def test_a_workspace_of_an_org_wide_install_uses_the_organisations_token(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    org = installation(None, enterprise_id="E0ORG", is_enterprise_install=True, **FIXED)
    await store.async_save(org)
    await store.note_workspace(enterprise_id="E0ORG", team_id="T0W1")
    clients = make_clients(store, fake_slack)

    live = await clients.live_teams()
    assert [(team_id, client.token) for team_id, client in live] == [("T0W1", org.bot_token)]

    await uninstall(sessions, store, team_id=None, enterprise_id="E0ORG", now=utcnow())
    assert await clients.live_teams() == []
    assert await clients.client_for("T0W1") is None


async def test_an_expiring_token_is_rotated_before_a_job_uses_it(
    sessions: async_sessionmaker, fake_slack: FakeSlack
) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A", bot_token_expires_in=300))
    fake_slack.oauth.token_expires_in = 43200
    fake_slack.oauth.refresh_tokens["xoxe-1-T0A-bot-refresh"] = Workspace("T0A", "A", "U0ME")
    clients = make_clients(store, fake_slack)

    client = await clients.client_for("T0A")
    assert client is not None
    assert client.token in fake_slack.oauth.tokens_of("T0A")
    saved = await store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert saved is not None and saved.bot_token == client.token
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1


async def test_a_team_whose_key_left_the_ring_stops_that_team_only(
    sessions: async_sessionmaker, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    old = generate_key()
    await make_store(sessions, old).async_save(installation("T0OLDKEY", **FIXED))
    store = make_store(sessions)
    await store.async_save(installation("T0A", **FIXED))
    clients = make_clients(store, fake_slack)

    with caplog.at_level(logging.ERROR):
        live = await clients.live_teams()
    assert [team_id for team_id, _ in live] == ["T0A"]
    assert await clients.client_for("T0OLDKEY") is None
    assert "T0OLDKEY" in caplog.text and "TOKEN_ENCRYPTION_KEY" in caplog.text
    assert "xoxb-T0OLDKEY" not in caplog.text
