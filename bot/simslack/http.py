"""The loopback HTTP side of the simulated workspace: a threaded server that hands every
request to the workspace's ``route`` and writes its answer back."""

from __future__ import annotations

import contextlib
import email.parser
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs

Response = tuple[int, dict[str, str], bytes]
"""(status, headers, body) of one answer."""

_JSON = "application/json; charset=utf-8"


class Router(Protocol):
    def route(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        """Answer one request."""
        ...


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return status, {"Content-Type": _JSON, **headers}, json.dumps(body).encode()


def text_response(text: str, status: int = 200, ctype: str = "text/plain") -> Response:
    return status, {"Content-Type": f"{ctype}; charset=utf-8"}, text.encode()


def parse_args(query: str, ctype: str, body: bytes) -> dict[str, Any]:
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
        args.update(_multipart(ctype, body))
    return args


def _multipart(ctype: str, body: bytes) -> dict[str, Any]:
    msg = email.parser.BytesParser().parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    args: dict[str, Any] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            is_file = part.get_filename() is not None
            args[name] = payload if is_file else payload.decode()
    return args


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

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
            status, headers, data = self.server.router.route(
                verb, self.path, dict(self.headers), body
            )
        except Exception as exc:  # pragma: no cover - a bug in the simulation itself
            status, headers, data = text_response(f"simulated Slack crashed: {exc!r}", 500)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have gone away while its answer was held (a crash, in tests).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


class LoopbackServer(ThreadingHTTPServer):
    """Serves ``router`` on 127.0.0.1, on a port the system picks."""

    daemon_threads = True

    def __init__(self, router: Router) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.router = router
