"""Two workspaces installed through the real flow, served by one bot: each team's commands,
events and interactions are answered with its own token; a team not installed gets no Web API
call at all; a team naming another team's rows (ids in a button's value, a modal's
private_metadata) changes nothing; after app_uninstalled nothing more is sent for that team and
its tokens are gone; no token's text is in the database file or any log line."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import Debt, FollowUp, Retro
from bot.logs import OWN_LOGGERS, configure_logging
from bot.simslack.methods_oauth import revoke_tokens
from bot.simslack.payloads import state_value
from models import ActionItem, ActionStatus, Incident, Retrospective
from models.installation import SlackInstallation, SlackTeam
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.incidents.test_declare import declare_via_slack, seed_people
from tests.installations.conftest import (
    TEAM_A,
    TEAM_B,
    TEAM_C,
    install_team,
    team_requests,
)
from tests.retro.test_retro import summary_values
from tests.timeline.test_capture import events_of
from tests.timeline_seed import seed_action_item, seed_incident

PEOPLE = {TEAM_A: "U0ALICE", TEAM_B: "U0BEA", TEAM_C: "U0CARA"}


@pytest.fixture
async def two_teams(many_bot: ServedBot, oauth_slack: FakeSlack) -> AsyncIterator[ServedBot]:
    """Teams A and B installed (C never is); the calls of the installs forgotten."""
    oauth_slack.add_user("U0CARA", name="cara", team_id=TEAM_C)
    await install_team(many_bot, TEAM_A)
    await install_team(many_bot, TEAM_B)
    oauth_slack.clear_calls()
    yield many_bot


def token_of(fake: FakeSlack, team_id: str) -> str:
    [token] = fake.oauth.tokens_of(team_id)
    return token


def tokens_used(fake: FakeSlack) -> set[str | None]:
    """The token of every Web API call (response_urls carry none and are left out)."""
    return {call.token for call in fake.calls if call.method != "response_url"}


async def seed_item(bot: ServedBot, fake: FakeSlack, team_id: str) -> ActionItem:
    """An incident of `team_id` with one open item owned by its person."""
    channel = fake.add_channel(f"inc-{team_id.lower()}", members=[PEOPLE[team_id]])
    incident = await seed_incident(bot.runtime.sessions, channel, team_id=team_id)
    return await seed_action_item(
        bot.runtime.sessions, incident, "Add a retry", owner_id=PEOPLE[team_id], due=None
    )


async def stored_item(bot: ServedBot, item_id: int) -> ActionItem:
    async with bot.runtime.sessions() as session:
        item = await session.get(ActionItem, item_id)
    assert item is not None
    return item


async def each_kind_of_request(slack: SlackRequests, fake: FakeSlack, team_id: str) -> None:
    """A command (declare: a modal), an event (App Home opened: views.publish) and an
    interaction (Done under one of the team's own items), from `team_id`'s person."""
    user = PEOPLE[team_id]
    channel = fake.add_channel(f"general-{team_id.lower()}", members=[user])
    command = await slack.command("declare Checkout down", user_id=user, channel_id=channel)
    home = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    event = await slack.event(home)
    assert command.status_code == 200 and event.status_code == 200


def refusal(answer: dict[str, Any]) -> str:
    """The text of the modal a submission was answered with (Slack shows it in place)."""
    assert answer["response_action"] == "update"
    [section] = answer["view"]["blocks"]
    return str(section["text"]["text"])


async def test_each_team_is_answered_with_its_own_token(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    for team_id in (TEAM_A, TEAM_B):
        oauth_slack.clear_calls()
        slack = team_requests(two_teams, oauth_slack, team_id)
        await each_kind_of_request(slack, oauth_slack, team_id)
        item = await seed_item(two_teams, oauth_slack, team_id)
        done = await slack.block_action(FollowUp.DONE, value=str(item.id), user_id=PEOPLE[team_id])
        assert done.status_code == 200
        await two_teams.idle()

        assert (await stored_item(two_teams, item.id)).status is ActionStatus.DONE
        methods = {call.method for call in oauth_slack.calls}
        assert {"views.open", "views.publish"} <= methods
        assert tokens_used(oauth_slack) == {token_of(oauth_slack, team_id)}


async def test_a_team_not_installed_gets_no_web_api_call_with_any_token(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    slack = team_requests(two_teams, oauth_slack, TEAM_C)
    channel = oauth_slack.add_channel("inc-c", members=["U0CARA"], bot_is_member=True)
    await seed_incident(two_teams.runtime.sessions, channel, team_id=TEAM_C)  # as if left over
    await each_kind_of_request(slack, oauth_slack, TEAM_C)
    message = slack.message_event(channel, "from team C", user="U0CARA")
    assert (await slack.event(message)).status_code == 200
    press = await slack.block_action(FollowUp.DONE, value="1", user_id="U0CARA")
    assert press.status_code == 200
    await two_teams.idle()

    assert tokens_used(oauth_slack) == set()  # no Web API call at all
    assert await events_of(two_teams.runtime.sessions, TEAM_C) == []


async def test_another_teams_item_named_in_a_button_changes_nothing(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    theirs = await seed_item(two_teams, oauth_slack, TEAM_A)
    slack = team_requests(two_teams, oauth_slack, TEAM_B)
    for action in (FollowUp.DONE, FollowUp.SNOOZE_WEEK, FollowUp.WONT_DO):
        response = await slack.block_action(action, value=str(theirs.id), user_id="U0BEA")
        assert response.status_code == 200
    await two_teams.idle()

    item = await stored_item(two_teams, theirs.id)
    assert (item.status, item.snoozed_until) == (ActionStatus.OPEN, None)
    refusals = [call.args.get("text") for call in oauth_slack.calls_to("response_url")]
    assert refusals == ["That action item doesn't exist any more."] * 3
    assert oauth_slack.calls_to("views.open") == []
    assert token_of(oauth_slack, TEAM_A) not in tokens_used(oauth_slack)


async def test_another_teams_item_named_in_a_modals_metadata_changes_nothing(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    theirs = await seed_item(two_teams, oauth_slack, TEAM_A)
    slack = team_requests(two_teams, oauth_slack, TEAM_B)
    view = {
        "callback_id": FollowUp.WONT_DO_CALLBACK,
        "private_metadata": json.dumps({"item": theirs.id, "where": "home"}),
    }
    reason = state_value("plain_text_input", "Not ours to fix")
    values = {FollowUp.WONT_DO_REASON: {FollowUp.WONT_DO_REASON: reason}}
    response = await slack.view_submission(view, values, user_id="U0BEA")
    await two_teams.idle()

    assert refusal(response.json()) == "That action item doesn't exist any more."
    item = await stored_item(two_teams, theirs.id)
    assert (item.status, item.wont_do_reason) == (ActionStatus.OPEN, None)
    assert token_of(oauth_slack, TEAM_A) not in tokens_used(oauth_slack)


async def test_another_teams_incident_named_in_a_button_or_modal_changes_nothing(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    theirs = (await seed_item(two_teams, oauth_slack, TEAM_A)).incident_id
    slack = team_requests(two_teams, oauth_slack, TEAM_B)
    for action in (Debt.START_RETRO, Debt.NOT_NEEDED):
        response = await slack.block_action(action, value=str(theirs), user_id="U0BEA")
        assert response.status_code == 200
    view = {
        "callback_id": Debt.NOT_NEEDED_CALLBACK,
        "private_metadata": json.dumps({"incident": theirs, "channel": None, "ts": None}),
    }
    reason = state_value("plain_text_input", "A drill")
    values = {Debt.NOT_NEEDED_REASON: {Debt.NOT_NEEDED_REASON: reason}}
    submitted = await slack.view_submission(view, values, user_id="U0BEA")
    await two_teams.idle()

    assert refusal(submitted.json()) == "This incident no longer exists."
    refusals = [call.args.get("text") for call in oauth_slack.calls_to("response_url")]
    assert refusals == ["This incident no longer exists."] * 2
    async with two_teams.runtime.sessions() as session:
        incident = await session.get(Incident, theirs)
    assert incident is not None and incident.no_postmortem_at is None
    assert oauth_slack.calls_to("views.open") == []
    assert token_of(oauth_slack, TEAM_A) not in tokens_used(oauth_slack)


async def test_another_teams_incident_named_in_a_retro_step_changes_nothing(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    item = await seed_item(two_teams, oauth_slack, TEAM_A)
    slack = team_requests(two_teams, oauth_slack, TEAM_B)
    metadata = {"s": "summary", "i": item.incident_id, "v": 1, "r": [], "x": [item.id]}
    view = {"callback_id": f"{Retro.STEP}.summary", "private_metadata": json.dumps(metadata)}
    response = await slack.view_submission(view, summary_values(), user_id="U0BEA")
    await two_teams.idle()

    assert refusal(response.json()) == "This retrospective no longer exists."
    async with two_teams.runtime.sessions() as session:
        retros = list(await session.scalars(select(Retrospective)))
    assert retros == []
    assert (await stored_item(two_teams, item.id)).status is ActionStatus.OPEN  # not removed
    assert token_of(oauth_slack, TEAM_A) not in tokens_used(oauth_slack)


async def test_after_app_uninstalled_nothing_is_sent_for_the_team_and_its_tokens_are_gone(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    item = await seed_item(two_teams, oauth_slack, TEAM_A)
    slack = team_requests(two_teams, oauth_slack, TEAM_A)
    revoke_tokens(oauth_slack, oauth_slack.oauth, TEAM_A)  # Slack's side of an uninstall
    uninstalled = await slack.event({"type": "app_uninstalled"})
    assert uninstalled.status_code == 200
    await two_teams.idle()

    async with two_teams.runtime.sessions() as session:
        installs = list(await session.scalars(select(SlackInstallation.team_id)))
        team = await session.get(SlackTeam, TEAM_A)
    assert installs == [TEAM_B]
    assert team is not None and team.uninstalled_at is not None
    assert await two_teams.runtime.clients.client_for(TEAM_A) is None
    assert [team_id for team_id, _ in await two_teams.runtime.clients.live_teams()] == [TEAM_B]

    oauth_slack.clear_calls()
    await each_kind_of_request(slack, oauth_slack, TEAM_A)
    await slack.block_action(FollowUp.DONE, value=str(item.id), user_id="U0ALICE")
    await two_teams.idle()
    assert tokens_used(oauth_slack) == set()
    assert (await stored_item(two_teams, item.id)).status is ActionStatus.OPEN

    other = team_requests(two_teams, oauth_slack, TEAM_B)  # team B is served as before
    await each_kind_of_request(other, oauth_slack, TEAM_B)
    await two_teams.idle()
    assert tokens_used(oauth_slack) == {token_of(oauth_slack, TEAM_B)}


async def test_a_revoked_bot_token_forgets_the_team_as_an_uninstall_does(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    slack = team_requests(two_teams, oauth_slack, TEAM_B)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}
    assert (await slack.event(revoked)).status_code == 200
    await two_teams.idle()

    async with two_teams.runtime.sessions() as session:
        installs = list(await session.scalars(select(SlackInstallation.team_id)))
    assert installs == [TEAM_A]
    assert await two_teams.runtime.clients.client_for(TEAM_B) is None


@pytest.fixture
def log_output() -> Iterator[Callable[[str], StringIO]]:
    """Logging configured as `hindsight serve` does it, into a buffer; put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in OWN_LOGGERS}

    def configure(level: str) -> StringIO:
        stream = StringIO()
        configure_logging(level, stream=stream)
        return stream

    yield configure
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


# TRACE lets the libraries' request and answer bodies through too: redaction must hold there.
@pytest.mark.parametrize("log_level", ["DEBUG", "TRACE"])
async def test_no_token_text_in_the_database_file_or_any_log_line(
    oauth_slack: FakeSlack,
    many_bot: ServedBot,
    database_url: str,
    log_output: Callable[[str], StringIO],
    log_level: str,
) -> None:
    lines = log_output(log_level)
    oauth_slack.oauth.token_expires_in = 60  # rotating tokens: refresh tokens stored too
    for team_id in (TEAM_A, TEAM_B):
        await install_team(many_bot, team_id)
        slack = team_requests(many_bot, oauth_slack, team_id)
        await each_kind_of_request(slack, oauth_slack, team_id)  # rotates the expiring token
    await many_bot.idle()
    secrets = oauth_slack.oauth.tokens_of(TEAM_A) + oauth_slack.oauth.tokens_of(TEAM_B)
    assert len(secrets) >= 8  # bot and refresh tokens, and the rotated ones
    assert len(oauth_slack.calls_to("oauth.v2.access")) >= 4  # 2 installs, 2+ rotations
    assert "installed in T0TEAM2" in lines.getvalue()  # the buffer does get the lines

    assert [line for line in lines.getvalue().splitlines() if has_any(line, secrets)] == []
    await many_bot.runtime.engine.dispose()  # everything written is in the database's files
    if database_url.startswith("sqlite"):
        path = Path(database_url.split(":///", 1)[1])
        files = [path, *path.parent.glob(path.name + "-*")]  # and its WAL, if any is left
        assert [f.name for f in files if has_any(f.read_bytes(), secrets)] == []
    else:
        async with many_bot.runtime.sessions() as session:
            rows = (await session.execute(select(SlackInstallation.__table__))).all()
        assert len(rows) == 2 and not has_any(repr(rows), secrets)  # every column, as stored


def has_any(text: str | bytes, secrets: list[str]) -> bool:
    if isinstance(text, bytes):
        return any(secret.encode() in text for secret in secrets)
    return any(secret in text for secret in secrets)


async def test_a_reinstall_within_the_window_picks_the_teams_data_up_again(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    item = await seed_item(two_teams, oauth_slack, TEAM_A)
    slack = team_requests(two_teams, oauth_slack, TEAM_A)
    revoke_tokens(oauth_slack, oauth_slack.oauth, TEAM_A)
    assert (await slack.event({"type": "app_uninstalled"})).status_code == 200
    await two_teams.idle()
    assert await two_teams.runtime.clients.client_for(TEAM_A) is None

    await install_team(two_teams, TEAM_A)
    oauth_slack.clear_calls()
    done = await slack.block_action(FollowUp.DONE, value=str(item.id), user_id="U0ALICE")
    assert done.status_code == 200
    await two_teams.idle()

    async with two_teams.runtime.sessions() as session:
        team = await session.get(SlackTeam, TEAM_A)
    assert team is not None and team.uninstalled_at is None
    assert (await stored_item(two_teams, item.id)).status is ActionStatus.DONE
    assert tokens_used(oauth_slack) == {oauth_slack.oauth.tokens_of(TEAM_A)[-1]}  # the new one


async def test_a_whole_declare_from_each_team_is_stored_and_sent_as_that_team(
    two_teams: ServedBot, oauth_slack: FakeSlack
) -> None:
    seed_people(oauth_slack)
    for team_id in (TEAM_B, TEAM_A):
        oauth_slack.clear_calls()
        slack = team_requests(two_teams, oauth_slack, team_id)
        outcome = await declare_via_slack(slack, oauth_slack, title="Checkout latency")
        await two_teams.idle()
        async with two_teams.runtime.sessions() as session:
            [incident] = await session.scalars(select(Incident).where(Incident.team_id == team_id))
        assert incident.number == 1 and incident.ref in outcome  # numbered within its team
        assert incident.channel_id is not None
        message = slack.message_event(incident.channel_id, "db failover started", user="U0BOB")
        assert (await slack.event(message)).status_code == 200
        texts = [event.text for event in await events_of(two_teams.runtime.sessions, team_id)]
        assert "db failover started" in texts  # captured under its team
        await two_teams.idle()
        assert {"conversations.create", "chat.postMessage"} <= {c.method for c in oauth_slack.calls}
        assert tokens_used(oauth_slack) == {token_of(oauth_slack, team_id)}
