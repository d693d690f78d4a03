"""The data model on a real database: UTC times, per-team uniqueness, cascades."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    ProcessedEvent,
    Retrospective,
    Severity,
    TimelineEvent,
    TimelineMark,
)

Sessions = async_sessionmaker[AsyncSession]


def incident(team: str, number: int, channel: str | None = "C1") -> Incident:
    return Incident(
        team_id=team,
        number=number,
        title="Checkout errors",
        severity=Severity.SEV2,
        channel_id=channel,
        declared_by="U1",
        services=["checkout", "payments"],
    )


def message(inc: Incident, ts: str, *, text: str = "hello") -> TimelineEvent:
    return TimelineEvent(
        team_id=inc.team_id,
        incident=inc,
        source=EventSource.MESSAGE,
        channel_id=inc.channel_id,
        ts=ts,
        author_id="U1",
        text=text,
        occurred_at=datetime.fromtimestamp(float(ts), UTC),
    )


async def test_times_come_back_as_utc_whatever_zone_went_in(sessions: Sessions) -> None:
    tokyo = timezone(timedelta(hours=9))
    started = datetime(2026, 3, 29, 10, 30, tzinfo=tokyo)
    async with sessions.begin() as session:
        row = incident("T1", 1)
        row.started_at = started
        session.add(row)
    async with sessions() as session:
        loaded = await session.scalar(select(Incident))
    assert loaded is not None
    assert loaded.started_at == started
    assert loaded.started_at.tzinfo is not None and loaded.started_at.utcoffset() == timedelta(0)
    assert loaded.services == ["checkout", "payments"]
    assert loaded.ref == "INC-1"


async def test_naive_datetimes_are_refused(sessions: Sessions) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions.begin() as session:
            row = incident("T1", 1)
            row.started_at = datetime(2026, 1, 1, 12, 0)
            session.add(row)


async def test_incident_numbers_and_channels_are_unique_per_team(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add_all([incident("T1", 1, "C1"), incident("T2", 1, "C1")])
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(incident("T1", 1, "C2"))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(incident("T1", 2, "C1"))


async def test_a_message_is_stored_once_per_channel_and_ts(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        inc = incident("T1", 1)
        session.add_all([inc, message(inc, "1700000000.000100")])
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            inc = await session.scalar(select(Incident))
            assert inc is not None
            session.add(message(inc, "1700000000.000100", text="again"))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TimelineEvent)) == 1


async def test_processed_event_ids_are_unique(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add(ProcessedEvent(team_id="T1", event_id="Ev1"))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(ProcessedEvent(team_id="T1", event_id="Ev1"))


async def test_deleting_an_incident_removes_what_belongs_to_it(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        inc = incident("T1", 1)
        event = message(inc, "1700000000.000200")
        retro = Retrospective(team_id="T1", incident=inc, summary="Short")
        session.add_all([inc, event, retro])
        await session.flush()
        session.add_all(
            [
                TimelineMark(team_id="T1", event_id=event.id, kind="detection", marked_by="U2"),
                ContributingFactor(
                    team_id="T1",
                    retrospective_id=retro.id,
                    category=FactorCategory.MONITORING_GAP,
                    description="No alert on queue depth",
                    whys=["the alert was never written", "no owner for the queue"],
                ),
                ActionItem(
                    team_id="T1",
                    incident_id=inc.id,
                    title="Alert on queue depth",
                    owner_id="U3",
                    due_date=date(2026, 12, 1),
                    created_by="U1",
                ),
            ]
        )
    async with sessions.begin() as session:
        factor = await session.scalar(select(ContributingFactor))
        assert factor is not None and factor.whys[1] == "no owner for the queue"
        await session.execute(delete(Incident))
    async with sessions() as session:
        for model in (TimelineEvent, TimelineMark, Retrospective, ContributingFactor, ActionItem):
            count = await session.scalar(select(func.count()).select_from(model))
            assert count == 0, model.__name__
