"""GitHubTracker against the fake GitHub on loopback, through the real httpx client: what an
issue is filed with, how it is read, changed and found again, every refusal as the outbox sees
it, webhook signatures, and what each `issues` delivery means for an action item."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date

import httpx
import pytest

from bot.trackers.config import GitHubSettings
from bot.trackers.github import (
    GitHubTracker,
    due_in,
    github_change,
    verify_github_signature,
    with_due,
)
from bot.trackers.http import tracker_client
from bot.trackers.shapes import IssueDraft, RemoteState, TrackerError, TrackerKind
from tests.faketrackers.github import FakeGitHub, sign

CLIENT_TIMEOUT = 0.5
DRAFT = IssueDraft(
    title="Alert on replica lag above 30 s",
    body="Action item from INC-7: Checkout errors (SEV1).\n\nPostmortem: not published yet",
    labels=("postmortem", "detect"),
    due=date(2026, 12, 18),
    assignee="ana-gh",
    marker="hindsight-item-T0TEAM1-42",
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    try:
        yield fake
        fake.assert_no_violations()  # Bearer token, media type, API version, repo: on searches
    finally:
        fake.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with tracker_client(timeout=CLIENT_TIMEOUT) as client:
        yield client


def settings_for(fake: FakeGitHub, **changes: object) -> GitHubSettings:
    settings = GitHubSettings(
        token=fake.token,
        repository=fake.repository,
        api_url=fake.api_url,
        webhook_secret=fake.webhook_secret,
        user_map={"ana@example.com": "ana-gh"},
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


@pytest.fixture
def tracker(github: FakeGitHub, client: httpx.AsyncClient) -> GitHubTracker:
    return GitHubTracker(client, settings_for(github))


# ---- filing ---------------------------------------------------------------------------------


async def test_create_files_title_body_with_due_and_marker_labels_and_assignee(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    issue = await tracker.create(DRAFT)

    [call] = github.recorder.seen("POST")
    assert call.path == "/repos/acme/payments/issues"
    assert call.headers["authorization"] == "Bearer ghp_test_token"
    assert call.body["title"] == DRAFT.title
    assert call.body["labels"] == ["postmortem", "detect"]
    assert call.body["assignees"] == ["ana-gh"]
    body = call.body["body"]
    assert body.startswith(DRAFT.body)
    assert "\n**Due:** 2026-12-18\n" in body
    assert body.endswith("<!-- hindsight-item-T0TEAM1-42 -->")
    assert issue.key == "acme/payments#1"
    assert issue.url == "https://github.com/acme/payments/issues/1"
    assert (issue.state, issue.assignee, issue.due) == (RemoteState.OPEN, "ana-gh", DRAFT.due)
    assert issue.updated_at is not None and issue.updated_at.tzinfo is not None
    stored = github.issue(1)
    assert [label["name"] for label in stored["labels"]] == ["postmortem", "detect"]
    assert stored["body"] == body


async def test_create_without_due_or_assignee_sends_neither(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    issue = await tracker.create(replace(DRAFT, due=None, assignee=None))

    [call] = github.recorder.seen("POST")
    assert "assignees" not in call.body
    assert "Due:**" not in call.body["body"]
    assert (issue.assignee, issue.due) == (None, None)


async def test_a_login_that_cannot_be_assigned_files_the_issue_unassigned(
    client: httpx.AsyncClient,
) -> None:
    with FakeGitHub(collaborators={"bo-gh"}).start() as github:
        tracker = GitHubTracker(client, settings_for(github))
        issue = await tracker.create(DRAFT)

        first, second = github.recorder.seen("POST")
        assert (first.status, second.status) == (422, 201)
        assert "assignees" not in second.body
        assert list(github.issues) == [1]
        assert issue.assignee is None
        github.assert_no_violations()


async def test_an_update_whose_login_cannot_be_assigned_still_makes_its_other_changes(
    client: httpx.AsyncClient,
) -> None:
    with FakeGitHub(collaborators={"ana-gh"}).start() as github:
        tracker = GitHubTracker(client, settings_for(github))
        created = await tracker.create(DRAFT)

        updated = await tracker.update(created.key, state=RemoteState.CLOSED, assignee="zed")

        assert (updated.state, updated.assignee) == (RemoteState.CLOSED, "ana-gh")
        assert [call.status for call in github.recorder.seen("PATCH")] == [422, 200]
        with pytest.raises(TrackerError) as refused:
            await tracker.update(created.key, assignee="zed")
        assert (refused.value.status, refused.value.retryable) == (422, False)
        assert "assignees" in refused.value.message
        github.assert_no_violations()


async def test_user_for_email_reads_the_map_whatever_the_case(tracker: GitHubTracker) -> None:
    assert await tracker.user_for_email(" Ana@Example.COM ") == "ana-gh"
    assert await tracker.user_for_email("bo@example.com") is None


# ---- reading and changing -------------------------------------------------------------------


async def test_get_reads_state_assignee_and_due_line(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    created = await tracker.create(DRAFT)
    github.close(1)
    github.set_due(1, date(2027, 1, 8))

    issue = await tracker.get(created.key)

    assert issue.key == created.key
    assert (issue.state, issue.assignee, issue.due) == (
        RemoteState.CLOSED,
        "ana-gh",
        date(2027, 1, 8),
    )
    [call] = github.recorder.seen("GET", "/repos/acme/payments/issues/1")
    assert call.status == 200


async def test_update_closes_and_reopens_with_a_patch(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    created = await tracker.create(DRAFT)

    closed = await tracker.update(created.key, state=RemoteState.CLOSED)
    assert closed.state is RemoteState.CLOSED
    assert github.issue(1)["state"] == "closed"
    reopened = await tracker.update(created.key, state=RemoteState.OPEN)
    assert reopened.state is RemoteState.OPEN
    assert github.issue(1)["state"] == "open"

    patches = github.recorder.seen("PATCH")
    assert [call.path for call in patches] == ["/repos/acme/payments/issues/1"] * 2
    assert [call.body for call in patches] == [{"state": "closed"}, {"state": "open"}]


async def test_update_rewrites_the_due_line_and_keeps_the_marker(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    created = await tracker.create(DRAFT)

    updated = await tracker.update(created.key, due=date(2027, 2, 1), assignee="bo-gh")

    body = github.issue(1)["body"]
    assert body.count("**Due:**") == 1
    assert "**Due:** 2027-02-01" in body
    assert body.startswith(DRAFT.body) and body.endswith("<!-- hindsight-item-T0TEAM1-42 -->")
    assert (updated.due, updated.assignee) == (date(2027, 2, 1), "bo-gh")
    [patch] = github.recorder.seen("PATCH")
    assert patch.body["assignees"] == ["bo-gh"]


async def test_update_with_nothing_to_change_only_reads(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    created = await tracker.create(DRAFT)

    assert await tracker.update(created.key) == await tracker.get(created.key)
    assert github.recorder.seen("PATCH") == []


def test_a_due_line_is_added_before_the_marker_when_the_body_has_none() -> None:
    body = "Text\n\n<!-- hindsight-item-T1-2 -->"

    rewritten = with_due(body, date(2027, 3, 4))

    assert rewritten == "Text\n\n**Due:** 2027-03-04\n\n<!-- hindsight-item-T1-2 -->"
    assert due_in(rewritten) == date(2027, 3, 4)
    assert due_in("Kind: fix · Due: 2026-12-18") is None  # only a line of its own counts
    assert due_in("due: 2027-13-40") is None


# ---- finding a filed issue again ------------------------------------------------------------


async def test_find_by_marker_searches_the_repository_for_the_marker(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    await tracker.create(replace(DRAFT, marker="hindsight-item-T0TEAM1-4"))
    created = await tracker.create(DRAFT)

    found = await tracker.find_by_marker(DRAFT.marker)

    assert found == created
    [search] = github.recorder.seen("GET", "/search/issues")
    assert search.query["q"] == '"hindsight-item-T0TEAM1-42" in:body repo:acme/payments is:issue'
    assert await tracker.find_by_marker("hindsight-item-T0TEAM1-43") is None


async def test_find_by_marker_looks_at_the_latest_issues_while_search_lags(
    client: httpx.AsyncClient,
) -> None:
    with FakeGitHub(search_delay=60).start() as github:
        tracker = GitHubTracker(client, settings_for(github))
        created = await tracker.create(DRAFT)

        found = await tracker.find_by_marker(DRAFT.marker)

        assert found == created
        assert github.recorder.seen("GET", "/search/issues")[0].status == 200
        assert github.recorder.seen("GET", "/repos/acme/payments/issues")[0].query == {
            "state": "all",
            "sort": "created",
            "direction": "desc",
            "per_page": "100",
        }
        github.assert_no_violations()


async def test_an_issue_filed_while_its_answer_was_lost_is_found_by_its_marker(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    github.stall(CLIENT_TIMEOUT * 3, after_work=True)

    with pytest.raises(TrackerError) as lost:
        await tracker.create(DRAFT)

    assert lost.value.retryable
    found = await tracker.find_by_marker(DRAFT.marker)
    assert found is not None and found.key == "acme/payments#1"
    assert list(github.issues) == [1]


# ---- refusals, as the outbox reads them -----------------------------------------------------


async def test_a_server_error_is_retryable(tracker: GitHubTracker, github: FakeGitHub) -> None:
    github.fail(500)

    with pytest.raises(TrackerError) as refused:
        await tracker.create(DRAFT)

    assert (refused.value.status, refused.value.retryable) == (500, True)
    assert "Server Error" in refused.value.message
    assert github.issues == {}
    assert (await tracker.create(DRAFT)).key == "acme/payments#1"  # the fault was one call


async def test_429_is_retried_after_what_retry_after_says(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    github.limit(retry_after=7)

    with pytest.raises(TrackerError) as refused:
        await tracker.create(DRAFT)

    assert (refused.value.status, refused.value.retryable) == (429, True)
    assert refused.value.retry_after == 7
    assert github.issues == {}


async def test_403_rate_limit_waits_until_x_ratelimit_reset(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    github.exhaust(reset_in=30)

    with pytest.raises(TrackerError) as refused:
        await tracker.get("acme/payments#1")

    assert (refused.value.status, refused.value.retryable) == (403, True)
    assert refused.value.retry_after is not None
    assert 27 <= refused.value.retry_after <= 31
    assert "rate limit exceeded" in refused.value.message


async def test_no_answer_within_the_timeout_is_retryable(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    github.stall(CLIENT_TIMEOUT * 3)
    started = time.monotonic()

    with pytest.raises(TrackerError) as silent:
        await tracker.create(DRAFT)

    assert silent.value.retryable
    assert time.monotonic() - started < CLIENT_TIMEOUT * 2.5
    assert github.issues == {}


async def test_a_missing_issue_or_a_bad_token_is_not_retried(
    tracker: GitHubTracker, github: FakeGitHub, client: httpx.AsyncClient
) -> None:
    with pytest.raises(TrackerError) as missing:
        await tracker.get("acme/payments#99")
    assert (missing.value.status, missing.value.retryable) == (404, False)
    assert "Not Found" in missing.value.message

    stranger = GitHubTracker(client, settings_for(github, token="ghp_wrong"))
    with pytest.raises(TrackerError) as refused:
        await stranger.create(DRAFT)
    assert (refused.value.status, refused.value.retryable) == (401, False)
    assert "Bad credentials" in refused.value.message

    with pytest.raises(TrackerError) as garbled:
        await tracker.get("OPS-12")
    assert not garbled.value.retryable


# ---- webhooks ---------------------------------------------------------------------------------

SECRET = "test-webhook-secret"


def test_a_signature_made_with_the_secret_over_the_exact_body_passes() -> None:
    body = b'{"action":"closed"}'
    assert verify_github_signature(SECRET, body, sign(SECRET, body))
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert verify_github_signature(SECRET, body, f"sha256={digest}")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(sign("another-secret", b'{"action":"closed"}'), id="other-secret"),
        pytest.param(sign(SECRET, b'{"action":"reopened"}'), id="other-body"),
        pytest.param(
            "sha1=" + hmac.new(SECRET.encode(), b'{"action":"closed"}', "sha1").hexdigest(),
            id="sha1",
        ),
        pytest.param("sha256=é", id="not-ascii"),
    ],
)
def test_a_bad_or_missing_signature_fails(header: str | None) -> None:
    assert not verify_github_signature(SECRET, b'{"action":"closed"}', header)


def test_without_a_secret_nothing_verifies() -> None:
    body = b"{}"
    assert not verify_github_signature("", body, sign("", body))


async def test_closed_and_reopened_deliveries_change_the_state(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    await tracker.create(DRAFT)

    closed = github.close(1)
    change = github_change(closed.headers, closed.payload)
    assert change is not None
    assert (change.kind, change.key, change.state) == (
        TrackerKind.GITHUB,
        "acme/payments#1",
        RemoteState.CLOSED,
    )
    assert not change.assignee_changed and not change.due_changed

    reopened = github.reopen(1)
    change = github_change(reopened.headers, reopened.payload)
    assert change is not None and change.state is RemoteState.OPEN


async def test_assigned_and_unassigned_deliveries_carry_the_assignee(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    await tracker.create(replace(DRAFT, assignee=None))

    assigned = github.assign(1, "bo-gh")
    change = github_change(assigned.headers, assigned.payload)
    assert change is not None
    assert (change.state, change.assignee, change.assignee_changed) == (None, "bo-gh", True)
    assert not change.due_changed

    unassigned = github.unassign(1, "bo-gh")
    change = github_change(unassigned.headers, unassigned.payload)
    assert change is not None
    assert (change.assignee, change.assignee_changed) == (None, True)


async def test_an_edit_counts_only_when_the_due_line_changed(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    await tracker.create(DRAFT)

    moved = github.set_due(1, date(2027, 1, 15))
    change = github_change(moved.headers, moved.payload)
    assert change is not None
    assert (change.state, change.due, change.due_changed) == (None, date(2027, 1, 15), True)
    assert not change.assignee_changed

    reworded = github.edit_body(1, github.issue(1)["body"].replace("Checkout", "Payment"))
    assert github_change(reworded.headers, reworded.payload) is None
    retitled = github.delivery("edited", github.issue(1), changes={"title": {"from": "Old"}})
    assert github_change(retitled.headers, retitled.payload) is None


async def test_other_events_and_actions_are_not_changes(
    tracker: GitHubTracker, github: FakeGitHub
) -> None:
    await tracker.create(DRAFT)
    labeled = github.delivery("labeled", github.issue(1), label={"name": "bug"})
    assert github_change(labeled.headers, labeled.payload) is None
    closed = github.close(1)
    comment = closed.headers | {"X-GitHub-Event": "issue_comment"}
    assert github_change(comment, closed.payload) is None
    assert github_change({"X-GitHub-Event": "ping"}, {"zen": "Keep it logically awesome."}) is None
    assert github_change(closed.headers, {"action": "closed", "issue": "nonsense"}) is None
    lowercase = {name.lower(): value for name, value in closed.headers.items()}
    assert github_change(lowercase, closed.payload) is not None
