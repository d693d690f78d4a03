"""Hostile text typed anywhere a person can type is stored (or refused with a clear answer, never a
500), and nothing the bot sends to Slack carries a live mention, special mention or link that the
bot did not create itself: every recorded Web API call (text, blocks, fallback, views), every
response_url answer and the published document are checked.

The hostile strings (mentions, special mentions, a labelled link, the same escaped as Slack
escapes typed text, mrkdwn, Markdown links and canvas mentions, NUL and other control
characters, an RTL override) go through one incident from declaration to publish: the declare
form, messages captured in the channel, `/postmortem event`, the message shortcuts, every
retrospective step, `/postmortem action`, a won't-do reason; then the header updates, the
timeline, the assigned DMs, a reminder and an escalation, the summaries and the canvas go out.
A 40,000-character string goes to the declare form, a message, `/postmortem event`, a message
shortcut, a retrospective answer, an item title, `/postmortem action` and a won't-do reason: it
is stored (a message) or refused inline or ephemerally, and nothing is half-made.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import build_runtime
from bot.followup.cadence import WorkingHours
from bot.followup.digest import iso_period, post_team_digest
from bot.ids import ActionIds, FollowUp, Publish, Retro, Shortcut, TimelineIds
from bot.publish.markdown import escape_inline, slack_to_markdown
from bot.text_clean import clean_text
from bot.ui.item import controls_block_id
from bot.ui.reminder import escalation_message, reminder_message
from bot.ui.text import inert
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    EventSource,
    Incident,
    Retrospective,
    TimelineEvent,
    TimelineMark,
    utcnow,
)
from tests.conftest import SIGNING_SECRET, TEAM_ID, ServedBot, make_settings, serve_app
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.incidents.test_declare import form_values, open_declare, seed_people
from tests.retro.test_retro import (
    CHANNEL,
    action_values,
    close,
    factor_values,
    lesson_values,
    open_retro,
    press,
    retro_views,
    seed_retro_incident,
    submit,
    summary_values,
    timeline_values,
)

POSTMORTEMS = "C0PM"
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL")  # the only people the bot may mention
DAVE = "U0DAVE"  # mentioned by people's text only: must never be pinged

MENTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    f"<@{DAVE}>",
    "<#C123>",
    "<!subteam^S123>",
    "<http://evil.example|click>",
    "<mailto:x@evil.example|mail>",
]
ESCAPED = [m.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for m in MENTIONS]
MARKUP = ["*bold*", "`tick`", "~strike~", "> quote", "[click](http://evil.example)", "![](@U0DAVE)"]
CONTROLS = ["nul\x00here", "bell\x07esc\x1b", "\u202eRTL override\u202c"]
# Typed into a modal: Slack delivers it as typed.
HOSTILE = " ".join([*MENTIONS, *ESCAPED, *MARKUP, *CONTROLS])
TITLE = (
    "<!channel> <!here> <@U0DAVE> <#C123> <!subteam^S123> <http://evil.example|click> \x00\u202e!"
)
SERVICES = "checkout, <!channel>, <@U0DAVE>, <http://evil.example|click>, nul\x00, &lt;!here&gt;"
# Typed into Slack's composer or a command: Slack escapes `&`, `<`, `>`; the raw forms are real
# mentions (a person may @channel in the incident channel; the bot must not repeat it). A link a
# person made with Slack's link tool is theirs: the document keeps it, Slack's timeline shows its
# address (the third captured message checks that).
SLACK_TYPED = " ".join([*ESCAPED, *MENTIONS[:6], *MARKUP, *CONTROLS])
# `/postmortem action`: its first `<@…>` is the owner, so only escaped forms of a user mention.
ACTION_TYPED = " ".join(
    [
        *ESCAPED[:4],
        "<!channel>",
        "<!here>",
        "<#C123|ops>",
        "<http://evil.example|click>",
        "*b* \x00",
    ]
)
HUGE = ("x <!channel> " * 3334)[:40_000]  # 40,000 characters
assert len(HUGE) == 40_000

LIVE = re.compile(r"<([!@#][^<>]*|(?:https?|mailto):[^<>]*)>")


# ---- the pure pieces -------------------------------------------------------------------------


def test_slack_formatted_text_is_shown_inert_and_readable() -> None:
    shown = inert(
        "<!channel> <@U0DAVE> <#C1|ops> <!subteam^S1|@oncall> <http://evil.example|click> "
        "<!date^1700000000^{date}|Nov 14> &lt;!here&gt;",
        {"U0DAVE": "dave <3"},
    )
    assert shown == (
        "@channel @dave &lt;3 #ops @oncall click (http://evil.example) Nov 14 &lt;!here&gt;"
    )
    assert LIVE.findall(shown) == []


def test_the_document_escapes_mentions_links_and_canvas_mentions_typed_as_text() -> None:
    typed = escape_inline("<!channel> <@U1> <#C1> [click](http://evil.example) ![](@U1) a < b")
    assert typed == (
        "\\<!channel> \\<@U1> \\<#C1> \\[click\\](http://evil.example) !\\[\\](@U1) a < b"
    )
    message = slack_to_markdown("&lt;@U1&gt; <!here> [x](http://evil.example) <@U1>", {"U1": "a"})
    assert message == "\\<@U1> @here \\[x\\](http://evil.example) @a"
    assert DOCUMENT_LIVE.findall(typed + message) == []


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def bot(fake_slack: FakeSlack, database_url: str) -> AsyncIterator[ServedBot]:
    settings = make_settings(fake_slack, database_url, POSTMORTEM_CHANNEL=POSTMORTEMS)
    async with serve_app(build_runtime(settings)) as served:
        yield served


class Checked(SlackRequests):
    """Slack's requests, each answer checked: never a 5xx. The answers are kept: an ack's
    ephemeral text or view goes to Slack too."""

    answers: list[Any]

    async def post_raw(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = await super().post_raw(*args, **kwargs)
        assert response.status_code < 500, response.text
        if response.headers.get("content-type", "").startswith("application/json"):
            self.answers.append(response.json())
        return response


@pytest.fixture
def slack(bot: ServedBot, fake_slack: FakeSlack) -> SlackRequests:
    checked = Checked(
        bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
    )
    checked.answers = []
    return checked


# ---- what counts as live -----------------------------------------------------------------------


def strings_sent(value: Any, key: str = "") -> Iterator[str]:
    """Every string Slack would render as mrkdwn: plain_text objects and input values excluded
    (Slack shows those as typed), ids and metadata too. (Documents are checked as Markdown.)"""
    if isinstance(value, str):
        if key in ("text", "fallback", "pretext"):  # titles (canvas, file) are plain
            yield value
        return
    if isinstance(value, list):
        for item in value:
            yield from strings_sent(item, key)
        return
    if not isinstance(value, dict) or value.get("type") == "plain_text":
        return
    for name, item in value.items():
        if name in ("initial_value", "placeholder", "private_metadata", "value"):
            continue
        if name == "blocks" and isinstance(item, str):
            item = json.loads(item)
        yield from strings_sent(item, name if isinstance(item, str) else key or name)


def bot_made(token: str, channels: set[str], links: tuple[str, ...]) -> bool:
    if token.startswith("@"):
        return token[1:].split("|")[0] in PEOPLE
    if token.startswith("#"):
        return token[1:].split("|")[0] in channels
    if token.startswith("!"):
        return token.startswith("!date^")  # times rendered in each viewer's zone
    return token.split("|")[0].startswith(links)


def live_tokens(slack: SlackRequests, channels: set[str]) -> list[tuple[str, str]]:
    """Every live token the bot sent that it did not make: in Web API calls, response_url posts
    and the answers to Slack's requests (ephemeral texts, views)."""
    fake_slack = slack.fake
    # Permalinks (the fake's, and Slack's own shapes) and canvas links: the bot's own links.
    domain = f"https://{fake_slack.team_domain}.slack.com/"
    links = (domain, "https://app.slack.com/", "https://fake.slack.test/")
    sent = [(call.method, call.args) for call in fake_slack.calls]
    sent += [("answer", answer) for answer in getattr(slack, "answers", [])]
    found = []
    for method, args in sent:
        for text in strings_sent(args):
            for token in LIVE.findall(text):
                if not bot_made(token, channels, links):
                    found.append((method, token))
    return found


DOCUMENT_LIVE = re.compile(
    r"(?<!\\)<[!@#]|(?<!\\)<(?:https?|mailto):[^>]*evil|(?<!\\)\]\(<?(?:https?|mailto):[^)]*evil"
    r"|(?<!\\)!\[\]\("
)


# ---- the walk ----------------------------------------------------------------------------------


async def declare(slack: SlackRequests, fake_slack: FakeSlack, bot: ServedBot) -> Incident:
    seed_people(fake_slack)
    fake_slack.add_channel(POSTMORTEMS.lower(), channel_id=POSTMORTEMS, bot_is_member=True)
    view = await open_declare(slack, fake_slack, title=SLACK_TYPED[:140])
    too_long = form_values(title=HUGE, summary=HUGE, services=HUGE)
    refused = (await slack.view_submission(view, too_long, user_id="U0ALICE")).json()
    assert refused["response_action"] == "errors", refused
    assert not fake_slack.calls_to("conversations.create")
    values = form_values(title=TITLE, summary=HOSTILE, services=SERVICES, facilitator="U0BOB")
    response = await slack.view_submission(view, values, user_id="U0ALICE")
    assert response.json()["response_action"] == "update", response.text
    async with bot.runtime.sessions() as session:
        [incident] = list(await session.scalars(select(Incident)))
    assert incident.title == clean_text(TITLE) and incident.summary == clean_text(HOSTILE)
    assert "<!channel>" in incident.services and "nul" in incident.services
    return incident


async def shortcut(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    callback: str,
    message: dict[str, Any],
    channel: str,
) -> None:
    opened = len(fake_slack.calls_to("views.open"))
    await slack.message_action(callback, message=message, channel_id=channel, user_id="U0ALICE")
    await fake_slack.wait_for("views.open", opened + 1)


async def talk(slack: SlackRequests, fake_slack: FakeSlack, channel: str) -> dict[str, Any]:
    """Messages captured, a hand-added event, both shortcuts; returns the hostile message."""
    posted = []
    for text in (SLACK_TYPED, HUGE, "<http://evil.example|click> as a real link"):
        ts = fake_slack.add_message(channel, text=text, user="U0CAROL")
        await slack.event(slack.message_event(channel, text, user="U0CAROL", ts=ts))
        posted.append(dict(fake_slack.find_message(channel, ts) or {}))
    answer = await slack.command(f"event 09:00 {SLACK_TYPED}", channel_id=channel)
    assert "Added to INC-1" in answer.json()["text"]
    refused = await slack.command(f"event 09:00 {HUGE}", channel_id=channel)
    assert "keep an event under" in refused.json()["text"]
    for words in (
        "event <!channel> went down",
        "event 09:00 <!here>-day went down",
        "event yesterday",
        "status <!channel>",
        "severity <@U0DAVE>",
        "role <!here> <@U0BOB|bob>",
        "role commander <!channel>",
        "<!everyone> <http://evil.example|click>",
        "timeline <!channel>",
    ):
        refused = await slack.command(words, channel_id=channel)
        assert refused.json()["text"], refused.text  # a clear answer, nothing live in it
    message, huge_message, _ = posted
    assert message["text"] == SLACK_TYPED
    await shortcut(slack, fake_slack, Shortcut.ADD_TO_TIMELINE, message, channel)
    [mark_view] = [
        v for v in fake_slack.views.values() if v["callback_id"] == TimelineIds.MARK_CALLBACK
    ]
    choices = {
        TimelineIds.MARK_KIND: {
            TimelineIds.MARK_KIND: state_value("static_select", ("Detection", "detection"))
        },
        TimelineIds.MARK_NOTE: {TimelineIds.MARK_NOTE: state_value("plain_text_input", TITLE)},
    }
    await slack.view_submission(mark_view, choices, user_id="U0ALICE")
    await shortcut(slack, fake_slack, Shortcut.CREATE_ACTION_ITEM, huge_message, channel)
    await shortcut(slack, fake_slack, Shortcut.CREATE_ACTION_ITEM, message, channel)
    [*_, create] = [
        v for v in fake_slack.views.values() if v["callback_id"] == ActionIds.CREATE_CALLBACK
    ]
    state = {
        ActionIds.CREATE_TITLE: {ActionIds.CREATE_TITLE: state_value("plain_text_input", TITLE)},
        ActionIds.CREATE_OWNER: {ActionIds.CREATE_OWNER: state_value("users_select", "U0CAROL")},
        ActionIds.CREATE_DUE: {ActionIds.CREATE_DUE: state_value("datepicker", None)},
        ActionIds.CREATE_PRIORITY: {
            ActionIds.CREATE_PRIORITY: state_value("static_select", "medium")
        },
        ActionIds.CREATE_KIND: {ActionIds.CREATE_KIND: state_value("static_select", "prevent")},
    }
    response = await slack.view_submission(create, state, user_id="U0ALICE")
    assert "errors" not in response.text, response.text
    return message


async def retrospective(slack: SlackRequests, fake_slack: FakeSlack, channel: str) -> None:
    """Every step saved with hostile text; the too-long summary refused inline first."""
    await slack.command("status resolved", channel_id=channel)
    await slack.command("retro", channel_id=channel)
    [*_, update] = await fake_slack.wait_for("views.update")
    view = fake_slack.views[update.args["view_id"]]
    refused, _ = await submit(slack, fake_slack, view, summary_values(summary=HUGE))
    assert refused["response_action"] == "errors" and Retro.SUMMARY in refused["errors"]
    _, view = await submit(
        slack, fake_slack, view, summary_values(summary=HOSTILE, impact=HOSTILE, detection=HOSTILE)
    )
    none = {"detection": None, "mitigation": None, "resolution": None}
    _, view = await submit(slack, fake_slack, view, timeline_values(none))
    factors = [("configuration", HOSTILE, [HOSTILE, TITLE])]
    _, view = await submit(slack, fake_slack, view, factor_values(view, factors, keep_wording=True))
    _, view = await submit(slack, fake_slack, view, lesson_values(HOSTILE, HOSTILE, HOSTILE))
    # The item made from the shortcut is listed already; one more row for a new one.
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    shortcut_item = (TITLE, "U0CAROL", None, "medium", "prevent")
    too_long = [shortcut_item, (HUGE, "U0BOB", None, "high", "detect")]
    refused, _ = await submit(
        slack, fake_slack, view, action_values(view, too_long, keep_wording=True)
    )
    assert refused["response_action"] == "errors", refused
    items = [shortcut_item, (TITLE + " " + HOSTILE[:100], "U0BOB", None, "high", "detect")]
    ack, view = await submit(slack, fake_slack, view, action_values(view, items, keep_wording=True))
    assert ack.get("response_action") != "errors", ack
    await press(slack, fake_slack, view, Publish.BUTTON)
    assert retro_views(fake_slack)


async def follow_up(
    slack: SlackRequests, fake_slack: FakeSlack, bot: ServedBot, channel: str
) -> None:
    """`/postmortem action`, a won't-do reason from the assigned DM, a reminder, an escalation."""
    answer = await slack.command(f"action {ACTION_TYPED} <@U0BOB|bob>", channel_id=channel)
    assert "Action item added" in answer.json()["text"], answer.text
    refused = await slack.command(f"action {HUGE} <@U0BOB|bob>", channel_id=channel)
    assert refused.json()["text"], refused.text
    refused = await slack.command("action Fix it due <!channel>", channel_id=channel)
    assert refused.json()["text"], refused.text
    async with bot.runtime.sessions() as session:
        items = list(await session.scalars(select(ActionItem).order_by(ActionItem.id)))
        incident = await session.get(Incident, items[0].incident_id)
    assert incident is not None and all(len(item.title) <= 300 for item in items)
    dm_calls = await fake_slack.wait_for("chat.postMessage", 1)
    dms = [c for c in dm_calls if str(c.args.get("channel", "")).startswith(("U0BOB", "D"))]
    assert dms, "no assigned DM was sent"
    item = items[-1]
    dm = next(
        dict(m, channel=ch.id)
        for ch in fake_slack.channels.values()
        for m in ch.messages
        if str(item.id) in json.dumps(m.get("blocks") or [])
        and controls_block_id(item.id) in json.dumps(m.get("blocks") or [])
    )
    await slack.block_action(
        FollowUp.WONT_DO,
        value=str(item.id),
        block_id=controls_block_id(item.id),
        message=dm,
        channel_id=dm["channel"],
        user_id="U0BOB",
    )
    [*_, modal] = [
        v for v in fake_slack.views.values() if v["callback_id"] == FollowUp.WONT_DO_CALLBACK
    ]
    for reason, refused_inline in ((HUGE, True), (HOSTILE, False)):
        state = {
            FollowUp.WONT_DO_REASON: {
                FollowUp.WONT_DO_REASON: state_value("plain_text_input", reason)
            }
        }
        response = await slack.view_submission(modal, state, user_id="U0BOB")
        assert ("errors" in response.text) is refused_inline, response.text
    today = date.today()
    for sent in (
        reminder_message(
            recipient_id="U0BOB",
            entries=[(i, incident) for i in items],
            today=today,
            now=incident.started_at,
            hours=WorkingHours(tz="UTC"),
        ),
        escalation_message(
            item=items[0], incident=incident, working_days_late=3, today=today, now=utcnow()
        ),
    ):
        text, blocks = sent
        await bot.runtime.app.client.chat_postMessage(channel="U0BOB", text=text, blocks=blocks)
    digest = await post_team_digest(
        sessions=bot.runtime.sessions,
        client=bot.runtime.app.client,
        team_id=TEAM_ID,
        channel=POSTMORTEMS,
        period=iso_period(utcnow()),
        now=utcnow(),
    )
    assert digest.skipped is None, digest


async def test_hostile_text_is_stored_and_nothing_people_typed_goes_out_live(
    slack: SlackRequests, fake_slack: FakeSlack, bot: ServedBot
) -> None:
    incident = await declare(slack, fake_slack, bot)
    channel = str(incident.channel_id)
    await talk(slack, fake_slack, channel)
    await slack.command("timeline all", channel_id=channel)
    await retrospective(slack, fake_slack, channel)
    await follow_up(slack, fake_slack, bot, channel)

    # Stored, cleaned of what a database can't hold, otherwise as typed.
    async with bot.runtime.sessions() as session:
        retro = await session.scalar(select(Retrospective))
        factor = await session.scalar(select(ContributingFactor))
        events = list(await session.scalars(select(TimelineEvent)))
        marks = list(await session.scalars(select(TimelineMark)))
        items = list(await session.scalars(select(ActionItem)))
    cleaned = clean_text(HOSTILE)
    assert retro is not None and retro.published_at is not None
    assert (retro.summary, retro.customer_impact, retro.went_well) == (cleaned,) * 3
    assert factor is not None and factor.description == cleaned
    assert factor.whys == [cleaned, clean_text(TITLE)]
    texts = {e.text for e in events}
    assert clean_text(SLACK_TYPED) in texts and HUGE in texts
    assert any(e.source == EventSource.MANUAL and e.text == clean_text(SLACK_TYPED) for e in events)
    assert any(m.note == clean_text(TITLE) for m in marks)
    assert clean_text(TITLE) in {i.title for i in items}
    assert any(i.status == ActionStatus.WONT_DO and i.wont_do_reason == cleaned for i in items)

    # Nothing went out live but what the bot made itself.
    channels = {channel, POSTMORTEMS}
    assert isinstance(slack, Checked) and len(slack.answers) > 5  # acks are checked too
    assert live_tokens(slack, channels) == []
    documents = [c["markdown"] for c in fake_slack.canvases.values()]
    documents += [(f.content or b"").decode() for f in fake_slack.files.values()]
    assert documents
    for document in documents:
        assert "\x00" not in document
        assert DOCUMENT_LIVE.findall(document) == []
        assert "RTL override" in document and "evil.example" in document  # shown, not live
    fake_slack.assert_no_rejections()


async def test_words_sent_back_by_dm_after_a_conflict_are_shown_not_live(
    slack: SlackRequests, fake_slack: FakeSlack, bot: ServedBot
) -> None:
    await seed_retro_incident(fake_slack, bot.runtime.sessions)
    alice = await open_retro(slack, fake_slack, user_id="U0ALICE")
    bob = await open_retro(slack, fake_slack, user_id="U0BOB")
    await submit(slack, fake_slack, alice, summary_values(summary="Alice's account."))
    await close(slack, bob, summary_values(summary=HOSTILE), user_id="U0BOB")
    [dm] = await fake_slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0BOB" and "evil.example" in dm.args["text"]
    assert live_tokens(slack, {CHANNEL}) == []
