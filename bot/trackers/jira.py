"""Jira Cloud as a tracker (REST API v3, basic auth with an account's e-mail and API token).

An action item becomes an issue in JIRA_PROJECT of type JIRA_ISSUE_TYPE: its body as an
Atlassian Document (the description must be one in v3), its labels, its due date (`duedate`) and
its assignee's accountId. The idempotency marker is both the description's last line and a
label, since a label is what JQL finds exactly (`labels = "<marker>"`). Done and reopened are
workflow transitions: we take the one whose target status is in the done category (or the to-do
category, else in-progress), because status names and transition ids differ between sites.

From Jira to us: `verify_jira_signature` checks an admin webhook's X-Hub-Signature, and
`jira_change` reads a `jira:issue_updated` body's changelog into a RemoteChange.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.trackers.config import JiraSettings
from bot.trackers.http import refusal, unreachable
from bot.trackers.shapes import (
    IssueDraft,
    RemoteChange,
    RemoteIssue,
    RemoteState,
    TrackerError,
    TrackerKind,
)

API = "/rest/api/3"
ISSUE_FIELDS = ("status", "assignee", "duedate", "updated")
DONE_CATEGORY = "done"
# Where a reopened issue goes, best first: Jira's "To Do" category, else "In Progress".
OPEN_CATEGORIES = ("new", "indeterminate")
SUMMARY_LIMIT = 255  # Jira refuses a longer summary
BULLETS = ("- ", "* ", "• ")  # a line starting so is a list item
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


class JiraTracker:
    """The Tracker protocol over Jira Cloud's REST API v3, through the runtime's httpx client."""

    kind = TrackerKind.JIRA

    def __init__(self, client: httpx.AsyncClient, settings: JiraSettings) -> None:
        self._client = client
        self._settings = settings
        self._site = settings.url.rstrip("/")
        self._auth = httpx.BasicAuth(settings.email, settings.api_token)

    async def create(self, draft: IssueDraft) -> RemoteIssue:
        fields = issue_fields(draft, project=self._settings.project, issue_type=self._issue_type)
        created = await self._call("POST", f"{API}/issue", json={"fields": fields})
        key = str(created.get("key") or "")
        if not key:
            raise TrackerError("Jira created the issue but did not say its key", retryable=True)
        state = RemoteState.OPEN  # a new issue sits in its workflow's first status
        return RemoteIssue(key, self.browse_url(key), state, draft.assignee, draft.due)

    async def find_by_marker(self, marker: str) -> RemoteIssue | None:
        jql = f"project = {_jql_string(self._settings.project)} AND labels = {_jql_string(marker)}"
        query = {"jql": jql, "fields": list(ISSUE_FIELDS), "maxResults": 1}
        found = await self._call("POST", f"{API}/search/jql", json=query)
        issues = found.get("issues") or []
        return self._remote(issues[0]) if issues else None

    async def get(self, key: str) -> RemoteIssue:
        params = {"fields": ",".join(ISSUE_FIELDS)}
        return self._remote(await self._call("GET", _issue_path(key), params=params))

    async def update(
        self,
        key: str,
        *,
        state: RemoteState | None = None,
        assignee: str | None = None,
        due: date | None = None,
    ) -> RemoteIssue:
        """Set what is given (None: leave as it is); a state already reached is not moved."""
        issue = await self.get(key)
        fields: dict[str, Any] = {}
        if assignee is not None and assignee != issue.assignee:
            fields["assignee"] = {"accountId": assignee}
        if due is not None and due != issue.due:
            fields["duedate"] = due.isoformat()
        if fields:
            await self._call("PUT", _issue_path(key), json={"fields": fields})
        if state is not None and state is not issue.state:
            await self._transition(key, state)
        return RemoteIssue(
            key,
            issue.url,
            state or issue.state,
            assignee if assignee is not None else issue.assignee,
            due if due is not None else issue.due,
            issue.updated_at,
        )

    async def user_for_email(self, email: str) -> str | None:
        """The accountId of the active person with this e-mail. People may hide their e-mail
        from the API; then a search that finds one person alone is taken as the match."""
        if not email.strip():
            return None
        params = {"query": email.strip(), "maxResults": "10"}
        users = await self._call("GET", f"{API}/user/search", params=params)
        people = [
            user
            for user in (users if isinstance(users, list) else [])
            if user.get("accountType", "atlassian") == "atlassian" and user.get("active", True)
        ]
        wanted = email.strip().lower()
        for user in people:
            if str(user.get("emailAddress") or "").lower() == wanted:
                return str(user["accountId"])
        hidden = [user for user in people if "emailAddress" not in user]
        return str(hidden[0]["accountId"]) if len(people) == 1 and hidden else None

    def browse_url(self, key: str) -> str:
        return f"{self._site}/browse/{key}"

    @property
    def _issue_type(self) -> str:
        return self._settings.issue_type

    async def _transition(self, key: str, state: RemoteState) -> None:
        answer = await self._call("GET", _issue_path(key, "/transitions"))
        chosen = pick_transition(answer.get("transitions") or [], state)
        if chosen is None:
            target = "done" if state is RemoteState.CLOSED else "open"
            raise TrackerError(f"Jira's workflow offers no transition to {target} for {key}")
        body = {"transition": {"id": chosen}}
        await self._call("POST", _issue_path(key, "/transitions"), json=body)

    def _remote(self, issue: Mapping[str, Any]) -> RemoteIssue:
        key = str(issue.get("key") or "")
        if not key:
            raise TrackerError("Jira's answer named no issue key", retryable=True)
        fields = issue.get("fields") or {}
        return RemoteIssue(
            key=key,
            url=self.browse_url(key),
            state=state_of(fields.get("status")),
            assignee=(fields.get("assignee") or {}).get("accountId"),
            due=parse_due(fields.get("duedate")),
            updated_at=_parse_time(fields.get("updated")),
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = await self._client.request(
                method,
                self._site + path,
                json=json,
                params=params,
                auth=self._auth,
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise unreachable(error) from error
        if response.is_error:
            raise refusal(response)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as error:
            # a proxy's page in place of Jira's answer: try again later
            raise TrackerError(
                "Jira answered with something that isn't JSON", retryable=True
            ) from error


# ---- what we send --------------------------------------------------------------------------------
def issue_fields(draft: IssueDraft, *, project: str, issue_type: str) -> dict[str, Any]:
    """The `fields` of POST /rest/api/3/issue for one action item."""
    fields: dict[str, Any] = {
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": summary(draft.title),
        "description": document(draft.body, marker=draft.marker),
        "labels": labels(draft.labels, marker=draft.marker),
    }
    if draft.due is not None:
        fields["duedate"] = draft.due.isoformat()
    if draft.assignee:
        fields["assignee"] = {"accountId": draft.assignee}
    return fields


def summary(title: str) -> str:
    """One line of at most 255 characters, as Jira requires."""
    line = " ".join(title.split()) or "Action item"
    return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1].rstrip() + "…"


def labels(wanted: tuple[str, ...], *, marker: str) -> list[str]:
    """Jira labels can't hold spaces: a space becomes a hyphen. The marker is one of them."""
    found: list[str] = []
    for label in (*wanted, marker):
        cleaned = "-".join(label.split())[:SUMMARY_LIMIT]
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return found


def document(body: str, *, marker: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: a paragraph per run of lines (a hard break between
    them), a bullet list per run of "- " lines, links made clickable; the marker closes it."""
    nodes: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        nodes += _blocks([line.strip() for line in block.splitlines() if line.strip()])
    closing = [{"type": "text", "text": "Hindsight reference: "}, _code(marker)]
    nodes.append({"type": "paragraph", "content": closing})
    return {"type": "doc", "version": 1, "content": nodes}


def _blocks(lines: list[str]) -> list[dict[str, Any]]:
    """Consecutive lines as one paragraph or one bullet list, in their order."""
    nodes: list[dict[str, Any]] = []
    for bulleted, run in itertools.groupby(lines, key=lambda line: line.startswith(BULLETS)):
        texts = [line[2:].strip() if bulleted else line for line in run]
        if bulleted:
            items = [{"type": "listItem", "content": [_paragraph([text])]} for text in texts]
            nodes.append({"type": "bulletList", "content": items})
        else:
            nodes.append(_paragraph(texts))
    return nodes


def _paragraph(lines: list[str]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for number, line in enumerate(lines):
        if number:
            content.append({"type": "hardBreak"})
        content.extend(_inline(line))
    return {"type": "paragraph", "content": content}


def _inline(line: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    start = 0
    for found in _URL.finditer(line):
        if found.start() > start:
            nodes.append({"type": "text", "text": line[start : found.start()]})
        link = {"type": "link", "attrs": {"href": found.group()}}
        nodes.append({"type": "text", "text": found.group(), "marks": [link]})
        start = found.end()
    if start < len(line):
        nodes.append({"type": "text", "text": line[start:]})
    return nodes


def _code(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "marks": [{"type": "code"}]}


def _issue_path(key: str, rest: str = "") -> str:
    """An issue's path; the key quoted whole, so no key can reach another endpoint."""
    return f"{API}/issue/{quote(key, safe='')}{rest}"


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- what Jira answers ---------------------------------------------------------------------------
def state_of(status: Any) -> RemoteState:
    """Closed when the status is in Jira's done category, whatever the site calls it."""
    category = ((status or {}).get("statusCategory") or {}).get("key")
    return RemoteState.CLOSED if category == DONE_CATEGORY else RemoteState.OPEN


def pick_transition(transitions: list[dict[str, Any]], state: RemoteState) -> str | None:
    """The id of the transition into the done category (closing) or, reopening, into to-do,
    else into in-progress."""
    wanted = (DONE_CATEGORY,) if state is RemoteState.CLOSED else OPEN_CATEGORIES
    by_category: dict[str, str] = {}
    for transition in transitions:
        if transition.get("isAvailable") is False:
            continue
        category = (((transition.get("to") or {}).get("statusCategory")) or {}).get("key")
        if isinstance(category, str):
            by_category.setdefault(category, str(transition.get("id")))
    return next((by_category[key] for key in wanted if key in by_category), None)


def parse_due(value: Any) -> date | None:
    """A `duedate` (YYYY-MM-DD) or a changelog's "2026-12-10 00:00:00.0"."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# ---- webhooks ------------------------------------------------------------------------------------
def verify_jira_signature(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Jira signs an admin webhook registered with a secret: X-Hub-Signature: sha256=<hex HMAC
    of the raw body>. No secret, no header or another method → refused."""
    given = next((v for k, v in headers.items() if k.lower() == "x-hub-signature"), None)
    if not secret or not given:
        return False
    method, _, digest = given.strip().partition("=")
    if method.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # as bytes: a header may carry any character, and compare_digest takes str in ASCII only
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode())


def jira_change(payload: dict[str, Any]) -> RemoteChange | None:
    """What a `jira:issue_updated` body says changed in status, assignee or due date. The
    issue's fields in the body are the truth (a status's category is only there); the
    changelog says which of them changed. Anything else → None."""
    if payload.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = payload.get("issue") or {}
    key, fields = issue.get("key"), issue.get("fields") or {}
    items = {_item_name(item): item for item in (payload.get("changelog") or {}).get("items") or []}
    state = None
    if "status" in items and isinstance((fields.get("status") or {}).get("statusCategory"), dict):
        state = state_of(fields["status"])
    assignee_changed, due_changed = "assignee" in items, "duedate" in items
    if not isinstance(key, str) or not key or not (state or assignee_changed or due_changed):
        return None  # not ours to read; a status whose category is missing is left to polling
    # the issue's assignee is a user object (its e-mail there unless hidden); the changelog's
    # `to` an accountId alone
    assignee = _after(fields, items, "assignee") if assignee_changed else None
    person = assignee if isinstance(assignee, dict) else {"accountId": assignee}
    return RemoteChange(
        kind=TrackerKind.JIRA,
        key=key,
        state=state,
        assignee=str(person["accountId"]) if person.get("accountId") else None,
        assignee_changed=assignee_changed,
        due=parse_due(_after(fields, items, "duedate")) if due_changed else None,
        due_changed=due_changed,
        assignee_email=str(person["emailAddress"]).lower() if person.get("emailAddress") else None,
    )


def _after(fields: Mapping[str, Any], items: Mapping[str, Any], name: str) -> Any:
    """A field's value after the change: the issue's field, else the changelog's `to` (an
    accountId for assignee, a date for duedate)."""
    if name in fields:
        return fields[name]
    return (items.get(name) or {}).get("to")


def _item_name(item: Mapping[str, Any]) -> str:
    return str(item.get("fieldId") or item.get("field") or "").lower()
