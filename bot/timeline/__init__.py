"""The timeline: Slack's message shapes, the group-commit writer and its store, backfill,
reactions and marks, queries, and the time people type."""
