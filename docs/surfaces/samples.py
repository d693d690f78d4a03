"""The surfaces pictured in docs/surfaces, as the bot's real Block Kit output.

Each surface is built by calling the real builder in bot/ui/ with one fixed, realistic incident
(INC-7, "Checkout errors after deploy"): models are constructed in memory, never saved, and every
time, id and name is fixed, so the same code always gives the same JSON. render.py draws these;
tests/test_surfaces.py recomputes them and checks each picture's stored hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.followup.cadence import WorkingHours
from bot.followup.shapes import Home, Participation, TeamCounts
from bot.insights.stats import ItemCounts, Repeat, Spread, TeamStats
from bot.publish.shapes import Postmortem, milestones
from bot.retro.checks import wording_problems
from bot.retro.forms import FactorRow, FactorsForm
from bot.retro.shapes import Draft
from bot.timeline.shapes import Timeline
from bot.trackers.shapes import Filing, ItemTracker, RemoteState, TrackerKind
from bot.ui.declare import declare_modal
from bot.ui.header import header_blocks, header_text
from bot.ui.home import home_view
from bot.ui.reminder import reminder_message
from bot.ui.retro_steps import step_view
from bot.ui.stats import stats_message
from bot.ui.summary import summary_blocks, summary_text
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

TEAM = "T0ACME001"
SIGNING_KEY = "docs-sample-signing-secret"  # seals the declare modal's metadata
AMARA, LIN, SAM, PRIYA = "U0AMARA01", "U0LINCHEN", "U0SAMKELL", "U0PRIYARA"
INCIDENT_CHANNEL, POSTMORTEM_CHANNEL, SEARCH_CHANNEL = "C0INC0007", "C0POSTMTS", "C0INC0009"
WEBHOOK_CHANNEL = "C0INC0005"
# What the pictures show for ids (Slack shows names; these are not part of the Block Kit).
NAMES = {AMARA: "Amara Osei", LIN: "Lin Chen", SAM: "Sam Keller", PRIYA: "Priya Raman"}
CHANNELS = {
    INCIDENT_CHANNEL: "inc-2026-11-23-checkout-errors",
    POSTMORTEM_CHANNEL: "postmortems",
    SEARCH_CHANNEL: "inc-2026-11-27-search-latency",
    WEBHOOK_CHANNEL: "inc-2026-11-16-payment-webhooks",
}
DOCUMENT_LINK = "https://acme.slack.com/docs/T0ACME001/F0CANVAS07"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def incident(**changes: Any) -> Incident:
    """INC-7 as it stands once resolved; `changes` move it along (status, postmortem state)."""
    fields: dict[str, Any] = {
        "id": 7,
        "team_id": TEAM,
        "number": 7,
        "title": "Checkout errors after deploy",
        "summary": "Checkout returns 502 for about one request in five since the 14:00 deploy "
        "of checkout 4.2. Card payments fail; PayPal works.",
        "severity": Severity.SEV2,
        "status": IncidentStatus.RESOLVED,
        "postmortem_state": PostmortemState.NONE,
        "channel_id": INCIDENT_CHANNEL,
        "header_ts": "1795442580.000100",
        "declared_by": AMARA,
        "commander_id": AMARA,
        "facilitator_id": LIN,
        "services": ["checkout", "payments-api"],
        "started_at": at(23, 14, 2),
        "detected_at": at(23, 14, 6),
        "mitigated_at": at(23, 14, 31),
        "resolved_at": at(23, 15, 10),
    }
    return Incident(**{**fields, **changes})


def retrospective(**changes: Any) -> Retrospective:
    fields: dict[str, Any] = {
        "id": 3,
        "team_id": TEAM,
        "incident_id": 7,
        "summary": "Checkout 4.2 read a column that its database migration adds. The deploy "
        "went out before the migration ran, so card payments failed with 502 until the "
        "release was rolled back at 14:31.",
        "customer_impact": "About 1,900 card checkouts failed over 29 minutes (roughly one in "
        "five). PayPal checkouts were not affected. No payment was taken twice.",
        "duration": "68 minutes (14:02–15:10 UTC)",
        "detection": "The checkout 5xx alert fired at 14:06; support saw the first tickets "
        "at 14:09.",
        "went_well": "The rollback took four minutes once we decided on it.",
        "went_badly": "The alert named the load balancer, so we looked there first.",
        "got_lucky": "It happened on a Monday afternoon, not during the Black Friday peak.",
        "completed_steps": ["summary", "timeline", "factors", "lessons", "actions"],
        "version": 6,
        "last_edited_by": LIN,
        "last_edited_at": at(25, 15, 48),
        "published_at": None,
        "published_by": None,
    }
    return Retrospective(**{**fields, **changes})


def factors() -> list[ContributingFactor]:
    return [
        ContributingFactor(
            id=11,
            team_id=TEAM,
            retrospective_id=3,
            position=0,
            category=FactorCategory.PROCESS,
            description="The deploy pipeline runs migrations as a separate, manual step, so a "
            "release can reach production before the schema it needs.",
            whys=[
                "Migrations were split out of the pipeline after a slow one blocked deploys.",
                "Nothing checks that a release's migrations have run before it starts.",
            ],
        ),
        ContributingFactor(
            id=12,
            team_id=TEAM,
            retrospective_id=3,
            position=1,
            category=FactorCategory.MONITORING_GAP,
            description="The 5xx alert points at the load balancer, not at the service that "
            "returns the errors.",
            whys=["The alert predates the move of checkout behind its own service."],
        ),
    ]


def item(item_id: int, title: str, **changes: Any) -> ActionItem:
    fields: dict[str, Any] = {
        "id": item_id,
        "team_id": TEAM,
        "incident_id": 7,
        "title": title,
        "owner_id": SAM,
        "due_date": date(2026, 12, 3),
        "priority": Priority.MEDIUM,
        "kind": ActionKind.PREVENT,
        "status": ActionStatus.OPEN,
        "created_by": LIN,
        "snoozed_until": None,
        "closed_by": None,
        "wont_do_reason": None,
    }
    return ActionItem(**{**fields, **changes})


# The team files its action items in GitHub Issues: the first is filed, the others not yet.
ISSUE_URL = "https://github.com/acme/checkout/issues/418"


def issues(*items: ActionItem) -> dict[int, ItemTracker]:
    """How these items stand in GitHub: filed when they have a key, else the Create button."""
    return {
        entry.id: ItemTracker(
            TrackerKind.GITHUB,
            Filing.FILED if entry.tracker_key else Filing.NONE,
            key=entry.tracker_key,
            url=entry.tracker_url,
            state=RemoteState.OPEN if entry.tracker_key else None,
        )
        for entry in items
    }


def action_items() -> list[ActionItem]:
    return [
        item(
            21,
            "Run pending migrations in the deploy pipeline, before the release starts",
            due_date=date(2026, 11, 30),
            priority=Priority.HIGH,
            tracker_kind="github",
            tracker_key="acme/checkout#418",
            tracker_url=ISSUE_URL,
            tracker_state="open",
        ),
        item(22, "Alert on checkout's own 5xx rate above 2%", kind=ActionKind.DETECT),
        item(
            23,
            "Write the checkout rollback runbook",
            owner_id=PRIYA,
            due_date=date(2026, 12, 9),
            priority=Priority.LOW,
            kind=ActionKind.MITIGATE,
        ),
    ]


def chosen_events() -> dict[str, TimelineEvent | None]:
    """The detection, mitigation and resolution moments the retrospective picked."""
    moments = {
        "detection": (101, at(23, 14, 6), "[FIRING] checkout 5xx rate above 5% for 2 min"),
        "mitigation": (102, at(23, 14, 31), "Rollback to 4.1 done, errors dropping"),
        "resolution": (103, at(23, 15, 10), "Migration ran, 4.2 redeployed, all green"),
    }
    return {
        kind: TimelineEvent(
            id=event_id,
            team_id=TEAM,
            incident_id=7,
            source=EventSource.MESSAGE,
            channel_id=INCIDENT_CHANNEL,
            ts=f"{int(when.timestamp())}.000200",
            author_id=AMARA,
            text=text,
            files=[],
            occurred_at=when,
        )
        for kind, (event_id, when, text) in moments.items()
    }


def draft(inc: Incident) -> Draft:
    return Draft(
        incident=inc,
        retro=retrospective(),
        factors=factors(),
        items=action_items(),
        timeline=Timeline(incident=inc, entries=[], total=0, everything=False),
        chosen=chosen_events(),
    )


# ---- the surfaces ------------------------------------------------------------------------------


def declare() -> dict[str, Any]:
    """`/postmortem declare Checkout errors after deploy`, typed in #ops."""
    view = declare_modal(
        title="Checkout errors after deploy",
        declared_by=AMARA,
        channel_id="C0OPS0001",
        key=SIGNING_KEY,
    )
    return {"surface": "modal", "view": view.to_dict()}


def header() -> dict[str, Any]:
    """The pinned header in the incident channel, once resolved."""
    inc = incident()
    return {
        "surface": "message",
        "channel": INCIDENT_CHANNEL,
        "text": header_text(inc),
        "blocks": [block.to_dict() for block in header_blocks(inc)],
    }


def retro_wording() -> dict[str, Any]:
    """Step 3 (contributing factors) after Save, with a sentence that names a person as the
    cause: the answer to the submission carries the inline suggestion on that field."""
    inc = incident(postmortem_state=PostmortemState.DRAFT)
    form = FactorsForm(
        rows=[
            FactorRow(
                key="f11",
                category=FactorCategory.PROCESS.value,
                description="Sam forgot to run the database migration before the deploy.",
                whys=[
                    "Migrations are a separate, manual step after the deploy.",
                    "Nothing checks that a release's migrations have run before it starts.",
                ],
            )
        ]
    )
    view = step_view(draft(inc), "factors", form=form)
    errors = wording_problems(form, people=list(NAMES.values()))
    return {"surface": "modal", "view": view.to_dict(), "errors": errors}


def retro_review() -> dict[str, Any]:
    """Step 6, the review: the draft read back (each item not filed yet with its Create GitHub
    issue button, the filed one with its link), with Publish."""
    inc = incident(postmortem_state=PostmortemState.IN_REVIEW)
    shown = draft(inc)
    shown.trackers = issues(*shown.items)
    return {"surface": "modal", "view": step_view(shown, "review").to_dict()}


def published_summary() -> dict[str, Any]:
    """The summary Publish posts to the incident channel and to POSTMORTEM_CHANNEL."""
    inc = incident(status=IncidentStatus.CLOSED, postmortem_state=PostmortemState.PUBLISHED)
    pm = Postmortem(
        incident=inc,
        retro=retrospective(published_by=LIN, published_at=at(25, 16, 20)),
        factors=factors(),
        action_items=action_items(),
        events=[],
        milestones=milestones(inc, []),
        names=dict(NAMES),
    )
    blocks = summary_blocks(pm, document_link=DOCUMENT_LINK, document_kind="canvas")
    return {
        "surface": "message",
        "channel": POSTMORTEM_CHANNEL,
        "text": summary_text(pm),
        "blocks": [block.to_dict() for block in blocks],
    }


def owner_dm() -> dict[str, Any]:
    """Sam's reminder DM on the morning of Tue 1 Dec: one item past due, one due soon."""
    inc = incident(status=IncidentStatus.CLOSED, postmortem_state=PostmortemState.PUBLISHED)
    mine = [entry for entry in action_items() if entry.owner_id == SAM]
    text, blocks = reminder_message(
        recipient_id=SAM,
        entries=[(entry, inc) for entry in mine],
        today=date(2026, 12, 1),
        now=at(1, 9, 0, month=12),
        hours=WorkingHours(tz="UTC"),
        trackers=issues(*mine),
    )
    return {"surface": "dm", "text": text, "blocks": blocks}


def app_home() -> dict[str, Any]:
    """Sam's Home tab the same morning, one item snoozed from the DM, and a postmortem the team
    still owes."""
    inc = incident(status=IncidentStatus.CLOSED, postmortem_state=PostmortemState.PUBLISHED)
    search = incident(
        id=9,
        number=9,
        title="Search results slow for EU users",
        severity=Severity.SEV3,
        status=IncidentStatus.MONITORING,
        channel_id=SEARCH_CHANNEL,
        declared_by=PRIYA,
        commander_id=PRIYA,
        facilitator_id=None,
        started_at=at(27, 8, 40),
        resolved_at=None,
    )
    # Resolved two weeks ago, its retrospective still a draft: a postmortem owed.
    webhooks = incident(
        id=5,
        number=5,
        title="Payment webhooks delayed",
        severity=Severity.SEV3,
        postmortem_state=PostmortemState.DRAFT,
        channel_id=WEBHOOK_CHANNEL,
        declared_by=PRIYA,
        commander_id=PRIYA,
        facilitator_id=LIN,
        started_at=at(16, 10, 5),
        resolved_at=at(16, 12, 40),
    )
    first, second, _ = action_items()
    snoozed = item(24, "Add a canary stage to the checkout deploy", snoozed_until=at(2, 9, 0, 12))
    now = at(1, 9, 5, month=12)
    home = Home(
        user_id=SAM,
        today=date(2026, 12, 1),
        now=now,
        items=[(first, inc), (second, inc), (snoozed, inc)],
        open_count=3,
        overdue_count=1,
        incidents=[
            Participation(incident=search, owns_items=False, wrote_in_timeline=True),
            Participation(incident=inc, owns_items=True, wrote_in_timeline=True),
        ],
        more_incidents=False,
        team=TeamCounts(open_incidents=1, unpublished_postmortems=1, overdue_items=2),
        stats=team_stats(now),
        owed=[webhooks],
        owed_count=1,
        trackers=issues(first, second, snoozed),
    )
    return {"surface": "home", "view": home_view(home).to_dict()}


def stats() -> dict[str, Any]:
    """What `/postmortem stats` posts in #postmortems that morning (the chart follows it)."""
    text, blocks = stats_message(team_stats(at(1, 9, 30, month=12)))
    return {"surface": "message", "channel": POSTMORTEM_CHANNEL, "text": text, "blocks": blocks}


def team_stats(now: datetime) -> TeamStats:
    """The team's last 90 days as bot/insights/stats_load.py would read them."""
    return TeamStats(
        days=90,
        now=now,
        by_severity={Severity.SEV1: 1, Severity.SEV2: 3, Severity.SEV3: 4, Severity.SEV4: 0},
        detect=Spread(7, timedelta(minutes=6), timedelta(minutes=24)),
        mitigate=Spread(7, timedelta(minutes=29), timedelta(hours=2, minutes=10)),
        resolve=Spread(7, timedelta(hours=1, minutes=8), timedelta(hours=6, minutes=40)),
        published=6,
        awaiting=[],
        not_needed=1,
        publish_lag=Spread(6, timedelta(days=2, hours=3), timedelta(days=6)),
        items={
            Priority.HIGH: ItemCounts(created=9, on_time=6, late=1, open=2, overdue=1),
            Priority.MEDIUM: ItemCounts(created=8, on_time=4, late=2, wont_do=1, open=1),
            Priority.LOW: ItemCounts(created=4, on_time=2, wont_do=1, open=1, overdue=1),
        },
        close_time=Spread(15, timedelta(days=4, hours=2), timedelta(days=12)),
        categories=[(FactorCategory.CODE_CHANGE, 4), (FactorCategory.MONITORING_GAP, 3)],
        repeats=[Repeat(FactorCategory.CODE_CHANGE, "checkout", 3)],
    )


SURFACES = {
    "declare-modal": declare,
    "pinned-header": header,
    "retro-wording-suggestion": retro_wording,
    "retro-review": retro_review,
    "published-summary": published_summary,
    "owner-dm": owner_dm,
    "app-home": app_home,
    "stats-message": stats,
}


def surfaces() -> dict[str, dict[str, Any]]:
    """Every pictured surface's Block Kit output, by the name of its picture."""
    return {name: build() for name, build in SURFACES.items()}


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, indent=1)


def digest(payload: dict[str, Any]) -> str:
    """The hash stored beside a picture: of the Block Kit JSON it was drawn from."""
    return hashlib.sha256(canonical(payload).encode()).hexdigest()
