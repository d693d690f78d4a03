"""A workspace removing the app: `app_uninstalled`, and `tokens_revoked` naming the bot.

With many workspaces the team's tokens are deleted at once and every job skips it from then on;
its postmortems stay until DATA_RETENTION_DAYS_AFTER_UNINSTALL pass (bot/installations/
lifecycle.py), so a reinstall within that window picks them up again. With one bot token
(SLACK_BOT_TOKEN) there is no store to clean: the token stops working, which is logged.

Bolt runs these two events without authorize (there is no token left to find), and acks them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.installations.lifecycle import uninstall

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


async def app_uninstalled(context: AsyncBoltContext) -> None:
    await forget_team(context, why="app uninstalled")


async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    revoked = event.get("tokens") or {}
    if revoked.get("bot"):  # the bot's token is gone: the app can do nothing more there
        await forget_team(context, why="bot token revoked")
        return
    installed = context["installed"]
    for user_id in revoked.get("oauth") or []:  # a person's own token (none is asked for now)
        if installed is not None:
            await installed.store.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
            )


async def forget_team(context: AsyncBoltContext, *, why: str) -> None:
    installed = context["installed"]
    if installed is None:
        logger.warning("%s in workspace %s: SLACK_BOT_TOKEN no longer works", why, context.team_id)
        return
    await uninstall(
        context["sessions"],
        installed.store,
        team_id=context.team_id,
        enterprise_id=context.enterprise_id,
        now=context["clock"](),
        is_enterprise_install=bool(context.is_enterprise_install),
    )
    logger.info("%s in workspace %s: its tokens are deleted", why, context.team_id)
