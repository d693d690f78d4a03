"""Slack's OAuth install, end to end over HTTP: the "Add to Slack" page, Slack's authorize page
(the fake's) and the redirect back, for two teams; each way an install fails gets a clear page
and stores nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import build_runtime
from bot.cli import main
from bot.installations.settings import DEFAULT_SCOPES
from bot.simslack.methods_oauth import Workspace
from bot.simslack.signed import FORM
from models import utcnow
from models.installation import SlackInstallation, SlackOAuthState, SlackTeam
from tests.conftest import ServedBot, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.installations.conftest import (
    CLIENT_ID,
    TEAM_A,
    TEAM_B,
    Browser,
    count_rows,
    install_team,
    oauth_settings,
    team_requests,
)


async def test_the_install_page_links_to_slacks_authorize_page_with_a_state(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    install = await Browser(many_bot).open_install_page()
    assert "Add Hindsight to Slack" in install.install_page.text
    url = urlsplit(install.authorize_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == oauth_slack.root_url + "/oauth/v2/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(DEFAULT_SCOPES)]  # the manifest's, SLACK_SCOPES unset
    assert query["state"] == [install.state]
    async with many_bot.runtime.sessions() as session:
        states = list(await session.scalars(select(SlackOAuthState.state)))
    assert states == [install.state]  # issued and kept for the redirect to check


async def test_two_teams_install_and_each_is_stored_with_its_own_token(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    first = await install_team(many_bot, TEAM_A)
    second = await install_team(many_bot, TEAM_B)

    assert first.page is not None and "Hindsight is installed in Team A" in first.page.text
    assert second.page is not None and "Hindsight is installed in Team B" in second.page.text
    assert f"slack://app?team={TEAM_B}&amp;id={oauth_slack.app_id}" in second.page.text
    exchanges = oauth_slack.calls_to("oauth.v2.access")
    assert [call.args.get("code") is not None for call in exchanges] == [True, True]
    async with many_bot.runtime.sessions() as session:
        rows = list(await session.scalars(select(SlackInstallation)))
        teams = {team.team_id: team for team in await session.scalars(select(SlackTeam))}
    assert sorted(row.team_id for row in rows) == [TEAM_A, TEAM_B]
    assert sorted(teams) == [TEAM_A, TEAM_B] and teams[TEAM_B].name == "Team B"
    for row in rows:
        [token] = oauth_slack.oauth.tokens_of(row.team_id)
        assert row.bot_token is not None and token not in row.bot_token  # ciphertext only
    found = await many_bot.runtime.clients.client_for(TEAM_B)
    assert found is not None and found.token == oauth_slack.oauth.tokens_of(TEAM_B)[0]
    async with many_bot.runtime.sessions() as session:
        assert list(await session.scalars(select(SlackOAuthState))) == []  # each used once


async def test_a_reused_state_gets_a_clear_page_and_stores_nothing_more(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    browser = Browser(many_bot)
    install = await browser.install(TEAM_A)
    again = await browser.come_back(install)  # the same redirect, opened again

    assert again.status_code == 401
    assert "This install link has expired or was already used" in again.text
    assert len(oauth_slack.calls_to("oauth.v2.access")) == 1  # the code was not tried again
    assert await count_rows(many_bot.runtime.sessions) == (1, 1)


async def test_a_state_never_issued_gets_a_clear_page_and_stores_nothing(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_A))
    assert install.callback_url is not None
    install.callback_url = install.callback_url.replace(install.state, "forged-state")
    install.state = "forged-state"  # the cookie agrees: only the store can tell
    page = await browser.come_back(install)

    assert page.status_code == 401
    assert "expired or was already used" in page.text
    assert oauth_slack.calls_to("oauth.v2.access") == []
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_a_state_from_another_browser_gets_a_clear_page(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_A))
    assert install.callback_url is not None
    page = await browser.get(install.callback_url)  # no cookie: not the browser that started

    assert page.status_code == 400 and "not valid here" in page.text
    assert oauth_slack.calls_to("oauth.v2.access") == []
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_an_expired_state_gets_a_clear_page_and_stores_nothing(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_A))
    async with many_bot.runtime.sessions() as session, session.begin():
        await session.execute(
            update(SlackOAuthState).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page = await browser.come_back(install)

    assert page.status_code == 401 and "expired or was already used" in page.text
    assert oauth_slack.calls_to("oauth.v2.access") == []
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_a_cancelled_install_gets_a_clear_page_and_stores_nothing(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    oauth_slack.oauth.add_workspace(Workspace(TEAM_B, "Team B", "U0BEA", denies=True))
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_B))
    assert install.callback_url is not None and "error=access_denied" in install.callback_url
    page = await browser.come_back(install)

    assert page.status_code == 200  # nothing went wrong: the person chose not to
    assert "The install was cancelled" in page.text and "Nothing was stored" in page.text
    assert oauth_slack.calls_to("oauth.v2.access") == []
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_an_exchange_slack_refuses_gets_a_clear_page_and_stores_nothing(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    oauth_slack.fail("oauth.v2.access", error="invalid_code")
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_A))
    page = await browser.come_back(install)

    assert page.status_code == 401
    assert "Slack did not confirm the install" in page.text and "Nothing was stored" in page.text
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_an_exchange_that_never_answers_gets_a_clear_page_not_a_crash(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    oauth_slack.fail("oauth.v2.access", status=500, times=None)  # retries included
    browser = Browser(many_bot)
    install = await browser.approve(await browser.open_install_page(TEAM_A))
    page = await browser.come_back(install)

    assert page.status_code == 401 and "Slack did not confirm the install" in page.text
    assert len(oauth_slack.calls_to("oauth.v2.access")) >= 1
    assert await count_rows(many_bot.runtime.sessions) == (0, 0)


async def test_an_org_wide_install_answers_every_workspace_of_its_organisation(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    org = Workspace(
        None,
        "",
        "U0ALICE",
        enterprise_id="E0ORG",
        enterprise_name="Org",
        is_enterprise_install=True,
    )
    oauth_slack.oauth.add_workspace(org)
    install = await install_team(many_bot, "E0ORG")
    assert install.page is not None and "Hindsight is installed in Org" in install.page.text
    [token] = oauth_slack.oauth.tokens_of("E0ORG")
    oauth_slack.clear_calls()

    slack = team_requests(many_bot, oauth_slack, "T0TEAM7")
    response = await org_command(slack, oauth_slack, "T0TEAM7")
    assert response.status_code == 200
    await many_bot.idle()
    [opened] = oauth_slack.calls_to("views.open")
    assert opened.token == token
    assert {call.token for call in oauth_slack.calls if call.method != "response_url"} == {token}


async def test_an_expiring_token_is_rotated_and_the_new_one_answers(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    oauth_slack.oauth.token_expires_in = 60  # token rotation on: under the 120 minutes' margin
    await install_team(many_bot, TEAM_A)
    first_bot_token = oauth_slack.oauth.tokens_of(TEAM_A)[0]
    oauth_slack.clear_calls()

    slack = team_requests(many_bot, oauth_slack, TEAM_A)
    channel = oauth_slack.add_channel("general", members=["U0ALICE"])
    response = await slack.command("declare Checkout down", user_id="U0ALICE", channel_id=channel)
    assert response.status_code == 200
    await many_bot.idle()

    [rotation] = oauth_slack.calls_to("oauth.v2.access")
    assert rotation.args["grant_type"] == "refresh_token"
    newest = [token for token in oauth_slack.oauth.tokens_of(TEAM_A) if token.startswith("xoxb")]
    assert len(newest) == 2 and newest[0] == first_bot_token
    [opened] = oauth_slack.calls_to("views.open")
    assert opened.token == newest[-1]


def test_serve_with_many_workspaces_refuses_a_key_that_is_not_a_fernet_key(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    oauth_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "hindsight.db"
    settings = oauth_settings(oauth_slack, f"sqlite:///{database}")
    for name, value in {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": settings.workspaces.client_secret,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "TOKEN_ENCRYPTION_KEY": "not-a-key",
    }.items():
        monkeypatch.setenv(name, value or "")
    assert main(["serve", "--port", "1"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "TOKEN_ENCRYPTION_KEY" in line and "not-a-key" not in line
    assert not database.exists()  # stopped before touching the database
    assert oauth_slack.calls == []  # and no auth.test: there is no one token to check


async def test_an_install_started_on_one_replica_finishes_on_another(
    many_bot: ServedBot, oauth_slack: FakeSlack, database_url: str
) -> None:
    other = build_runtime(oauth_settings(oauth_slack, database_url))
    async with serve_app(other) as replica:
        browser = Browser(many_bot)
        install = await browser.approve(await browser.open_install_page(TEAM_B))
        assert install.callback_url is not None
        install.callback_url = install.callback_url.replace(many_bot.url, replica.url)
        page = await Browser(replica).come_back(install)
        assert page.status_code == 200 and "Hindsight is installed in Team B" in page.text
        found = await many_bot.runtime.clients.client_for(TEAM_B)  # the first replica sees it
    assert found is not None and found.token == oauth_slack.oauth.tokens_of(TEAM_B)[0]


async def test_slack_redirect_uri_is_sent_to_slack_and_on_the_exchange(
    oauth_slack: FakeSlack, database_url: str
) -> None:
    public = "https://hindsight.example.com/slack/oauth_redirect"
    settings = oauth_settings(oauth_slack, database_url, SLACK_REDIRECT_URI=public)
    async with serve_app(build_runtime(settings)) as bot:
        browser = Browser(bot)
        install = await browser.approve(await browser.open_install_page(TEAM_A))
        assert parse_qs(urlsplit(install.authorize_url).query)["redirect_uri"] == [public]
        assert install.callback_url is not None and install.callback_url.startswith(public)
        # The public host is a proxy in front of this bot: the browser lands here.
        install.callback_url = install.callback_url.replace(
            public, f"{bot.url}/slack/oauth_redirect"
        )
        page = await browser.come_back(install)
    assert page.status_code == 200, page.text
    [exchange] = oauth_slack.calls_to("oauth.v2.access")
    assert exchange.args["redirect_uri"] == public  # Slack refuses a different one


async def test_an_org_wide_uninstall_forgets_the_organisations_install(
    many_bot: ServedBot, oauth_slack: FakeSlack
) -> None:
    oauth_slack.oauth.add_workspace(
        Workspace(None, "", "U0ALICE", enterprise_id="E0ORG", is_enterprise_install=True)
    )
    await install_team(many_bot, "E0ORG")
    await install_team(many_bot, TEAM_B)  # a workspace of its own, not of the organisation
    slack = team_requests(many_bot, oauth_slack, "T0TEAM7")
    assert (await org_command(slack, oauth_slack, "T0TEAM7")).status_code == 200
    await many_bot.idle()
    assert await many_bot.runtime.clients.client_for("T0TEAM7") is not None  # seen: served
    envelope = {
        "type": "event_callback",
        "team_id": "T0TEAM7",
        "enterprise_id": "E0ORG",
        "api_app_id": oauth_slack.app_id,
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev0UNINSTALL",
        "event_time": 1_700_000_000,
        "authorizations": [
            {
                "enterprise_id": "E0ORG",
                "team_id": None,
                "user_id": oauth_slack.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ],
    }
    response = await slack.post_raw(json.dumps(envelope), content_type="application/json")
    assert response.status_code == 200
    await many_bot.idle()

    async with many_bot.runtime.sessions() as session:
        installs = list(await session.scalars(select(SlackInstallation.team_id)))
    assert installs == [TEAM_B]
    assert await many_bot.runtime.clients.client_for("T0TEAM7") is None
    assert await many_bot.runtime.clients.client_for(TEAM_B) is not None


async def org_command(slack: SlackRequests, fake: FakeSlack, team_id: str) -> httpx.Response:
    """`/postmortem declare` from a workspace of organisation E0ORG (never installed alone)."""
    fields = {
        "team_id": team_id,
        "enterprise_id": "E0ORG",
        "is_enterprise_install": "true",
        "channel_id": "C0GENERAL",
        "user_id": "U0ALICE",
        "command": "/postmortem",
        "text": "declare",
        "api_app_id": fake.app_id,
        "response_url": fake.issue_response_url(),
        "trigger_id": fake.issue_trigger_id("U0ALICE"),
    }
    return await slack.post_raw(urlencode(fields), content_type=FORM)
