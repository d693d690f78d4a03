"""`hindsight export --all [--since DATE] --format json`: every published postmortem of a
workspace as one JSON list, each record the one `hindsight export REF --format json` prints;
run as a person runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Incident, IncidentStatus, PostmortemState, Retrospective
from tests.postmortem_seed import TEAM_A, TEAM_B, seed_postmortem
from tests.test_cli import base_env, run
from tests.timeline_seed import Sessions, seed_incident, seed_message, ts_of

NOV_25 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DEC_2 = datetime(2026, 12, 2, 23, 59, tzinfo=UTC)


def export(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(["export", *args], base_env() | {"DATABASE_URL": database_url}, cwd)


async def publish(sessions: Sessions, team_id: str, number: int, at: datetime) -> None:
    """The incident's postmortem as a publish leaves it (state and the retro's stamp)."""
    async with sessions() as session, session.begin():
        incident = await session.scalar(
            select(Incident).where(Incident.team_id == team_id, Incident.number == number)
        )
        assert incident is not None
        incident.postmortem_state = PostmortemState.PUBLISHED
        retro = await session.scalar(
            select(Retrospective).where(Retrospective.incident_id == incident.id)
        )
        if retro is None:
            retro = Retrospective(team_id=team_id, incident_id=incident.id, summary="Retro")
            session.add(retro)
        retro.published_at, retro.published_by = at, "U0ALICE"


async def seed_team(sessions: Sessions) -> None:
    """Team A: INC-7 (full postmortem) published 25 Nov, INC-8 published 2 Dec (a message
    with a mention and markup), INC-9 a draft, INC-10 resolved without one. Team B: its own
    INC-7, published."""
    await seed_postmortem(sessions)
    await publish(sessions, TEAM_A, 7, NOV_25)
    later = await seed_incident(sessions, "C0INC8", number=8, title="Search <!channel> slow")
    await seed_message(sessions, later, ts_of(NOV_25), "p99 at 4s <@U0BOB> &lt;b&gt;")
    await publish(sessions, TEAM_A, 8, DEC_2)
    await seed_incident(sessions, "C0INC9", number=9, title="Draft only")
    async with sessions() as session, session.begin():
        session.add(
            Incident(
                team_id=TEAM_A,
                number=10,
                title="Never written",
                severity="SEV3",
                status=IncidentStatus.RESOLVED,
                declared_by="U0ALICE",
                resolved_at=NOV_25,
            )
        )
    await publish(sessions, TEAM_B, 7, NOV_25)


def without_export_time(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "exported_at"}


async def test_all_writes_every_published_postmortem_of_the_team_as_the_single_export_does(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_team(sessions)
    result = export(database_url, "--all", "--format", "json", "--team", TEAM_A, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout)
    assert [doc["incident"]["ref"] for doc in documents] == ["INC-7", "INC-8"]
    assert {doc["incident"]["team_id"] for doc in documents} == {TEAM_A}
    assert "B-ONLY" not in result.stdout  # team B's postmortem stays out
    for document in documents:
        ref = document["incident"]["ref"]
        single = export(database_url, ref, "--format", "json", "--team", TEAM_A, cwd=tmp_path)
        assert single.returncode == 0, single.stderr
        assert without_export_time(document) == without_export_time(json.loads(single.stdout))
    full, later = documents
    assert full["retrospective"]["published_at"] == NOV_25.isoformat()
    assert len(full["timeline"]) == 8 and len(full["action_items"]) == 3
    assert "anyone seeing 5xx?" in [e["text"] for e in full["timeline"]]  # unmarked ones too
    assert later["incident"]["title"] == "Search <!channel> slow"  # the data, as stored
    assert later["timeline"][0]["text"] == "p99 at 4s <@U0BOB> &lt;b&gt;"


async def test_since_keeps_those_published_on_or_after_the_day(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_team(sessions)

    def refs(*args: str) -> list[str]:
        result = export(database_url, "--all", "--team", TEAM_A, *args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return [doc["incident"]["ref"] for doc in json.loads(result.stdout)]

    assert refs("--format", "json", "--since", "2026-11-25") == ["INC-7", "INC-8"]
    assert refs("--format", "json", "--since", "2026-11-26") == ["INC-8"]
    assert refs("--since", "2026-12-02") == ["INC-8"]  # --all writes JSON without --format
    assert refs("--since", "2026-12-03") == []


async def test_the_team_is_asked_for_when_there_are_several_and_found_when_one(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    await seed_team(sessions)
    several = export(database_url, "--all", "--format", "json", cwd=tmp_path)
    assert several.returncode == 1 and several.stdout == ""
    [line] = several.stderr.strip().splitlines()
    assert TEAM_A in line and TEAM_B in line and "--team" in line
    only_b = export(database_url, "--all", "--format", "json", "--team", TEAM_B, cwd=tmp_path)
    [document] = json.loads(only_b.stdout)
    assert document["incident"]["team_id"] == TEAM_B
    assert document["retrospective"]["summary"] == "B-ONLY retro"
    nobody = export(database_url, "--all", "--format", "json", "--team", "T0NONE", cwd=tmp_path)
    assert nobody.returncode == 0 and json.loads(nobody.stdout) == []


async def test_one_workspace_needs_no_team(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    later = await seed_incident(sessions, "C0INC8", number=8, title="Search slow")
    await seed_message(sessions, later, ts_of(NOV_25), "p99 at 4s")
    await publish(sessions, TEAM_A, 8, DEC_2)
    result = export(database_url, "--all", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [doc["incident"]["ref"] for doc in json.loads(result.stdout)] == ["INC-8"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--all", "INC-1"], "REF or --all"),
        ([], "REF or --all"),
        (["--all", "--format", "markdown"], "JSON only"),
        (["INC-1", "--since", "2026-01-01"], "--since goes with --all"),
        (["--all", "--since", "yesterdayish"], "not a date like 2026-09-01"),
    ],
)
def test_usage_mistakes_exit_2_saying_what_is_wrong(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = run(["export", *args], base_env(), tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert says in result.stderr and "usage: hindsight export" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created on the way out
