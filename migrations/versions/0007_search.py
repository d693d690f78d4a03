"""search: one full-text document per incident (its title, what happened, services, the
retrospective's factors, prose and lessons, its action items) and an index over timeline
messages, with everything already stored indexed

SQLite: FTS5 external-content tables. `search_documents` reads each incident's document through
the view `search_document_text`; triggers on the four tables it draws from forget an incident's
document before a change (BEFORE) and index it again after (AFTER), each only when needed (the
docsize table says whether it is indexed), so cascades and nested changes stay in step.
`search_timeline` indexes timeline_events.text, kept by the usual three triggers.

PostgreSQL: the table `search_documents` (incident id, team, weighted tsvector, GIN) refreshed
by triggers on the same four tables; a generated, stored `search_vector` on timeline_events with
a GIN index. Every name here is listed in bot/search/schema.py.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "porter unicode61 remove_diacritics 2"
CONFIG = "'english'::regconfig"

# ---- SQLite ---------------------------------------------------------------------------------

FACTORS_TEXT = """(SELECT group_concat(text, ' | ') FROM (
    SELECT f.description || coalesce(' — ' || (SELECT group_concat(value, ' · ')
        FROM json_each(f.whys)), '') AS text
    FROM contributing_factors AS f JOIN retrospectives AS r ON r.id = f.retrospective_id
    WHERE r.incident_id = i.id ORDER BY f.position, f.id))"""
ACTIONS_TEXT = """(SELECT group_concat(title, ' | ') FROM (
    SELECT a.title FROM action_items AS a WHERE a.incident_id = i.id ORDER BY a.id))"""
DOCUMENT_COLUMNS = {  # the FTS5 columns, in order, and their text for incident `i`
    "title": "i.title",
    "factors": FACTORS_TEXT,
    "summary": "i.summary",
    "services": "(SELECT group_concat(value, ', ') FROM json_each(i.services))",
    "retro": "(SELECT r.summary || ' — ' || r.customer_impact"
    " FROM retrospectives AS r WHERE r.incident_id = i.id)",
    "lessons": "(SELECT r.went_well || ' — ' || r.went_badly || ' — ' || r.got_lucky"
    " FROM retrospectives AS r WHERE r.incident_id = i.id)",
    "actions": ACTIONS_TEXT,
}
COLUMNS = ", ".join(DOCUMENT_COLUMNS)

# table → (its incident's id in a trigger, as `{row}.…`; the columns whose change re-indexes)
DOCUMENT_SOURCES = {
    "incidents": ("{row}.id", "title, summary, services"),
    "retrospectives": (
        "{row}.incident_id",
        "summary, customer_impact, went_well, went_badly, got_lucky",
    ),
    "contributing_factors": (
        "(SELECT incident_id FROM retrospectives WHERE id = {row}.retrospective_id)",
        "description, whys",
    ),
    "action_items": ("{row}.incident_id", "title"),
}


def _indexed(incident: str) -> str:
    return f"EXISTS (SELECT 1 FROM search_documents_docsize WHERE id = {incident})"


def _forget(incident: str) -> str:
    """External content: the index forgets a document when told the text it indexed, which the
    view still shows before the change."""
    return (
        f"INSERT INTO search_documents(search_documents, rowid, {COLUMNS})"
        f" SELECT 'delete', id, {COLUMNS} FROM search_document_text"
        f" WHERE id = {incident} AND {_indexed(incident)};"
    )


def _add(incident: str) -> str:
    return (
        f"INSERT INTO search_documents(rowid, {COLUMNS}) SELECT id, {COLUMNS}"
        f" FROM search_document_text WHERE id = {incident} AND NOT {_indexed(incident)};"
    )


def _document_triggers(table: str, incident: str, watched: str) -> list[str]:
    new, old = incident.format(row="new"), incident.format(row="old")
    name = f"search_documents_{table}"
    return [
        f"CREATE TRIGGER {name}_before_insert BEFORE INSERT ON {table} BEGIN {_forget(new)} END",
        f"CREATE TRIGGER {name}_after_insert AFTER INSERT ON {table} BEGIN {_add(new)} END",
        f"CREATE TRIGGER {name}_before_update BEFORE UPDATE OF {watched} ON {table}"
        f" BEGIN {_forget(old)} END",
        f"CREATE TRIGGER {name}_after_update AFTER UPDATE OF {watched} ON {table}"
        f" BEGIN {_add(new)} END",
        f"CREATE TRIGGER {name}_before_delete BEFORE DELETE ON {table} BEGIN {_forget(old)} END",
        f"CREATE TRIGGER {name}_after_delete AFTER DELETE ON {table} BEGIN {_add(old)} END",
    ]


TIMELINE_TRIGGERS = {
    "insert": "AFTER INSERT ON timeline_events BEGIN {add} END",
    "delete": "AFTER DELETE ON timeline_events BEGIN {forget} END",
    "update": "AFTER UPDATE OF text ON timeline_events BEGIN {forget} {add} END",
}


def _sqlite_upgrade() -> None:
    view = ", ".join(f"{text} AS {name}" for name, text in DOCUMENT_COLUMNS.items())
    op.execute(f"CREATE VIEW search_document_text AS SELECT i.id AS id, {view} FROM incidents AS i")
    op.execute(
        f"CREATE VIRTUAL TABLE search_documents USING fts5({COLUMNS},"
        f" content='search_document_text', content_rowid='id', tokenize='{TOKENIZE}')"
    )
    for table, (incident, watched) in DOCUMENT_SOURCES.items():
        for statement in _document_triggers(table, incident, watched):
            op.execute(statement)
    op.execute(
        "CREATE VIRTUAL TABLE search_timeline USING fts5(text, content='timeline_events',"
        f" content_rowid='id', tokenize='{TOKENIZE}')"
    )
    add = "INSERT INTO search_timeline(rowid, text) VALUES (new.id, new.text);"
    forget = "INSERT INTO search_timeline(search_timeline, rowid, text) VALUES ('delete', old.id, old.text);"
    for event, body in TIMELINE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER search_timeline_{event} " + body.format(add=add, forget=forget))
    # What is stored already ('rebuild' cannot read through the view; this can).
    op.execute(
        f"INSERT INTO search_documents(rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM search_document_text"
    )
    op.execute("INSERT INTO search_timeline(search_timeline) VALUES ('rebuild')")


def _sqlite_downgrade() -> None:
    for table in DOCUMENT_SOURCES:
        for when in ("before", "after"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER search_documents_{table}_{when}_{event}")
    for event in TIMELINE_TRIGGERS:
        op.execute(f"DROP TRIGGER search_timeline_{event}")
    op.execute("DROP TABLE search_timeline")
    op.execute("DROP TABLE search_documents")
    op.execute("DROP VIEW search_document_text")


# ---- PostgreSQL -----------------------------------------------------------------------------

# The weighted document of incident `target` (A: title, factors; B: what happened, services,
# the retrospective's summary and impact; C: lessons, action items).
POSTGRES_DOCUMENT = f"""
SELECT setweight(to_tsvector({CONFIG}, i.title), 'A')
    || setweight(to_tsvector({CONFIG}, coalesce((
        SELECT string_agg(f.description || ' ' || f.whys::text, ' ')
        FROM contributing_factors AS f JOIN retrospectives AS r ON r.id = f.retrospective_id
        WHERE r.incident_id = i.id), '')), 'A')
    || setweight(to_tsvector({CONFIG}, i.summary || ' ' || i.services::text), 'B')
    || setweight(to_tsvector({CONFIG}, coalesce((
        SELECT r.summary || ' ' || r.customer_impact
        FROM retrospectives AS r WHERE r.incident_id = i.id), '')), 'B')
    || setweight(to_tsvector({CONFIG}, coalesce((
        SELECT r.went_well || ' ' || r.went_badly || ' ' || r.got_lucky
        FROM retrospectives AS r WHERE r.incident_id = i.id), '')
        || ' ' || coalesce((
        SELECT string_agg(a.title, ' ') FROM action_items AS a WHERE a.incident_id = i.id), '')),
        'C')
FROM incidents AS i WHERE i.id = target
"""

POSTGRES_REFRESH = """
INSERT INTO search_documents (incident_id, team_id, document)
SELECT i.id, i.team_id, search_document(i.id) FROM incidents AS i WHERE i.id = target
ON CONFLICT (incident_id) DO UPDATE SET document = excluded.document, team_id = excluded.team_id
"""

# table → (its incident's id in a trigger, as `{row}.…`; the columns whose change refreshes)
POSTGRES_SOURCES = {
    "incidents": ("{row}.id", "title, summary, services"),
    "retrospectives": (
        "{row}.incident_id",
        "summary, customer_impact, went_well, went_badly, got_lucky",
    ),
    "contributing_factors": (
        "(SELECT incident_id FROM retrospectives WHERE id = {row}.retrospective_id)",
        "description, whys",
    ),
    "action_items": ("{row}.incident_id", "title"),
}


def _postgres_upgrade() -> None:
    op.execute(
        "CREATE TABLE search_documents ("
        " incident_id integer PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,"
        " team_id varchar(32) NOT NULL, document tsvector NOT NULL)"
    )
    # A document (a few KB) stays in its row, uncompressed: matching and ranking thousands of
    # them for a common word then reads pages, not TOAST chunks to decompress (4x faster).
    op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 8160)")
    op.execute("ALTER TABLE search_documents ALTER COLUMN document SET STORAGE MAIN")
    op.execute("CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)")
    op.execute(
        "CREATE FUNCTION search_document(target integer) RETURNS tsvector"
        f" LANGUAGE sql STABLE AS $${POSTGRES_DOCUMENT}$$"
    )
    op.execute(
        "CREATE FUNCTION search_refresh(target integer) RETURNS void"
        f" LANGUAGE sql AS $${POSTGRES_REFRESH}$$"
    )
    for table, (incident, watched) in POSTGRES_SOURCES.items():
        new, old = incident.format(row="NEW"), incident.format(row="OLD")
        op.execute(
            f"CREATE FUNCTION search_refresh_{table}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF TG_OP = 'DELETE' THEN PERFORM search_refresh({old});"
            f" ELSE PERFORM search_refresh({new}); END IF; RETURN NULL; END $$"
        )
        deleted = "" if table == "incidents" else " OR DELETE"  # its row's cascade does that
        op.execute(
            f"CREATE TRIGGER search_refresh_{table} AFTER INSERT{deleted} OR UPDATE OF {watched}"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION search_refresh_{table}()"
        )
    op.execute("SELECT search_refresh(id) FROM incidents")
    # Adding a stored generated column computes it for every message already there.
    op.execute(
        "ALTER TABLE timeline_events ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
        f" (to_tsvector({CONFIG}, coalesce(text, ''))) STORED"
    )
    op.execute(
        "CREATE INDEX ix_timeline_events_search ON timeline_events USING gin (search_vector)"
    )


def _postgres_downgrade() -> None:
    op.execute("DROP INDEX ix_timeline_events_search")
    op.execute("ALTER TABLE timeline_events DROP COLUMN search_vector")
    for table in POSTGRES_SOURCES:
        op.execute(f"DROP TRIGGER search_refresh_{table} ON {table}")
        op.execute(f"DROP FUNCTION search_refresh_{table}()")
    op.execute("DROP FUNCTION search_refresh(integer)")
    op.execute("DROP FUNCTION search_document(integer)")
    op.execute("DROP TABLE search_documents")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()
    # A team's incidents newest first: search walks it for a word common in messages.
    op.create_index("ix_incidents_team_started", "incidents", ["team_id", "started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_team_started", table_name="incidents")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_downgrade()
    else:
        _sqlite_downgrade()
