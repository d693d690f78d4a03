"""A retrospective's draft as loaded, as plain values, and what is read off it without a query:
the response times its timeline step shows and the form each step opens with. Pure: bot/retro/
draft.py loads and saves it, bot/retro/flow.py checks it, the step views in bot/ui build from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.insights.similar import SimilarIncident
from bot.retro.forms import (
    ActionRow,
    ActionsForm,
    FactorRow,
    FactorsForm,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
)
from bot.timeline.shapes import Timeline
from bot.trackers.shapes import ItemTracker
from models import ActionItem, ContributingFactor, Incident, Retrospective, TimelineEvent


@dataclass(slots=True)
class Draft:
    incident: Incident
    retro: Retrospective
    factors: list[ContributingFactor]
    items: list[ActionItem]
    timeline: Timeline  # the marked events, the first TIMELINE_CHOICES of them
    chosen: dict[str, TimelineEvent | None] = field(default_factory=dict)  # kind → event
    # Loaded only for a draft shown at its contributing-factors step (bot.retro.steps).
    similar: list[SimilarIncident] = field(default_factory=list)
    # Each item's place in the tracker by item id, loaded only for a draft shown at its review
    # (bot.retro.steps): the review's Create issue / Retry buttons are drawn from it.
    trackers: dict[int, ItemTracker] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return self.retro.version


def time_to(draft: Draft, kind: str) -> timedelta | None:
    """From the incident's start to the chosen detection / mitigation / resolution event."""
    event = draft.chosen.get(kind)
    if event is None:
        return None
    return max(event.occurred_at - draft.incident.started_at, timedelta(0))


def event_ids(draft: Draft) -> set[int]:
    ids = {entry.event.id for entry in draft.timeline.entries}
    return ids | {event.id for event in draft.chosen.values() if event is not None}


def form_of(draft: Draft, step: str) -> StepForm:
    retro = draft.retro
    if step == "summary":
        return SummaryForm(
            summary=retro.summary,
            impact=retro.customer_impact,
            duration=retro.duration,
            detection=retro.detection,
        )
    if step == "timeline":
        return TimelineForm(
            chosen={k: (e.id if e is not None else None) for k, e in draft.chosen.items()}
        )
    if step == "factors":
        return FactorsForm(
            rows=[
                FactorRow(
                    key=f"f{factor.id}",
                    category=factor.category.value if factor.category else None,
                    description=factor.description,
                    whys=list(factor.whys or []),
                )
                for factor in draft.factors
            ]
        )
    if step == "lessons":
        return LessonsForm(
            went_well=retro.went_well, went_badly=retro.went_badly, got_lucky=retro.got_lucky
        )
    return ActionsForm(
        rows=[
            ActionRow(
                key=f"i{item.id}",
                title=item.title,
                owner_id=item.owner_id,
                due=item.due_date,
                priority=item.priority.value,
                kind=item.kind.value,
            )
            for item in draft.items
        ]
    )
