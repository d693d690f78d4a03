"""The no-blame retrospective end to end: six step views saved one by one, Back, closing and
resuming, two editors at once, who may edit, and inline errors and blameless nudges."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ids import Retro
from bot.installation import NOT_INSTALLED
from bot.publish.shapes import duration_text
from bot.retro import draft as retro
from bot.retro.forms import SummaryForm
from bot.ui.retro_read import read_meta
from models import ActionItem, ContributingFactor, Incident, Retrospective, TimelineMark
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests, state_value
from tests.incidents.test_declare import seed_people
from tests.timeline_seed import seed_event, seed_incident, seed_mark

Sessions = async_sessionmaker[AsyncSession]
CHANNEL = "C0INC"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# ---- helpers (test_retro_limits.py uses them too) ----------------------------------------------


async def seed_retro_incident(fake_slack: FakeSlack, sessions: Sessions) -> Incident:
    """INC-1 in C0INC: declared by Alice (commander), Bob facilitates; Carol has no role."""
    seed_people(fake_slack)
    fake_slack.add_channel("inc-checkout", channel_id=CHANNEL, members=["U0ALICE", "U0BOB"])
    incident = await seed_incident(sessions, CHANNEL, started_at=START)
    async with sessions() as session, session.begin():
        stored = await session.get(Incident, incident.id)
        assert stored is not None
        stored.facilitator_id = "U0BOB"
    return incident


def retro_views(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [v for v in fake_slack.views.values() if v["callback_id"].startswith("retro.")]


async def open_retro(
    slack: SlackRequests, fake_slack: FakeSlack, *, user_id: str = "U0ALICE"
) -> dict[str, Any]:
    """Run /postmortem retro; returns the step view that replaced the loading view."""
    updates = len(fake_slack.calls_to("views.update"))
    response = await slack.command("retro", channel_id=CHANNEL, user_id=user_id)
    assert response.status_code == 200, response.text
    calls = await fake_slack.wait_for("views.update", updates + 1)
    view_id = calls[-1].args["view_id"]
    return fake_slack.views[view_id]


def values(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`{block_id: state_value}` → Slack's `{block_id: {action_id: state_value}}`."""
    return {block_id: {block_id: value} for block_id, value in entries.items()}


def text(value: str | None) -> dict[str, Any]:
    return state_value("plain_text_input", value)


def keep(ticked: bool) -> dict[str, Any]:
    return {Retro.KEEP_WORDING: state_value("checkboxes", ["keep"] if ticked else [])}


def summary_values(
    summary: str = "Checkout requests timed out for EU customers.",
    impact: str = "About 4% of EU checkouts failed for 40 minutes.",
    duration: str = "40 minutes",
    detection: str = "A latency alert on the checkout p99.",
    keep_wording: bool = False,
) -> dict[str, Any]:
    return values(
        {
            Retro.SUMMARY: text(summary),
            Retro.IMPACT: text(impact),
            Retro.DURATION: text(duration),
            Retro.DETECTION: text(detection),
            **keep(keep_wording),
        }
    )


def timeline_values(chosen: dict[str, int | None]) -> dict[str, Any]:
    blocks = {
        "detection": Retro.DETECTED_BY,
        "mitigation": Retro.MITIGATED_BY,
        "resolution": Retro.RESOLVED_BY,
    }
    return values(
        {
            blocks[kind]: state_value(
                "static_select", None if event_id is None else ("event", str(event_id))
            )
            for kind, event_id in chosen.items()
        }
    )


def rows_of(view: dict[str, Any]) -> list[str]:
    return list(json.loads(view["private_metadata"]).get("r", []))


def factor_values(
    view: dict[str, Any], factors: list[tuple[str | None, str, list[str]]], *, keep_wording: bool
) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for key, (category, description, whys) in zip(rows_of(view), factors, strict=True):
        entries[f"{Retro.FACTOR_CATEGORY}.{key}"] = state_value("static_select", category)
        entries[f"{Retro.FACTOR_DESCRIPTION}.{key}"] = text(description or None)
        entries[f"{Retro.FACTOR_WHYS}.{key}"] = text("\n".join(whys) or None)
    return values({**entries, **keep(keep_wording)})


def lesson_values(well: str, badly: str, lucky: str) -> dict[str, Any]:
    return values(
        {
            Retro.WENT_WELL: text(well),
            Retro.WENT_BADLY: text(badly),
            Retro.GOT_LUCKY: text(lucky),
            **keep(False),
        }
    )


def action_values(
    view: dict[str, Any],
    items: list[tuple[str, str | None, str | None, str, str]],
    *,
    keep_wording: bool = False,
) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for key, (title, owner, due, priority, kind) in zip(rows_of(view), items, strict=True):
        entries[f"{Retro.ACTION_TITLE}.{key}"] = {
            f"{Retro.ACTION_TITLE}.{key}": text(title or None)
        }
        entries[f"{Retro.ACTION_OWNER}.{key}"] = {
            f"{Retro.ACTION_OWNER}.{key}": state_value("users_select", owner)
        }
        entries[f"{Retro.ACTION_DUE}.{key}"] = {
            f"{Retro.ACTION_DUE}.{key}": state_value("datepicker", due)
        }
        entries[f"{Retro.ACTION_ROW}.{key}"] = {
            f"{Retro.ACTION_PRIORITY}.{key}": state_value("static_select", priority),
            f"{Retro.ACTION_KIND}.{key}": state_value("static_select", kind),
        }
    return {**entries, **values(keep(keep_wording))}


async def submit(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    view: dict[str, Any],
    state: dict[str, Any],
    *,
    user_id: str = "U0ALICE",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit a step; returns the ack and the view now shown under the same id."""
    response = await slack.view_submission(view, state, user_id=user_id)
    assert response.status_code == 200, response.text
    return response.json(), fake_slack.views[view["id"]]


async def press(
    slack: SlackRequests,
    fake_slack: FakeSlack,
    view: dict[str, Any],
    action_id: str,
    *,
    state: dict[str, Any] | None = None,
    user_id: str = "U0ALICE",
) -> dict[str, Any]:
    """Press a button in the view; returns the view after the app's views.update."""
    updates = len(fake_slack.calls_to("views.update"))
    response = await slack.block_action(
        action_id, view=view, user_id=user_id, state_values=state or {}
    )
    assert response.status_code == 200, response.text
    await fake_slack.wait_for("views.update", updates + 1)
    return fake_slack.views[view["id"]]


async def close(
    slack: SlackRequests, view: dict[str, Any], state: dict[str, Any], *, user_id: str
) -> None:
    """The person closes the modal with `state` typed in it. (`SlackRequests.view_closed` always
    sends an empty state; Slack sends what was in the inputs.)"""
    payload = slack._base("view_closed.bolt-python.json", user_id, None)
    payload["view"] = slack._view_payload(view, payload["view"], state)
    payload["is_cleared"] = False
    slack.fake.close_view(payload["view"]["id"], is_cleared=False)
    response = await slack.interactive(payload)
    assert response.status_code == 200, response.text


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def initial(view: dict[str, Any], block_id: str) -> Any:
    element = block(view, block_id)["element"]
    for key in ("initial_value", "initial_option", "initial_user", "initial_date"):
        if key in element:
            return element[key]["value"] if key == "initial_option" else element[key]
    return None


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def step_of(view: dict[str, Any]) -> str:
    return str(json.loads(view["private_metadata"])["s"])


async def draft_of(sessions: Sessions) -> Retrospective:
    async with sessions() as session:
        found = await session.scalar(select(Retrospective))
        assert found is not None
        return found


async def all_of(sessions: Sessions, model: type[Any]) -> list[Any]:
    async with sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


def future(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


GOOD_FACTORS: list[tuple[str | None, str, list[str]]] = [
    (
        "configuration",
        "The connection pool limit was set below peak traffic.",
        ["Traffic grew 3x", "Limits were set two years ago", "No review of limits exists"],
    ),
    (
        "monitoring_gap",
        "Pool saturation had no alert.",
        ["The dashboard showed it", "Nobody is paged by dashboards"],
    ),
]


@pytest.fixture
async def incident(fake_slack: FakeSlack, served_bot: ServedBot) -> Incident:
    return await seed_retro_incident(fake_slack, served_bot.runtime.sessions)


# ---- the whole walk ----------------------------------------------------------------------------


async def test_walking_all_six_steps_saves_every_field(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    alert = await seed_event(sessions, incident, START + timedelta(minutes=7), "p99 alert fired")
    rollback = await seed_event(sessions, incident, START + timedelta(minutes=25), "rolled back")
    fixed = await seed_event(sessions, incident, START + timedelta(minutes=40), "errors at zero")
    await seed_mark(sessions, alert, "detection")
    await seed_mark(sessions, rollback, "action")
    await seed_mark(sessions, fixed, "resolution")

    view = await open_retro(slack, fake_slack)
    assert view["title"]["text"] == "Retro · 1 of 6"
    assert view["notify_on_close"] is True
    assert "Step 1 of 6" in view_text(view)
    assert initial(view, Retro.SUMMARY) == "Payments failed for EU customers"  # from declare

    ack, view = await submit(slack, fake_slack, view, summary_values())
    assert ack["response_action"] == "update"
    assert view["title"]["text"] == "Retro · 2 of 6"
    assert initial(view, Retro.DETECTED_BY) == str(alert.id)  # prefilled from the marks
    assert initial(view, Retro.RESOLVED_BY) == str(fixed.id)
    assert "Time to detect: *7 min*" in view_text(view)
    chosen = {"detection": alert.id, "mitigation": rollback.id, "resolution": fixed.id}

    _, view = await submit(slack, fake_slack, view, timeline_values(chosen))
    assert step_of(view) == "factors"
    view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)  # in place, not a new modal
    assert len(rows_of(view)) == 2 and len(retro_views(fake_slack)) == 1

    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS, keep_wording=False)
    )
    assert step_of(view) == "lessons"
    _, view = await submit(
        slack,
        fake_slack,
        view,
        lesson_values("Rollback took 3 minutes", "Paging was slow", "Low traffic"),
    )
    assert step_of(view) == "actions"
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    items = [
        ("Alert on pool saturation", "U0BOB", future(14), "high", "detect"),
        ("Review pool limits quarterly", "U0CAROL", None, "low", "process"),
    ]
    _, view = await submit(slack, fake_slack, view, action_values(view, items))
    assert step_of(view) == "review" and view["title"]["text"] == "Retro · 6 of 6"
    review = view_text(view)
    for words in (
        "About 4% of EU checkouts",
        "Pool saturation had no alert",
        "Low traffic",
        "Review pool limits quarterly",
        "Time to mitigate: *25 min*",
    ):
        assert words in review
    assert view.get("submit") is None  # publishing is not part of this flow yet

    draft = await draft_of(sessions)
    assert draft.customer_impact == "About 4% of EU checkouts failed for 40 minutes."
    assert draft.duration == "40 minutes" and draft.got_lucky == "Low traffic"
    assert draft.completed_steps == ["summary", "timeline", "factors", "lessons", "actions"]
    assert draft.version == 6 and draft.last_edited_by == "U0ALICE"
    factors = await all_of(sessions, ContributingFactor)
    assert [(f.category.value, f.description, f.whys) for f in factors] == [
        (c, d, w) for c, d, w in GOOD_FACTORS
    ]
    stored = await all_of(sessions, ActionItem)
    assert [(i.title, i.owner_id, i.priority.value, i.kind.value) for i in stored] == [
        (t, o, p, k) for t, o, _, p, k in items
    ]
    assert stored[0].due_date == date.fromisoformat(future(14))
    # No due date given: the low priority's default, 14 days from the facilitator's today.
    assert stored[1].due_date is not None
    assert (stored[1].due_date - date.fromisoformat(future(0))).days in (13, 14, 15)
    # Each new owner was told at once, with the item's controls, and has a reminder schedule.
    dms = {c.args["channel"]: c.args for c in await fake_slack.wait_for("chat.postMessage", 2)}
    assert {"U0BOB", "U0CAROL"} <= dms.keys()
    assert "followup.done" in json.dumps(dms["U0CAROL"]["blocks"])
    stored = await all_of(sessions, ActionItem)
    assert all(i.next_reminder_at is not None and i.last_reminded_at for i in stored)
    async with sessions() as session:
        saved = await session.get(Incident, incident.id)
        assert saved is not None
        assert saved.mitigated_at == rollback.occurred_at
        marks = await session.scalars(
            select(TimelineMark).where(TimelineMark.reaction.like("retro:%"))
        )
        assert {(m.kind, m.event_id) for m in marks} == set(chosen.items())
    fake_slack.assert_no_rejections()


async def test_back_shows_the_previous_step_with_its_values_and_keeps_what_was_typed(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values(impact="Slow checkouts."))
    _, view = await submit(slack, fake_slack, view, {})  # nothing marked: go on without
    assert step_of(view) == "factors"
    typed = factor_values(view, [("process", "Half-typed factor", [])], keep_wording=False)
    view = await press(slack, fake_slack, view, Retro.BACK, state=typed)
    assert step_of(view) == "timeline"
    view = await press(slack, fake_slack, view, Retro.BACK)
    assert step_of(view) == "summary" and initial(view, Retro.IMPACT) == "Slow checkouts."
    factors = await all_of(served_bot.runtime.sessions, ContributingFactor)
    assert [f.description for f in factors] == ["Half-typed factor"]  # kept, not lost
    assert "factors" not in (await draft_of(served_bot.runtime.sessions)).completed_steps


async def test_closing_midway_then_reopening_resumes_at_the_first_unfinished_step(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})
    view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)
    typed = factor_values(
        view,
        [
            ("dependency", "The payment provider throttled us.", ["No backoff"]),
            (None, "No category yet", []),
        ],
        keep_wording=False,
    )
    await close(slack, view, typed, user_id="U0ALICE")
    factors = await all_of(sessions, ContributingFactor)  # saved before the ack
    assert [(f.category, f.description) for f in factors] == [
        ("dependency", "The payment provider throttled us."),
        (None, "No category yet"),
    ]

    view = await open_retro(slack, fake_slack)
    assert step_of(view) == "factors"  # summary and timeline were done
    keys = rows_of(view)
    assert (
        initial(view, f"{Retro.FACTOR_DESCRIPTION}.{keys[0]}")
        == "The payment provider throttled us."
    )
    assert initial(view, f"{Retro.FACTOR_CATEGORY}.{keys[0]}") == "dependency"
    assert initial(view, f"{Retro.FACTOR_WHYS}.{keys[0]}") == "No backoff"
    assert initial(view, f"{Retro.FACTOR_DESCRIPTION}.{keys[1]}") == "No category yet"
    view = await press(slack, fake_slack, view, Retro.BACK)
    view = await press(slack, fake_slack, view, Retro.BACK)
    assert initial(view, Retro.DETECTION) == "A latency alert on the checkout p99."
    fake_slack.assert_no_rejections()


# ---- several people ----------------------------------------------------------------------------


async def test_two_people_saving_the_same_step_the_second_is_told_and_loses_nothing(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    alice = await open_retro(slack, fake_slack, user_id="U0ALICE")
    bob = await open_retro(slack, fake_slack, user_id="U0BOB")
    await submit(slack, fake_slack, alice, summary_values(summary="Alice's account."))
    ack, shown = await submit(
        slack, fake_slack, bob, summary_values(summary="Bob's account."), user_id="U0BOB"
    )
    assert ack["response_action"] == "update"
    assert step_of(shown) == "summary"  # still on the step, with a notice
    assert (
        "<@U0ALICE> saved the draft since you opened this step"
        in block(shown, Retro.NOTICE)["text"]["text"]
    )
    assert initial(shown, Retro.SUMMARY) == "Bob's account."  # his words, unchanged
    assert "Their saved version of this step" in view_text(shown)
    assert "Alice's account." in view_text(shown)  # and hers, to merge
    assert "Last edited by <@U0ALICE>" in view_text(shown)
    assert (await draft_of(served_bot.runtime.sessions)).summary == "Alice's account."

    _, shown = await submit(
        slack, fake_slack, shown, summary_values(summary="Bob's account."), user_id="U0BOB"
    )
    assert step_of(shown) == "timeline"  # saved on purpose the second time
    assert (await draft_of(served_bot.runtime.sessions)).summary == "Bob's account."


async def test_closing_a_stale_step_sends_the_words_by_dm_instead_of_overwriting(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    alice = await open_retro(slack, fake_slack, user_id="U0ALICE")
    bob = await open_retro(slack, fake_slack, user_id="U0BOB")
    await submit(slack, fake_slack, alice, summary_values(summary="Alice's account."))
    typed = summary_values(summary="Bob's unsaved paragraph.")
    await close(slack, bob, typed, user_id="U0BOB")
    dm = (await fake_slack.wait_for("chat.postMessage"))[-1].args
    assert dm["channel"] == "U0BOB" and "Bob's unsaved paragraph." in dm["text"]
    assert (await draft_of(served_bot.runtime.sessions)).summary == "Alice's account."


async def test_someone_without_a_role_can_read_but_not_save(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    alice = await open_retro(slack, fake_slack)
    await submit(slack, fake_slack, alice, summary_values(summary="What Alice wrote."))
    carol = await open_retro(slack, fake_slack, user_id="U0CAROL")
    assert carol["callback_id"] == Retro.READ and carol.get("submit") is None
    assert "What Alice wrote." in view_text(carol)
    assert "<@U0ALICE>, <@U0BOB> can edit it" in view_text(carol)

    # Alice's first step view, submitted by Carol: refused on the field, the view stays open.
    response = await slack.view_submission(alice, summary_values(), user_id="U0CAROL")
    errors = response.json()["errors"]
    assert "Only the declarer, the facilitator and the commander" in errors[Retro.SUMMARY]
    assert (await draft_of(served_bot.runtime.sessions)).summary == "What Alice wrote."


# ---- checks ------------------------------------------------------------------------------------


async def test_bad_input_gets_an_inline_error_on_the_field(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await open_retro(slack, fake_slack)
    ack, _ = await submit(slack, fake_slack, view, summary_values(summary="", impact="  "))
    assert set(ack["errors"]) == {Retro.SUMMARY, Retro.IMPACT}
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})

    keys = rows_of(view)
    ack, _ = await submit(
        slack, fake_slack, view, factor_values(view, [(None, "", ["a why"])], keep_wording=True)
    )
    assert set(ack["errors"]) == {
        f"{Retro.FACTOR_CATEGORY}.{keys[0]}",
        f"{Retro.FACTOR_DESCRIPTION}.{keys[0]}",
    }
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS[:1], keep_wording=False)
    )
    _, view = await submit(slack, fake_slack, view, lesson_values("a", "b", "c"))
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    first, second, third = rows_of(view)
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    bad = [
        ("Add a pool alert", "U0BOB", yesterday, "high", "detect"),
        ("Document limits", "U0NOBODY", None, "low", "process"),
        ("", None, None, "medium", "prevent"),  # an empty row is no item
    ]
    ack, _ = await submit(slack, fake_slack, view, action_values(view, bad))
    assert ack["errors"][f"{Retro.ACTION_DUE}.{first}"] == "Pick a due date from today on."
    assert "not a user" in ack["errors"][f"{Retro.ACTION_OWNER}.{second}"]
    assert set(ack["errors"]) == {f"{Retro.ACTION_DUE}.{first}", f"{Retro.ACTION_OWNER}.{second}"}
    assert await all_of(served_bot.runtime.sessions, ActionItem) == []
    assert third
    fake_slack.assert_no_rejections()


async def test_blame_wording_and_a_single_why_get_a_nudge_that_can_be_overridden(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await open_retro(slack, fake_slack)
    blaming = summary_values(summary="Checkout failed because bob was careless with the config.")
    ack, _ = await submit(slack, fake_slack, view, blaming)
    assert ack["response_action"] == "errors"
    assert "Keep my wording" in ack["errors"][Retro.SUMMARY]
    systemic = summary_values(summary="The disk controller fault took the primary down.")
    _, view = await submit(slack, fake_slack, view, systemic)  # a technical fault is fine
    assert step_of(view) == "timeline"
    _, view = await submit(slack, fake_slack, view, {})

    shallow = [("capacity", "The pool was too small.", ["Traffic grew"])]
    ack, _ = await submit(slack, fake_slack, view, factor_values(view, shallow, keep_wording=False))
    key = rows_of(view)[0]
    assert f"{Retro.FACTOR_WHYS}.{key}" in ack["errors"]
    _, view = await submit(slack, fake_slack, view, factor_values(view, shallow, keep_wording=True))
    assert step_of(view) == "lessons"  # kept on purpose

    view = await press(slack, fake_slack, view, Retro.BACK)
    view = await press(slack, fake_slack, view, Retro.BACK)
    view = await press(slack, fake_slack, view, Retro.BACK)
    _, view = await submit(slack, fake_slack, view, {**blaming, **values(keep(True))})
    assert (await draft_of(served_bot.runtime.sessions)).summary.endswith(
        "careless with the config."
    )


async def test_remove_buttons_drop_a_row_in_place_and_saving_deletes_the_item(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})
    view = await press(slack, fake_slack, view, Retro.FACTOR_ADD)
    typed = factor_values(view, GOOD_FACTORS, keep_wording=False)
    first, second = rows_of(view)
    view = await press(slack, fake_slack, view, f"{Retro.FACTOR_REMOVE}.{first}", state=typed)
    assert rows_of(view) == [second]  # the other row keeps what was typed in it
    assert initial(view, f"{Retro.FACTOR_DESCRIPTION}.{second}") == GOOD_FACTORS[1][1]
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS[1:], keep_wording=False)
    )
    _, view = await submit(slack, fake_slack, view, lesson_values("a", "b", "c"))
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    items = [
        ("Alert on pool saturation", "U0BOB", None, "high", "detect"),
        ("Review pool limits", "U0ALICE", None, "low", "process"),
    ]
    _, review = await submit(slack, fake_slack, view, action_values(view, items))
    view = await press(slack, fake_slack, review, Retro.BACK)
    saved = await all_of(sessions, ActionItem)
    keys = rows_of(view)
    assert keys == [f"i{item.id}" for item in saved]
    view = await press(
        slack,
        fake_slack,
        view,
        f"{Retro.ACTION_REMOVE}.{keys[0]}",
        state=action_values(view, items),
    )
    assert rows_of(view) == [keys[1]]
    await submit(slack, fake_slack, view, action_values(view, items[1:]))
    assert [item.title for item in await all_of(sessions, ActionItem)] == ["Review pool limits"]
    assert [f.description for f in await all_of(sessions, ContributingFactor)] == [
        GOOD_FACTORS[1][1]
    ]
    fake_slack.assert_no_rejections()


async def test_items_given_to_someone_else_in_the_retro_tell_them_and_restart_their_reminders(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    sessions = served_bot.runtime.sessions
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS[:1], keep_wording=False)
    )
    _, view = await submit(slack, fake_slack, view, lesson_values("a", "b", "c"))
    items = [("Alert on pool saturation", "U0BOB", future(20), "high", "detect")]
    _, review = await submit(slack, fake_slack, view, action_values(view, items))
    await fake_slack.wait_for("chat.postMessage", 1)
    [first] = await all_of(sessions, ActionItem)
    assert first.owner_id == "U0BOB" and first.next_reminder_at is not None
    async with sessions() as session:  # Bob was nudged once already
        stored = await session.get(ActionItem, first.id)
        assert stored is not None
        stored.overdue_nudges, stored.reminder_count = 2, 3
        await session.commit()

    # Back to the items: Carol takes it over, with a later due date.
    view = await press(slack, fake_slack, review, Retro.BACK)
    moved = [("Alert on pool saturation", "U0CAROL", future(30), "high", "detect")]
    await submit(slack, fake_slack, view, action_values(view, moved))
    dms = await fake_slack.wait_for("chat.postMessage", 2)
    assert [dm.args["channel"] for dm in dms] == ["U0BOB", "U0CAROL"]
    [item] = await all_of(sessions, ActionItem)
    assert (item.owner_id, item.overdue_nudges, item.reminder_count) == ("U0CAROL", 0, 3)
    assert item.next_reminder_at is not None and item.next_reminder_at > first.next_reminder_at

    # Saving again unchanged tells nobody twice.
    view = await press(slack, fake_slack, fake_slack.views[view["id"]], Retro.BACK)
    await submit(slack, fake_slack, view, action_values(view, moved))
    await served_bot.idle()  # the save's listener has finished: whatever it told was sent
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


async def test_retro_outside_an_incident_channel_says_how_to_declare(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot
) -> None:
    seed_people(fake_slack)
    response = await slack.command("retro", channel_id="C0GENERAL", user_id="U0ALICE")
    assert response.status_code == 200
    update = (await fake_slack.wait_for("views.update"))[-1].args
    shown = fake_slack.views[update["view_id"]]
    assert "isn't an incident channel" in view_text(shown)
    assert "/postmortem declare" in view_text(shown)


# ---- the service on its own ----------------------------------------------------------------------


async def test_two_saves_racing_from_the_same_version_let_exactly_one_win(
    sessions: Sessions,
) -> None:
    incident = await seed_incident(sessions, CHANNEL, started_at=START)
    async with sessions() as session:
        await retro.open_draft(session=session, team_id=incident.team_id, channel_id=CHANNEL)
        await session.commit()

    async def save(words: str) -> str:
        async with sessions() as session:
            draft = await retro.load_draft(
                session=session, team_id=incident.team_id, incident_id=incident.id
            )
            try:
                await retro.save_step(
                    session=session,
                    draft=draft,
                    form=SummaryForm(summary=words, impact="i"),
                    user_id="U0ALICE",
                    expected_version=1,
                    complete=True,
                    now=datetime.now(UTC),
                )
                await session.commit()
            except retro.DraftChangedError:
                await session.rollback()
                return "told"
            return "saved"

    outcomes = await asyncio.gather(save("first"), save("second"))
    assert sorted(outcomes) == ["saved", "told"]
    draft = await draft_of(sessions)
    assert draft.version == 2
    assert draft.summary == ("first" if outcomes[0] == "saved" else "second")


def test_durations_read_as_people_say_them() -> None:
    assert duration_text(None) == "—"
    assert duration_text(timedelta(minutes=7)) == "7 min"
    assert duration_text(timedelta(hours=2)) == "2 h"
    assert duration_text(timedelta(days=1, hours=3, minutes=5)) == "1 d 3 h 5 min"
    assert duration_text(timedelta(seconds=20)) == "0 min"


def test_a_view_that_is_not_a_retro_step_reads_as_none() -> None:
    assert read_meta({"private_metadata": "not json"}) is None
    assert read_meta({"private_metadata": json.dumps({"i": 1, "v": 1, "s": "nope"})}) is None
    meta = read_meta(
        {"private_metadata": json.dumps({"i": 3, "v": 4, "s": "actions", "r": ["n1"]})}
    )
    assert meta is not None and (meta.incident_id, meta.version, meta.rows) == (3, 4, ["n1"])


async def test_another_workspace_cannot_save_into_this_retro(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await open_retro(slack, fake_slack)
    response = await slack.view_submission(
        view, summary_values(summary="From team B"), user_id="U0ALICE", team_id="T0TEAMB"
    )
    assert response.json()["response_action"] == "update"  # told, in the modal
    assert NOT_INSTALLED in json.dumps(response.json()["view"])
    draft = await draft_of(served_bot.runtime.sessions)
    assert draft.version == 1 and draft.summary == "Payments failed for EU customers"
