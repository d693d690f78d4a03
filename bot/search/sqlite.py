"""SQLite's statements for search: FTS5 MATCH over the external-content tables migration 0007
made (`search_documents`, one row per incident, rowid = incident id; `search_timeline`, rowid =
timeline event id), bm25 for relevance, snippet() for excerpts.

bm25 is negative and better when lower: relevance is r / (1 + r) of r = -bm25, in [0, 1).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text

from bot.search.fields import BM25_WEIGHTS, DOCUMENT_FIELDS, DOCUMENT_TIER
from bot.search.query import SearchQuery, fts5_match

SNIPPET_TOKENS = 24
# SQLite counts a common word's messages fast enough (bench/search.py): no walk.
COMMON_MESSAGES: int | None = None
COMMON_MESSAGES_FILTERED: int | None = None
TIMELINE_PROBE = TIMELINE_ANY = ""
# CROSS JOIN keeps the left side the outer loop: SQLite's planner would otherwise walk the
# team's rows and run the MATCH once for each.
JOIN = "CROSS JOIN"
MATERIALIZED = ""  # the documents' text stays in the index: nothing wide flows
SERVICE_FILTER = (
    "EXISTS (SELECT 1 FROM json_each(i.services) AS s WHERE lower(s.value) IN :services)"
)
# LIMIT -1 (none) keeps each MATCH a subquery of its own, where bm25() may be called.
DOCUMENTS = f"""
    SELECT h.id AS incident_id, {DOCUMENT_TIER} * (1 + h.r / (1 + h.r)) AS score,
        'document' AS best
    FROM (
        SELECT rowid AS id, -bm25(search_documents, {BM25_WEIGHTS}) AS r
        FROM search_documents WHERE search_documents MATCH :match LIMIT -1
    ) AS h"""
TIMELINE = """
    SELECT event.incident_id AS incident_id
    FROM (
        SELECT rowid AS id FROM search_timeline WHERE search_timeline MATCH :match LIMIT -1
    ) AS h CROSS JOIN timeline_events AS event ON event.id = h.id
    WHERE event.team_id = :team_id AND event.deleted_at IS NULL"""


def parameters(query: SearchQuery) -> dict[str, Any] | None:
    """The query's parameters; None when nothing in it can be looked for."""
    match = fts5_match(query)
    return None if match is None else {"match": match}


def document_snippets() -> TextClause:
    """One excerpt per document field of incident :incident_id (matched words between :start
    and :end; a field without any starts at its beginning)."""
    excerpts = ", ".join(
        f"snippet(search_documents, {n}, :start, :end, '…', {SNIPPET_TOKENS}) AS {field.column}"
        for n, field in enumerate(DOCUMENT_FIELDS)
    )
    return text(
        f"SELECT {excerpts} FROM search_documents"
        " WHERE search_documents MATCH :match AND search_documents.rowid = :incident_id"
    )


def timeline_snippet() -> TextClause:
    """Incident :incident_id's best matching message, whole (an excerpt could cut a Slack token
    in two; the UI shows the part around the first match). The MATCH is bounded by the range
    of the incident's message ids, which FTS5 seeks to; checking each id instead would read a
    common word's whole list once per id."""
    ids = "(SELECT {}(id) FROM timeline_events WHERE incident_id = :incident_id)"
    return text(
        "SELECT highlight(search_timeline, 0, :start, :end) AS excerpt"
        " FROM search_timeline CROSS JOIN timeline_events AS event"
        " ON event.id = search_timeline.rowid"
        " WHERE search_timeline MATCH :match"
        f" AND search_timeline.rowid >= {ids.format('min')}"
        f" AND search_timeline.rowid <= {ids.format('max')}"
        " AND event.incident_id = :incident_id AND event.deleted_at IS NULL"
        " ORDER BY bm25(search_timeline) LIMIT 1"
    )
