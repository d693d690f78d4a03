"""GET /metrics (bot/metrics.py): the values move as the work happens, read back over HTTP from
the served app in Prometheus's text format; the scrape stays fast with 10,000 open action items."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.followup.deliver import SweepReport
from bot.ids import Shortcut
from bot.metrics import Metrics
from bot.serve import serve_socket_mode
from bot.server import OperationsServer
from bot.slack import create_web_client
from models import ActionItem, ActionStatus, Incident, IncidentStatus, Severity
from tests.clock import FrozenClock
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    ServedBot,
    make_settings,
    serve_app,
)
from tests.fakeslack import FakeSlack, SlackRequests
from tests.fakeslack.socket_mode import APP_TOKEN, FakeSocketMode
from tests.test_jobs import NOW, OWNER, seed_due_item
from tests.timeline.test_capture import seed_channel, seed_incident
from tests.timeline.test_shortcut import message_in

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series has not been created yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(bot: ServedBot) -> Samples:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{bot.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def scrape_until(bot: ServedBot, name: str) -> Samples:
    """Scrape until `name` (unlabelled) is non-zero, for up to 5 s: a job's figures land once
    it has ended."""
    for _ in range(100):
        samples = await scrape(bot)
        if value(samples, name):
            break
        await asyncio.sleep(0.05)
    return samples


@pytest.fixture
async def bot(fake_slack: FakeSlack, database_url: str) -> AsyncIterator[ServedBot]:
    runtime = build_runtime(make_settings(fake_slack, database_url))
    async with serve_app(runtime) as served:
        yield served


def signed(bot: ServedBot, fake_slack: FakeSlack) -> SlackRequests:
    return SlackRequests(
        bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
    )


async def test_captures_acks_and_batches_move_as_events_arrive(
    bot: ServedBot, fake_slack: FakeSlack
) -> None:
    slack = signed(bot, fake_slack)
    channel = seed_channel(fake_slack)
    await seed_incident(bot.runtime.sessions, channel)
    before = await scrape(bot)
    assert value(before, "hindsight_incidents_open") == 1
    assert value(before, "hindsight_timeline_events_captured_total", kind="message") == 0

    first = slack.message_event(channel, "error rate at 40%", user="U0ALICE")
    second = slack.message_event(channel, "rolling back", user="U0BOB")
    events = [
        first,
        second,
        slack.message_event(channel, "rollback done", user="U0BOB"),
        slack.message_changed_event(channel, ts=first["ts"], text="error 45%", user="U0ALICE"),
        slack.message_deleted_event(channel, ts=second["ts"]),
        slack.reaction_event(True, "pushpin", user="U0BOB", channel=channel, ts=first["ts"]),
    ]
    for event in events:
        assert (await slack.event(event)).status_code == 200
    assert (await slack.command("timeline all", channel_id=channel)).status_code == 200
    await bot.idle()
    after = await scrape(bot)

    captured = "hindsight_timeline_events_captured_total"
    kinds = {kind: value(after, captured, kind=kind) for kind in ("message", "edit", "delete")}
    assert kinds == {"message": 3, "edit": 1, "delete": 1}
    assert value(after, captured, kind="reaction") == 1
    assert value(after, "hindsight_http_ack_seconds_count", kind="event") == 6
    assert value(after, "hindsight_http_ack_seconds_count", kind="command") == 1
    assert value(after, "hindsight_http_ack_seconds_sum", kind="event") > 0
    # Every ack under Slack's 3 s: the +Inf bucket and the 3 s bucket hold the same count.
    assert value(after, "hindsight_http_ack_seconds_bucket", kind="event", le="3.0") == 6
    # Five message changes went through the group commit, in at least one batch.
    assert value(after, "hindsight_capture_batch_size_sum") == 5
    assert 1 <= value(after, "hindsight_capture_batch_size_count") <= 5
    assert value(after, "hindsight_capture_queue_depth") == 0  # all committed


async def test_an_interaction_and_the_web_api_call_it_makes(
    bot: ServedBot, fake_slack: FakeSlack
) -> None:
    """The modal is opened with Bolt's per-request client: its call is counted too."""
    slack = signed(bot, fake_slack)
    channel = seed_channel(fake_slack)
    await seed_incident(bot.runtime.sessions, channel)
    message = message_in(fake_slack, channel, "db-1 is refusing connections")
    response = await slack.message_action(
        Shortcut.ADD_TO_TIMELINE, message=message, channel_id=channel, user_id="U0BOB"
    )
    assert response.status_code == 200
    await fake_slack.wait_for("views.open")
    await bot.idle()
    after = await scrape(bot)
    assert value(after, "hindsight_http_ack_seconds_count", kind="interaction") == 1
    assert value(after, "hindsight_http_ack_seconds_count", kind="event") == 0
    calls = "hindsight_slack_api_calls_total"
    assert value(after, calls, method="views.open", outcome="ok") == 1
    assert value(after, "hindsight_slack_api_call_seconds_count", method="views.open") == 1


async def test_web_api_calls_by_method_and_outcome(
    fake_slack: FakeSlack, database_url: str
) -> None:
    """ok, Slack's error code, 429, 5xx and a timeout, each counted once (after retries)."""
    runtime = build_runtime(make_settings(fake_slack, database_url))
    try:
        client = create_web_client(
            base_url=fake_slack.base_url, token=BOT_TOKEN, observer=runtime.metrics
        )
        client.retry_handlers = []  # one attempt each: the outcome is the first answer
        channel = fake_slack.add_channel("general", bot_is_member=True)
        await client.chat_postMessage(channel=channel, text="hello")
        for status, error in ((None, "channel_not_found"), (429, None), (503, None)):
            fake_slack.fail("chat.postMessage", status=status, error=error)
            with pytest.raises(Exception):  # noqa: B017 - SlackApiError, whatever its cause
                await client.chat_postMessage(channel=channel, text="hello")
        held = fake_slack.hold("users.info")
        client.timeout = 0.2
        try:
            with pytest.raises(TimeoutError):
                await client.users_info(user="U0ALICE")
        finally:
            held.set()
        body, _ = await runtime.metrics.exposition()
    finally:
        await runtime.close()
    samples = parse(body.decode())
    outcomes = {
        dict(labels)["outcome"]: count
        for (name, labels), count in samples.items()
        if name == "hindsight_slack_api_calls_total"
        and dict(labels)["method"] == "chat.postMessage"
    }
    assert outcomes == {"ok": 1, "channel_not_found": 1, "429": 1, "5xx": 1}
    calls = "hindsight_slack_api_calls_total"
    assert value(samples, calls, method="users.info", outcome="timeout") == 1
    latency = "hindsight_slack_api_call_seconds_count"
    assert value(samples, latency, method="chat.postMessage") == 4
    assert value(samples, "hindsight_slack_api_call_seconds_sum", method="users.info") >= 0.2


async def test_an_unreachable_slack_and_a_cancelled_call_have_their_outcomes() -> None:
    metrics = Metrics()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = create_web_client(
        base_url=f"http://127.0.0.1:{port}/api/", token=BOT_TOKEN, observer=metrics
    )
    client.retry_handlers = []
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.auth_test()
    call = asyncio.ensure_future(client.users_info(user="U0ALICE"))
    await asyncio.sleep(0)  # the call has started
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    samples = parse((await metrics.exposition())[0].decode())
    calls = "hindsight_slack_api_calls_total"
    assert value(samples, calls, method="auth.test", outcome="connection_error") == 1
    assert value(samples, calls, method="users.info", outcome="cancelled") == 1


async def test_reminders_sent_and_sweep_duration(fake_slack: FakeSlack, database_url: str) -> None:
    fake_slack.add_user(OWNER, name="owner", tz="UTC")
    channel = fake_slack.add_channel("inc-checkout", bot_is_member=True)
    runtime = build_runtime(make_settings(fake_slack, database_url), clock=FrozenClock(NOW))
    await seed_due_item(runtime.sessions, channel)
    async with serve_app(runtime) as served:  # the first sweep runs at start
        await fake_slack.wait_for("chat.postMessage")
        after = await scrape_until(served, "hindsight_reminder_sweep_seconds_count")
    assert value(after, "hindsight_reminders_sent_total", kind="action_item") == 1
    assert value(after, "hindsight_reminders_failed_total", kind="action_item") == 0
    assert value(after, "hindsight_reminder_sweep_seconds_count") >= 1
    assert value(after, "hindsight_slack_api_calls_total", method="chat.postMessage", outcome="ok")
    assert value(after, "hindsight_action_items_open") == 1
    assert value(after, "hindsight_action_items_overdue") == 0  # due today, not past due


async def test_each_runtime_counts_its_own(fake_slack: FakeSlack, database_url: str) -> None:
    """Two replicas in one process (or two tests) never share a count."""
    settings = make_settings(fake_slack, database_url)
    first, second = build_runtime(settings), build_runtime(settings)
    try:
        first.metrics.captured["message"].inc()
        first.metrics.observe_web_call("chat.postMessage", "ok", 0.01)
        one, _ = await first.metrics.exposition()
        other, _ = await second.metrics.exposition()
    finally:
        await first.close()
        await second.close()
    assert value(parse(one.decode()), "hindsight_timeline_events_captured_total", kind="message")
    assert not value(
        parse(other.decode()), "hindsight_timeline_events_captured_total", kind="message"
    )
    assert "chat.postMessage" not in other.decode()


async def test_no_team_id_and_no_secret_in_the_scrape(
    bot: ServedBot, fake_slack: FakeSlack
) -> None:
    slack = signed(bot, fake_slack)
    channel = seed_channel(fake_slack)
    await seed_incident(bot.runtime.sessions, channel)
    await slack.event(slack.message_event(channel, "hello", user="U0ALICE"))
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{bot.url}/metrics")).text
    for secret in (TEAM_ID, BOT_TOKEN, SIGNING_SECRET, channel, "U0ALICE"):
        assert secret not in text
    samples = parse(text)
    labels = {
        key for name, labelset in samples if name.startswith("hindsight_") for key, _ in labelset
    }
    assert labels == {"kind", "method", "outcome", "le"}
    # The process's own figures are there too (the soak reads RSS from here).
    assert value(samples, "process_resident_memory_bytes") > 0


async def test_database_gauges_left_out_when_the_database_fails(
    fake_slack: FakeSlack, database_url: str
) -> None:
    runtime = build_runtime(make_settings(fake_slack, database_url))
    try:
        body, _ = await runtime.metrics.exposition()
        assert value(parse(body.decode()), "hindsight_incidents_open") == 0
        assert "hindsight_incidents_open " in body.decode()
        await runtime.engine.dispose()

        async def broken() -> None:
            raise ConnectionRefusedError("the database is down")

        assert runtime.metrics.database is not None
        runtime.metrics.database.refresh = broken  # type: ignore[method-assign]
        body, _ = await runtime.metrics.exposition()
    finally:
        await runtime.close()
    samples = parse(body.decode())
    assert "hindsight_incidents_open" not in body.decode()
    assert value(samples, "hindsight_metrics_database_errors_total") == 1
    assert ("hindsight_capture_queue_depth", frozenset()) in samples  # the rest still served


async def test_socket_mode_serves_metrics_and_health_on_metrics_port(
    fake_slack: FakeSlack, database_url: str, unused_tcp_port: int
) -> None:
    settings = make_settings(fake_slack, database_url, METRICS_PORT=str(unused_tcp_port))
    runtime = build_runtime(settings)
    operations = OperationsServer(runtime, host="127.0.0.1", port=unused_tcp_port)
    await operations.start()
    try:
        base = f"http://127.0.0.1:{settings.metrics_port}"
        async with httpx.AsyncClient() as http:
            metrics = await http.get(f"{base}/metrics")
            health = await http.get(f"{base}/healthz")
            slack = await http.post(f"{base}/slack/events", content=b"{}")
    finally:
        await operations.stop()
        await runtime.close()
    assert metrics.status_code == 200 and "hindsight_incidents_open" in metrics.text
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert slack.status_code == 404


async def test_hindsight_serve_in_socket_mode_answers_on_metrics_port(
    fake_slack: FakeSlack, database_url: str, unused_tcp_port: int
) -> None:
    """`serve_socket_mode` (what `hindsight serve` runs with SLACK_APP_TOKEN): connected over
    the fake's WebSocket, /metrics and /healthz on METRICS_PORT; the port closes with it."""
    settings = make_settings(
        fake_slack, database_url, SLACK_APP_TOKEN=APP_TOKEN, METRICS_PORT=str(unused_tcp_port)
    )
    runtime = build_runtime(settings)
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with FakeSocketMode(fake_slack) as socket_mode, httpx.AsyncClient() as http:
        serving = asyncio.create_task(serve_socket_mode(runtime))
        try:
            await socket_mode.workspace.wait_until(
                lambda: socket_mode.connections == 1, what="the connection"
            )
            metrics = await http.get(f"{base}/metrics")
            health = await http.get(f"{base}/healthz")
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{base}/healthz")
    assert metrics.status_code == 200 and "hindsight_http_ack_seconds" in metrics.text
    assert health.status_code == 200 and health.json()["database"] == "ok"


# --- the scrape with 10,000 open action items -------------------------------------------------

OPEN_ITEMS = 10_000
INCIDENTS = 200  # 50 items each: the search index's triggers re-read an incident's items
SCRAPE_LIMIT_MS = 50


async def seed_open_items(
    sessions: async_sessionmaker[AsyncSession], today: date, items: int = OPEN_ITEMS
) -> None:
    """10,000 open action items (a quarter past due) over 200 incidents, 10 of them open
    (bench/metrics_scrape.py seeds with it too)."""
    incidents = [
        {
            "team_id": TEAM_ID,
            "number": n + 1,
            "title": f"incident {n}",
            "severity": Severity.SEV3,
            "status": IncidentStatus.INVESTIGATING if n < 10 else IncidentStatus.CLOSED,
            "channel_id": f"C{n:08d}",
            "declared_by": OWNER,
        }
        for n in range(INCIDENTS)
    ]
    async with sessions() as session, session.begin():
        ids = (await session.scalars(insert(Incident).returning(Incident.id), incidents)).all()
        rows = [
            {
                "team_id": TEAM_ID,
                "incident_id": ids[n % INCIDENTS],
                "title": f"item {n}",
                "owner_id": OWNER,
                "due_date": today - timedelta(days=1 if n % 4 == 0 else -3),
                "status": ActionStatus.OPEN,
                "created_by": OWNER,
                "reminder_count": 0,
                "overdue_nudges": 0,
            }
            for n in range(items)
        ]
        await session.execute(insert(ActionItem), rows)


async def test_scrape_under_50_ms_with_10000_open_action_items(
    fake_slack: FakeSlack, database_url: str, backend: str
) -> None:
    runtime = build_runtime(make_settings(fake_slack, database_url), clock=FrozenClock(NOW))
    await seed_open_items(runtime.sessions, NOW.date())
    server = serve_app(runtime)
    # As a socket uvicorn binds itself has (asyncio sets it on TCP sockets it knows as TCP):
    # without it, Nagle and the client's delayed ACK add ~40 ms to every response.
    server.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    async with server as served, httpx.AsyncClient() as http:
        await http.get(f"{served.url}/metrics")  # the first: connections and compiled SQL
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            response = await http.get(f"{served.url}/metrics")
            timings.append((time.perf_counter() - started) * 1000)
    samples = parse(response.text)
    assert value(samples, "hindsight_action_items_open") == OPEN_ITEMS
    assert value(samples, "hindsight_action_items_overdue") == OPEN_ITEMS // 4
    assert value(samples, "hindsight_incidents_open") == 10
    assert ("hindsight_backfills_unfinished", frozenset()) in samples
    assert ("hindsight_tracker_outbox_depth", frozenset()) in samples
    median, best = statistics.median(timings), min(timings)
    print(
        f"\n/metrics with {OPEN_ITEMS} open action items ({backend}): median {median:.1f} ms, "
        f"best {best:.1f} ms, worst {max(timings):.1f} ms over {len(timings)} scrapes"
    )
    # The median of 15, so one scrape slowed by a busy shared machine does not decide it.
    assert median < SCRAPE_LIMIT_MS


def test_escalations_sent_and_failed_are_counted_from_a_sweeps_report() -> None:
    metrics = Metrics()
    report = SweepReport(escalations=2, escalations_failed=1, debt_escalations_failed=3)
    metrics.record_sweep(report, 0.5)
    families = parse(generate_latest(metrics.registry).decode())
    assert value(families, "hindsight_escalations_sent_total", kind="action_item") == 2
    assert value(families, "hindsight_escalations_failed_total", kind="action_item") == 1
    assert value(families, "hindsight_escalations_failed_total", kind="postmortem_debt") == 3
    assert value(families, "hindsight_escalations_sent_total", kind="postmortem_debt") == 0
