"""An action item's place in the team's tracker (GitHub Issues or Jira), as a line under the
item and a button among its controls: "Create GitHub issue" before it is filed, its key and
link once it is, what went wrong while it is retried, and Retry once filing gave up."""

from __future__ import annotations

from slack_sdk.models.blocks import ButtonElement

from bot.ids import Trackers
from bot.trackers.shapes import Filing, ItemTracker, RemoteState, TrackerKind
from bot.ui.text import clip, escape
from models import ActionItem

MAX_ERROR_SHOWN = 200


def create_label(tracker: ItemTracker) -> str:
    return f"Create {tracker.kind.label} issue"


def link_text(tracker: ItemTracker) -> str | None:
    """`<url|OPS-12>`, or None when the item isn't filed."""
    if tracker.filing is not Filing.FILED or not tracker.key:
        return None
    key = escape(tracker.key)
    # A link whose label or target holds `|` or `>` would break the token: show the key alone.
    if not tracker.url or any(mark in tracker.url for mark in "|<> "):
        return key
    return f"<{tracker.url}|{key}>"


def tracker_line(tracker: ItemTracker | None) -> str | None:
    """The line under the item's text; None when there is nothing to say (not filed, not
    asked for)."""
    if tracker is None:
        return None
    label = tracker.kind.label
    error = escape(clip(tracker.error or "no answer", MAX_ERROR_SHOWN))
    if tracker.filing is Filing.FILED:
        state = "closed" if tracker.state is RemoteState.CLOSED else "open"
        return f":link: {link_text(tracker)} in {label} · {state}"
    if tracker.filing is Filing.QUEUED:
        return f":hourglass_flowing_sand: Filing the {label} issue…"
    if tracker.filing is Filing.RETRYING:
        return f":warning: Couldn't create the {label} issue: {error}, retrying"
    if tracker.filing is Filing.FAILED:
        return f":x: Couldn't create the {label} issue: {error}. Retry when it's fixed."
    return None


def tracker_button(item_id: int, tracker: ItemTracker | None) -> ButtonElement | None:
    """Create (not asked for yet) or Retry (filing gave up); none while it is on its way or
    once it is filed."""
    if tracker is None:
        return None
    value = str(item_id)
    if tracker.filing is Filing.NONE:
        return ButtonElement(text=create_label(tracker), action_id=Trackers.CREATE, value=value)
    if tracker.filing is Filing.FAILED:
        return ButtonElement(text="Retry", action_id=Trackers.RETRY, value=value)
    return None


def filed_issue(item: ActionItem) -> ItemTracker | None:
    """The item's issue as its own columns tell it; None while it has none."""
    if not item.tracker_key or item.tracker_kind not in set(TrackerKind):
        return None
    state = RemoteState(item.tracker_state) if item.tracker_state in set(RemoteState) else None
    return ItemTracker(
        TrackerKind(item.tracker_kind),
        Filing.FILED,
        key=item.tracker_key,
        url=item.tracker_url,
        state=state,
    )


def review_suffix(item: ActionItem) -> str:
    """What the retro's review adds after an item's line: its issue, once filed."""
    issue = filed_issue(item)
    link = None if issue is None else link_text(issue)
    return f" · {link}" if link else ""
