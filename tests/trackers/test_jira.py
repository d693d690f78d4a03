"""The Jira adapter against a fake Jira Cloud on loopback, through the real httpx client: what
it files, reads, transitions and searches, how it reads refusals, and the webhook side
(signatures and changelogs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import pytest

from bot.trackers.config import JiraSettings
from bot.trackers.filing import DraftFacts, compose_draft
from bot.trackers.http import tracker_client
from bot.trackers.jira import (
    JiraTracker,
    document,
    jira_change,
    labels,
    summary,
    verify_jira_signature,
)
from bot.trackers.shapes import IssueDraft, RemoteState, TrackerError, TrackerKind
from tests.faketrackers.jira import FakeJira, signature

SECRET = "jira-webhook-secret"
MARKER = "hindsight-item-T0TEAM1-42"
DUE = date(2026, 12, 18)
CLIENT_TIMEOUT = 0.5


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira(project="OPS", webhook_secret=SECRET) as fake:
        yield fake
        fake.assert_no_crashes()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with tracker_client(timeout=CLIENT_TIMEOUT) as http:
        yield http


def settings_for(fake: FakeJira, **changes: str) -> JiraSettings:
    values = {
        "url": fake.url + "/",
        "email": fake.email,
        "api_token": fake.token,
        "project": fake.project,
        "webhook_secret": SECRET,
        **changes,
    }
    return JiraSettings(**values)


@pytest.fixture
def tracker(jira: FakeJira, client: httpx.AsyncClient) -> JiraTracker:
    return JiraTracker(client, settings_for(jira))


def draft(*, assignee: str | None = None, due: date | None = DUE) -> IssueDraft:
    body = (
        "Action item from INC-7: Checkout latency (severity SEV2).\n\n"
        "Contributing factors this follows up:\n"
        "- connection pool exhausted under retry storm\n"
        "- no backoff on the client\n\n"
        "Incident channel: https://app.slack.com/client/T0TEAM1/C0INC7\n"
        "Postmortem: https://hindsight-test.slack.com/archives/C0PM/p1700000000000100.\n\n"
        f"Due {DUE.isoformat()}"
    )
    return IssueDraft(
        title="Cap retries on the checkout client",
        body=body,
        labels=("postmortem", "prevent"),
        due=due,
        assignee=assignee,
        marker=MARKER,
    )


# ---- filing --------------------------------------------------------------------------------------
async def test_create_files_one_issue_with_every_field(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    ann = jira.add_user("ann@example.com")
    filed = await tracker.create(draft(assignee=ann))

    assert (filed.key, filed.state, filed.assignee, filed.due) == (
        "OPS-1",
        RemoteState.OPEN,
        ann,
        DUE,
    )
    assert filed.url == f"{jira.url}/browse/OPS-1"
    [issue] = jira.issues.values()
    assert (issue.project, issue.issue_type) == ("OPS", "Task")
    assert issue.summary == "Cap retries on the checkout client"
    assert issue.labels == ["postmortem", "prevent", MARKER]
    assert (issue.duedate, issue.assignee) == ("2026-12-18", ann)
    assert issue.description_text().splitlines() == [
        "Action item from INC-7: Checkout latency (severity SEV2).",
        "Contributing factors this follows up:",
        "- connection pool exhausted under retry storm",
        "- no backoff on the client",
        "Incident channel: https://app.slack.com/client/T0TEAM1/C0INC7",
        "Postmortem: https://hindsight-test.slack.com/archives/C0PM/p1700000000000100.",
        "Due 2026-12-18",
        f"Hindsight reference: {MARKER}",
    ]
    [create] = [call for call in jira.calls if call.verb == "POST"]
    assert create.path == "/rest/api/3/issue"
    hrefs = _link_targets(create.body["fields"]["description"])
    assert hrefs == [
        "https://app.slack.com/client/T0TEAM1/C0INC7",
        "https://hindsight-test.slack.com/archives/C0PM/p1700000000000100",  # no final dot
    ]


async def test_create_without_owner_or_due_date_sends_neither(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft(due=None))
    [create] = [call for call in jira.calls if call.verb == "POST"]
    assert "assignee" not in create.body["fields"]
    assert "duedate" not in create.body["fields"]
    assert jira.issues["OPS-1"].assignee is None


async def test_create_uses_the_configured_issue_type(
    jira: FakeJira, client: httpx.AsyncClient
) -> None:
    bugs = JiraTracker(client, settings_for(jira, issue_type="Bug"))
    await bugs.create(draft())
    assert jira.issues["OPS-1"].issue_type == "Bug"


async def test_an_items_composed_draft_is_accepted_as_it_is(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    facts = DraftFacts(
        team_id="T0TEAM1",
        item_id=42,
        title="Add backoff to the checkout client " * 10,  # longer than a summary holds
        kind="prevent",
        priority="high",
        due=DUE,
        incident_ref="INC-7",
        incident_title="Checkout latency",
        severity="sev2",
        channel_url="https://app.slack.com/client/T0TEAM1/C0INC7",
        postmortem_url=None,
        factors=("connection pool exhausted", "no backoff"),
    )
    filed = await tracker.create(compose_draft(facts))
    issue = jira.issues[filed.key]
    assert issue.labels == ["postmortem", "prevent", MARKER]
    assert len(issue.summary) <= 255
    text = issue.description_text()
    assert "- connection pool exhausted\n- no backoff" in text
    found = await tracker.find_by_marker(MARKER)
    assert found is not None and (found.key, found.url, found.due) == (filed.key, filed.url, DUE)


def test_summary_is_one_line_within_jiras_limit() -> None:
    assert summary("Cap retries\non the   client ") == "Cap retries on the client"
    long = summary("word " * 80)
    assert len(long) == 255 and long.endswith("…")
    assert summary("  \n ") == "Action item"


def test_labels_hold_no_spaces_and_end_with_the_marker() -> None:
    assert labels(("postmortem", "follow up", "postmortem"), marker=MARKER) == [
        "postmortem",
        "follow-up",
        MARKER,
    ]


def test_document_is_an_atlassian_document_of_paragraphs_and_lists() -> None:
    doc = document("one\ntwo\n- first\n- second\nafter\n\n\nthree", marker=MARKER)
    assert doc["type"] == "doc" and doc["version"] == 1
    lines, bullets, after, three, closing = doc["content"]
    assert lines["content"] == [
        {"type": "text", "text": "one"},
        {"type": "hardBreak"},
        {"type": "text", "text": "two"},
    ]
    assert bullets["type"] == "bulletList"
    assert [item["content"][0]["content"] for item in bullets["content"]] == [
        [{"type": "text", "text": "first"}],
        [{"type": "text", "text": "second"}],
    ]
    assert after["content"] == [{"type": "text", "text": "after"}]
    assert three["content"] == [{"type": "text", "text": "three"}]
    assert closing["content"][-1] == {"type": "text", "text": MARKER, "marks": [{"type": "code"}]}


# ---- reading and searching -----------------------------------------------------------------------
async def test_get_reads_state_assignee_due_and_updated(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    ann = jira.add_user("ann@example.com")
    await tracker.create(draft(assignee=ann))
    jira.move("OPS-1", "Done")

    issue = await tracker.get("OPS-1")
    assert (issue.key, issue.state, issue.assignee, issue.due) == (
        "OPS-1",
        RemoteState.CLOSED,
        ann,
        DUE,
    )
    assert issue.updated_at is not None and issue.updated_at.tzinfo is not None
    [read] = [call for call in jira.calls if call.verb == "GET"]
    assert read.query == {"fields": "status,assignee,duedate,updated"}


async def test_in_progress_is_open(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    jira.move("OPS-1", "In Progress")
    assert (await tracker.get("OPS-1")).state is RemoteState.OPEN


async def test_find_by_marker_finds_the_issue_by_its_label(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    assert await tracker.find_by_marker(MARKER) is None
    await tracker.create(draft())
    await tracker.create(
        IssueDraft("Other", "x", ("postmortem",), None, None, "hindsight-item-T0TEAM1-43")
    )

    found = await tracker.find_by_marker(MARKER)
    assert found is not None and found.key == "OPS-1" and found.due == DUE
    search = [call for call in jira.calls if call.path == "/rest/api/3/search/jql"][-1]
    assert search.body["jql"] == f'project = "OPS" AND labels = "{MARKER}"'
    assert set(search.body["fields"]) >= {"status", "assignee", "duedate"}


async def test_unknown_issue_is_a_refusal_not_retried(tracker: JiraTracker) -> None:
    with pytest.raises(TrackerError) as refused:
        await tracker.get("OPS-404")
    assert (refused.value.status, refused.value.retryable) == (404, False)
    assert "does not exist" in refused.value.message
    with pytest.raises(TrackerError) as elsewhere:
        await tracker.get("OPS-1/transitions")  # a key can't reach another endpoint
    assert elsewhere.value.status == 404


# ---- closing, reopening, editing -----------------------------------------------------------------
async def test_close_and_reopen_go_through_the_workflows_transitions(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())

    closed = await tracker.update("OPS-1", state=RemoteState.CLOSED)
    assert closed.state is RemoteState.CLOSED and jira.issues["OPS-1"].status == "Done"
    reopened = await tracker.update("OPS-1", state=RemoteState.OPEN)
    assert reopened.state is RemoteState.OPEN and jira.issues["OPS-1"].status == "To Do"

    moves = [call.body for call in jira.calls if call.path.endswith("/transitions")]
    assert [body["transition"]["id"] for body in moves if body] == ["31", "11"]


async def test_closing_a_closed_issue_moves_nothing(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    jira.move("OPS-1", "Done")
    calls_before = len(jira.calls)

    closed = await tracker.update("OPS-1", state=RemoteState.CLOSED)
    assert closed.state is RemoteState.CLOSED
    assert [call.verb for call in jira.calls[calls_before:]] == ["GET"]  # the read alone


async def test_reopening_from_in_progress_is_already_open(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    jira.move("OPS-1", "In Progress")
    assert (await tracker.update("OPS-1", state=RemoteState.OPEN)).state is RemoteState.OPEN
    assert jira.issues["OPS-1"].status == "In Progress"


async def test_update_sets_assignee_and_due_date(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    bo = jira.add_user("bo@example.com")

    changed = await tracker.update("OPS-1", assignee=bo, due=date(2027, 1, 8))
    assert (changed.assignee, changed.due) == (bo, date(2027, 1, 8))
    assert (jira.issues["OPS-1"].assignee, jira.issues["OPS-1"].duedate) == (bo, "2027-01-08")
    [edit] = [call for call in jira.calls if call.verb == "PUT"]
    assert edit.body == {"fields": {"assignee": {"accountId": bo}, "duedate": "2027-01-08"}}


# ---- people --------------------------------------------------------------------------------------
async def test_user_for_email_finds_the_exact_person(jira: FakeJira, tracker: JiraTracker) -> None:
    ann = jira.add_user("ann@example.com")
    jira.add_user("ann@example.com.au")
    assert await tracker.user_for_email("Ann@Example.com") == ann
    [search] = [call for call in jira.calls if call.path == "/rest/api/3/user/search"]
    assert search.query["query"] == "Ann@Example.com"


async def test_user_for_email_takes_a_lone_match_whose_email_is_hidden(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    cy = jira.add_user("cy@example.com", email_visible=False)
    assert await tracker.user_for_email("cy@example.com") == cy


async def test_user_for_email_unknown_or_ambiguous_is_none(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    assert await tracker.user_for_email("nobody@example.com") is None
    assert await tracker.user_for_email("  ") is None
    assert len(jira.recorder.seen(path="/rest/api/3/user/search")) == 1  # blank: not asked
    jira.add_user("dee@example.com", email_visible=False)
    jira.add_user("dee@example.com.au", email_visible=False)
    assert await tracker.user_for_email("dee@example.com") is None


# ---- faults --------------------------------------------------------------------------------------
async def test_server_error_is_retryable(jira: FakeJira, tracker: JiraTracker) -> None:
    jira.fail(500)
    with pytest.raises(TrackerError) as refused:
        await tracker.create(draft())
    assert (refused.value.status, refused.value.retryable) == (500, True)
    assert jira.issues == {}
    assert (await tracker.create(draft())).key == "OPS-1"  # the fault was for one call


async def test_rate_limit_is_retryable_after_jiras_wait(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    jira.limit(retry_after=7)
    with pytest.raises(TrackerError) as refused:
        await tracker.find_by_marker(MARKER)
    assert (refused.value.status, refused.value.retryable) == (429, True)
    assert refused.value.retry_after == 7


async def test_timeout_is_retryable(jira: FakeJira, tracker: JiraTracker) -> None:
    jira.stall(CLIENT_TIMEOUT * 4)
    with pytest.raises(TrackerError) as unreachable:
        await tracker.get("OPS-1")
    assert unreachable.value.retryable is True
    assert unreachable.value.status is None


async def test_an_answer_lost_after_the_issue_was_made_is_found_by_its_marker(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    jira.stall(CLIENT_TIMEOUT * 4, after_work=True, verb="POST", path="/rest/api/3/issue")
    with pytest.raises(TrackerError) as lost:
        await tracker.create(draft())
    assert lost.value.retryable is True
    assert list(jira.issues) == ["OPS-1"]  # Jira made it; we never heard

    found = await tracker.find_by_marker(MARKER)
    assert found is not None and found.key == "OPS-1"


async def test_a_bad_field_is_refused_with_jiras_words_and_not_retried(
    jira: FakeJira, client: httpx.AsyncClient
) -> None:
    elsewhere = JiraTracker(client, settings_for(jira, project="NOPE"))
    with pytest.raises(TrackerError) as refused:
        await elsewhere.create(draft())
    assert (refused.value.status, refused.value.retryable) == (400, False)
    assert "valid project" in refused.value.message


async def test_a_wrong_token_is_refused_and_not_retried(
    jira: FakeJira, client: httpx.AsyncClient
) -> None:
    locked_out = JiraTracker(client, settings_for(jira, api_token="wrong"))
    with pytest.raises(TrackerError) as refused:
        await locked_out.get("OPS-1")
    assert (refused.value.status, refused.value.retryable) == (401, False)


# ---- webhooks ------------------------------------------------------------------------------------
async def test_signature_from_jira_is_accepted(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    delivery = jira.delivery(jira.close("OPS-1"))
    assert verify_jira_signature(SECRET, delivery.body, delivery.headers)
    lowercase = {name.lower(): value for name, value in delivery.headers.items()}
    assert verify_jira_signature(SECRET, delivery.body, lowercase)


def test_bad_or_missing_signature_is_refused() -> None:
    body = b'{"webhookEvent":"jira:issue_updated"}'
    good = signature(SECRET, body)
    assert not verify_jira_signature(SECRET, body + b" ", {"X-Hub-Signature": good})
    assert not verify_jira_signature("another", body, {"X-Hub-Signature": good})
    assert not verify_jira_signature(SECRET, body, {})
    assert not verify_jira_signature(SECRET, body, {"X-Hub-Signature": ""})
    assert not verify_jira_signature(SECRET, body, {"X-Hub-Signature": good[len("sha256=") :]})
    sha1 = "sha1=" + good[len("sha256=") :]
    assert not verify_jira_signature(SECRET, body, {"X-Hub-Signature": sha1})
    assert not verify_jira_signature("", body, {"X-Hub-Signature": signature("", body)})
    assert not verify_jira_signature(SECRET, body, {"X-Hub-Signature": "sha256=é" * 3})


async def test_status_to_done_and_back_are_closed_and_open(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    done = jira_change(jira.close("OPS-1"))
    assert done is not None
    assert (done.kind, done.key, done.state) == (TrackerKind.JIRA, "OPS-1", RemoteState.CLOSED)
    assert (done.assignee_changed, done.due_changed) == (False, False)

    back = jira_change(jira.reopen("OPS-1"))
    assert back is not None and back.state is RemoteState.OPEN
    started = jira_change(jira.move("OPS-1", "In Progress"))
    assert started is not None and started.state is RemoteState.OPEN


async def test_status_change_without_its_category_is_left_to_polling(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    payload = jira.close("OPS-1")
    del payload["issue"]["fields"]["status"]
    assert jira_change(payload) is None


async def test_assignee_change_says_who(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    bo = jira.add_user("bo@example.com")
    assigned = jira_change(jira.assign("OPS-1", bo))
    assert assigned is not None
    assert (assigned.state, assigned.assignee, assigned.assignee_changed) == (None, bo, True)
    assert (assigned.assignee_email, assigned.due_changed) == ("bo@example.com", False)

    unassigned = jira_change(jira.assign("OPS-1", None))
    assert unassigned is not None
    assert (unassigned.assignee, unassigned.assignee_changed) == (None, True)
    assert unassigned.assignee_email is None


async def test_assignee_who_hides_their_email_is_told_by_account_alone(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    cy = jira.add_user("cy@example.com", email_visible=False)
    payload = jira.assign("OPS-1", cy)
    change = jira_change(payload)
    assert change is not None and (change.assignee, change.assignee_email) == (cy, None)
    del payload["issue"]["fields"]["assignee"]  # then the changelog's `to` says who
    from_changelog = jira_change(payload)
    assert from_changelog is not None and from_changelog.assignee == cy


async def test_due_date_change_says_when(jira: FakeJira, tracker: JiraTracker) -> None:
    await tracker.create(draft())
    moved = jira_change(jira.set_due("OPS-1", date(2027, 2, 1)))
    assert moved is not None
    assert (moved.due, moved.due_changed, moved.assignee_changed) == (date(2027, 2, 1), True, False)
    cleared = jira_change(jira.set_due("OPS-1", None))
    assert cleared is not None and (cleared.due, cleared.due_changed) == (None, True)


async def test_due_date_is_read_from_the_changelog_when_fields_are_left_out(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    payload = jira.set_due("OPS-1", date(2027, 3, 5))
    del payload["issue"]["fields"]["duedate"]
    change = jira_change(payload)
    assert change is not None and change.due == date(2027, 3, 5)


async def test_other_events_and_other_fields_say_nothing(
    jira: FakeJira, tracker: JiraTracker
) -> None:
    await tracker.create(draft())
    payload = jira.move("OPS-1", "Done")
    assert jira_change({**payload, "webhookEvent": "jira:issue_created"}) is None
    assert jira_change({**payload, "changelog": {"items": [{"field": "summary"}]}}) is None
    assert jira_change({**payload, "issue": {}}) is None
    assert jira_change({"webhookEvent": "jira:issue_updated"}) is None


def _link_targets(doc: dict) -> list[str]:
    return [
        mark["attrs"]["href"]
        for paragraph in doc["content"]
        for node in paragraph.get("content", [])
        for mark in node.get("marks", [])
        if mark["type"] == "link"
    ]
