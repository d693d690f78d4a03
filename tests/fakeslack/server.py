"""FakeSlack: a real HTTP fake of the Slack Web API, run in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import json
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import limits, methods_views
from .methods_chat import HANDLERS as CHAT_HANDLERS
from .methods_conversations import HANDLERS as CONVERSATIONS_HANDLERS
from .models import Call, Failure, Handler, Rejection, Req, SlackError
from .spec import missing_args
from .state import SlackState

METHODS: dict[str, Handler] = {**CONVERSATIONS_HANDLERS, **CHAT_HANDLERS, **methods_views.HANDLERS}

DEFAULT_SCOPES = (
    "commands,chat:write,channels:manage,groups:write,channels:read,groups:read,channels:history,"
    "groups:history,im:history,im:write,users:read,reactions:read,pins:write,bookmarks:write,"
    "canvases:write,files:write,files:read"
)

# Where issued response_urls point (Slack's shapes), and the older /response_url/<id>.
RESPONSE_URL_PATHS = ("/commands/", "/actions/", "/app/", "/response_url/")

Response = tuple[int, dict[str, str], bytes]
_JSON = "application/json; charset=utf-8"


def _json(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return status, {"Content-Type": _JSON, **headers}, json.dumps(body).encode()


def _text(text: str, status: int = 200, ctype: str = "text/plain") -> Response:
    return status, {"Content-Type": f"{ctype}; charset=utf-8"}, text.encode()


def _parse_args(query: str, ctype: str, body: bytes) -> dict[str, Any]:
    """Merge query string, form body, multipart body and JSON body arguments."""
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    kind = ctype.split(";")[0].strip().lower()
    if not body:
        return args
    if kind == "application/json":
        data = json.loads(body)
        if isinstance(data, dict):
            args.update(data)
    elif kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode(), keep_blank_values=True)
        args.update({k: v[-1] for k, v in form.items()})
    elif kind == "multipart/form-data":
        msg = email.parser.BytesParser().parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body
        )
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                is_file = part.get_filename() is not None
                args[name] = payload if is_file else payload.decode()
    return args


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self, verb: str) -> None:
        body = self._read_body()
        try:
            status, headers, data = self.server.fake._route(
                verb, self.path, dict(self.headers), body
            )
        except Exception as exc:  # pragma: no cover - a bug in the fake itself
            status, headers, data = _text(f"FakeSlack crashed: {exc!r}", 500)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have gone away while its answer was held (a crash, in tests).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class FakeSlack(SlackState):
    """A stateful, spec-checked fake of the Slack Web API over real HTTP."""

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
        self._calls: list[Call] = []
        self._failures: list[Failure] = []
        self._response_urls: dict[str, int] = {}
        self._holds: dict[str, tuple[threading.Event, int]] = {}  # the gate, calls let through
        self.held: dict[str, int] = {}  # calls that waited (or wait) at a hold, per method
        self._answer_holds: dict[str, tuple[threading.Event, int]] = {}
        self.answers_held: dict[str, int] = {}  # calls done whose answer waited at a hold
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread."""
        if self._server is None:
            self._server = _Server(self)
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

    def __enter__(self) -> FakeSlack:
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
        """Web API base URL for ``AsyncWebClient(base_url=...)``."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"{self.root_url}/api/"

    # ---- recorded calls ---------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Copy of every recorded call, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def clear_calls(self) -> None:
        """Forget recorded calls (state is kept)."""
        with self._lock:
            self._calls.clear()

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:  # noqa: ASYNC109
        """Wait until ``count`` calls to ``method`` were recorded; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}; "
                    f"recorded: {seen}"
                )
            await asyncio.sleep(0.01)

    async def wait_until(
        self,
        check: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "the condition",
    ) -> None:
        """Wait until ``check`` (on the fake's state) holds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what} did not happen within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_held(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` calls to ``method`` are waiting at its hold (see ``hold``)."""
        await self.wait_until(
            lambda: self.held.get(method, 0) >= count,
            timeout=timeout,
            what=f"{count} call(s) to {method} reaching the hold",
        )

    async def wait_answer_held(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` answers of ``method`` are held (see ``hold_answer``)."""
        await self.wait_until(
            lambda: self.answers_held.get(method, 0) >= count,
            timeout=timeout,
            what=f"{count} answer(s) of {method} held",
        )

    def assert_no_violations(self) -> None:
        """Fail if the app broke the API contract (missing args, unknown methods)."""
        with self._lock:
            problems = list(self.violations)
        assert not problems, "Slack API contract violations:\n" + "\n".join(problems)

    def assert_no_rejections(self) -> None:
        """Fail if Slack would have rejected a payload for breaking a Block Kit limit."""
        with self._lock:
            problems = [str(r) for r in self.rejections]
        assert not problems, "Slack would reject:\n" + "\n".join(problems)

    # ---- failure injection ------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 0,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` ("*" = any) fail; None = forever."""
        if status is None and error is None:
            raise ValueError("fail() needs status= or error=")
        with self._lock:
            self._failures.append(Failure(method, status, error, retry_after, times))

    def hold(self, method: str, *, let_through: int = 0) -> threading.Event:
        """Keep calls to ``method`` waiting (a slow Slack) until the returned event is set;
        the first ``let_through`` of them are answered at once."""
        gate = threading.Event()
        with self._lock:
            self._holds[method] = (gate, let_through)
        return gate

    def hold_answer(self, method: str, *, let_through: int = 0) -> threading.Event:
        """Do calls to ``method`` (the post lands) but keep their answers waiting until the
        returned event is set: the moment a crash loses the answer. The first
        ``let_through`` are answered at once."""
        gate = threading.Event()
        with self._lock:
            self._answer_holds[method] = (gate, let_through)
        return gate

    def clear_failures(self) -> None:
        """Drop all pending injected failures."""
        with self._lock:
            self._failures.clear()

    def _take_failure(self, method: str) -> Failure | None:
        for failure in self._failures:
            if failure.method in (method, "*") and failure.remaining != 0:
                if failure.remaining is not None:
                    failure.remaining -= 1
                return failure
        return None

    def _failure_response(self, call: Call, failure: Failure) -> Response:
        call.failed = True
        call.status = failure.status or 200
        if failure.status == 429:
            call.error = failure.error or "ratelimited"
            body = {"ok": False, "error": call.error}
            return _json(body, 429, **{"Retry-After": str(failure.retry_after)})
        if failure.status is not None and failure.status != 200:
            phrase = HTTPStatus(failure.status).phrase
            html = f"<html><head><title>{failure.status} {phrase}</title></head></html>"
            return _text(html, failure.status, "text/html")
        call.error = failure.error
        return _json({"ok": False, "error": failure.error})

    # ---- interaction helpers (used by SlackRequests) ----------------------------------------
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
    def _route(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(raw_path)
        path = parts.path
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if path.startswith("/upload/") and verb == "POST":
            return self._upload(path.removeprefix("/upload/"), body)
        if path.startswith(RESPONSE_URL_PATHS) and verb == "POST":
            return self._response_url(path.rsplit("/", 1)[-1], ctype, body)
        method = path.removeprefix("/api/").strip("/")
        if not method or "/" in method:
            return _text("not found", 404)
        try:
            args = _parse_args(parts.query, ctype, body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json({"ok": False, "error": "invalid_json"})
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        if method in self._holds:
            with self._lock:
                gate, let_through = self._holds[method]
                self._holds[method] = (gate, let_through - 1)
                if let_through <= 0:
                    self.held[method] = self.held.get(method, 0) + 1
            if let_through <= 0:
                gate.wait(timeout=30)
        response = self._api(method, verb, args, token)
        if method in self._answer_holds:
            with self._lock:
                gate, let_through = self._answer_holds[method]
                self._answer_holds[method] = (gate, let_through - 1)
                if let_through <= 0:
                    self.answers_held[method] = self.answers_held.get(method, 0) + 1
            if let_through <= 0:
                gate.wait(timeout=30)
        return response

    def _api(self, method: str, verb: str, args: dict[str, Any], token: str | None) -> Response:
        with self._lock:
            call = Call(method, args, token, verb, time.monotonic())
            self._calls.append(call)
            missing = missing_args(method, args)
            if missing:
                names = ", ".join(missing)
                self.violations.append(
                    f"{method}: missing required argument(s) {names} (sent {sorted(args)})"
                )
            failure = self._take_failure(method)
            if failure is not None:
                return self._failure_response(call, failure)
            handler = METHODS.get(method)
            if handler is None:
                self.violations.append(
                    f"{method}: not a method FakeSlack implements (unknown_method)"
                )
                body: dict[str, Any] = {"ok": False, "error": "unknown_method"}
            elif token is None:
                body = {"ok": False, "error": "not_authed"}
            elif token not in self.tokens:
                body = {"ok": False, "error": "invalid_auth"}
            elif missing:
                messages = [f"[ERROR] missing required field: {m}" for m in missing]
                body = {
                    "ok": False,
                    "error": "invalid_arguments",
                    "response_metadata": {"messages": messages},
                }
            else:
                body = self._run(handler, Req(method, args, token, self.tokens[token]))
            call.error = None if body["ok"] else body["error"]
            return _json(body, **{"X-OAuth-Scopes": self.scopes})

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

    def _upload(self, file_id: str, body: bytes) -> Response:
        with self._lock:
            call = Call(
                "upload", {"file_id": file_id, "length": len(body)}, None, "POST", time.monotonic()
            )
            self._calls.append(call)
            failure = self._take_failure("upload")
            if failure is not None:
                return self._failure_response(call, failure)
            stored = self.files.get(file_id)
            if stored is None:
                call.status, call.error = 404, "file_not_found"
                return _text("file_not_found", 404)
            stored.content = body
        return _text(f"OK - {len(body)}")

    def _response_url(self, rid: str, ctype: str, body: bytes) -> Response:
        try:
            args = _parse_args("", ctype or "application/json", body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            args = {}
        with self._lock:
            call = Call("response_url", args, None, "POST", time.monotonic())
            self._calls.append(call)
            failure = self._take_failure("response_url")
            if failure is not None:
                return self._failure_response(call, failure)
            uses = self._response_urls.get(rid)
            error, messages = None, []
            if uses is None:
                error = "no_service"
            elif uses >= 5:
                error, messages = "used_url", ["a response_url may be used at most 5 times"]
            elif not args:
                error = "invalid_payload"
            elif messages := limits.message_text_errors(args.get("text")):
                error = "msg_too_long"
            elif "blocks" in args and (messages := limits.validate_message_blocks(args["blocks"])):
                error = "invalid_blocks"
            if error is None:
                self._response_urls[rid] = (uses or 0) + 1
                return _text("ok", 200, "text/html")
            call.status, call.error = (404 if error in ("no_service", "used_url") else 400), error
            if messages:
                self.rejections.append(Rejection("response_url", error, messages))
            return _text(error, call.status, "text/html")
