"""Bolt listeners for views."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError
from bot.ids import Declare
from bot.incidents import declare
from bot.incidents.forms import Declaration
from bot.ui.declare import declared_view, read_form, result_text, still_working_view
from handlers.context import team_id_of
from handlers.errors import UNEXPECTED

logger = logging.getLogger(__name__)

# Slack wants the submission answered within 3 s; what isn't done by then is finished after.
ACK_BUDGET_SECONDS = 2.5


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.view(Declare.CALLBACK)(submit_declare)


async def submit_declare(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Check the form (inline errors), declare, and answer with the outcome in the modal; if
    Slack is too slow for that, the modal says so and the outcome follows as a DM."""
    started = time.monotonic()
    form = read_form(
        body["view"],
        team_id=team_id_of(body),
        user_id=body["user"]["id"],
        key=context["settings"].slack_signing_secret or "",
    )
    declaration, problems = await declare.check_form(
        sessions=context["sessions"], client=client, form=form, now=context["clock"]()
    )
    if declaration is None:
        await ack(response_action="errors", errors=problems)
        return
    work = start_declaring(declaration, client, context)
    if await finished_within(work, ACK_BUDGET_SECONDS - (time.monotonic() - started)):
        # A refusal raises here, before the ack: the error handler shows it in the modal.
        await ack(response_action="update", view=outcome_view(work.result()))
        return
    await ack(response_action="update", view=still_working_view(title=declaration.title))
    await send_late_outcome(client, user_id=form.declared_by, work=work)


def start_declaring(
    declaration: Declaration, client: AsyncWebClient, context: AsyncBoltContext
) -> asyncio.Future[declare.Declared]:
    return asyncio.ensure_future(
        declare.declare_incident(
            sessions=context["sessions"],
            client=client,
            declaration=declaration,
            channel_prefix=context["settings"].channel_prefix,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            now=context["clock"](),
            backfills=context["backfills"],
        )
    )


async def finished_within(work: asyncio.Future[declare.Declared], seconds: float) -> bool:
    done, _ = await asyncio.wait({work}, timeout=max(seconds, 0.1))
    return bool(done)


def outcome_view(declared: declare.Declared) -> View:
    return declared_view(
        ref=declared.incident.ref,
        channel_id=declared.incident.channel_id or "",
        created=declared.channel_created,
        invite_failures=declared.invite_failures,
        header_problem=declared.header_problem,
    )


async def send_late_outcome(
    client: AsyncWebClient, *, user_id: str, work: asyncio.Future[declare.Declared]
) -> None:
    """After the ack no error handler can answer, so the outcome, good or bad, goes by DM."""
    try:
        text = result_text(outcome_view(await work))
    except HindsightError as error:
        text = f":warning: {error.message}"
    except Exception:
        logger.exception("declaring an incident failed after the submission was answered")
        text = f":warning: {UNEXPECTED}"
    await client.chat_postMessage(channel=user_id, text=text)
