"""Bolt listeners for the retrospective: `/postmortem retro`, each step's submit, Back, the
add/remove row buttons, closing the modal (which keeps what was typed), and Publish."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError, SlackCallError
from bot.ids import Publish, Retro
from bot.incidents import channels
from bot.publish import publisher
from bot.retro import draft as retro
from bot.retro import flow as retro_flow
from bot.retro import steps
from bot.retro.forms import (
    EDITABLE_STEPS,
    ActionRow,
    ActionsForm,
    FactorRow,
    FactorsForm,
    StepForm,
    new_key,
)
from bot.retro.shapes import Draft
from bot.trackers.config import active_tracker
from bot.ui.feedback import error_modal
from bot.ui.retro import loading_view
from bot.ui.retro_read import StepMeta, read_meta, read_step
from bot.ui.retro_steps import read_only_view, step_view
from bot.ui.summary import outcome_notice
from bot.ui.text import escape
from handlers.context import CommandRequest, team_id_of
from handlers.errors import UNEXPECTED

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
    step, every field as saved; people without a role get the draft to read. Then the
    workspace's names are refilled in the background if stale, for the wording check (after
    the draft is opened: SQLite would refuse its first save if a fill wrote meanwhile)."""
    view_id = await open_loading(request)
    # After the ack the error handler can no longer answer, so the modal itself says it.
    try:
        async with crash_shown_in(request.client, view_id):
            draft = await steps.open_draft(
                sessions=request.sessions,
                team_id=request.team_id,
                channel_id=request.channel_id,
                tracker=active_tracker(request.settings),
            )
    except HindsightError as error:
        await request.client.views_update(view_id=view_id, view=error_modal(error.message))
        return
    await request.client.views_update(view_id=view_id, view=first_view(draft, request.user_id))
    request.rosters.refresh(
        sessions=request.sessions,
        client=request.client,
        team_id=request.team_id,
        now=request.clock(),
    )


async def open_loading(request: CommandRequest) -> str:
    """The modal opened (before the ack: a refusal is the answer); its view id."""
    try:
        opened = await request.client.views_open(trigger_id=request.trigger_id, view=loading_view())
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackCallError(
            f"I couldn't open the retrospective (Slack answered `{code}`). Please run "
            "`/postmortem retro` again."
        ) from error
    await request.ack()
    return str(opened["view"]["id"])


def first_view(draft: Draft, user_id: str) -> View:
    if retro.can_edit(draft.incident, user_id):
        return step_view(draft, retro.first_unfinished(draft.retro))
    return read_only_view(draft, editors=retro.editors(draft.incident))


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


def step_save(
    body: dict[str, Any], view: dict[str, Any], meta: StepMeta, context: AsyncBoltContext
) -> steps.StepSave:
    """Who saves what, read off the payload (the view's id, step and version make the key)."""
    return steps.StepSave(
        team_id=team_id_of(body),
        user_id=body["user"]["id"],
        incident_id=meta.incident_id,
        version=meta.version,
        save_key=retro_flow.save_key(view["id"], meta.step, meta.version),
        now=context["clock"](),
    )


def first_input(view: dict[str, Any]) -> str | None:
    """The block a refusal of the whole step is shown on."""
    return next((b.get("block_id") for b in view["blocks"] if b.get("type") == "input"), None)


def conflict_notice(draft: Draft) -> str:
    who = f"<@{draft.retro.last_edited_by}>" if draft.retro.last_edited_by else "Someone"
    return (
        f"{who} saved the draft since you opened this step. What you typed is below, unchanged "
        "and not saved yet, and their version is at the bottom. Saving again (or Back, or "
        "closing) keeps yours for this step and replaces theirs: merge first if both matter."
    )


def after_save_view(
    saved: steps.Saved, meta: StepMeta, form: StepForm | None, move: Callable[[str], str]
) -> View:
    """The step to show next (`move` from this one), or this step again, with what they typed
    and the other person's version, when someone saved first."""
    if not saved.conflict:
        return step_view(saved.draft, move(meta.step))
    notice = conflict_notice(saved.draft)
    version = saved.draft.version
    return step_view(saved.draft, meta.step, form=form, version=version, notice=notice, theirs=True)


async def tell_new_owners(
    context: AsyncBoltContext, client: AsyncWebClient, saved: steps.Saved
) -> None:
    await steps.tell_new_owners(
        sessions=context["sessions"],
        client=client,
        saved=saved,
        now=context["clock"](),
        settings=context["settings"],
    )


async def submit_step(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Check (inline errors, before the ack), save, and move on to the next step."""
    view = body["view"]
    meta, form = _typed(view)
    assert form is not None
    saved = await steps.submit_step(
        sessions=context["sessions"],
        client=client,
        save=step_save(body, view, meta, context),
        form=form,
        first_field=first_input(view),
        settings=context["settings"],
    )
    if saved.problems:
        await ack(response_action="errors", errors=saved.problems)
    else:
        await ack(
            response_action="update", view=after_save_view(saved, meta, form, retro.next_step)
        )
    refresh_roster(context, client, body)
    await tell_new_owners(context, client, saved)


def refresh_roster(context: AsyncBoltContext, client: AsyncWebClient, body: dict[str, Any]) -> None:
    """After the answer: the workspace's names refilled in the background if stale, so the
    next check knows everyone (this one used what the cache had)."""
    context["rosters"].refresh(
        sessions=context["sessions"],
        client=client,
        team_id=team_id_of(body),
        now=context["clock"](),
    )


async def go_back(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Keep what was typed here (saved before the ack), then show the previous step."""
    view = body["view"]
    meta, form = _kept(view)
    saved = await keep_typed(body, view, meta, form, client, context, closing=False)
    await ack()
    shown = after_save_view(saved, meta, form, retro.previous_step)
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=shown)
    await tell_new_owners(context, client, saved)


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
    saved = await keep_typed(body, view, meta, form, client, context, closing=True)
    await ack()
    if saved.conflict:
        await client.chat_postMessage(channel=body["user"]["id"], text=unsaved_text(saved, form))
    await tell_new_owners(context, client, saved)


async def keep_typed(
    body: dict[str, Any],
    view: dict[str, Any],
    meta: StepMeta,
    form: StepForm | None,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    *,
    closing: bool,
) -> steps.Saved:
    return await steps.keep_step(
        sessions=context["sessions"],
        client=client,
        save=step_save(body, view, meta, context),
        form=form,
        closing=closing,
        settings=context["settings"],
    )


def unsaved_text(saved: steps.Saved, form: StepForm) -> str:
    """The DM for a close that lost the race: what they typed, so nothing is lost."""
    text = (
        f"{conflict_notice(saved.draft).split('.')[0]}, so I didn't save what you typed in "
        f"the retrospective of {saved.draft.incident.ref}. Here it is, so nothing is lost:"
        f"\n\n{escape(retro_flow.typed_text(form))}"  # their words, shown, never live
    )
    return text[:35000]


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
    draft = await steps.load_draft(
        sessions=context["sessions"], team_id=team_id_of(body), incident_id=meta.incident_id
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


async def just_ack(ack: AsyncAck) -> None:
    await ack()


async def publish_postmortem(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Publish from the review step; the modal then says what went out and what didn't."""
    view, team_id = body["view"], team_id_of(body)
    meta, _ = _typed(view)
    await ack()  # a button's ack carries nothing; the answer is the modal updated below
    async with crash_shown_in(client, view["id"]):
        done = await publisher.publish_from_review(
            sessions=context["sessions"],
            client=client,
            locks=context["publish_locks"],
            team_id=team_id,
            incident_id=meta.incident_id,
            user_id=body["user"]["id"],
            postmortem_channel=context["settings"].postmortem_channel,
            now=context["clock"](),
        )
    await steps.with_trackers(context["sessions"], done.draft, active_tracker(context["settings"]))
    shown = step_view(done.draft, "review", published=publish_notice(done))
    await client.views_update(view_id=view["id"], view=shown)
    await channels.refresh_header(
        client=client, sessions=context["sessions"], team_id=team_id, incident_id=meta.incident_id
    )


@asynccontextmanager
async def crash_shown_in(client: AsyncWebClient, view_id: str) -> AsyncIterator[None]:
    """After the ack the error handler can no longer answer: an unexpected error (not one of
    ours, which the caller words) is said in the modal, then raised (and logged) as usual."""
    try:
        yield
    except HindsightError:
        raise
    except Exception:
        await client.views_update(view_id=view_id, view=error_modal(UNEXPECTED))
        raise


def publish_notice(done: publisher.Reviewed) -> str:
    if done.published is None:
        return f":no_entry_sign: {done.refusal}"
    published = done.published
    return outcome_notice(delivered=published.delivered, failed=published.failed, ref=published.ref)
