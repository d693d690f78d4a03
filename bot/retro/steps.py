"""The retrospective's steps as people work through them: the draft opened, a step saved, and
what follows a save: the action items settled before the answer (so the next view and a
publish see their due dates and schedules), their new owners told after it (a DM each, their
App Home redrawn: both wait on Slack).

Transactions: these functions get `sessions` and open and commit their own short ones, because
Slack calls (users.info, the DMs, views.publish) happen between the writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db import retry_when_busy
from bot.followup import items as followup_items
from bot.followup import notices as owner_notice
from bot.followup.home import refresh_home
from bot.insights.similar import SimilarIncident
from bot.insights.similar_load import similar_incidents
from bot.retro import draft as drafts
from bot.retro import flow
from bot.retro.forms import ActionsForm, StepForm, step_of
from bot.retro.shapes import Draft
from bot.trackers.config import active_tracker
from bot.trackers.shapes import TrackerKind
from bot.trackers.shown import tracker_views

Sessions = async_sessionmaker[AsyncSession]


async def open_draft(
    *, sessions: Sessions, team_id: str, channel_id: str, tracker: TrackerKind | None = None
) -> Draft:
    """The draft of this channel's incident, started (and committed) if there is none yet
    (`tracker`: the configured one, for the review's buttons)."""

    async def once() -> Draft:  # again when SQLite was busy: opening twice opens one draft
        async with sessions() as session:
            opened = await drafts.open_draft(
                session=session, team_id=team_id, channel_id=channel_id
            )
            await session.commit()
        return opened

    draft = await retry_when_busy(once)
    return await _shown_at(sessions, draft, drafts.first_unfinished(draft.retro), tracker)


async def load_draft(*, sessions: Sessions, team_id: str, incident_id: int) -> Draft:
    """The draft as it is now, to redraw a step with (which one is not said: loaded as for
    the contributing-factors step)."""
    async with sessions() as session:
        draft = await drafts.load_draft(session=session, team_id=team_id, incident_id=incident_id)
    return await _shown_at(sessions, draft, None)


async def load_review(
    *, sessions: Sessions, team_id: str, incident_id: int, tracker: TrackerKind | None
) -> Draft:
    """The draft as it is now, to redraw its review with (each item's tracker state loaded)."""
    async with sessions() as session:
        draft = await drafts.load_draft(session=session, team_id=team_id, incident_id=incident_id)
    return await _shown_at(sessions, draft, "review", tracker)


async def with_trackers(sessions: Sessions, draft: Draft, tracker: TrackerKind | None) -> Draft:
    """`draft` with each item's place in the tracker (`tracker`: the configured one), for the
    review's Create issue / Retry buttons and filing lines."""
    async with sessions() as session:
        draft.trackers = await tracker_views(
            session, team_id=draft.incident.team_id, items=draft.items, configured=tracker
        )
    return draft


async def similar_to(*, sessions: Sessions, draft: Draft) -> list[SimilarIncident]:
    """The team's earlier incidents that look like this draft's (see bot.insights.similar)."""
    async with sessions() as session:
        return await similar_incidents(session=session, incident=draft.incident)


async def _shown_at(
    sessions: Sessions, draft: Draft, step: str | None, tracker: TrackerKind | None = None
) -> Draft:
    """`draft` with its similar past incidents when it is about to be shown at the
    contributing-factors step (or at a step not known here); other steps don't list them.
    At the review, each item's place in the tracker."""
    if step in (None, "factors"):
        draft.similar = await similar_to(sessions=sessions, draft=draft)
    if step == "review":
        await with_trackers(sessions, draft, tracker)
    return draft


@dataclass(frozen=True, slots=True)
class StepSave:
    """Who saves which step of which draft, from the view they had open."""

    team_id: str
    user_id: str
    incident_id: int
    version: int  # the draft's version when the view was opened
    save_key: str  # flow.save_key: a resubmission of this very save is recognised
    now: datetime


@dataclass(slots=True)
class Saved:
    """What a save came to: the draft as it is now, the form's problems (nothing written),
    whether someone else saved first (nothing written), and the items whose owners to tell."""

    draft: Draft
    problems: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    settled: followup_items.Settled | None = None


async def submit_step(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    save: StepSave,
    form: StepForm,
    first_field: str | None,
    settings: Settings,
) -> Saved:
    """A submitted step checked and saved (flow.submit), then, after the action-items step,
    its items settled."""
    outcome = await flow.submit(
        sessions=sessions,
        client=client,
        team_id=save.team_id,
        user_id=save.user_id,
        incident_id=save.incident_id,
        version=save.version,
        form=form,
        first_field=first_field,
        now=save.now,
        save_key=save.save_key,
    )
    saved = Saved(outcome.draft, outcome.problems, outcome.conflict)
    if isinstance(form, ActionsForm) and not (saved.problems or saved.conflict):
        saved.settled = await _settle(sessions, client, saved.draft, save, settings)
    if not saved.problems:  # the next step is shown, or this one again after a conflict
        step = step_of(form)
        shown = step if saved.conflict else drafts.next_step(step)
        await _shown_at(sessions, saved.draft, shown, active_tracker(settings))
    return saved


async def keep_step(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    save: StepSave,
    form: StepForm | None,
    closing: bool,
    settings: Settings,
) -> Saved:
    """On Back or close: what was typed kept, unchecked (flow.keep_typed); `form` None when
    the view carried nothing to keep. Back settles the items after the action-items step
    only; closing settles them whatever the step, as it is the view's last word."""
    if form is None:
        async with sessions() as session:
            draft = await drafts.load_draft(
                session=session, team_id=save.team_id, incident_id=save.incident_id
            )
        outcome = flow.Outcome(draft)
    else:
        outcome = await flow.keep_typed(
            sessions=sessions,
            team_id=save.team_id,
            user_id=save.user_id,
            incident_id=save.incident_id,
            version=save.version,
            form=form,
            now=save.now,
            save_key=save.save_key,
        )
    saved = Saved(outcome.draft, conflict=outcome.conflict)
    if (closing or isinstance(form, ActionsForm)) and not saved.conflict:
        saved.settled = await _settle(sessions, client, saved.draft, save, settings)
    if form is not None and not closing:  # Back: the step before, or this one after a conflict
        step = step_of(form)
        shown = step if saved.conflict else drafts.previous_step(step)
        await _shown_at(sessions, saved.draft, shown, active_tracker(settings))
    return saved


async def _settle(
    sessions: Sessions, client: AsyncWebClient, draft: Draft, save: StepSave, settings: Settings
) -> followup_items.Settled | None:
    """After the action items were saved (before the answer, so the next view and a publish
    see them): due dates and reminder schedules. None when the draft has no action items."""
    if not draft.items:
        return None
    team_id = draft.incident.team_id
    async with sessions() as session:
        today = await followup_items.today_for(
            session=session, client=client, team_id=team_id, user_id=save.user_id, now=save.now
        )
        settled = await followup_items.settle_items(
            session=session,
            client=client,
            team_id=team_id,
            incident_id=draft.incident.id,
            actor_id=save.user_id,
            today=today,
            now=save.now,
            settings=settings,
        )
        await session.commit()
    due_dates = {item.id: item.due_date for item in settled.items}
    for item in draft.items:  # so the next view shows the defaults just given
        item.due_date = due_dates.get(item.id, item.due_date)
    return settled


async def tell_new_owners(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    saved: Saved,
    now: datetime,
    settings: Settings,
) -> None:
    """After the answer: a DM to each person just given an item (due since the save, so the
    sweep sends what fails here), and their App Home redrawn."""
    if saved.settled is None:
        return
    newly_owned = saved.settled.newly_owned
    for item in newly_owned:
        await owner_notice.send_now(
            sessions=sessions,
            client=client,
            item=item,
            now=now,
            tracker=active_tracker(settings),
        )
    async with sessions() as session:
        for owner_id in sorted({item.owner_id for item in newly_owned if item.owner_id}):
            await refresh_home(
                session=session,
                client=client,
                team_id=saved.settled.incident.team_id,
                user_id=owner_id,
                now=now,
                settings=settings,
            )
        await session.commit()
