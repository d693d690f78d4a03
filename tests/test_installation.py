"""Requests that don't belong: another workspace's requests are refused without a Web API call;
`team: null` interactions work; the declare form's channel cannot be redirected; ids and form
answers Slack would never send are refused clearly. And the token is checked at start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.app import build_runtime
from bot.cli import main
from bot.ids import Declare, FollowUp, Header
from bot.installation import NOT_INSTALLED, Identity
from bot.serve import check_bot_token
from bot.ui.state import UNREADABLE
from models import Incident, IncidentStatus
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests, option
from tests.incidents.test_declare import (
    declare_view,
    form_values,
    incidents_of,
    open_declare,
    seed_people,
)
from tests.timeline.test_capture import events_of, seed_channel
from tests.timeline_seed import seed_incident

TEAM_B = "T0TEAM2"


async def test_another_workspaces_requests_are_refused_without_calling_slack(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = seed_channel(fake_slack)
    await seed_incident(sessions, channel, team_id=TEAM_B)  # as if team B had data here
    assert (await slack.command("help")).status_code == 200  # the bot learns who it is
    fake_slack.clear_calls()

    declare = await slack.command("declare Checkout down", channel_id=channel, team_id=TEAM_B)
    message = slack.message_event(channel, "from team B", user="U0BOB", team_id=TEAM_B)
    event = await slack.event(message, team_id=TEAM_B)
    button = await slack.block_action(
        FollowUp.DONE, value="1", channel_id=channel, user_id="U0BOB", team_id=TEAM_B
    )
    shortcut = await slack.global_shortcut("anything", user_id="U0BOB", team_id=TEAM_B)

    assert declare.status_code == 200 and declare.text == NOT_INSTALLED
    assert event.status_code == 200 and event.text == ""  # taken, so Slack does not retry
    assert button.status_code == 200 and shortcut.status_code == 200
    assert fake_slack.calls == []  # no modal, no post, no lookup made with our token
    assert await events_of(sessions, TEAM_B) == []


async def org_command(
    slack: SlackRequests, fake_slack: FakeSlack, *, team_id: str, enterprise_id: str
) -> httpx.Response:
    """`/postmortem help` from a workspace of an Enterprise Grid organisation."""
    fields = {
        "team_id": team_id,
        "enterprise_id": enterprise_id,
        "channel_id": "C0GENERAL",
        "user_id": "U0ALICE",
        "command": "/postmortem",
        "text": "help",
        "api_app_id": fake_slack.app_id,
        "is_enterprise_install": "true",
        "response_url": fake_slack.issue_response_url(),
        "trigger_id": fake_slack.issue_trigger_id("U0ALICE"),
    }
    return await slack.post_raw(urlencode(fields), content_type="application/x-www-form-urlencoded")


async def test_an_org_wide_install_answers_its_organisations_workspaces_only(
    fake_slack: FakeSlack, database_url: str
) -> None:
    org = Identity(team_id="T0TEAM1", enterprise_id="E0ORG", is_enterprise_install=True)
    runtime_settings = make_settings(fake_slack, database_url)
    async with serve_app(build_runtime(runtime_settings, identity=org)) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id="T0TEAM3"
        )
        mine = await org_command(slack, fake_slack, team_id="T0TEAM3", enterprise_id="E0ORG")
        other = await org_command(slack, fake_slack, team_id="T0TEAM3", enterprise_id="E0OTHER")
    assert "/postmortem declare" in mine.json()["text"]
    assert other.text == NOT_INSTALLED
    assert fake_slack.calls == []  # the identity came from the start-up check


async def test_a_header_control_with_team_null_changes_the_incident(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    """Org-wide installs send `team: null` in interactivity payloads, and user.team_id."""
    channel = seed_channel(fake_slack)
    incident = await seed_incident(served_bot.runtime.sessions, channel)
    send = slack.interactive

    async def without_team(payload: dict[str, Any]) -> httpx.Response:
        payload["team"] = None
        return await send(payload)

    slack.interactive = without_team  # type: ignore[method-assign]
    response = await slack.block_action(
        Header.STATUS,
        user_id="U0ALICE",
        channel_id=channel,
        selected={"type": "static_select", "selected_option": option("monitoring")},
    )
    assert response.status_code == 200
    async with served_bot.runtime.sessions() as session:
        stored = await session.get(Incident, incident.id)
    assert stored is not None and stored.status == IncidentStatus.MONITORING
    assert fake_slack.calls_to("response_url") == []  # no error was shown


async def test_a_declare_form_cannot_be_pointed_at_another_channel(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    seed_people(fake_slack)
    secret = fake_slack.add_channel("secret-plans", members=["U0BOB"])
    view = await open_declare(slack, fake_slack, channel_id="C0GENERAL")
    sealed = json.loads(view["private_metadata"])
    forged = [
        json.dumps({"d": {**sealed["d"], "channel_id": secret}, "m": sealed["m"]}),
        json.dumps({"channel_id": secret, "declared_by": "U0ALICE"}),  # unsealed
    ]
    for metadata in forged:
        tampered = {**declare_view(fake_slack), "private_metadata": metadata}
        response = await slack.view_submission(
            tampered, form_values(channel="review"), user_id="U0ALICE"
        )
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert "which channel this form was opened in" in answer["errors"][Declare.CHANNEL]
    assert fake_slack.calls_to("conversations.join") == []
    assert fake_slack.calls_to("conversations.history") == []
    assert await incidents_of(served_bot.runtime.sessions) == []


async def test_an_item_id_out_of_range_is_an_out_of_date_button(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    for value in ("99999999999999999999", "2147483648", "-1", "1e3"):
        response = await slack.block_action(FollowUp.DONE, value=value, user_id="U0ALICE")
        assert response.status_code == 200
    answers = await fake_slack.wait_for("response_url", count=4)
    assert [call.args["text"] for call in answers] == ["That button is out of date."] * 4


@pytest.mark.parametrize(
    ("field", "entry"),
    [
        (Declare.TITLE, {"type": "plain_text_input", "value": ["Checkout", "down"]}),
        (Declare.TITLE, {"type": "plain_text_input", "value": 42}),
        (Declare.SEVERITY, {"type": "static_select", "selected_option": {"value": 2}}),
        (Declare.SEVERITY, {"type": "static_select", "selected_option": "SEV2"}),
        (Declare.COMMANDER, {"type": "users_select", "selected_user": {"id": "U0ALICE"}}),
    ],
)
async def test_form_answers_of_the_wrong_type_are_refused_on_their_field(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    field: str,
    entry: dict[str, Any],
) -> None:
    seed_people(fake_slack)
    view = await open_declare(slack, fake_slack)
    values = form_values()
    values[field] = {field: entry}
    response = await slack.view_submission(view, values, user_id="U0ALICE")
    assert response.json() == {"response_action": "errors", "errors": {field: UNREADABLE}}
    assert fake_slack.calls_to("conversations.create") == []
    assert await incidents_of(served_bot.runtime.sessions) == []


# ---- the token, checked at start --------------------------------------------------------------


def serve_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api_url: str) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'hindsight.db'}")


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "token_revoked"])
def test_serve_with_a_refused_token_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
    code: str,
) -> None:
    serve_env(monkeypatch, tmp_path, fake_slack.base_url)
    fake_slack.fail("auth.test", error=code)
    assert main(["serve", "--port", "1"]) == 2  # never gets as far as listening
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"hindsight: {lines[0].removeprefix('hindsight: ')}"]
    assert f"SLACK_BOT_TOKEN was refused by Slack ({code})" in lines[0]
    assert BOT_TOKEN not in lines[0]
    assert not (tmp_path / "hindsight.db").exists()  # stopped before touching the database
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


async def test_a_slack_unreachable_at_start_is_a_warning_and_the_first_request_asks(
    fake_slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail("auth.test", status=503, times=3)  # down at start, retries included
    settings = make_settings(fake_slack, database_url)
    identity = await check_bot_token(settings)
    assert identity is None
    [warning] = [r for r in caplog.records if "could not check SLACK_BOT_TOKEN" in r.message]
    assert warning.levelname == "WARNING" and "starting anyway" in warning.message
    async with serve_app(build_runtime(settings, identity=identity)) as bot:
        slack = SlackRequests(bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack)
        first = await slack.command("help")
        foreign = await slack.command("help", team_id=TEAM_B)
    assert "/postmortem declare" in first.json()["text"] and foreign.text == NOT_INSTALLED
    assert [call.failed for call in fake_slack.calls_to("auth.test")] == [True] * 3 + [False]
