"""Similar past incidents: the scoring and its threshold (pure), the message and the step's list
(pure Block Kit), and end to end: posted after a declare (signed HTTP, the fake Slack, both
databases), never for an unrelated declare or from another team, shown in the retrospective's
contributing-factors step, and a failed post that leaves the declare standing."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import Retro
from bot.insights.similar import (
    TEXT_ALONE,
    Doc,
    OpenItem,
    PastFactor,
    SimilarIncident,
    rank,
    stem,
)
from bot.slack import SERVER_ERROR_RETRIES
from bot.ui.similar import TITLE, similar_message, step_blocks
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Retrospective,
    Severity,
)
from tests.conftest import TEAM_ID, ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, validate_message_blocks
from tests.incidents.test_declare import declare_via_slack, seed_people
from tests.retro.test_retro import lesson_values, open_retro, press, rows_of, view_text
from tests.timeline_seed import Sessions

OTHER_TEAM = "T0TEAM2"
PAST_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CANVAS_LINK = "https://hindsight-test.slack.com/docs/T0TEAM1/F0CANVAS1"
PAST_FACTOR = "The connection pool limit was set below peak traffic."
OPEN_ITEM = "Alert on pool saturation"
DONE_ITEM = "Raise the pool limit"


def doc(key: int, title: str, summary: str = "", services: tuple[str, ...] = ()) -> Doc:
    return Doc(key, title, summary, services)


# ---- scoring (pure) ----------------------------------------------------------------------------


def test_words_are_compared_by_their_stems() -> None:
    assert {stem(w) for w in ("timeouts", "timeout", "timed", "time")} == {"timeout", "tim"}
    assert len({stem(w) for w in ("failing", "failed", "failure", "fails")}) == 1
    assert stem("latencies") == stem("latency")
    assert stem("connections") == stem("connecting") == stem("connected")
    assert stem("stopped") == stem("stopping") == "stop"
    assert stem("status") == "status" and stem("dns") == "dns"  # not plurals


def test_a_shared_service_and_similar_words_rank_first_and_unrelated_ones_never_show() -> None:
    query = doc(9, "Checkout latency above 5s", "p99 latency on checkout", ("checkout",))
    candidates = [
        doc(1, "Checkout latency spike", "p99 latency high after deploy", ("checkout",)),
        doc(2, "Login page blank", "SSO provider outage", ("sso",)),
        doc(3, "Nightly report late", "batch job stuck", ("reports",)),
        doc(4, "Search index stale", "indexer crashed", ("search",)),
    ]
    [match] = rank(query, candidates)
    assert match.key == 1 and match.shared_services == ("checkout",)
    assert match.text_score > TEXT_ALONE


def test_text_alone_counts_when_the_words_are_close() -> None:
    """Decided: no shared service (none given, or a renamed one), but the same title words and
    what-happened text: still a similar incident."""
    query = doc(9, "Checkout latency above 5s", "p99 latency on checkout for EU customers")
    close = doc(1, "Checkout latency spike", "p99 latency high for EU customers", ("web",))
    [match] = rank(query, [close])
    assert match.key == 1 and match.shared_services == ()
    assert match.text_score >= TEXT_ALONE


def test_one_shared_word_without_a_shared_service_is_not_a_match() -> None:
    query = doc(9, "Checkout errors", "", ("checkout",))
    assert rank(query, [doc(1, "Login errors", "", ("sso",))]) == []
    assert rank(doc(9, "API down"), [doc(1, "Website down")]) == []


def test_a_shared_service_counts_even_with_unrelated_words_but_ranks_below_both() -> None:
    """Decided: the same service is a match on its own (a new incident on checkout should not
    start from zero), ranked below an incident that shares the service and the words."""
    query = doc(9, "Checkout latency above 5s", "p99 latency", ("checkout", "payments"))
    same_service_only = doc(5, "Card form shows a blank page", "CSS bundle missing", ("Checkout",))
    both = doc(2, "Checkout latency spike", "p99 latency high", ("checkout",))
    matches = rank(query, [same_service_only, both])
    assert [m.key for m in matches] == [2, 5]
    assert matches[1].text_score == 0 and matches[1].shared_services == ("checkout",)


def test_at_most_three_the_newest_first_on_a_tie() -> None:
    query = doc(20, "Queue backlog", "", ("queue",))
    same = [doc(n, "Unrelated words here", "", ("queue",)) for n in range(1, 8)]
    assert [m.key for m in rank(query, same)] == [7, 6, 5]


def test_services_match_whatever_their_case_and_spacing() -> None:
    query = doc(9, "x", "", ("Payments API",))
    [match] = rank(query, [doc(1, "y", "", ("payments  api",))])
    assert match.shared_services == ("payments api",)


def test_nothing_to_compare_gives_nothing() -> None:
    assert rank(doc(9, "The", "a an of"), [doc(1, "The", "of a")]) == []
    assert rank(doc(9, "Checkout latency"), []) == []


# ---- Block Kit (pure) --------------------------------------------------------------------------


def past(**overrides: Any) -> SimilarIncident:
    values: dict[str, Any] = {
        "ref": "INC-4",
        "title": "Checkout <!channel> latency & more",
        "started_at": PAST_START,
        "channel_id": "C0PAST",
        "published": True,
        "postmortem_link": CANVAS_LINK,
        "shared_services": ("checkout",),
        "factors": (PastFactor("configuration", "Pool set <@U0BOB> too low"),),
        "open_items": (OpenItem("Alert <!here> on saturation", date(2026, 4, 1)),),
        "open_count": 3,
    }
    return SimilarIncident(**(values | overrides))


def test_the_message_names_each_incident_with_its_factors_open_items_and_links_inert() -> None:
    text, blocks = similar_message([past()])
    shown = json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)
    assert text.startswith(f"{TITLE}: INC-4")
    assert blocks[0].to_dict()["text"]["text"] == TITLE
    assert "INC-4 · Checkout &lt;!channel&gt; latency &amp; more" in shown
    assert "<#C0PAST>" in shown and f"<{CANVAS_LINK}|postmortem>" in shown
    assert "_Configuration_: Pool set &lt;@U0BOB&gt; too low" in shown
    assert "Alert &lt;!here&gt; on saturation (due 2026-04-01)" in shown
    assert "…and 2 more" in shown and "Same service: checkout" in shown
    assert "<!channel>" not in text + shown and "<!here>" not in shown and "<@U0BOB>" not in shown
    assert validate_message_blocks([block.to_dict() for block in blocks]) == []


def test_a_link_that_is_not_slacks_https_is_not_made_live() -> None:
    _, blocks = similar_message([past(postmortem_link="javascript:alert(1)|x")])
    shown = json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)
    assert "javascript" not in shown and "postmortem published" in shown


def test_the_step_shows_nothing_without_similar_incidents() -> None:
    assert step_blocks([]) == []
    assert len(step_blocks([past(), past(ref="INC-2")])) == 4


# ---- end to end --------------------------------------------------------------------------------


async def seed_past(
    sessions: Sessions,
    *,
    team_id: str = TEAM_ID,
    number: int = 1,
    title: str = "Checkout latency spike",
    summary: str = "p99 latency above 4 s on checkout",
    services: tuple[str, ...] = ("checkout",),
    channel_id: str = "C0PAST1",
) -> Incident:
    """An earlier, resolved incident with a published retro: two factors, one open item and
    one done."""
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=team_id,
            number=number,
            title=title,
            summary=summary,
            severity=Severity.SEV2,
            status=IncidentStatus.RESOLVED,
            postmortem_state=PostmortemState.PUBLISHED,
            channel_id=channel_id,
            declared_by="U0ALICE",
            services=list(services),
            started_at=PAST_START,
        )
        session.add(incident)
        await session.flush()
        retro = Retrospective(
            team_id=team_id,
            incident_id=incident.id,
            summary="what happened",
            published_at=PAST_START + timedelta(days=3),
            document_ref=f"canvas:F0CANVAS1:{CANVAS_LINK}",
        )
        session.add(retro)
        await session.flush()
        for position, (category, text) in enumerate(
            [
                (FactorCategory.CONFIGURATION, PAST_FACTOR),
                (FactorCategory.MONITORING_GAP, "Pool saturation had no alert."),
            ]
        ):
            session.add(
                ContributingFactor(
                    team_id=team_id,
                    retrospective_id=retro.id,
                    position=position,
                    category=category,
                    description=text,
                )
            )
        for title_, status in ((OPEN_ITEM, ActionStatus.OPEN), (DONE_ITEM, ActionStatus.DONE)):
            session.add(
                ActionItem(
                    team_id=team_id,
                    incident_id=incident.id,
                    title=title_,
                    status=status,
                    created_by="U0ALICE",
                )
            )
    return incident


async def after_declare(served_bot: ServedBot) -> None:
    """Until the work the declare left running after its answer is done."""
    pending = served_bot.runtime.backfills.running()
    if pending:
        _, still = await asyncio.wait(pending, timeout=15)
        assert not still


async def declared(served_bot: ServedBot, number: int) -> Incident:
    async with served_bot.runtime.sessions() as session:
        found = await session.scalar(
            select(Incident).where(Incident.team_id == TEAM_ID, Incident.number == number)
        )
    assert found is not None and found.channel_id is not None
    return found


def similar_posts(fake_slack: FakeSlack, channel_id: str) -> list[dict[str, Any]]:
    messages = fake_slack.channels[channel_id].messages
    return [m for m in messages if str(m.get("text", "")).startswith(TITLE)]


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    seed_people(fake_slack)


async def test_a_declare_on_the_same_service_posts_the_earlier_incident_with_what_it_found(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    await seed_past(sessions)
    await seed_past(  # another team's twin: never shown
        sessions, team_id=OTHER_TEAM, title="B-ONLY checkout latency", channel_id="C0OTHER"
    )
    await declare_via_slack(
        slack, fake_slack, title="Checkout errors for EU", services="checkout, payments-api"
    )
    await after_declare(served_bot)
    incident = await declared(served_bot, 2)
    [post] = similar_posts(fake_slack, incident.channel_id or "")
    shown = post["text"] + json.dumps(post["blocks"], ensure_ascii=False)
    assert "INC-1" in shown and "Checkout latency spike" in shown
    assert PAST_FACTOR in shown and OPEN_ITEM in shown
    assert DONE_ITEM not in shown and "B-ONLY" not in shown
    assert "<#C0PAST1>" in shown and CANVAS_LINK in shown
    messages = fake_slack.channels[incident.channel_id or ""].messages
    assert messages.index(post) > 0  # after the pinned header
    assert incident.header_ts in fake_slack.channels[incident.channel_id or ""].pins


async def test_the_declare_is_answered_while_the_post_still_waits_on_slack(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    await seed_past(served_bot.runtime.sessions)
    gate = fake_slack.hold("chat.postMessage", let_through=1)  # the header goes, then we wait
    try:
        done = await declare_via_slack(slack, fake_slack, title="Checkout errors for EU")
        assert "INC-2" in done  # the outcome itself, not "still working"
        await fake_slack.wait_held("chat.postMessage")
        incident = await declared(served_bot, 2)
        assert similar_posts(fake_slack, incident.channel_id or "") == []
    finally:
        gate.set()
    await after_declare(served_bot)
    assert len(similar_posts(fake_slack, incident.channel_id or "")) == 1


async def test_reviewing_an_existing_channel_posts_them_too(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    await seed_past(served_bot.runtime.sessions)
    channel = fake_slack.add_channel("checkout-war-room", members=["U0ALICE"])
    await declare_via_slack(slack, fake_slack, channel_id=channel, channel="review")
    await after_declare(served_bot)
    [post] = similar_posts(fake_slack, channel)
    assert "INC-1" in post["text"]


async def test_an_unrelated_declare_posts_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    await seed_past(served_bot.runtime.sessions)
    await declare_via_slack(
        slack,
        fake_slack,
        title="Login page blank",
        summary="Users see an empty page after SSO sign-in",
        services="sso",
    )
    await after_declare(served_bot)
    incident = await declared(served_bot, 2)
    assert similar_posts(fake_slack, incident.channel_id or "") == []
    assert len(fake_slack.channels[incident.channel_id or ""].messages) == 1  # the header only


async def test_another_teams_incidents_are_never_similar(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    await seed_past(served_bot.runtime.sessions, team_id=OTHER_TEAM, number=1)
    await declare_via_slack(slack, fake_slack, title="Checkout latency spike")
    await after_declare(served_bot)
    incident = await declared(served_bot, 1)
    assert similar_posts(fake_slack, incident.channel_id or "") == []


async def test_a_failed_post_is_retried_logged_and_the_declare_stands(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    served_bot: ServedBot,
    people: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("random.random", lambda: 0.0)  # no jitter in the client's backoff
    caplog.set_level(logging.WARNING, logger="bot.insights.similar_load")
    await seed_past(served_bot.runtime.sessions)
    fake_slack.fail("chat.postMessage", status=500, times=None)  # Slack can't post at all
    await declare_via_slack(slack, fake_slack, title="Checkout errors for EU")
    await after_declare(served_bot)
    incident = await declared(served_bot, 2)
    attempts = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if str(call.args.get("text", "")).startswith(TITLE)
    ]
    assert len(attempts) == 1 + SERVER_ERROR_RETRIES
    assert f"could not post similar incidents for {incident.ref}" in caplog.text


# ---- the contributing-factors step -------------------------------------------------------------


async def seed_current(
    sessions: Sessions, *, services: list[str], done: tuple[str, ...] = ("summary", "timeline")
) -> Incident:
    """INC-2 in C0INC, its retro at the step after `done` (the contributing factors)."""
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=2,
            title="Checkout errors for EU",
            summary="Payments failed",
            severity=Severity.SEV2,
            channel_id="C0INC",
            declared_by="U0ALICE",
            commander_id="U0ALICE",
            services=services,
        )
        session.add(incident)
        await session.flush()
        session.add(
            Retrospective(team_id=TEAM_ID, incident_id=incident.id, completed_steps=list(done))
        )
    return incident


async def test_the_factors_step_lists_the_same_similar_incidents(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    fake_slack.add_channel("inc-checkout", channel_id="C0INC", members=["U0ALICE"])
    await seed_past(sessions)
    await seed_past(sessions, team_id=OTHER_TEAM, title="B-ONLY checkout", channel_id="C0B")
    await seed_current(sessions, services=["checkout"])
    view = await open_retro(slack, fake_slack)
    assert json.loads(view["private_metadata"])["s"] == "factors"
    shown = view_text(view)
    assert TITLE in shown and "INC-1 · Checkout latency spike" in shown
    assert PAST_FACTOR in shown and OPEN_ITEM in shown and "B-ONLY" not in shown
    view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)  # redrawn: still listed
    assert len(rows_of(view)) == 2 and "INC-1" in view_text(view)


async def test_the_factors_step_lists_nothing_without_a_match(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    fake_slack.add_channel("inc-checkout", channel_id="C0INC", members=["U0ALICE"])
    await seed_past(sessions, title="Nightly report late", summary="batch stuck", services=())
    await seed_current(sessions, services=["checkout"])
    view = await open_retro(slack, fake_slack)
    assert json.loads(view["private_metadata"])["s"] == "factors"
    assert TITLE not in view_text(view)


async def test_back_from_the_next_step_shows_the_list_again(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, people: None
) -> None:
    sessions = served_bot.runtime.sessions
    fake_slack.add_channel("inc-checkout", channel_id="C0INC", members=["U0ALICE"])
    await seed_past(sessions)
    await seed_current(sessions, services=["checkout"], done=("summary", "timeline", "factors"))
    view = await open_retro(slack, fake_slack)
    assert json.loads(view["private_metadata"])["s"] == "lessons"
    assert TITLE not in view_text(view)  # only the factors step lists them
    view = await press(slack, fake_slack, view, Retro.BACK, state=lesson_values("a", "b", "c"))
    assert json.loads(view["private_metadata"])["s"] == "factors"
    assert "INC-1 · Checkout latency spike" in view_text(view) and PAST_FACTOR in view_text(view)
