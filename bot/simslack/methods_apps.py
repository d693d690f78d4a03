"""apps.connections.open: the WebSocket URL a Socket Mode app connects to, asked for with the
app-level token (xapp-…), never a bot token."""

from __future__ import annotations

from typing import Any

from .records import Req, SlackError
from .state import Handler, SlackState


def apps_connections_open(st: SlackState, req: Req) -> dict[str, Any]:
    if req.token not in st.app_tokens:
        raise SlackError("not_allowed_token_type")
    if st.socket_mode_url is None:  # no Socket Mode server attached: Slack could not open one
        raise SlackError("internal_error")
    return {"url": st.socket_mode_url}


HANDLERS: dict[str, Handler] = {"apps.connections.open": apps_connections_open}
