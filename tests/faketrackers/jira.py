"""A fake Jira Cloud (REST v3) over real HTTP on loopback, for the tracker tests.

It keeps issues, users and a three-status workflow (To Do, In Progress, Done) in memory, checks
what real Jira checks on the calls we make (basic auth, the project, the issue type, an Atlassian
Document description, labels without spaces, dates as YYYY-MM-DD, known account ids), records
every call with its body, and injects faults: a status for the next N calls (500, 429 with
Retry-After, any other), and answers slower than the client waits (before the call takes
effect, or after: the issue exists but its answer is lost, as in a crash after Jira's 201).

People's changes in Jira (`move`, `close`, `reopen`, `assign`, `set_due`) return the
`jira:issue_updated` body Jira would send, with its changelog; `delivery(body)` is that body as
delivered: JSON bytes and X-Hub-Signature: sha256=<hex> with the fake's webhook secret (as a
Jira admin webhook registered with a secret is signed).
The HTTP side, the recorded calls and the faults are the shared loopback's (FakeGitHub's too),
with the same names: `fail`, `limit`, `stall`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .loopback import Call, FakeTracker, Fault, Response, json_response

# Status name → (id, status category key). Jira's categories: new, indeterminate, done.
STATUSES: dict[str, tuple[str, str]] = {
    "To Do": ("10000", "new"),
    "In Progress": ("10001", "indeterminate"),
    "Done": ("10002", "done"),
}
TRANSITIONS: dict[str, str] = {"11": "To Do", "21": "In Progress", "31": "Done"}
_CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
_ISSUE_PATH = re.compile(r"^/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)(?P<rest>/transitions)?$")
_JQL_CLAUSE = re.compile(r'^\s*(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*$')


def signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature header Jira sends with a webhook registered with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as Jira sends it: the exact bytes and the headers."""

    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class JiraUser:
    account_id: str
    email: str
    display_name: str
    email_visible: bool = True  # people may hide their e-mail from the API (profile visibility)
    active: bool = True
    account_type: str = "atlassian"

    def as_json(self) -> dict[str, Any]:
        shown = {"emailAddress": self.email} if self.email_visible else {}
        return {
            "accountId": self.account_id,
            "accountType": self.account_type,
            "displayName": self.display_name,
            "active": self.active,
            **shown,
        }


@dataclass
class JiraIssue:
    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: dict[str, Any] | None
    labels: list[str]
    duedate: str | None
    assignee: str | None  # an accountId
    status: str = "To Do"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def category(self) -> str:
        return STATUSES[self.status][1]

    def description_text(self) -> str:
        """The description's text, a line per line or paragraph, "- " before a list item."""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "text":
                    found.append(str(node.get("text", "")))
                elif node.get("type") == "hardBreak":
                    found.append("\n")
                elif node.get("type") == "listItem":
                    found.append("- ")
                for child in node.get("content", []) or []:
                    walk(child)
                if node.get("type") == "paragraph":
                    found.append("\n")

        walk(self.description)
        return "".join(found).strip()


class FakeJira(FakeTracker):
    """Jira Cloud's REST v3 as Hindsight uses it. `url` is the JIRA_URL to configure."""

    def __init__(
        self,
        *,
        project: str = "OPS",
        email: str = "bot@example.com",
        token: str = "t0k3n",
        webhook_secret: str = "jira-webhook-secret",
    ) -> None:
        super().__init__()
        self.project = project
        self.issue_types = {"Task", "Bug"}
        self.email = email
        self.token = token
        self.webhook_secret = webhook_secret
        self.issues: dict[str, JiraIssue] = {}
        self.users: dict[str, JiraUser] = {}
        self._lock = threading.RLock()  # the server answers in threads
        self._next_id = 10000

    def start(self) -> FakeJira:
        super().start()
        return self

    def __enter__(self) -> FakeJira:
        return self.start()

    @property
    def url(self) -> str:
        """What JIRA_URL points at."""
        return self.root_url

    def assert_no_crashes(self) -> None:
        assert self.recorder.crashes == [], self.recorder.crashes

    # ---- what tests arrange -----------------------------------------------------------------
    def add_user(
        self, email: str, *, display_name: str | None = None, email_visible: bool = True
    ) -> str:
        """A Jira user; returns the accountId."""
        account_id = "712020:" + hashlib.sha1(email.encode()).hexdigest()[:24]
        name = display_name or email.split("@")[0].title()
        with self._lock:
            self.users[account_id] = JiraUser(account_id, email, name, email_visible)
        return account_id

    # ---- faults (the names FakeGitHub uses) ----------------------------------------------------
    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        verb: str | None = None,
        path: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` matching calls get `status` with Jira's error body."""
        body = {"errorMessages": [message or f"injected {status}"], "errors": {}}
        answer = json_response(body, status, **(headers or {}))
        self.recorder.inject(Fault(answer, remaining=times, verb=verb, path=path))

    def limit(self, *, retry_after: int = 1, times: int = 1) -> None:
        """Jira Cloud's rate limit: 429 with Retry-After (seconds)."""
        self.fail(
            429,
            times=times,
            message="Rate limit exceeded.",
            headers={
                "Retry-After": str(retry_after),
                "X-RateLimit-Reset": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            },
        )

    def stall(
        self,
        seconds: float,
        *,
        times: int = 1,
        after_work: bool = False,
        verb: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next `times` matching calls are answered `seconds` late; with `after_work` the
        call takes effect first (an issue is made) and only its answer is late: the client that
        gave up never learns of it."""
        self.recorder.inject(
            Fault(None, seconds, after_work, remaining=times, verb=verb, path=path)
        )

    # ---- people's changes in Jira, each returning the webhook body Jira sends -----------------
    def move(self, key: str, status: str) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[key]
            before = (STATUSES[issue.status][0], issue.status)
            item = _change("status", *before, STATUSES[status][0], status)
            issue.status = status
            return self._updated(issue, item)

    def close(self, key: str) -> dict[str, Any]:
        return self.move(key, "Done")

    def reopen(self, key: str) -> dict[str, Any]:
        return self.move(key, "To Do")

    def assign(self, key: str, account_id: str | None) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[key]
            before, issue.assignee = issue.assignee, account_id
            names = self._name(before), self._name(account_id)
            item = _change("assignee", before, names[0], account_id, names[1])
            return self._updated(issue, item)

    def set_due(self, key: str, due: date | None) -> dict[str, Any]:
        with self._lock:
            issue = self.issues[key]
            before, issue.duedate = issue.duedate, due.isoformat() if due else None
            after = issue.duedate
            item = _change("duedate", before, _due_string(before), after, _due_string(after))
            return self._updated(issue, item)

    def delivery(self, payload: dict[str, Any]) -> Delivery:
        """A webhook body as Jira delivers it: JSON bytes, signed with the webhook secret."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Hub-Signature": signature(self.webhook_secret, body),
        }
        return Delivery(body, headers)

    def _updated(self, issue: JiraIssue, item: dict[str, Any]) -> dict[str, Any]:
        issue.updated = datetime.now(UTC)
        return {
            "timestamp": int(issue.updated.timestamp() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "557058:admin", "displayName": "Jira Admin"},
            "issue": self._issue_json(issue, None),
            "changelog": {"id": str(self._take_id()), "items": [item]},
        }

    def _name(self, account_id: str | None) -> str | None:
        user = self.users.get(account_id or "")
        return user.display_name if user else None

    def _take_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    # ---- the API -----------------------------------------------------------------------------
    def serve(self, call: Call) -> Response:
        if not self._authorized(call.headers):
            return _json(401, {"errorMessages": ["Client must be authenticated"], "errors": {}})
        body = call.body if not isinstance(call.body, bytes) else None
        with self._lock:
            return self._route(call.verb, call.path, call.query, body)

    def _authorized(self, headers: dict[str, str]) -> bool:
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return hmac.compare_digest(headers.get("authorization", ""), f"Basic {expected}")

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> Response:
        routes: dict[tuple[str, str], Callable[[], Response]] = {
            ("POST", "/rest/api/3/issue"): lambda: self._create(body),
            ("POST", "/rest/api/3/search/jql"): lambda: self._search(body),
            ("GET", "/rest/api/3/user/search"): lambda: self._user_search(query),
        }
        if (method, path) in routes:
            return routes[(method, path)]()
        matched = _ISSUE_PATH.match(path)
        if matched is None:
            return _json(404, {"errorMessages": [f"No route for {method} {path}"], "errors": {}})
        issue = self.issues.get(matched["key"])
        if issue is None:
            message = "Issue does not exist or you do not have permission to see it."
            return _json(404, {"errorMessages": [message], "errors": {}})
        return self._on_issue(method, issue, bool(matched["rest"]), query, body)

    def _on_issue(
        self, method: str, issue: JiraIssue, transitions: bool, query: dict[str, str], body: Any
    ) -> Response:
        if transitions and method == "GET":
            return _json(200, {"transitions": self._transitions_json(issue)})
        if transitions and method == "POST":
            return self._transition(issue, body)
        if method == "GET":
            return _json(200, self._issue_json(issue, query.get("fields")))
        if method == "PUT":
            return self._edit(issue, body)
        return _json(405, {"errorMessages": [f"{method} not allowed"], "errors": {}})

    # ---- issues -------------------------------------------------------------------------------
    def _create(self, body: Any) -> Response:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return _json(400, {"errorMessages": ["fields is required"], "errors": {}})
        errors = self._field_errors(fields, creating=True)
        if errors:
            return _json(400, {"errorMessages": [], "errors": errors})
        number = len(self.issues) + 1  # one project: keys count up from OPS-1
        key = f"{self.project}-{number}"
        issue = JiraIssue(
            id=str(self._take_id()),
            key=key,
            project=self.project,
            issue_type=fields["issuetype"]["name"],
            summary=fields["summary"],
            description=fields.get("description"),
            labels=list(fields.get("labels") or []),
            duedate=fields.get("duedate"),
            assignee=(fields.get("assignee") or {}).get("accountId"),
        )
        self.issues[key] = issue
        return _json(201, {"id": issue.id, "key": key, "self": self._self(issue)})

    def _edit(self, issue: JiraIssue, body: Any) -> Response:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict) or not fields:
            return _json(400, {"errorMessages": ["fields is required"], "errors": {}})
        errors = self._field_errors(fields, creating=False)
        if errors:
            return _json(400, {"errorMessages": [], "errors": errors})
        if "assignee" in fields:
            issue.assignee = (fields["assignee"] or {}).get("accountId")
        if "duedate" in fields:
            issue.duedate = fields["duedate"]
        if "labels" in fields:
            issue.labels = list(fields["labels"])
        issue.updated = datetime.now(UTC)
        return 204, {}, b""

    def _field_errors(self, fields: dict[str, Any], *, creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        if creating and (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        if creating and (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        summary = fields.get("summary")
        if creating and (not isinstance(summary, str) or not summary.strip()):
            errors["summary"] = "You must specify a summary of the issue."
        elif isinstance(summary, str) and ("\n" in summary or len(summary) > 255):
            errors["summary"] = "The summary is invalid: one line, at most 255 characters."
        if "description" in fields and not _is_adf(fields["description"]):
            errors["description"] = "Operation value must be an Atlassian Document"
        labels = fields.get("labels") or []
        if any(not isinstance(label, str) or " " in label or not label for label in labels):
            errors["labels"] = "The label must not contain spaces."
        if fields.get("duedate") is not None and not _is_date(fields["duedate"]):
            errors["duedate"] = "Error parsing date string: " + str(fields["duedate"])
        assignee = fields.get("assignee")
        if assignee is not None and (assignee or {}).get("accountId") not in self.users:
            errors["assignee"] = "Specified user does not exist or you do not have permission."
        return errors

    def _transitions_json(self, issue: JiraIssue) -> list[dict[str, Any]]:
        return [
            {"id": tid, "name": name, "to": _status_json(name), "isAvailable": True}
            for tid, name in TRANSITIONS.items()
            if name != issue.status
        ]

    def _transition(self, issue: JiraIssue, body: Any) -> Response:
        tid = ((body or {}).get("transition") or {}).get("id") if isinstance(body, dict) else None
        if tid not in TRANSITIONS or TRANSITIONS[tid] == issue.status:
            message = f"Transition id '{tid}' is not valid for this issue."
            return _json(400, {"errorMessages": [message], "errors": {}})
        issue.status = TRANSITIONS[tid]
        issue.updated = datetime.now(UTC)
        return 204, {}, b""

    def _issue_json(self, issue: JiraIssue, wanted: str | None) -> dict[str, Any]:
        user = self.users.get(issue.assignee or "")
        every = {
            "summary": issue.summary,
            "description": issue.description,
            "labels": issue.labels,
            "duedate": issue.duedate,
            "assignee": user.as_json() if user else None,
            "status": _status_json(issue.status),
            "issuetype": {"name": issue.issue_type},
            "project": {"key": issue.project},
            "created": _jira_time(issue.created),
            "updated": _jira_time(issue.updated),
        }
        names = set(every) if wanted in (None, "", "*all") else set(wanted.split(","))
        fields = {name: value for name, value in every.items() if name in names}
        return {"id": issue.id, "key": issue.key, "self": self._self(issue), "fields": fields}

    def _self(self, issue: JiraIssue) -> str:
        return f"{self.url}/rest/api/3/issue/{issue.id}"

    # ---- search -------------------------------------------------------------------------------
    def _search(self, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("jql"), str):
            return _json(400, {"errorMessages": ["jql is required"], "errors": {}})
        clauses = _parse_jql(body["jql"])
        if clauses is None:
            message = (
                f"Error in the JQL Query: the fake reads only `field = value AND …`: {body['jql']}"
            )
            return _json(400, {"errorMessages": [message], "errors": {}})
        found = [issue for issue in self.issues.values() if _matches(issue, clauses)]
        found = found[: int(body.get("maxResults") or 50)]
        wanted = ",".join(body.get("fields") or [])
        issues = [self._issue_json(issue, wanted) for issue in found]
        if not wanted:  # the enhanced search returns ids alone unless fields are asked for
            issues = [{"id": issue["id"]} for issue in issues]
        return _json(200, {"issues": issues, "isLast": True})

    def _user_search(self, query: dict[str, str]) -> Response:
        text = query.get("query", "").lower()
        if not text:
            return _json(400, {"errorMessages": ["query is required"], "errors": {}})
        # Jira matches the start of the display name or e-mail, even when the e-mail is hidden
        found = [
            user.as_json()
            for user in self.users.values()
            if user.email.lower().startswith(text) or user.display_name.lower().startswith(text)
        ]
        return _json(200, found)


def _parse_jql(jql: str) -> list[tuple[str, str]] | None:
    clauses = []
    for part in re.split(r"\s+AND\s+", jql.strip(), flags=re.IGNORECASE):
        matched = _JQL_CLAUSE.match(part)
        if matched is None or matched[1].lower() not in {"labels", "project", "key"}:
            return None
        value = matched[2]
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        clauses.append((matched[1].lower(), value))
    return clauses


def _matches(issue: JiraIssue, clauses: list[tuple[str, str]]) -> bool:
    values = {"labels": issue.labels, "project": [issue.project], "key": [issue.key]}
    return all(value in values[name] for name, value in clauses)


def _is_adf(value: Any) -> bool:
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return False
    content = value.get("content")
    return isinstance(content, list) and all(_is_block(node) for node in content)


def _is_block(node: Any) -> bool:
    """A paragraph of inline nodes, or a bullet list of items that each hold paragraphs."""
    if not isinstance(node, dict):
        return False
    content = node.get("content") or []
    if node.get("type") == "paragraph":
        return all(_is_inline(child) for child in content)
    if node.get("type") == "bulletList" and content:
        return all(_is_list_item(item) for item in content)
    return False


def _is_list_item(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("type") != "listItem":
        return False
    content = node.get("content") or []
    return bool(content) and all(_is_block(child) for child in content)


def _is_inline(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if node.get("type") == "hardBreak":
        return True
    text = node.get("text")
    marks = node.get("marks") or []
    known = all(isinstance(m, dict) and m.get("type") in {"link", "code", "strong"} for m in marks)
    links_ok = all(m.get("type") != "link" or (m.get("attrs") or {}).get("href") for m in marks)
    return (
        node.get("type") == "text" and isinstance(text, str) and bool(text) and known and links_ok
    )


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _status_json(name: str) -> dict[str, Any]:
    status_id, category = STATUSES[name]
    return {
        "id": status_id,
        "name": name,
        "statusCategory": {"key": category, "name": _CATEGORY_NAMES[category]},
    }


def _change(
    name: str,
    before: str | None,
    before_text: str | None,
    after: str | None,
    after_text: str | None,
) -> dict[str, Any]:
    return {
        "field": name,
        "fieldtype": "jira",
        "fieldId": name,
        "from": before,
        "fromString": before_text,
        "to": after,
        "toString": after_text,
    }


def _due_string(value: str | None) -> str | None:
    return f"{value} 00:00:00.0" if value else None


def _jira_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return (
        status,
        {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
        (json.dumps(body).encode()),
    )
