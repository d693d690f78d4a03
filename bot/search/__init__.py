"""`/postmortem search`: past incidents and postmortems found by the words in them.

query.py parses what people type (pure); fields.py says what is indexed and how each field
weighs; schema.py names the index objects migration 0007 made; sqlite.py and postgres.py hold
each database's statements (FTS5 / tsvector); service.py runs them for one team and page.
"""
