"""A fake GitHub REST API (v3) on loopback: one repository's issues in memory, the search
endpoint, GitHub's refusals (500, 429 with Retry-After, 403 with x-ratelimit-reset, an answer
slower than the client waits) and `issues` webhook deliveries signed with X-Hub-Signature-256.

What it checks of every call (a miss lands in `violations`, see `assert_no_violations`): the
token as `Authorization: Bearer`, `Accept: application/vnd.github+json`, the
`X-GitHub-Api-Version` header, a User-Agent, and a `repo:` qualifier on searches (without one
GitHub would search every public repository)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shlex
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .loopback import Call, FakeTracker, Fault, Response, json_response

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
ISSUE_PATH = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues(?:/(?P<number>\d+))?$")
DUE_LINE = re.compile(r"^\*\*Due:\*\* *\d{4}-\d{2}-\d{2} *$", re.MULTILINE)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as GitHub sends it: the exact bytes and the headers."""

    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub(FakeTracker):
    def __init__(
        self,
        *,
        repository: str = "acme/payments",
        token: str = "ghp_test_token",
        webhook_secret: str = "test-webhook-secret",
        collaborators: set[str] | None = None,
        search_delay: float = 0.0,
    ) -> None:
        super().__init__()
        self.repository = repository
        self.token = token
        self.webhook_secret = webhook_secret
        self.collaborators = collaborators  # None: anyone may be assigned
        self.search_delay = search_delay  # seconds before a new issue shows in search results
        self.issues: dict[int, dict[str, Any]] = {}
        self.violations: list[str] = []
        self._indexed_at: dict[int, float] = {}  # monotonic moment each issue becomes findable
        self._lock = threading.RLock()

    def start(self) -> FakeGitHub:
        super().start()
        return self

    def __enter__(self) -> FakeGitHub:
        return self.start()

    @property
    def api_url(self) -> str:
        """What GITHUB_API_URL points at."""
        return self.root_url

    def assert_no_violations(self) -> None:
        assert self.violations == [], self.violations
        assert self.recorder.crashes == [], self.recorder.crashes

    # ---- faults ------------------------------------------------------------------------------
    def fail(self, status: int = 500, *, times: int = 1, verb: str | None = None) -> None:
        """The next `times` calls get `status` (GitHub's JSON error body)."""
        body = {"message": "Server Error" if status >= 500 else "Validation Failed"}
        self.recorder.inject(Fault(json_response(body, status), remaining=times, verb=verb))

    def limit(self, *, retry_after: int = 1, times: int = 1) -> None:
        """A secondary rate limit: 429 with Retry-After (seconds)."""
        body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
        answer = json_response(body, 429, **{"Retry-After": str(retry_after)})
        self.recorder.inject(Fault(answer, remaining=times))

    def exhaust(self, *, reset_in: int = 2, times: int = 1) -> int:
        """The primary rate limit used up: 403, x-ratelimit-remaining 0 and x-ratelimit-reset
        (UTC epoch seconds) `reset_in` seconds from now. Returns that reset moment."""
        reset = int(time.time()) + reset_in
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        body = {"message": "API rate limit exceeded for user ID 1."}
        self.recorder.inject(Fault(json_response(body, 403, **headers), remaining=times))
        return reset

    def stall(self, seconds: float, *, times: int = 1, after_work: bool = False) -> None:
        """The next `times` calls are answered `seconds` late; with `after_work` the call takes
        effect first (an issue is filed) and only its answer is late: the client that gave up
        never learns of it."""
        self.recorder.inject(Fault(None, delay=seconds, after_work=after_work, remaining=times))

    # ---- people acting in GitHub: each returns the webhook GitHub would deliver ---------------
    def close(self, number: int, *, reason: str = "completed", by: str = "octocat") -> Delivery:
        issue = self._change(number, state="closed", state_reason=reason)
        return self.delivery("closed", issue, by=by)

    def reopen(self, number: int, *, by: str = "octocat") -> Delivery:
        issue = self._change(number, state="open", state_reason="reopened")
        return self.delivery("reopened", issue, by=by)

    def assign(self, number: int, login: str, *, by: str = "octocat") -> Delivery:
        current = [person["login"] for person in self.issue(number)["assignees"]]
        issue = self._change(number, assignees=[*current, login])
        return self.delivery("assigned", issue, by=by, assignee=user(login))

    def unassign(self, number: int, login: str, *, by: str = "octocat") -> Delivery:
        kept = [p["login"] for p in self.issue(number)["assignees"] if p["login"] != login]
        issue = self._change(number, assignees=kept)
        return self.delivery("unassigned", issue, by=by, assignee=user(login))

    def edit_body(self, number: int, body: str, *, by: str = "octocat") -> Delivery:
        before = self.issue(number)["body"]
        issue = self._change(number, body=body)
        return self.delivery("edited", issue, by=by, changes={"body": {"from": before}})

    def set_due(self, number: int, due: date, *, by: str = "octocat") -> Delivery:
        """Someone edits the issue's due line (the one Hindsight wrote) to `due`."""
        body = DUE_LINE.sub(f"**Due:** {due.isoformat()}", self.issue(number)["body"])
        return self.edit_body(number, body, by=by)

    def issue(self, number: int) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.issues[number]))

    def delivery(
        self, action: str, issue: dict[str, Any], *, by: str = "octocat", **extra: Any
    ) -> Delivery:
        owner, name = self.repository.split("/")
        payload = {
            "action": action,
            "issue": issue,
            **extra,
            "repository": {
                "id": 1,
                "name": name,
                "full_name": self.repository,
                "owner": user(owner),
                "html_url": f"https://github.com/{self.repository}",
            },
            "sender": user(by),
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fake",
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "1",
            "X-Hub-Signature": "sha1="
            + hmac.new(self.webhook_secret.encode(), body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": sign(self.webhook_secret, body),
        }
        return Delivery(body, headers)

    # ---- the API -----------------------------------------------------------------------------
    def serve(self, call: Call) -> Response:
        self._check_headers(call)
        if call.headers.get("authorization") not in (f"Bearer {self.token}", f"token {self.token}"):
            return json_response({"message": "Bad credentials"}, 401)
        if call.path == "/search/issues" and call.verb == "GET":
            return self._search(call)
        match = ISSUE_PATH.match(call.path)
        if match is None or match["repo"] != self.repository:
            return json_response(NOT_FOUND, 404)
        if match["number"] is None:
            routes = {"POST": self._create, "GET": self._list}
            handler = routes.get(call.verb)
            return handler(call) if handler else json_response(NOT_FOUND, 404)
        number = int(match["number"])
        with self._lock:
            if number not in self.issues:
                return json_response(NOT_FOUND, 404)
        if call.verb == "GET":
            return json_response(self.issue(number))
        if call.verb == "PATCH":
            return self._edit(number, call.body)
        return json_response(NOT_FOUND, 404)

    def _check_headers(self, call: Call) -> None:
        where = f"{call.verb} {call.path}"
        if call.headers.get("accept") != MEDIA_TYPE:
            self.violations.append(f"{where}: Accept is {call.headers.get('accept')!r}")
        if call.headers.get("x-github-api-version") != API_VERSION:
            self.violations.append(f"{where}: no X-GitHub-Api-Version {API_VERSION}")
        if not call.headers.get("user-agent"):
            self.violations.append(f"{where}: no User-Agent (GitHub refuses those)")
        if not call.headers.get("authorization", "").startswith("Bearer "):
            self.violations.append(f"{where}: the token is not sent as Bearer")

    def _create(self, call: Call) -> Response:
        body = call.body if isinstance(call.body, dict) else None
        if body is None:
            return json_response({"message": "Problems parsing JSON"}, 400)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            return invalid("title", "missing_field", title)
        logins = body.get("assignees") or ([body["assignee"]] if body.get("assignee") else [])
        refused = self._unassignable(logins)
        if refused is not None:
            return refused
        with self._lock:
            number = len(self.issues) + 1
            now = time.time()
            self.issues[number] = {
                "id": 1000 + number,
                "number": number,
                "title": title,
                "body": body.get("body"),
                "state": "open",
                "state_reason": None,
                "labels": [{"name": name} for name in body.get("labels") or []],
                "assignee": user(logins[0]) if logins else None,
                "assignees": [user(login) for login in logins],
                "user": user("hindsight-bot"),
                "html_url": f"https://github.com/{self.repository}/issues/{number}",
                "url": f"{self.api_url}/repos/{self.repository}/issues/{number}",
                "repository_url": f"{self.api_url}/repos/{self.repository}",
                "created_at": stamp(now),
                "updated_at": stamp(now),
                "closed_at": None,
            }
            self._indexed_at[number] = time.monotonic() + self.search_delay
        return json_response(self.issue(number), 201)

    def _edit(self, number: int, body: Any) -> Response:
        if not isinstance(body, dict):
            return json_response({"message": "Problems parsing JSON"}, 400)
        if body.get("state") not in (None, "open", "closed"):
            return invalid("state", "invalid", body.get("state"))
        if "assignees" in body and (refused := self._unassignable(body["assignees"])):
            return refused
        fields = ("title", "body", "state", "state_reason", "assignees", "labels")
        return json_response(self._change(number, **{k: body[k] for k in fields if k in body}))

    def _change(self, number: int, **fields: Any) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[number]
            if "assignees" in fields:
                logins = fields.pop("assignees") or []
                issue["assignees"] = [user(login) for login in logins]
                issue["assignee"] = user(logins[0]) if logins else None
            if "labels" in fields:
                issue["labels"] = [{"name": name} for name in fields.pop("labels") or []]
            if fields.get("state") == "closed" and issue["state"] != "closed":
                issue["closed_at"] = stamp(time.time())
            elif fields.get("state") == "open":
                issue["closed_at"] = None
            issue.update(fields)
            issue["updated_at"] = stamp(time.time())
            return self.issue(number)

    def _unassignable(self, logins: list[str]) -> Response | None:
        for login in logins:
            if self.collaborators is not None and login not in self.collaborators:
                return invalid("assignees", "invalid", login)
        return None

    def _list(self, call: Call) -> Response:
        state = call.query.get("state", "open")
        per_page = min(int(call.query.get("per_page", "30")), 100)
        with self._lock:
            numbers = [
                number
                for number in sorted(self.issues, reverse=call.query.get("direction") != "asc")
                if state == "all" or self.issues[number]["state"] == state
            ]
            return json_response([self.issue(number) for number in numbers[:per_page]])

    def _search(self, call: Call) -> Response:
        words = shlex.split(call.query.get("q", ""))
        qualifiers = dict(word.split(":", 1) for word in words if ":" in word and " " not in word)
        terms = [word.lower() for word in words if word not in _joined(qualifiers)]
        if qualifiers.get("repo") != self.repository:
            self.violations.append(f"search without repo:{self.repository}: {call.query}")
        in_body_only = qualifiers.get("in") == "body"
        now = time.monotonic()
        with self._lock:
            found = [
                self.issue(number)
                for number, issue in sorted(self.issues.items())
                if self._indexed_at[number] <= now
                and all(term in _searched(issue, in_body_only=in_body_only) for term in terms)
            ]
        body = {"total_count": len(found), "incomplete_results": False, "items": found}
        return json_response(body)


def user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 100_000, "type": "User"}


def invalid(field: str, code: str, value: Any) -> Response:
    error = {"resource": "Issue", "field": field, "code": code, "value": value}
    return json_response({"message": "Validation Failed", "errors": [error]}, 422)


def _joined(qualifiers: dict[str, str]) -> set[str]:
    return {f"{key}:{value}" for key, value in qualifiers.items()}


def _searched(issue: dict[str, Any], *, in_body_only: bool) -> str:
    text = issue.get("body") or ""
    return text.lower() if in_body_only else f"{issue['title']}\n{text}".lower()
