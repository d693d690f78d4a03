"""Publishing a postmortem: the document attached once, a summary in two channels.

Targets, each independent (one failing never blocks the others):
- the full document (bot.publish.render's Markdown), as a canvas tabbed in the incident channel
  (canvases.create), or, when the workspace refuses canvases (any canvases.create error), as a
  Markdown file uploaded to the incident channel (files upload v2);
- the summary message (bot.ui.summary) in the incident channel (`announcement_ts`);
- the same summary in the postmortems channel when `POSTMORTEM_CHANNEL` is set
  (`summary_channel_id` / `summary_ts`).

The Slack client already retries rate limits and server errors. Whatever still fails is
reported to the person and left missing; pressing Publish again retries just what is missing:
summaries already posted are updated in place (chat.update), never posted twice, and the
document is attached again only when it is missing or the draft was edited after the last
publish (a new canvas or file: the old one stays as it was).

A crash must not double a post either. Just before each call a mark is committed
(`document_pending_at`, `announcement_pending_at`, `summary_pending_at`), and right after it
the result (`document_ref`, the ts) is committed with the mark cleared, each in a short
transaction of its own. A mark left without a result means "may have been posted": the next
Publish looks the post up around the mark's time (the summary by its message metadata in
conversations.history, the document by its title in files.list) and updates or keeps it.

The Slack side (posting, and finding a post again) is bot.publish.posting. Two presses on one
incident in one process wait for each other on the runtime's publish locks (bot.locks); a
press on another replica sees the marks and looks up what was posted, so only a post still in
flight at that moment can be missed.

Transactions: `publish` gets the session factory and opens one session, on which it commits
its own short transactions (each mark and result must be durable before the next Slack call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit
from bot.errors import HindsightError, NotFoundError, PermissionDeniedError
from bot.locks import KeyedLocks
from bot.publish.document import learn_missing_names, load_postmortem
from bot.publish.posting import (
    SUMMARY_EVENT,
    Document,
    Published,
    SummaryPost,
    attach,
    aware,
    find_document,
    find_summary,
    is_channel_id,
    post_summary,
    summary_metadata,
)
from bot.publish.shapes import Postmortem
from bot.retro.draft import can_edit, editors, load_draft
from bot.retro.shapes import Draft
from bot.ui.summary import summary_blocks, summary_text
from models import Incident, PostmortemState, Retrospective

__all__ = ["SUMMARY_EVENT", "Published", "Reviewed", "publish", "publish_from_review"]

PublishLocks = KeyedLocks[tuple[str, int]]  # (team_id, incident_id): one press at a time


@dataclass(frozen=True, slots=True)
class Reviewed:
    """A press of Publish on the review step: what went out (None when refused, with the
    reason), and the draft as it now is, for the step to show."""

    draft: Draft
    published: Published | None
    refusal: str | None = None


async def publish_from_review(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    locks: PublishLocks,
    team_id: str,
    incident_id: int,
    user_id: str,
    postmortem_channel: str | None,
    now: datetime,
) -> Reviewed:
    """Publish, one press per incident at a time; a refusal (a HindsightError) is returned
    with the draft rather than raised, as the review step shows it."""
    published, refusal = None, None
    try:
        async with locks.hold((team_id, incident_id)):
            published = await publish(
                sessions=sessions,
                client=client,
                team_id=team_id,
                incident_id=incident_id,
                user_id=user_id,
                postmortem_channel=postmortem_channel,
                now=now,
            )
    except HindsightError as error:
        refusal = error.message
    async with sessions() as session:
        draft = await load_draft(session=session, team_id=team_id, incident_id=incident_id)
    return Reviewed(draft, published, refusal)


def require_publisher(incident: Incident, user_id: str) -> None:
    if not can_edit(incident, user_id):
        who = ", ".join(f"<@{person}>" for person in editors(incident))
        raise PermissionDeniedError(
            f"Only the declarer, the facilitator and the commander ({who}) can publish the "
            f"postmortem of {incident.ref}; ask one of them. Nothing was published."
        )


async def publish(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    user_id: str,
    postmortem_channel: str | None,
    now: datetime,
) -> Published:
    """Publish (or republish) the incident's postmortem; commits when anything went out. Not
    locked: callers in one process serialize presses (publish_from_review does)."""
    async with sessions() as session:
        return await _publish(
            session, client, team_id, incident_id, user_id, postmortem_channel, now
        )


async def _publish(
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    user_id: str,
    postmortem_channel: str | None,
    now: datetime,
) -> Published:
    incident, retro, pm = await _prepare(session, client, team_id, incident_id, user_id, now)
    result = Published(ref=incident.ref)
    before = (retro.published_at, retro.published_by)
    attach_now = _needs_document(retro)
    if attach_now or retro.published_at is None:
        retro.published_at, retro.published_by = now, user_id
    incident.postmortem_state = PostmortemState.PUBLISHED
    document, attached = await _document(session, client, pm, retro, result, attach_now, now)
    post = _summary_post(pm, document)
    assert incident.channel_id is not None
    await _announce(session, client, retro, incident.channel_id, post, result, now)
    if postmortem_channel and postmortem_channel != incident.channel_id:
        await _summarize(session, client, retro, postmortem_channel, post, result, now)
    if not result.anything:
        return result
    if not attached and before[0] is not None:
        # Still "edited since": the next press attaches the new version again.
        retro.published_at, retro.published_by = before
    await _finish(session, incident, retro, result, user_id=user_id, now=now)
    return result


async def _prepare(
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    user_id: str,
    now: datetime,
) -> tuple[Incident, Retrospective, Postmortem]:
    """Everything read (and checked) in one transaction, committed, the rows detached: what
    the document and summary show ("published by") is then set in memory only, and every
    write after is an explicit UPDATE of the columns it means."""
    incident, retro = await _load(session, team_id, incident_id)
    require_publisher(incident, user_id)
    if incident.channel_id is None:
        raise NotFoundError(f"{incident.ref} has no channel to publish its postmortem in.")
    pm = await load_postmortem(session=session, incident=incident)
    await session.commit()  # the reads are done; from here each write is its own short commit
    session.expunge(incident)
    session.expunge(retro)
    # After the commit: the retro's row lock (PostgreSQL) is not held while Slack answers.
    await learn_missing_names(session=session, client=client, pm=pm, now=now)
    await session.commit()
    return incident, retro, pm


def _summary_post(pm: Postmortem, document: Document | None) -> SummaryPost:
    return SummaryPost(
        text=summary_text(pm),
        blocks=summary_blocks(
            pm,
            document_link=document.link if document else None,
            document_kind=document.kind if document else "canvas",
        ),
        metadata=summary_metadata(pm.incident),
    )


async def _finish(
    session: AsyncSession,
    incident: Incident,
    retro: Retrospective,
    result: Published,
    *,
    user_id: str,
    now: datetime,
) -> None:
    """Something went out: the retro's "published", the incident's state and the audit row."""
    await _record(session, retro, published_at=retro.published_at, published_by=retro.published_by)
    await session.execute(
        update(Incident)
        .where(Incident.team_id == incident.team_id, Incident.id == incident.id)
        .values(postmortem_state=PostmortemState.PUBLISHED)
    )
    audit.record(
        session,
        team_id=incident.team_id,
        incident_id=incident.id,
        actor_id=user_id,
        action="postmortem.publish",
        detail={
            "delivered": result.delivered,
            "failed": dict(result.failed),
            "document": retro.document_ref,
        },
        at=now,
    )
    await session.commit()


def _needs_document(retro: Retrospective) -> bool:
    """Missing, cut short by a crash, or the draft was edited after the last publish."""
    edited = retro.last_edited_at is not None and (
        retro.published_at is None or aware(retro.last_edited_at) > aware(retro.published_at)
    )
    return retro.document_ref is None or edited or retro.document_pending_at is not None


async def _record(session: AsyncSession, retro: Retrospective, **values: Any) -> None:
    """Write some of the retro's columns in one short transaction of their own (on SQLite the
    write lock is never held across a Slack call), and mirror them on the detached object."""
    await session.execute(
        update(Retrospective)
        .where(Retrospective.team_id == retro.team_id, Retrospective.id == retro.id)
        .values(**values)
    )
    await session.commit()
    for name, value in values.items():
        setattr(retro, name, value)


async def _document(
    session: AsyncSession,
    client: AsyncWebClient,
    pm: Postmortem,
    retro: Retrospective,
    result: Published,
    attach_now: bool,
    now: datetime,
) -> tuple[Document | None, bool]:
    """The document to link: attached now (or found, made by a press cut short), else the one
    attached before; and whether this press attached it."""
    document = Document.parse(retro.document_ref)
    if not attach_now:
        return document, False
    pending = retro.document_pending_at
    found = None if pending is None else await find_document(client, pm, since=pending)
    if found is not None:
        result.delivered.append(found.label(pm.incident.channel_id))
    else:
        await _record(session, retro, document_pending_at=now)
        found = await attach(client, pm, result)
    if found is None:
        await _record(session, retro, document_pending_at=None)
        return document, False
    # Recorded with "published at" so a crash before the summaries doesn't attach it again.
    await _record(
        session,
        retro,
        document_pending_at=None,
        document_ref=found.ref,
        published_at=retro.published_at,
        published_by=retro.published_by,
    )
    return found, True


async def _announce(
    session: AsyncSession,
    client: AsyncWebClient,
    retro: Retrospective,
    channel: str,
    post: SummaryPost,
    result: Published,
    now: datetime,
) -> None:
    """The summary in the incident channel."""
    ts = retro.announcement_ts
    if retro.announcement_pending_at is not None:
        ts = await find_summary(client, channel, post, since=retro.announcement_pending_at) or ts
    await _record(session, retro, announcement_pending_at=now)
    _, posted = await post_summary(client, channel, ts, post, result)
    await _record(session, retro, announcement_pending_at=None, announcement_ts=posted)


async def _summarize(
    session: AsyncSession,
    client: AsyncWebClient,
    retro: Retrospective,
    postmortem_channel: str,
    post: SummaryPost,
    result: Published,
    now: datetime,
) -> None:
    """The summary in the postmortems channel (a new post when the setting moved channels)."""
    moved = retro.summary_channel_id is not None and (
        is_channel_id(postmortem_channel) and postmortem_channel != retro.summary_channel_id
    )
    ts = None if moved else retro.summary_ts
    where = (retro.summary_channel_id if ts else postmortem_channel) or postmortem_channel
    if retro.summary_pending_at is not None and is_channel_id(where):
        ts = await find_summary(client, where, post, since=retro.summary_pending_at) or ts
    await _record(session, retro, summary_pending_at=now)
    channel, posted = await post_summary(client, where, ts, post, result)
    values: dict[str, Any] = {"summary_pending_at": None}
    if posted is not None:
        values |= {"summary_channel_id": channel, "summary_ts": posted}
    await _record(session, retro, **values)


async def _load(
    session: AsyncSession, team_id: str, incident_id: int
) -> tuple[Incident, Retrospective]:
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    retro = None
    if incident is not None:
        # Locked (PostgreSQL) while it is read, so a press never reads a half-recorded publish.
        retro = await session.scalar(
            select(Retrospective)
            .where(Retrospective.team_id == team_id, Retrospective.incident_id == incident.id)
            .with_for_update()
        )
    if incident is None or retro is None:
        raise NotFoundError("There is no retrospective to publish; run `/postmortem retro`.")
    return incident, retro
