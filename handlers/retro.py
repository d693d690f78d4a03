"""Bolt listeners for the retrospective: `/postmortem retro`, each step's submit, Back, the
add/remove row buttons, and closing the modal (which keeps what was typed)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError, SlackCallError
from bot.followup import items as actions
from bot.followup import notices as owner_notice
from bot.followup.home import refresh_home
from bot.ids import Publish, Retro
from bot.incidents import channels
from bot.publish import publisher as publish
from bot.retro import draft as retro
from bot.retro import flow as retro_flow
from bot.retro.forms import (
    EDITABLE_STEPS,
    ActionRow,
    ActionsForm,
    FactorRow,
    FactorsForm,
    StepForm,
    new_key,
)
from bot.ui.feedback import error_modal
from bot.ui.retro import loading_view
from bot.ui.retro_read import StepMeta, read_meta, read_step
from bot.ui.retro_steps import read_only_view, step_view
from bot.ui.summary import outcome_notice
from bot.ui.text import escape
from handlers.context import CommandRequest, team_id_of
from handlers.errors import UNEXPECTED
from models import utcnow

REMOVE_ROW = re.compile(r"^retro\.(factor|action)\.remove\.\w+$")
ROW_CONTROL = re.compile(r"^retro\.action\.(priority|kind)\.\w+$")


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    for step in EDITABLE_STEPS:
        app.view(f"{Retro.STEP}.{step}")(submit_step)
        app.view_closed(f"{Retro.STEP}.{step}")(close_step)
    app.action(Retro.BACK)(go_back)
    app.action(Retro.FACTOR_ADD)(change_rows)
    app.action(Retro.ACTION_ADD)(change_rows)
    app.action(REMOVE_ROW)(change_rows)
    app.action(ROW_CONTROL)(just_ack)  # priority and kind are read when the step is saved
    app.action(Publish.BUTTON)(publish_postmortem)


async def open_retro(request: CommandRequest) -> None:
    """Open a modal at once (the trigger dies in 3 s), then fill it with the first unfinished
    step, every field as saved; people without a role get the draft to read."""
    try:
        opened = await request.client.views_open(trigger_id=request.trigger_id, view=loading_view())
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackCallError(
            f"I couldn't open the retrospective (Slack answered `{code}`). Please run "
            "`/postmortem retro` again."
        ) from error
    await request.ack()
    view_id = opened["view"]["id"]
    # After the ack the error handler can no longer answer, so the modal itself says it.
    try:
        async with request.sessions() as session:
            draft = await retro.open_draft(
                session=session, team_id=request.team_id, channel_id=request.channel_id
            )
            await session.commit()
    except HindsightError as error:
        await request.client.views_update(view_id=view_id, view=error_modal(error.message))
        return
    except Exception:
        await request.client.views_update(view_id=view_id, view=error_modal(UNEXPECTED))
        raise
    if retro.can_edit(draft.incident, request.user_id):
        view = step_view(draft, retro.first_unfinished(draft.retro))
    else:
        view = read_only_view(draft, editors=retro.editors(draft.incident))
    await request.client.views_update(view_id=view_id, view=view)


def _typed(view: dict[str, Any]) -> tuple[StepMeta, StepForm | None]:
    meta = read_meta(view)
    if meta is None:
        raise HindsightError("This retrospective view is out of date; run `/postmortem retro`.")
    return meta, read_step(view, meta)


def _kept(view: dict[str, Any]) -> tuple[StepMeta, StepForm | None]:
    """Like _typed, for Back and close: a view that carries no input state has nothing to keep
    (and must not be saved as if everything had been emptied)."""
    meta, form = _typed(view)
    return meta, form if (view.get("state") or {}).get("values") else None


def conflict_notice(draft: retro.Draft) -> str:
    who = f"<@{draft.retro.last_edited_by}>" if draft.retro.last_edited_by else "Someone"
    return (
        f"{who} saved the draft since you opened this step. What you typed is below, unchanged "
        "and not saved yet, and their version is at the bottom. Saving again (or Back, or "
        "closing) keeps yours for this step and replaces theirs: merge first if both matter."
    )


async def submit_step(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Check (inline errors, before the ack), save, and move on to the next step."""
    meta, form = _typed(view)
    assert form is not None
    first = next((b.get("block_id") for b in view["blocks"] if b.get("type") == "input"), None)
    async with context["sessions"]() as session:
        outcome = await retro_flow.submit(
            session=session,
            client=client,
            team_id=team_id_of(body),
            user_id=body["user"]["id"],
            incident_id=meta.incident_id,
            version=meta.version,
            form=form,
            first_field=first,
            now=utcnow(),
            save_key=retro_flow.save_key(view["id"], meta.step, meta.version),
        )
    settled = None
    if isinstance(form, ActionsForm) and not (outcome.problems or outcome.conflict):
        settled = await settle_action_items(context, client, outcome.draft, body["user"]["id"])
    if outcome.problems:
        await ack(response_action="errors", errors=outcome.problems)
    elif outcome.conflict:
        notice = conflict_notice(outcome.draft)
        await ack(
            response_action="update",
            view=step_view(
                outcome.draft,
                meta.step,
                form=form,
                version=outcome.draft.version,
                notice=notice,
                theirs=True,
            ),
        )
    else:
        await ack(
            response_action="update", view=step_view(outcome.draft, retro.next_step(meta.step))
        )
    if settled is not None:
        await tell_new_owners(context, client, settled)


async def go_back(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Keep what was typed here (saved before the ack), then show the previous step."""
    view = body["view"]
    meta, form = _kept(view)
    async with context["sessions"]() as session:
        if form is None:
            outcome = retro_flow.Outcome(
                await retro.load_draft(
                    session=session, team_id=team_id_of(body), incident_id=meta.incident_id
                )
            )
        else:
            outcome = await retro_flow.keep_typed(
                session=session,
                team_id=team_id_of(body),
                user_id=body["user"]["id"],
                incident_id=meta.incident_id,
                version=meta.version,
                form=form,
                now=utcnow(),
                save_key=retro_flow.save_key(view["id"], meta.step, meta.version),
            )
    settled = None
    if isinstance(form, ActionsForm) and not outcome.conflict:
        settled = await settle_action_items(context, client, outcome.draft, body["user"]["id"])
    await ack()
    if outcome.conflict:
        shown = step_view(
            outcome.draft,
            meta.step,
            form=form,
            version=outcome.draft.version,
            notice=conflict_notice(outcome.draft),
            theirs=True,
        )
    else:
        shown = step_view(outcome.draft, retro.previous_step(meta.step))
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=shown)
    if settled is not None:
        await tell_new_owners(context, client, settled)


async def change_rows(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Add or remove a factor or action-item row in place (views.update, not a new modal),
    keeping everything typed in the other rows."""
    await ack()
    view = body["view"]
    meta, form = _typed(view)
    if isinstance(form, FactorsForm | ActionsForm):
        edit_rows(form, action_id=action["action_id"], key=str(action.get("value") or ""))
    async with context["sessions"]() as session:
        draft = await retro.load_draft(
            session=session, team_id=team_id_of(body), incident_id=meta.incident_id
        )
    shown = step_view(draft, meta.step, form=form, version=meta.version)
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=shown)


def edit_rows(form: FactorsForm | ActionsForm, *, action_id: str, key: str) -> None:
    if isinstance(form, FactorsForm):
        if action_id == Retro.FACTOR_ADD:
            form.rows.append(FactorRow(key=new_key()))
        else:
            form.rows = [row for row in form.rows if row.key != key]
        return
    if action_id == Retro.ACTION_ADD:
        form.rows.append(ActionRow(key=new_key()))
        return
    gone = next((row for row in form.rows if row.key == key), None)
    form.rows = [row for row in form.rows if row.key != key]
    if gone is not None and gone.item_id is not None:
        form.removed.append(gone.item_id)


async def close_step(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Closing keeps what was typed (saved before the ack); if the draft moved on meanwhile,
    the words go to the person by DM instead."""
    meta, form = _kept(view)
    if form is None:
        await ack()  # the review, or a close that carries no inputs: nothing to keep
        return
    user_id = body["user"]["id"]
    async with context["sessions"]() as session:
        outcome = await retro_flow.keep_typed(
            session=session,
            team_id=team_id_of(body),
            user_id=user_id,
            incident_id=meta.incident_id,
            version=meta.version,
            form=form,
            now=utcnow(),
            save_key=retro_flow.save_key(view["id"], meta.step, meta.version),
        )
    settled = None
    if not outcome.conflict:
        settled = await settle_action_items(context, client, outcome.draft, user_id)
    await ack()
    if outcome.conflict:
        text = (
            f"{conflict_notice(outcome.draft).split('.')[0]}, so I didn't save what you typed in "
            f"the retrospective of {outcome.draft.incident.ref}. Here it is, so nothing is lost:"
            f"\n\n{escape(retro_flow.typed_text(form))}"  # their words, shown, never live
        )
        await client.chat_postMessage(channel=user_id, text=text[:35000])
    elif settled is not None:
        await tell_new_owners(context, client, settled)


async def settle_action_items(
    context: AsyncBoltContext, client: AsyncWebClient, draft: retro.Draft, user_id: str
) -> actions.Settled | None:
    """After the action-items step was saved (before the ack, so the next view and a publish
    see them): due dates and reminder schedules. None when no action items were saved."""
    if not draft.items:
        return None
    now: datetime = context["clock"]()
    team_id = draft.incident.team_id
    async with context["sessions"]() as session:
        today = await actions.today_for(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
        settled = await actions.settle_items(
            session=session,
            client=client,
            team_id=team_id,
            incident_id=draft.incident.id,
            actor_id=user_id,
            today=today,
            now=now,
            settings=context["settings"],
        )
        await session.commit()
    due_dates = {item.id: item.due_date for item in settled.items}
    for item in draft.items:  # so the next view shows the defaults just given
        item.due_date = due_dates.get(item.id, item.due_date)
    return settled


async def tell_new_owners(
    context: AsyncBoltContext, client: AsyncWebClient, settled: actions.Settled
) -> None:
    """A DM to each person who was just given an item (due since the save: the sweep sends
    what fails here), and their App Home redrawn (after the ack: it waits on Slack)."""
    now: datetime = context["clock"]()
    for item in settled.newly_owned:
        await owner_notice.send_now(sessions=context["sessions"], client=client, item=item, now=now)
    async with context["sessions"]() as session:
        for owner_id in sorted({item.owner_id for item in settled.newly_owned if item.owner_id}):
            await refresh_home(
                session=session,
                client=client,
                team_id=settled.incident.team_id,
                user_id=owner_id,
                now=now,
                settings=context["settings"],
            )
        await session.commit()


async def just_ack(ack: AsyncAck) -> None:
    await ack()


async def publish_postmortem(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Publish from the review step; the modal then says what went out and what didn't."""
    view, team_id = body["view"], team_id_of(body)
    meta, _ = _typed(view)
    await ack()  # a button's ack carries nothing; the answer is the modal updated below
    try:
        async with context["sessions"]() as session:
            done = await publish.publish(
                session=session,
                client=client,
                team_id=team_id,
                incident_id=meta.incident_id,
                user_id=body["user"]["id"],
                postmortem_channel=context["settings"].postmortem_channel,
                now=utcnow(),
            )
        notice = outcome_notice(delivered=done.delivered, failed=done.failed, ref=done.ref)
    except HindsightError as error:
        notice = f":no_entry_sign: {error.message}"
    except Exception:
        await client.views_update(view_id=view["id"], view=error_modal(UNEXPECTED))
        raise
    async with context["sessions"]() as session:
        draft = await retro.load_draft(
            session=session, team_id=team_id, incident_id=meta.incident_id
        )
    await client.views_update(view_id=view["id"], view=step_view(draft, "review", published=notice))
    await channels.refresh_header(
        client=client, sessions=context["sessions"], team_id=team_id, incident_id=meta.incident_id
    )
