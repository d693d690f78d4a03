"""Declaring an incident end to end: the modal opens at once, the form is checked inline, the
channel is created (or this one adopted) before the incident row, and a failure on either side
leaves nothing half-created."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ids import Declare
from models import AuditEntry, EventSource, Incident, TimelineEvent
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, state_value

Sessions = async_sessionmaker[AsyncSession]


# ---- helpers (test_incident_lifecycle.py uses them too) -------------------------------------


def seed_people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", name="alice")
    fake_slack.add_user("U0BOB", name="bob")
    fake_slack.add_user("U0CAROL", name="carol")
    fake_slack.add_user("U0ALERTS", name="alertbot", is_bot=True)
    fake_slack.add_user("U0GONE", name="gone", deleted=True)
    if "C0GENERAL" not in fake_slack.channels:
        fake_slack.add_channel(
            "general", channel_id="C0GENERAL", members=["U0ALICE", "U0BOB", "U0CAROL"]
        )


def form_values(
    *,
    title: str = "Checkout latency",
    severity: str | None = "SEV2",
    summary: str = "p99 above 5 s since 09:10",
    commander: str | None = "U0ALICE",
    facilitator: str | None = None,
    services: str = "checkout, payments-api",
    channel: str | None = "new",
) -> dict[str, Any]:
    values = {
        Declare.TITLE: state_value("plain_text_input", title),
        Declare.SEVERITY: state_value("static_select", severity),
        Declare.SUMMARY: state_value("plain_text_input", summary or None),
        Declare.COMMANDER: state_value("users_select", commander),
        Declare.FACILITATOR: state_value("users_select", facilitator),
        Declare.SERVICES: state_value("plain_text_input", services or None),
    }
    if channel is not None:
        values[Declare.CHANNEL] = state_value("radio_buttons", channel)
    return {block_id: {block_id: value} for block_id, value in values.items()}


def declare_view(fake_slack: FakeSlack) -> dict[str, Any]:
    """The most recently opened declare modal."""
    opened = [v for v in fake_slack.views.values() if v["callback_id"] == Declare.CALLBACK]
    return opened[-1]


async def open_declare(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    *,
    title: str = "",
    channel_id: str = "C0GENERAL",
    user_id: str = "U0ALICE",
) -> dict[str, Any]:
    response = await slack.command(f"declare {title}", channel_id=channel_id, user_id=user_id)
    assert response.status_code == 200
    assert response.content == b""  # the modal is the answer
    return declare_view(fake_slack)


def modal_text(fake_slack: FakeSlack, view_id: str) -> str:
    """The text of what replaced the declare form (the outcome, or an error)."""
    return "\n".join(block["text"]["text"] for block in fake_slack.views[view_id]["blocks"])


async def declare_via_slack(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    *,
    channel_id: str = "C0GENERAL",
    user_id: str = "U0ALICE",
    **values: Any,
) -> str:
    """Run /postmortem declare and submit the form; returns the outcome's text."""
    view = await open_declare(slack, fake_slack, channel_id=channel_id, user_id=user_id)
    response = await slack.view_submission(view, form_values(**values), user_id=user_id)
    assert response.status_code == 200
    assert response.json()["response_action"] == "update", response.text
    return modal_text(fake_slack, view["id"])


async def incidents_of(sessions: Sessions) -> list[Incident]:
    async with sessions() as session:
        return list(await session.scalars(select(Incident).order_by(Incident.number)))


async def rows_of(sessions: Sessions, model: type[Any]) -> list[Any]:
    async with sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    seed_people(fake_slack)


# ---- opening the form --------------------------------------------------------------------------


async def test_declare_opens_the_modal_first_with_the_title_prefilled(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    view = await open_declare(slack, fake_slack, title="EU checkout &amp; <#C0PAY|payments> down")
    assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == ["views.open"]
    blocks = {block["block_id"]: block for block in view["blocks"]}
    title = blocks[Declare.TITLE]["element"]
    assert title["initial_value"] == "EU checkout & #payments down"
    assert title["max_length"] == 150
    assert blocks[Declare.COMMANDER]["element"]["initial_user"] == "U0ALICE"
    assert blocks[Declare.FACILITATOR]["optional"] is True
    assert "not a responder" in blocks[Declare.FACILITATOR]["hint"]["text"]
    severities = [o["value"] for o in blocks[Declare.SEVERITY]["element"]["options"]]
    assert severities == ["SEV1", "SEV2", "SEV3", "SEV4"]
    choices = [o["value"] for o in blocks[Declare.CHANNEL]["element"]["options"]]
    assert choices == ["new", "review"]
    assert json.loads(view["private_metadata"])["d"] == {  # sealed: see test_installation
        "channel_id": "C0GENERAL",
        "declared_by": "U0ALICE",
    }
    assert len(view["title"]["text"]) <= 24
    assert await incidents_of(served_bot.runtime.sessions) == []
    fake_slack.assert_no_rejections()


async def test_declare_from_a_dm_offers_only_a_new_channel(
    slack: SlackRequests, fake_slack: FakeSlack, people: None
) -> None:
    dm = fake_slack.open_dm(["U0ALICE"]).id
    view = await open_declare(slack, fake_slack, channel_id=dm)
    assert Declare.CHANNEL not in {block["block_id"] for block in view["blocks"]}


async def test_an_expired_trigger_gets_a_clear_answer(
    slack: SlackRequests, fake_slack: FakeSlack, people: None
) -> None:
    fake_slack.fail("views.open", error="expired_trigger_id")
    response = await slack.command("declare", channel_id="C0GENERAL")
    assert response.json()["response_type"] == "ephemeral"
    assert "couldn't open the declare form" in response.json()["text"]


# ---- a new channel -----------------------------------------------------------------------------


async def test_declaring_creates_the_channel_then_the_incident_and_pins_its_header(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    done = await declare_via_slack(
        slack, fake_slack, commander="U0BOB", facilitator="U0CAROL", title="Checkout: p99 > 5s!"
    )
    [incident] = await incidents_of(sessions)
    [created] = fake_slack.calls_to("conversations.create")
    assert created.args["name"] == f"inc-{today()}-checkout-p99-5s"
    assert incident.channel_id in done and "INC-1" in done
    assert (incident.number, incident.title, incident.severity) == (
        1,
        "Checkout: p99 > 5s!",
        "SEV2",
    )
    assert (incident.declared_by, incident.commander_id, incident.facilitator_id) == (
        "U0ALICE",
        "U0BOB",
        "U0CAROL",
    )
    assert incident.services == ["checkout", "payments-api"]
    assert incident.summary == "p99 above 5 s since 09:10"
    channel = fake_slack.channels[incident.channel_id]
    assert {"U0ALICE", "U0BOB", "U0CAROL"} <= channel.members
    assert all(
        call.args["users"].count(",") == 0 for call in fake_slack.calls_to("conversations.invite")
    )
    [header] = [m for m in channel.messages if m.get("bot_id")]
    assert incident.header_ts == header["ts"] and channel.pins == [header["ts"]]
    assert header["blocks"][0]["text"]["text"] == "INC-1: Checkout: p99 > 5s!"
    [event] = await rows_of(sessions, TimelineEvent)
    assert (event.source, event.text) == (EventSource.SYSTEM, "INC-1 declared by <@U0ALICE>")
    [audit] = await rows_of(sessions, AuditEntry)
    assert (audit.action, audit.actor_id, audit.incident_id) == (
        "incident.declare",
        "U0ALICE",
        incident.id,
    )
    fake_slack.assert_no_rejections()


async def test_the_form_is_checked_inline_and_nothing_is_created(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    view = await open_declare(slack, fake_slack)
    values = form_values(title="   ", commander="U0ALERTS", facilitator="U0GHOST")
    response = await slack.view_submission(view, values, user_id="U0ALICE")
    errors = response.json()["errors"]
    assert response.json()["response_action"] == "errors"
    assert errors[Declare.TITLE] == "Give the incident a title."
    assert "bot" in errors[Declare.COMMANDER]
    assert "not a user in this workspace" in errors[Declare.FACILITATOR]
    response = await slack.view_submission(
        view, form_values(title="x" * 151, facilitator="U0GONE"), user_id="U0ALICE"
    )
    errors = response.json()["errors"]
    assert "150 characters" in errors[Declare.TITLE]
    assert "deactivated" in errors[Declare.FACILITATOR]
    assert fake_slack.calls_to("conversations.create") == []
    assert await incidents_of(served_bot.runtime.sessions) == []
    fake_slack.assert_no_rejections()  # each error names an input block of the form


async def test_a_taken_channel_name_gets_a_numbered_suffix(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    fake_slack.add_channel(f"inc-{today()}-checkout-latency")
    fake_slack.add_channel(f"inc-{today()}-checkout-latency-2", is_archived=True)
    await declare_via_slack(slack, fake_slack)
    await declare_via_slack(slack, fake_slack)
    names = [call.args["name"] for call in fake_slack.calls_to("conversations.create")]
    base = f"inc-{today()}-checkout-latency"
    assert names == [base, f"{base}-2", f"{base}-3", base, f"{base}-2", f"{base}-3", f"{base}-4"]
    first, second = await incidents_of(served_bot.runtime.sessions)
    assert (first.number, second.number) == (1, 2)
    assert fake_slack.channels[first.channel_id].name == f"{base}-3"
    assert fake_slack.channels[second.channel_id].name == f"{base}-4"


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        ("invalid_name_specials", "Slack refused the channel name"),
        ("restricted_action", "workspace doesn't allow me to create channels"),
    ],
)
async def test_a_channel_slack_refuses_leaves_no_incident(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    people: None,
    error: str,
    answer: str,
) -> None:
    fake_slack.fail("conversations.create", error=error)
    done = await declare_via_slack(slack, fake_slack)
    assert answer in done and "Nothing was declared" in done
    assert await incidents_of(served_bot.runtime.sessions) == []
    assert await rows_of(served_bot.runtime.sessions, TimelineEvent) == []
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.fixture
async def refusing_database(served_bot: ServedBot) -> AsyncIterator[None]:
    """The database refuses new incidents (a trigger), as a full disk or lost primary would."""
    engine = served_bot.runtime.engine
    if engine.dialect.name == "sqlite":
        create = [
            "CREATE TRIGGER refuse_incidents BEFORE INSERT ON incidents "
            "BEGIN SELECT RAISE(ABORT, 'database refused the write'); END"
        ]
        drop = ["DROP TRIGGER refuse_incidents"]
    else:
        create = [
            "CREATE FUNCTION refuse_incidents() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'database refused the write'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_incidents BEFORE INSERT ON incidents "
            "FOR EACH ROW EXECUTE FUNCTION refuse_incidents()",
        ]
        drop = ["DROP TRIGGER refuse_incidents ON incidents", "DROP FUNCTION refuse_incidents()"]
    async with engine.begin() as connection:
        for statement in create:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            for statement in drop:
                await connection.execute(text(statement))


async def test_a_database_failure_after_creating_the_channel_archives_it(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    people: None,
    refusing_database: None,
) -> None:
    done = await declare_via_slack(slack, fake_slack)
    [created] = [c for c in fake_slack.channels.values() if c.name.startswith("inc-")]
    [archived] = fake_slack.calls_to("conversations.archive")
    assert archived.args["channel"] == created.id and created.is_archived
    assert "nothing was declared" in done and f"#{created.name}" in done and "archived" in done
    assert await incidents_of(served_bot.runtime.sessions) == []
    assert fake_slack.calls_to("conversations.invite") == []
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_one_invite_refused_is_reported_and_the_rest_goes_on(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    fake_slack.fail("conversations.invite", error="user_is_restricted")
    done = await declare_via_slack(slack, fake_slack, commander="U0BOB")
    assert "couldn't invite <@U0ALICE> (user_is_restricted)" in done
    [incident] = await incidents_of(served_bot.runtime.sessions)
    members = fake_slack.channels[incident.channel_id].members
    assert "U0BOB" in members and "U0ALICE" not in members
    assert incident.header_ts is not None


async def test_when_slack_is_slow_the_modal_says_so_and_the_outcome_comes_by_dm(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    # Rate limited, then the retry is answered only after the modal was: slow, deterministically.
    fake_slack.fail("conversations.create", status=429, retry_after=0)
    slow = fake_slack.hold("conversations.create", let_through=1)
    started = time.monotonic()
    done = await declare_via_slack(slack, fake_slack)
    assert time.monotonic() - started < 3  # the submission was answered in time all the same
    assert "takes longer than usual" in done and "direct message" in done
    assert [call.status for call in fake_slack.calls_to("conversations.create")] == [429]
    slow.set()
    posts = await fake_slack.wait_for("chat.postMessage", count=2, timeout=10)
    [dm] = [call for call in posts if call.args["channel"] == "U0ALICE"]
    [incident] = await incidents_of(served_bot.runtime.sessions)
    assert f"*INC-1* is declared: its channel is <#{incident.channel_id}>" in dm.args["text"]


async def test_declarations_racing_get_their_own_numbers(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    views = []
    for user in ("U0ALICE", "U0BOB", "U0CAROL"):
        views.append(await open_declare(slack, fake_slack, user_id=user))
    responses = await asyncio.gather(
        *(
            slack.view_submission(view, form_values(title=f"Outage {n}"), user_id=user)
            for n, (view, user) in enumerate(
                zip(views, ("U0ALICE", "U0BOB", "U0CAROL"), strict=True)
            )
        )
    )
    assert all(r.json()["response_action"] == "update" for r in responses)
    incidents = await incidents_of(served_bot.runtime.sessions)
    assert sorted(i.number for i in incidents) == [1, 2, 3]
    assert len({i.channel_id for i in incidents}) == 3


# ---- reviewing this channel --------------------------------------------------------------------


async def wait_for_backfills(served_bot: ServedBot) -> None:
    pending = served_bot.runtime.backfills.running()
    if pending:
        await asyncio.wait(pending, timeout=10)


async def test_reviewing_this_channel_adopts_it_and_reads_its_history(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    channel = fake_slack.add_channel("db-outage", members=["U0ALICE", "U0BOB"])
    first = fake_slack.add_message(channel, text="db-1 is not answering", user="U0BOB")
    fake_slack.add_message(channel, text="failing over", user="U0ALICE")
    done = await declare_via_slack(
        slack, fake_slack, channel_id=channel, channel="review", facilitator="U0CAROL"
    )
    await wait_for_backfills(served_bot)
    [incident] = await incidents_of(sessions)
    assert incident.channel_id == channel and f"<#{channel}> is its channel" in done
    assert fake_slack.calls_to("conversations.create") == []
    assert fake_slack.bot_user_id in fake_slack.channels[channel].members
    assert "U0CAROL" in fake_slack.channels[channel].members
    assert fake_slack.channels[channel].pins == [incident.header_ts]
    events = await rows_of(sessions, TimelineEvent)
    messages = sorted(e.text for e in events if e.source == EventSource.MESSAGE)
    assert messages == ["db-1 is not answering", "failing over"]
    assert any(e.ts == first for e in events)
    assert [e.text for e in events if e.source == EventSource.SYSTEM] == [
        "INC-1 declared by <@U0ALICE>"
    ]


async def test_reviewing_a_channel_that_is_already_an_incident_channel_is_refused_inline(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    await declare_via_slack(slack, fake_slack, channel_id="C0GENERAL", channel="review")
    await wait_for_backfills(served_bot)
    view = await open_declare(slack, fake_slack, channel_id="C0GENERAL")
    response = await slack.view_submission(view, form_values(channel="review"), user_id="U0ALICE")
    assert response.json()["response_action"] == "errors"
    assert "already the channel of INC-1" in response.json()["errors"][Declare.CHANNEL]
    assert len(await incidents_of(served_bot.runtime.sessions)) == 1


async def test_a_private_channel_the_bot_is_not_in_is_explained(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    channel = fake_slack.add_channel("secret-outage", is_private=True, members=["U0ALICE"])
    done = await declare_via_slack(slack, fake_slack, channel_id=channel, channel="review")
    assert "`/invite` me" in done and "Nothing was declared" in done
    assert await incidents_of(served_bot.runtime.sessions) == []
