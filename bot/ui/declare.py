"""The declare modal, its reader, and the views that replace it while and after declaring."""

from __future__ import annotations

import json
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

from bot.ids import Declare
from bot.incidents import DeclareForm
from bot.ui.header import severity_label
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


def declare_modal(*, title: str, declared_by: str, channel_id: str) -> View:
    blocks: list[Block] = [
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
        InputBlock(
            block_id=Declare.SERVICES,
            label="Services or tags",
            optional=True,
            hint="Separate them with commas.",
            element=PlainTextInputElement(
                action_id=Declare.SERVICES,
                max_length=MAX_SERVICES_TEXT,
                placeholder="checkout, payments-api",
            ),
        ),
    ]
    if can_review(channel_id):
        blocks.append(_channel_choice())
    return View(
        type="modal",
        callback_id=Declare.CALLBACK,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=json.dumps({"channel_id": channel_id, "declared_by": declared_by}),
        blocks=blocks,
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


def read_form(view: Mapping[str, Any], *, team_id: str, user_id: str) -> DeclareForm:
    """The submitted declare view's state as a DeclareForm."""
    values = (view.get("state") or {}).get("values") or {}

    def entry(block_id: str) -> dict[str, Any]:
        return dict((values.get(block_id) or {}).get(block_id) or {})

    def text(block_id: str) -> str:
        return str(entry(block_id).get("value") or "")

    def selected(block_id: str) -> str | None:
        option = entry(block_id).get("selected_option") or {}
        return str(option["value"]) if option.get("value") else None

    context = json.loads(view.get("private_metadata") or "{}")
    origin = str(context.get("channel_id") or "")
    review = selected(Declare.CHANNEL) == REVIEW_CHANNEL and can_review(origin)
    return DeclareForm(
        team_id=team_id,
        declared_by=user_id,
        title=text(Declare.TITLE),
        severity=selected(Declare.SEVERITY),
        summary=text(Declare.SUMMARY).strip(),
        commander_id=entry(Declare.COMMANDER).get("selected_user") or None,
        facilitator_id=entry(Declare.FACILITATOR).get("selected_user") or None,
        services=text(Declare.SERVICES),
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
