"""Capture is ready before the first event: the warm-up (run before /healthz says ok) caches the
incident channels and runs every batch statement once in a transaction it rolls back, so it
stores nothing; requests that miss the cache together share one query; and a JSON body that
cannot hold an unstorable character is recognised from its raw text without being walked."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.db import create_engine, create_sessionmaker
from bot.text_clean import clean_strings, json_is_storable
from bot.timeline.messages import StoreMessage, captured_from_slack
from bot.timeline.writer import CaptureWriter
from models import TimelineEvent
from tests.conftest import SIGNING_SECRET, TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.timeline.test_capture import seed_incident

Sessions = async_sessionmaker[AsyncSession]


@contextmanager
def incident_queries(sessions: Sessions) -> Iterator[list[str]]:
    """The SELECTs on incidents run while inside (the lookups capture makes)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM incidents" in statement:
            seen.append(statement)

    sync_engine = sessions.kw["bind"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


def message(n: int, channel_id: str, team_id: str = TEAM_ID) -> StoreMessage:
    captured = captured_from_slack(
        {"type": "message", "user": "U0ALICE", "text": f"m{n}", "ts": f"1700000000.{n:06d}"},
        team_id=team_id,
        channel_id=channel_id,
        bot_user_id="U0BOT",
        bot_id="B0BOT",
    )
    assert captured is not None
    return StoreMessage(captured)


async def stored(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TimelineEvent)) or 0)


async def test_the_warm_up_stores_nothing_and_the_first_event_asks_no_query(
    sessions: Sessions,
) -> None:
    first = await seed_incident(sessions, "C0INC1")
    second = await seed_incident(sessions, "C0INC2", number=2)
    writer = CaptureWriter(sessions)
    await writer.warm()
    assert await stored(sessions) == 0  # the rehearsal was rolled back
    writer.start()
    try:
        with incident_queries(sessions) as queries:
            assert await writer.record(message(1, "C0INC1"))
            assert await writer.record(message(2, "C0INC2"))
            assert await writer.incident_for(team_id=TEAM_ID, channel_id="C0INC2") == second
        assert queries == []  # both channels were cached at the warm-up
    finally:
        await writer.stop()
    async with sessions() as session:
        rows = (await session.execute(select(TimelineEvent.incident_id, TimelineEvent.ts))).all()
    assert sorted(rows) == [(first, "1700000000.000001"), (second, "1700000000.000002")]


async def test_a_served_bot_is_warm_once_its_health_says_ok(
    fake_slack: FakeSlack, database_url: str, sessions: Sessions
) -> None:
    channel = fake_slack.add_channel("inc-warm", bot_is_member=True)
    await seed_incident(sessions, channel)  # before the start, as after a restart
    runtime = build_runtime(make_settings(fake_slack, database_url))
    async with serve_app(runtime) as bot:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{bot.url}/healthz")).status_code == 200
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        with incident_queries(runtime.sessions) as queries:
            response = await slack.event(slack.message_event(channel, "db-1 is down", user="U1"))
        assert (response.status_code, queries) == (200, [])  # the channel was known already
    assert await stored(sessions) == 1


async def test_requests_that_miss_together_share_one_query(sessions: Sessions) -> None:
    incident_id = await seed_incident(sessions, "C0INC")
    writer = CaptureWriter(sessions)  # not warmed: every request misses
    writer.start()
    try:
        with incident_queries(sessions) as queries:
            found = await asyncio.gather(
                *(writer.record(message(n, "C0INC")) for n in range(32)),
                *(writer.incident_for(team_id=TEAM_ID, channel_id="C0ELSE") for _ in range(8)),
            )
        assert found == [True] * 32 + [None] * 8
        assert len(queries) == 2  # one for the incident channel, one for the other
        # A miss is not remembered: the next request for a channel without an incident asks
        # again (another replica may have declared one since).
        with incident_queries(sessions) as queries:
            assert await writer.incident_for(team_id=TEAM_ID, channel_id="C0ELSE") is None
        assert len(queries) == 1
    finally:
        await writer.stop()
    async with sessions() as session:
        ids = set(await session.scalars(select(TimelineEvent.incident_id)))
    assert (await stored(sessions), ids) == (32, {incident_id})


async def test_many_concurrent_changes_with_duplicates_are_stored_once(
    sessions: Sessions,
) -> None:
    """After the warm-up's rolled-back rehearsal, waves of duplicates still store once."""
    await seed_incident(sessions, "C0INC")
    writer = CaptureWriter(sessions)
    await writer.warm()
    writer.start()
    try:
        for _ in range(3):  # waves, so batches overlap with batches of the same messages
            await asyncio.gather(*(writer.record(message(n % 150, "C0INC")) for n in range(300)))
    finally:
        await writer.stop()
    assert await stored(sessions) == 150


async def test_a_failed_warm_up_is_only_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-schema.db'}")
    writer = CaptureWriter(create_sessionmaker(engine))
    try:
        await writer.warm()  # no tables: it cannot warm anything, and the start goes on
    finally:
        await writer.stop()
        await engine.dispose()
    assert "capture: warming up failed" in caplog.text


# ---- the raw-text check that lets CleanText skip walking an event's body ------------------------

TRICKY = [
    *(chr(code) for code in range(0x20)),
    "\x7f",
    "\ud800",
    "\udfff",
    "🔥",
    "\\",
    "\\u",
    "\u202e",
    "\n\t\r",
    "/",
    '"',
]


def bodies() -> Iterator[str]:
    """Event bodies as Slack's JSON may carry them: escaped (ensure_ascii) or raw UTF-8, with
    every control character, both surrogate ends, DEL, backslashes and quotes."""
    for text in TRICKY:
        for sample in (text, f"a{text}b", f"\\{text}"):
            body = {"type": "event_callback", "event": {"text": sample, "blocks": [[sample]]}}
            yield json.dumps(body)
            with suppress(UnicodeEncodeError):  # a lone surrogate cannot be sent raw in UTF-8
                yield json.dumps(body, ensure_ascii=False).encode().decode()


def test_a_body_called_storable_is_left_unchanged_by_cleaning() -> None:
    skipped = 0
    for raw in bodies():
        parsed = json.loads(raw)
        cleaned = clean_strings(copy.deepcopy(parsed))
        if json_is_storable(raw):
            skipped += 1
            assert cleaned == parsed, raw
    assert skipped > 20  # the check lets ordinary bodies through, not just nothing
    assert json_is_storable('{"event": {"text": "db-1 is down\\nagain \\/ \\"really\\""}}')
    assert not json_is_storable('{"event": {"text": "nul \\u0000"}}')
    assert not json_is_storable("payload=%7B%7D")  # a form body is always walked
