"""Similar past incidents: the message posted in a new incident's channel, and the same list in
the retrospective's contributing-factors step. Pure: built from bot/insights/similar.py shapes.

What people wrote (titles, factors, action items) is shown as text, never live (`escape`);
only our own channel link, date token and the postmortem's Slack link are live.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.insights.similar import SimilarIncident
from bot.ui.blocks import context, section
from bot.ui.text import clip, escape, slack_date
from models import FactorCategory

TITLE = "Similar past incidents"
TITLE_LENGTH = 150
FACTOR_LENGTH = 200
ITEM_LENGTH = 150
CATEGORY_LABELS = {c.value: c.value.replace("_", " ").capitalize() for c in FactorCategory}
SAFE_LINK = re.compile(r"https://[^\s<>|]+")
WHY_SHOWN = (
    "Earlier incidents of this team with a service in common, or with similar words in the "
    "title and what happened. Did the same contributing factors come back?"
)


def similar_message(similar: Sequence[SimilarIncident]) -> tuple[str, list[Block]]:
    """The channel message: its notification text and its blocks."""
    names = ", ".join(f"{past.ref} {escape(clip(past.title, 60))}" for past in similar)
    blocks: list[Block] = [HeaderBlock(block_id="similar.title", text=TITLE)]
    blocks += [incident_section(past) for past in similar]
    blocks.append(context("similar.why", WHY_SHOWN))
    return f"{TITLE}: {names}", blocks


def step_blocks(similar: Sequence[SimilarIncident]) -> list[Block]:
    """The list in the contributing-factors step; nothing when there is no similar incident."""
    if not similar:
        return []
    return [
        section("similar.title", f"*{TITLE}*"),
        *(incident_section(past) for past in similar),
        context("similar.why", WHY_SHOWN),
    ]


def incident_section(past: SimilarIncident) -> Block:
    lines = [_heading(past), f"_{_why(past)}_"]
    if past.factors:
        lines.append("*Contributing factors*")
        lines += [
            f"• {_category(factor.category)}{escape(clip(factor.description, FACTOR_LENGTH))}"
            for factor in past.factors
        ]
    if past.open_items:
        lines.append("*Still open*")
        lines += [
            f"• {escape(clip(item.title, ITEM_LENGTH))}"
            + (f" (due {item.due.isoformat()})" if item.due else "")
            for item in past.open_items
        ]
        if past.open_count > len(past.open_items):
            lines.append(f"_…and {past.open_count - len(past.open_items)} more_")
    return section(f"similar.{past.ref}", "\n".join(lines))


def _heading(past: SimilarIncident) -> str:
    when = slack_date(
        past.started_at, tokens="{date_short}", fallback=past.started_at.strftime("%Y-%m-%d")
    )
    parts = [f"*{past.ref} · {escape(clip(past.title, TITLE_LENGTH))}*", when]
    if past.channel_id:
        parts.append(f"<#{past.channel_id}>")
    if past.postmortem_link and SAFE_LINK.fullmatch(past.postmortem_link):
        parts.append(f"<{past.postmortem_link}|postmortem>")
    elif past.published:
        parts.append("postmortem published")
    return " · ".join(parts)


def _why(past: SimilarIncident) -> str:
    if past.shared_services:
        services = ", ".join(escape(service) for service in past.shared_services)
        return f"Same service: {services}"
    return "Similar words in the title and what happened"


def _category(category: str | None) -> str:
    label = CATEGORY_LABELS.get(category or "")
    return f"_{label}_: " if label else ""
