"""Slack's OAuth v2 install, simulated: the authorize page a person approves an install on
(``GET /oauth/v2/authorize``, answered with Slack's redirect back to the app) and
``oauth.v2.access``, which trades the code (or, with token rotation, a refresh token) for the
team's tokens.

Each workspace that may install the app is a ``Workspace`` (``OAuthApp.add_workspace``); the
``team`` the install link names picks it (Bolt passes ``/slack/install?team=T…`` on). A code is
good once, for ten minutes; a bot token becomes a token of the simulated workspace (``tokens``,
so the fake answers calls made with it for that team) only once the code is exchanged.

The functions run under the workspace's lock (``SimSlack.route`` holds it).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .http import Response, text_response
from .records import SlackError
from .state import SlackState

AUTHORIZE_PATH = "/oauth/v2/authorize"
CODE_SECONDS = 600.0


@dataclass
class Workspace:
    """A workspace (or, for an org-wide install, an Enterprise Grid organisation) whose
    person approves (or denies) the app's install."""

    team_id: str | None
    team_name: str
    installer_id: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    is_enterprise_install: bool = False
    user_scopes: str = ""  # the installer's own token is issued when the app asks for scopes
    denies: bool = False  # the person presses Cancel: Slack redirects with error=access_denied

    @property
    def key(self) -> str:
        """The id the install link's `team` names (the organisation's for an org-wide one)."""
        return self.team_id or self.enterprise_id or ""


@dataclass
class Issued:
    """A code handed out by the authorize page, waiting for oauth.v2.access."""

    workspace: Workspace
    scopes: str
    redirect_uri: str | None
    at: float
    used: bool = False


@dataclass
class OAuthApp:
    """The app's OAuth side: its credentials, the workspaces that may install it, the codes
    and refresh tokens issued. ``token_expires_in``: seconds a bot token lives when token
    rotation is on (None: off, tokens never expire)."""

    client_id: str = "1111111111.2222222222"
    client_secret: str = field(default="sim-client-secret", repr=False)
    redirect_url: str | None = None  # the app config's Redirect URL (used when none is sent)
    token_expires_in: int | None = None
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    codes: dict[str, Issued] = field(default_factory=dict)
    refresh_tokens: dict[str, Workspace] = field(default_factory=dict, repr=False)
    issued_tokens: dict[str, list[str]] = field(default_factory=dict, repr=False)  # per key

    def add_workspace(self, workspace: Workspace) -> Workspace:
        self.workspaces[workspace.key] = workspace
        return workspace

    def tokens_of(self, team_or_enterprise: str) -> list[str]:
        """Every token issued to a workspace (bot, user and refresh), for tests that look for
        them where they must not be."""
        return list(self.issued_tokens.get(team_or_enterprise, []))


def authorize_page(st: SlackState, app: OAuthApp, query: str) -> Response:
    """Slack's authorize page, approved (or cancelled) at once: a 302 back to the app's
    redirect URL with `code` and `state`, or with `error=access_denied`."""
    args = {key: values[-1] for key, values in parse_qs(query).items()}
    if args.get("client_id") != app.client_id:
        return text_response("invalid_client_id", 400, "text/html")
    redirect_uri = args.get("redirect_uri") or app.redirect_url
    if not redirect_uri:
        return text_response("no redirect URL is configured for this app", 400, "text/html")
    workspace = app.workspaces.get(args.get("team") or "") or next(
        iter(app.workspaces.values()), None
    )
    if workspace is None:
        return text_response("no workspace to install the app in", 400, "text/html")
    back: dict[str, str] = {"state": args.get("state", "")}
    if workspace.denies:
        back["error"] = "access_denied"
    else:
        code = f"{int(time.time())}.{secrets.token_hex(12)}"
        app.codes[code] = Issued(
            workspace, args.get("scope", ""), args.get("redirect_uri"), time.monotonic()
        )
        back["code"] = code
    separator = "&" if urlsplit(redirect_uri).query else "?"
    location = f"{redirect_uri}{separator}{urlencode(back)}"
    return 302, {"Location": location, "Content-Type": "text/html; charset=utf-8"}, b""


def client_credentials(args: dict[str, Any], authorization: str) -> tuple[str, str]:
    """client_id and client_secret, from HTTP Basic auth (slack_sdk's way) or the form."""
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")


def oauth_v2_access(
    st: SlackState, app: OAuthApp, args: dict[str, Any], authorization: str
) -> dict[str, Any]:
    """The answer of oauth.v2.access (raises SlackError): a code's install, or a rotation."""
    client_id, secret = client_credentials(args, authorization)
    if client_id != app.client_id:
        raise SlackError("invalid_client_id")
    if secret != app.client_secret:
        raise SlackError("bad_client_secret")
    if args.get("grant_type") == "refresh_token":
        workspace = app.refresh_tokens.pop(str(args.get("refresh_token") or ""), None)
        if workspace is None:
            raise SlackError("invalid_refresh_token")
        return _bot_tokens(st, app, workspace) | {"token_type": "bot"}
    issued = _take_code(app, str(args.get("code") or ""))
    if issued.redirect_uri is not None and args.get("redirect_uri") != issued.redirect_uri:
        raise SlackError("bad_redirect_uri")
    return _install(st, app, issued)


def _take_code(app: OAuthApp, code: str) -> Issued:
    issued = app.codes.get(code)
    if issued is None or issued.used or time.monotonic() - issued.at > CODE_SECONDS:
        raise SlackError("invalid_code")
    issued.used = True
    return issued


def _install(st: SlackState, app: OAuthApp, issued: Issued) -> dict[str, Any]:
    workspace = issued.workspace
    installer: dict[str, Any] = {"id": workspace.installer_id}
    if workspace.user_scopes:
        installer |= _new_token(st, app, workspace, "xoxp") | {
            "scope": workspace.user_scopes,
            "token_type": "user",
        }
    enterprise = (
        {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
        if workspace.enterprise_id
        else None
    )
    team = None if workspace.is_enterprise_install else {"id": workspace.team_id}
    if team is not None:
        team["name"] = workspace.team_name
    return {
        **_bot_tokens(st, app, workspace),
        "token_type": "bot",
        "scope": issued.scopes,
        "bot_user_id": st.bot_user_id,
        "app_id": st.app_id,
        "team": team,
        "enterprise": enterprise,
        "authed_user": installer,
        "is_enterprise_install": workspace.is_enterprise_install,
    }


def _bot_tokens(st: SlackState, app: OAuthApp, workspace: Workspace) -> dict[str, Any]:
    return _new_token(st, app, workspace, "xoxb")


def _new_token(st: SlackState, app: OAuthApp, workspace: Workspace, kind: str) -> dict[str, Any]:
    """A fresh token the workspace's calls are answered for (a rotating one, with its refresh
    token and lifetime, when rotation is on)."""
    token = f"{kind}-{workspace.key}-{secrets.token_hex(16)}"
    st.add_token(token, workspace.key)
    issued = app.issued_tokens.setdefault(workspace.key, [])
    issued.append(token)
    if app.token_expires_in is None:
        return {"access_token": token}
    refresh = f"xoxe-1-{secrets.token_hex(24)}"
    if kind == "xoxb":  # only the bot's rotation is simulated
        app.refresh_tokens[refresh] = workspace
    issued.append(refresh)
    return {"access_token": token, "refresh_token": refresh, "expires_in": app.token_expires_in}


def revoke_tokens(st: SlackState, app: OAuthApp, team_or_enterprise: str) -> None:
    """What Slack does on an uninstall: every token of the workspace stops working (calls made
    with one are still recorded, and answered `invalid_auth`)."""
    for token in app.issued_tokens.get(team_or_enterprise, []):
        st.tokens.pop(token, None)
    app.refresh_tokens = {
        refresh: workspace
        for refresh, workspace in app.refresh_tokens.items()
        if workspace.key != team_or_enterprise
    }
