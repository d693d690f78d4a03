"""The one error handler: our typed errors become a clear answer to the person who acted."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

from bot.db import is_busy
from bot.errors import DatabaseBusyError, HindsightError, UserInputError
from bot.ui.feedback import error_modal

UNEXPECTED = "Sorry, something went wrong on our side. Nothing you entered was lost; try again."


def register(app: AsyncApp) -> None:
    app.error(handle_error)


async def handle_error(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None,
    response: BoltResponse | None,
    logger: logging.Logger,
) -> BoltResponse | None:
    error, message = _explained(error, logger)
    if response is not None and _answers_in_ack(body):
        return _ack_response(error, body, message)
    if respond is not None:
        await respond(text=message, response_type="ephemeral", replace_original=False)
    elif response is not None:
        logger.warning("no way to tell the person: %s", message)
    # Buttons and shortcuts: the ack is an empty 200 and the message went by response_url.
    return BoltResponse(status=200, body="") if response is not None else None


def _explained(error: Exception, logger: logging.Logger) -> tuple[Exception, str]:
    """The error as the person should see it, and the words for it; logged once."""
    if is_busy(error):  # a lock held elsewhere: say so, within Slack's 3 s, rather than time out
        logger.warning("refused: the database is busy (%s)", type(error).__name__)
        error = DatabaseBusyError()
    if isinstance(error, HindsightError):
        logger.info("refused: %s: %s", type(error).__name__, error.message)
        return error, error.message
    logger.error("unexpected error handling a Slack request", exc_info=error)
    return error, UNEXPECTED


def _answers_in_ack(body: dict[str, Any]) -> bool:
    """Commands and modal submissions show the error in the ack itself."""
    return body.get("type") == "view_submission" or "command" in body


def _ack_response(error: Exception, body: dict[str, Any], message: str) -> BoltResponse:
    if body.get("type") == "view_submission":
        field = error.field if isinstance(error, UserInputError) else None
        if field:
            payload = {"response_action": "errors", "errors": {field: message}}
        else:
            payload = {"response_action": "update", "view": error_modal(message).to_dict()}
        return _json(payload)
    return _json({"response_type": "ephemeral", "text": message})


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )
