"""The ephemeral answer to `/postmortem search`: a page of results, nothing found, or usage.

Everything people wrote is shown inert: titles and retrospective text (typed in Hindsight's
forms) escaped, captured messages through `inert` (mentions become names, `<!channel>` plain
`@channel`). A snippet's matched words are bold; a match that falls inside a Slack token is
not marked, so the token is never cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.ids import COMMAND, Search
from bot.search.query import MAX_OFFSET, SearchQuery, page_value
from bot.search.shapes import HIT_END, HIT_START, PAGE_SIZE, Hit, SearchPage, Snippet
from bot.ui.blocks import context, section
from bot.ui.text import clip, escape, inert, slack_date

SNIPPET_CHARS = 300
STATES = {
    "none": "no postmortem",
    "draft": "postmortem draft",
    "in_review": "postmortem in review",
    "published": "postmortem published",
}
MARKED_TOKEN = re.compile(f"<[^<>]*[{HIT_START}{HIT_END}][^<>]*>")
MARKERS = re.compile(f"([{HIT_START}{HIT_END}])")
USAGE = (
    f"*Search past incidents and postmortems:* `{COMMAND} search <words> [filters]`\n"
    'Words: every word must appear; `"two words"` as a phrase; `or` between alternatives; '
    "`-word` to leave out.\n"
    "Filters: `severity:SEV1` · `service:checkout` · `since:2026-09-01` · "
    "`status:published`, `status:draft` or `status:none`. A filter given twice (or "
    "`severity:SEV1,SEV2`) matches either value.\n"
    f"Example: `{COMMAND} search database timeout severity:SEV1 since:2026-01-01`"
)


@dataclass(slots=True)
class SearchMessage:
    text: str  # notification and screen-reader fallback
    blocks: list[Block]


def usage_message() -> SearchMessage:
    return SearchMessage(text=USAGE, blocks=[section(Search.HEADER, USAGE)])


def results_message(page: SearchPage) -> SearchMessage:
    """The page's results with the paging buttons, or why nothing was found."""
    if not page.hits:
        text = _nothing_found(page)
        return SearchMessage(text=text, blocks=[section(Search.EMPTY, text)])
    first, last = page.offset + 1, page.offset + len(page.hits)
    header = f"Results {first}–{last} for {_asked(page.query)}"
    blocks: list[Block] = [section(Search.HEADER, header)]
    for hit in page.hits:
        blocks.append(section(f"{Search.HIT}.{hit.incident_id}", _hit_text(hit, page.names)))
        links = _links(hit)
        if links:
            blocks.append(context(f"{Search.HIT}.{hit.incident_id}.links", links))
    buttons = _paging(page)
    if buttons:
        blocks.append(ActionsBlock(block_id=Search.PAGES, elements=buttons))
    return SearchMessage(text=header, blocks=blocks)


def _asked(query: SearchQuery) -> str:
    asked = f"*{escape(query.words)}*" if query.words else "your words"
    if query.filters.any:
        asked += " (" + ", ".join(f"`{escape(given)}`" for given in query.filters.given) + ")"
    return asked


def _nothing_found(page: SearchPage) -> str:
    if page.offset > 0:
        return f"No more results for {_asked(page.query)}."
    if not page.query.has_words:
        return f"Those words are too common to search for. {_try_other_words()}"
    text = f"No incidents or postmortems match {_asked(page.query)}."
    if page.query.filters.any:
        dropped = " ".join(f"`{escape(given)}`" for given in page.query.filters.given)
        return f"{text} Try dropping a filter: {dropped}."
    return f"{text} {_try_other_words()}"


def _try_other_words() -> str:
    return "Try other or fewer words (every word must appear), or `or` between them."


def _hit_text(hit: Hit, names: Mapping[str, str]) -> str:
    date = slack_date(hit.started_at, tokens="{date_short}", fallback=f"{hit.started_at:%Y-%m-%d}")
    state = STATES.get(hit.postmortem_state, hit.postmortem_state)
    head = f"*{hit.ref}* {escape(hit.title)}\n{hit.severity} · {date} · {state}"
    if hit.snippet is None:
        return head
    return f"{head}\n>{highlighted(hit.snippet, names)} _({hit.snippet.source})_"


def highlighted(snippet: Snippet, names: Mapping[str, str] | None = None) -> str:
    """The excerpt on one line, inert, its matched words bold."""
    text = MARKED_TOKEN.sub(lambda token: MARKERS.sub("", token[0]), snippet.text)
    text = clip(_around_first_match(" ".join(text.split())), SNIPPET_CHARS)
    shown, bold = [], False
    for part in MARKERS.split(text):
        if part in (HIT_START, HIT_END):
            bold = part == HIT_START
            continue
        safe = _shown(part, snippet.formatted, names or {})
        shown.append(f"*{safe}*" if bold and safe.strip() else safe)
    return "".join(shown)


def _around_first_match(text: str) -> str:
    """A long text from a little before its first match, never from inside a Slack token."""
    first = text.find(HIT_START)
    if len(text) <= SNIPPET_CHARS or first < SNIPPET_CHARS // 3:
        return text
    start = text.rfind(" ", 0, first - SNIPPET_CHARS // 4) + 1
    opened = text.rfind("<", 0, start)
    if opened > text.rfind(">", 0, start):  # inside a token: start with it
        start = opened
    return "…" + text[start:]


def _shown(part: str, formatted: bool, names: Mapping[str, str]) -> str:
    if not formatted:
        return escape(part)
    # A token the excerpt cut in two (`U0BOB> …`) is left as text, never live.
    return inert(part, names).replace("<", "&lt;").replace(">", "&gt;")


def _links(hit: Hit) -> str:
    links = [f"<#{hit.channel_id}>"] if hit.channel_id else []
    if hit.document_link:
        kind = "canvas" if hit.document_kind == "canvas" else "file"
        links.append(f"<{hit.document_link}|postmortem ({kind})>")
    return " · ".join(links)


def _paging(page: SearchPage) -> list[ButtonElement]:
    buttons = []
    if page.offset > 0:
        previous = max(0, page.offset - PAGE_SIZE)
        buttons.append(
            ButtonElement(
                text="Previous results",
                action_id=Search.PREVIOUS,
                value=page_value(page.query, previous),
            )
        )
    if page.more and page.offset + len(page.hits) <= MAX_OFFSET:
        buttons.append(
            ButtonElement(
                text="More results",
                action_id=Search.MORE,
                value=page_value(page.query, page.offset + len(page.hits)),
                style="primary",
            )
        )
    return buttons
