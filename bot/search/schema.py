"""The search index's database objects (made by migration 0007), which are not models: on
SQLite the FTS5 tables (and their shadow tables), the view the documents are read through and
the triggers; on PostgreSQL the `search_documents` table with its GIN index, the functions and
triggers that refresh it, and timeline_events' generated `search_vector` with its GIN index.
Schema comparisons (autogenerate, tests/test_migrations.py) leave them out by these names."""

from __future__ import annotations

from collections.abc import Mapping

DOCUMENTS = "search_documents"
TIMELINE = "search_timeline"
FTS5_SHADOW_SUFFIXES = ("data", "idx", "docsize", "config", "content")
VIEW = "search_document_text"
VECTOR_COLUMN = "search_vector"  # on timeline_events (PostgreSQL)
VECTOR_INDEXES = ("ix_search_documents_document", "ix_timeline_events_search")
DOCUMENT_SOURCES = ("incidents", "retrospectives", "contributing_factors", "action_items")
SQLITE_TRIGGERS = (
    *(
        f"search_documents_{table}_{when}_{event}"
        for table in DOCUMENT_SOURCES
        for when in ("before", "after")
        for event in ("insert", "update", "delete")
    ),
    *(f"search_timeline_{event}" for event in ("insert", "delete", "update")),
)
POSTGRES_TRIGGERS = tuple(f"search_refresh_{table}" for table in DOCUMENT_SOURCES)
SEARCH_TABLES = frozenset(
    [
        DOCUMENTS,
        TIMELINE,
        *(
            f"{table}_{suffix}"
            for table in (DOCUMENTS, TIMELINE)
            for suffix in FTS5_SHADOW_SUFFIXES
        ),
    ]
)


def is_search_object(name: str | None, type_: str) -> bool:
    if type_ == "table":
        return name in SEARCH_TABLES
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "index":
        return name in VECTOR_INDEXES
    return False


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's `include_name` hook: everything but the search index's objects."""
    return not is_search_object(name, type_)
