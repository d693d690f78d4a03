"""`hindsight export REF`: the incident and its whole timeline, from the database alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import NotFoundError
from bot.publish.document import load_postmortem
from bot.publish.export import AmbiguousRefError, dump_record, export_record, find_for_export
from bot.publish.render import render_markdown
from models import EventSource, utcnow
from tests.postmortem_seed import DELETED_TEXT, TEAM_B, seed_postmortem
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

TEAM_A = "T0TEAM1"
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
        return await export_record(session=session, incident=incident, now=utcnow())


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


async def test_export_markdown_prints_the_postmortem_document(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_story(sessions)
    result = export(database_url, "INC-1", "--team", TEAM_A, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# INC-1: Checkout errors" and "## Timeline" in lines
    assert (
        "- **2025-11-20 22:30 UTC** · Detection, Key event · **alice**: db-1 @bob is down" in lines
    )
    assert "  - Note from alice: first" in lines
    assert "- **2025-11-20 22:37 UTC** · Key event · **bob**: _(message deleted)_" in lines
    assert "- **2025-11-20 22:00 UTC** · Added by hand · **alice**: Deploy 4512 went out" in lines
    assert "failover started" not in result.stdout  # edited, but never marked
    assert "No action items yet." in lines and "B-ONLY" not in result.stdout


# ---- the full postmortem ----------------------------------------------------------------------


async def test_the_record_holds_the_retrospective_action_items_and_response_times(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    record = await record_of(sessions, "INC-7")
    incident = record["incident"]
    assert incident["roles"]["facilitator"] == {"id": "U0BOB", "name": "bob"}
    assert incident["postmortem_state"] == "draft" and incident["severity"] == "SEV1"
    retro = record["retrospective"]
    assert {key: retro[key] for key in ("summary", "customer_impact", "duration", "detection")} == {
        "summary": "A config deploy halved the DB pool; checkout timed out.",
        "customer_impact": "EU customers could not pay for 2 hours.",
        "duration": "about 2 hours of errors",
        "detection": "PagerDuty alerted on the 5xx rate.",
    }
    assert retro["went_well"] == "Rollback was quick.\n# not a heading\n---"
    assert retro["went_badly"] == "The alert came an hour late."
    assert retro["got_lucky"] == "It happened outside the sales peak."
    assert retro["last_edited_by"] == {"id": "U0BOB", "name": "bob"}
    assert retro["last_edited_at"] == "2026-11-22T10:00:00+00:00" and retro["version"] == 6
    assert retro["published_at"] is None and retro["published_by"] is None
    assert retro["contributing_factors"] == [
        {
            "position": 0,
            "category": "configuration",
            "category_label": "Configuration",
            "description": "The deploy lowered the pool size from 40 to 20.",
            "whys": [
                "The default changed in the new template.",
                "Templates are not diffed in review.",
                "The review checklist predates templates.",
            ],
        },
        {
            "position": 1,
            "category": "monitoring_gap",
            "category_label": "Monitoring gap",
            "description": "No alert on pool saturation.",
            "whys": ["Pool metrics were never exported."],
        },
    ]
    rows = [
        (i["title"], i["owner"], i["due_date"], i["priority"], i["kind"], i["status"])
        for i in record["action_items"]
    ]
    assert rows == [
        (
            "Alert on pool saturation | p95",
            {"id": "U0CAROL", "name": "carol"},
            "2026-12-01",
            "high",
            "detect",
            "open",
        ),
        (
            "Diff templates in config review",
            {"id": "U0DAVE", "name": None},
            None,
            "medium",
            "process",
            "done",
        ),
        ("Load-test checkout weekly", None, "2026-12-15", "low", "prevent", "wont_do"),
    ]
    assert record["action_items"][2]["wont_do_reason"] == "Covered by the quarterly game day"
    assert record["action_items"][0]["created_by"] == {"id": "U0BOB", "name": "bob"}
    assert record["time_to"] == {
        "detect": {
            "kind": "detection",
            "at": "2026-11-20T15:17:00+00:00",
            "basis": "marked",
            "seconds": 72 * 60,
            "text": "1 h 12 min",
        },
        "mitigate": {
            "kind": "mitigation",
            "at": "2026-11-20T16:00:00+00:00",
            "basis": "retrospective",
            "seconds": 115 * 60,
            "text": "1 h 55 min",
        },
        "resolve": {
            "kind": "resolution",
            "at": "2026-11-21T09:35:00+00:00",
            "basis": "marked",
            "seconds": (19 * 60 + 30) * 60,
            "text": "19 h 30 min",
        },
    }
    # The full log: unmarked chatter too, the deleted message without its text or files.
    texts = [event["text"] for event in record["timeline"]]
    assert "anyone seeing 5xx?" in texts and len(texts) == 8
    deleted = next(event for event in record["timeline"] if event["deleted"])
    assert deleted["text"] is None and deleted["files"] == [] and deleted["kinds"] == ["key_event"]
    assert record["people"] == {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}
    dumped = json.dumps(record)
    assert DELETED_TEXT not in dumped and "secret-file" not in dumped
    assert "B-ONLY" not in dumped and "mallory" not in dumped


async def test_a_record_without_a_retrospective_says_so_plainly(sessions: Sessions) -> None:
    await seed_story(sessions)
    record = await record_of(sessions, "INC-1")
    assert record["retrospective"] is None and record["action_items"] == []
    assert record["time_to"]["detect"]["at"] == "2025-11-20T22:30:00+00:00"
    assert record["time_to"]["detect"]["text"] == "1 h"  # from the start an hour earlier
    assert record["time_to"]["resolve"] == {
        "kind": "resolution",
        "at": None,
        "basis": None,
        "seconds": None,
        "text": "—",
    }


async def test_export_prints_the_whole_postmortem_in_both_formats(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_postmortem(sessions)
    markdown = export(database_url, "INC-7", "--team", TEAM_A, cwd=tmp_path)
    assert markdown.returncode == 0, markdown.stderr
    async with sessions() as session:
        incident = await find_for_export(session=session, ref="INC-7", team_id=TEAM_A)
        expected = render_markdown(await load_postmortem(session=session, incident=incident))
    assert markdown.stdout == expected
    for heading in (
        "## Summary and impact",
        "## Time to detect, mitigate and resolve",
        "## Timeline",
        "## Contributing factors",
        "## What went well",
        "## What went badly",
        "## Where we got lucky",
        "## Action items",
    ):
        assert f"\n{heading}\n" in markdown.stdout
    as_json = export(database_url, "C0INC7", "--format", "json", "--team", TEAM_A, cwd=tmp_path)
    record = json.loads(as_json.stdout)
    assert record["retrospective"]["contributing_factors"][0]["whys"][2] == (
        "The review checklist predates templates."
    )
    assert [item["title"] for item in record["action_items"]][
        1
    ] == "Diff templates in config review"
    for output in (markdown.stdout, as_json.stdout):
        assert DELETED_TEXT not in output and "B-ONLY" not in output
    team_b = export(database_url, "INC-7", "--team", TEAM_B, cwd=tmp_path)
    assert "B-ONLY message" in team_b.stdout and "pool" not in team_b.stdout


def test_the_json_keeps_its_keys_in_order_with_one_line_per_event() -> None:
    tricky = '\n  "timeline": [] and {"a": 1}'
    record = {
        "format": "x",
        "incident": {"title": tricky},
        "timeline": [{"text": tricky, "n": n} for n in range(3)],
        "people": {"U1": "a"},
    }
    dumped = dump_record(record)
    assert json.loads(dumped) == record and list(json.loads(dumped)) == list(record)
    assert dumped.splitlines()[6] == '    {"text": ' + json.dumps(tricky)[:-1] + '", "n": 0},'
    assert json.loads(dump_record(record | {"timeline": []}))["timeline"] == []


def test_export_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = run(["export", "INC-1", "--format", "json"], base_env(), tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "No Hindsight database" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
