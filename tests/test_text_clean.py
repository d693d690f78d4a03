"""Text a database cannot store (NUL, lone surrogates, other control characters) is cleaned where
it enters, the same on SQLite and PostgreSQL: a message, an edit, a command and a declaration
carrying a NUL are stored, never answered with a 500 and lost."""

from __future__ import annotations

from sqlalchemy import select

from bot.text_clean import clean_strings, clean_text
from bot.timeline.messages import captured_from_slack
from models import EventSource, Incident
from tests.conftest import TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.incidents.test_declare import declare_via_slack, seed_people
from tests.timeline.test_backfill import backfill
from tests.timeline_seed import events_of, seed_incident

NUL = "\x00"

# ---- the cleaner ------------------------------------------------------------------------------


def test_nul_and_invisible_controls_are_dropped_and_layout_is_kept() -> None:
    assert clean_text(f"db{NUL}-1\x07 down\x1b[0m\x7f") == "db-1 down[0m"
    assert clean_text("line one\n\tline two\r\n") == "line one\n\tline two\r\n"


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert clean_text("emoji 🔥 and RTL \u202e stay") == "emoji 🔥 and RTL \u202e stay"


def test_every_string_of_a_payload_is_cleaned_in_place() -> None:
    body = {"event": {"text": f"x{NUL}y", "blocks": [{"text": f"{NUL}z"}], "n": 3, "ok": None}}
    assert clean_strings(body) is body
    assert body == {"event": {"text": "xy", "blocks": [{"text": "z"}], "n": 3, "ok": None}}


def test_a_message_read_back_from_the_web_api_is_cleaned() -> None:
    message = {
        "ts": "1700000000.000100",
        "user": "U0ALICE",
        "text": f"rolled{NUL} back",
        "files": [{"name": f"log{NUL}.txt", "title": "t", "permalink": "https://x"}],
    }
    captured = captured_from_slack(
        message, team_id=TEAM_ID, channel_id="C1", bot_user_id="U0BOT", bot_id="B0BOT"
    )
    assert captured is not None
    assert (captured.text, captured.files[0]["name"]) == ("rolled back", "log.txt")


# ---- end to end, on both databases ------------------------------------------------------------


async def test_a_message_and_its_edit_with_nul_are_stored(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = fake_slack.add_channel("inc-nul", bot_is_member=True)
    await seed_incident(sessions, channel)
    event = slack.message_event(channel, f"db-1{NUL} refuses connections", user="U0ALICE")
    assert (await slack.event(event)).status_code == 200
    edit = slack.message_changed_event(
        channel, ts=event["ts"], text=f"db-1 refuses{NUL} connections (fixed)", user="U0ALICE"
    )
    assert (await slack.event(edit)).status_code == 200
    [stored] = await events_of(sessions)
    assert stored.text == "db-1 refuses connections (fixed)" and stored.edited_at is not None
    # JSON may carry a lone surrogate, which no database driver can encode.
    broken = slack.message_event(channel, "half an emoji \ud83d here", user="U0ALICE")
    assert (await slack.event(broken)).status_code == 200
    assert [e.text for e in await events_of(sessions)][-1] == "half an emoji \ufffd here"


async def test_a_command_with_nul_is_stored(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    fake_slack.add_user("U0ALICE", name="alice")
    channel = fake_slack.add_channel("inc-nul-cmd", bot_is_member=True)
    await seed_incident(sessions, channel)
    response = await slack.command(
        f"event 2025-11-20 14:05 Deploy{NUL} 4512 went out", channel_id=channel, user_id="U0ALICE"
    )
    assert response.status_code == 200 and "Added to INC-1" in response.json()["text"]
    [event] = await events_of(sessions)
    assert (event.source, event.text) == (EventSource.MANUAL, "Deploy 4512 went out")


async def test_a_declaration_with_nul_in_its_title_saves_the_incident_in_its_channel(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    seed_people(fake_slack)
    done = await declare_via_slack(
        slack,
        fake_slack,
        title=f"Checkout{NUL} down",
        summary=f"p99{NUL} high \ud83d",
        services="a",
    )
    async with served_bot.runtime.sessions() as session:
        [incident] = list(await session.scalars(select(Incident)))
    assert (incident.title, incident.summary) == ("Checkout down", "p99 high \ufffd")
    [created] = fake_slack.calls_to("conversations.create")
    assert incident.channel_id in done and not fake_slack.calls_to("conversations.archive")
    assert incident.channel_id == fake_slack.channels[incident.channel_id].id
    assert created.args["name"].endswith("checkout-down")


async def test_backfilled_history_with_nul_is_stored(
    fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    channel = fake_slack.add_channel("inc-nul-history", bot_is_member=True)
    incident = await seed_incident(sessions, channel)
    fake_slack.add_message(channel, text=f"before{NUL} the channel was ours", user="U0ALICE")
    assert await backfill(fake_slack, sessions, incident.id, channel) == 1
    [event] = await events_of(sessions)
    assert event.text == "before the channel was ours"
