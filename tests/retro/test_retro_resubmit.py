"""A retro step submitted again is the same save: Slack's retry after a timeout, or the person
submitting once more after a crash lost the first answer, neither doubles the action items nor
shows a conflict with oneself; a different editor's stale save is still a conflict."""

from __future__ import annotations

import copy
from typing import Any

from bot.ids import Retro
from models import ActionItem, ContributingFactor, Incident
from tests.conftest import ServedBot
from tests.fakeslack import FakeSlack, SlackRequests
from tests.retro.test_retro import (
    GOOD_FACTORS,
    action_values,
    all_of,
    draft_of,
    factor_values,
    future,
    incident,
    lesson_values,
    open_retro,
    press,
    rows_of,
    step_of,
    submit,
    summary_values,
)

__all__ = ["incident"]  # the fixture, shared with test_retro.py

ITEMS = [
    ("Alert on pool saturation", "U0BOB", future(14), "high", "detect"),
    ("Review pool limits quarterly", "U0CAROL", None, "low", "process"),
]


async def to_actions(slack: SlackRequests, fake_slack: FakeSlack) -> dict[str, Any]:
    """Alice walks to the action-items step with two empty rows; returns that view."""
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})
    _, view = await submit(
        slack, fake_slack, view, factor_values(view, GOOD_FACTORS[:1], keep_wording=False)
    )
    _, view = await submit(slack, fake_slack, view, lesson_values("a", "b", "c"))
    view = await press(slack, fake_slack, view, Retro.ACTION_ADD)
    assert step_of(view) == "actions" and len(rows_of(view)) == 2
    return copy.deepcopy(view)  # the view as Slack holds it when the person presses Save


def notice(view: dict[str, Any]) -> str | None:
    found = [b for b in view["blocks"] if b.get("block_id") == Retro.NOTICE]
    return found[0]["text"]["text"] if found else None


async def titles(served_bot: ServedBot) -> list[str]:
    return [i.title for i in await all_of(served_bot.runtime.sessions, ActionItem)]


async def test_the_same_actions_view_submitted_twice_saves_its_items_once(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await to_actions(slack, fake_slack)
    state = action_values(view, ITEMS)

    first, _ = await submit(slack, fake_slack, view, state)
    dms = len(await fake_slack.wait_for("chat.postMessage", 2))
    again, shown = await submit(slack, fake_slack, view, state)  # Slack's retry: same payload

    assert first["response_action"] == again["response_action"] == "update"
    assert step_of(again["view"]) == step_of(shown) == "review"  # the same answer
    assert notice(again["view"]) is None  # no conflict with oneself
    assert await titles(served_bot) == [title for title, *_ in ITEMS]
    await served_bot.idle()  # the retry's listener has finished: any DM it sent went out
    owners = [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")]
    assert dms == 2 and sorted(owners) == ["U0BOB", "U0CAROL"]  # each owner told once
    assert (await draft_of(served_bot.runtime.sessions)).version == 6  # saved once
    fake_slack.assert_no_rejections()


async def test_a_resubmit_after_a_crash_lost_the_answer_keeps_one_set_of_items(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = first_view = await to_actions(slack, fake_slack)
    state = action_values(view, ITEMS)
    # The first submission's save is committed, then the process dies before answering: Slack
    # shows the person an error with the modal still open on this same view, and they press
    # Save again. The retry below carries the identical payload, as that press does.
    await submit(slack, fake_slack, view, state)

    ack, shown = await submit(slack, fake_slack, view, state)
    assert notice(ack["view"]) is None and step_of(shown) == "review"
    # Back to the items and saved once more, unchanged: still one set.
    view = await press(slack, fake_slack, shown, Retro.BACK)
    await submit(slack, fake_slack, view, action_values(view, ITEMS))

    items = await all_of(served_bot.runtime.sessions, ActionItem)
    assert [item.title for item in items] == [title for title, *_ in ITEMS]
    assert [item.form_key for item in items] == rows_of(first_view)  # the rows' keys, kept


async def test_a_retry_that_meets_another_editors_save_updates_its_rows_instead_of_adding(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await to_actions(slack, fake_slack)
    state = action_values(view, ITEMS)
    await submit(slack, fake_slack, view, state)  # saved; its answer was lost
    bob = await open_retro(slack, fake_slack, user_id="U0BOB")  # Bob saves meanwhile
    bob = await press(slack, fake_slack, bob, Retro.BACK, user_id="U0BOB")
    await submit(slack, fake_slack, bob, lesson_values("x", "y", "z"), user_id="U0BOB")

    ack, shown = await submit(slack, fake_slack, view, state)  # Alice's retry arrives now

    assert "<@U0BOB> saved the draft since you opened this step" in (notice(ack["view"]) or "")
    assert rows_of(shown) == rows_of(view)  # her rows, with the keys they were saved under
    _, shown = await submit(slack, fake_slack, shown, action_values(shown, ITEMS))
    assert step_of(shown) == "review"
    assert await titles(served_bot) == [title for title, *_ in ITEMS]  # updated, not added


async def test_another_editors_stale_save_is_still_a_conflict_naming_them(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    alice = await to_actions(slack, fake_slack)
    bob = copy.deepcopy(await open_retro(slack, fake_slack, user_id="U0BOB"))  # on actions too
    assert step_of(bob) == "actions"
    await submit(slack, fake_slack, alice, action_values(alice, ITEMS))
    bobs = [("Page on checkout errors", "U0ALICE", future(7), "high", "detect")]

    ack, shown = await submit(slack, fake_slack, bob, action_values(bob, bobs), user_id="U0BOB")
    assert "<@U0ALICE> saved the draft since you opened this step" in (notice(shown) or "")
    assert ack["view"] and "<@U0BOB> saved" not in (notice(shown) or "")
    # Bob merges and saves; Slack retries that save: one save, no conflict with himself.
    merged = copy.deepcopy(shown)
    state = action_values(merged, bobs)
    _, saved = await submit(slack, fake_slack, merged, state, user_id="U0BOB")
    again, _ = await submit(slack, fake_slack, merged, state, user_id="U0BOB")

    assert step_of(saved) == "review" and notice(again["view"]) is None
    assert sorted(await titles(served_bot)) == sorted([*(t for t, *_ in ITEMS), bobs[0][0]])


async def test_resubmitting_the_factors_step_does_not_double_the_factors(
    slack: SlackRequests, fake_slack: FakeSlack, served_bot: ServedBot, incident: Incident
) -> None:
    view = await open_retro(slack, fake_slack)
    _, view = await submit(slack, fake_slack, view, summary_values())
    _, view = await submit(slack, fake_slack, view, {})
    view = copy.deepcopy(await press(slack, fake_slack, view, Retro.FACTOR_ADD))
    state = factor_values(view, GOOD_FACTORS, keep_wording=False)

    await submit(slack, fake_slack, view, state)
    ack, _ = await submit(slack, fake_slack, view, state)

    assert notice(ack["view"]) is None and step_of(ack["view"]) == "lessons"
    factors = await all_of(served_bot.runtime.sessions, ContributingFactor)
    assert [f.description for f in factors] == [d for _, d, _ in GOOD_FACTORS]
