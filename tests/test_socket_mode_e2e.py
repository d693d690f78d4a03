"""Socket Mode end to end: the real app behind slack_sdk's aiohttp SocketModeClient (our
bot/socket_mode.py), connected through `apps.connections.open` on the fake Slack to a loopback
WebSocket that speaks Slack's envelopes and expects their acks (tests/fakeslack/socket_mode.py).

The demo's incident (declare, capture, retro, publish, reminders answered from the DM) played
over the socket, which drops once mid-capture, writes the very postmortem the HTTP demo writes; a
socket dropped mid-stream is replaced, and the events whose acks it lost come again and are
stored once."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.app import Runtime, build_runtime
from bot.demo import run, script
from bot.demo.clock import DemoClock
from bot.demo.stage import Stage
from bot.demo.transcript import Transcript
from bot.publish.export import export_text
from bot.simslack import SignedRequests
from bot.socket_mode import SocketModeHandler
from models import TimelineEvent
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, make_settings
from tests.fakeslack import FakeSlack
from tests.fakeslack.socket_mode import APP_TOKEN, FakeSocketMode, SocketModeTransport
from tests.timeline_seed import seed_incident

ROOT = Path(__file__).resolve().parents[1]
# No request URL in Socket Mode: the transport hands every request to the socket instead.
NOWHERE = "http://socket-mode.invalid/slack/events"
QUICK_PING_SECONDS = 0.2  # a socket dead without a close frame is noticed within this


@pytest.fixture
def clock() -> DemoClock:
    return DemoClock(script.START)


@pytest.fixture
async def socket_mode(fake_slack: FakeSlack) -> AsyncIterator[FakeSocketMode]:
    async with FakeSocketMode(fake_slack) as server:
        yield server


@pytest.fixture
def runtime(fake_slack: FakeSlack, database_url: str, clock: DemoClock) -> Runtime:
    settings = make_settings(
        fake_slack,
        database_url,
        SLACK_APP_TOKEN=APP_TOKEN,
        POSTMORTEM_CHANNEL=script.POSTMORTEMS,
        REMINDER_INTERVAL_SECONDS="86400",  # the tests run the sweeps themselves
    )
    assert settings.socket_mode
    return build_runtime(settings, clock=clock)


@asynccontextmanager
async def connected(runtime: Runtime, socket_mode: FakeSocketMode) -> AsyncIterator[None]:
    """The app connected as `hindsight serve` connects it in Socket Mode, until the block ends."""
    handler = SocketModeHandler(runtime.app, APP_TOKEN, ping_interval=QUICK_PING_SECONDS)
    try:
        await handler.connect_async()
        await socket_mode.workspace.wait_until(
            lambda: socket_mode.connections == 1, what="the connection"
        )
        yield
    finally:
        await handler.close_async()
        await runtime.close()


def people(fake_slack: FakeSlack, socket_mode: FakeSocketMode) -> SignedRequests:
    """The demo's people, their every request sent as an envelope over the socket."""
    transport = SocketModeTransport(socket_mode)
    return SignedRequests(
        NOWHERE, signing_secret=SIGNING_SECRET, workspace=fake_slack, transport=transport
    )


async def test_the_demo_incident_over_socket_mode_writes_the_postmortem_the_http_demo_writes(
    fake_slack: FakeSlack,
    socket_mode: FakeSocketMode,
    runtime: Runtime,
    database_url: str,
    clock: DemoClock,
) -> None:
    run.seed(fake_slack)
    told = io.StringIO()
    # The socket drops once while people talk in the incident channel: the ack of the sixth
    # envelope (an event: the declare's command and form come first, then the alert) is lost.
    socket_mode.lose_ack(6)
    async with connected(runtime, socket_mode):
        stage = Stage(
            fake_slack,
            people(fake_slack, socket_mode),
            clock,
            Transcript(fake_slack, told),
            runtime,
        )
        await run.scenes(stage)  # declare → capture → retro → publish → reminders, escalation
    document = await export_text(
        database_url, ref="INC-1", fmt="markdown", team_id=TEAM_ID, now=clock()
    )
    assert document.rstrip("\n") + "\n" == (ROOT / "docs" / "example-postmortem.md").read_text()

    transcript = told.getvalue()
    in_order = [
        "answers inline, under the field: “@sam forgot”: A person as the cause. ",
        "hindsight DMs @dana: Action items that need a look",
        "@dana: presses Snooze 1 day on the reminder",
        "@dana: presses Done on the reminder",
        "hindsight DMs @bob: Could you help with an action item from INC-1",
    ]
    positions = [transcript.index(line) for line in in_order]
    assert positions == sorted(positions)

    # Every envelope was acked once by its envelope_id; the one whose ack was lost came again
    # on the second connection, and nothing else went out twice.
    frames = socket_mode.frames_sent
    assert socket_mode.connections == 2 and socket_mode.unacked() == []
    acked = Counter(a.envelope_id for a in socket_mode.acks if not a.lost)
    assert acked == Counter({f["envelope_id"]: 1 for f in frames})
    [lost] = [a for a in socket_mode.acks if a.lost]
    again = [f for f in frames if f["envelope_id"] == lost.envelope_id]
    assert [(f["type"], f["retry_attempt"]) for f in again] == [
        ("events_api", 0),
        ("events_api", 1),
    ]
    assert len(frames) == len(acked) + 1
    kinds = Counter(f["type"] for f in frames)
    interactions = Counter(f["payload"]["type"] for f in frames if f["type"] == "interactive")
    assert kinds["slash_commands"] >= 4 and kinds["events_api"] >= 10, kinds
    assert interactions["view_submission"] >= 6 and interactions["block_actions"] >= 3
    # The retro's inline suggestion came back in a view_submission's ack (response_action).
    assert any((a.payload or {}).get("response_action") == "errors" for a in socket_mode.acks), (
        "no view_submission ack carried the wording suggestion"
    )


async def test_a_dropped_socket_is_replaced_and_events_whose_acks_it_lost_are_stored_once(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, runtime: Runtime
) -> None:
    channel = fake_slack.add_channel("inc-socket", members=["U0ALICE"], bot_is_member=True)
    fake_slack.add_user("U0ALICE", name="alice")
    await seed_incident(runtime.sessions, channel)
    slack = people(fake_slack, socket_mode)
    said = [fake_slack.next_ts() for _ in range(40)]

    async def say(ts: str) -> int:
        fake_slack.add_message(channel, text=f"update {ts}", user="U0ALICE", ts=ts)
        event = slack.message_event(channel, f"update {ts}", user="U0ALICE", ts=ts)
        return (await slack.event(event)).status_code

    # Twice mid-stream, with envelopes in flight, the socket drops as an ack comes in.
    socket_mode.lose_ack(4)
    socket_mode.lose_ack(19)
    async with connected(runtime, socket_mode):
        answers = await asyncio.wait_for(asyncio.gather(*(say(ts) for ts in said[:30])), 30)
        # Then Slack asks for a fresh connection (as it does every few hours): no gap.
        await socket_mode.refresh()
        later = asyncio.gather(*(say(ts) for ts in said[30:]))
        await fake_slack.wait_until(lambda: socket_mode.connections == 4, what="a new connection")
        answers += await asyncio.wait_for(later, 30)

    assert answers == [200] * len(said)  # every event acked in the end
    assert socket_mode.unacked() == []
    assert socket_mode.connections == 4
    assert len(fake_slack.calls_to("apps.connections.open")) == 4  # a new URL for each
    lost = [a for a in socket_mode.acks if a.lost]
    assert len(lost) == 2
    for ack in lost:  # delivered again after the drop, and acked on a later connection
        again = [f for f in socket_mode.frames_sent if f["envelope_id"] == ack.envelope_id]
        assert [f["retry_attempt"] for f in again] == list(range(len(again)))
        assert len(again) >= 2 and again[-1]["retry_reason"] == "timeout"
        assert any(
            a.envelope_id == ack.envelope_id and not a.lost and a.connection > ack.connection
            for a in socket_mode.acks
        )
    async with runtime.sessions() as session:
        stored = dict(
            (
                await session.execute(
                    select(TimelineEvent.ts, func.count())
                    .where(TimelineEvent.team_id == TEAM_ID)
                    .group_by(TimelineEvent.ts)
                )
            ).all()
        )
    assert stored == dict.fromkeys(said, 1)  # every message, each once


async def test_apps_connections_open_gives_the_socket_url_to_the_app_token_alone(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    client = AsyncWebClient(base_url=fake_slack.base_url)
    opened = await client.apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"] == fake_slack.socket_mode_url
    assert str(opened["url"]).startswith("ws://127.0.0.1:")
    with pytest.raises(SlackApiError) as refused:
        await client.apps_connections_open(app_token=BOT_TOKEN)  # a bot token cannot
    assert refused.value.response["error"] == "not_allowed_token_type"
