"""SimSlack: the simulated workspace's Web API, served over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import limits, methods_oauth, methods_views
from .http import LoopbackServer, Response, json_response, parse_args, text_response
from .methods_apps import HANDLERS as APPS_HANDLERS
from .methods_chat import HANDLERS as CHAT_HANDLERS
from .methods_conversations import HANDLERS as CONVERSATIONS_HANDLERS
from .methods_files import HANDLERS as FILES_HANDLERS
from .methods_users import HANDLERS as USERS_HANDLERS
from .records import Call, Rejection, Req, SlackError
from .state import Handler
from .strict import StrictReads
from .waiting import Waiting

METHODS: dict[str, Handler] = {
    **CONVERSATIONS_HANDLERS,
    **CHAT_HANDLERS,
    **FILES_HANDLERS,
    **methods_views.HANDLERS,
    **USERS_HANDLERS,
    **APPS_HANDLERS,
}

DEFAULT_SCOPES = (
    "commands,chat:write,channels:manage,groups:write,channels:read,groups:read,channels:history,"
    "groups:history,im:history,im:write,users:read,reactions:read,pins:write,bookmarks:write,"
    "canvases:write,files:write,files:read"
)

# Where issued response_urls point (Slack's shapes), and the older /response_url/<id>.
RESPONSE_URL_PATHS = ("/commands/", "/actions/", "/app/", "/response_url/")


class SimSlack(Waiting):
    """A stateful Slack Web API over real HTTP; start it, point ``SLACK_API_URL`` at
    ``base_url``. Subclasses may override ``missing_args``, ``intercept`` and ``gate``."""

    def __init__(
        self,
        team_id: str = "T0TEAM1",
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        *,
        app_id: str = "A0HINDSIGHT",
        bot_name: str = "hindsight",
    ) -> None:
        super().__init__(
            team_id=team_id,
            bot_token=bot_token,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            bot_name=bot_name,
        )
        self.scopes = DEFAULT_SCOPES
        self.oauth = methods_oauth.OAuthApp()  # the app's OAuth install (many workspaces)
        # Slack's strict history/replies limits, when a test or a bench turns them on.
        self.strict_reads: StrictReads | None = None
        self._response_urls: dict[str, int] = {}
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> SimSlack:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread."""
        if self._server is None:
            self._server = LoopbackServer(self)
            self.root_url = f"http://127.0.0.1:{self._server.server_address[1]}"
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Web API base URL for ``AsyncWebClient(base_url=...)`` and ``SLACK_API_URL``."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"{self.root_url}/api/"

    def strict_limits(self, *, window: float = 60.0, page_size: int = 15) -> StrictReads:
        """Answer conversations.history/replies as Slack does for commercially distributed
        apps outside the Marketplace (see ``strict``); returns the limiter (its counts)."""
        with self._lock:
            self.strict_reads = StrictReads(window=window, page_size=page_size)
            return self.strict_reads

    # ---- hooks for a subclass (the tests' fake) ---------------------------------------------
    def missing_args(self, method: str, args: dict[str, Any]) -> list[str]:
        """Required arguments ``args`` lacks (none known here: the tests check Slack's spec)."""
        return []

    def intercept(self, call: Call) -> Response | None:
        """An answer in place of the real one (an injected failure); None = answer normally."""
        return None

    def gate(self, method: str, *, answer: bool) -> None:
        """Called before a Web API call runs and (``answer``) before its answer is sent."""

    # ---- interaction helpers (used by SignedRequests) ---------------------------------------
    def issue_response_url(self, kind: str = "commands") -> str:
        """A response_url pointing back at this server (valid for 5 uses), shaped like Slack's
        `https://hooks.slack.com/<kind>/<team>/<number>/<secret>`."""
        with self._lock:
            rid = self.new_id("R")
            self._response_urls[rid] = 0
            number = len(self._response_urls)
        return f"{self.root_url}/{kind}/{self.team_id}/{number}/{rid}"

    def apply_view_submission_response(self, view_id: str, response: dict[str, Any] | None) -> None:
        """Apply the app's view_submission ack (close/update/push/clear/errors)."""
        with self._lock:
            errs = methods_views.apply_submission_response(self, view_id, response)
            if errs:
                action = (response or {}).get("response_action", "")
                self.rejections.append(
                    Rejection(f"view_submission:{action}", "invalid_response", errs)
                )

    def close_view(self, view_id: str, *, is_cleared: bool = False) -> None:
        """The user closed a modal view (``is_cleared``: the whole stack)."""
        with self._lock:
            methods_views.close_view(self, view_id, clear=is_cleared)

    # ---- routing ----------------------------------------------------------------------------
    def route(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        """Answer one HTTP request: a Web API method, a file upload or a response_url."""
        parts = urlsplit(raw_path)
        path = parts.path
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if path.startswith("/upload/") and verb == "POST":
            return self._upload(path.removeprefix("/upload/"), body)
        if path.startswith(RESPONSE_URL_PATHS) and verb == "POST":
            return self._response_url(path.rsplit("/", 1)[-1], ctype, body)
        if path == methods_oauth.AUTHORIZE_PATH and verb == "GET":
            with self._lock:
                return methods_oauth.authorize_page(self, self.oauth, parts.query)
        method = path.removeprefix("/api/").strip("/")
        if not method or "/" in method:
            return text_response("not found", 404)
        try:
            args = parse_args(parts.query, ctype, body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return json_response({"ok": False, "error": "invalid_json"})
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if method == "oauth.v2.access":  # the app's credentials, no token
            return self._oauth_access(verb, args, auth)
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        self.gate(method, answer=False)
        response = self._api(method, verb, args, token)
        self.gate(method, answer=True)
        return response

    def _api(self, method: str, verb: str, args: dict[str, Any], token: str | None) -> Response:
        with self._lock:
            call = Call(method, args, token, verb, time.monotonic())
            self._calls.append(call)
            missing = self.missing_args(method, args)
            if missing:
                names = ", ".join(missing)
                self.violations.append(
                    f"{method}: missing required argument(s) {names} (sent {sorted(args)})"
                )
            answer = self.intercept(call)
            if answer is not None:
                return answer
            if self.strict_reads is not None:
                wait = self.strict_reads.wait_left(method, token, call.at)
                if wait is not None:
                    call.failed, call.status, call.error = True, 429, "ratelimited"
                    retry_after = self.strict_reads.retry_after(wait)
                    body = {"ok": False, "error": "ratelimited"}
                    return json_response(body, 429, **{"Retry-After": retry_after})
                args = self.strict_reads.capped(method, args)
            body = self._answer(method, args, token, missing)
            call.error = None if body["ok"] else body["error"]
            return json_response(body, **{"X-OAuth-Scopes": self.scopes})

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, missing: list[str]
    ) -> dict[str, Any]:
        handler = METHODS.get(method)
        if handler is None:
            self.violations.append(
                f"{method}: not a method {type(self).__name__} implements (unknown_method)"
            )
            return {"ok": False, "error": "unknown_method"}
        if token is None:
            return {"ok": False, "error": "not_authed"}
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        if missing:
            messages = [f"[ERROR] missing required field: {m}" for m in missing]
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": messages},
            }
        return self._run(handler, Req(method, args, token, self.tokens[token]))

    def _run(self, handler: Handler, req: Req) -> dict[str, Any]:
        try:
            return {"ok": True, **handler(self, req)}
        except SlackError as exc:
            body: dict[str, Any] = {"ok": False, "error": exc.error, **exc.extra}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            if exc.rejected:
                self.rejections.append(Rejection(req.method, exc.error, exc.messages))
            return body

    def _oauth_access(self, verb: str, args: dict[str, Any], authorization: str) -> Response:
        recorded = {key: value for key, value in args.items() if key != "client_secret"}
        with self._lock:
            call = Call("oauth.v2.access", recorded, None, verb, time.monotonic())
            self._calls.append(call)
            answer = self.intercept(call)
            if answer is not None:
                return answer
            try:
                body = methods_oauth.oauth_v2_access(self, self.oauth, args, authorization)
            except SlackError as exc:
                call.error = exc.error
                return json_response({"ok": False, "error": exc.error})
            return json_response({"ok": True, **body})

    def _upload(self, file_id: str, body: bytes) -> Response:
        with self._lock:
            call = Call(
                "upload", {"file_id": file_id, "length": len(body)}, None, "POST", time.monotonic()
            )
            self._calls.append(call)
            answer = self.intercept(call)
            if answer is not None:
                return answer
            stored = self.files.get(file_id)
            if stored is None:
                call.status, call.error = 404, "file_not_found"
                return text_response("file_not_found", 404)
            stored.content = body
        return text_response(f"OK - {len(body)}")

    def _response_url(self, rid: str, ctype: str, body: bytes) -> Response:
        try:
            args = parse_args("", ctype or "application/json", body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            args = {}
        with self._lock:
            call = Call("response_url", args, None, "POST", time.monotonic())
            self._calls.append(call)
            answer = self.intercept(call)
            if answer is not None:
                return answer
            uses = self._response_urls.get(rid)
            error, messages = _response_url_error(uses, args)
            if error is None:
                self._response_urls[rid] = (uses or 0) + 1
                return text_response("ok", 200, "text/html")
            call.status, call.error = (404 if error in ("no_service", "used_url") else 400), error
            if messages:
                self.rejections.append(Rejection("response_url", error, messages))
            return text_response(error, call.status, "text/html")


def _response_url_error(uses: int | None, args: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Why Slack would refuse a post to a response_url used ``uses`` times (None: it's fine)."""
    if uses is None:
        return "no_service", []
    if uses >= 5:
        return "used_url", ["a response_url may be used at most 5 times"]
    if not args:
        return "invalid_payload", []
    if messages := limits.message_text_errors(args.get("text")):
        return "msg_too_long", messages
    if "blocks" in args and (messages := limits.validate_message_blocks(args["blocks"])):
        return "invalid_blocks", messages
    return None, []
