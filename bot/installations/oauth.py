"""Slack's OAuth v2 install, through Bolt's AsyncOAuthFlow: `GET /slack/install` shows "Add to
Slack" (a state issued and kept in slack_oauth_states, a cookie tying it to the browser), and
`GET /slack/oauth_redirect` checks that state once, trades the code with `oauth.v2.access` at
SLACK_API_URL and stores the installation (tokens encrypted, store.SqlInstallationStore).

Bolt's flow is used as it is, but for three things: our pages (bot/installations/pages.py), an
exchange that fails in any way (Slack down, a timeout, not only an error answer) or a store
that fails becoming a failure page rather than a 500, and Slack's authorize page found beside
SLACK_API_URL (`https://slack.com/api/` → `https://slack.com/oauth/v2/authorize`), so the
simulated Slack can play it too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin

from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.installations import pages
from bot.installations.authorize import InstalledTeamsAuthorize
from bot.installations.crypto import TokenCipher
from bot.installations.state_store import SqlOAuthStateStore
from bot.installations.store import SqlInstallationStore
from bot.installations.team_clients import InstalledTeamClients

logger = logging.getLogger(__name__)

AUTHORIZE_PATH = "/oauth/v2/authorize"  # beside /api/ on Slack's host
STATE_SECONDS = 600
TOKEN_ROTATION_MINUTES = 120  # a rotating token is refreshed when it has less than this left
HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class InstalledWorkspaces:
    """Many workspaces' parts, one of each per runtime: the app authorizes requests with
    `authorize`, the jobs take each team's client from `clients`, the install flow saves into
    `store` (whose changes drop both caches)."""

    store: SqlInstallationStore
    state_store: SqlOAuthStateStore
    authorize: InstalledTeamsAuthorize
    clients: InstalledTeamClients


def installed_workspaces(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> InstalledWorkspaces:
    """The stores on our tables, tokens encrypted with TOKEN_ENCRYPTION_KEY (a bad key stops
    here, a ConfigError naming it)."""
    workspaces = settings.workspaces
    client_id, client_secret = workspaces.client_id or "", workspaces.client_secret or ""
    store = SqlInstallationStore(
        sessions, TokenCipher(workspaces.encryption_keys), client_id=client_id
    )
    return InstalledWorkspaces(
        store=store,
        state_store=SqlOAuthStateStore(sessions, expiration_seconds=STATE_SECONDS),
        authorize=InstalledTeamsAuthorize(
            store,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        ),
        clients=InstalledTeamClients(
            store,
            base_url=settings.slack_api_url,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        ),
    )


def authorization_url(slack_api_url: str) -> str:
    """Slack's authorize page on the host SLACK_API_URL names."""
    return urljoin(slack_api_url, AUTHORIZE_PATH)


def build_oauth_settings(
    settings: Settings,
    store: AsyncInstallationStore,
    state_store: AsyncOAuthStateStore,
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings from ours: client id and secret, scopes (SLACK_SCOPES or the
    manifest's), SLACK_REDIRECT_URI when set, our stores and pages."""
    workspaces = settings.workspaces
    return AsyncOAuthSettings(
        client_id=workspaces.client_id,
        client_secret=workspaces.client_secret,
        scopes=list(workspaces.scopes),
        user_scopes=[],  # a bot only: no person's token is asked for (nor SLACK_USER_SCOPES read)
        redirect_uri=workspaces.redirect_uri,
        install_path=pages.INSTALL_PATH,
        redirect_uri_path=pages.REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(success=show_success, failure=show_failure),
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=store,
        state_store=state_store,
        state_expiration_seconds=STATE_SECONDS,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        logger=logger,
    )


class InstallFlow(AsyncOAuthFlow):
    """Bolt's flow with our install page, and every failure of the exchange or the store a
    page (Bolt lets anything but a SlackApiError or a BoltError through, a 500)."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return pages.install_page(url)

    async def run_installation(self, code: str) -> Installation | None:
        try:  # Bolt answers None itself for an error Slack sent (a SlackApiError)
            return await super().run_installation(code)
        except Exception as error:  # Slack unreachable, a timeout, an answer that isn't JSON
            logger.warning("install: oauth.v2.access failed: %s", type(error).__name__)
            return None

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        try:
            await super().store_installation(request, installation)
        except BoltError:
            raise
        except Exception as error:  # the database: the person is told, nothing half-stored
            logger.error("install: could not store the installation: %s", type(error).__name__)
            raise BoltError("the installation could not be stored") from error


def build_oauth_flow(
    settings: Settings,
    store: AsyncInstallationStore,
    state_store: AsyncOAuthStateStore,
    client: AsyncWebClient,
) -> InstallFlow:
    """The flow the app serves on INSTALL_PATH and REDIRECT_PATH, calling Slack with `client`."""
    return InstallFlow(
        client=client, logger=logger, settings=build_oauth_settings(settings, store, state_store)
    )


async def show_success(args: AsyncSuccessArgs) -> BoltResponse:
    installation = args.installation
    logger.info(
        "installed in %s (%s)",
        installation.team_id or installation.enterprise_id,
        "organisation-wide" if installation.is_enterprise_install else "workspace",
    )
    body = pages.success_page(
        team_id=None if installation.is_enterprise_install else installation.team_id,
        team_name=installation.team_name or installation.enterprise_name,
        app_id=installation.app_id,
    )
    cookie = args.settings.state_utils.build_set_cookie_for_deletion()
    return BoltResponse(status=200, body=body, headers={**HTML, "Set-Cookie": cookie})


async def show_failure(args: AsyncFailureArgs) -> BoltResponse:
    logger.info("install failed: %s", args.reason)
    cookie = args.settings.state_utils.build_set_cookie_for_deletion()
    return BoltResponse(
        status=args.suggested_status_code,
        body=pages.failure_page(args.reason),
        headers={**HTML, "Set-Cookie": cookie},
    )
