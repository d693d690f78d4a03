"""What happens when a retrospective step is submitted, left with Back, or closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import retry_when_busy
from bot.retro.checks import check_step
from bot.retro.draft import (
    DraftChangedError,
    can_edit,
    load_draft,
    require_editor,
    save_step,
)
from bot.retro.forms import (
    MAX_DURATION,
    MAX_ITEM_TITLE,
    ActionsForm,
    FactorsForm,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
    step_of,
)
from bot.retro.shapes import Draft, event_ids, form_of


@dataclass(slots=True)
class Outcome:
    draft: Draft
    problems: dict[str, str] = field(default_factory=dict)
    conflict: bool = False  # someone saved since this view was opened; nothing was written


async def submit(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    incident_id: int,
    version: int,
    form: StepForm,
    first_field: str | None,
    now: datetime,
    save_key: str | None = None,
) -> Outcome:
    """Check and save a submitted step (marking it done); PermissionDenied-style refusals are
    raised as UserInputError on `first_field` so the view, and every word in it, stays open.
    A resubmission of a save already made (same `save_key`) is answered as that save was.
    Opens and commits its own session (again, when SQLite was busy: the save is idempotent)."""

    async def once() -> Outcome:
        async with sessions() as session:
            draft = await load_draft(session=session, team_id=team_id, incident_id=incident_id)
            require_editor(draft.incident, user_id, field=first_field)
            problems = await check_step(
                session=session, client=client, draft=draft, form=form, now=now
            )
            if problems:
                await session.commit()  # users.info answers are cached even when refused
                return Outcome(draft, problems)
            return await _save(
                session, draft, form, user_id, version, complete=True, now=now, save_key=save_key
            )

    return await retry_when_busy(once)


async def keep_typed(
    *,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    user_id: str,
    incident_id: int,
    version: int,
    form: StepForm,
    now: datetime,
    save_key: str | None = None,
) -> Outcome:
    """On close or Back: save what was typed, unchecked, so no word is lost; nothing happens
    when nothing changed or the person may not edit. Opens and commits its own session (again,
    when SQLite was busy: the save is idempotent)."""

    async def once() -> Outcome:
        async with sessions() as session:
            draft = await load_draft(session=session, team_id=team_id, incident_id=incident_id)
            unchanged = same_content(form, form_of(draft, step_of(form)))
            if not can_edit(draft.incident, user_id) or unchanged:
                return Outcome(draft)
            kept = keepable(form, draft=draft, today=now.date())
            return await _save(
                session, draft, kept, user_id, version, complete=False, now=now, save_key=save_key
            )

    return await retry_when_busy(once)


def save_key(view_id: str, step: str, version: int) -> str:
    """One save's identity: the view, its step and the version it was based on. Slack's retry
    of a submission (or a resubmit after a crash) carries all three unchanged."""
    return f"{view_id}:{step}:{version}"


async def _save(
    session: AsyncSession,
    draft: Draft,
    form: StepForm,
    user_id: str,
    version: int,
    *,
    complete: bool,
    now: datetime,
    save_key: str | None,
) -> Outcome:
    team_id, incident_id = draft.incident.team_id, draft.incident.id
    try:
        await save_step(
            session=session,
            draft=draft,
            form=form,
            user_id=user_id,
            expected_version=version,
            complete=complete,
            now=now,
            save_key=save_key,
        )
        await session.commit()
    except DraftChangedError:
        await session.rollback()
        fresh = await load_draft(session=session, team_id=team_id, incident_id=incident_id)
        # The draft moved on by this very save (its answer was lost): no conflict with oneself.
        already = save_key is not None and fresh.retro.last_save_key == save_key
        return Outcome(fresh, conflict=not already)
    return Outcome(draft)


def same_content(a: StepForm, b: StepForm) -> bool:
    """Whether two forms of one step say the same (row keys and the checkbox aside)."""
    return _content(a) == _content(b)


def _content(form: StepForm) -> object:
    if isinstance(form, SummaryForm):
        return (form.summary, form.impact, form.duration, form.detection)
    if isinstance(form, LessonsForm):
        return (form.went_well, form.went_badly, form.got_lucky)
    if isinstance(form, TimelineForm):
        return {k: v for k, v in form.chosen.items() if v is not None}
    if isinstance(form, FactorsForm):
        return [(r.category, r.description, r.whys) for r in form.rows if not r.empty]
    assert isinstance(form, ActionsForm)
    rows = [(r.title, r.owner_id, r.due, r.priority, r.kind) for r in form.rows if not r.empty]
    return (rows, form.removed)


def typed_text(form: StepForm) -> str:
    """What someone typed in a step, as plain text, for when it couldn't be saved."""
    if isinstance(form, SummaryForm):
        parts = [
            ("What happened", form.summary),
            ("Customer impact", form.impact),
            ("Duration", form.duration),
            ("How it was detected", form.detection),
        ]
    elif isinstance(form, LessonsForm):
        parts = [
            ("Went well", form.went_well),
            ("Went badly", form.went_badly),
            ("Got lucky", form.got_lucky),
        ]
    elif isinstance(form, FactorsForm):
        parts = [
            (
                f"Factor {i} ({r.category or 'no category'})",
                "\n".join([r.description, *(f"Why? {w}" for w in r.whys)]),
            )
            for i, r in enumerate(form.rows, start=1)
            if not r.empty
        ]
    elif isinstance(form, ActionsForm):
        parts = [
            (f"Action item {i}", f"{r.title} (owner {r.owner_id or '-'}, due {r.due or '-'})")
            for i, r in enumerate(form.rows, start=1)
            if not r.empty
        ]
    else:
        parts = []
    return "\n\n".join(f"{label}:\n{text}" for label, text in parts if text)


# ---- what of a form can be kept -----------------------------------------------------------------


def keepable(form: StepForm, *, draft: Draft, today: date) -> StepForm:
    """What of an unchecked form can be saved on close or Back: every word typed; picks that
    cannot stand (a new item due in the past, an event not in this incident) are left out."""
    if isinstance(form, TimelineForm):
        ids = event_ids(draft)
        return TimelineForm(chosen={k: (v if v in ids else None) for k, v in form.chosen.items()})
    if isinstance(form, SummaryForm):
        form.duration = form.duration[:MAX_DURATION]
    if isinstance(form, ActionsForm):
        known = {item.id for item in draft.items}
        for row in form.rows:
            row.title = row.title[:MAX_ITEM_TITLE]
            if row.due is not None and row.due < today and row.item_id not in known:
                row.due = None
    return form
