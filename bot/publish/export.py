"""An incident as a structured record: its fields, roles, times, retrospective, action items,
time to detect / mitigate / resolve, and the full timeline; or as the Markdown document.

Runs without Slack (the CLI needs only DATABASE_URL): names come from the user cache, when it
has them. A deleted message keeps its place and time but never its text or files; an edited
one carries `edited_at`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import create_engine, create_sessionmaker
from bot.errors import NotFoundError, UserInputError
from bot.incidents.lifecycle import REF_PATTERN
from bot.publish.document import load_postmortem
from bot.publish.render import category_label, render_markdown
from bot.publish.shapes import Event, Mark, Milestone, Postmortem, duration_text
from models import ActionItem, Incident, PostmortemState, Retrospective

FORMAT = "hindsight.incident/1"
ENCODER = json.JSONEncoder(ensure_ascii=False)  # one, not one per timeline event


class AmbiguousTeamError(UserInputError):
    """Raised when `--all` is asked of a database holding several workspaces."""

    def __init__(self, teams: list[str]) -> None:
        super().__init__(
            f"The database holds several workspaces ({', '.join(teams)}); choose one with --team."
        )
        self.teams = teams


class AmbiguousRefError(UserInputError):
    """Raised when a reference names incidents in more than one workspace."""

    def __init__(self, ref: str, teams: list[str]) -> None:
        super().__init__(
            f"{ref} exists in several workspaces ({', '.join(teams)}); choose one with --team."
        )
        self.teams = teams


async def find_for_export(*, session: AsyncSession, ref: str, team_id: str | None) -> Incident:
    """`INC-<n>` or a channel id, in `team_id`, or in the one workspace that has it."""
    match = REF_PATTERN.match(ref.strip())
    condition = (
        Incident.number == int(match.group(1)) if match else Incident.channel_id == ref.strip()
    )
    query = select(Incident).where(condition).order_by(Incident.team_id)
    if team_id is not None:
        query = query.where(Incident.team_id == team_id)
    found = list(await session.scalars(query))
    if not found:
        where = f" in workspace {team_id}" if team_id else ""
        raise NotFoundError(f"No incident {ref}{where}.")
    if len(found) > 1:
        raise AmbiguousRefError(ref, [incident.team_id for incident in found])
    return found[0]


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _person(user_id: str | None, names: dict[str, str]) -> dict[str, str | None] | None:
    if user_id is None:
        return None
    return {"id": user_id, "name": names.get(user_id)}


def _entry(event: Event, names: dict[str, str]) -> dict[str, Any]:
    """One timeline event (run 10,000 times for a long incident: kept lean)."""
    deleted = event.deleted_at is not None
    author = None
    if event.author_id is not None:
        author = {"id": event.author_id, "name": event.author_name or names.get(event.author_id)}
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "source": event.source.value,
        "channel_id": event.channel_id,
        "ts": event.ts,
        "thread_ts": event.thread_ts,
        "author": author,
        "text": None if deleted else event.text,
        "files": [] if deleted else event.files,
        "edited_at": None if event.edited_at is None else event.edited_at.isoformat(),
        "deleted": deleted,
        "deleted_at": None if event.deleted_at is None else event.deleted_at.isoformat(),
        "marked": bool(event.marks),
        "kinds": list(event.kinds) if event.marks else [],
        "marks": [_mark(mark, names) for mark in event.marks] if event.marks else [],
    }


def _mark(mark: Mark, names: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": mark.kind,
        "marked_by": _person(mark.marked_by, names),
        "reaction": mark.reaction or None,
        "note": mark.note,
        "marked_at": _time(mark.created_at),
    }


def _incident(incident: Incident, names: dict[str, str]) -> dict[str, Any]:
    return {
        "ref": incident.ref,
        "number": incident.number,
        "team_id": incident.team_id,
        "title": incident.title,
        "summary": incident.summary,
        "severity": str(incident.severity),
        "status": str(incident.status),
        "postmortem_state": str(incident.postmortem_state),
        "channel_id": incident.channel_id,
        "services": list(incident.services or []),
        "roles": {
            "declared_by": _person(incident.declared_by, names),
            "commander": _person(incident.commander_id, names),
            "facilitator": _person(incident.facilitator_id, names),
        },
        "times": {
            "started_at": _time(incident.started_at),
            "detected_at": _time(incident.detected_at),
            "mitigated_at": _time(incident.mitigated_at),
            "resolved_at": _time(incident.resolved_at),
            "declared_at": _time(incident.created_at),
            "updated_at": _time(incident.updated_at),
        },
    }


def _retrospective(pm: Postmortem) -> dict[str, Any] | None:
    retro, names = pm.retro, pm.names
    if retro is None:
        return None
    return {
        "summary": retro.summary,
        "customer_impact": retro.customer_impact,
        "duration": retro.duration,
        "detection": retro.detection,
        "went_well": retro.went_well,
        "went_badly": retro.went_badly,
        "got_lucky": retro.got_lucky,
        "contributing_factors": [
            {
                "position": factor.position,
                "category": str(factor.category) if factor.category else None,
                "category_label": category_label(factor.category),
                "description": factor.description,
                "whys": list(factor.whys or []),
            }
            for factor in pm.factors
        ],
        "completed_steps": list(retro.completed_steps or []),
        "version": retro.version,
        "last_edited_by": _person(retro.last_edited_by, names),
        "last_edited_at": _time(retro.last_edited_at),
        "published_by": _person(retro.published_by, names),
        "published_at": _time(retro.published_at),
    }


def _action_item(item: ActionItem, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "owner": _person(item.owner_id, names),
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "priority": str(item.priority),
        "kind": str(item.kind),
        "status": str(item.status),
        "wont_do_reason": item.wont_do_reason,
        "external_link": item.external_link,
        "created_by": _person(item.created_by, names),
        "created_at": _time(item.created_at),
        "closed_at": _time(item.closed_at),
        "closed_by": _person(item.closed_by, names),
        "tracker": _tracker(item),
    }


def _tracker(item: ActionItem) -> dict[str, str | None] | None:
    """The item's issue in GitHub or Jira, as last heard from the tracker; None if not filed."""
    if not item.tracker_key:
        return None
    return {
        "kind": item.tracker_kind,
        "key": item.tracker_key,
        "url": item.tracker_url,
        "state": item.tracker_state,
        "synced_at": _time(item.tracker_synced_at),
    }


def _time_to(milestone: Milestone) -> dict[str, Any]:
    span = milestone.since_start
    return {
        "kind": milestone.kind,
        "at": _time(milestone.at),
        "basis": milestone.basis,  # retrospective, marked or incident (see bot.publish.document)
        "seconds": int(span.total_seconds()) if span is not None else None,
        "text": duration_text(span),
    }


def postmortem_record(pm: Postmortem, *, now: datetime) -> dict[str, Any]:
    """The JSON-ready record: the incident, its retrospective, action items, response times and
    the loaded timeline (oldest event first); `now` is when it was exported."""
    names = pm.names
    return {
        "format": FORMAT,
        "exported_at": _time(now),
        "incident": _incident(pm.incident, names),
        "retrospective": _retrospective(pm),
        "action_items": [_action_item(item, names) for item in pm.action_items],
        "time_to": {m.verb: _time_to(m) for m in pm.milestones.values()},
        "timeline": [_entry(event, names) for event in pm.events],
        "people": dict(sorted(names.items())),  # for <@U…> mentions in the texts
    }


async def export_record(
    *, session: AsyncSession, incident: Incident, now: datetime
) -> dict[str, Any]:
    """The record of `incident` with its whole timeline, every event, marked or not."""
    pm = await load_postmortem(session=session, incident=incident, everything=True)
    return postmortem_record(pm, now=now)


async def export_markdown(*, session: AsyncSession, incident: Incident) -> str:
    """The postmortem document (bot.publish.render), timeline of the marked events."""
    return render_markdown(await load_postmortem(session=session, incident=incident))


def dump_record(record: dict[str, Any]) -> str:
    """The record as indented JSON, each timeline event on one line of its own: as readable,
    and the C encoder (which `indent` turns off) does the long part."""
    head = {key: [] if key == "timeline" else value for key, value in record.items()}
    text = json.dumps(head, indent=2, ensure_ascii=False)  # `"timeline": []` appears once
    events = ",\n".join("    " + ENCODER.encode(event) for event in record["timeline"])
    if not events:
        return text
    opening, _, rest = text.partition('\n  "timeline": []')
    return f'{opening}\n  "timeline": [\n{events}\n  ]{rest}'


async def export_text(
    database_url: str, *, ref: str, fmt: str, team_id: str | None, now: datetime
) -> str:
    """`hindsight export`: the incident as JSON or Markdown, read straight from the database;
    `now` (the CLI's clock) is when it was exported."""
    async with _database(database_url) as session:
        incident = await find_for_export(session=session, ref=ref, team_id=team_id)
        if fmt == "json":
            record = await export_record(session=session, incident=incident, now=now)
            return dump_record(record)
        return (await export_markdown(session=session, incident=incident)).rstrip("\n")


async def export_all(
    database_url: str,
    *,
    team_id: str | None,
    since: date | None,
    now: datetime,
    write: Callable[[str], object],
) -> int:
    """`hindsight export --all`: every published postmortem of the team as a JSON list of the
    records `hindsight export REF --format json` prints, oldest incident number first; `since`
    keeps those published on or after that day (UTC). Written record by record (`write`), so a
    large team is never held in memory whole. Returns how many were written."""
    async with _database(database_url) as session:
        team = await _team_for_all(session, team_id)
        query = (
            select(Incident.id)
            .join(Retrospective, Retrospective.incident_id == Incident.id)
            .where(
                Incident.team_id == team,
                Retrospective.team_id == team,
                Incident.postmortem_state == PostmortemState.PUBLISHED,
            )
            .order_by(Incident.number)
        )
        if since is not None:
            query = query.where(Retrospective.published_at >= datetime.combine(since, time(), UTC))
        ids = list(await session.scalars(query))
        write("[")
        for index, incident_id in enumerate(ids):
            incident = await session.get_one(Incident, incident_id)
            record = await export_record(session=session, incident=incident, now=now)
            write(("\n" if index == 0 else ",\n") + dump_record(record))
            session.expunge_all()  # one postmortem's rows at a time
        write("\n]" if ids else "]")
    return len(ids)


async def _team_for_all(session: AsyncSession, team_id: str | None) -> str | None:
    """`--team`, or the one workspace the database holds (None when it holds none)."""
    if team_id is not None:
        return team_id
    teams = list(await session.scalars(select(Incident.team_id).distinct().order_by("team_id")))
    if len(teams) > 1:
        raise AmbiguousTeamError(teams)
    return teams[0] if teams else None


@asynccontextmanager
async def _database(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on an existing, migrated Hindsight database (a plain error otherwise)."""
    _require_sqlite_file(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(lambda c: inspect(c).has_table("incidents"))
        if not migrated:
            raise NotFoundError("The database has no Hindsight tables; run `hindsight migrate`.")
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def _require_sqlite_file(database_url: str) -> None:
    """Connecting would create an empty SQLite file; say there is no database instead."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise NotFoundError(f"No Hindsight database at {url.database}; set DATABASE_URL.")
