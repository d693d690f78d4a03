"""The incident the demo plays, scene by scene: declared, worked in its channel, resolved,
its retrospective walked through and published. (The weeks after: `followthrough.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.ids import Declare, Publish, Retro

from . import forms
from .stage import DemoError, Stage

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday afternoon
ALICE, BOB, SAM, DANA = "U0ALICE", "U0BOB", "U0SAM", "U0DANA"
GENERAL, POSTMORTEMS = "C0GENERAL", "C0POSTMORTEMS"
MONITOR = {"bot_id": "B0MONITOR", "username": "Grafana Alerts"}
SCENES = 7
TITLE = "Checkout errors after deploy"
BLAMING = "<@U0SAM> forgot to run the migration before the deploy."  # a mention, as Slack sends
FACTOR = (
    "The deploy of checkout-api 4512 ran before its database migration, and nothing in the "
    "pipeline checks that order."
)
WHYS = [
    "The migration is a separate, manual step in the runbook",
    "The pipeline was built before the service had a database",
    "Nobody owns the deploy pipeline's checks",
]
ITEMS = [
    (
        "Run migrations in the deploy pipeline, before the new code",
        DANA,
        "2026-03-06",
        "high",
        "prevent",
    ),
    ("Page on checkout 5xx rate above 2% for 2 minutes", SAM, "2026-03-05", "medium", "detect"),
]


def at(hour: int, minute: int, day: int = 0) -> datetime:
    return START.replace(hour=hour, minute=minute) + timedelta(days=day)


async def declare(stage: Stage) -> str:
    """Alice declares the incident from #general; returns its new channel's id."""
    stage.transcript.scene(1, SCENES, "A responder declares the incident")
    stage.clock.set(at(14, 3))
    await stage.command(ALICE, "declare", GENERAL)
    [form] = [v for v in stage.workspace.views.values() if v["callback_id"] == Declare.CALLBACK]
    typed = forms.declare(TITLE, "5xx on /checkout since the 13:58 deploy", ALICE, BOB)
    await stage.submit(
        ALICE,
        form,
        typed,
        f"fills in the form: '{TITLE}', SEV2, commander @alice, facilitator @bob",
    )
    for channel in stage.workspace.channels.values():
        if channel.name.endswith("checkout-errors-after-deploy"):
            return channel.id
    raise DemoError("the declare made no incident channel")


async def respond(stage: Stage, channel: str) -> None:
    """People work the incident in its channel and mark the moments that matter."""
    stage.transcript.scene(2, SCENES, "People work the incident in its channel")
    clock = stage.clock
    clock.set(at(14, 5))
    alert = await stage.alert(
        channel, "[FIRING] checkout-api: 5xx rate 23% (threshold 2%)", **MONITOR
    )
    await stage.react(ALICE, channel, alert, "rotating_light")
    clock.set(at(14, 6))
    await stage.say(ALICE, channel, "500s on /checkout since the 13:58 deploy of checkout-api 4512")
    clock.set(at(14, 8))
    logs = await stage.say(BOB, channel, 'Error logs say: relation "orders_v2" does not exist')
    clock.set(at(14, 9))
    await stage.say(
        SAM, channel, "4512 expects the orders_v2 migration; it hasn't run", thread_ts=logs
    )
    clock.set(at(14, 10))
    rollback = await stage.say(SAM, channel, "Rolling back to 4511")
    clock.set(at(14, 11))
    await stage.edit(SAM, channel, rollback, "Rolling back checkout-api to 4511 now")
    await stage.react(BOB, channel, rollback, "hammer_and_wrench")
    clock.set(at(14, 12))
    stray = await stage.say(DANA, channel, "standup moved to 3pm")
    await stage.delete(DANA, channel, stray)


async def resolve(stage: Stage, channel: str) -> None:
    stage.transcript.scene(3, SCENES, "The errors stop; the status moves to resolved")
    clock = stage.clock
    clock.set(at(14, 14))
    await stage.command(ALICE, "status monitoring", channel)
    clock.set(at(14, 16))
    recovered = await stage.alert(channel, "[RESOLVED] checkout-api: 5xx rate 0.2%", **MONITOR)
    await stage.react(ALICE, channel, recovered, "adhesive_bandage")
    clock.set(at(14, 35))
    fixed = await stage.say(
        SAM, channel, "Migration applied, 4512 redeployed, error rate at baseline"
    )
    await stage.react(BOB, channel, fixed, "pushpin")
    clock.set(at(14, 40))
    await stage.command(ALICE, "status resolved", channel)


async def open_retro(stage: Stage, channel: str) -> dict[str, Any]:
    updates = len(stage.workspace.calls_to("views.update"))
    await stage.command(BOB, "retro", channel)
    calls = stage.workspace.calls_to("views.update")
    if len(calls) <= updates:
        raise DemoError("the retrospective did not open")
    return stage.workspace.views[calls[-1].args["view_id"]]


async def retrospective(stage: Stage, channel: str) -> dict[str, Any]:
    """Bob walks the six steps the next morning; returns the review step."""
    stage.transcript.scene(4, SCENES, "The facilitator walks the retrospective")
    stage.clock.set(at(10, 0, day=1))
    view = await open_retro(stage, channel)
    typed = forms.summary(
        "Checkout returned errors for 35 minutes after deploy 4512 of checkout-api.",
        "About 23% of checkout requests failed between 13:58 and 14:33 UTC.",
        "35 minutes",
        "The checkout 5xx alert fired seven minutes after the deploy.",
    )
    _, view = await stage.submit(BOB, view, typed, "saves step 1 (summary and impact)")
    _, view = await stage.submit(
        BOB,
        view,
        forms.timeline_as_offered(view),
        "keeps the moments offered from the marks (step 2)",
    )
    blaming = forms.factors(view, [("process", BLAMING, WHYS)])
    ack, _ = await stage.submit(BOB, view, blaming, f"writes the contributing factor: '{BLAMING}'")
    if ack.get("response_action") != "errors":
        raise DemoError("the blaming sentence got no suggestion")
    reworded = forms.factors(view, [("process", FACTOR, WHYS)])
    _, view = await stage.submit(BOB, view, reworded, f"rewords it: '{FACTOR}'")
    typed = forms.lessons(
        "The rollback took two minutes once the cause was known.",
        "Nothing stopped a deploy whose migration had not run.",
        "The deploy went out in the quietest hour of the day.",
    )
    _, view = await stage.submit(BOB, view, typed, "saves step 4 (what went well, badly, lucky)")
    view = await stage.press(BOB, view, Retro.ACTION_ADD, "adds a second action item row")
    _, view = await stage.submit(
        BOB, view, forms.actions(view, ITEMS), "saves two action items (step 5)"
    )
    if forms.step_of(view) != "review":
        raise DemoError(f"expected the review step, got {forms.step_of(view)}")
    return view


async def publish(stage: Stage, review: dict[str, Any]) -> None:
    stage.transcript.scene(5, SCENES, "The postmortem is published")
    stage.clock.set(at(10, 30, day=1))
    view = await stage.press(BOB, review, Publish.BUTTON, "presses Publish on the review step")
    outcome = next((b for b in view["blocks"] if b.get("block_id") == Publish.OUTCOME), None)
    if outcome is not None:
        stage.transcript.note(f"(the modal now says: {outcome['text']['text']})")
