"""What people type after `/postmortem search`, parsed: words, phrases, `or`, `-word`, filters;
the same query for PostgreSQL (websearch) and SQLite (FTS5); the page button's value."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.search.query import (
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    SearchInputError,
    fts5_match,
    page_value,
    parse_search,
    read_page_value,
    websearch_text,
)
from models import PostmortemState, Severity


def test_words_filters_and_both_databases_queries() -> None:
    query = parse_search(
        'db  "pool size" or timeouts -redis severity:sev1 service:Checkout since:2026-09-01'
        " status:draft"
    )
    assert query.text == (
        'db "pool size" or timeouts -redis severity:sev1 service:Checkout since:2026-09-01'
        " status:draft"
    )
    assert websearch_text(query) == 'db "pool size" or timeouts -redis'
    assert fts5_match(query) == '("db" AND "pool size") OR ("timeouts" NOT "redis")'
    assert query.filters.severities == (Severity.SEV1,)
    assert query.filters.services == ("checkout",)
    assert query.filters.since == date(2026, 9, 1)
    assert query.filters.states == (PostmortemState.DRAFT, PostmortemState.IN_REVIEW)
    assert query.filters.given == (
        "severity:sev1",
        "service:Checkout",
        "since:2026-09-01",
        "status:draft",
    )


def test_a_filter_given_twice_or_with_commas_means_any_of_its_values() -> None:
    filters = parse_search("x severity:SEV1,2 severity:SEV4 status:none,published").filters
    assert filters.severities == (Severity.SEV1, Severity.SEV2, Severity.SEV4)
    assert filters.states == (PostmortemState.NONE, PostmortemState.PUBLISHED)


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("x severity:SEV9", "`severity:SEV9`"),
        ("x since:yesterdayish", "`since:yesterdayish`"),
        ("x since:2026-13-01", "`since:2026-13-01`"),
        ("x foo:bar", "`foo:bar`"),
        ("x status:lost", "`status:lost`"),
        ("x service:", "`service:`"),
    ],
)
def test_a_bad_filter_is_refused_by_name(typed: str, named: str) -> None:
    with pytest.raises(SearchInputError) as refused:
        parse_search(typed)
    assert named in refused.value.message


def test_words_that_only_look_like_filters_are_words() -> None:
    query = parse_search('see https://status.example/x "key:value" -"ignore:this" alone')
    assert query.filters.given == ()
    assert fts5_match(query) == (
        '("see" AND "https status example x" AND "key value" AND "alone" NOT "ignore this")'
    )


def test_what_cannot_be_looked_for_is_dropped() -> None:
    assert fts5_match(parse_search("the and -- !!! db")) == '("db")'
    only_common = parse_search("the of")
    assert only_common.typed_words and not only_common.has_words
    assert fts5_match(only_common) is None
    assert fts5_match(parse_search("-redis")) is None  # nothing to find, only to leave out
    assert not parse_search("severity:SEV1").typed_words
    assert not parse_search("   ").typed_words


def test_smart_quotes_make_a_phrase() -> None:
    assert fts5_match(parse_search("“pool size”")) == '("pool size")'


def test_a_query_too_long_to_page_is_refused() -> None:
    with pytest.raises(SearchInputError):
        parse_search("x" * (MAX_QUERY_CHARS + 1))


def test_the_page_button_carries_the_query_and_offset() -> None:
    query = parse_search('db "pool size" severity:SEV1')
    value = page_value(query, 20)
    assert len(value) < 2000
    again, offset = read_page_value(value)
    assert (again, offset) == (query, 20)
    for stale in (
        "",
        "7",
        "not json",
        json.dumps({"q": 3, "o": 0}),
        json.dumps({"q": "db", "o": -10}),
        json.dumps({"q": "db", "o": MAX_OFFSET + 1}),
        json.dumps({"q": "db", "o": True}),
    ):
        with pytest.raises(SearchInputError):
            read_page_value(stale)
