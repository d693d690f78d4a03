"""Checking a retrospective step before it is saved: every problem by the block to show it on."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserInputError
from bot.ids import Retro
from bot.incidents.lifecycle import require_person
from bot.retro.forms import (
    MAX_DURATION,
    MAX_FACTORS,
    MAX_ITEM_TITLE,
    MAX_ITEMS,
    MAX_TEXT,
    MAX_WHYS,
    ActionsForm,
    FactorsForm,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
    row_block,
)
from bot.retro.shapes import Draft, event_ids
from bot.retro.wording import Finding, check_wording, needs_deeper_analysis
from models import ActionKind, FactorCategory, Priority, SlackUser

CHECK_SECONDS = 2.0  # owners are confirmed (users.info) before the ack Slack wants in 3 s


async def check_step(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    draft: Draft,
    form: StepForm,
    now: datetime,
) -> dict[str, str]:
    """Problems with a submitted step, by block id; empty when it can be saved. Blameless
    wording is checked too, unless the step's "keep my wording" box is ticked."""
    if isinstance(form, SummaryForm):
        problems = check_summary(form)
    elif isinstance(form, TimelineForm):
        return check_timeline(form, draft)
    elif isinstance(form, FactorsForm):
        problems = check_factors(form)
    elif isinstance(form, LessonsForm):
        problems = _texts(
            {
                Retro.WENT_WELL: form.went_well,
                Retro.WENT_BADLY: form.went_badly,
                Retro.GOT_LUCKY: form.got_lucky,
            }
        )
    else:
        problems = await check_actions(session, client, draft, form, now)
    if not form.keep_wording:
        people = await known_names(session=session, team_id=draft.incident.team_id)
        for block_id, message in wording_problems(form, people=people).items():
            problems.setdefault(block_id, message)
    return problems


async def known_names(*, session: AsyncSession, team_id: str) -> list[str]:
    """The names the wording check treats as persons, from this workspace's user cache (its
    roster): each person's display name, real name, their first words ("Derek" of "Derek
    Olsen") and the handle. Bots are left out; people who have left are kept, as a postmortem
    can still name them."""
    rows = await session.execute(
        select(SlackUser.name, SlackUser.real_name, SlackUser.display_name).where(
            SlackUser.team_id == team_id, SlackUser.is_bot.is_(False)
        )
    )
    names: set[str] = set()
    for handle, real_name, display_name in rows:
        names.update(name.strip() for name in (handle, real_name, display_name))
        names.update(first_name(name) for name in (real_name, display_name))
    names.discard("")
    return sorted(names)


# Words that open a display name without being anyone's first name ("Dr. Ada Lee", "The Ops").
NOT_FIRST_NAMES = frozenset({"the", "a", "an", "dr", "mr", "mrs", "ms", "mx", "prof", "sir"})


def first_name(name: str) -> str:
    """The first word of a multi-word name, without the punctuation around it; "" when the
    name is one word (it is given whole), an initial, or a title."""
    words = name.split()
    if len(words) < 2:
        return ""
    first = words[0].strip(".,;:!?()[]{}\"'“”‘’")
    return "" if len(first) < 2 or first.casefold() in NOT_FIRST_NAMES else first


def free_texts(form: StepForm) -> dict[str, str]:
    """The step's free-text answers by the block they are typed in."""
    if isinstance(form, SummaryForm):
        return {
            Retro.SUMMARY: form.summary,
            Retro.IMPACT: form.impact,
            Retro.DETECTION: form.detection,
        }
    if isinstance(form, LessonsForm):
        return {
            Retro.WENT_WELL: form.went_well,
            Retro.WENT_BADLY: form.went_badly,
            Retro.GOT_LUCKY: form.got_lucky,
        }
    texts: dict[str, str] = {}
    if isinstance(form, FactorsForm):
        for row in form.rows:
            texts[row_block(Retro.FACTOR_DESCRIPTION, row.key)] = row.description
            texts[row_block(Retro.FACTOR_WHYS, row.key)] = "\n".join(row.whys)
    elif isinstance(form, ActionsForm):
        for row in form.rows:
            texts[row_block(Retro.ACTION_TITLE, row.key)] = row.title
    return texts


def wording_problems(form: StepForm, *, people: Collection[str]) -> dict[str, str]:
    """Blameless-wording nudges by block: blame words, people as causes, and a factor with a
    single why."""
    problems: dict[str, str] = {}
    for block_id, text in free_texts(form).items():
        findings = check_wording(text, people=people)
        if findings:
            problems[block_id] = nudge(findings[0])
    if isinstance(form, FactorsForm):
        for row in form.rows:
            shallow = None if row.empty else needs_deeper_analysis(row.whys)
            if shallow is not None:
                problems.setdefault(row_block(Retro.FACTOR_WHYS, row.key), nudge(shallow))
    return problems


# Slack documents no length for a view error, but a long one buries the field it is under.
MAX_NUDGE = 1000
MAX_QUOTE = 80
KEEP_HINT = "(To keep your words as they are, tick “Keep my wording” below and save again.)"


def nudge(finding: Finding) -> str:
    """The inline error for a finding: the words found, the category in words, the systemic
    rewording, and how to keep the words anyway (nothing is ever blocked):
    `“Derek forgot to”: A person as the cause. <suggestion> (To keep your words …)`."""
    found = " ".join(finding.text.split())
    if len(found) > MAX_QUOTE:
        found = found[: MAX_QUOTE - 1].rstrip() + "…"
    quoted = f"“{found}”: " if found else ""
    label = finding.label.strip()
    label = label if label.endswith((".", "!", "?")) else f"{label}."
    head = f"{quoted}{label} "
    room = MAX_NUDGE - len(head) - len(KEEP_HINT) - 1  # the hint is never cut off
    suggestion = " ".join(finding.suggestion.split())
    if len(suggestion) > room:
        suggestion = suggestion[: room - 1].rstrip() + "…"
    return f"{head}{suggestion} {KEEP_HINT}" if suggestion else f"{head}{KEEP_HINT}"


def _texts(texts: dict[str, str], required: tuple[str, ...] = ()) -> dict[str, str]:
    problems: dict[str, str] = {}
    for block_id, text in texts.items():
        if block_id in required and not text.strip():
            problems[block_id] = "This one is needed; a sentence is enough."
        elif len(text) > MAX_TEXT:
            problems[block_id] = f"Keep it within {MAX_TEXT} characters ({len(text)} now)."
    return problems


def check_summary(form: SummaryForm) -> dict[str, str]:
    problems = _texts(
        {Retro.SUMMARY: form.summary, Retro.IMPACT: form.impact, Retro.DETECTION: form.detection},
        required=(Retro.SUMMARY, Retro.IMPACT),
    )
    if len(form.duration) > MAX_DURATION:
        problems[Retro.DURATION] = f"Keep the duration within {MAX_DURATION} characters."
    return problems


def check_timeline(form: TimelineForm, draft: Draft) -> dict[str, str]:
    known = event_ids(draft)
    blocks = {
        "detection": Retro.DETECTED_BY,
        "mitigation": Retro.MITIGATED_BY,
        "resolution": Retro.RESOLVED_BY,
    }
    return {
        blocks[kind]: "That event is not in this incident's timeline any more; pick another."
        for kind, event_id in form.chosen.items()
        if event_id is not None and event_id not in known
    }


def check_factors(form: FactorsForm) -> dict[str, str]:
    problems: dict[str, str] = {}
    rows = [row for row in form.rows if not row.empty]
    if not rows:
        first = form.rows[0].key if form.rows else "n1"
        problems[row_block(Retro.FACTOR_DESCRIPTION, first)] = (
            "Describe at least one contributing factor."
        )
    if len(rows) > MAX_FACTORS:
        problems[row_block(Retro.FACTOR_DESCRIPTION, rows[-1].key)] = (
            f"Keep to {MAX_FACTORS} factors; group related ones."
        )
    for row in form.rows:
        if row.empty:
            continue
        if row.category not in {c.value for c in FactorCategory}:
            problems[row_block(Retro.FACTOR_CATEGORY, row.key)] = "Pick a category."
        if not row.description.strip():
            problems[row_block(Retro.FACTOR_DESCRIPTION, row.key)] = (
                "Describe the factor: what in the system or the way we work made this possible?"
            )
        elif len(row.description) > MAX_TEXT:
            problems[row_block(Retro.FACTOR_DESCRIPTION, row.key)] = (
                f"Keep it within {MAX_TEXT} characters ({len(row.description)} now)."
            )
        whys = [why for why in row.whys if why.strip()]
        if len(whys) > MAX_WHYS:
            problems[row_block(Retro.FACTOR_WHYS, row.key)] = (
                f"Up to {MAX_WHYS} whys, one per line ({len(whys)} now)."
            )
        elif len("\n".join(row.whys)) > MAX_TEXT:
            problems[row_block(Retro.FACTOR_WHYS, row.key)] = (
                f"Keep the whys within {MAX_TEXT} characters."
            )
    return problems


async def check_actions(
    session: AsyncSession,
    client: AsyncWebClient,
    draft: Draft,
    form: ActionsForm,
    now: datetime,
) -> dict[str, str]:
    today = now.date()
    problems: dict[str, str] = {}
    known = {item.id: item for item in draft.items}
    owners: dict[str, list[str]] = {}  # each person is confirmed once, however many items
    rows = [row for row in form.rows if not row.empty]
    if len(rows) > MAX_ITEMS:
        problems[row_block(Retro.ACTION_TITLE, rows[-1].key)] = (
            f"Keep to {MAX_ITEMS} action items; the most important ones first."
        )
    for row in form.rows:
        title_block = row_block(Retro.ACTION_TITLE, row.key)
        if row.empty:
            if row.owner_id or row.due:
                problems[title_block] = "Give the action item a title (or remove the row)."
            continue
        if len(row.title) > MAX_ITEM_TITLE:
            problems[title_block] = f"Keep the title within {MAX_ITEM_TITLE} characters."
        if row.priority not in {p.value for p in Priority}:
            problems[title_block] = "Pick a priority."
        if row.kind not in {k.value for k in ActionKind}:
            problems[title_block] = "Pick a kind."
        saved = known.get(row.item_id) if row.item_id is not None else None
        due_block = row_block(Retro.ACTION_DUE, row.key)
        moved = saved is None or saved.due_date != row.due
        if row.due is not None and row.due < today and moved:
            problems[due_block] = "Pick a due date from today on."
        owner_block = row_block(Retro.ACTION_OWNER, row.key)
        if not row.owner_id:
            problems[owner_block] = "Pick who owns this item."
        else:
            owners.setdefault(row.owner_id, []).append(owner_block)
    await _check_owners(session, client, draft.incident.team_id, owners, problems, now)
    return problems


async def _check_owners(
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    owners: dict[str, list[str]],
    problems: dict[str, str],
    now: datetime,
) -> None:
    """Every owner a real, active person; all within one time budget (the ack waits on it)."""
    unchecked = dict(owners)
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            for user_id, blocks in owners.items():
                try:
                    await require_person(
                        session=session, client=client, team_id=team_id, user_id=user_id, now=now
                    )
                except UserInputError as error:
                    problems.update(dict.fromkeys(blocks, error.message))
                del unchecked[user_id]
    except TimeoutError:
        late = "Slack took too long to confirm this person; try again."
        for blocks in unchecked.values():
            problems.update(dict.fromkeys(blocks, late))
