"""A fully filled postmortem written straight through the ORM, for the render and export tests.

INC-7 of team A, started 2026-11-20 14:05 UTC and resolved the next morning: marked events over
two days (an alert, an edited message with a link and a mention, a deleted one, the retro's
mitigation pick), a contributing factor with three whys and one with one, the lessons, and
three action items. Team B has its own INC-7 in a channel with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Priority,
    Retrospective,
    Severity,
    TimelineEvent,
)
from tests.timeline_seed import (
    Sessions,
    seed_cached_user,
    seed_event,
    seed_incident,
    seed_mark,
    seed_message,
    ts_of,
)

TEAM_A, TEAM_B = "T0TEAM1", "T0TEAM2"
START = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
DELETED_TEXT = "SECRET-WORDS-THAT-WERE-DELETED"


def at(hours: float) -> datetime:
    """`hours` after the start."""
    return START + timedelta(hours=hours)


@dataclass(frozen=True)
class Seeded:
    incident: Incident
    events: dict[str, TimelineEvent]


async def seed_postmortem(sessions: Sessions) -> Seeded:
    for user_id, name in (("U0ALICE", "alice"), ("U0BOB", "bob"), ("U0CAROL", "carol")):
        await seed_cached_user(sessions, user_id, name)
    await seed_cached_user(sessions, "U0MALLORY", "mallory-of-b", team_id=TEAM_B)
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_A,
            number=7,
            title="Checkout | payments down #",
            summary="Payments failed for EU customers",
            severity=Severity.SEV1,
            status=IncidentStatus.RESOLVED,
            postmortem_state=PostmortemState.DRAFT,
            channel_id="C0INC7",
            declared_by="U0ALICE",
            commander_id="U0ALICE",
            facilitator_id="U0BOB",
            services=["checkout", "payments"],
            started_at=START,
            mitigated_at=at(2.5),  # when someone set the status; the retro's pick wins
            resolved_at=at(20),  # when resolved by status; the resolution mark wins
        )
        session.add(incident)
    events = {
        "manual": await _manual(sessions, incident, START - timedelta(minutes=15)),
        "chatter": await seed_message(sessions, incident, ts_of(at(0.5)), "anyone seeing 5xx?"),
        "alert": await seed_message(
            sessions,
            incident,
            ts_of(at(1.2)),
            "*CRITICAL* 5xx rate on checkout &gt; 20%",
            author="B0ALERTS",
            author_name="PagerDuty",
        ),
        "rollback": await seed_message(
            sessions,
            incident,
            ts_of(at(1.5)),
            "<@U0BOB> rolling back <https://deploy.example/4512|deploy 4512> &amp; draining "
            "<#C0OPS|ops>, cc <@U0DAVE>",
            edited_at=at(1.55),
            files=[{"name": "graph.png", "title": "graph", "permalink": "https://x/graph.png"}],
        ),
        "deleted": await _deleted(sessions, incident, at(1.6)),
        "mitigation_mark": await seed_message(sessions, incident, ts_of(at(1.7)), "pool resized"),
        "mitigation_pick": await seed_message(
            sessions, incident, ts_of(at(1 + 55 / 60)), "error rate back to normal"
        ),
        "resolution": await seed_message(
            sessions,
            incident,
            ts_of(datetime(2026, 11, 21, 9, 35, tzinfo=UTC)),
            "all green overnight, closing",
            author="U0BOB",
        ),
    }
    await seed_mark(sessions, events["alert"], "detection", reaction="rotating_light")
    await seed_mark(sessions, events["rollback"], "action", note="the rollback that helped")
    await seed_mark(sessions, events["deleted"], "key_event", marked_by="U0CAROL")
    await seed_mark(sessions, events["mitigation_mark"], "mitigation", reaction="adhesive_bandage")
    await seed_mark(
        sessions,
        events["mitigation_pick"],
        "mitigation",
        reaction="retro:mitigation",
        note="picked in the retrospective",  # the retro's stock note: not shown
    )
    await seed_mark(sessions, events["resolution"], "resolution", reaction="white_check_mark")
    await _retro(sessions, incident)
    await _other_team(sessions)
    return Seeded(incident=incident, events=events)


async def _manual(sessions: Sessions, incident: Incident, when: datetime) -> TimelineEvent:
    async with sessions() as session, session.begin():
        event = TimelineEvent(
            team_id=incident.team_id,
            incident_id=incident.id,
            source=EventSource.MANUAL,
            text="Deploy 4512 went out",
            occurred_at=when,
            author_id="U0ALICE",
        )
        session.add(event)
    return event


async def _deleted(sessions: Sessions, incident: Incident, when: datetime) -> TimelineEvent:
    """A deleted message whose row still holds its text: the renderers must go by deleted_at."""
    async with sessions() as session, session.begin():
        event = TimelineEvent(
            team_id=incident.team_id,
            incident_id=incident.id,
            source=EventSource.MESSAGE,
            channel_id=incident.channel_id,
            ts=ts_of(when),
            author_id="U0BOB",
            text=DELETED_TEXT,
            files=[{"name": "secret-file.txt", "permalink": "https://x/secret-file.txt"}],
            occurred_at=when,
            deleted_at=when + timedelta(minutes=1),
        )
        session.add(event)
    return event


async def _retro(sessions: Sessions, incident: Incident) -> None:
    async with sessions() as session, session.begin():
        retro = Retrospective(
            team_id=TEAM_A,
            incident_id=incident.id,
            summary="A config deploy halved the DB pool; checkout timed out.",
            customer_impact="EU customers could not pay for 2 hours.",
            duration="about 2 hours of errors",
            detection="PagerDuty alerted on the 5xx rate.",
            went_well="Rollback was quick.\n# not a heading\n---",
            went_badly="The alert came an hour late.",
            got_lucky="It happened outside the sales peak.",
            completed_steps=["summary", "timeline", "factors", "lessons", "actions"],
            version=6,
            last_edited_by="U0BOB",
            last_edited_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        )
        session.add(retro)
        await session.flush()
        session.add_all(
            [
                ContributingFactor(
                    team_id=TEAM_A,
                    retrospective_id=retro.id,
                    position=0,
                    category=FactorCategory.CONFIGURATION,
                    description="The deploy lowered the pool size from 40 to 20.",
                    whys=[
                        "The default changed in the new template.",
                        "Templates are not diffed in review.",
                        "The review checklist predates templates.",
                    ],
                ),
                ContributingFactor(
                    team_id=TEAM_A,
                    retrospective_id=retro.id,
                    position=1,
                    category=FactorCategory.MONITORING_GAP,
                    description="No alert on pool saturation.",
                    whys=["Pool metrics were never exported."],
                ),
            ]
        )
        session.add_all(
            [
                _item(
                    "Alert on pool saturation | p95",
                    "U0CAROL",
                    date(2026, 12, 1),
                    Priority.HIGH,
                    ActionKind.DETECT,
                    ActionStatus.OPEN,
                    incident,
                ),
                _item(
                    "Diff templates in config review",
                    "U0DAVE",  # not in the user cache: shown by id
                    None,
                    Priority.MEDIUM,
                    ActionKind.PROCESS,
                    ActionStatus.DONE,
                    incident,
                ),
                _item(
                    "Load-test checkout weekly",
                    None,
                    date(2026, 12, 15),
                    Priority.LOW,
                    ActionKind.PREVENT,
                    ActionStatus.WONT_DO,
                    incident,
                    reason="Covered by the quarterly game day",
                ),
            ]
        )


def _item(
    title: str,
    owner: str | None,
    due: date | None,
    priority: Priority,
    kind: ActionKind,
    status: ActionStatus,
    incident: Incident,
    *,
    reason: str | None = None,
) -> ActionItem:
    return ActionItem(
        team_id=incident.team_id,
        incident_id=incident.id,
        title=title,
        owner_id=owner,
        due_date=due,
        priority=priority,
        kind=kind,
        status=status,
        wont_do_reason=reason,
        created_by="U0BOB",
    )


async def _other_team(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_B,
            number=7,
            title="B's own outage",
            severity=Severity.SEV3,
            channel_id="C0INC7",
            declared_by="U0MALLORY",
            started_at=START,
        )
        session.add(incident)
        await session.flush()
        session.add(Retrospective(team_id=TEAM_B, incident_id=incident.id, summary="B-ONLY retro"))
        session.add(
            ActionItem(
                team_id=TEAM_B,
                incident_id=incident.id,
                title="B-ONLY action",
                owner_id="U0MALLORY",
                created_by="U0MALLORY",
            )
        )
    event = await seed_message(
        sessions, incident, ts_of(at(1)), "B-ONLY message", author="U0MALLORY"
    )
    await seed_mark(sessions, event, "detection", marked_by="U0MALLORY")


# ---- an incident whose team marked nothing ---------------------------------------------------

QUIET_CHANNEL = "C0QUIET"
QUIET_NOISE = ("coffee anyone?", "lunch at 1?")  # in the channel, never picked


def minutes(n: float) -> datetime:
    return START + timedelta(minutes=n)


async def seed_unmarked_incident(sessions: Sessions, *, alerts: int = 1) -> Seeded:
    """INC-3 of team A, nothing marked: the declare, a severity and a role change, two status
    changes, an alert from PagerDuty (or `alerts` of them, a minute apart), the first report,
    the messages around each status change, chatter between them (QUIET_NOISE), and a message
    deleted just before the resolution. Team B has a message in a channel with the same id."""
    for user_id, name in (("U0ALICE", "alice"), ("U0BOB", "bob"), ("U0CAROL", "carol")):
        await seed_cached_user(sessions, user_id, name)
    incident = await seed_incident(
        sessions, QUIET_CHANNEL, team_id=TEAM_A, number=3, started_at=START
    )
    system = [
        (0, "INC-3 declared by <@U0ALICE>"),
        (10, "Severity changed to sev1 by <@U0ALICE>"),
        (12, "Commander set to <@U0BOB> by <@U0ALICE>"),
        (30, "Status changed to monitoring by <@U0BOB>"),
        (60, "Status changed to resolved by <@U0BOB>"),
    ]
    events = {
        text.split()[0].lower(): await seed_event(
            sessions, incident, minutes(n), text, source=EventSource.SYSTEM
        )
        for n, text in system
    }
    said = [
        ("report", 2, "U0CAROL", "checkout is throwing 500s for me"),
        ("noise1", 5, "U0ALICE", QUIET_NOISE[0]),
        ("before_monitoring", 28, "U0BOB", "rollback of deploy 4512 done"),
        ("after_monitoring", 33, "U0ALICE", "error rate dropping <@U0BOB>"),
        ("noise2", 45, "U0CAROL", QUIET_NOISE[1]),
        ("before_resolved", 55, "U0ALICE", "all clear for 20 minutes"),
        ("after_resolved", 61, "U0BOB", "thanks all, closing"),
    ]
    for key, n, author, text in said:
        events[key] = await seed_message(sessions, incident, ts_of(minutes(n)), text, author=author)
    await seed_message(sessions, incident, ts_of(minutes(58)), DELETED_TEXT, deleted_at=minutes(59))
    for n in range(alerts):
        events[f"alert{n}"] = await seed_message(
            sessions,
            incident,
            ts_of(minutes(1 + n), micro=1),
            f"*CRITICAL* 5xx rate on checkout &gt; 20% (#{n + 1})",
            author="B0ALERTS",
            author_name="PagerDuty",
        )
    other = await seed_incident(sessions, QUIET_CHANNEL, team_id=TEAM_B, number=3)
    await seed_message(sessions, other, ts_of(minutes(29)), "B-ONLY message", author="U0MALLORY")
    return Seeded(incident=incident, events=events)
