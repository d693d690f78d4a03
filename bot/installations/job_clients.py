"""The Web API clients of a process that serves no requests (`hindsight remind|digest|sync
--once`): one workspace's token, or each installed team's from the installation store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.errors import ConfigError
from bot.installations.clients import SingleWorkspaceClients, TeamClients
from bot.slack import create_web_client


def require_job_slack(settings: Settings, command: str) -> None:
    """What a batch command needs to reach Slack: SLACK_BOT_TOKEN, or the OAuth client id and
    secret with TOKEN_ENCRYPTION_KEY (the installations' tokens are read, never signed
    requests, so no signing secret). Both modes at once are refused, as `serve` refuses them."""
    workspaces = settings.workspaces
    if settings.slack_bot_token and workspaces.oauth:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set; set one "
            f"workspace's token or the many workspaces' client id and secret to {command}"
        )
    if settings.slack_bot_token:
        return
    if not workspaces.oauth:
        raise ConfigError(
            f"SLACK_BOT_TOKEN is not set (nor SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for many "
            f"workspaces); it is required to {command}"
        )
    missing = [
        name
        for name, value in (
            ("SLACK_CLIENT_ID", workspaces.client_id),
            ("SLACK_CLIENT_SECRET", workspaces.client_secret),
            ("TOKEN_ENCRYPTION_KEY", ",".join(workspaces.encryption_keys)),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not set; required to {command} many workspaces")


def batch_team_clients(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> TeamClients:
    """Each team's client: SLACK_BOT_TOKEN's for its one workspace, or, with many workspaces,
    each live installation's (read from the store, decrypted with TOKEN_ENCRYPTION_KEY)."""
    if not settings.multi_workspace:
        token = settings.slack_bot_token
        return SingleWorkspaceClients(
            create_web_client(base_url=settings.slack_api_url, token=token)
        )
    from bot.installations.crypto import TokenCipher
    from bot.installations.store import SqlInstallationStore
    from bot.installations.team_clients import InstalledTeamClients

    workspaces = settings.workspaces
    assert workspaces.client_id is not None and workspaces.client_secret is not None
    store = SqlInstallationStore(
        sessions, TokenCipher(workspaces.encryption_keys), client_id=workspaces.client_id
    )
    return InstalledTeamClients(
        store,
        base_url=settings.slack_api_url,
        client_id=workspaces.client_id,
        client_secret=workspaces.client_secret,
    )
