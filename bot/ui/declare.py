"""The declare modal, its reader, and the views that replace it while and after declaring."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import UserInputError
from bot.ids import Declare
from bot.incidents.forms import DeclareForm
from bot.sealed import seal, unseal
from bot.ui.header import severity_label
from bot.ui.state import ViewState
from bot.ui.text import clip, escape
from models import Severity

NEW_CHANNEL = "new"
REVIEW_CHANNEL = "review"
MAX_TITLE = 150
MAX_SUMMARY = 3000
MAX_SERVICES_TEXT = 1000


def can_review(channel_id: str) -> bool:
    """Only a channel can be reviewed, not a DM with the bot."""
    return bool(channel_id) and not channel_id.startswith("D")


def prefill_title(command_text: str) -> str:
    """The command's text as a title: Slack's escaped mentions and links shown as people read
    them (`<#C1|ops>` → `#ops`, `<@U1|sam>` → `@sam`), and `&amp;` back to `&`."""
    text = re.sub(r"<([#@])[A-Z0-9]+\|([^>]*)>", r"\1\2", command_text)
    text = re.sub(r"<!(\w+)(?:\^[^>|]*)?(?:\|[^>]*)?>", r"@\1", text)
    text = re.sub(r"<[^>|]+\|([^>]*)>", r"\1", text)
    text = re.sub(r"<([^>]*)>", r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())[:MAX_TITLE]


def declare_modal(*, title: str, declared_by: str, channel_id: str, key: str) -> View:
    """The form; `key` seals the channel it was opened in (see `read_form`)."""
    blocks: list[Block] = [
        *_what_happened(title),
        *_roles(declared_by),
        _services_input(),
    ]
    if can_review(channel_id):
        blocks.append(_channel_choice())
    return View(
        type="modal",
        callback_id=Declare.CALLBACK,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=seal({"channel_id": channel_id, "declared_by": declared_by}, key=key),
        blocks=blocks,
    )


def _what_happened(title: str) -> list[Block]:
    """Title (prefilled from the command), severity and summary."""
    return [
        InputBlock(
            block_id=Declare.TITLE,
            label="Title",
            element=PlainTextInputElement(
                action_id=Declare.TITLE,
                initial_value=title or None,
                max_length=MAX_TITLE,
                placeholder="Checkout requests time out",
            ),
        ),
        InputBlock(
            block_id=Declare.SEVERITY,
            label="Severity",
            element=StaticSelectElement(
                action_id=Declare.SEVERITY,
                placeholder="Pick a severity",
                options=[Option(value=s.value, label=severity_label(s)) for s in Severity],
            ),
        ),
        InputBlock(
            block_id=Declare.SUMMARY,
            label="What happened",
            optional=True,
            element=PlainTextInputElement(
                action_id=Declare.SUMMARY,
                multiline=True,
                max_length=MAX_SUMMARY,
                placeholder="What people noticed, and since when",
            ),
        ),
    ]


def _roles(declared_by: str) -> list[Block]:
    """The commander (the declarer unless changed) and an optional facilitator."""
    return [
        InputBlock(
            block_id=Declare.COMMANDER,
            label="Commander",
            hint="Owns the incident's status until it is resolved.",
            element=UserSelectElement(action_id=Declare.COMMANDER, initial_user=declared_by),
        ),
        InputBlock(
            block_id=Declare.FACILITATOR,
            label="Facilitator",
            optional=True,
            hint="Guides the no-blame retrospective: ideally someone who was not a responder.",
            element=UserSelectElement(action_id=Declare.FACILITATOR, placeholder="Pick someone"),
        ),
    ]


def _services_input() -> InputBlock:
    return InputBlock(
        block_id=Declare.SERVICES,
        label="Services or tags",
        optional=True,
        hint="Separate them with commas.",
        element=PlainTextInputElement(
            action_id=Declare.SERVICES,
            max_length=MAX_SERVICES_TEXT,
            placeholder="checkout, payments-api",
        ),
    )


def _channel_choice() -> InputBlock:
    new = Option(
        value=NEW_CHANNEL,
        label="Create a new channel",
        description="For an incident happening now",
    )
    review = Option(
        value=REVIEW_CHANNEL,
        label="Review this channel (after the fact)",
        description="Adopt this channel and read its history into the timeline",
    )
    return InputBlock(
        block_id=Declare.CHANNEL,
        label="Channel",
        element=RadioButtonsElement(
            action_id=Declare.CHANNEL, options=[new, review], initial_option=new
        ),
    )


def read_form(view: Mapping[str, Any], *, team_id: str, user_id: str, key: str) -> DeclareForm:
    """The submitted declare view's state as a DeclareForm. The channel to review is the one
    the form was opened in, as sealed in its metadata; UserInputError when that seal is broken
    (the bot would otherwise join and read whatever channel the metadata named)."""
    state = ViewState(view)
    context = unseal(view.get("private_metadata"), key=key)
    wants_review = state.selected(Declare.CHANNEL) == REVIEW_CHANNEL
    if context is None and wants_review:
        raise UserInputError(
            "I can't tell which channel this form was opened in. Close it and run "
            "`/postmortem declare` again in the channel to review.",
            field=Declare.CHANNEL,
        )
    origin = str((context or {}).get("channel_id") or "")
    review = wants_review and can_review(origin)
    return DeclareForm(
        team_id=team_id,
        declared_by=user_id,
        title=state.text(Declare.TITLE),
        severity=state.selected(Declare.SEVERITY),
        summary=state.text(Declare.SUMMARY).strip(),
        commander_id=state.user(Declare.COMMANDER),
        facilitator_id=state.user(Declare.FACILITATOR),
        services=state.text(Declare.SERVICES),
        review_channel_id=origin if review else None,
    )


# ---- what replaces the form ------------------------------------------------------------------


def _result(title: str, lines: list[str]) -> View:
    return View(
        type="modal",
        callback_id=Declare.RESULT,
        title=title,
        close="Close",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=clip(line, 3000))) for line in lines if line
        ],
    )


def still_working_view(*, title: str) -> View:
    return _result(
        "Declaring…",
        [
            f":hourglass_flowing_sand: Slack is slow to answer, so declaring *{escape(title)}* "
            "takes longer than usual. I'll send you a direct message when it's done."
        ],
    )


def declared_view(
    *,
    ref: str,
    channel_id: str,
    created: bool,
    invite_failures: Mapping[str, str],
    header_problem: str | None,
) -> View:
    where = f"its channel is <#{channel_id}>" if created else f"<#{channel_id}> is its channel"
    lines = [f":white_check_mark: *{ref}* is declared: {where}."]
    if not created:
        lines.append("I'm reading the channel's history into the timeline now.")
    if invite_failures:
        failed = ", ".join(f"<@{user}> ({code})" for user, code in invite_failures.items())
        lines.append(f":warning: I couldn't invite {failed}; invite them by hand.")
    if header_problem:
        lines.append(f":warning: {escape(header_problem)}")
    return _result("Incident declared", lines)


def result_text(view: View) -> str:
    """The text of a result view, for when it can only be sent as a message."""
    return "\n".join(
        block.text.text
        for block in view.blocks or []
        if isinstance(block, SectionBlock) and isinstance(block.text, MarkdownTextObject)
    )
