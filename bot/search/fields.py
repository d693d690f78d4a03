"""What search looks in, and how much a hit in each place weighs.

Each incident has one search document: its fields below, each weighted (SQLite's bm25 column
weights; PostgreSQL's ts_rank weights for the A/B/C class migration 0007 gave the field). A
document's relevance is folded into [0, 1) and its score is DOCUMENT_TIER × (1 + relevance).
Timeline messages are indexed apart: an incident found only by its messages scores
TIMELINE_TIER × (1 + n / (n + 1)) for n matching messages, so any hit in the document (a title,
a contributing factor, an action item…) outranks timeline messages, however many.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    column: str  # its FTS5 column (SQLite)
    label: str  # for people, beside a snippet from it
    weight_class: str  # the tsvector weight class the migration gave it (PostgreSQL)
    weight: float


# In the FTS5 table's column order, which is also the order a snippet is looked for in.
DOCUMENT_FIELDS: tuple[Field, ...] = (
    Field("title", "title", "A", 1.0),
    Field("factors", "contributing factor", "A", 1.0),
    Field("summary", "what happened", "B", 0.6),
    Field("services", "services", "B", 0.6),
    Field("retro", "retrospective", "B", 0.6),
    Field("lessons", "lessons", "C", 0.3),
    Field("actions", "action item", "C", 0.3),
)
DOCUMENT_TIER = 1.0
TIMELINE_TIER = 0.1
TIMELINE_LABEL = "timeline"

BM25_WEIGHTS = ", ".join(str(field.weight) for field in DOCUMENT_FIELDS)


def rank_weights() -> str:
    """ts_rank's weights array, {D, C, B, A}, from the fields' classes (D is unused)."""
    by_class = {field.weight_class: field.weight for field in DOCUMENT_FIELDS}
    return "{" + ", ".join(str(by_class.get(name, 0)) for name in "DCBA") + "}"
