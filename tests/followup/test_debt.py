"""Postmortem debt end to end: resolved incidents in the database, the reminder sweep run
in-process at instants the test chooses (the function `serve` and `hindsight remind --once`
call), DMs sent to the fake Slack over HTTP, and the DM's buttons pressed as signed requests
to the served bot.

2026 calendar: Friday 27 November; Tokyo is UTC+9 (no DST), New York UTC-5 in winter.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings, postmortem_due_days
from bot.db import create_engine, create_sessionmaker
from bot.errors import ConfigError
from bot.followup.cadence import Cadence, WorkingHours
from bot.followup.claim import LEASE
from bot.followup.debt import ClaimedDebt, Round, current_round, next_debt_nudge
from bot.followup.debt_claim import claim_debts
from bot.followup.digest import post_weekly_digests
from bot.followup.sweep import SweepReport, sweep
from bot.ids import Debt, Digest, Home, Publish
from bot.slack import create_web_client
from bot.ui.debt import controls_block_id
from models import AuditEntry, Incident, IncidentStatus, PostmortemState, Severity
from tests.clock import FrozenClock
from tests.conftest import BOT_TOKEN, TEAM_ID, ServedBot, make_settings
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.publish.test_publish import walk_retro
from tests.retro.test_retro import CHANNEL, seed_retro_incident, step_of
from tests.retro.test_retro import press as press_in_view
from tests.test_cli import base_env, run

Sessions = async_sessionmaker[AsyncSession]
KENJI, CARL, ALICE, EVE = "U0KENJI", "U0CARL", "U0ALICE", "U0EVE"
# Resolved Friday 27 November, 15:00 in Tokyo (06:00 UTC, 01:00 in New York).
RESOLVED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
# Five working days later: Friday 4 December, 09:00 in Tokyo (Thursday 19:00 in New York).
DUE_IN_TOKYO = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def every(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    moment = start
    while moment < end:
        yield moment
        moment += step


@pytest.fixture
def clock() -> FrozenClock:
    """The served bot's "now": before anything here is resolved, so the sweep `serve` runs at
    start-up finds nothing due; a test moves it when the bot's own clock matters."""
    return FrozenClock(RESOLVED - timedelta(days=1))


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)


@pytest.fixture
def people(fake_slack: FakeSlack) -> str:
    """Kenji facilitates from Tokyo, Carl commands from New York; the incident channel."""
    fake_slack.add_user(KENJI, name="kenji", tz="Asia/Tokyo")
    fake_slack.add_user(CARL, name="carl", tz="America/New_York")
    fake_slack.add_user(ALICE, name="alice", tz="America/New_York")
    fake_slack.add_user(EVE, name="eve", tz="Europe/Paris")
    return fake_slack.add_channel("inc-checkout", members=[KENJI, CARL], bot_is_member=True)


async def seed_resolved(
    sessions: Sessions,
    channel_id: str | None = None,
    *,
    number: int = 1,
    facilitator: str | None = KENJI,
    commander: str | None = CARL,
    severity: Severity = Severity.SEV2,
    resolved_at: datetime = RESOLVED,
    title: str = "Checkout errors",
) -> int:
    """A resolved incident, as `/postmortem status resolved` leaves it, with no postmortem."""
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=number,
            title=title,
            severity=severity,
            status=IncidentStatus.RESOLVED,
            channel_id=channel_id or f"C0INC{number:03d}",
            declared_by=ALICE,
            commander_id=commander,
            facilitator_id=facilitator,
            started_at=resolved_at - timedelta(hours=2),
            resolved_at=resolved_at,
        )
        session.add(incident)
    return incident.id


async def load(sessions: Sessions, incident_id: int) -> Incident:
    async with sessions() as session:
        incident = await session.get(Incident, incident_id)
        assert incident is not None
        return incident


async def run_sweep(
    sessions: Sessions, client: AsyncWebClient, settings: Settings, now: datetime
) -> SweepReport:
    return await sweep(sessions=sessions, client=client, settings=settings, now=now)


def debt_dms(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """The postmortem-debt messages Slack accepted for `channel` (a user id for a DM)."""
    return [
        call.args
        for call in fake.calls_to("chat.postMessage")
        if call.args.get("channel") == channel
        and not call.failed
        and call.error is None
        and Debt.INCIDENT in json.dumps(call.args.get("blocks") or [])
    ]


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [
        call.args
        for call in fake.calls_to("chat.postMessage")
        if call.args.get("channel") == channel and call.error is None
    ]


def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def buttons(args: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """action_id → (label, value) of every button in the message."""
    found = {}
    for block in blocks_of(args):
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = (element["text"]["text"], element["value"])
    return found


def shown_text(args: dict[str, Any]) -> str:
    return json.dumps(blocks_of(args), ensure_ascii=False)


def last_dm(fake: FakeSlack, user_id: str) -> dict[str, Any]:
    """The latest message in the bot's DM with `user_id`, as Slack stores it."""
    channel = fake.open_dm([user_id]).id
    message = fake.messages(channel)[-1]
    return dict(message, channel=channel)


# ---- when the DM comes ---------------------------------------------------------------------------


async def test_the_dm_arrives_on_the_due_working_day_in_the_owners_zone(
    sessions: Sessions,
    fake_slack: FakeSlack,
    database_url: str,
    client: AsyncWebClient,
    people: str,
) -> None:
    settings = make_settings(
        fake_slack, database_url, POSTMORTEM_DUE_DAYS="SEV1=3,SEV2=5,SEV3=10,SEV4=10"
    )
    tokyo = await seed_resolved(sessions, people)  # SEV2: five working days, Kenji in Tokyo
    # SEV1: three working days; no facilitator, so Carl (its commander, in New York) is asked.
    urgent = await seed_resolved(
        sessions, number=2, facilitator=None, severity=Severity.SEV1, title="Login down"
    )
    sent_at: dict[str, list[datetime]] = {KENJI: [], CARL: []}
    for now in every(RESOLVED, utc(12, 5, 12), timedelta(hours=1)):
        before = {user: len(debt_dms(fake_slack, user)) for user in sent_at}
        await run_sweep(sessions, client, settings, now)
        for user, times in sent_at.items():
            times += [now] * (len(debt_dms(fake_slack, user)) - before[user])
    # Friday + 5 working days = next Friday, at 09:00 in Tokyo; never before, never twice a day.
    assert sent_at[KENJI] == [DUE_IN_TOKYO]
    # Friday (01:00 in New York) + 3 = Wednesday 2 December, 09:00 in New York; the next
    # nudge two working days later.
    assert sent_at[CARL] == [utc(12, 2, 14), utc(12, 4, 14)]

    [dm] = debt_dms(fake_slack, KENJI)
    text = shown_text(dm)
    assert "*INC-1 · Checkout errors* (SEV2) was resolved 7 days ago" in text
    assert "You're its facilitator" in text and "Asia/Tokyo" in text
    assert buttons(dm) == {
        Debt.START_RETRO: ("Start retrospective", str(tokyo)),
        Debt.NOT_NEEDED: ("No postmortem needed", str(tokyo)),
    }
    carls = debt_dms(fake_slack, CARL)[0]
    assert "*INC-2 · Login down* (SEV1) was resolved 5 days ago" in shown_text(carls)
    assert "You're its commander" in shown_text(carls)
    incident = await load(sessions, tokyo)
    assert (incident.debt_due_at, incident.debt_nudges) == (DUE_IN_TOKYO, 1)
    assert incident.debt_next_at == utc(12, 8)  # two working days on: Tuesday 09:00 in Tokyo
    assert incident.debt_claim is None and incident.debt_claimed_until is None
    assert (await load(sessions, urgent)).debt_due_at == utc(12, 2, 14)
    # Each person's zone asked of Slack once, then read from the cache.
    assert Counter(c.args["user"] for c in fake_slack.calls_to("users.info")) == {KENJI: 1, CARL: 1}


async def test_after_three_nudges_it_is_escalated_once_to_the_commander_or_the_channel(
    sessions: Sessions,
    fake_slack: FakeSlack,
    database_url: str,
    client: AsyncWebClient,
    people: str,
) -> None:
    postmortems = fake_slack.add_channel("postmortems", bot_is_member=True)
    settings = make_settings(fake_slack, database_url, POSTMORTEM_CHANNEL=postmortems)
    await seed_resolved(sessions, people)
    # Kenji commands INC-2 himself and nobody facilitates: help is asked in the channel.
    await seed_resolved(sessions, number=2, facilitator=None, commander=KENJI)
    for now in every(utc(12, 3, 21), utc(12, 18), timedelta(hours=3)):
        await run_sweep(sessions, client, settings, now)
    # Fri 4, then every two working days: Tue 8, Thu 10, Mon 14 (also escalates), Wed 16.
    nudges = [utc(12, day) for day in (4, 8, 10, 14, 16)]
    assert len(debt_dms(fake_slack, KENJI)) == 2 * len(nudges)
    [asked] = debt_dms(fake_slack, CARL)
    assert "<@U0KENJI> has had 3 reminders" in shown_text(asked)
    assert "*INC-1 · Checkout errors*" in shown_text(asked)
    assert set(buttons(asked)) == {Debt.START_RETRO, Debt.NOT_NEEDED}
    [note] = posts_to(fake_slack, postmortems)
    assert note["text"].startswith("INC-2 'Checkout errors' was resolved")
    assert "<@U0KENJI> has had 3 reminders" in note["text"]
    async with sessions() as session:
        rows = list(await session.scalars(select(Incident).order_by(Incident.number)))
    assert [row.debt_escalated_at for row in rows] == [utc(12, 14)] * 2
    assert [row.debt_nudges for row in rows] == [5, 5]


# ---- never twice --------------------------------------------------------------------------------


async def test_two_concurrent_sweeps_dm_each_owner_once(
    database_url: str, fake_slack: FakeSlack, people: str
) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    first, second = (create_sessionmaker(engine) for engine in engines)
    settings = make_settings(fake_slack, database_url)
    owners = [f"U0F{n:03d}" for n in range(30)]
    try:
        for number, owner in enumerate(owners, start=1):
            fake_slack.add_user(owner, name=owner.lower(), tz="Asia/Tokyo")
            await seed_resolved(first, number=number, facilitator=owner)
        clients = [create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN) for _ in "ab"]

        async def both_at(now: datetime) -> list[SweepReport]:
            return await asyncio.gather(
                *(
                    run_sweep(sessions, client, settings, now)
                    for sessions, client in zip((first, second), clients, strict=True)
                )
            )

        reports = await both_at(DUE_IN_TOKYO)
        assert sum(report.debts_nudged for report in reports) == 30
        assert sum(report.debts_claimed for report in reports) == 30
        # Later the same day, in both processes at once again, and once more alone: nothing.
        await both_at(DUE_IN_TOKYO + timedelta(hours=3))
        await run_sweep(second, clients[1], settings, DUE_IN_TOKYO + timedelta(hours=7))
        dms = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
        assert dms == dict.fromkeys(owners, 1)
        async with first() as session:
            claimed = await session.scalar(
                select(func.count()).where(Incident.debt_claim.is_not(None))
            )
            counts = set((await session.scalars(select(Incident.debt_nudges))).all())
        assert claimed == 0 and counts == {1}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_sweep_that_died_holding_the_claim_delays_the_dm_until_its_lease_ends(
    sessions: Sessions,
    fake_slack: FakeSlack,
    database_url: str,
    client: AsyncWebClient,
    people: str,
) -> None:
    settings = make_settings(fake_slack, database_url)
    incident_id = await seed_resolved(sessions, people)
    [claimed] = await claim_debts(sessions, now=DUE_IN_TOKYO, claim="a-dead-sweep")
    assert claimed.id == incident_id and claimed.owner_id == KENJI
    report = await run_sweep(sessions, client, settings, DUE_IN_TOKYO + timedelta(minutes=5))
    assert report.debts_claimed == 0 and not debt_dms(fake_slack, KENJI)
    report = await run_sweep(sessions, client, settings, DUE_IN_TOKYO + LEASE)
    assert report.debts_nudged == 1 and len(debt_dms(fake_slack, KENJI)) == 1


def test_a_reopened_and_resolved_again_incident_starts_a_new_round() -> None:
    """Nudges sent before the latest resolution don't count (nor their escalation)."""
    hours = WorkingHours(tz="Asia/Tokyo")
    first = ClaimedDebt(
        id=1,
        team_id=TEAM_ID,
        number=1,
        title="Checkout errors",
        severity=Severity.SEV2,
        status=IncidentStatus.RESOLVED,
        postmortem_state=PostmortemState.NONE,
        channel_id="C0INC",
        declared_by=ALICE,
        commander_id=CARL,
        facilitator_id=KENJI,
        resolved_at=RESOLVED,
        debt_nudges=4,
        debt_last_nudged_at=utc(12, 14),
        debt_escalated_at=utc(12, 14),
        debt_send_failures=0,
    )
    assert current_round(first) == Round(nudges=4, last_sent=utc(12, 14), escalated=True)
    again = first._replace(resolved_at=utc(12, 15, 6))  # reopened, resolved on Tuesday 15:00
    assert current_round(again) == Round(nudges=0, last_sent=None, escalated=False)
    step = next_debt_nudge(
        resolved_at=again.resolved_at,
        due_days=5,
        done=current_round(again),
        now=utc(12, 15, 6),
        hours=hours,
        cadence=Cadence(),
    )
    assert (step.at, step.due_at, step.escalate) == (utc(12, 22), utc(12, 22), False)


# ---- what stops it ---------------------------------------------------------------------------


async def test_it_stops_once_the_postmortem_is_published(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    client: AsyncWebClient,
) -> None:
    """Bob (facilitator, New York) is asked; he starts the retrospective from the DM, it is
    written and published through the app, and no nudge or escalation follows."""
    sessions, settings = served_bot.runtime.sessions, served_bot.runtime.settings
    incident = await seed_retro_incident(fake_slack, sessions)
    fake_slack.channels[CHANNEL].members.add(fake_slack.bot_user_id)
    async with sessions() as session, session.begin():
        stored = await session.get(Incident, incident.id)
        assert stored is not None
        stored.status, stored.resolved_at = IncidentStatus.RESOLVED, RESOLVED
    monday_morning = utc(12, 7, 14)  # 09:00 in New York; due on Friday 4 (evening in Tokyo)
    await run_sweep(sessions, client, settings, monday_morning)
    [dm] = debt_dms(fake_slack, "U0BOB")
    assert "was resolved 10 days ago" in shown_text(dm)

    message = last_dm(fake_slack, "U0BOB")
    updates = len(fake_slack.calls_to("views.update"))
    response = await slack.block_action(
        Debt.START_RETRO,
        value=str(incident.id),
        block_id=controls_block_id(incident.id),
        message=message,
        channel_id=message["channel"],
        user_id="U0BOB",
    )
    assert response.status_code == 200, response.text
    [opened] = (await fake_slack.wait_for("views.update", updates + 1))[updates:]
    assert step_of(fake_slack.views[opened.args["view_id"]]) == "summary"

    review = await walk_retro(slack, fake_slack, sessions, incident)
    await press_in_view(slack, fake_slack, review, Publish.BUTTON)
    assert (await load(sessions, incident.id)).postmortem_state is PostmortemState.PUBLISHED
    for now in every(monday_morning + timedelta(hours=1), utc(12, 24), timedelta(hours=6)):
        report = await run_sweep(sessions, client, settings, now)
        assert report.debts_claimed == 0
    assert len(debt_dms(fake_slack, "U0BOB")) == 1
    assert not debt_dms(fake_slack, ALICE)  # the commander was never asked


def reason_typed(text: str) -> dict[str, Any]:
    return {Debt.NOT_NEEDED_REASON: {Debt.NOT_NEEDED_REASON: state_value("plain_text_input", text)}}


async def test_no_postmortem_needed_asks_a_reason_and_stops_the_chase(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    client: AsyncWebClient,
    people: str,
    clock: FrozenClock,
) -> None:
    sessions, settings = served_bot.runtime.sessions, served_bot.runtime.settings
    incident_id = await seed_resolved(sessions, people)
    await run_sweep(sessions, client, settings, DUE_IN_TOKYO)
    message = last_dm(fake_slack, KENJI)
    clock.set(DUE_IN_TOKYO + timedelta(hours=2))

    async def press(user_id: str) -> None:
        response = await slack.block_action(
            Debt.NOT_NEEDED,
            value=str(incident_id),
            block_id=controls_block_id(incident_id),
            message=message,
            channel_id=message["channel"],
            user_id=user_id,
        )
        assert response.status_code == 200, response.text

    await press(EVE)  # no role in the incident: a polite no, and no modal
    [refusal] = await fake_slack.wait_for("response_url")
    assert "Only the declarer, the facilitator and the commander" in refusal.args["text"]
    assert not fake_slack.calls_to("views.open")

    await press(KENJI)
    await fake_slack.wait_for("views.open")
    [modal] = [v for v in fake_slack.views.values() if v["callback_id"] == Debt.NOT_NEEDED_CALLBACK]
    assert "*INC-1 · Checkout errors* (SEV2)" in json.dumps(modal["blocks"], ensure_ascii=False)
    response = await slack.view_submission(modal, reason_typed("   "), user_id=KENJI)
    assert list(response.json()["errors"]) == [Debt.NOT_NEEDED_REASON]
    assert (await load(sessions, incident_id)).no_postmortem_at is None

    reason = "  A false alarm: <!channel> the staging cluster paged  "
    response = await slack.view_submission(modal, reason_typed(reason), user_id=KENJI)
    assert response.status_code == 200 and response.text == ""
    incident = await load(sessions, incident_id)
    assert (incident.no_postmortem_reason, incident.no_postmortem_by) == (reason.strip(), KENJI)
    assert incident.no_postmortem_at == clock.now and incident.debt_next_at is None
    async with sessions() as session:
        [audit] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "postmortem.not_needed")
        )
    assert (audit.actor_id, audit.incident_id) == (KENJI, incident_id)
    assert audit.detail == {"reason": reason.strip()}
    # The DM keeps the incident, loses its buttons, and says what was decided, inert.
    [update] = await fake_slack.wait_for("chat.update")
    assert update.args["ts"] == message["ts"]
    shown = fake_slack.find_message(message["channel"], message["ts"])
    assert shown is not None and not buttons(shown)
    settled = next(b for b in shown["blocks"] if b.get("block_id") == Debt.SETTLED)
    assert settled["elements"][0]["text"] == (
        ":white_check_mark: No postmortem needed, said <@U0KENJI>: "
        "_A false alarm: &lt;!channel&gt; the staging cluster paged_"
    )
    for now in every(DUE_IN_TOKYO + timedelta(hours=1), utc(12, 24), timedelta(hours=6)):
        assert (await run_sweep(sessions, client, settings, now)).debts_claimed == 0
    assert len(debt_dms(fake_slack, KENJI)) == 1 and not debt_dms(fake_slack, CARL)
    await press(CARL)  # pressed again from an old DM: nothing to decide any more
    answers = await fake_slack.wait_for("response_url", 2)
    assert "already marked as needing no postmortem by <@U0KENJI>" in answers[-1].args["text"]
    assert len(fake_slack.calls_to("views.open")) == 1


# ---- the digest and App Home -------------------------------------------------------------


async def test_the_digest_and_app_home_list_the_owed_postmortems(
    slack: SlackRequests,
    served_bot: ServedBot,
    fake_slack: FakeSlack,
    database_url: str,
    client: AsyncWebClient,
    people: str,
    clock: FrozenClock,
) -> None:
    sessions = served_bot.runtime.sessions
    digests = fake_slack.add_channel("follow-through", bot_is_member=True)
    settings = make_settings(fake_slack, database_url, DIGEST_CHANNEL=digests)
    await seed_resolved(sessions, people, title="Checkout <!here> errors")  # owed from Dec 4
    await seed_resolved(sessions, number=2, title="Recent", resolved_at=utc(12, 3, 6))
    decided = await seed_resolved(sessions, number=3, title="False alarm")
    published = await seed_resolved(sessions, number=4, title="Written up")
    async with sessions() as session, session.begin():
        for incident_id in (decided, published):
            stored = await session.get(Incident, incident_id)
            assert stored is not None
            if incident_id == decided:
                stored.no_postmortem_at, stored.no_postmortem_by = RESOLVED, CARL
                stored.no_postmortem_reason = "Staging only"
            else:
                stored.postmortem_state = PostmortemState.PUBLISHED
    await run_sweep(sessions, client, settings, DUE_IN_TOKYO)

    clock.set(DUE_IN_TOKYO + timedelta(hours=1))
    before = len(fake_slack.calls_to("views.publish"))
    response = await slack.event(slack.app_home_opened_event(CARL))
    assert response.status_code == 200
    await fake_slack.wait_for("views.publish", count=before + 1)
    home = fake_slack.home_views[CARL]
    [owed] = [b for b in home["blocks"] if b.get("block_id") == Home.OWED]
    assert owed["text"]["text"] == (  # Carl's Thursday evening in New York: 6 days on
        "*Postmortems owed* · 1\n"
        f"• *INC-1: Checkout &lt;!here&gt; errors* · <#{people}> · resolved 6 days ago · "
        "retrospective not started · <@U0KENJI> reminded"
    )
    [team] = [b for b in home["blocks"] if b.get("block_id") == Home.TEAM]
    fields = [field["text"] for field in team["fields"]]
    assert "*Postmortems to publish*\n2" in fields  # INC-1 and INC-2; not INC-3

    monday = utc(12, 7, 9)
    await post_weekly_digests(sessions=sessions, client=client, settings=settings, now=monday)
    [digest] = posts_to(fake_slack, digests)
    shown = {b.get("block_id"): json.dumps(b, ensure_ascii=False) for b in blocks_of(digest)}
    assert "INC-1: Checkout &lt;!here&gt; errors" in shown[Digest.OWED]
    assert "resolved 10 days ago" in shown[Digest.OWED]
    assert "INC-2" not in shown[Digest.OWED] and "INC-2: Recent" in shown[Digest.UNPUBLISHED]
    assert "INC-1" not in shown[Digest.UNPUBLISHED]
    assert not any("INC-3" in text or "INC-4" in text for text in shown.values())
    assert "2 postmortems waiting to be published. 1 of them past due." in shown[Digest.SUMMARY]


# ---- POSTMORTEM_DUE_DAYS ------------------------------------------------------------------------


def test_postmortem_due_days_takes_one_number_or_one_per_severity() -> None:
    assert load_settings({}).postmortem_due_days == dict.fromkeys(
        ("SEV1", "SEV2", "SEV3", "SEV4"), 5
    )
    assert postmortem_due_days("3") == dict.fromkeys(("SEV1", "SEV2", "SEV3", "SEV4"), 3)
    assert postmortem_due_days("SEV1=3,SEV2=5,SEV3=10,SEV4=10") == {
        "SEV1": 3,
        "SEV2": 5,
        "SEV3": 10,
        "SEV4": 10,
    }
    # Severities not named keep the default; case and spaces don't matter.
    assert postmortem_due_days(" sev1 = 2 ,") == {"SEV1": 2, "SEV2": 5, "SEV3": 5, "SEV4": 5}


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "1.5", "five", "SEV9=3", "SEV1=", "SEV1=0", "SEV1=3,SEV1=4", "SEV1:3", "251"],
)
def test_a_bad_postmortem_due_days_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"POSTMORTEM_DUE_DAYS": value})
    assert "POSTMORTEM_DUE_DAYS" in refused.value.message


def test_serve_with_a_bad_postmortem_due_days_exits_2_naming_it(tmp_path: Path) -> None:
    env = base_env() | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hindsight.db'}",
        "POSTMORTEM_DUE_DAYS": "SEV1=3,SEV9=10",
    }
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "POSTMORTEM_DUE_DAYS" in line and "'SEV9=10'" in line
    assert not (tmp_path / "hindsight.db").exists()
