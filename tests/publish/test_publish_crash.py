"""Publish cut short by a crash, then pressed again: what was posted before the crash is found
and kept (the canvas) or updated in place (the summaries), never posted a second time."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from bot.ids import Publish
from bot.publish import publisher as publish
from bot.slack import create_web_client
from models import Incident, PostmortemState, utcnow
from tests.conftest import BOT_TOKEN
from tests.fakeslack import FakeSlack, SlackRequests
from tests.publish.test_publish import (
    POSTMORTEMS,
    incident,
    notice_of,
    postmortems_channel,
    posts_to,
    publishing_bot,
    retro_of,
    sessions,
    slack,
    walk_retro,
)
from tests.retro.test_retro import CHANNEL, Sessions, press

__all__ = ["incident", "publishing_bot", "sessions", "slack"]  # fixtures from test_publish


async def publish_killed_after(
    fake_slack: FakeSlack, sessions: Sessions, incident: Incident, method: str, let_through: int
) -> None:
    """Publish, and kill it the moment Slack has done the `let_through`+1-th call to `method`
    but before its answer arrives. Cancelling the task is what a kill -9 does to the database:
    whatever was committed stays, nothing after that point runs (the session is dropped
    uncommitted). The fake holds the answer, so the post has landed in Slack."""
    gate = fake_slack.hold_answer(method, let_through=let_through)
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)

    async def run() -> None:
        await publish.publish(
            sessions=sessions,
            client=client,
            team_id=incident.team_id,
            incident_id=incident.id,
            user_id="U0ALICE",
            postmortem_channel=POSTMORTEMS,
            now=utcnow(),
        )

    killed = asyncio.create_task(run())
    await fake_slack.wait_answer_held(method)
    killed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await killed
    gate.set()


@pytest.mark.parametrize(
    ("method", "let_through", "pending"),
    [
        pytest.param("canvases.create", 0, "document_pending_at", id="after-canvas"),
        pytest.param("chat.postMessage", 0, "announcement_pending_at", id="after-announcement"),
        pytest.param("chat.postMessage", 1, "summary_pending_at", id="after-both-summaries"),
    ],
)
async def test_publish_again_after_a_crash_posts_nothing_twice(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    sessions: Sessions,
    incident: Incident,
    method: str,
    let_through: int,
    pending: str,
) -> None:
    fake_slack.real_clock_ts = True  # the look-up searches around the time of the crash
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    await fake_slack.wait_for("chat.postMessage", 2)  # the owners' DMs from the walk
    dms = len(fake_slack.calls_to("chat.postMessage"))

    await publish_killed_after(fake_slack, sessions, incident, method, let_through)

    crashed = await retro_of(sessions)
    assert getattr(crashed, pending) is not None  # "may have been posted": marked, no result
    assert len(fake_slack.calls_to("chat.postMessage")) - dms == let_through + (
        method == "chat.postMessage"
    )

    view = await press(slack, fake_slack, review, Publish.BUTTON)  # after the restart

    assert "Not delivered" not in notice_of(view) and "INC-1 is published" in notice_of(view)
    (canvas,) = fake_slack.canvases.values()  # exactly one document
    stored = await retro_of(sessions)
    assert stored.document_ref and canvas["id"] in stored.document_ref
    assert (stored.document_pending_at, stored.announcement_pending_at) == (None, None)
    assert stored.summary_pending_at is None and stored.published_at is not None
    for channel, ts in ((CHANNEL, stored.announcement_ts), (POSTMORTEMS, stored.summary_ts)):
        assert len(posts_to(fake_slack, channel)) == 1  # one summary per channel
        message = fake_slack.find_message(channel, str(ts))
        assert message is not None and message["ts"] == ts
        assert canvas["id"] in json.dumps(message["blocks"])  # linked to the one canvas
        meta = message["metadata"]
        assert meta["event_type"] == publish.SUMMARY_EVENT
        assert meta["event_payload"]["incident_id"] == incident.id
    updated = {c.args["ts"] for c in fake_slack.calls_to("chat.update")}
    if method == "chat.postMessage":  # the summary the crash left behind, updated in place
        assert stored.announcement_ts in updated
    if let_through == 1:
        assert stored.summary_ts in updated
    async with sessions() as session:
        saved = await session.get(Incident, incident.id)
        assert saved is not None and saved.postmortem_state == PostmortemState.PUBLISHED
    fake_slack.assert_no_rejections()
