"""The soak's checks (bench/soak_check.py, bench/soak_report.py) fail when they should: a lost,
doubled or wrong message, a wrong mark, a declare without its incident, a late modal, a missed,
doubled or early reminder, RSS that grows or cannot be measured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.soak_check import (
    Verdict,
    check_declares,
    check_messages,
    check_reactions,
    check_reminders,
)
from bench.soak_procs import Incarnation
from bench.soak_report import rss_lines
from bench.soak_slack import SoakSlack
from bench.soak_work import Declared, Fed, Said
from bot.ui.item import item_block_id
from models import EventSource, Incident, Severity, TimelineEvent, TimelineMark

TEAM = "T0SOAK"
CHANNEL = "C0INC"
Sessions = async_sessionmaker[AsyncSession]


async def seed(sessions: Sessions, rows: list[tuple[str, str | None]]) -> dict[str, int]:
    """An incident and one timeline event per (ts, text); returns the event ids by ts."""
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM,
            number=1,
            title="Soak incident 1",
            severity=Severity.SEV3,
            channel_id=CHANNEL,
            declared_by="U0SOAK1",
        )
        session.add(incident)
        await session.flush()
        events = {}
        for ts, text in rows:
            event = TimelineEvent(
                team_id=TEAM,
                incident_id=incident.id,
                source=EventSource.MESSAGE,
                channel_id=CHANNEL,
                ts=ts,
                text=text,
                occurred_at=datetime.now(UTC),
                deleted_at=datetime.now(UTC) if text is None else None,
            )
            session.add(event)
            await session.flush()
            events[ts] = event.id
    return events


async def test_messages_held_as_acknowledged_pass(sessions: Sessions) -> None:
    await seed(sessions, [("1.1", "said"), ("1.2", "said (edited)"), ("1.3", None)])
    said = [
        Said(CHANNEL, "1.1", "said", stored=True),
        Said(CHANNEL, "1.2", "said", stored=True, edited_to="said (edited)"),
        Said(CHANNEL, "1.3", "said", stored=True, deleted=True),
        Said(CHANNEL, "1.4", "never acknowledged", unsure=True),  # may be missing
    ]
    verdict = Verdict()
    await check_messages(sessions, TEAM, said, verdict)
    assert verdict.failures == []
    assert "3 acknowledged (1 edited, 1 deleted), 3 rows; lost 0" in verdict.figures[0]


async def test_lost_and_wrong_messages_fail(sessions: Sessions) -> None:
    await seed(sessions, [("1.1", "said"), ("1.3", "said")])
    said = [
        Said(CHANNEL, "1.1", "said", stored=True, edited_to="said (edited)"),  # edit not held
        Said(CHANNEL, "1.2", "said", stored=True),  # acknowledged, not stored
        Said(CHANNEL, "1.3", "said", stored=True, deleted=True),  # deletion not held
    ]
    verdict = Verdict()
    await check_messages(sessions, TEAM, said, verdict)
    assert verdict.failures == [
        "wrong message: ('C0INC', '1.1') holds 'said', expected 'said (edited)'",
        "lost message: ('C0INC', '1.2') acknowledged, not stored",
        "wrong message: ('C0INC', '1.3') holds 'said', expected None",
    ]


async def test_marks_must_follow_the_acknowledged_reactions(sessions: Sessions) -> None:
    events = await seed(sessions, [("1.1", "said")])
    async with sessions() as session, session.begin():
        for user, emoji in (("U0SOAK1", "pushpin"), ("U0SOAK2", "bulb")):
            session.add(
                TimelineMark(
                    team_id=TEAM, event_id=events["1.1"], kind="k", reaction=emoji, marked_by=user
                )
            )
    message = Said(CHANNEL, "1.1", "said", stored=True)
    message.reactions = {
        ("U0SOAK1", "pushpin"): True,  # held: right
        ("U0SOAK2", "bulb"): False,  # removed, still marked: wrong
        ("U0SOAK3", "hammer_and_wrench"): True,  # acknowledged, no mark: wrong
        ("U0SOAK4", "eyes"): True,  # marks nothing: right
    }
    verdict = Verdict()
    await check_reactions(sessions, TEAM, [message], verdict)
    assert [line.split(" on ")[0] for line in verdict.failures] == [
        "wrong marks: :bulb: by U0SOAK2",
        "wrong marks: :hammer_and_wrench: by U0SOAK3",
    ]


async def test_a_declare_without_its_incident_and_a_late_submit_fail(sessions: Sessions) -> None:
    await seed(sessions, [])
    declared = [
        Declared("Soak incident 1", seconds=0.2, acknowledged=True),
        Declared("Soak incident 2", seconds=0.3, acknowledged=True),  # no incident stored
        Declared("Soak incident 3", seconds=3.4),  # Slack gave up waiting
    ]
    verdict = Verdict()
    await check_declares(sessions, TEAM, declared, verdict)
    assert verdict.failures == [
        "declare: 'Soak incident 2' acknowledged, 0 incident(s)",
        "late modal: 1 submit(s) answered after 3 s (max 3.40)",
    ]


@pytest.fixture
def slack() -> Iterator[SoakSlack]:
    with SoakSlack(team_id=TEAM) as workspace:
        yield workspace


async def test_missed_doubled_and_early_reminders_fail(
    sessions: Sessions, slack: SoakSlack
) -> None:
    now = datetime.now(UTC)
    fed = [
        Fed(1, "U0SOAK1", now - timedelta(minutes=2), nudge_now=True),  # once: right
        Fed(2, "U0SOAK1", now - timedelta(minutes=2), nudge_now=True),  # twice
        Fed(3, "U0SOAK2", now - timedelta(minutes=2), nudge_now=True),  # never
        Fed(4, "U0SOAK2", now - timedelta(minutes=2), nudge_now=False),  # not due, DMed
        Fed(5, "U0SOAK2", now + timedelta(minutes=2), nudge_now=True),  # due after the end
    ]
    for owner, items in (("U0SOAK1", [1, 2]), ("U0SOAK1", [2]), ("U0SOAK2", [4])):
        blocks = [{"type": "section", "block_id": item_block_id(item)} for item in items]
        slack.add_message(slack.open_dm([owner]).id, text="nudge", user=None, blocks=blocks)
    verdict = Verdict()
    await check_reminders(sessions, slack, fed, now, verdict)
    expected = [
        "early reminder: item 4, not due for days, was DMed",
        "missed reminder: item 3 due ",
        "doubled reminder: item 2 DMed 2 times",
    ]
    assert len(verdict.failures) == len(expected)
    for line, start in zip(verdict.failures, expected, strict=True):
        assert line.startswith(start), line
    assert (
        "3 due before the end, 1 not for days; 1 sent once, 1 missing, 1 doubled"
        in (verdict.figures[0])
    )


def test_rss_growth_after_minute_two_fails_and_a_short_life_cannot_pass() -> None:
    steady = Incarnation(1, 100, 0.0, healthy=1.0, samples=[(1, 90.0), (120, 100.0), (200, 119.0)])
    growing = Incarnation(2, 101, 200.0, healthy=201.0, samples=[(120, 100.0), (200, 121.0)])
    verdict = Verdict()
    lines = rss_lines([steady, growing], verdict)
    assert "minute 2 100.0 MiB, end 119.0 MiB: +19.0%" in lines[0]
    assert verdict.failures == ["RSS: server 2 grew +21.0% after minute 2"]
    short = Verdict()
    rss_lines([Incarnation(1, 100, 0.0, healthy=1.0, samples=[(1, 90.0), (100, 95.0)])], short)
    assert short.failures == ["RSS: no server lived long enough to measure growth after minute 2"]
