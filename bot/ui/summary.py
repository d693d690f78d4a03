"""The published postmortem's summary message (Block Kit), and the Publish button of the
retrospective's review step.

The summary keeps to Slack's message limits whatever the postmortem holds: a handful of
blocks (≤ 50), every section text ≤ 3000 characters (long answers end with "…"), the header
≤ 150 characters, section fields ≤ 2000.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import Publish
from bot.publish.render import category_label
from bot.publish.shapes import Postmortem, duration_text
from bot.ui.blocks import MAX_TEXT, section
from bot.ui.header import MAX_FIELD_TEXT, severity_label
from bot.ui.text import clip, escape, slack_date
from models import Retrospective

TOP_FACTORS = 3
LISTED_OWNERS = 10
ANSWER = 900  # "what happened" and "impact", each: a summary, not the document


def summary_text(pm: Postmortem) -> str:
    """Fallback text (notifications, screen readers): mrkdwn, so the title is escaped."""
    incident = pm.incident
    return clip(f"Postmortem published: {incident.ref}: {escape(incident.title)}", MAX_TEXT)


def summary_blocks(pm: Postmortem, *, document_link: str | None, document_kind: str) -> list[Block]:
    """Title, INC number, severity, dates, time to detect/mitigate/resolve, the top
    contributing factors, the action items with their owners, and the link to the document."""
    incident, retro = pm.incident, pm.retro
    blocks: list[Block] = [
        HeaderBlock(
            block_id=Publish.SUMMARY_TITLE,
            text=clip(f"Postmortem · {incident.ref}: {incident.title}", 150),
        ),
        SectionBlock(block_id=Publish.SUMMARY_FACTS, fields=_facts(pm)),
        section(Publish.SUMMARY_TIMES, _times(pm)),
    ]
    if retro is not None and (retro.summary.strip() or retro.customer_impact.strip()):
        blocks.append(section(Publish.SUMMARY_STORY, _story(retro)))
    blocks += [
        section(Publish.SUMMARY_FACTORS, _factors(pm)),
        section(Publish.SUMMARY_ITEMS, _items(pm)),
        DividerBlock(),
        section(Publish.SUMMARY_DOCUMENT, _document(document_link, document_kind)),
    ]
    if retro is not None and retro.published_by and retro.published_at:
        by = f"Published by <@{retro.published_by}> {slack_date(retro.published_at)}."
        context = f"{by} Blameless: about systems and conditions, not people."
        blocks.append(
            ContextBlock(
                block_id=Publish.SUMMARY_FOOTER, elements=[MarkdownTextObject(text=context)]
            )
        )
    return blocks


def _facts(pm: Postmortem) -> list[str]:
    incident = pm.incident
    fields = [
        f"*Incident:*\n{incident.ref}",
        f"*Severity:*\n{severity_label(incident.severity)}",
        f"*Started:*\n{slack_date(incident.started_at)}",
    ]
    resolved = pm.milestones.get("resolution")
    if resolved is not None and resolved.at is not None:
        fields.append(f"*Resolved:*\n{slack_date(resolved.at)}")
    return [clip(field, MAX_FIELD_TEXT) for field in fields]


def _times(pm: Postmortem) -> str:
    parts = [
        f"Time to {milestone.verb}: *{duration_text(milestone.since_start)}*"
        for milestone in pm.milestones.values()
    ]
    return " · ".join(parts)


def _story(retro: Retrospective) -> str:
    parts = []
    if retro.summary.strip():
        parts.append(f"*What happened*\n{clip(escape(retro.summary.strip()), ANSWER)}")
    if retro.customer_impact.strip():
        parts.append(f"*Customer impact*\n{clip(escape(retro.customer_impact.strip()), ANSWER)}")
    return "\n\n".join(parts)


def _factors(pm: Postmortem) -> str:
    if not pm.factors:
        return "*Contributing factors*\n_none recorded_"
    lines = [
        f"• *{category_label(factor.category)}:* "
        f"{clip(escape(' '.join(factor.description.split())), 700)}"
        for factor in pm.factors[:TOP_FACTORS]
    ]
    more = len(pm.factors) - TOP_FACTORS
    if more > 0:
        lines.append(f"_…and {more} more in the document_")
    return "*Top contributing factors*\n" + "\n".join(lines)


def _items(pm: Postmortem) -> str:
    items = pm.action_items
    if not items:
        return "*Action items*\n_none_"
    owners = list(dict.fromkeys(item.owner_id for item in items if item.owner_id))
    listed = ", ".join(f"<@{owner}>" for owner in owners[:LISTED_OWNERS])
    if len(owners) > LISTED_OWNERS:
        listed += f" and {len(owners) - LISTED_OWNERS} more"
    unowned = sum(1 for item in items if not item.owner_id)
    text = f"*Action items:* {len(items)}"
    text += f"\nOwners: {listed}" if listed else ""
    text += f"\n{unowned} without an owner" if unowned else ""
    return text


def _document(link: str | None, kind: str) -> str:
    if link:
        what = "canvas" if kind == "canvas" else "Markdown file"
        return f":page_facing_up: <{link}|Read the full postmortem> ({what})"
    return ":page_facing_up: The full document is not attached yet; publishing again retries it."


# ---- the Publish button on the retrospective's review step ------------------------------------


def publish_blocks(retro: Retrospective, *, outcome: str | None = None) -> list[Block]:
    """The review step's Publish button, under what the last press delivered (if any)."""
    label = "Publish again" if retro.published_at is not None else "Publish"
    button = ButtonElement(
        text=label, action_id=Publish.BUTTON, value=str(retro.incident_id), style="primary"
    )
    blocks: list[Block] = []
    if outcome:
        blocks.append(section(Publish.OUTCOME, outcome))
    return [*blocks, ActionsBlock(block_id=Publish.ACTIONS, elements=[button])]


def outcome_notice(*, delivered: Sequence[str], failed: Sequence[tuple[str, str]], ref: str) -> str:
    """What went out and what didn't, for the person who pressed Publish."""
    lines = []
    if delivered:
        mark = ":warning:" if failed else ":white_check_mark:"
        lines.append(f"{mark} {ref} is published: " + "; ".join(delivered) + ".")
    if failed:
        missed = "; ".join(f"{target} (Slack answered `{code}`)" for target, code in failed)
        lines.append(f"Not delivered: {missed}. Press *Publish again* to retry just those.")
    if not delivered and not failed:
        lines.append(f"{ref}: nothing to publish.")
    return clip("\n".join(lines), MAX_TEXT - 20)
