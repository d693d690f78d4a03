"""`/postmortem search`: found by a word in a root cause, a title or one timeline message,
filtered, ranked, paged with "More results", scoped to the team, shown inert; bad filters and
empty searches answered in the ack. Through signed HTTP and the fake Slack, on both databases."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.ids import Search
from bot.search import postgres
from models import PostmortemState, Severity
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, validate_message_blocks
from tests.search.seed import START, TEAM_B, Story, seed
from tests.timeline_seed import seed_cached_user

INCIDENT_REF = re.compile(r"^\*INC-(\d+)\*", re.MULTILINE)


async def searched(slack: SlackRequests, fake: FakeSlack, words: str) -> dict[str, Any]:
    """The ephemeral answer (by response_url) to `/postmortem search <words>`."""
    before = len(fake.calls_to("response_url"))
    response = await slack.command(f"search {words}", channel_id="C0GENERAL")
    assert response.status_code == 200 and not response.content  # an empty ack, then the answer
    calls = await fake.wait_for("response_url", count=before + 1)
    answer = calls[-1].args
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    validate_message_blocks(answer["blocks"])
    return answer


def hit_texts(answer: dict[str, Any]) -> list[str]:
    return [
        block["text"]["text"]
        for block in answer["blocks"]
        if re.fullmatch(rf"{Search.HIT}\.\d+", block.get("block_id", ""))
    ]


def numbers(answer: dict[str, Any]) -> list[int]:
    """The INC numbers shown, in order."""
    return [int(INCIDENT_REF.match(text)[1]) for text in hit_texts(answer)]  # type: ignore[index]


def everything(answer: dict[str, Any]) -> str:
    return json.dumps(answer["blocks"]) + answer["text"]


async def test_finds_an_incident_by_a_word_only_in_its_root_cause_its_title_or_one_message(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    await seed(
        served_bot.runtime.sessions,
        Story(1, "Checkout errors", summary="Payments failed", messages=["looking", "db ok"]),
        Story(
            2,
            "Payments down",
            factors=[("A zombieworker held every pool connection", ["Nobody reaped it"])],
            document_ref="canvas:F0CANVAS2:https://app.slack.com/docs/T0TEAM1/F0CANVAS2",
        ),
        Story(3, "Marmalade queue stalled", services=["queue"]),
        Story(4, "Login slow", messages=["restarting", "the quasar cache is cold", "better now"]),
    )

    root_cause = await searched(slack, fake_slack, "zombieworker")
    assert numbers(root_cause) == [2]
    [text] = hit_texts(root_cause)
    assert "*zombieworker*" in text and "(contributing factor)" in text
    assert "Payments down" in text and "SEV2" in text and "postmortem published" in text
    links = json.dumps(root_cause["blocks"])
    assert (
        "<#C0" in links
        and "<https://app.slack.com/docs/T0TEAM1/F0CANVAS2|postmortem (canvas)>" in links
    )

    title = await searched(slack, fake_slack, "marmalade")
    assert numbers(title) == [3]
    assert "*Marmalade*" in hit_texts(title)[0] and "(title)" in hit_texts(title)[0]

    message = await searched(slack, fake_slack, "quasar")
    assert numbers(message) == [4]
    assert "*quasar* cache is cold" in hit_texts(message)[0]
    assert "(timeline)" in hit_texts(message)[0]
    # Stemmed on both databases: "connections" finds "connection".
    assert numbers(await searched(slack, fake_slack, "connections")) == [2]


async def test_filters_narrow_the_results(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    def story(
        number: int, severity: Severity, services: list[str], days: int, state: PostmortemState
    ) -> Story:
        return Story(
            number,
            f"Database failover {number}",
            severity=severity,
            services=services,
            started_at=START + timedelta(days=days),
            state=state,
        )

    await seed(
        served_bot.runtime.sessions,
        story(1, Severity.SEV1, ["checkout"], 0, PostmortemState.PUBLISHED),
        story(2, Severity.SEV2, ["payments"], 10, PostmortemState.DRAFT),
        story(3, Severity.SEV1, ["Payments", "search"], 20, PostmortemState.IN_REVIEW),
        story(4, Severity.SEV3, [], 30, PostmortemState.NONE),
        Story(5, "Checkout slow", severity=Severity.SEV1, services=["checkout"]),  # no "database"
    )

    async def found(words: str) -> set[int]:
        return set(numbers(await searched(slack, fake_slack, words)))

    assert await found("database") == {1, 2, 3, 4}
    assert await found("database severity:SEV1") == {1, 3}
    assert await found("database severity:sev1,SEV3") == {1, 3, 4}
    assert await found("database service:payments") == {2, 3}  # any case
    assert await found("database service:checkout severity:SEV1") == {1}
    assert await found("database since:2026-10-11") == {2, 3, 4}
    assert await found("database status:published") == {1}
    assert await found("database status:draft") == {2, 3}  # in review is a draft too
    assert await found("database status:none") == {4}
    assert await found("database status:none status:published") == {1, 4}


async def test_another_teams_incidents_never_appear(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    await seed(
        served_bot.runtime.sessions,
        Story(
            1,
            "Kafka lag",
            team_id=TEAM_B,
            factors=[("kafka B-ONLY", [])],
            actions=["kafka B-ONLY item"],
            messages=["kafka B-ONLY message"],
        ),
        Story(2, "Kafka lag", team_id=TEAM_B, messages=["zeppelin B-ONLY message"]),
        Story(7, "Kafka consumer stuck"),
    )
    answer = await searched(slack, fake_slack, "kafka")
    assert numbers(answer) == [7]
    assert "B-ONLY" not in everything(answer)
    nothing = await searched(slack, fake_slack, "zeppelin")  # only in the other team's timeline
    assert numbers(nothing) == [] and "No incidents or postmortems match" in nothing["text"]


async def test_slack_markup_in_a_hit_is_shown_inert(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_cached_user(sessions, "U0BOB", "bob")
    await seed(
        sessions,
        Story(1, "Flamingo <!here> outage *now*", factors=[("ostrich <@U0EVE> & co", [])]),
        Story(
            2,
            "Unrelated",
            messages=[
                "<!channel> <@U0BOB> says pelican broke <https://x.example/a|the deploy> &lt;b&gt;",
            ],
        ),
    )
    title = await searched(slack, fake_slack, "flamingo")
    shown = everything(title)
    assert "<!here>" not in shown and "&lt;!here&gt;" in shown
    factor = everything(await searched(slack, fake_slack, "ostrich"))
    assert "<@U0EVE" not in factor and "&lt;@U0EVE" in factor  # PostgreSQL ends it at "U0EVE"

    message = await searched(slack, fake_slack, "pelican")
    [text] = hit_texts(message)
    assert "<!channel>" not in text and "@channel" in text
    assert "<@U0BOB>" not in text and "@bob" in text
    assert (
        "<https://x.example/a|the deploy>" not in text
        and "the deploy (https://x.example/a)" in text
    )
    assert "*pelican*" in text and "&lt;b&gt;" in text


async def test_more_results_pages_and_replaces_the_answer(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    stories = [
        Story(n, f"Kiwi outage {n}", started_at=START + timedelta(days=n)) for n in range(1, 14)
    ]
    await seed(served_bot.runtime.sessions, *stories)
    first = await searched(slack, fake_slack, "kiwi")
    assert numbers(first) == list(range(13, 3, -1))  # equally good: the newest first
    assert first["text"].startswith("Results 1–10")
    more = button(first, Search.MORE)
    assert button(first, Search.PREVIOUS) is None

    second = await press(slack, fake_slack, more)
    assert second["replace_original"] is True and second["response_type"] == "ephemeral"
    assert numbers(second) == [3, 2, 1] and second["text"].startswith("Results 11–13")
    assert button(second, Search.MORE) is None

    back = await press(slack, fake_slack, button(second, Search.PREVIOUS))
    assert numbers(back) == numbers(first)


def button(answer: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    for block in answer["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    return None


async def press(
    slack: SlackRequests, fake: FakeSlack, element: dict[str, Any] | None
) -> dict[str, Any]:
    assert element is not None
    before = len(fake.calls_to("response_url"))
    response = await slack.block_action(
        element["action_id"],
        value=element["value"],
        block_id=Search.PAGES,
        user_id="U0ALICE",
        channel_id="C0GENERAL",
    )
    assert response.status_code == 200
    calls = await fake.wait_for("response_url", count=before + 1)
    validate_message_blocks(calls[-1].args["blocks"])
    return calls[-1].args


async def test_a_bad_filter_is_answered_in_the_ack_naming_it(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    for words, named in (
        ("database severity:SEV9", "`severity:SEV9`"),
        ("database since:yesterdayish", "`since:yesterdayish`"),
        ("database foo:bar", "`foo:bar`"),
        ("database status:lost", "`status:lost`"),
    ):
        response = await slack.command(f"search {words}", channel_id="C0GENERAL")
        answer = response.json()
        assert answer["response_type"] == "ephemeral" and named in answer["text"], answer
    assert fake_slack.calls_to("response_url") == []


async def test_no_match_says_so_and_suggests_dropping_a_filter(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    await seed(served_bot.runtime.sessions, Story(1, "Kiwi outage", severity=Severity.SEV2))
    plain = await searched(slack, fake_slack, "pomegranate")
    assert "No incidents or postmortems match *pomegranate*" in plain["text"]
    assert "dropping a filter" not in plain["text"]
    filtered = await searched(slack, fake_slack, "kiwi severity:SEV4 since:2026-01-01")
    assert numbers(filtered) == []
    assert "Try dropping a filter: `severity:SEV4` `since:2026-01-01`" in filtered["text"]
    assert numbers(await searched(slack, fake_slack, "kiwi since:2026-01-01")) == [1]


async def test_a_title_or_factor_hit_outranks_timeline_messages(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    await seed(
        served_bot.runtime.sessions,
        Story(
            1,
            "Noisy channel",
            messages=["walrus walrus walrus", "walrus again", "walrus!"],
            started_at=START + timedelta(days=9),
        ),
        Story(2, "Walrus migration stalled", started_at=START),
        Story(3, "Payments", factors=[("The walrus job took the lock", [])], started_at=START),
        Story(4, "Login", messages=["one walrus"], started_at=START + timedelta(days=8)),
    )
    ranked = numbers(await searched(slack, fake_slack, "walrus"))
    assert set(ranked[:2]) == {2, 3} and ranked[2:] == [1, 4]


async def test_no_words_shows_how_to_search(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    for text in ("search", "search   ", "search severity:SEV1"):
        answer = (await slack.command(text, channel_id="C0GENERAL")).json()
        assert answer["response_type"] == "ephemeral"
        assert "/postmortem search <words> [filters]" in answer["text"]
        assert "`severity:SEV1`" in answer["text"] and "`since:2026-09-01`" in answer["text"]
    assert fake_slack.calls_to("response_url") == []


async def test_a_captured_message_is_found_then_edited_and_deleted_away(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    fake_slack.add_user("U0BOB", name="bob")
    channel = fake_slack.add_channel("inc-narwhal", members=["U0BOB"], bot_is_member=True)
    await seed(served_bot.runtime.sessions, Story(5, "Cache cold", channel=channel))
    said = slack.message_event(channel, "the narwhal cluster is flapping", user="U0BOB")
    assert (await slack.event(said)).status_code == 200  # committed (and indexed) by now
    assert numbers(await searched(slack, fake_slack, "narwhal")) == [5]

    edit = slack.message_changed_event(
        channel, ts=said["ts"], text="the orca cluster", user="U0BOB"
    )
    assert (await slack.event(edit)).status_code == 200
    assert numbers(await searched(slack, fake_slack, "narwhal")) == []
    assert numbers(await searched(slack, fake_slack, "orca")) == [5]

    gone = slack.message_deleted_event(channel, ts=said["ts"], user="U0BOB")
    assert (await slack.event(gone)).status_code == 200
    assert numbers(await searched(slack, fake_slack, "orca")) == []


async def test_a_word_common_in_messages_walks_timeline_incidents_newest_first(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PostgreSQL counts matching messages per incident only for a word found in fewer than
    # COMMON_MESSAGES of them (COMMON_MESSAGES_FILTERED with a filter); lowered here so four
    # messages make the word common.
    monkeypatch.setattr(postgres, "COMMON_MESSAGES", 3)
    monkeypatch.setattr(postgres, "COMMON_MESSAGES_FILTERED", 3)
    await seed(
        served_bot.runtime.sessions,
        Story(1, "Old", messages=["kiwi one", "kiwi two", "kiwi three"], started_at=START),
        Story(2, "Newer", messages=["kiwi four"], started_at=START + timedelta(days=1)),
        Story(3, "Kiwi in the title", started_at=START),
        Story(4, "Newest", messages=["kiwi five"], started_at=START + timedelta(days=2)),
        Story(5, "Quiet", messages=["nothing here"], started_at=START + timedelta(days=3)),
        Story(6, "Theirs", team_id=TEAM_B, messages=["kiwi six"], started_at=START),
    )
    ranked = numbers(await searched(slack, fake_slack, "kiwi"))
    if backend == "postgresql":
        assert ranked == [3, 4, 2, 1]  # the document first, then the timeline newest first
    else:
        assert ranked == [3, 1, 4, 2]  # the document first, then the most matching messages
    filtered = numbers(await searched(slack, fake_slack, "kiwi severity:SEV2"))
    assert filtered == (ranked if backend == "postgresql" else [3, 1, 4, 2])
    assert numbers(await searched(slack, fake_slack, "kiwi severity:SEV1")) == []
