"""The one message in the incident channel that says how far backfill has read ("read 450 of
about 1,200 messages"), posted once and updated in place, never a stream of messages."""

from __future__ import annotations

import logging
import time
from decimal import Decimal, InvalidOperation

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.timeline.backfill_store import RunState

logger = logging.getLogger("bot.timeline.backfill")

LEAD = "Reading this channel's history into the incident's timeline"


def _seconds(ts: str | None) -> Decimal | None:
    try:
        return Decimal(ts) if ts else None
    except InvalidOperation:
        return None


def about_total(run: RunState) -> int | None:
    """How many messages the channel holds, about: exact (top-level read plus the replies
    the threads announce) once the history is read; before, extrapolated from how much of the
    channel's life the pages read so far cover. None when nothing says yet."""
    known = run.history_read + run.replies_expected
    if run.history_done:
        return known
    newest, oldest = _seconds(run.newest_ts), _seconds(run.oldest_ts)
    if not known or newest is None or oldest is None or run.channel_created is None:
        return None
    created = Decimal(run.channel_created)
    if not created < oldest < newest:
        return None
    covered = (newest - oldest) / (newest - created)
    return max(known, _rounded(int(known / covered)))


def _rounded(count: int) -> int:
    """Two significant figures: an estimate should not look exact (1,183 → 1,200)."""
    if count < 100:
        return count
    step = 10 ** (len(str(count)) - 2)
    return round(count / step) * step


def progress_text(run: RunState, *, done: bool = False, error: str | None = None) -> str:
    read = run.read_count
    if error is not None:
        return f":warning: Stopped reading this channel's history after {read:,} messages. {error}"
    if done:
        return (
            f":white_check_mark: Read this channel's history into the timeline: {read:,} messages."
        )
    about = about_total(run)
    if about is None:
        return f":hourglass_flowing_sand: {LEAD}: read {read:,} messages so far."
    return f":hourglass_flowing_sand: {LEAD}: read {read:,} of about {max(about, read):,} messages."


class ProgressMessage:
    """Posts the progress message once (or adopts the run's, after a restart) and updates it,
    at most every `every` seconds except for the last word. A failure to show it is logged:
    progress is a courtesy, the reading goes on."""

    def __init__(self, client: AsyncWebClient, *, channel_id: str, every: float) -> None:
        self.client = client
        self.channel_id = channel_id
        self.every = every
        self._shown_at: float | None = None
        self._last_text: str | None = None

    async def show(
        self, run: RunState, *, final: bool = False, error: str | None = None
    ) -> str | None:
        """The message's ts (new when there was none)."""
        now = time.monotonic()
        if not final and self._shown_at is not None and now - self._shown_at < self.every:
            return run.progress_ts
        text = progress_text(run, done=final and error is None, error=error)
        if text == self._last_text:
            return run.progress_ts
        self._shown_at, self._last_text = now, text
        try:
            if run.progress_ts is None:
                posted = await self.client.chat_postMessage(channel=self.channel_id, text=text)
                return str(posted["ts"])
            await self.client.chat_update(channel=self.channel_id, ts=run.progress_ts, text=text)
        except SlackApiError as error_:
            logger.warning(
                "backfill of %s: progress not shown (%s)",
                self.channel_id,
                error_.response.get("error") if error_.response is not None else error_,
            )
        return run.progress_ts
