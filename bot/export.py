"""An incident as a structured record: its fields, roles, times and the full timeline.

Runs without Slack (the CLI needs only DATABASE_URL): names come from the user cache, when it
has them. A deleted message keeps its place and time but never its text or files; an edited
one carries `edited_at`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import create_engine, create_sessionmaker
from bot.errors import NotFoundError, UserInputError
from bot.incidents import REF_PATTERN
from bot.timeline_query import (
    TimelineEntry,
    cached_names,
    kind_label,
    load_timeline,
    people_in,
)
from models import Incident, utcnow

FORMAT = "hindsight.incident/1"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


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


def _entry(entry: TimelineEntry, names: dict[str, str]) -> dict[str, Any]:
    event = entry.event
    author = _person(event.author_id, names)
    if author is not None and event.author_name:
        author["name"] = event.author_name
    return {
        "occurred_at": _time(event.occurred_at),
        "source": str(event.source),
        "channel_id": event.channel_id,
        "ts": event.ts,
        "thread_ts": event.thread_ts,
        "author": author,
        "text": None if entry.deleted else event.text,
        "files": [] if entry.deleted else list(event.files or []),
        "edited_at": _time(event.edited_at),
        "deleted": entry.deleted,
        "deleted_at": _time(event.deleted_at),
        "marked": bool(entry.marks),
        "kinds": list(entry.kinds),
        "marks": [
            {
                "kind": mark.kind,
                "marked_by": _person(mark.marked_by, names),
                "reaction": mark.reaction or None,
                "note": mark.note,
                "marked_at": _time(mark.created_at),
            }
            for mark in entry.marks
        ],
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


async def export_record(
    *, session: AsyncSession, incident: Incident, now: datetime | None = None
) -> dict[str, Any]:
    """The JSON-ready record of `incident` and its whole timeline, oldest event first."""
    timeline = await load_timeline(session=session, incident=incident, everything=True)
    roles = {incident.declared_by, incident.commander_id, incident.facilitator_id}
    wanted = people_in(timeline) | {user_id for user_id in roles if user_id}
    names = await cached_names(session=session, team_id=incident.team_id, user_ids=wanted)
    return {
        "format": FORMAT,
        "exported_at": _time(now or utcnow()),
        "incident": _incident(incident, names),
        "timeline": [_entry(entry, names) for entry in timeline.entries],
        "people": dict(sorted(names.items())),  # for <@U…> mentions in the texts
    }


def render_markdown(record: dict[str, Any]) -> str:
    """A plain Markdown timeline of an exported record (times in UTC). The full postmortem
    document arrives with the retrospective."""
    incident = record["incident"]
    lines = [f"# {incident['ref']}: {incident['title']}", ""]
    lines.append(f"- Severity: {incident['severity']}; status: {incident['status']}")
    for role, person in incident["roles"].items():
        if person is not None:
            lines.append(f"- {role.replace('_', ' ').capitalize()}: {_who(person)}")
    for name, moment in incident["times"].items():
        if moment is not None:
            lines.append(f"- {name.removesuffix('_at').capitalize()}: {_utc(moment)}")
    lines += ["", "## Timeline", ""]
    if not record["timeline"]:
        lines.append("Nothing was captured.")
    for event in record["timeline"]:
        kinds = "".join(f" **[{kind_label(kind)}]**" for kind in event["kinds"])
        author = _who(event["author"]) if event["author"] else "Hindsight"
        text = _readable(event["text"] or "", record["people"])
        text = "_(deleted)_" if event["deleted"] else text
        edited = " _(edited)_" if event["edited_at"] and not event["deleted"] else ""
        lines.append(f"- {_utc(event['occurred_at'])} **{author}**{kinds}: {text}{edited}")
        for mark in event["marks"]:
            if mark["note"]:
                lines.append(f"  - Note from {_who(mark['marked_by'])}: {mark['note']}")
    return "\n".join(lines) + "\n"


def _readable(text: str, people: dict[str, str]) -> str:
    """Slack markup made plain: `<@U1>` → @name, `<https://x|label>` → label (https://x)."""

    def mention(match: re.Match[str]) -> str:
        return "@" + (people.get(match.group(1)) or match.group(2) or match.group(1))

    def link(match: re.Match[str]) -> str:
        return f"{match.group(2)} ({match.group(1)})" if match.group(2) else match.group(1)

    text = MENTION.sub(mention, " ".join(text.split()))
    text = LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _who(person: dict[str, str | None]) -> str:
    return person["name"] or person["id"] or "someone"


def _utc(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


async def export_text(database_url: str, *, ref: str, fmt: str, team_id: str | None) -> str:
    """`hindsight export`: the incident as JSON or Markdown, read straight from the database."""
    _require_sqlite_file(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(lambda c: inspect(c).has_table("incidents"))
        if not migrated:
            raise NotFoundError("The database has no Hindsight tables; run `hindsight migrate`.")
        async with create_sessionmaker(engine)() as session:
            incident = await find_for_export(session=session, ref=ref, team_id=team_id)
            record = await export_record(session=session, incident=incident)
    finally:
        await engine.dispose()
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False)
    return render_markdown(record).rstrip("\n")


def _require_sqlite_file(database_url: str) -> None:
    """Connecting would create an empty SQLite file; say there is no database instead."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise NotFoundError(f"No Hindsight database at {url.database}; set DATABASE_URL.")
