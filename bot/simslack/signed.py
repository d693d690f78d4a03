"""SignedRequests: send Slack-signed requests (events, commands, interactivity) to a bot URL."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import string
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from .payloads import EventBuilders, find_element
from .server import SimSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class SignedRequests(EventBuilders):
    """Builds Slack's payloads from templates and POSTs them, signed with the app's signing
    secret, to its request URL, as ``workspace`` (issuing trigger ids and response_urls)."""

    def __init__(
        self,
        url: str,
        *,
        signing_secret: str,
        workspace: SimSlack,
        team_id: str = "T0TEAM1",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.workspace = workspace
        self.team_id = team_id
        self.transport = transport
        self.timeout = timeout
        self.last_payload: dict[str, Any] | None = None
        self._verifier = SignatureVerifier(signing_secret)

    # ---- signing and transport ---------------------------------------------------------
    def sign(self, body: str | bytes, timestamp: str | int | None = None) -> dict[str, str]:
        """The X-Slack-Request-Timestamp / X-Slack-Signature headers for ``body``."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        raw = body.encode() if isinstance(body, str) else body
        try:
            signature = self._verifier.generate_signature(timestamp=ts, body=raw.decode("utf-8"))
        except UnicodeDecodeError:
            digest = hmac.new(
                self.signing_secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256
            )
            signature = f"v0={digest.hexdigest()}"
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def post_raw(
        self,
        body: bytes | str,
        *,
        content_type: str,
        timestamp: str | int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``body``; ``timestamp`` / ``signature`` override the computed values."""
        raw = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **self.sign(raw, timestamp)}
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        headers.update(extra_headers or {})
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
            return await client.post(self.url, content=raw, headers=headers)

    async def _send_json(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        self.last_payload = payload
        return await self.post_raw(json.dumps(payload), content_type=JSON, extra_headers=headers)

    async def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        """Send an interactivity payload as ``payload=<url-encoded JSON>``."""
        self.last_payload = payload
        return await self.post_raw("payload=" + quote(json.dumps(payload)), content_type=FORM)

    # ---- small shared pieces ------------------------------------------------------------
    def _team(self, team_id: str | None) -> dict[str, Any]:
        return {"id": team_id or self.team_id, "domain": self.workspace.team_domain}

    def _user(self, user_id: str, team_id: str | None) -> dict[str, Any]:
        name = self.workspace.users.get(user_id, {}).get("name", user_id.lower())
        return {"id": user_id, "username": name, "name": name, "team_id": team_id or self.team_id}

    def _channel_name(self, channel_id: str) -> str:
        chan = self.workspace.channels.get(channel_id)
        if chan is None:
            return channel_id.lower()
        return "directmessage" if chan.is_im else chan.name

    # ---- Events API -----------------------------------------------------------------------
    async def url_verification(self, challenge: str) -> httpx.Response:
        """The one-off url_verification handshake."""
        payload = self.template("url_verification")
        payload["challenge"] = challenge
        return await self._send_json(payload)

    async def event(
        self,
        inner_event: dict[str, Any],
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> httpx.Response:
        """Wrap ``inner_event`` in a real event_callback envelope and deliver it."""
        team = team_id or self.team_id
        env = self.template("event_callback")
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        env.update(
            team_id=team,
            api_app_id=self.workspace.app_id,
            event=inner_event,
            event_id=event_id or f"Ev{suffix}",
            event_time=int(time.time()),
            event_context=f"4-{inner_event.get('type', 'event')}-{team}",
            authorizations=[
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._send_json(env, headers)

    # ---- slash commands and interactivity ------------------------------------------------------
    async def command(
        self,
        text: str,
        *,
        command: str = "/postmortem",
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        team_id: str | None = None,
        trigger_id: str | None = None,
    ) -> httpx.Response:
        """A slash command (form fields), with a live trigger_id and response_url."""
        fields = self.template("slash_command")
        fields.pop("enterprise_id", None)
        fields.pop("enterprise_name", None)
        fields.update(
            team_id=team_id or self.team_id,
            team_domain=self.workspace.team_domain,
            channel_id=channel_id,
            channel_name=self._channel_name(channel_id),
            user_id=user_id,
            user_name=self._user(user_id, team_id)["name"],
            command=command,
            text=text,
            api_app_id=self.workspace.app_id,
            is_enterprise_install="false",
            response_url=self.workspace.issue_response_url(),
            trigger_id=trigger_id or self.workspace.issue_trigger_id(user_id),
        )
        self.last_payload = fields
        return await self.post_raw(urlencode(fields), content_type=FORM)

    def _base(
        self, kind: str, user_id: str, team_id: str | None, view_id: str | None = None
    ) -> dict[str, Any]:
        payload = self.template(kind)
        payload.update(
            team=self._team(team_id),
            user=self._user(user_id, team_id),
            api_app_id=self.workspace.app_id,
            enterprise=None,
            is_enterprise_install=False,
        )
        if "trigger_id" in payload:
            payload["trigger_id"] = self.workspace.issue_trigger_id(user_id, view_id)
        return payload

    def _action(
        self,
        action_id: str,
        source: dict[str, Any],
        *,
        value: str | None,
        block_id: str | None,
        selected: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """One ``actions[]`` entry for the element ``action_id`` found in ``source``'s blocks."""
        found_block, element = find_element(source.get("blocks"), action_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id
            or found_block
            or "".join(secrets.choice(string.ascii_letters) for _ in range(4)),
            "action_ts": f"{time.time():.6f}",
        }
        if selected is not None:
            action.update(copy.deepcopy(selected))
            return action
        element = element or {}
        action.update(type=element.get("type", "button"))
        for key in ("text", "style"):
            if key in element:
                action[key] = copy.deepcopy(element[key])
        if value is not None or "value" in element:
            action["value"] = value if value is not None else element["value"]
        return action

    async def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        user_id: str,
        team_id: str | None = None,
        view: dict[str, Any] | None = None,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        selected: dict[str, Any] | None = None,
        state_values: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A ``block_actions`` payload from a view (modal/Home) or a message."""
        payload = self._base("block_actions", user_id, team_id, (view or {}).get("id"))
        source = view if view is not None else message or {}
        action = self._action(action_id, source, value=value, block_id=block_id, selected=selected)
        payload["actions"] = [action]
        for key in ("channel", "message", "response_url", "view"):
            payload.pop(key, None)
        if view is not None:
            view = copy.deepcopy(view)
            if state_values is not None:
                view["state"] = {"values": state_values}
            payload.update(container={"type": "view", "view_id": view.get("id")}, view=view)
            return await self.interactive(payload)
        chan = channel_id or "C0GENERAL"
        payload.update(
            container={
                "type": "message",
                "message_ts": message["ts"] if message else self.workspace.next_ts(),
                "channel_id": chan,
                "is_ephemeral": message is None,
            },
            channel={"id": chan, "name": self._channel_name(chan)},
            state={"values": state_values or {}},
            response_url=self.workspace.issue_response_url("actions"),
        )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return await self.interactive(payload)

    def _view_payload(
        self, view: dict[str, Any], template_view: dict[str, Any], values: dict[str, Any]
    ) -> dict[str, Any]:
        merged = {**template_view, **copy.deepcopy(view), "state": {"values": values}}
        merged.setdefault("id", self.workspace.new_id("V"))
        merged["root_view_id"] = view.get("root_view_id", merged["id"])
        merged["previous_view_id"] = view.get("previous_view_id")
        merged.update(
            team_id=self.team_id, app_id=self.workspace.app_id, bot_id=self.workspace.bot_id
        )
        merged["app_installed_team_id"] = self.team_id
        for key in ("private_metadata", "callback_id", "external_id"):
            merged[key] = view.get(key, "")
        return merged

    async def view_submission(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user_id: str,
        team_id: str | None = None,
    ) -> httpx.Response:
        """Submit ``view`` with ``values``; the app's ack is applied to the fake's modal stack."""
        payload = self._base("view_submission", user_id, team_id, view.get("id"))
        payload["view"] = self._view_payload(view, payload["view"], values)
        payload["response_urls"] = []
        response = await self.interactive(payload)
        if response.status_code == 200:
            try:
                ack = response.json() if response.content else None
            except ValueError:
                ack = None
            self.workspace.apply_view_submission_response(
                payload["view"]["id"], ack if isinstance(ack, dict) else None
            )
        return response

    async def view_closed(
        self,
        view: dict[str, Any],
        *,
        user_id: str,
        team_id: str | None = None,
        is_cleared: bool = False,
    ) -> httpx.Response:
        """The user closed the modal (Slack sends this only when ``notify_on_close`` is set)."""
        payload = self._base("view_closed", user_id, team_id)
        payload["view"] = self._view_payload(view, payload["view"], {})
        payload["is_cleared"] = is_cleared
        self.workspace.close_view(payload["view"]["id"], is_cleared=is_cleared)
        return await self.interactive(payload)

    async def message_action(
        self,
        callback_id: str,
        *,
        message: dict[str, Any],
        channel_id: str,
        user_id: str,
        team_id: str | None = None,
    ) -> httpx.Response:
        """A message shortcut on ``message``."""
        payload = self._base("message_action", user_id, team_id)
        payload.update(
            callback_id=callback_id,
            action_ts=f"{time.time():.6f}",
            message_ts=message["ts"],
            message=copy.deepcopy(message),
            channel={"id": channel_id, "name": self._channel_name(channel_id)},
            response_url=self.workspace.issue_response_url("app"),
        )
        return await self.interactive(payload)

    async def global_shortcut(
        self, callback_id: str, *, user_id: str, team_id: str | None = None
    ) -> httpx.Response:
        """A global shortcut (no channel, no response_url)."""
        payload = self._base("shortcut", user_id, team_id)
        payload.update(callback_id=callback_id, action_ts=f"{time.time():.6f}")
        return await self.interactive(payload)
