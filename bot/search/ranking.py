"""The ranking SQL both databases share: pages of incidents from a dialect's hits, filtered.

A dialect module (sqlite.py, postgres.py) writes DOCUMENTS (`incident_id, score, best` for each
incident document matching) and TIMELINE (`incident_id` of each matching message). Incidents
found by their document rank first, best first, then the newest; incidents found only in their
timeline follow, those with more matching messages first. The timeline, by far the biggest
index, is read only for a page that reaches past every document found (a rare word's, mostly),
so a common word costs what 10,000 documents cost, not what a million messages would.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, Protocol

from sqlalchemy import TextClause, bindparam, text

from bot.search.fields import TIMELINE_TIER
from bot.search.query import Filters, SearchQuery
from models.base import UTCDateTime


class Dialect(Protocol):
    """What a database's module (sqlite.py, postgres.py) provides."""

    JOIN: str  # the join that keeps the matches the outer loop
    MATERIALIZED: str  # how `found` is computed first, so only scores flow past it
    SERVICE_FILTER: str  # `i.services` holds one of :services
    DOCUMENTS: str
    TIMELINE: str
    COMMON_MESSAGES: int | None  # from this many matching messages on, walk (None: never)
    COMMON_MESSAGES_FILTERED: int | None  # the same when a filter is given
    TIMELINE_PROBE: str  # how many messages match, up to COMMON_MESSAGES
    TIMELINE_ANY: str  # whether any message of incident `i` matches

    def parameters(self, query: SearchQuery) -> dict[str, Any] | None: ...

    def document_snippets(self) -> TextClause: ...

    def timeline_snippet(self) -> TextClause: ...


def _page(ranked: str, dialect: Dialect, filters: Filters, *, counted: bool = False) -> str:
    """`ranked` (incident_id, score, best) for the team, filtered and paged: best first, then
    the newest."""
    total = ", count(*) OVER () AS total" if counted else ""
    return f"""
        SELECT i.id AS incident_id, r.score AS score, r.best AS best{total}
        FROM {ranked} AS r {dialect.JOIN} incidents AS i ON i.id = r.incident_id
        WHERE i.team_id = :team_id{_filter_sql(filters, dialect.SERVICE_FILTER)}
        ORDER BY r.score DESC, i.started_at DESC, i.id DESC
        LIMIT :limit OFFSET :offset"""


def found_page(dialect: Dialect, filters: Filters) -> TextClause:
    """A page of the incidents whose document matches, each row with how many there are in
    all (`total`). Params: team_id, limit, offset, the query's and the filters'."""
    found = f"found AS {dialect.MATERIALIZED}({dialect.DOCUMENTS})"
    return _statement(f"WITH {found} {_page('found', dialect, filters, counted=True)}")


def found_count(dialect: Dialect, filters: Filters) -> TextClause:
    """How many incidents' documents match (for a page that starts past all of them)."""
    page = _page("found", dialect, filters).split("ORDER BY")[0]
    return _statement(f"WITH found AS ({dialect.DOCUMENTS}) SELECT count(*) FROM ({page}) AS p")


def timeline_page(dialect: Dialect, filters: Filters) -> TextClause:
    """A page of the incidents found only in their timeline, those with the most matching
    messages first (ranking each of thousands of messages would double the cost of a word
    that is common in channels)."""
    ranked = f"""
        found AS ({dialect.DOCUMENTS}),
        timeline AS (
            SELECT incident_id, {TIMELINE_TIER} * (1 + count(*) / (count(*) + 1.0)) AS score,
                'timeline' AS best
            FROM ({dialect.TIMELINE}) AS messages GROUP BY incident_id
        ),
        only_timeline AS (
            SELECT * FROM timeline WHERE incident_id NOT IN (SELECT incident_id FROM found)
        )"""
    return _statement(f"WITH {ranked} {_page('only_timeline', dialect, filters)}")


def timeline_walk_page(dialect: Dialect, filters: Filters) -> TextClause:
    """A page of the incidents found only in their timeline, newest first, for a word common in
    messages: the team's incidents are walked in order and each asked for one matching message,
    so a page costs a few dozen incidents' messages, not a count of every match."""
    return _statement(f"""
        WITH found AS ({dialect.DOCUMENTS})
        SELECT i.id AS incident_id, {TIMELINE_TIER} AS score, 'timeline' AS best
        FROM incidents AS i
        WHERE i.team_id = :team_id{_filter_sql(filters, dialect.SERVICE_FILTER)}
            AND i.id NOT IN (SELECT incident_id FROM found) AND {dialect.TIMELINE_ANY}
        ORDER BY i.started_at DESC, i.id DESC
        LIMIT :limit OFFSET :offset""")


def _statement(sql: str) -> TextClause:
    statement = text(sql)
    for name in ("severities", "services", "states"):
        if f":{name}" in sql:
            statement = statement.bindparams(bindparam(name, expanding=True))
    if ":since" in sql:
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    return statement


def _filter_sql(filters: Filters, service_filter: str) -> str:
    clauses = []
    if filters.severities:
        clauses.append("i.severity IN :severities")
    if filters.services:
        clauses.append(service_filter)
    if filters.since is not None:
        clauses.append("i.started_at >= :since")
    if filters.states:
        clauses.append("i.postmortem_state IN :states")
    return "".join(f" AND {clause}" for clause in clauses)


def filter_parameters(filters: Filters) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if filters.severities:
        parameters["severities"] = [severity.value for severity in filters.severities]
    if filters.services:
        parameters["services"] = list(filters.services)
    if filters.since is not None:
        parameters["since"] = datetime.combine(filters.since, time(), tzinfo=UTC)
    if filters.states:
        parameters["states"] = [state.value for state in filters.states]
    return parameters
