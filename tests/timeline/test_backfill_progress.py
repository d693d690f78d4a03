"""The progress message's words: how many messages were read, of about how many, estimated
from how much of the channel's life the pages read so far cover."""

from __future__ import annotations

from bot.timeline.backfill_progress import about_total, progress_text
from bot.timeline.backfill_store import RunState
from tests.conftest import TEAM_ID


def run_state(**values: object) -> RunState:
    defaults: dict[str, object] = {
        "id": 1,
        "team_id": TEAM_ID,
        "incident_id": 1,
        "channel_id": "C1",
        "bot_user_id": None,
        "bot_id": None,
        "owner": "o",
        "history_cursor": None,
        "history_done": False,
        "channel_created": None,
        "newest_ts": None,
        "oldest_ts": None,
        "read_count": 0,
        "history_read": 0,
        "replies_expected": 0,
        "stored_count": 0,
        "calls": 0,
        "progress_ts": None,
    }
    return RunState(**(defaults | values))  # type: ignore[arg-type]


def test_the_progress_says_about_how_many_from_what_the_pages_cover() -> None:
    assert progress_text(run_state()) == (
        ":hourglass_flowing_sand: Reading this channel's history into the incident's timeline: "
        "read 0 messages so far."
    )
    # 300 top-level read (and threads announcing 150 replies) cover the newest quarter of the
    # channel's life: about 1,800, shown with two significant figures.
    quarter = run_state(
        channel_created=1_000,
        newest_ts="5000.000100",
        oldest_ts="4000.000100",
        read_count=450,
        history_read=300,
        replies_expected=150,
    )
    assert about_total(quarter) == 1_800
    assert progress_text(quarter).endswith("read 450 of about 1,800 messages.")
    exact = run_state(history_done=True, read_count=1_183, history_read=1_000, replies_expected=203)
    assert about_total(exact) == 1_203  # the history read: what it holds, not rounded
    assert progress_text(exact, done=True) == (
        ":white_check_mark: Read this channel's history into the timeline: 1,183 messages."
    )
    no_birth = run_state(newest_ts="5000.1", oldest_ts="4000.1", history_read=15, read_count=15)
    assert about_total(no_birth) is None
