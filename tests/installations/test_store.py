"""The installation store on our tables (SQLite and PostgreSQL): slack_sdk's semantics, tokens
encrypted at rest, the team's life in slack_teams."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher, generate_key
from bot.installations.store import SqlInstallationStore
from models.installation import SlackInstallation, SlackTeam

CLIENT_ID = "1111.2222"
KEY = generate_key()


def make_store(sessions: async_sessionmaker[AsyncSession], *keys: str) -> SqlInstallationStore:
    return SqlInstallationStore(sessions, TokenCipher(keys or (KEY,)), client_id=CLIENT_ID)


def installation(team_id: str | None = "T0A", **overrides: Any) -> Installation:
    values: dict[str, Any] = {
        "app_id": "A0APP",
        "team_id": team_id,
        "team_name": f"Team {team_id}",
        "bot_token": f"xoxb-{team_id}-bot-secret",
        "bot_id": "B0BOT",
        "bot_user_id": "U0BOT",
        "bot_scopes": "chat:write,commands",
        "bot_refresh_token": f"xoxe-1-{team_id}-bot-refresh",
        "bot_token_expires_in": 43200,
        "user_id": "U0INSTALLER",
        "user_token": f"xoxp-{team_id}-user-secret",
        "user_scopes": "search:read",
        "user_refresh_token": f"xoxe-1-{team_id}-user-refresh",
        "user_token_expires_in": 43200,
        "token_type": "bot",
    }
    return Installation(**(values | overrides))


def tokens_of(install: Installation) -> list[str]:
    return [
        token
        for token in (
            install.bot_token,
            install.bot_refresh_token,
            install.user_token,
            install.user_refresh_token,
        )
        if token
    ]


async def test_an_installation_comes_back_as_saved(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    saved = installation()
    await store.async_save(saved)

    found = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert found is not None
    for name in (
        "app_id", "team_id", "team_name", "bot_token", "bot_id", "bot_user_id", "bot_scopes",
        "bot_refresh_token", "bot_token_expires_at", "user_id", "user_token", "user_scopes",
        "user_refresh_token", "user_token_expires_at", "is_enterprise_install", "token_type",
    ):  # fmt: skip
        assert getattr(found, name) == getattr(saved, name), name
    assert abs(found.installed_at - saved.installed_at) < 0.001
    bot = await store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token) == (saved.bot_token, saved.bot_refresh_token)
    assert bot.bot_token_expires_at == saved.bot_token_expires_at
    assert await store.async_find_bot(enterprise_id=None, team_id="T0OTHER") is None
    assert await store.async_find_bot(enterprise_id="E0X", team_id="T0A") is None


async def test_the_table_holds_ciphertext_not_the_tokens(
    sessions: async_sessionmaker, database_url: str
) -> None:
    store = make_store(sessions)
    saved = installation()
    await store.async_save(saved)
    await store.async_find_installation(enterprise_id=None, team_id="T0A")
    if database_url.startswith("sqlite"):  # the file itself, and its write-ahead log
        path = Path(make_url(database_url).database or "")
        stored_bytes = b"".join(
            file.read_bytes()
            for file in (path, path.with_name(path.name + "-wal"))
            if file.exists()
        )
        assert stored_bytes
        for token in tokens_of(saved):
            assert token.encode() not in stored_bytes
    async with sessions() as session:
        rows = (await session.execute(text("SELECT * FROM slack_installations"))).all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    for token in tokens_of(saved):
        assert token not in stored
        assert token.split("-")[-1] not in stored
    raw = rows[0]._mapping
    assert TokenCipher([KEY]).decrypt(raw["bot_token"]) == saved.bot_token
    assert TokenCipher([KEY]).decrypt(raw["user_refresh_token"]) == saved.user_refresh_token


async def test_tokens_written_with_an_old_key_are_read_with_the_new_ring(
    sessions: async_sessionmaker,
) -> None:
    old, new = generate_key(), generate_key()
    await make_store(sessions, old).async_save(installation())
    rotated = make_store(sessions, new, old)
    found = await rotated.async_find_installation(enterprise_id=None, team_id="T0A")
    assert found is not None
    assert found.bot_token == "xoxb-T0A-bot-secret"
    assert found.user_refresh_token == "xoxe-1-T0A-user-refresh"


async def test_an_org_wide_install_serves_every_workspace_of_its_organisation(
    sessions: async_sessionmaker,
) -> None:
    store = make_store(sessions)
    org = installation(
        None, enterprise_id="E0ORG", enterprise_name="Org", is_enterprise_install=True
    )
    await store.async_save(org)

    for team_id in ("T0W1", "T0W2", None):
        bot = await store.async_find_bot(
            enterprise_id="E0ORG", team_id=team_id, is_enterprise_install=True
        )
        assert bot is not None and bot.bot_token == org.bot_token
        assert bot.is_enterprise_install and bot.team_id is None
    found = await store.async_find_installation(
        enterprise_id="E0ORG", team_id="T0W1", is_enterprise_install=True
    )
    assert found is not None and found.enterprise_name == "Org" and found.team_id is None
    # A workspace install of that organisation is not the org-wide one, nor the reverse.
    assert await store.async_find_bot(enterprise_id="E0ORG", team_id="T0W1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id=None) is None
    async with sessions() as session:
        team = await session.get(SlackTeam, "E0ORG")
        assert team is not None and team.name == "Org" and team.uninstalled_at is None
        row = await session.scalar(select(SlackInstallation))
        assert row is not None and row.team_id == ""


async def test_the_newest_install_wins_and_a_users_install_gets_the_newest_bot(
    sessions: async_sessionmaker,
) -> None:
    store = make_store(sessions)
    first = installation(installed_at=time.time() - 60)
    second = installation(
        installed_at=time.time(),
        user_id="U0SECOND",
        bot_token="xoxb-T0A-newer",
        user_token="xoxp-T0A-second",
    )
    await store.async_save(first)
    await store.async_save(second)

    bot = await store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert bot is not None and bot.bot_token == "xoxb-T0A-newer"
    latest = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert latest is not None and latest.user_id == "U0SECOND"
    mine = await store.async_find_installation(
        enterprise_id=None, team_id="T0A", user_id="U0INSTALLER"
    )
    assert mine is not None
    assert mine.user_token == "xoxp-T0A-user-secret"
    assert mine.bot_token == "xoxb-T0A-newer"


async def test_saving_the_same_install_again_updates_its_row(sessions: async_sessionmaker) -> None:
    """What a token rotation does: the install read back, new tokens, saved again."""
    store = make_store(sessions)
    await store.async_save(installation())
    found = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert found is not None
    rotated = Installation(**found.to_dict_for_copying())
    rotated.bot_token, rotated.bot_refresh_token = "xoxb-T0A-rotated", "xoxe-1-rotated"
    rotated.bot_token_expires_at = int(time.time()) + 43200
    await store.async_save(rotated)

    async with sessions() as session:
        assert len((await session.scalars(select(SlackInstallation))).all()) == 1
    again = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert again is not None
    assert (again.bot_token, again.bot_refresh_token) == ("xoxb-T0A-rotated", "xoxe-1-rotated")
    assert again.user_token == "xoxp-T0A-user-secret"

    bot = await store.async_find_bot(enterprise_id=None, team_id="T0A")
    assert bot is not None
    bot.bot_token = "xoxb-T0A-bot-only"
    await store.async_save_bot(bot)
    final = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert final is not None
    assert (final.bot_token, final.user_token) == ("xoxb-T0A-bot-only", "xoxp-T0A-user-secret")


async def test_deleting_tokens_touches_that_team_only(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    await store.async_save(installation("T0A"))
    await store.async_save(installation("T0B"))

    await store.async_delete_bot(enterprise_id=None, team_id="T0A")
    assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is None
    user_only = await store.async_find_installation(enterprise_id=None, team_id="T0A")
    assert user_only is not None and user_only.user_token == "xoxp-T0A-user-secret"
    assert user_only.bot_token is None

    await store.async_delete_installation(enterprise_id=None, team_id="T0A", user_id="U0INSTALLER")
    assert await store.async_find_installation(enterprise_id=None, team_id="T0A") is None
    await store.async_save(installation("T0A"))
    await store.async_delete_all(enterprise_id=None, team_id="T0A")
    assert await store.async_find_installation(enterprise_id=None, team_id="T0A") is None

    other = await store.async_find_installation(enterprise_id=None, team_id="T0B")
    assert other is not None and other.bot_token == "xoxb-T0B-bot-secret"
    async with sessions() as session:
        teams = (await session.scalars(select(SlackInstallation.team_id))).all()
    assert teams == ["T0B"]


async def test_a_reinstall_clears_uninstalled_at(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    await store.async_save(installation(installed_at=time.time() - 3600))
    gone = datetime.now(UTC) - timedelta(days=3)
    async with sessions.begin() as session:
        await session.execute(update(SlackTeam).values(uninstalled_at=gone))
    await store.async_delete_all(enterprise_id=None, team_id="T0A")

    await store.async_save(installation())
    async with sessions() as session:
        team = await session.get(SlackTeam, "T0A")
    assert team is not None
    assert team.uninstalled_at is None
    assert team.installed_at > gone


async def test_every_save_and_delete_is_announced(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    heard: list[int] = []
    store.changed.subscribe(lambda: heard.append(store.changed.version))
    await store.async_save(installation())
    await store.async_delete_bot(enterprise_id=None, team_id="T0A")
    await store.async_delete_all(enterprise_id=None, team_id="T0A")
    assert heard == [1, 2, 3]
