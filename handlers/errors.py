"""The one error handler: our typed errors become a clear answer to the person who acted."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

from bot.errors import HindsightError, UserInputError
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
    if isinstance(error, HindsightError):
        logger.info("refused: %s: %s", type(error).__name__, error.message)
        message = error.message
    else:
        logger.error("unexpected error handling a Slack request", exc_info=error)
        message = UNEXPECTED
    if response is not None:  # not acknowledged yet: the answer is the ack itself
        return _ack_response(error, body, message)
    if respond is not None:
        await respond(text=message, response_type="ephemeral", replace_original=False)
    return None


def _ack_response(error: Exception, body: dict[str, Any], message: str) -> BoltResponse:
    if body.get("type") == "view_submission":
        field = error.field if isinstance(error, UserInputError) else None
        if field:
            payload = {"response_action": "errors", "errors": {field: message}}
        else:
            payload = {"response_action": "update", "view": error_modal(message).to_dict()}
        return _json(payload)
    if "command" in body:
        return _json({"response_type": "ephemeral", "text": message})
    return BoltResponse(status=200, body="")


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )
