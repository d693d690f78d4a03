"""Many workspaces, served for real: the bot in OAuth mode (SLACK_CLIENT_ID/SECRET, no bot
token) on loopback, the fake Slack playing Slack's authorize page and oauth.v2.access for two
workspaces, and a browser that installs a team through the whole flow."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape
from http.cookies import SimpleCookie

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Clock, build_runtime
from bot.config import Settings, load_settings
from bot.installations.crypto import generate_key
from bot.simslack.methods_oauth import Workspace
from models.installation import SlackInstallation, SlackTeam
from tests.conftest import SIGNING_SECRET, TEAM_ID, ServedBot, serve_app
from tests.fakeslack import FakeSlack, SlackRequests

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret"
ENCRYPTION_KEY = generate_key()
TEAM_A, TEAM_B, TEAM_C = TEAM_ID, "T0TEAM2", "T0TEAM3"  # C never installs the app
STATE_COOKIE = "slack-app-oauth-state"


def oauth_settings(fake: FakeSlack, database_url: str, **overrides: str) -> Settings:
    """Many workspaces: the OAuth app's credentials and a key, no SLACK_BOT_TOKEN."""
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "DEBUG",
    }
    return load_settings(env | overrides)


@pytest.fixture
def oauth_slack(fake_slack: FakeSlack) -> FakeSlack:
    """The fake Slack knowing the app's credentials and two workspaces that may install it,
    each with a person (team B's is U0BEA)."""
    fake_slack.oauth.client_id = CLIENT_ID
    fake_slack.oauth.client_secret = CLIENT_SECRET
    fake_slack.oauth.add_workspace(Workspace(TEAM_A, "Team A", installer_id="U0ALICE"))
    fake_slack.oauth.add_workspace(Workspace(TEAM_B, "Team B", installer_id="U0BEA"))
    fake_slack.add_user("U0ALICE", name="alice", team_id=TEAM_A)
    fake_slack.add_user("U0BEA", name="bea", team_id=TEAM_B)
    return fake_slack


@pytest.fixture
async def many_bot(
    oauth_slack: FakeSlack, database_url: str, clock: Clock
) -> AsyncIterator[ServedBot]:
    """The bot serving many workspaces, none installed yet. Slack sends the browser back to
    its /slack/oauth_redirect (the app's Redirect URL; SLACK_REDIRECT_URI is not set)."""
    runtime = build_runtime(oauth_settings(oauth_slack, database_url), clock=clock)
    async with serve_app(runtime) as bot:
        oauth_slack.oauth.redirect_url = f"{bot.url}/slack/oauth_redirect"
        yield bot


def team_requests(bot: ServedBot, fake: FakeSlack, team_id: str) -> SlackRequests:
    """Signed requests from one workspace."""
    return SlackRequests(bot.events_url, signing_secret=SIGNING_SECRET, fake=fake, team_id=team_id)


@dataclass
class Install:
    """One pass through the install flow, as a browser sees it."""

    install_page: httpx.Response
    authorize_url: str
    state: str
    slack_redirect: httpx.Response | None = None  # Slack's 302 back to the app
    callback_url: str | None = None
    page: httpx.Response | None = None  # what /slack/oauth_redirect showed

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"{STATE_COOKIE}={self.state}"}


class Browser:
    """A person's browser: it keeps the state cookie the install page sets (Bolt marks it
    Secure, which http.cookiejar would withhold over loopback HTTP, so it is sent by hand)."""

    def __init__(self, bot: ServedBot) -> None:
        self.bot = bot

    async def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.get(url, headers=headers or {}, follow_redirects=False)

    async def open_install_page(self, team_id: str | None = None) -> Install:
        query = f"?team={team_id}" if team_id else ""
        page = await self.get(f"{self.bot.url}/slack/install{query}")
        assert page.status_code == 200, page.text
        match = re.search(r'<a class="add" href="([^"]+)"', page.text)
        assert match is not None, page.text
        cookie = SimpleCookie(page.headers["set-cookie"])
        return Install(page, unescape(match.group(1)), cookie[STATE_COOKIE].value)

    async def approve(self, install: Install) -> Install:
        """Slack's authorize page: the person allows (or cancels) and is sent back."""
        install.slack_redirect = await self.get(install.authorize_url)
        assert install.slack_redirect.status_code == 302, install.slack_redirect.text
        install.callback_url = install.slack_redirect.headers["location"]
        return install

    async def come_back(self, install: Install) -> httpx.Response:
        assert install.callback_url is not None
        install.page = await self.get(install.callback_url, headers=install.cookie)
        return install.page

    async def install(self, team_id: str) -> Install:
        """The whole flow, which must succeed."""
        install = await self.approve(await self.open_install_page(team_id))
        page = await self.come_back(install)
        assert page.status_code == 200, page.text
        return install


async def install_team(bot: ServedBot, team_id: str) -> Install:
    return await Browser(bot).install(team_id)


async def count_rows(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(installations, teams) stored."""
    async with sessions() as session:
        installs = await session.scalar(select(func.count()).select_from(SlackInstallation))
        teams = await session.scalar(select(func.count()).select_from(SlackTeam))
    return installs or 0, teams or 0
