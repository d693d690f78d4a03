"""The HTTP side shared by the fake trackers: a threaded server on 127.0.0.1 (any verb), the
calls it saw with their bodies, and faults a test injects (refusals, rate limits, an answer
slower than the client waits)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, dict[str, str], bytes]
"""(status, headers, body) of one answer."""


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **headers},
        json.dumps(body).encode(),
    )


@dataclass
class Call:
    """One request as the fake received it."""

    verb: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # the JSON sent, or None
    status: int = 0  # what the fake answered


@dataclass
class Fault:
    """What the next `remaining` matching calls get instead of (or besides) their answer."""

    answer: Response | None  # None: the call is served, only late
    delay: float = 0.0  # seconds before the answer is sent
    after_work: bool = False  # the work is done, then the answer waits (lost to a timeout)
    remaining: int = 1
    verb: str | None = None  # only calls with this verb (None: any)
    path: str | None = None  # only calls whose path starts with this (None: any)

    def matches(self, verb: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.verb in (None, verb)
            and (self.path is None or path.startswith(self.path))
        )


@dataclass
class Recorder:
    """Calls seen and faults pending, guarded by one lock (the server answers in threads)."""

    calls: list[Call] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # bugs in the fake; a test fails on one
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, verb: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(verb, path):
                    fault.remaining -= 1
                    return fault
        return None

    def seen(self, verb: str | None = None, path: str | None = None) -> list[Call]:
        with self.lock:
            return [
                call
                for call in self.calls
                if verb in (None, call.verb) and (path is None or call.path.startswith(path))
            ]


class FakeTracker:
    """A tracker's API on loopback. Subclasses answer in `serve(call)`; faults and delays are
    applied here, around it."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def calls(self) -> list[Call]:
        return self.recorder.seen()

    def serve(self, call: Call) -> Response:
        raise NotImplementedError

    def start(self) -> FakeTracker:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTracker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, call: Call) -> Response:
        """The faults first, then the tracker's own answer."""
        with self.recorder.lock:
            self.recorder.calls.append(call)
        fault = self.recorder.take_fault(call.verb, call.path)
        if fault is not None and not fault.after_work:
            time.sleep(fault.delay)
            if fault.answer is not None:
                return fault.answer
        answer = self.serve(call)
        if fault is not None and fault.after_work:
            time.sleep(fault.delay)
        return answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeTracker) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms a call on keep-alive), which would swamp any timing of the outbox.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def _serve(self, verb: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw  # the fake answers it as the tracker would (400)
        call = Call(
            verb=verb,
            path=parts.path,
            query={key: values[-1] for key, values in parse_qs(parts.query).items()},
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        try:
            status, headers, data = self.server.fake.answer(call)
        except Exception as error:  # a bug in the fake itself: the fixture fails the test
            self.server.fake.recorder.crashes.append(repr(error))
            status, headers, data = json_response({"message": f"fake crashed: {error!r}"}, 500)
        call.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have given up waiting (a timeout, in tests).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)
