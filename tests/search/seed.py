"""Incidents with their retrospective, factors, action items and messages, written through the
ORM (the search index follows by itself: triggers on SQLite, on PostgreSQL too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Retrospective,
    Severity,
    TimelineEvent,
)

Sessions = async_sessionmaker[AsyncSession]
TEAM_A, TEAM_B = "T0TEAM1", "T0TEAM2"
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class Story:
    """One incident to seed; anything left empty is left out."""

    number: int
    title: str
    summary: str = ""
    severity: Severity = Severity.SEV2
    services: Sequence[str] = ()
    started_at: datetime = START
    state: PostmortemState = PostmortemState.PUBLISHED
    team_id: str = TEAM_A
    retro: str = ""  # the retrospective's summary (no retrospective when empty and no factors)
    factors: Sequence[tuple[str, Sequence[str]]] = ()  # description, whys
    lessons: tuple[str, str, str] = ("", "", "")
    actions: Sequence[str] = ()
    messages: Sequence[str] = ()
    document_ref: str | None = None
    channel: str | None = None  # default: one of its own
    ids: dict[str, int] = field(default_factory=dict)  # filled in: incident, retro

    @property
    def channel_id(self) -> str:
        return self.channel or f"C0{self.team_id[-1]}INC{self.number}"


async def seed(sessions: Sessions, *stories: Story) -> list[Story]:
    for story in stories:
        async with sessions() as session, session.begin():
            incident = _incident(story)
            session.add(incident)
            await session.flush()
            story.ids["incident"] = incident.id
            if story.retro or story.factors or any(story.lessons):
                await _retro(session, story, incident)
            for title in story.actions:
                session.add(
                    ActionItem(
                        team_id=story.team_id,
                        incident_id=incident.id,
                        title=title,
                        created_by="U0ALICE",
                    )
                )
            for n, text in enumerate(story.messages):
                session.add(_message(story, incident, n, text))
    return list(stories)


def _incident(story: Story) -> Incident:
    return Incident(
        team_id=story.team_id,
        number=story.number,
        title=story.title,
        summary=story.summary,
        severity=story.severity,
        status=IncidentStatus.RESOLVED,
        postmortem_state=story.state,
        channel_id=story.channel_id,
        declared_by="U0ALICE",
        services=list(story.services),
        started_at=story.started_at,
    )


async def _retro(session: AsyncSession, story: Story, incident: Incident) -> None:
    went_well, went_badly, got_lucky = story.lessons
    retro = Retrospective(
        team_id=story.team_id,
        incident_id=incident.id,
        summary=story.retro,
        went_well=went_well,
        went_badly=went_badly,
        got_lucky=got_lucky,
        document_ref=story.document_ref,
    )
    session.add(retro)
    await session.flush()
    story.ids["retro"] = retro.id
    for position, (description, whys) in enumerate(story.factors):
        session.add(
            ContributingFactor(
                team_id=story.team_id,
                retrospective_id=retro.id,
                position=position,
                category=FactorCategory.CONFIGURATION,
                description=description,
                whys=list(whys),
            )
        )


def _message(story: Story, incident: Incident, n: int, text: str) -> TimelineEvent:
    when = story.started_at + timedelta(minutes=n + 1)
    return TimelineEvent(
        team_id=story.team_id,
        incident_id=incident.id,
        source=EventSource.MESSAGE,
        channel_id=story.channel_id,
        ts=f"{int(when.timestamp())}.{n:06d}",
        author_id="U0BOB",
        text=text,
        occurred_at=when,
    )
