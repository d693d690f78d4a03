"""The App Home tab: the viewer's open action items (overdue first, each with its controls), the
incidents they took part in with the state of each retrospective, and the team's
follow-through in three numbers.

A Home view holds at most 100 blocks: two per item, one per incident, and a dozen around them,
so the lists are capped and say how many more there are.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.followup.shapes import Home, Participation, TeamCounts
from bot.ids import Home as HomeIds
from bot.ui.blocks import context, section
from bot.ui.debt import owed_line
from bot.ui.header import status_label
from bot.ui.item import item_blocks
from bot.ui.stats import headline_fields, window_label
from bot.ui.text import clip, escape, slack_date
from models import Incident, IncidentStatus, PostmortemState

MAX_BLOCKS = 100
FRAME_BLOCKS = 12  # header, headings, "more" lines, dividers, team, stats, footer (room to spare)
MAX_INCIDENTS = 10
MAX_ITEMS = (MAX_BLOCKS - FRAME_BLOCKS - MAX_INCIDENTS) // 2  # two blocks each: text, controls
MAX_TITLE = 150
MAX_OWED = 5  # owed postmortems listed (one section: a line each)

RETRO_STATE = {
    PostmortemState.DRAFT: ":memo: Retrospective in draft",
    PostmortemState.IN_REVIEW: ":eyes: Retrospective in review",
    PostmortemState.PUBLISHED: ":books: Postmortem published",
}


def home_view(home: Home) -> View:
    blocks: list[Block] = [
        HeaderBlock(block_id=HomeIds.HEADER, text="Your follow-through"),
        *_items(home),
        DividerBlock(),
        *_incidents(home),
        DividerBlock(),
        _team(home.team),
        *_owed(home),
        *_stats(home),
        context(HomeIds.FOOTER, _footer(home)),
    ]
    return View(type="home", blocks=blocks)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _items(home: Home) -> list[Block]:
    if not home.items:
        return [
            section(
                HomeIds.ITEMS_EMPTY,
                "*Your action items*\nNothing on your plate. Nice. :sparkles:",
            )
        ]
    heading = f"*Your action items* · {home.open_count} open"
    if home.overdue_count:
        heading += f", {home.overdue_count} past due: a good place to start"
    blocks: list[Block] = [section(HomeIds.ITEMS, heading)]
    for item, incident in home.items:
        blocks += item_blocks(
            item,
            incident,
            today=home.today,
            now=home.now,
            viewer_id=home.user_id,
            controls=True,
            tracker=home.trackers.get(item.id),
        )
    more = home.open_count - len(home.items)
    if more > 0:
        blocks.append(
            context(
                HomeIds.ITEMS_MORE,
                f"{_plural(more, 'more open item')} not shown; they come up here as these close.",
            )
        )
    return blocks


def _incidents(home: Home) -> list[Block]:
    if not home.incidents:
        return [
            section(
                HomeIds.INCIDENTS_EMPTY,
                "*Incidents you took part in*\nNone yet. May it stay quiet.",
            )
        ]
    blocks: list[Block] = [section(HomeIds.INCIDENTS, "*Incidents you took part in*")]
    blocks += [
        section(f"{HomeIds.INCIDENTS}.{entry.incident.id}", _incident_text(entry, home.user_id))
        for entry in home.incidents
    ]
    if home.more_incidents:
        blocks.append(
            context(HomeIds.INCIDENTS_MORE, f"The {MAX_INCIDENTS} most recent are shown.")
        )
    return blocks


def _incident_text(entry: Participation, user_id: str) -> str:
    incident = entry.incident
    title = escape(clip(incident.title, MAX_TITLE))
    where = f" · <#{incident.channel_id}>" if incident.channel_id else ""
    facts = [status_label(incident.status), retro_state(incident)]
    roles = _roles(entry, user_id)
    if roles:
        facts.append("you: " + ", ".join(roles))
    return f"*{incident.ref}: {title}*{where}\n" + " · ".join(facts)


def retro_state(incident: Incident) -> str:
    if incident.postmortem_state in RETRO_STATE:
        return RETRO_STATE[incident.postmortem_state]
    if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        return ":hourglass_flowing_sand: Retrospective not started"
    return "Retrospective once resolved"


def _roles(entry: Participation, user_id: str) -> list[str]:
    incident = entry.incident
    roles = [
        role
        for role, holder in (
            ("declared it", incident.declared_by),
            ("commander", incident.commander_id),
            ("facilitator", incident.facilitator_id),
        )
        if holder == user_id
    ]
    if entry.owns_items:
        roles.append("action items")
    if entry.wrote_in_timeline and not roles:
        roles.append("in the timeline")
    return roles


def _team(team: TeamCounts) -> SectionBlock:
    return SectionBlock(
        block_id=HomeIds.TEAM,
        text=MarkdownTextObject(text="*The team*"),
        fields=[
            MarkdownTextObject(text=f"*Open incidents*\n{team.open_incidents}"),
            MarkdownTextObject(text=f"*Postmortems to publish*\n{team.unpublished_postmortems}"),
            MarkdownTextObject(text=f"*Action items past due*\n{team.overdue_items}"),
        ],
    )


def _owed(home: Home) -> list[Block]:
    """The team's postmortems owed (resolved, unpublished past POSTMORTEM_DUE_DAYS), if any."""
    if not home.owed:
        return []
    lines = [owed_line(incident, today=home.today) for incident in home.owed]
    more = home.owed_count - len(home.owed)
    if more > 0:
        lines.append(f"…and {more} more")
    heading = f"*Postmortems owed* · {home.owed_count}"
    return [section(HomeIds.OWED, heading + "\n" + "\n".join(lines))]


def _stats(home: Home) -> list[Block]:
    """The team's headline numbers over the stats window (`/postmortem stats` has the rest)."""
    if home.stats is None:
        return []
    heading = f"*The team, {window_label(home.stats)}*"
    return [
        SectionBlock(
            block_id=HomeIds.STATS,
            text=MarkdownTextObject(text=heading),
            fields=headline_fields(home.stats),
        )
    ]


def _footer(home: Home) -> str:
    return (
        f"Updated {slack_date(home.now)}. Done, Snooze, Reassign and Won't do act at once. "
        "Follow-through is about the systems, never about blame."
    )
