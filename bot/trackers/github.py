"""GitHub Issues as a tracker (REST API v3), and what GitHub's `issues` webhooks tell us.

An action item is an issue in GITHUB_REPOSITORY. GitHub has no due date short of a milestone,
so the due date is a line of the body, `**Due:** YYYY-MM-DD`, read back from the body and
rewritten in place; the item's marker is an HTML comment at the end of the body, invisible
on the page, found again by search when a create crashed after GitHub's answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import httpx

from bot.trackers.config import GitHubSettings
from bot.trackers.http import refusal, unreachable
from bot.trackers.shapes import (
    IssueDraft,
    RemoteChange,
    RemoteIssue,
    RemoteState,
    TrackerError,
    TrackerKind,
)

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
SIGNATURE_PREFIX = "sha256="
# The due line as written, and as a person may retype it (bold or not, any case).
DUE_LINE = re.compile(r"^[ \t]*(?:\*\*)?due:(?:\*\*)?[ \t]*(\S+)[ \t]*$", re.I | re.M)
ISSUE_KEY = re.compile(r"^(?P<repository>[^/\s#]+/[^/\s#]+)#(?P<number>\d+)$")


class GitHubTracker:
    kind = TrackerKind.GITHUB

    def __init__(self, client: httpx.AsyncClient, settings: GitHubSettings) -> None:
        self.client = client
        self.settings = settings
        self.api_url = settings.api_url.rstrip("/")
        self.repository = settings.repository
        self.logins = {email.lower(): login for email, login in settings.user_map.items()}

    async def create(self, draft: IssueDraft) -> RemoteIssue:
        fields: dict[str, Any] = {
            "title": draft.title,
            "body": issue_body(draft),
            "labels": list(draft.labels),
        }
        if draft.assignee:
            fields["assignees"] = [draft.assignee]
        path = f"/repos/{self.repository}/issues"
        response = await self._send("POST", path, json=fields)
        if draft.assignee and refused_field(response, "assignees"):
            # The login can't be assigned here (no access to the repository): GitHub filed
            # nothing, so file it unassigned rather than not at all.
            del fields["assignees"]
            response = await self._send("POST", path, json=fields)
        return remote_issue(self.repository, checked(response))

    async def find_by_marker(self, marker: str) -> RemoteIssue | None:
        """The issue whose body carries `marker`: by search first, then among the repository's
        latest issues, since search indexes a new issue only after a while."""
        query = f'"{marker}" in:body repo:{self.repository} is:issue'
        found = await self._json("GET", "/search/issues", params={"q": query, "per_page": 10})
        items = found.get("items") if isinstance(found, dict) else None
        issue = with_marker(items if isinstance(items, list) else [], marker)
        if issue is None:
            # A create whose answer was lost is minutes old: among the latest hundred.
            params = {"state": "all", "sort": "created", "direction": "desc", "per_page": 100}
            latest = await self._json("GET", f"/repos/{self.repository}/issues", params=params)
            issue = with_marker(latest if isinstance(latest, list) else [], marker)
        return None if issue is None else remote_issue(self.repository, issue)

    async def get(self, key: str) -> RemoteIssue:
        repository, number = split_key(key)
        issue = await self._json("GET", f"/repos/{repository}/issues/{number}")
        return remote_issue(repository, issue)

    async def update(
        self,
        key: str,
        *,
        state: RemoteState | None = None,
        assignee: str | None = None,
        due: date | None = None,
    ) -> RemoteIssue:
        """Change what is given; None leaves a field as it is."""
        repository, number = split_key(key)
        path = f"/repos/{repository}/issues/{number}"
        fields: dict[str, Any] = {}
        if state is not None:
            fields["state"] = state.value
        if assignee is not None:
            fields["assignees"] = [assignee]
        if due is not None:
            current = await self._json("GET", path)
            fields["body"] = with_due(current.get("body") or "", due)
        if not fields:
            return await self.get(key)
        response = await self._send("PATCH", path, json=fields)
        if assignee is not None and len(fields) > 1 and refused_field(response, "assignees"):
            del fields["assignees"]  # the rest still holds; the owner shows in Slack alone
            response = await self._send("PATCH", path, json=fields)
        return remote_issue(repository, checked(response))

    async def user_for_email(self, email: str) -> str | None:
        return self.logins.get(email.strip().lower())

    async def _json(self, method: str, path: str, **options: Any) -> Any:
        return checked(await self._send(method, path, **options))

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.settings.token}",
            "Accept": MEDIA_TYPE,
            "X-GitHub-Api-Version": API_VERSION,
        }
        try:
            return await self.client.request(
                method, f"{self.api_url}{path}", headers=headers, **options
            )
        except httpx.HTTPError as error:
            raise unreachable(error) from error


def checked(response: httpx.Response) -> Any:
    """The answer's JSON, or the refusal raised."""
    if not response.is_success:
        raise refusal(response)
    try:
        return response.json()
    except ValueError as error:  # a proxy's page in place of GitHub's answer
        raise TrackerError(
            f"GitHub answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
            retryable=True,
        ) from error


def refused_field(response: httpx.Response, field: str) -> bool:
    """Whether GitHub refused the call (422 Validation Failed) for `field`'s value."""
    if response.status_code != 422:
        return False
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any(isinstance(error, dict) and error.get("field") == field for error in errors)


def split_key(key: str) -> tuple[str, int]:
    """`owner/name#12` → ("owner/name", 12)."""
    match = ISSUE_KEY.match(key)
    if match is None:
        raise TrackerError(f"{key!r} is not a GitHub issue key (owner/name#number)")
    return match["repository"], int(match["number"])


# ---- the body: the draft, its due line, its marker ----------------------------------------


def marker_comment(marker: str) -> str:
    return f"<!-- {marker} -->"


def issue_body(draft: IssueDraft) -> str:
    parts = [draft.body.rstrip()]
    if draft.due is not None:
        parts.append(due_line(draft.due))
    parts.append(marker_comment(draft.marker))
    return "\n\n".join(part for part in parts if part)


def due_line(due: date) -> str:
    return f"**Due:** {due.isoformat()}"


def due_in(body: str | None) -> date | None:
    """The due date the body states: its last due line (ours is written after the draft's
    text), None when there is none or it is not a date."""
    found = DUE_LINE.findall(body or "")
    if not found:
        return None
    try:
        return date.fromisoformat(found[-1])
    except ValueError:
        return None


def with_due(body: str, due: date) -> str:
    """The body with its (last) due line saying `due`, or one added before the marker."""
    lines = list(DUE_LINE.finditer(body))
    if lines:
        last = lines[-1]
        return f"{body[: last.start()]}{due_line(due)}{body[last.end() :]}"
    comment = body.rfind("<!-- hindsight-")
    if comment >= 0:
        return f"{body[:comment]}{due_line(due)}\n\n{body[comment:]}"
    return f"{body.rstrip()}\n\n{due_line(due)}"


def with_marker(issues: list[Any], marker: str) -> dict[str, Any] | None:
    for issue in issues:
        if (
            isinstance(issue, dict)
            and "pull_request" not in issue
            and marker_comment(marker) in (issue.get("body") or "")
        ):
            return issue
    return None


# ---- GitHub's issue JSON ----------------------------------------------------------------


def remote_issue(repository: str, issue: dict[str, Any]) -> RemoteIssue:
    return RemoteIssue(
        key=f"{repository}#{issue['number']}",
        url=str(issue.get("html_url") or ""),
        state=RemoteState.CLOSED if issue.get("state") == "closed" else RemoteState.OPEN,
        assignee=assignee_of(issue),
        due=due_in(issue.get("body")),
        updated_at=timestamp(issue.get("updated_at")),
    )


def assignee_of(issue: dict[str, Any]) -> str | None:
    person = issue.get("assignee") or next(iter(issue.get("assignees") or []), None)
    return person.get("login") if isinstance(person, dict) else None


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# ---- webhooks -----------------------------------------------------------------------------


def verify_github_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether X-Hub-Signature-256 (`sha256=<hex>`) is the HMAC of the exact body under the
    webhook's secret. No secret configured means nothing can be verified: refused."""
    if not secret or not header or not header.isascii():
        return False
    expected = SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def github_change(headers: Mapping[str, str], payload: dict[str, Any]) -> RemoteChange | None:
    """What an `issues` delivery changed that an action item follows: closed, reopened, the
    assignee, the due line. None for any other event, action or edit."""
    event = next((v for k, v in headers.items() if k.lower() == "x-github-event"), None)
    issue, repository = payload.get("issue"), payload.get("repository")
    if event != "issues" or not isinstance(issue, dict) or not isinstance(repository, dict):
        return None
    if not isinstance(issue.get("number"), int) or not repository.get("full_name"):
        return None
    action = payload.get("action")
    state = {"closed": RemoteState.CLOSED, "reopened": RemoteState.OPEN}.get(str(action))
    assigned = action in ("assigned", "unassigned")
    due_changed = action == "edited" and due_edited(payload.get("changes"), issue.get("body"))
    if state is None and not assigned and not due_changed:
        return None
    return RemoteChange(
        kind=TrackerKind.GITHUB,
        key=f"{repository['full_name']}#{issue['number']}",
        state=state,
        assignee=assignee_of(issue),
        assignee_changed=assigned,
        due=due_in(issue.get("body")),
        due_changed=due_changed,
    )


def due_edited(changes: Any, body: str | None) -> bool:
    """Whether an `edited` delivery changed the due line (its `changes.body.from` is the body
    before the edit)."""
    before = changes.get("body") if isinstance(changes, dict) else None
    if not isinstance(before, dict) or "from" not in before:
        return False
    return due_in(before["from"]) != due_in(body)
