"""slack_sdk's AsyncInstallationStore on our own tables, tokens encrypted (crypto.TokenCipher).

Semantics follow slack_sdk's SQLAlchemy store, with one table for bots and installations: the
newest row of an (enterprise, team) with a bot token is the bot; an org-wide install
(Enterprise Grid) is stored with team_id "" and found for any workspace of its organisation when
Bolt asks with `is_enterprise_install`. Saving the same install again (a token rotation keeps
`installed_at`) updates its row. Deleting a bot or a user's installation clears those tokens
(one row holds both, as oauth.v2.access answers them) and removes rows left without any token.

Each save also records the workspace in `slack_teams` (an org-wide install under its enterprise
id), clearing `uninstalled_at`: a reinstall within the retention window picks the data up again.
`changed` tells the token caches (authorize, team_clients) to drop what they hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher
from bot.timeline.events import dialect_of, upsert_insert
from models.installation import SlackInstallation, SlackTeam

logger = logging.getLogger(__name__)

ORG_WIDE_TEAM = ""  # team_id of an org-wide install: it has no one workspace
# A rotation saves the install again with the installed_at it was read with; the float it went
# through on the way (Installation.installed_at) may move it by a microsecond.
SAME_INSTALL_WINDOW = timedelta(milliseconds=1)
BOT_TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "bot_token_expires_at")
USER_TOKEN_COLUMNS = ("user_token", "user_refresh_token", "user_token_expires_at")
ENCRYPTED_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
BOT_COLUMNS = ("app_id", "bot_id", "bot_user_id", "bot_scopes", *BOT_TOKEN_COLUMNS)


class StoreChanges:
    """Listeners told after every save or delete (caches of tokens drop what they hold), and a
    version that moves with them."""

    def __init__(self) -> None:
        self.version = 0
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def notify(self) -> None:
        self.version += 1
        for listener in self._listeners:
            listener()


def team_key(team_id: str | None, is_enterprise_install: bool | None) -> str:
    """The team_id an install is stored under: "" for an org-wide install."""
    if is_enterprise_install or not team_id:
        return ORG_WIDE_TEAM
    return team_id


def same_enterprise(enterprise_id: str | None) -> ColumnElement[bool]:
    column = SlackInstallation.enterprise_id
    return column.is_(None) if enterprise_id is None else column == enterprise_id


class SqlInstallationStore(AsyncInstallationStore):
    """Installations and bots for many workspaces, on slack_installations and slack_teams."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        *,
        client_id: str,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.client_id = client_id
        self.changed = StoreChanges()
        # Workspaces of an org-wide install already recorded in slack_teams by this process.
        self._noted_workspaces: set[str] = set()
        self.changed.subscribe(self._noted_workspaces.clear)

    @property
    def logger(self) -> logging.Logger:
        return logger

    # --- save -----------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        values = self._row_values(installation.to_dict())
        await self._save_row(values, columns=tuple(values))

    async def async_save_bot(self, bot: Bot) -> None:
        """A bot saved on its own (Bolt does after rotating a bot token found by find_bot):
        its columns of the same install's row, or a row of its own with no installer."""
        values = self._row_values({**bot.to_dict(), "user_id": ""})
        await self._save_row(values, columns=BOT_COLUMNS)

    def _row_values(self, data: dict[str, Any]) -> dict[str, Any]:
        values = {
            column: data.get(column)
            for column in SlackInstallation.__table__.columns.keys()  # noqa: SIM118
            if column != "id"
        }
        values["client_id"] = self.client_id
        values["team_id"] = team_key(data.get("team_id"), data.get("is_enterprise_install"))
        values["is_enterprise_install"] = bool(data.get("is_enterprise_install"))
        values["bot_scopes"] = data.get("bot_scopes") or ""
        values["user_scopes"] = data.get("user_scopes") or ""
        values["user_id"] = data.get("user_id") or ""
        for column in ENCRYPTED_COLUMNS:
            values[column] = self.cipher.encrypt_optional(values[column])
        return values

    async def _save_row(self, values: dict[str, Any], *, columns: tuple[str, ...]) -> None:
        async with self.sessions.begin() as session:
            row_id = await session.scalar(
                select(SlackInstallation.id)
                .where(self._install_of(values["enterprise_id"], values["team_id"]))
                .where(
                    SlackInstallation.installed_at.between(
                        values["installed_at"] - SAME_INSTALL_WINDOW,
                        values["installed_at"] + SAME_INSTALL_WINDOW,
                    )
                )
                .order_by(SlackInstallation.id.desc())
                .limit(1)
            )
            if row_id is None:
                session.add(SlackInstallation(**values))
                await record_team(session, values, reinstalled=True)
            else:
                changes = {column: values[column] for column in columns if column != "user_id"}
                await session.execute(
                    update(SlackInstallation).where(SlackInstallation.id == row_id).values(changes)
                )
                await record_team(session, values, reinstalled=False)
        self.changed.notify()

    async def note_workspace(self, *, enterprise_id: str | None, team_id: str) -> None:
        """Record a workspace served by its organisation's org-wide install (once a process):
        `hindsight teams`, the jobs and the purge know it from then on."""
        if team_id in self._noted_workspaces:
            return
        async with self.sessions.begin() as session:
            statement = upsert_insert(dialect_of(session), SlackTeam).values(
                team_id=team_id,
                enterprise_id=enterprise_id,
                installed_at=datetime.now(UTC),
                uninstalled_at=None,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["team_id"],
                    set_={"enterprise_id": enterprise_id, "uninstalled_at": None},
                )
            )
        self._noted_workspaces.add(team_id)

    # --- find -----------------------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        row = await self._newest(
            enterprise_id,
            team_key(team_id, is_enterprise_install),
            SlackInstallation.bot_token.is_not(None),
        )
        return None if row is None else self._bot(row)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = team_key(team_id, is_enterprise_install)
        condition = None if user_id is None else SlackInstallation.user_id == user_id
        row = await self._newest(enterprise_id, key, condition)
        if row is None:
            return None
        installation = self._installation(row)
        if user_id is not None or installation.bot_token is None:
            # The newest bot may come from a later install than this user's (as slack_sdk's
            # SQLAlchemy store does, bolt-python#664).
            bot = await self.async_find_bot(
                enterprise_id=enterprise_id, team_id=key, is_enterprise_install=not key
            )
            if bot is not None and bot.bot_token != installation.bot_token:
                for column in ("bot_id", "bot_user_id", "bot_scopes", *BOT_TOKEN_COLUMNS):
                    setattr(installation, column, getattr(bot, column))
        return installation

    async def _newest(
        self, enterprise_id: str | None, team_id: str, condition: ColumnElement[bool] | None
    ) -> SlackInstallation | None:
        statement = select(SlackInstallation).where(self._install_of(enterprise_id, team_id))
        if condition is not None:
            statement = statement.where(condition)
        statement = statement.order_by(
            SlackInstallation.installed_at.desc(), SlackInstallation.id.desc()
        ).limit(1)
        async with self.sessions() as session:
            return await session.scalar(statement)

    def _install_of(self, enterprise_id: str | None, team_id: str) -> ColumnElement[bool]:
        return and_(
            SlackInstallation.client_id == self.client_id,
            same_enterprise(enterprise_id),
            SlackInstallation.team_id == team_id,
        )

    def _installation(self, row: SlackInstallation) -> Installation:
        return Installation(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            enterprise_url=row.enterprise_url,
            team_id=row.team_id or None,
            team_name=row.team_name,
            bot_token=self.cipher.decrypt_optional(row.bot_token),
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes,
            bot_refresh_token=self.cipher.decrypt_optional(row.bot_refresh_token),
            bot_token_expires_at=row.bot_token_expires_at,
            user_id=row.user_id,
            user_token=self.cipher.decrypt_optional(row.user_token),
            user_scopes=row.user_scopes,
            user_refresh_token=self.cipher.decrypt_optional(row.user_refresh_token),
            user_token_expires_at=row.user_token_expires_at,
            is_enterprise_install=row.is_enterprise_install,
            token_type=row.token_type,
            installed_at=row.installed_at,
        )

    def _bot(self, row: SlackInstallation) -> Bot:
        return Bot(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            team_id=row.team_id or None,
            team_name=row.team_name,
            bot_token=self.cipher.decrypt(row.bot_token or ""),
            bot_id=row.bot_id or "",
            bot_user_id=row.bot_user_id or "",
            bot_scopes=row.bot_scopes,
            bot_refresh_token=self.cipher.decrypt_optional(row.bot_refresh_token),
            bot_token_expires_at=row.bot_token_expires_at,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )

    # --- delete ---------------------------------------------------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._clear(enterprise_id, team_id, BOT_TOKEN_COLUMNS, None)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        condition = None if user_id is None else SlackInstallation.user_id == user_id
        await self._clear(enterprise_id, team_id, USER_TOKEN_COLUMNS, condition)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self.sessions.begin() as session:
            await self.delete_all_in(session, enterprise_id=enterprise_id, team_id=team_id)
        self.changed.notify()

    async def delete_all_in(
        self, session: AsyncSession, *, enterprise_id: str | None, team_id: str | None
    ) -> int:
        """Every install row of the team (or org-wide install), in the caller's transaction."""
        result = await session.execute(
            delete(SlackInstallation).where(self._install_of(enterprise_id, team_id or ""))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _clear(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        columns: tuple[str, ...],
        condition: ColumnElement[bool] | None,
    ) -> None:
        where = self._install_of(enterprise_id, team_id or "")
        if condition is not None:
            where = and_(where, condition)
        async with self.sessions.begin() as session:
            await session.execute(
                update(SlackInstallation).where(where).values(dict.fromkeys(columns))
            )
            await session.execute(
                delete(SlackInstallation).where(
                    where,
                    SlackInstallation.bot_token.is_(None),
                    SlackInstallation.user_token.is_(None),
                )
            )
        self.changed.notify()


async def record_team(session: AsyncSession, values: dict[str, Any], *, reinstalled: bool) -> None:
    """The workspace (or organisation, for an org-wide install) in slack_teams; a new install
    clears uninstalled_at and dates the team's install."""
    team_id = values["team_id"] or values["enterprise_id"]
    if not team_id:
        return
    name = values["team_name"] if values["team_id"] else values["enterprise_name"]
    row = {
        "team_id": team_id,
        "enterprise_id": values["enterprise_id"],
        "name": name,
        "installed_at": values["installed_at"] or datetime.now(UTC),
        "uninstalled_at": None,
    }
    statement = upsert_insert(dialect_of(session), SlackTeam).values(row)
    kept = ("enterprise_id", "name", "installed_at", "uninstalled_at") if reinstalled else ()
    changes = {key: statement.excluded[key] for key in kept}
    if reinstalled:
        statement = statement.on_conflict_do_update(index_elements=["team_id"], set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["team_id"])
    await session.execute(statement)
    if reinstalled and not values["team_id"]:
        # An org-wide install again: its workspaces' data is picked up again too.
        await session.execute(
            update(SlackTeam)
            .where(SlackTeam.enterprise_id == values["enterprise_id"])
            .values(uninstalled_at=None)
        )
