"""The retrospective's draft: loaded or started, checked, and saved one step at a time.

Several people may work on one retro. Each step view carries the draft's `version`; a save
bumps it with a compare-and-set (`UPDATE … WHERE version = <the one they opened>`), so a second
editor saving the same draft is told instead of silently overwriting the first. The declarer,
the facilitator and the commander may edit; everyone may read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import HindsightError, NotFoundError, UserInputError
from bot.followup import notices as owner_notice
from bot.incidents.lifecycle import require_by_channel
from bot.publish.shapes import RETRO_PICK
from bot.retro.forms import (
    EDITABLE_STEPS,
    STEPS,
    TIMELINE_KINDS,
    ActionsForm,
    FactorsForm,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
    step_of,
)
from bot.retro.shapes import Draft
from bot.timeline.query import load_timeline
from models import (
    ActionItem,
    ActionKind,
    ContributingFactor,
    FactorCategory,
    Incident,
    PostmortemState,
    Priority,
    Retrospective,
    TimelineEvent,
    TimelineMark,
)

SETTLE_GRACE = timedelta(minutes=10)  # see _save_actions
TIMELINE_CHOICES = 97  # marked events offered in each select (Slack allows 100 options)
INCIDENT_TIMES = {
    "detection": "detected_at",
    "mitigation": "mitigated_at",
    "resolution": "resolved_at",
}


class DraftChangedError(HindsightError):
    """Raised when a step is saved over a draft someone else saved since it was opened."""


# ---- loading ----------------------------------------------------------------------------------


async def open_draft(*, session: AsyncSession, team_id: str, channel_id: str) -> Draft:
    """The draft of the incident of this channel, started if there is none yet (commit after)."""
    incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    retro = await _retro_of(session, incident)
    if retro is None:
        try:
            async with session.begin_nested():
                session.add(
                    Retrospective(
                        team_id=team_id, incident_id=incident.id, summary=incident.summary
                    )
                )
        except IntegrityError:
            pass  # someone else started it at the same moment; theirs is the one
    return await load_draft(session=session, team_id=team_id, incident_id=incident.id)


async def load_draft(*, session: AsyncSession, team_id: str, incident_id: int) -> Draft:
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    retro = None if incident is None else await _retro_of(session, incident)
    if incident is None or retro is None:
        raise NotFoundError("This retrospective no longer exists.")
    factors = await session.scalars(
        select(ContributingFactor)
        .where(
            ContributingFactor.team_id == team_id, ContributingFactor.retrospective_id == retro.id
        )
        .order_by(ContributingFactor.position, ContributingFactor.id)
    )
    items = await session.scalars(
        select(ActionItem)
        .where(ActionItem.team_id == team_id, ActionItem.incident_id == incident.id)
        .order_by(ActionItem.id)
    )
    timeline = await load_timeline(
        session=session, incident=incident, everything=False, limit=TIMELINE_CHOICES
    )
    return Draft(
        incident=incident,
        retro=retro,
        factors=list(factors),
        items=list(items),
        timeline=timeline,
        chosen=await _chosen_events(session, incident),
    )


async def _retro_of(session: AsyncSession, incident: Incident) -> Retrospective | None:
    return await session.scalar(
        select(Retrospective)
        .where(Retrospective.team_id == incident.team_id, Retrospective.incident_id == incident.id)
        .execution_options(populate_existing=True)
    )


def _retro_reaction(kind: str) -> str:
    return f"{RETRO_PICK}{kind}"


async def _chosen_events(
    session: AsyncSession, incident: Incident
) -> dict[str, TimelineEvent | None]:
    """Per kind, the event the retro picked, else the earliest event marked with that kind."""
    chosen: dict[str, TimelineEvent | None] = {}
    for kind in TIMELINE_KINDS:
        base = (
            select(TimelineEvent)
            .join(TimelineMark, TimelineMark.event_id == TimelineEvent.id)
            .where(
                TimelineEvent.team_id == incident.team_id,
                TimelineEvent.incident_id == incident.id,
                TimelineMark.kind == kind,
            )
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
            .limit(1)
        )
        picked = await session.scalar(base.where(TimelineMark.reaction == _retro_reaction(kind)))
        chosen[kind] = picked or await session.scalar(base)
    return chosen


# ---- who, where and how long -------------------------------------------------------------------


def editors(incident: Incident) -> list[str]:
    people = [incident.declared_by, incident.facilitator_id, incident.commander_id]
    return list(dict.fromkeys(p for p in people if p))


def can_edit(incident: Incident, user_id: str) -> bool:
    return user_id in editors(incident)


def require_editor(incident: Incident, user_id: str, *, field: str | None) -> None:
    if not can_edit(incident, user_id):
        who = ", ".join(f"<@{p}>" for p in editors(incident))
        raise UserInputError(
            f"Only the declarer, the facilitator and the commander ({who}) can edit this "
            "retrospective; ask one of them to give you a role. Nothing was saved.",
            field=field,
        )


def first_unfinished(retro: Retrospective) -> str:
    done = set(retro.completed_steps or [])
    return next((step for step in EDITABLE_STEPS if step not in done), "review")


def next_step(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def previous_step(step: str) -> str:
    return STEPS[max(STEPS.index(step) - 1, 0)]


# ---- saving ------------------------------------------------------------------------------------


async def save_step(
    *,
    session: AsyncSession,
    draft: Draft,
    form: StepForm,
    user_id: str,
    expected_version: int,
    complete: bool,
    now: datetime,
    save_key: str | None = None,
) -> None:
    """Write one step's values and bump the version; DraftChangedError if it moved meanwhile.
    `complete` marks the step finished (a submit); a save on close or Back does not.
    `save_key` (see bot.retro.flow.save_key) is recorded so a resubmission can tell it was saved.
    Flushes; the caller commits."""
    await _bump_version(session, draft.retro, expected_version, user_id, now, save_key)
    await _write_step(session, draft, form, user_id, now)
    retro, step = draft.retro, step_of(form)
    if complete and step not in (retro.completed_steps or []):
        retro.completed_steps = [*(retro.completed_steps or []), step]
    if draft.incident.postmortem_state == PostmortemState.NONE:
        draft.incident.postmortem_state = PostmortemState.DRAFT
    await session.flush()


async def _bump_version(
    session: AsyncSession,
    retro: Retrospective,
    expected_version: int,
    user_id: str,
    now: datetime,
    save_key: str | None,
) -> None:
    """The compare-and-set: DraftChangedError when someone saved since `expected_version`."""
    bumped = await session.execute(
        update(Retrospective)
        .where(
            Retrospective.team_id == retro.team_id,
            Retrospective.id == retro.id,
            Retrospective.version == expected_version,
        )
        .values(
            version=expected_version + 1,
            last_edited_by=user_id,
            last_edited_at=now,
            last_save_key=save_key,
        )
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise DraftChangedError("The draft changed since you opened it.")
    retro.version, retro.last_edited_by, retro.last_edited_at = expected_version + 1, user_id, now
    retro.last_save_key = save_key


async def _write_step(
    session: AsyncSession, draft: Draft, form: StepForm, user_id: str, now: datetime
) -> None:
    retro = draft.retro
    if isinstance(form, SummaryForm):
        retro.summary, retro.customer_impact = form.summary, form.impact
        retro.duration, retro.detection = form.duration, form.detection
    elif isinstance(form, LessonsForm):
        retro.went_well, retro.went_badly = form.went_well, form.went_badly
        retro.got_lucky = form.got_lucky
    elif isinstance(form, TimelineForm):
        await _save_timeline(session, draft, form, user_id, now)
    elif isinstance(form, FactorsForm):
        await _save_factors(session, draft, form)
    else:
        await _save_actions(session, draft, form, user_id, now)


async def _save_timeline(
    session: AsyncSession, draft: Draft, form: TimelineForm, user_id: str, now: datetime
) -> None:
    incident = draft.incident
    ours = [_retro_reaction(kind) for kind in TIMELINE_KINDS if kind in form.chosen]
    events_of_incident = select(TimelineEvent.id).where(
        TimelineEvent.team_id == incident.team_id, TimelineEvent.incident_id == incident.id
    )
    await session.execute(
        delete(TimelineMark).where(
            TimelineMark.team_id == incident.team_id,
            TimelineMark.reaction.in_(ours),
            TimelineMark.event_id.in_(events_of_incident),
        )
    )
    for kind in (kind for kind in TIMELINE_KINDS if kind in form.chosen):
        event_id = form.chosen[kind]
        event = None if event_id is None else await _event(session, incident, event_id)
        draft.chosen[kind] = event
        if event is None:
            continue
        session.add(
            TimelineMark(
                team_id=incident.team_id,
                event_id=event.id,
                kind=kind,
                reaction=_retro_reaction(kind),
                marked_by=user_id,
                note="picked in the retrospective",
                created_at=now,
            )
        )
        setattr(incident, INCIDENT_TIMES[kind], event.occurred_at)


async def _event(session: AsyncSession, incident: Incident, event_id: int) -> TimelineEvent | None:
    return await session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.team_id == incident.team_id,
            TimelineEvent.incident_id == incident.id,
            TimelineEvent.id == event_id,
        )
    )


async def _save_factors(session: AsyncSession, draft: Draft, form: FactorsForm) -> None:
    rows = [row for row in form.rows if not row.empty]
    for position, row in enumerate(rows):
        if position < len(draft.factors):
            factor = draft.factors[position]
        else:
            factor = ContributingFactor(
                team_id=draft.retro.team_id, retrospective_id=draft.retro.id
            )
            session.add(factor)
            draft.factors.append(factor)
        factor.position = position
        factor.category = FactorCategory(row.category) if row.category else None
        factor.description = row.description
        factor.whys = [why for why in row.whys if why.strip()]
    for extra in draft.factors[len(rows) :]:
        await session.delete(extra)
    del draft.factors[len(rows) :]


async def _save_actions(
    session: AsyncSession, draft: Draft, form: ActionsForm, user_id: str, now: datetime
) -> None:
    existing = {item.id: item for item in draft.items}
    # A row saved before (by this view, resubmitted) finds the item it made by its key.
    made = {item.form_key: item.id for item in draft.items if item.form_key}
    kept: list[ActionItem] = []
    for row in form.rows:
        if row.empty:
            continue
        item_id = row.item_id if row.item_id in existing else made.get(row.key)
        item = existing.pop(item_id, None) if item_id is not None else None
        if item is None:
            item = ActionItem(
                team_id=draft.incident.team_id,
                incident_id=draft.incident.id,
                created_by=user_id,
                source_channel_id=draft.incident.channel_id,
                form_key=row.key,
            )
            session.add(item)
        new_owner = item.owner_id != row.owner_id and row.owner_id is not None
        if item.owner_id != row.owner_id:
            item.last_reminded_at = None  # a new owner: actions.settle_items tells and schedules
        if item.due_date != row.due:
            item.next_reminder_at = None  # rescheduled by actions.settle_items
        item.title, item.owner_id, item.due_date = row.title, row.owner_id, row.due
        item.priority, item.kind = Priority(row.priority), ActionKind(row.kind)
        if new_owner:
            # In this transaction, so a crash before settle_items still tells them (the sweep
            # sends due notices) and still reminds them (the sweep plans an item whose reminder
            # is due); the grace lets settle_items schedule it properly first.
            owner_notice.mark_due(item, actor_id=user_id, now=now)
            item.next_reminder_at = now + SETTLE_GRACE
        kept.append(item)
    for item_id in form.removed:
        if (removed := existing.pop(item_id, None)) is not None:
            await session.delete(removed)
    draft.items = kept + list(existing.values())
