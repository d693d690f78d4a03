"""Status, severity and roles: changed by command or from the header, recorded on the timeline
and in the audit log, shown in the header (updated in place); bad input changes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotInIncidentChannelError, UserInputError
from bot.ids import Header
from bot.incidents import lifecycle as incidents
from bot.incidents.forms import Declaration
from bot.incidents.lifecycle import Field
from bot.ui.header import header_blocks, header_text
from models import AuditEntry, EventSource, Incident, IncidentStatus, Severity, TimelineEvent
from tests.conftest import TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, option, validate_message_blocks
from tests.incidents.test_declare import declare_via_slack, incidents_of, rows_of, seed_people

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def incident(slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot) -> Incident:
    """INC-1, declared through Slack by Alice (commander), in its own new channel."""
    seed_people(fake_slack)
    await declare_via_slack(slack, fake_slack)
    [declared] = await incidents_of(served_bot.runtime.sessions)
    fake_slack.clear_calls()
    return declared


async def current(sessions: Sessions) -> Incident:
    [incident] = await incidents_of(sessions)
    return incident


async def counts(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        events = await session.scalar(select(func.count()).select_from(TimelineEvent))
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return int(events or 0), int(audits or 0)


def header_message(fake_slack: FakeSlack, incident: Incident) -> dict[str, Any]:
    assert incident.channel_id and incident.header_ts
    message = fake_slack.find_message(incident.channel_id, incident.header_ts)
    assert message is not None
    return message


def header_says(fake_slack: FakeSlack, incident: Incident) -> str:
    texts = []
    for block in header_message(fake_slack, incident)["blocks"]:
        parts = [block.get("text"), *block.get("fields", [])]
        texts += [part["text"] for part in parts if isinstance(part, dict)]
    return "\n".join(texts)


async def command(slack: SlackRequests, incident: Incident, text: str, user: str) -> str:
    assert incident.channel_id
    response = await slack.command(text, channel_id=incident.channel_id, user_id=user)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    return str(response.json()["text"])


# ---- commands --------------------------------------------------------------------------------


async def test_status_changes_are_recorded_and_the_header_follows(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    answer = await command(slack, incident, "status Identified", "U0BOB")
    assert answer == "Status of INC-1 is now *identified*. The header is updated."
    [update] = await fake_slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (incident.channel_id, incident.header_ts)
    assert ":dart: Identified" in header_says(fake_slack, incident)
    await command(slack, incident, "status monitoring", "U0BOB")
    mitigated = (await current(sessions)).mitigated_at
    assert mitigated is not None
    await command(slack, incident, "status resolved", "U0ALICE")
    stored = await current(sessions)
    assert stored.status == IncidentStatus.RESOLVED and stored.resolved_at is not None
    assert stored.mitigated_at == mitigated  # kept from when it was first mitigated
    events = [e for e in await rows_of(sessions, TimelineEvent) if e.source == EventSource.SYSTEM]
    assert [e.text for e in events][1:] == [
        "Status changed to identified by <@U0BOB>",
        "Status changed to monitoring by <@U0BOB>",
        "Status changed to resolved by <@U0ALICE>",
    ]
    audits = [(a.action, a.detail) for a in await rows_of(sessions, AuditEntry)][1:]
    assert audits[0] == ("incident.status", {"from": "investigating", "to": "identified"})
    await fake_slack.wait_for("chat.update", count=3)
    assert "*Resolved:*" in header_says(fake_slack, incident)
    fake_slack.assert_no_rejections()


async def test_reopening_clears_the_resolution_time(
    slack: SlackRequests, served_bot: ServedBot, incident: Incident
) -> None:
    await command(slack, incident, "status resolved", "U0ALICE")
    await command(slack, incident, "status investigating", "U0ALICE")
    stored = await current(served_bot.runtime.sessions)
    assert stored.status == IncidentStatus.INVESTIGATING and stored.resolved_at is None


async def test_the_same_status_again_records_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    before = await counts(served_bot.runtime.sessions)
    answer = await command(slack, incident, "status investigating", "U0ALICE")
    assert answer == "Status of INC-1 is already *investigating*."
    assert await counts(served_bot.runtime.sessions) == before
    assert fake_slack.calls_to("chat.update") == []


async def test_severity_changes_are_recorded_and_shown(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    assert await command(slack, incident, "severity sev1", "U0ALICE") == (
        "Severity of INC-1 is now *SEV1*. The header is updated."
    )
    assert (await current(served_bot.runtime.sessions)).severity == Severity.SEV1
    await fake_slack.wait_for("chat.update")
    assert "*Severity:* SEV1 (critical)" in header_says(fake_slack, incident)
    [*_, event] = await rows_of(served_bot.runtime.sessions, TimelineEvent)
    assert event.text == "Severity changed to SEV1 by <@U0ALICE>"


async def test_roles_accept_escaped_and_bare_mentions_and_the_new_holder_is_invited(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    invites = len(fake_slack.calls_to("conversations.invite"))
    await command(slack, incident, "role facilitator <@U0CAROL|carol>", "U0ALICE")
    await command(slack, incident, "role Commander <@U0BOB>", "U0ALICE")
    stored = await current(sessions)
    assert (stored.commander_id, stored.facilitator_id) == ("U0BOB", "U0CAROL")
    assert incident.channel_id
    await fake_slack.wait_for("conversations.invite", count=invites + 2)  # after the acks
    assert {"U0BOB", "U0CAROL"} <= fake_slack.channels[incident.channel_id].members
    await fake_slack.wait_for("chat.update", count=2)
    says = header_says(fake_slack, incident)
    assert "*Commander:* <@U0BOB>" in says and "*Facilitator:* <@U0CAROL>" in says
    audits = [(a.action, a.detail) for a in await rows_of(sessions, AuditEntry)]
    assert audits[-1] == ("incident.commander", {"from": "U0ALICE", "to": "U0BOB"})
    [*_, event] = await rows_of(sessions, TimelineEvent)
    assert event.text == "Commander set to <@U0BOB> by <@U0ALICE>"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("status fixed", "Unknown status: `fixed`"),
        ("status closed", "Unknown status: `closed`"),
        ("status", "Unknown status: no status"),
        ("severity SEV5", "Unknown severity: `SEV5`"),
        ("role boss <@U0BOB|bob>", "Unknown role: `boss`"),
        ("role commander bob", "Mention the person with @"),
        ("role commander", "Use `/postmortem role <commander|facilitator> @person`"),
        ("role commander <@U0GHOST|ghost>", "<@U0GHOST> is not a user in this workspace."),
        ("role facilitator <@U0ALERTS|alertbot>", "<@U0ALERTS> is a bot"),
        ("role facilitator <@U0GONE>", "<@U0GONE> has been deactivated"),
    ],
)
async def test_bad_input_is_answered_and_changes_nothing(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    incident: Incident,
    text: str,
    answer: str,
) -> None:
    before = await counts(served_bot.runtime.sessions)
    assert answer in await command(slack, incident, text, "U0ALICE")
    stored = await current(served_bot.runtime.sessions)
    assert (stored.status, stored.severity, stored.commander_id, stored.facilitator_id) == (
        IncidentStatus.INVESTIGATING,
        Severity.SEV2,
        "U0ALICE",
        None,
    )
    assert await counts(served_bot.runtime.sessions) == before
    assert fake_slack.calls_to("chat.update") == []
    assert fake_slack.calls_to("conversations.invite") == []


@pytest.mark.parametrize("text", ["status resolved", "severity SEV1", "role commander <@U0BOB>"])
async def test_outside_an_incident_channel_the_answer_says_how_to_declare(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, text: str
) -> None:
    seed_people(fake_slack)
    response = await slack.command(text, channel_id="C0GENERAL", user_id="U0ALICE")
    assert response.json()["response_type"] == "ephemeral"
    assert "isn't an incident channel" in response.json()["text"]
    assert "/postmortem declare" in response.json()["text"]
    assert await counts(served_bot.runtime.sessions) == (0, 0)


async def test_an_unknown_subcommand_is_answered_with_help(slack: SlackRequests) -> None:
    response = await slack.command("declar outage")
    assert response.json()["response_type"] == "ephemeral"
    assert "Unknown subcommand `declar`" in response.json()["text"]


# ---- the header's controls ---------------------------------------------------------------------


async def test_header_controls_make_the_same_changes(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    choices = [
        (Header.STATUS, {"type": "static_select", "selected_option": option("monitoring")}),
        (Header.SEVERITY, {"type": "static_select", "selected_option": option("SEV3")}),
        (Header.FACILITATOR, {"type": "users_select", "selected_user": "U0CAROL"}),
    ]
    for n, (action_id, selected) in enumerate(choices, start=1):
        response = await slack.block_action(
            action_id,
            user_id="U0BOB",
            channel_id=incident.channel_id,
            message=header_message(fake_slack, incident),
            selected=selected,
        )
        assert response.status_code == 200
        await fake_slack.wait_for("chat.update", count=n)
    stored = await current(sessions)
    assert (stored.status, stored.severity, stored.facilitator_id) == (
        IncidentStatus.MONITORING,
        Severity.SEV3,
        "U0CAROL",
    )
    assert stored.mitigated_at is not None
    texts = [e.text for e in await rows_of(sessions, TimelineEvent)][1:]
    assert texts == [
        "Status changed to monitoring by <@U0BOB>",
        "Severity changed to SEV3 by <@U0BOB>",
        "Facilitator set to <@U0CAROL> by <@U0BOB>",
    ]
    header = header_message(fake_slack, incident)
    selects = {b["block_id"]: b["accessory"] for b in header["blocks"] if "accessory" in b}
    assert selects[Header.STATUS]["initial_option"]["value"] == "monitoring"
    assert selects[Header.FACILITATOR]["initial_user"] == "U0CAROL"
    fake_slack.assert_no_rejections()


async def test_a_header_control_set_to_a_bot_changes_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    before = await counts(served_bot.runtime.sessions)
    response = await slack.block_action(
        Header.COMMANDER,
        user_id="U0BOB",
        channel_id=incident.channel_id,
        message=header_message(fake_slack, incident),
        selected={"type": "users_select", "selected_user": "U0ALERTS"},
    )
    assert response.status_code == 200
    assert (await current(served_bot.runtime.sessions)).commander_id == "U0ALICE"
    assert await counts(served_bot.runtime.sessions) == before
    # The person is told why, ephemerally, through the action's response_url.
    [told] = await fake_slack.wait_for("response_url")
    assert told.args["response_type"] == "ephemeral" and "<@U0ALERTS>" in told.args["text"]


# ---- services, on the database directly -------------------------------------------------------


def declaration(team_id: str = TEAM_ID, title: str = "Checkout errors") -> Declaration:
    return Declaration(
        team_id=team_id,
        declared_by="U0ALICE",
        title=title,
        severity=Severity.SEV2,
        commander_id="U0ALICE",
    )


async def test_two_teams_can_use_the_same_channel_id(sessions: Sessions) -> None:
    now = datetime.now(UTC)
    for team in ("T0TEAMA", "T0TEAMB"):
        await incidents.insert_incident(
            sessions=sessions,
            declaration=declaration(team, title=f"Outage at {team}"),
            channel_id="C0SHARED",
            started_at=now,
            now=now,
        )
    async with sessions() as session:
        a = await incidents.require_by_channel(
            session=session, team_id="T0TEAMA", channel_id="C0SHARED"
        )
        b = await incidents.require_by_channel(
            session=session, team_id="T0TEAMB", channel_id="C0SHARED"
        )
        assert (a.number, a.title, b.number, b.title) == (
            1,
            "Outage at T0TEAMA",
            1,
            "Outage at T0TEAMB",
        )
        with pytest.raises(NotInIncidentChannelError):
            await incidents.require_by_channel(
                session=session, team_id="T0TEAMC", channel_id="C0SHARED"
            )
        change = await incidents.apply_change(
            session=session,
            client=None,  # type: ignore[arg-type]  # status changes need no Slack calls
            incident=b,
            actor_id="U0BOB",
            field=Field.STATUS,
            value="resolved",
            now=now,
        )
        await session.commit()
    assert change.changed
    async with sessions() as session:
        statuses = dict((await session.execute(select(Incident.team_id, Incident.status))).all())
    assert statuses == {"T0TEAMA": IncidentStatus.INVESTIGATING, "T0TEAMB": IncidentStatus.RESOLVED}


async def test_concurrent_declarations_never_share_a_number(sessions: Sessions) -> None:
    now = datetime.now(UTC)
    declared = await asyncio.gather(
        *(
            incidents.insert_incident(
                sessions=sessions,
                declaration=declaration(),
                channel_id=f"C0RACE{n}",
                started_at=now,
                now=now,
            )
            for n in range(6)
        )
    )
    assert sorted(i.number for i in declared) == [1, 2, 3, 4, 5, 6]


async def test_a_channel_taken_meanwhile_is_refused_not_duplicated(sessions: Sessions) -> None:
    now = datetime.now(UTC)
    kwargs: dict[str, Any] = {"channel_id": "C0SAME", "started_at": now, "now": now}
    await incidents.insert_incident(sessions=sessions, declaration=declaration(), **kwargs)
    with pytest.raises(UserInputError, match="already the channel of INC-1"):
        await incidents.insert_incident(sessions=sessions, declaration=declaration(), **kwargs)
    assert len(await incidents_of(sessions)) == 1


# ---- the header builder ------------------------------------------------------------------------


def test_the_header_stays_within_slack_limits_at_its_longest() -> None:
    started = datetime(2026, 8, 10, 9, 5, tzinfo=UTC)
    incident = Incident(
        team_id=TEAM_ID,
        number=12345,
        title="T" * 150,
        summary="<@U1> & " + "s" * 5000,
        severity=Severity.SEV1,
        status=IncidentStatus.RESOLVED,
        channel_id="C0INC",
        declared_by="U0ALICE",
        commander_id="U0ALICE",
        facilitator_id=None,
        services=[f"service-{n}-" + "x" * 48 for n in range(20)],
        started_at=started,
        mitigated_at=started,
        resolved_at=started,
    )
    blocks = [block.to_dict() for block in header_blocks(incident)]
    assert validate_message_blocks(blocks) == []
    assert len(blocks) <= 50 and len(header_text(incident)) <= 3000
    details = next(b for b in blocks if b["block_id"] == Header.DETAILS)
    assert details["fields"][0]["text"] == (
        "*Started:*\n<!date^1786352700^{date_short_pretty} {time}|2026-08-10 09:05 UTC>"
    )
    summary = next(b for b in blocks if b["block_id"] == Header.SUMMARY)
    assert summary["text"]["text"].startswith("*What happened*\n&lt;@U1&gt; &amp; sss")
    assert "*Facilitator:* _not set_" in str(blocks)
