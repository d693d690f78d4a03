"""Backfill under Slack's strict limits (one call a window per method and token, 15 messages a
page, 429 + Retry-After otherwise), kept in the database: resumed after a restart, leased so
two runners never read one channel at once, its progress in one message of the channel."""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import jobs
from bot.app import build_runtime
from bot.slack import create_web_client
from bot.timeline import backfill_runner
from bot.timeline.backfill import backfill_channel
from bot.timeline.backfill_reader import reading_client, retry_after
from models import BackfillRun, EventSource, TimelineEvent, utcnow
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.incidents.test_declare import declare_via_slack, seed_people
from tests.timeline.test_capture import seed_channel, seed_incident

Sessions = async_sessionmaker[AsyncSession]

WINDOW = 0.05  # the strict regime's minute, shortened so the test runs in seconds
BASE = 1_700_000_000  # seeded messages: one a minute from here
PROGRESS = re.compile(r"read ([\d,]+) of about ([\d,]+) messages")


def seed_spread_history(
    fake_slack: FakeSlack, channel: str, *, top: int, threads: int, replies: int
) -> set[str]:
    """`top` top-level messages a minute apart, `threads` of them with `replies` replies each,
    the channel created just before; returns every seeded ts."""
    fake_slack.channels[channel].created = BASE - 60
    seeded: set[str] = set()
    minute = 0

    def next_ts() -> str:
        nonlocal minute
        minute += 1
        return f"{BASE + minute * 60}.000100"

    for n in range(top):
        parent = fake_slack.add_message(channel, text=f"update {n}", user="U0ALICE", ts=next_ts())
        seeded.add(parent)
        if n % (top // threads) == 0 and n // (top // threads) < threads:
            for r in range(replies):
                ts = next_ts()
                fake_slack.add_message(
                    channel, text=f"reply {r} to {n}", user="U0BOB", thread_ts=parent, ts=ts
                )
                seeded.add(ts)
    return seeded


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 60.0,  # noqa: ASYNC109
    what: str,
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def the_run(sessions: Sessions) -> BackfillRun:
    async with sessions() as session:
        [run] = (await session.scalars(select(BackfillRun))).all()
        return run


async def message_ts(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(TimelineEvent.ts).where(
                TimelineEvent.team_id == TEAM_ID, TimelineEvent.source == EventSource.MESSAGE
            )
        )
        return [ts for ts in found if ts is not None]


async def send_live(slack: SlackRequests, fake_slack: FakeSlack, channel: str, text: str) -> str:
    """A person's message, as Slack posts it and sends the event; returns its ts once the bot
    answered, and checks it was stored by then and answered promptly."""
    event = slack.message_event(channel, text, user="U0BOB")
    fake_slack.add_message(channel, text=text, user="U0BOB", ts=event["ts"])
    started = time.perf_counter()
    response = await slack.event(event)
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0  # not queued behind backfill's waits
    return str(event["ts"])


# ---- the fake's strict mode --------------------------------------------------------------------


async def test_the_strict_fake_serves_15_a_page_and_refuses_a_second_read_in_the_window(
    fake_slack: FakeSlack,
) -> None:
    channel = seed_channel(fake_slack)
    for n in range(40):
        fake_slack.add_message(channel, text=f"m{n}", user="U0ALICE")
    fake_slack.add_token("xoxb-other-install", TEAM_ID)
    strict = fake_slack.strict_limits(window=0.5)
    client = reading_client(create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN))
    other = reading_client(
        create_web_client(base_url=fake_slack.base_url, token="xoxb-other-install")
    )
    page = await client.conversations_history(channel=channel, limit=200)
    assert len(page["messages"]) == 15 and page["has_more"]
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel=channel, limit=200)
    assert refused.value.response.status_code == 429
    wait = retry_after(refused.value)
    assert wait is not None and 0 < wait <= 0.5 and wait != int(wait)  # fractional, parsed
    # Another method, another token: windows of their own.
    await client.conversations_replies(channel=channel, ts=page["messages"][0]["ts"])
    await other.conversations_history(channel=channel, limit=5)
    await asyncio.sleep(wait)
    again = await client.conversations_history(channel=channel, limit=200)
    assert len(again["messages"]) == 15
    assert strict.refused == 1


async def test_the_reader_waits_the_retry_after_and_then_paces_itself(
    fake_slack: FakeSlack, sessions: Sessions
) -> None:
    """Under a 0.1 s window the reader is refused about once per method (learning the window),
    then reads every page at the window's pace; every message is stored."""
    channel = seed_channel(fake_slack)
    incident_id = await seed_incident(sessions, channel)
    seeded = seed_spread_history(fake_slack, channel, top=90, threads=2, replies=20)
    strict = fake_slack.strict_limits(window=0.1)
    new = await backfill_channel(
        client=create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN),
        sessions=sessions,
        team_id=TEAM_ID,
        incident_id=incident_id,
        channel_id=channel,
        bot_user_id=fake_slack.bot_user_id,
        bot_id=fake_slack.bot_id,
    )
    assert new == len(seeded) == 130
    assert sorted(await message_ts(sessions)) == sorted(seeded)
    history = [c for c in fake_slack.calls_to("conversations.history") if not c.failed]
    replies = [c for c in fake_slack.calls_to("conversations.replies") if not c.failed]
    assert len(history) == math.ceil(91 / 15)  # the 90 and the bot's progress message
    assert len(replies) == 2 * math.ceil(21 / 15)
    assert all(b.at - a.at >= 0.1 for a, b in itertools.pairwise(history))
    assert strict.refused <= 6, strict.refused  # learnt, not refused page after page
    run = await the_run(sessions)
    assert run.finished_at is not None and run.error is None and run.lease_owner is None
    assert run.read_count == 91 + 40


# ---- the Must-hold: 1,000 messages, strict limits, a restart midway --------------------------


async def test_a_thousand_messages_under_strict_limits_survive_a_restart(
    fake_slack: FakeSlack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill_runner, "PROGRESS_EVERY", 0.2)
    seed_people(fake_slack)
    channel = fake_slack.add_channel("db-outage", members=["U0ALICE", "U0BOB"])
    seeded = seed_spread_history(fake_slack, channel, top=700, threads=10, replies=30)
    assert len(seeded) == 1000
    strict = fake_slack.strict_limits(window=WINDOW)
    settings = make_settings(fake_slack, database_url)
    live: list[str] = []

    first = build_runtime(settings)
    sessions = first.sessions
    async with serve_app(first) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        await declare_via_slack(slack, fake_slack, channel_id=channel, channel="review")
        for n in range(3):
            await wait_until(
                lambda n=n: reached(sessions, 100 + 150 * n), what=f"{100 + 150 * n} read"
            )
            live.append(await send_live(slack, fake_slack, channel, f"live {n}"))
            assert live[-1] in await message_ts(sessions)  # stored at once, before the 200
        await assert_still_running(sessions)
    stopped = await the_run(sessions)
    assert stopped.finished_at is None and stopped.lease_owner is None  # given back on stop
    assert 400 <= stopped.read_count < 1000

    second = build_runtime(settings)  # a new process on the same database
    async with serve_app(second) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        await wait_until(lambda: reached(second.sessions, stopped.read_count + 100), what="resume")
        live.append(await send_live(slack, fake_slack, channel, "live after the restart"))
        assert live[-1] in await message_ts(second.sessions)
        await wait_until(lambda: finished(second.sessions), what="the backfill's end")
        done = await the_run(second.sessions)
        stored = await message_ts(second.sessions)

    assert len(stored) == len(set(stored)) == 1000 + len(live)  # every message, once
    assert set(stored) == seeded | set(live)
    assert done.error is None and done.read_count >= 1000
    history = [c for c in fake_slack.calls_to("conversations.history") if not c.failed]
    print(
        f"backfill of 1,000 under a {WINDOW}s window: stopped at {stopped.read_count} read "
        f"(history done: {stopped.history_done}), {len(history)} history pages, "
        f"{len(fake_slack.calls_to('conversations.replies'))} replies calls, "
        f"{strict.refused} refused (429), {len(live)} live messages stored at once"
    )
    assert_read_once(fake_slack, channel)
    assert_one_progress_message(fake_slack, channel, done)
    ok = [c for c in fake_slack.calls if c.method.startswith("conversations.") and not c.failed]
    assert strict.refused <= len(ok) // 4, (strict.refused, len(ok))  # paced, not hammering


async def test_a_crashed_process_s_backfill_is_taken_over_once_its_lease_runs_out(
    fake_slack: FakeSlack,
    database_url: str,
    sessions: Sessions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "BACKFILL_RESUME_SECONDS", 0.2)
    seed_people(fake_slack)
    channel = fake_slack.add_channel("db-outage", members=["U0ALICE", "U0BOB"])
    seeded = seed_spread_history(fake_slack, channel, top=150, threads=3, replies=20)
    fake_slack.strict_limits(window=WINDOW)
    settings = make_settings(fake_slack, database_url)
    first = build_runtime(settings)
    async with serve_app(first) as bot:
        slack = SlackRequests(
            bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
        )
        await declare_via_slack(slack, fake_slack, channel_id=channel, channel="review")
        await wait_until(lambda: reached(sessions, 60), what="60 read")
    # What a crash leaves behind: the run leased by a process that is gone (the clean stop
    # above gave it back; the dead process's lease is put back, with a second left to run).
    async with sessions() as session, session.begin():
        await session.execute(
            update(BackfillRun).values(
                lease_owner="a-process-that-died", leased_until=utcnow() + timedelta(seconds=1)
            )
        )
    second = build_runtime(settings)
    async with serve_app(second):
        await asyncio.sleep(0.5)
        assert (await the_run(sessions)).lease_owner == "a-process-that-died"  # not yet
        await wait_until(lambda: finished(sessions), what="the backfill's end")
    done = await the_run(sessions)
    assert done.error is None and done.lease_owner is None
    assert set(await message_ts(sessions)) == seeded


async def reached(sessions: Sessions, count: int) -> bool:
    async with sessions() as session:
        runs_ = (await session.scalars(select(BackfillRun))).all()
        return bool(runs_) and runs_[0].read_count >= count


async def finished(sessions: Sessions) -> bool:
    async with sessions() as session:
        runs_ = (await session.scalars(select(BackfillRun))).all()
        return bool(runs_) and runs_[0].finished_at is not None


async def assert_still_running(sessions: Sessions) -> None:
    """Still mid-way when we stop: the restart interrupts a backfill that is running."""
    run = await the_run(sessions)
    assert run.finished_at is None and run.lease_owner is not None


def assert_read_once(fake_slack: FakeSlack, channel: str) -> None:
    """Resumed where it stopped: no page read twice but the one in flight at the stop."""
    history = [c for c in fake_slack.calls_to("conversations.history") if not c.failed]
    messages = fake_slack.channels[channel].messages
    top_level = [m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]]
    assert len(history) <= math.ceil(len(top_level) / 15) + 1
    replies = [c for c in fake_slack.calls_to("conversations.replies") if not c.failed]
    pages = {(c.args["ts"], c.args.get("cursor")) for c in replies}
    assert len(replies) - len(pages) <= 1
    assert len(pages) == 10 * math.ceil(31 / 15)  # each thread: its parent and 30 replies


def assert_one_progress_message(fake_slack: FakeSlack, channel: str, run: BackfillRun) -> None:
    """One message says how far it got, updated in place (by both processes), never a stream."""
    posts = [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if "this channel's history" in str(c.args.get("text"))
    ]
    assert len(posts) == 1
    updates = [c for c in fake_slack.calls_to("chat.update") if c.args["ts"] == run.progress_ts]
    counts = [PROGRESS.search(str(c.args["text"])) for c in updates]
    seen = [(int(m[1].replace(",", "")), int(m[2].replace(",", ""))) for m in counts if m]
    assert len(seen) >= 4 and all(about >= read for read, about in seen)
    total = run.history_read + run.replies_expected  # what the channel held, in the end
    assert any(abs(about - total) <= total * 0.15 for read, about in seen if read < 500)
    final = str(updates[-1].args["text"])
    assert final == (
        f":white_check_mark: Read this channel's history into the timeline: "
        f"{run.read_count:,} messages."
    )
    mine = [m for m in fake_slack.channels[channel].messages if m["ts"] == run.progress_ts]
    assert len(mine) == 1 and mine[0]["text"] == final
