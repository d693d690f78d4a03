"""The retro's review (its last step, a modal) and the tracker, end to end: the served app over
signed HTTP, the fake Slack, and the fake GitHub on loopback (test_slack_side's fixtures).

- the review offers "Create GitHub issue" beside each saved item not filed yet;
- a press from the review is acked at once, files exactly one issue, and the modal is updated:
  first "Filing the GitHub issue…", then the issue's link, the button gone; a double press
  files one; the review opened again shows the link and no button;
- a press refused (someone without a say on the item) files nothing and is told over the
  review.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from bot.ids import Trackers
from bot.retro.forms import EDITABLE_STEPS
from models import ActionItem, Retrospective
from tests.fakeslack import FakeSlack
from tests.faketrackers.github import FakeGitHub
from tests.retro.test_retro import (
    action_values,
    future,
    open_retro,
    seed_retro_incident,
    step_of,
    submit,
    view_text,
)
from tests.trackers import test_slack_side as side
from tests.trackers.test_slack_side import Bot, eventually, intents, item_of

# test_slack_side's fixtures, used here by name: the served app with the fake GitHub.
bot, github = side.bot, side.github

TITLE = "Alert on checkout p99"


async def review_with_an_item(bot: Bot, fake_slack: FakeSlack) -> tuple[dict[str, Any], int]:
    """Alice's retro at its review, after she saved one action item (Bob's) at the step
    before: the review as Slack shows it, and the item's id."""
    await seed_retro_incident(fake_slack, bot.sessions)
    await open_retro(bot.slack, fake_slack)  # the draft started at its first step
    async with bot.sessions() as session, session.begin():
        retro = await session.scalar(select(Retrospective))
        assert retro is not None
        retro.completed_steps = [step for step in EDITABLE_STEPS if step != "actions"]
    view = await open_retro(bot.slack, fake_slack)
    assert step_of(view) == "actions"
    typed = action_values(view, [(TITLE, "U0BOB", future(7), "high", "prevent")])
    _, review = await submit(bot.slack, fake_slack, view, typed)
    assert step_of(review) == "review"
    async with bot.sessions() as session:
        item = await session.scalar(select(ActionItem).where(ActionItem.title == TITLE))
    assert item is not None and item.tracker_key is None
    return review, item.id


def buttons_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The accessory buttons beside the review's blocks."""
    accessories = [block.get("accessory") for block in view["blocks"]]
    return [a for a in accessories if isinstance(a, dict) and a.get("type") == "button"]


async def press_in(bot: Bot, view: dict[str, Any], item_id: int, user_id: str) -> float:
    """Press Create GitHub issue beside the item in the review; how long the ack took."""
    started = time.monotonic()
    response = await bot.slack.block_action(
        Trackers.CREATE, value=str(item_id), view=view, user_id=user_id
    )
    assert response.status_code == 200, response.text
    return time.monotonic() - started


async def test_a_press_in_the_review_files_one_issue_and_the_review_shows_its_link(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub
) -> None:
    review, item_id = await review_with_an_item(bot, fake_slack)
    [button] = buttons_of(review)
    assert (button["action_id"], button["value"]) == (Trackers.CREATE, str(item_id))
    assert button["text"]["text"] == "Create GitHub issue"
    assert TITLE in view_text(review)

    assert await press_in(bot, review, item_id, "U0ALICE") < 3.0  # acked before GitHub
    assert await press_in(bot, review, item_id, "U0ALICE") < 3.0  # a double click

    async def linked() -> bool:
        key = (await item_of(bot, item_id)).tracker_key
        return key is not None and f"|{key}>" in view_text(fake_slack.views[review["id"]])

    await eventually(linked, timeout=10)
    shown = fake_slack.views[review["id"]]
    assert buttons_of(shown) == []  # filed: the link instead of the button
    assert step_of(shown) == "review"
    [issue] = github.issues.values()
    assert issue["title"] == TITLE
    assert f"<{issue['html_url']}|{github.repository}#1>" in view_text(shown)
    assert len(github.recorder.seen("POST", f"/repos/{github.repository}/issues")) == 1
    assert await intents(bot) == 1
    # Before the link, the review said the issue was on its way (the press's own redraw).
    updates = [json.dumps(call.args) for call in fake_slack.calls_to("views.update")]
    assert any("Filing the GitHub issue" in update for update in updates)

    await bot.drain()  # nothing left to file
    assert len(github.issues) == 1 and await intents(bot) == 1
    reopened = await open_retro(bot.slack, fake_slack)  # the review, as anyone opens it again
    assert step_of(reopened) == "review" and buttons_of(reopened) == []
    assert f"{github.repository}#1" in view_text(reopened)


async def test_a_press_refused_in_the_review_files_nothing_and_says_why_over_it(
    bot: Bot, fake_slack: FakeSlack, github: FakeGitHub
) -> None:
    review, item_id = await review_with_an_item(bot, fake_slack)
    pushes = len(fake_slack.calls_to("views.push"))
    await press_in(bot, review, item_id, "U0CAROL")  # no role on the incident, not the owner
    [*_, pushed] = await fake_slack.wait_for("views.push", pushes + 1)
    notice = json.dumps(pushed.args)
    assert "only <@U0BOB> (the owner) or <@U0ALICE> (commander)" in notice
    await bot.drain()
    assert github.issues == {} and await intents(bot) == 0
    assert buttons_of(fake_slack.views[review["id"]]) != []  # the review as it was
