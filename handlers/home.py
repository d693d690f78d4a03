"""The App Home tab: drawn afresh each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.followup.home import publish_home
from bot.followup.show import saved


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.event("app_home_opened")(open_home)


async def open_home(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Bolt has acked already; the Messages tab opening is none of our business. The Home is
    drawn in a transaction of its own (users.info answers are cached)."""
    user_id = event.get("user")
    if event.get("tab") != "home" or not isinstance(user_id, str) or not context.team_id:
        return
    await saved(
        context["sessions"],
        publish_home,
        client=client,
        team_id=context.team_id,
        user_id=user_id,
        now=context["clock"](),
        settings=context["settings"],
    )
