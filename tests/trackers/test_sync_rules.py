"""The pure parts of filing and sync: an issue's content, and what a tracker's change does."""

from __future__ import annotations

from datetime import date

from bot.trackers.filing import DraftFacts, compose_draft, marker_for
from bot.trackers.shapes import RemoteChange, RemoteIssue, RemoteState, TrackerKind
from bot.trackers.sync_rules import ItemNow, change_from_issue, decide, emails_for_login

OPEN, CLOSED = RemoteState.OPEN, RemoteState.CLOSED


def facts(**overrides: object) -> DraftFacts:
    values: dict[str, object] = {
        "team_id": "T1",
        "item_id": 42,
        "title": "Alert on checkout p99 above 2 s",
        "kind": "detect",
        "priority": "high",
        "due": date(2026, 12, 1),
        "incident_ref": "INC-7",
        "incident_title": "Checkout down",
        "severity": "SEV2",
        "channel_url": "https://app.slack.com/client/T1/C7",
        "postmortem_url": "https://app.slack.com/docs/T1/F9",
        "factors": ("Config deploys skip the canary", "No alert on p99"),
        "assignee": "octocat",
    }
    values.update(overrides)
    return DraftFacts(**values)  # type: ignore[arg-type]


def test_the_draft_carries_the_incident_its_factors_links_labels_due_and_assignee() -> None:
    draft = compose_draft(facts())
    assert draft.title == "Alert on checkout p99 above 2 s"
    assert draft.labels == ("postmortem", "detect")
    assert draft.due == date(2026, 12, 1) and draft.assignee == "octocat"
    assert draft.marker == marker_for("T1", 42) == "hindsight-item-T1-42"
    for expected in (
        "INC-7: Checkout down (severity SEV2)",
        "Due: 2026-12-01",
        "- Config deploys skip the canary",
        "- No alert on p99",
        "Incident channel: https://app.slack.com/client/T1/C7",
        "Postmortem: https://app.slack.com/docs/T1/F9",
    ):
        assert expected in draft.body


def test_an_unpublished_postmortem_and_many_factors_are_said_so() -> None:
    draft = compose_draft(
        facts(postmortem_url=None, factors=tuple(f"factor {n}" for n in range(8)), due=None)
    )
    assert "Postmortem: not published yet" in draft.body
    assert "- factor 4" in draft.body and "- factor 5" not in draft.body
    assert "…and 3 more in the postmortem" in draft.body
    assert "Due: not set" in draft.body and draft.due is None
    long = compose_draft(facts(title="x" * 400))
    assert len(long.title) == 250 and long.title.endswith("…")


def change(state: RemoteState | None = None, **fields: object) -> RemoteChange:
    values: dict[str, object] = {
        "kind": TrackerKind.GITHUB,
        "key": "acme/shop#5",
        "state": state,
        "assignee": None,
        "assignee_changed": False,
        "due": None,
        "due_changed": False,
    }
    values.update(fields)
    return RemoteChange(**values)  # type: ignore[arg-type]


def item(is_open: bool = True, known: RemoteState | None = OPEN) -> ItemNow:
    return ItemNow(is_open=is_open, known_state=known, owner_id="U1", due=date(2026, 12, 1))


def test_closed_closes_an_open_item_once() -> None:
    follow = decide(change(CLOSED), item(), owner_for_assignee=None)
    assert follow.close and not follow.reopen and follow.state is CLOSED
    again = decide(change(CLOSED), item(is_open=False, known=CLOSED), owner_for_assignee=None)
    assert not again.changes_item and again.state is None


def test_reopened_reopens_but_a_stale_open_does_not_undo_a_close_made_in_slack() -> None:
    follow = decide(change(OPEN), item(is_open=False, known=CLOSED), owner_for_assignee=None)
    assert follow.reopen and follow.state is OPEN
    # Done in Slack, the tracker not told yet: it still says open, as we knew it.
    stale = decide(change(OPEN), item(is_open=False, known=OPEN), owner_for_assignee=None)
    assert not stale.changes_item


def test_an_item_closed_in_slack_and_then_in_the_tracker_just_remembers_the_state() -> None:
    follow = decide(change(CLOSED), item(is_open=False, known=OPEN), owner_for_assignee=None)
    assert not follow.changes_item and follow.state is CLOSED


def test_owner_and_due_follow_where_they_map() -> None:
    moved = change(assignee="octo", assignee_changed=True, due=date(2026, 12, 9), due_changed=True)
    follow = decide(moved, item(), owner_for_assignee="U2")
    assert (follow.new_owner, follow.new_due) == ("U2", date(2026, 12, 9))
    unmapped = decide(moved, item(), owner_for_assignee=None)
    assert unmapped.new_owner is None and unmapped.new_due == date(2026, 12, 9)
    cleared = change(due=None, due_changed=True, assignee=None, assignee_changed=True)
    assert not decide(cleared, item(), owner_for_assignee=None).changes_item
    closed = decide(moved, item(is_open=False, known=CLOSED), owner_for_assignee="U2")
    assert not closed.changes_item  # a closed item's owner and date are history


def test_a_poll_follows_the_state_only() -> None:
    issue = RemoteIssue(
        key="acme/shop#5", url="u", state=CLOSED, assignee="octo", due=date(2027, 1, 1)
    )
    polled = change_from_issue(TrackerKind.GITHUB, issue)
    follow = decide(polled, item(), owner_for_assignee="U2")
    assert follow.close and follow.new_owner is None and follow.new_due is None


def test_the_user_map_read_backwards() -> None:
    user_map = {"ana@example.com": "Octo", "bo@example.com": "bo", "cy@example.com": "octo"}
    assert emails_for_login(user_map, "octo") == ["ana@example.com", "cy@example.com"]
    assert emails_for_login(user_map, "nobody") == []
