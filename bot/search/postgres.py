"""PostgreSQL's statements for search: websearch_to_tsquery matched against the tsvectors that
migration 0007 keeps (`search_documents.document`, one per incident, and timeline_events'
generated `search_vector`, both GIN indexed), ts_rank for relevance, ts_headline for excerpts.

ts_rank's normalization 32 gives rank / (rank + 1), in [0, 1).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text

from bot.search.fields import DOCUMENT_FIELDS, DOCUMENT_TIER, rank_weights
from bot.search.query import SearchQuery, websearch_text

CONFIG = "'english'::regconfig"
# Written out where used (not a CTE), so the planner sees the query's words when it plans.
QUERY = f"websearch_to_tsquery({CONFIG}, :words)"
JOIN = "JOIN"
# Scores first: otherwise each matched document (KBs) is carried to the sort, past work_mem.
MATERIALIZED = "MATERIALIZED "
SERVICE_FILTER = (
    "EXISTS (SELECT 1 FROM json_array_elements_text(i.services) AS s(value)"
    " WHERE lower(s.value) IN :services)"
)
DOCUMENTS = f"""
    SELECT d.incident_id AS incident_id,
        {DOCUMENT_TIER} * (1 + ts_rank('{rank_weights()}'::float4[], d.document, {QUERY}, 32))
            AS score,
        'document' AS best
    FROM search_documents AS d WHERE d.team_id = :team_id AND d.document @@ {QUERY}"""
TIMELINE = f"""
    SELECT event.incident_id AS incident_id FROM timeline_events AS event
    WHERE event.team_id = :team_id AND event.deleted_at IS NULL
        AND event.search_vector @@ {QUERY}"""
# A word common in channel chatter matches thousands of messages, and counting them for each
# incident reads a table page per match. From COMMON_MESSAGES matches on, the incidents found only
# in their timeline are walked newest first instead (ix_incidents_team_started), each asked
# whether any of its messages matches: the first page needs a few dozen incidents, not every match.
COMMON_MESSAGES = 2000
# With a filter, fewer incidents pass, so the word must be denser (about one match an incident)
# for the walk to find a page quickly.
COMMON_MESSAGES_FILTERED = 10_000
TIMELINE_PROBE = f"""
    SELECT count(*) FROM (
        SELECT 1 FROM timeline_events AS event
        WHERE event.team_id = :team_id AND event.deleted_at IS NULL
            AND event.search_vector @@ {QUERY} LIMIT :probe_limit
    ) AS probe"""
TIMELINE_ANY = f"""(
        SELECT true FROM timeline_events AS event
        WHERE event.incident_id = i.id AND event.deleted_at IS NULL
            AND event.search_vector @@ {QUERY} LIMIT 1
    )"""
HEADLINE_OPTIONS = "MaxWords=30, MinWords=12, MaxFragments=2"
OPTIONS = f"'StartSel=' || :start || ', StopSel=' || :end || ', {HEADLINE_OPTIONS}'"
WHOLE = "'StartSel=' || :start || ', StopSel=' || :end || ', HighlightAll=true'"


def _retro(expression: str) -> str:
    return f"(SELECT {expression} FROM retrospectives AS r WHERE r.incident_id = i.id)"


# Each document field's text for incident `i`, as people wrote it.
FIELD_TEXTS = {
    "title": "i.title",
    "factors": """(SELECT string_agg(f.description || coalesce(' — ' || (
            SELECT string_agg(value, ' · ') FROM json_array_elements_text(f.whys)), ''),
            ' | ' ORDER BY f.position, f.id)
        FROM contributing_factors AS f JOIN retrospectives AS r ON r.id = f.retrospective_id
        WHERE r.incident_id = i.id)""",
    "summary": "i.summary",
    "services": "(SELECT string_agg(value, ', ') FROM json_array_elements_text(i.services))",
    "retro": _retro("r.summary || ' — ' || r.customer_impact"),
    "lessons": _retro("r.went_well || ' — ' || r.went_badly || ' — ' || r.got_lucky"),
    "actions": """(SELECT string_agg(a.title, ' | ' ORDER BY a.id)
        FROM action_items AS a WHERE a.incident_id = i.id)""",
}


def parameters(query: SearchQuery) -> dict[str, Any] | None:
    """The query's parameters; None when nothing in it can be looked for."""
    return {"words": websearch_text(query)} if query.has_words else None


def document_snippets() -> TextClause:
    """One excerpt per document field of incident :incident_id (matched words between :start
    and :end; a field without any starts at its beginning)."""
    excerpts = ", ".join(
        f"ts_headline({CONFIG}, coalesce({FIELD_TEXTS[field.column]}, ''), {QUERY}, {OPTIONS})"
        f" AS {field.column}"
        for field in DOCUMENT_FIELDS
    )
    return text(f"SELECT {excerpts} FROM incidents AS i WHERE i.id = :incident_id")


def timeline_snippet() -> TextClause:
    """Incident :incident_id's best matching message, whole (an excerpt could cut a Slack token
    in two; the UI shows the part around the first match)."""
    return text(
        f"SELECT ts_headline({CONFIG}, event.text, {QUERY}, {WHOLE}) AS excerpt"
        " FROM timeline_events AS event"
        " WHERE event.incident_id = :incident_id AND event.deleted_at IS NULL"
        f" AND event.search_vector @@ {QUERY}"
        f" ORDER BY ts_rank(event.search_vector, {QUERY}) DESC LIMIT 1"
    )
