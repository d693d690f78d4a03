"""Text helpers every Block Kit builder shares: escaping, clipping, dates, quotes."""

from __future__ import annotations

from datetime import datetime


def escape(text: str) -> str:
    """Text we did not get from Slack (names, notes typed in a modal) made safe for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten Slack-formatted text without cutting a `<…>` link or an `&…;` entity in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut.rstrip() + "…"


def slack_date(
    moment: datetime, *, tokens: str = "{date_short_pretty} {time}", fallback: str | None = None
) -> str:
    """A time each viewer sees in their own zone; the fallback is for clients that can't."""
    shown = fallback or moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{tokens}|{shown}>"


def quoted(text: str, limit: int) -> str:
    """A message shown as a block quote in a modal, clipped."""
    return "\n".join(f">{line}" for line in clip(text, limit).splitlines()) or ">…"
