"""Publishing a postmortem end to end: a retro walked through every step, then Publish from the
review step: the summary in the incident channel and the postmortems channel, the document as
a canvas (or a Markdown file where canvases are refused), failures reported and retried,
republishing in place, who may publish, and the header's "Start retrospective"."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.ids import Publish, Retro
from bot.publish.export import export_text
from bot.publish.shapes import Postmortem, milestones
from bot.ui.header import header_blocks
from bot.ui.summary import summary_blocks, summary_text
from models import (
    ActionItem,
    AuditEntry,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Retrospective,
    Severity,
    SlackUser,
    TimelineEvent,
    utcnow,
)
from tests.conftest import SIGNING_SECRET, TEAM_ID, ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests
from tests.fakeslack.limits import message_text_errors, validate_message_blocks
from tests.retro.test_retro import (
    CHANNEL,
    GOOD_FACTORS,
    START,
    Sessions,
    action_values,
    draft_of,
    factor_values,
    future,
    lesson_values,
    open_retro,
    press,
    seed_retro_incident,
    step_of,
    submit,
    summary_values,
    timeline_values,
    view_text,
)
from tests.timeline_seed import seed_event, seed_mark

POSTMORTEMS = "C0PM"
ITEMS = [
    ("Alert on pool saturation", "U0BOB", future(14), "high", "detect"),
    ("Review pool limits quarterly", "U0CAROL", None, "low", "process"),
]
LESSONS = ("Rollback took 3 minutes", "Paging was slow", "Low traffic")


@pytest.fixture
async def publishing_bot(fake_slack: FakeSlack, database_url: str) -> AsyncIterator[ServedBot]:
    """The real app with POSTMORTEM_CHANNEL set."""
    from bot.app import build_runtime

    settings = make_settings(fake_slack, database_url, POSTMORTEM_CHANNEL=POSTMORTEMS)
    async with serve_app(build_runtime(settings)) as bot:
        yield bot


@pytest.fixture
def slack(publishing_bot: ServedBot, fake_slack: FakeSlack) -> SlackRequests:
    return SlackRequests(
        publishing_bot.events_url,
        signing_secret=SIGNING_SECRET,
        fake=fake_slack,
        team_id=TEAM_ID,
    )


@pytest.fixture
def sessions(publishing_bot: ServedBot) -> Sessions:
    return publishing_bot.runtime.sessions


@pytest.fixture
async def incident(fake_slack: FakeSlack, sessions: Sessions) -> Incident:
    found = await seed_retro_incident(fake_slack, sessions)
    fake_slack.channels[CHANNEL].members.add(fake_slack.bot_user_id)  # the bot made it
    return found


def postmortems_channel(fake_slack: FakeSlack, *, bot_is_member: bool = True) -> None:
    fake_slack.add_channel(
        "postmortems", channel_id=POSTMORTEMS, members=["U0ALICE"], bot_is_member=bot_is_member
    )


async def walk_retro(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    sessions: Sessions,
    incident: Incident,
    *,
    marked: bool = True,
) -> dict[str, Any]:
    """Every step filled in and saved; returns the review step's view. `marked`: three events
    added by hand, two marked and all three picked in the timeline step; else nothing marked."""
    chosen: dict[str, int | None] = {}
    if marked:
        minute = timedelta(minutes=1)
        alert = await seed_event(sessions, incident, START + 7 * minute, "p99 alert fired")
        rollback = await seed_event(sessions, incident, START + 25 * minute, "rolled back")
        fixed = await seed_event(sessions, incident, START + 40 * minute, "errors at zero")
        await seed_mark(sessions, alert, "detection")
        await seed_mark(sessions, fixed, "resolution")
        chosen = {"detection": alert.id, "mitigation": rollback.id, "resolution": fixed.id}
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, timeline_values(chosen))
    view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS, keep_wording=False)
    )
    _, view = await submit(slack, fake_slack, view, lesson_values(*LESSONS))
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    _, view = await submit(slack, fake_slack, view, action_values(view, ITEMS))
    assert step_of(view) == "review"
    return view


def notice_of(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == Publish.OUTCOME)
    return str(block["text"]["text"])


async def retro_of(sessions: Sessions) -> Retrospective:
    return await draft_of(sessions)


def posts_to(fake_slack: FakeSlack, channel: str) -> list[Any]:
    return [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and not c.error
    ]


def every_field_entered() -> list[str]:
    summary = summary_values()
    words = [next(iter(v.values()))["value"] for k, v in summary.items() if k != Retro.KEEP_WORDING]
    for _, description, whys in GOOD_FACTORS:
        words += [description, *whys]
    return [*words, *LESSONS, *(title for title, *_ in ITEMS)]


# ---- publishing --------------------------------------------------------------------------------


async def test_publish_posts_the_summary_to_both_channels_and_the_document_as_a_canvas(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    sessions: Sessions,
    incident: Incident,
    database_url: str,
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    publish = next(b for b in review["blocks"] if b.get("block_id") == Publish.ACTIONS)
    assert publish["elements"][0]["text"]["text"] == "Publish"

    view = await press(slack, fake_slack, review, Publish.BUTTON)

    notice = notice_of(view)
    assert "INC-1 is published" in notice and "Not delivered" not in notice
    assert f"<#{CHANNEL}>" in notice and f"<#{POSTMORTEMS}>" in notice and "canvas" in notice
    (canvas,) = fake_slack.canvases.values()
    assert canvas["channel_id"] == CHANNEL
    for words in every_field_entered():
        assert words in canvas["markdown"], words
    stored = await retro_of(sessions)
    assert stored.published_by == "U0ALICE" and stored.published_at is not None
    assert (
        stored.document_ref
        == f"canvas:{canvas['id']}:https://app.slack.com/docs/{TEAM_ID}/{canvas['id']}"
    )
    for channel, ts in ((CHANNEL, stored.announcement_ts), (POSTMORTEMS, stored.summary_ts)):
        (post,) = posts_to(fake_slack, channel)
        message = fake_slack.find_message(channel, str(ts))
        assert message is not None and len(post.args["blocks"]) <= 50
        shown = json.dumps(message["blocks"])
        assert "INC-1" in shown and "Time to detect: *7 min*" in shown
        assert "Pool saturation had no alert" in shown and "*Action items:* 2" in shown
        assert "<@U0BOB>" in shown and "<@U0CAROL>" in shown and canvas["id"] in shown
    assert stored.summary_channel_id == POSTMORTEMS
    async with sessions() as session:
        saved = await session.get(Incident, incident.id)
        assert saved is not None and saved.postmortem_state == PostmortemState.PUBLISHED
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "postmortem.publish")
        )
        assert entry is not None and entry.actor_id == "U0ALICE"
    button = next(b for b in view["blocks"] if b.get("block_id") == Publish.ACTIONS)
    assert button["elements"][0]["text"]["text"] == "Publish again"
    fake_slack.assert_no_rejections()
    # `hindsight export` prints the same document, and the JSON record holds every field too.
    markdown = await export_text(
        database_url, ref="INC-1", fmt="markdown", team_id=TEAM_ID, now=utcnow()
    )
    assert markdown.strip() == canvas["markdown"].strip()
    record = await export_text(database_url, ref="INC-1", fmt="json", team_id=TEAM_ID, now=utcnow())
    for words in every_field_entered():
        assert json.dumps(words, ensure_ascii=False)[1:-1] in record, words


async def say(
    slack: SlackRequests, fake_slack: FakeSlack, when: datetime, text: str, user: str
) -> str:
    """A message in the incident channel at `when`, in Slack and captured; a user id starting
    with B posts as an alerting app (PagerDuty)."""
    ts = f"{when.timestamp():.6f}"
    if user.startswith("B"):
        app = {"subtype": "bot_message", "bot_id": user, "username": "PagerDuty"}
        fake_slack.add_message(CHANNEL, text=text, user=None, ts=ts, **app)
        event = slack.message_event(CHANNEL, text, user=user, ts=ts, **app)
        del event["user"]
    else:
        fake_slack.add_message(CHANNEL, text=text, user=user, ts=ts)
        event = slack.message_event(CHANNEL, text, user=user, ts=ts)
    assert (await slack.event(event)).status_code == 200
    return ts


async def status_change(slack: SlackRequests, sessions: Sessions, status: str) -> datetime:
    """`/postmortem status <status>` in the incident channel; when it was recorded."""
    response = await slack.command(f"status {status}", channel_id=CHANNEL, user_id="U0BOB")
    assert response.status_code == 200, response.text
    async with sessions() as session:
        changed = await session.scalar(
            select(TimelineEvent.occurred_at).where(
                TimelineEvent.text.startswith(f"Status changed to {status}")
            )
        )
    assert changed is not None
    return changed if changed.tzinfo else changed.replace(tzinfo=UTC)  # SQLite reads naive


async def test_a_postmortem_with_nothing_marked_publishes_its_changes_and_key_messages_linked(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    declared = "INC-1 declared by <@U0ALICE>"  # as the declare records it
    await seed_event(sessions, incident, START, declared, source=EventSource.SYSTEM)
    minute, tick = timedelta(minutes=1), timedelta(microseconds=1)
    sent = [
        await say(
            slack, fake_slack, START + minute, "*CRITICAL* checkout 5xx above 20%", "B0PAGER"
        ),
        await say(slack, fake_slack, START + 2 * minute, "checkout is failing for me", "U0CAROL"),
        await say(slack, fake_slack, START + 3 * minute, "coffee anyone?", "U0ALICE"),  # chatter
    ]
    monitoring = await status_change(slack, sessions, "monitoring")
    sent += [
        await say(slack, fake_slack, monitoring - minute, "rolled back deploy 4512", "U0BOB"),
        await say(slack, fake_slack, monitoring + tick, "errors dropping", "U0ALICE"),
    ]
    resolved = await status_change(slack, sessions, "resolved")
    sent += [await say(slack, fake_slack, resolved + minute, "closing, thanks all", "U0BOB")]
    view = await walk_retro(slack, fake_slack, sessions, incident, marked=False)

    view = await press(slack, fake_slack, view, Publish.BUTTON)

    assert "Not delivered" not in notice_of(view)
    (canvas,) = fake_slack.canvases.values()
    timeline = canvas["markdown"].split("\n## Timeline\n")[1].split("\n## ")[0]
    assert "Few moments were marked, so the entries in italics were picked" in timeline
    lines = [line for line in timeline.splitlines() if line.startswith("- ")]
    link = "[message](<https://fake.slack.test/archives/C0INC/p{}>)".format
    assert [line.split(": ", 1)[0].split(" · ", 1)[1] for line in lines] == [
        "Declared",
        f"_Alert_ · **PagerDuty** · {link(sent[0].replace('.', ''))}",
        f"_First report_ · **carol** · {link(sent[1].replace('.', ''))}",
        f"_Before the status change_ · **bob** · {link(sent[3].replace('.', ''))}",
        "Status change",
        # Also the last message before the next change: shown once.
        f"_After the status change_ · **alice** · {link(sent[4].replace('.', ''))}",
        "Status change",
        f"_After the status change_ · **bob** · {link(sent[5].replace('.', ''))}",
    ]
    assert "Status changed to resolved by @bob" in lines[6] and "coffee" not in timeline
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1  # one call, the rest built
    fake_slack.assert_no_rejections()


async def test_without_canvases_the_document_is_uploaded_as_a_markdown_file(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    fake_slack.canvases_enabled = False
    review = await walk_retro(slack, fake_slack, sessions, incident)

    view = await press(slack, fake_slack, review, Publish.BUTTON)

    assert "Markdown file" in notice_of(view) and "Not delivered" not in notice_of(view)
    assert not fake_slack.canvases
    (upload,) = fake_slack.files.values()
    assert upload.name == "INC-1-postmortem.md" and upload.channels == [CHANNEL]
    content = (upload.content or b"").decode()
    for words in every_field_entered():
        assert words in content, words
    stored = await retro_of(sessions)
    assert (stored.document_ref or "").startswith(f"file:{upload.id}:https://")
    message = fake_slack.find_message(POSTMORTEMS, str(stored.summary_ts))
    assert message is not None and "Markdown file" in json.dumps(message["blocks"])
    fake_slack.assert_no_rejections()


async def test_a_failing_target_does_not_block_the_others_and_publish_again_retries_it(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack, bot_is_member=False)  # Slack answers not_in_channel
    review = await walk_retro(slack, fake_slack, sessions, incident)

    view = await press(slack, fake_slack, review, Publish.BUTTON)

    notice = notice_of(view)
    assert f"the summary in <#{CHANNEL}>" in notice and "canvas" in notice
    assert f"Not delivered: the summary in <#{POSTMORTEMS}> (Slack answered `not_in_channel`)" in (
        notice
    )
    stored = await retro_of(sessions)
    assert stored.announcement_ts and stored.summary_ts is None and stored.published_at
    assert len(fake_slack.canvases) == 1

    fake_slack.channels[POSTMORTEMS].members.add(fake_slack.bot_user_id)
    view = await press(slack, fake_slack, view, Publish.BUTTON)

    assert "Not delivered" not in notice_of(view)
    assert len(posts_to(fake_slack, CHANNEL)) == 1  # updated in place, not posted again
    assert len(posts_to(fake_slack, POSTMORTEMS)) == 1
    assert len(fake_slack.canvases) == 1  # the document went out already: not attached twice
    stored = await retro_of(sessions)
    assert stored.summary_ts and stored.summary_channel_id == POSTMORTEMS
    fake_slack.assert_no_rejections()


async def test_a_failed_post_to_the_postmortems_channel_is_reported(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    review = await walk_retro(slack, fake_slack, sessions, incident)  # no such channel at all

    view = await press(slack, fake_slack, review, Publish.BUTTON)

    assert f"<#{POSTMORTEMS}> (Slack answered `channel_not_found`)" in notice_of(view)
    assert len(posts_to(fake_slack, CHANNEL)) == 1 and len(fake_slack.canvases) == 1


async def test_when_the_document_cannot_be_attached_the_summaries_still_go_out_and_retry_adds_it(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    fake_slack.canvases_enabled = False
    fake_slack.fail("files.getUploadURLExternal", error="not_allowed_token_type")
    review = await walk_retro(slack, fake_slack, sessions, incident)

    view = await press(slack, fake_slack, review, Publish.BUTTON)

    notice = notice_of(view)
    assert "Not delivered: the full document" in notice and "canvas_disabled_user_team" in notice
    assert f"the summary in <#{POSTMORTEMS}>" in notice
    stored = await retro_of(sessions)
    assert stored.document_ref is None and stored.announcement_ts
    message = fake_slack.find_message(CHANNEL, str(stored.announcement_ts))
    assert message is not None and "not attached yet" in json.dumps(message["blocks"])

    view = await press(slack, fake_slack, view, Publish.BUTTON)

    assert "Not delivered" not in notice_of(view)
    (upload,) = [f for f in fake_slack.files.values() if f.completed]
    message = fake_slack.find_message(CHANNEL, str(stored.announcement_ts))
    assert message is not None and upload.id in json.dumps(message["blocks"])
    assert len(posts_to(fake_slack, CHANNEL)) == 1 and len(posts_to(fake_slack, POSTMORTEMS)) == 1
    fake_slack.assert_no_rejections()


async def test_republishing_after_edits_updates_the_summaries_in_place(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    view = await press(slack, fake_slack, review, Publish.BUTTON)
    first = await retro_of(sessions)

    view = await press(slack, fake_slack, view, Retro.BACK)  # back to the action items
    assert step_of(view) == "actions"
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    more = [*ITEMS, ("Page on checkout errors", "U0ALICE", future(7), "high", "detect")]
    _, view = await submit(slack, fake_slack, view, action_values(view, more))
    assert step_of(view) == "review"
    updates = len(fake_slack.calls_to("chat.update"))
    view = await press(slack, fake_slack, view, Publish.BUTTON)

    assert "(updated)" in notice_of(view) and "Not delivered" not in notice_of(view)
    assert len(posts_to(fake_slack, CHANNEL)) == 1 and len(posts_to(fake_slack, POSTMORTEMS)) == 1
    edits = [
        c
        for c in fake_slack.calls_to("chat.update")[updates:]
        if c.args["ts"] in (first.announcement_ts, first.summary_ts)
    ]
    assert {c.args["channel"] for c in edits} == {CHANNEL, POSTMORTEMS}
    for channel, ts in ((CHANNEL, first.announcement_ts), (POSTMORTEMS, first.summary_ts)):
        message = fake_slack.find_message(channel, str(ts))
        assert message is not None and "*Action items:* 3" in json.dumps(message["blocks"])
    assert len(fake_slack.canvases) == 2  # the edited document attached again
    newest = list(fake_slack.canvases.values())[-1]
    assert "Page on checkout errors" in newest["markdown"]
    again = await retro_of(sessions)
    assert (again.announcement_ts, again.summary_ts) == (first.announcement_ts, first.summary_ts)
    assert again.document_ref and newest["id"] in again.document_ref
    fake_slack.assert_no_rejections()


async def test_two_presses_at_once_post_each_summary_once(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    sessions: Sessions,
    incident: Incident,
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    updates = len(fake_slack.calls_to("views.update"))

    presses = [
        slack.block_action(Publish.BUTTON, view=review, user_id=user, state_values={})
        for user in ("U0ALICE", "U0BOB")
    ]
    assert all(r.status_code == 200 for r in await asyncio.gather(*presses))
    await fake_slack.wait_for("views.update", updates + 2)

    assert len(posts_to(fake_slack, CHANNEL)) == 1 and len(posts_to(fake_slack, POSTMORTEMS)) == 1
    assert len(fake_slack.canvases) == 1


async def test_the_runtime_keeps_no_publish_lock_once_the_presses_are_done(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    sessions: Sessions,
    incident: Incident,
    publishing_bot: ServedBot,
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    updates = len(fake_slack.calls_to("views.update"))
    gate = fake_slack.hold("canvases.create")  # the first press waits on Slack, the second on it

    presses = asyncio.gather(
        *(
            slack.block_action(Publish.BUTTON, view=review, user_id=user, state_values={})
            for user in ("U0ALICE", "U0BOB")
        )
    )
    await fake_slack.wait_held("canvases.create")
    assert len(publishing_bot.runtime.publish_locks) == 1  # one incident, one lock, two presses
    gate.set()
    await presses
    await fake_slack.wait_for("views.update", updates + 2)

    assert len(publishing_bot.runtime.publish_locks) == 0  # nothing kept for a finished press
    assert len(posts_to(fake_slack, CHANNEL)) == 1


async def test_someone_without_a_role_cannot_publish(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)

    view = await press(slack, fake_slack, review, Publish.BUTTON, user_id="U0CAROL")

    notice = notice_of(view)
    assert "Only the declarer, the facilitator and the commander" in notice
    assert "<@U0ALICE>" in notice and "<@U0BOB>" in notice and "Nothing was published" in notice
    # The only messages are the DMs telling owners about their items during the walk.
    assert all(c.args["channel"].startswith("U") for c in fake_slack.calls_to("chat.postMessage"))
    assert not posts_to(fake_slack, CHANNEL) and not posts_to(fake_slack, POSTMORTEMS)
    assert not fake_slack.canvases
    stored = await retro_of(sessions)
    assert stored.published_at is None and stored.document_ref is None


# ---- the header's "Start retrospective" --------------------------------------------------------


async def test_the_header_offers_the_retrospective_once_resolved_and_it_opens_the_retro(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    header_ts = fake_slack.add_message(
        CHANNEL, text="header", user=fake_slack.bot_user_id, bot_id=fake_slack.bot_id
    )
    async with sessions() as session, session.begin():
        stored = await session.get(Incident, incident.id)
        assert stored is not None
        stored.header_ts = header_ts
        blocks = [b.to_dict() for b in header_blocks(stored)]
    assert Publish.START_RETRO not in json.dumps(blocks)  # not while it is still going on

    response = await slack.command("status resolved", channel_id=CHANNEL, user_id="U0ALICE")
    assert response.status_code == 200, response.text
    update = (await fake_slack.wait_for("chat.update"))[-1]
    assert update.args["ts"] == header_ts
    header = fake_slack.find_message(CHANNEL, header_ts)
    assert header is not None
    button = next(b for b in header["blocks"] if b.get("block_id") == Publish.START_RETRO)
    assert button["elements"][0]["text"]["text"] == "Start retrospective"
    async with sessions() as session:
        saved = await session.get(Incident, incident.id)
        assert saved is not None and saved.status == IncidentStatus.RESOLVED

    updates = len(fake_slack.calls_to("views.update"))
    response = await slack.block_action(
        Publish.START_RETRO, channel_id=CHANNEL, message=header, user_id="U0BOB"
    )
    assert response.status_code == 200, response.text
    view_id = (await fake_slack.wait_for("views.update", updates + 1))[-1].args["view_id"]
    view = fake_slack.views[view_id]
    assert step_of(view) == "summary" and "Step 1 of 6" in view_text(view)
    assert (await retro_of(sessions)).incident_id == incident.id


# ---- Slack's limits ----------------------------------------------------------------------------


def test_the_summary_keeps_to_slack_limits_however_long_the_postmortem() -> None:
    incident = Incident(
        team_id=TEAM_ID,
        number=7,
        title="T" * 300,
        summary="",
        severity=Severity.SEV1,
        channel_id=CHANNEL,
        declared_by="U0ALICE",
        services=[],
        started_at=START,
        postmortem_state=PostmortemState.PUBLISHED,
    )
    retro = Retrospective(
        team_id=TEAM_ID,
        incident_id=1,
        summary="w" * 3000,
        customer_impact="i" * 3000,
        published_by="U0ALICE",
        published_at=START,
    )
    factors = [
        ContributingFactor(
            team_id=TEAM_ID,
            retrospective_id=1,
            position=n,
            category=FactorCategory.CAPACITY,
            description="d" * 3000,
            whys=["why"] * 5,
        )
        for n in range(20)
    ]
    items = [
        ActionItem(team_id=TEAM_ID, incident_id=1, title=f"Item {n}", owner_id=f"U{n:08d}")
        for n in range(200)
    ]
    pm = Postmortem(
        incident=incident,
        retro=retro,
        factors=factors,
        action_items=items,
        events=[],
        milestones=milestones(incident, []),
        names={},
    )

    blocks = [b.to_dict() for b in summary_blocks(pm, document_link=None, document_kind="canvas")]

    assert len(blocks) <= 50 and not validate_message_blocks(blocks)
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert all(len(text) <= 3000 for text in texts) and any(t.endswith("…") for t in texts)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "…and 17 more in the document" in shown
    assert "*Action items:* 200" in shown and "and 190 more" in shown
    assert not message_text_errors(summary_text(pm))


async def test_messages_are_still_captured_while_a_publish_waits_on_slack(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    fake_slack.fail("canvases.create", status=429, retry_after=1, times=1)
    pressing = asyncio.create_task(press(slack, fake_slack, review, Publish.BUTTON))
    await fake_slack.wait_for("canvases.create")  # rate limited: the client waits ≥ 1 s

    event = slack.message_event(CHANNEL, "customers report recovery", user="U0ALICE")
    response = await slack.event(event)

    assert response.status_code == 200
    # Stored while the publish was still waiting on Slack (no write lock held meanwhile).
    assert len(fake_slack.calls_to("canvases.create")) == 1
    async with sessions() as session:
        stored = await session.scalar(
            select(TimelineEvent).where(TimelineEvent.text == "customers report recovery")
        )
    assert stored is not None
    await pressing
    assert len(fake_slack.canvases) == 1


async def test_the_document_names_people_nobody_had_looked_up_yet(
    slack: SlackRequests, fake_slack: FakeSlack, sessions: Sessions, incident: Incident
) -> None:
    """Alice declared and commands the incident but nothing asked Slack for her name before
    Publish (the users cache is empty of her): the document still says who she is, by name."""
    postmortems_channel(fake_slack)
    review = await walk_retro(slack, fake_slack, sessions, incident)
    async with sessions() as session, session.begin():
        await session.execute(delete(SlackUser).where(SlackUser.user_id == "U0ALICE"))

    await press(slack, fake_slack, review, Publish.BUTTON)

    (canvas,) = fake_slack.canvases.values()
    assert "- **Declared by:** alice" in canvas["markdown"]
    assert "- **Commander:** alice" in canvas["markdown"]
    assert "U0ALICE" not in canvas["markdown"]
