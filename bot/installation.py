"""Which workspace this bot is installed in, and refusing requests from any other.

The bot has one token, for one installation. `auth.test` says whose it is (asked once, at start,
or on the first request when Slack could not be reached then) and Bolt authorizes every request
with that answer. A request signed by Slack but sent from another workspace (another install of
the same app, or a request replayed with its team changed) is answered without doing anything:
no database, and no Web API call made with our token on its behalf.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError
from bot.ui.feedback import error_modal

logger = logging.getLogger(__name__)

NOT_INSTALLED = "This Hindsight is not installed in your workspace."
# What auth.test answers for a token that will never work (as opposed to a Slack that is down).
REFUSED_TOKEN = ("invalid_auth", "not_authed", "account_inactive", "token_revoked")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the bot token belongs to, as auth.test tells it."""

    team_id: str
    enterprise_id: str | None = None
    bot_user_id: str | None = None
    bot_id: str | None = None
    is_enterprise_install: bool = False

    @classmethod
    def from_auth_test(cls, response: Any) -> Identity:
        return cls(
            team_id=str(response.get("team_id") or ""),
            enterprise_id=response.get("enterprise_id") or None,
            bot_user_id=response.get("user_id") or None,
            bot_id=response.get("bot_id") or None,
            is_enterprise_install=bool(response.get("is_enterprise_install")),
        )

    def owns(self, *, team_ids: set[str], enterprise_id: str | None) -> bool:
        """Whether a request from these teams (and organisation) is this installation's: the
        whole organisation for an org-wide install, else exactly its one workspace."""
        if self.is_enterprise_install and self.enterprise_id:
            return enterprise_id == self.enterprise_id
        return team_ids == {self.team_id}


class Installation(AsyncAuthorize):
    """The identity, learned once; also Bolt's `authorize`, so Bolt asks auth.test no more."""

    def __init__(self, client: AsyncWebClient, identity: Identity | None = None) -> None:
        self.client = client
        self.known = identity
        self._lock = asyncio.Lock()

    async def identity(self) -> Identity:
        """The cached identity; auth.test the first time (SlackApiError etc. pass through)."""
        if self.known is None:
            async with self._lock:  # concurrent first requests ask Slack once
                if self.known is None:
                    self.known = Identity.from_auth_test(await self.client.auth_test())
        return self.known

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_: Any,
    ) -> AuthorizeResult:
        return self._result(await self.identity(), user_id=user_id)

    async def bot_for(self, payload: dict[str, Any]) -> AuthorizeResult | None:
        """What Bolt's authorize and RefuseOtherWorkspaces would conclude for this signed
        payload: the bot, or None when the request is not this installation's."""
        identity = await self.identity()
        teams = {team for team in (extract_team_id(payload), payload_team_id(payload)) if team}
        if not identity.owns(team_ids=teams, enterprise_id=extract_enterprise_id(payload)):
            return None
        return self._result(identity)

    def _result(self, identity: Identity, *, user_id: str | None = None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id,
            team_id=identity.team_id,
            bot_user_id=identity.bot_user_id,
            bot_id=identity.bot_id,
            bot_token=self.client.token,
            user_id=user_id,
        )


async def check_token(client: AsyncWebClient) -> Identity | None:
    """At start: who the token belongs to. ConfigError (one line, naming SLACK_BOT_TOKEN) when
    Slack refuses the token; a warning and None when Slack cannot be asked now (the first
    request asks again)."""
    try:
        return Identity.from_auth_test(await client.auth_test())
    except SlackApiError as error:
        code = error.response.get("error")
        if code in REFUSED_TOKEN:
            raise ConfigError(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}); set it to the app's Bot User "
                "OAuth Token (xoxb-…) from its OAuth & Permissions page"
            ) from None
        reason = code or f"HTTP {error.response.status_code}"
    except Exception as error:  # unreachable, timed out, not Slack at that address
        reason = str(error) or type(error).__name__
    logger.warning("could not check SLACK_BOT_TOKEN with Slack (%s); starting anyway", reason)
    return None


def payload_team_id(body: dict[str, Any]) -> str | None:
    """The workspace a request came from. Org-wide installs send `team: null` in interactivity
    payloads; the person's own team is then in `user.team_id`."""
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return str(team["id"])
    if isinstance(team, str):
        return team
    if isinstance(body.get("team_id"), str):
        return str(body["team_id"])
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("team_id"), str):
        return str(user["team_id"])
    return None


class RefuseOtherWorkspaces(AsyncMiddleware):
    """Answers a request from outside the installation before anything else runs."""

    def __init__(self, installation: Installation) -> None:
        self.installation = installation

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        identity = await self.installation.identity()
        teams = {team for team in (req.context.team_id, payload_team_id(req.body)) if team}
        if not teams and not req.context.enterprise_id:  # not a request Slack would send
            return BoltResponse(status=400, body='{"error": "no workspace in the request"}')
        if identity.owns(team_ids=teams, enterprise_id=req.context.enterprise_id):
            return await next()
        logger.info(
            "refused a %s from workspace %s (installed in %s)",
            req.body.get("type") or "command",
            ",".join(sorted(teams)) or "unknown",
            identity.team_id,
        )
        return refusal(req.body)


def refusal(body: dict[str, Any]) -> BoltResponse:
    """Events get a plain 200, so Slack does not deliver them again; a person is told why."""
    kind = body.get("type")
    if kind == "event_callback":
        return BoltResponse(status=200, body="")
    if kind == "view_submission":
        view = error_modal(NOT_INSTALLED).to_dict()
        return BoltResponse(
            status=200,
            body=json.dumps({"response_action": "update", "view": view}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    return BoltResponse(status=200, body=NOT_INSTALLED)
