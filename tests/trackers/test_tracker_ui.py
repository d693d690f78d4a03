"""An action item's tracker line and button, as every surface draws them (pure Block Kit)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.ids import FollowUp, Trackers
from bot.trackers.shapes import Filing, ItemTracker, RemoteState, TrackerKind
from bot.ui.item import controls_block_id, item_block_id, item_blocks, redraw_item
from bot.ui.tracker import review_suffix
from models import ActionItem, ActionKind, ActionStatus, Incident, Priority

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)


def an_item(**overrides: Any) -> tuple[ActionItem, Incident]:
    incident = Incident(id=3, team_id="T1", number=7, title="Checkout down", channel_id="C7")
    item = ActionItem(
        id=42,
        team_id="T1",
        incident_id=3,
        title="Alert on checkout p99",
        owner_id="U1",
        due_date=date(2026, 12, 1),
        priority=Priority.HIGH,
        kind=ActionKind.DETECT,
        status=ActionStatus.OPEN,
        **overrides,
    )
    return item, incident


def drawn(item: ActionItem, incident: Incident, tracker: ItemTracker | None) -> list[dict]:
    blocks = item_blocks(
        item, incident, today=TODAY, now=NOW, viewer_id="U1", controls=True, tracker=tracker
    )
    return [block.to_dict() for block in blocks]


def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    controls = [b for b in blocks if b["block_id"] == controls_block_id(42)]
    return [(e["action_id"], e["text"]["text"]) for b in controls for e in b["elements"]]


def text_of(blocks: list[dict]) -> str:
    return next(b["text"]["text"] for b in blocks if b["block_id"] == item_block_id(42))


def test_no_tracker_configured_draws_the_item_as_before() -> None:
    item, incident = an_item()
    blocks = drawn(item, incident, None)
    assert [action for action, _ in buttons(blocks)] == [
        FollowUp.DONE,
        FollowUp.SNOOZE_DAY,
        FollowUp.SNOOZE_WEEK,
        FollowUp.REASSIGN,
        FollowUp.WONT_DO,
    ]
    assert "issue" not in text_of(blocks)


def test_the_configured_tracker_names_its_create_button() -> None:
    item, incident = an_item()
    for kind, label in ((TrackerKind.GITHUB, "GitHub"), (TrackerKind.JIRA, "Jira")):
        blocks = drawn(item, incident, ItemTracker(kind, Filing.NONE))
        assert buttons(blocks)[-1] == (Trackers.CREATE, f"Create {label} issue")
        [button] = [e for b in blocks if "elements" in b for e in b["elements"][-1:]]
        assert button["value"] == "42"


def test_a_filed_item_shows_its_key_and_link_instead_of_the_button() -> None:
    item, incident = an_item()
    filed = ItemTracker(
        TrackerKind.JIRA,
        Filing.FILED,
        key="OPS-12",
        url="https://acme.atlassian.net/browse/OPS-12",
        state=RemoteState.OPEN,
    )
    blocks = drawn(item, incident, filed)
    assert Trackers.CREATE not in [action for action, _ in buttons(blocks)]
    assert ":link: <https://acme.atlassian.net/browse/OPS-12|OPS-12> in Jira · open" in text_of(
        blocks
    )


def test_while_retried_the_error_is_shown_and_after_giving_up_retry_is_offered() -> None:
    item, incident = an_item()
    retrying = ItemTracker(TrackerKind.GITHUB, Filing.RETRYING, error="Server Error <b>")
    blocks = drawn(item, incident, retrying)
    assert "Couldn't create the GitHub issue: Server Error &lt;b&gt;, retrying" in text_of(blocks)
    assert {Trackers.CREATE, Trackers.RETRY}.isdisjoint(a for a, _ in buttons(blocks))

    failed = ItemTracker(TrackerKind.GITHUB, Filing.FAILED, error="Validation Failed")
    blocks = drawn(item, incident, failed)
    assert "Couldn't create the GitHub issue: Validation Failed" in text_of(blocks)
    assert buttons(blocks)[-1] == (Trackers.RETRY, "Retry")

    queued = drawn(item, incident, ItemTracker(TrackerKind.GITHUB, Filing.QUEUED))
    assert "Filing the GitHub issue" in text_of(queued)
    assert buttons(queued)[-1][0] == FollowUp.WONT_DO


def test_an_item_closed_by_its_issue_says_so() -> None:
    item, incident = an_item(closed_by=None)
    item.status = ActionStatus.DONE
    closed = ItemTracker(
        TrackerKind.GITHUB,
        Filing.FILED,
        key="acme/shop#5",
        url="https://github.com/acme/shop/issues/5",
        state=RemoteState.CLOSED,
    )
    blocks = drawn(item, incident, closed)
    assert ":white_check_mark: Closed in GitHub" in text_of(blocks)
    assert "in GitHub · closed" in text_of(blocks)
    assert buttons(blocks) == []  # closed: no controls


def test_redraw_swaps_the_create_button_for_the_link() -> None:
    item, incident = an_item()
    before = drawn(item, incident, ItemTracker(TrackerKind.GITHUB, Filing.NONE))
    filed = ItemTracker(
        TrackerKind.GITHUB,
        Filing.FILED,
        key="acme/shop#5",
        url="https://github.com/acme/shop/issues/5",
        state=RemoteState.OPEN,
    )
    after = redraw_item(before, item, incident, today=TODAY, now=NOW, viewer_id="U1", tracker=filed)
    assert "<https://github.com/acme/shop/issues/5|acme/shop#5>" in text_of(after)
    assert Trackers.CREATE not in [action for action, _ in buttons(after)]
    assert buttons(after)[0] == (FollowUp.DONE, "Done")


def test_the_retro_review_lists_a_filed_items_issue() -> None:
    item, _ = an_item()
    assert review_suffix(item) == ""
    item.tracker_kind, item.tracker_key = "jira", "OPS-12"
    item.tracker_url, item.tracker_state = "https://acme.atlassian.net/browse/OPS-12", "open"
    assert review_suffix(item) == " · <https://acme.atlassian.net/browse/OPS-12|OPS-12>"
