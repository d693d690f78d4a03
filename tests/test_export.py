"""`hindsight export REF`: the incident and its whole timeline, from the database alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import NotFoundError
from bot.export import AmbiguousRefError, export_record, find_for_export
from models import EventSource
from tests.test_cli import base_env, run
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
START = datetime(2025, 11, 20, 22, 30, tzinfo=UTC)


async def seed_story(sessions: Sessions) -> None:
    """Team A's INC-1 in C0INC: a detection, an edit, a deletion, a manual and a system event;
    team B's own INC-1 in a channel with the same id."""
    await seed_cached_user(sessions, "U0ALICE", "alice", tz="Europe/Paris")
    await seed_cached_user(sessions, "U0BOB", "bob", tz="America/New_York")
    incident = await seed_incident(sessions, "C0INC", started_at=START - timedelta(hours=1))
    detect = await seed_message(sessions, incident, ts_of(START), "db-1 <@U0BOB> is down")
    await seed_mark(sessions, detect, "detection", marked_by="U0BOB", reaction="rotating_light")
    await seed_mark(sessions, detect, "key_event", marked_by="U0ALICE", reaction="", note="first")
    await seed_message(
        sessions,
        incident,
        ts_of(START + timedelta(minutes=5)),
        "failover started",
        author="U0BOB",
        edited_at=START + timedelta(minutes=6),
        files=[{"name": "graph.png", "title": "graph", "permalink": "https://x/files/graph.png"}],
    )
    gone = await seed_message(
        sessions,
        incident,
        ts_of(START + timedelta(minutes=7)),
        "",
        author="U0BOB",
        deleted_at=START + timedelta(minutes=8),
    )
    await seed_mark(sessions, gone, "key_event")
    await seed_message(
        sessions,
        incident,
        ts_of(START + timedelta(minutes=9)),
        "CRITICAL 5xx",
        author="B0ALERTS",
        author_name="PagerDuty",
    )
    await seed_event(sessions, incident, START - timedelta(minutes=30), "Deploy 4512 went out")
    await seed_event(
        sessions,
        incident,
        START + timedelta(minutes=10),
        "Status changed to monitoring by <@U0ALICE>",
        source=EventSource.SYSTEM,
    )
    other = await seed_incident(sessions, "C0INC", team_id=TEAM_B, title="B's outage")
    await seed_message(sessions, other, ts_of(START), "B-ONLY secret", author="U0CAROL")


async def record_of(sessions: Sessions, ref: str, team_id: str | None = TEAM_A) -> dict[str, Any]:
    async with sessions() as session:
        incident = await find_for_export(session=session, ref=ref, team_id=team_id)
        return await export_record(session=session, incident=incident)


async def test_the_record_holds_the_incident_its_roles_times_and_full_timeline(
    sessions: Sessions,
) -> None:
    await seed_story(sessions)
    record = await record_of(sessions, "INC-1")
    incident = record["incident"]
    assert record["format"] == "hindsight.incident/1"
    assert (incident["ref"], incident["title"], incident["severity"]) == (
        "INC-1",
        "Checkout errors",
        "SEV2",
    )
    assert incident["status"] == "investigating" and incident["channel_id"] == "C0INC"
    assert incident["services"] == ["checkout", "payments"]
    assert incident["roles"] == {
        "declared_by": {"id": "U0ALICE", "name": "alice"},
        "commander": {"id": "U0ALICE", "name": "alice"},
        "facilitator": None,
    }
    assert incident["times"]["started_at"] == "2025-11-20T21:30:00+00:00"
    assert incident["times"]["resolved_at"] is None
    timeline = record["timeline"]
    assert [event["source"] for event in timeline] == [
        "manual",
        "message",
        "message",
        "message",
        "message",
        "system",
    ]
    assert [event["occurred_at"] for event in timeline] == sorted(
        e["occurred_at"] for e in timeline
    )
    manual, detect, edited, deleted, alert, system = timeline
    assert manual["text"] == "Deploy 4512 went out" and manual["ts"] is None
    assert detect["author"] == {"id": "U0ALICE", "name": "alice"}
    assert detect["marked"] is True and detect["kinds"] == ["detection", "key_event"]
    assert detect["marks"][0] == {
        "kind": "detection",
        "marked_by": {"id": "U0BOB", "name": "bob"},
        "reaction": "rotating_light",
        "note": None,
        "marked_at": detect["marks"][0]["marked_at"],
    }
    assert detect["marks"][1]["note"] == "first" and detect["marks"][1]["reaction"] is None
    assert edited["text"] == "failover started"
    assert edited["edited_at"] == "2025-11-20T22:36:00+00:00"
    assert edited["files"][0]["name"] == "graph.png" and edited["marked"] is False
    assert deleted["text"] is None and deleted["files"] == [] and deleted["deleted"] is True
    assert deleted["deleted_at"] == "2025-11-20T22:38:00+00:00" and deleted["marked"] is True
    assert alert["author"] == {"id": "B0ALERTS", "name": "PagerDuty"}
    assert system["text"] == "Status changed to monitoring by <@U0ALICE>"
    assert record["people"] == {"U0ALICE": "alice", "U0BOB": "bob"}
    assert "B-ONLY" not in json.dumps(record)


async def test_refs_are_inc_numbers_or_channel_ids_within_a_team(sessions: Sessions) -> None:
    await seed_story(sessions)
    by_channel = await record_of(sessions, "C0INC")
    assert by_channel["incident"]["ref"] == "INC-1"
    assert (await record_of(sessions, "inc-1"))["incident"]["title"] == "Checkout errors"
    team_b = await record_of(sessions, "INC-1", TEAM_B)
    assert team_b["incident"]["title"] == "B's outage"
    assert [event["text"] for event in team_b["timeline"]] == ["B-ONLY secret"]
    assert "db-1" not in json.dumps(team_b) and team_b["people"] == {}
    with pytest.raises(AmbiguousRefError) as ambiguous:
        await record_of(sessions, "INC-1", None)
    assert ambiguous.value.teams == [TEAM_A, TEAM_B] and "--team" in ambiguous.value.message
    with pytest.raises(NotFoundError):
        await record_of(sessions, "INC-2")
    with pytest.raises(NotFoundError):
        await record_of(sessions, "INC-1", "T0NOBODY")


# ---- the command, as a person runs it ----------------------------------------------------------


def export(database_url: str, *args: str, cwd: Path) -> Any:
    return run(["export", *args], base_env() | {"DATABASE_URL": database_url}, cwd)


async def test_export_prints_json_and_needs_only_the_database(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_story(sessions)
    result = export(database_url, "INC-1", "--format", "json", "--team", TEAM_A, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["incident"]["ref"] == "INC-1" and len(record["timeline"]) == 6
    assert record["timeline"][3]["text"] is None  # deleted
    assert "B-ONLY" not in result.stdout
    only_b = export(database_url, "C0INC", "--format", "json", "--team", TEAM_B, cwd=tmp_path)
    assert json.loads(only_b.stdout)["incident"]["team_id"] == TEAM_B


async def test_export_refuses_unknown_and_ambiguous_refs_on_one_line(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_story(sessions)
    unknown = export(database_url, "INC-99", "--format", "json", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.strip() == "hindsight export: No incident INC-99."
    ambiguous = export(database_url, "INC-1", "--format", "json", cwd=tmp_path)
    assert ambiguous.returncode == 1 and ambiguous.stdout == ""
    assert len(ambiguous.stderr.strip().splitlines()) == 1 and "--team" in ambiguous.stderr


async def test_export_markdown_is_a_readable_timeline(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_story(sessions)
    result = export(database_url, "INC-1", "--team", TEAM_A, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# INC-1: Checkout errors" and "## Timeline" in lines
    assert (
        "- 2025-11-20 22:30:00 UTC **alice** **[Detection]** **[Key event]**: db-1 @bob is down"
        in lines
    )
    assert "- 2025-11-20 22:37:00 UTC **bob** **[Key event]**: _(deleted)_" in lines
    assert any(line.endswith("failover started _(edited)_") for line in lines)


def test_export_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = run(["export", "INC-1", "--format", "json"], base_env(), tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "No Hindsight database" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
