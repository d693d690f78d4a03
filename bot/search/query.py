"""What people type after `/postmortem search`, parsed (pure: no database, no Slack).

    search <words> [severity:SEV1] [service:checkout] [since:2026-09-01]
           [status:published|draft|none]

Words follow web-search habits, as PostgreSQL's `websearch_to_tsquery` reads them: every word
must appear, `"two words"` as a phrase, `or` between alternatives, `-word` to leave out. A
filter is `key:value`; a key given twice (or `severity:SEV1,SEV2`) means any of its values.
The same parse feeds both databases: `websearch_text` for PostgreSQL, `fts5_match` for SQLite.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from bot.errors import UserInputError
from models import PostmortemState, Severity

MAX_QUERY_CHARS = 300  # and so a page's button value (query and offset) stays far below 2000
MAX_OFFSET = 10_000  # a page's button goes no further (a thousand pages)
STATES = {
    "published": (PostmortemState.PUBLISHED,),
    "draft": (PostmortemState.DRAFT, PostmortemState.IN_REVIEW),  # written, not yet published
    "none": (PostmortemState.NONE,),
}
FILTER_KEYS = ("severity", "service", "since", "status")
FILTER = re.compile(r"^([A-Za-z_]+):(?!//)(.*)$")  # `https://…` is a word, not a filter
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD_PARTS = re.compile(r"[^\W_]+")  # what SQLite's unicode61 tokenizer keeps of a word
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})

# PostgreSQL's `english` stop words: it ignores them, so the SQLite expression does too.
_STOP_WORDS = """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which who
    whom this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


class SearchInputError(UserInputError):
    """A filter or query that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Term:
    typed: str  # the word or phrase as typed (PostgreSQL's parser reads it as it read the text)
    parts: tuple[str, ...]  # its words as SQLite's tokenizer splits them, lower case
    phrase: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Filters:
    severities: tuple[Severity, ...] = ()
    services: tuple[str, ...] = ()  # lower case
    since: date | None = None
    states: tuple[PostmortemState, ...] = ()
    given: tuple[str, ...] = ()  # each filter as typed, to suggest dropping one

    @property
    def any(self) -> bool:
        return bool(self.given)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str  # as typed (whitespace tidied): what a page's button carries
    groups: tuple[tuple[Term, ...], ...]  # alternatives (`or`), each a conjunction of terms
    filters: Filters = field(default_factory=Filters)
    typed_words: bool = False  # words were typed (maybe only ones too common to look for)

    @property
    def has_words(self) -> bool:
        return any(not term.negated for group in self.groups for term in group)

    @property
    def words(self) -> str:
        """The words part, as typed (without the filters)."""
        return websearch_text(self)


def parse_search(text: str | None) -> SearchQuery:
    """Raises SearchInputError naming a bad filter, or for a query too long to page through."""
    tidy = " ".join((text or "").translate(QUOTES).split())
    if len(tidy) > MAX_QUERY_CHARS:
        raise SearchInputError(
            f"That search is too long: keep it under {MAX_QUERY_CHARS} characters."
        )
    groups: list[list[Term]] = [[]]
    filters: dict[str, list[str]] = {key: [] for key in FILTER_KEYS}
    given: list[str] = []
    typed_words = False
    for match in TOKEN.finditer(tidy):
        bare = match[3]
        if bare is not None and (found := FILTER.match(bare)):
            key, value = found[1].lower(), found[2]
            _check_filter_key(bare, key, value)
            filters[key] += [part for part in value.split(",") if part]
            given.append(bare)
        elif bare is not None and bare.lower() == "or":
            groups.append([])
        else:
            typed_words = True
            term = _term(match)
            if term is not None:
                groups[-1].append(term)
    kept = tuple(tuple(group) for group in groups if any(not t.negated for t in group))
    return SearchQuery(tidy, kept, _filters(filters, tuple(given)), typed_words)


def _check_filter_key(typed: str, key: str, value: str) -> None:
    if key not in FILTER_KEYS:
        keys = ", ".join(f"`{name}:`" for name in FILTER_KEYS)
        raise SearchInputError(f"`{typed}`: unknown filter `{key}:`. Filters are {keys}.")
    if not value.strip(","):
        raise SearchInputError(f"`{typed}`: the filter `{key}:` needs a value.")


def _term(match: re.Match[str]) -> Term | None:
    """A word or a quoted phrase; None when nothing in it can be looked for."""
    if match[2] is not None:
        typed, phrase, negated = match[2], True, match[1] == "-"
    else:
        typed, phrase, negated = match[3].lstrip("-"), False, match[3].startswith("-")
    parts = tuple(part.lower() for part in WORD_PARTS.findall(typed))
    if not parts or (len(parts) == 1 and parts[0] in STOP_WORDS):
        return None
    return Term(typed, parts, phrase, negated)


def _filters(values: dict[str, list[str]], given: tuple[str, ...]) -> Filters:
    since = values["since"]
    if len(since) > 1:
        raise SearchInputError("`since:` is given twice: keep one date.")
    return Filters(
        severities=tuple(dict.fromkeys(_severity(value) for value in values["severity"])),
        services=tuple(dict.fromkeys(value.lower() for value in values["service"])),
        since=_date(since[0]) if since else None,
        states=tuple(
            dict.fromkeys(state for value in values["status"] for state in _states(value))
        ),
        given=given,
    )


def _severity(value: str) -> Severity:
    name = value.upper()
    name = f"SEV{name}" if name.isdigit() else name
    if name not in Severity.__members__:
        choices = ", ".join(severity.value for severity in Severity)
        raise SearchInputError(f"`severity:{value}` is not a severity: use one of {choices}.")
    return Severity[name]


def _date(value: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise SearchInputError(
            f"`since:{value}` is not a date: write it as YYYY-MM-DD, e.g. `since:2026-09-01`."
        ) from None


def _states(value: str) -> tuple[PostmortemState, ...]:
    states = STATES.get(value.lower())
    if states is None:
        raise SearchInputError(
            f"`status:{value}` is not a postmortem status: use published, draft or none."
        )
    return states


# ---- the same query for each database ------------------------------------------------------


def websearch_text(query: SearchQuery) -> str:
    """The words for PostgreSQL's websearch_to_tsquery, rebuilt from the parse (filters out)."""

    def shown(term: Term) -> str:
        return ("-" if term.negated else "") + (f'"{term.typed}"' if term.phrase else term.typed)

    return " or ".join(" ".join(shown(term) for term in group) for group in query.groups)


def fts5_match(query: SearchQuery) -> str | None:
    """The same query as an FTS5 expression (None when there is nothing to look for). FTS5's NOT
    is binary, so each alternative is its required terms, then NOT each excluded one."""
    alternatives = []
    for group in query.groups:
        required = " AND ".join(_fts5_string(t) for t in group if not t.negated)
        excluded = "".join(f" NOT {_fts5_string(t)}" for t in group if t.negated)
        alternatives.append(f"({required}{excluded})")
    return " OR ".join(alternatives) or None


def _fts5_string(term: Term) -> str:
    # Parts are letters and digits only, so nothing in them needs quoting inside "…".
    return '"' + " ".join(term.parts) + '"'


# ---- the "More results" button --------------------------------------------------------------


def page_value(query: SearchQuery, offset: int) -> str:
    """A page's button value: the query as typed and where the page starts."""
    return json.dumps({"q": query.text, "o": offset}, ensure_ascii=False, separators=(",", ":"))


def read_page_value(value: object) -> tuple[SearchQuery, int]:
    """The query and offset a page's button carries; SearchInputError for anything else."""
    try:
        data = json.loads(str(value))
        text, offset = data["q"], data["o"]
    except (ValueError, TypeError, KeyError):
        raise SearchInputError("That button is out of date: search again.") from None
    if not isinstance(text, str) or not isinstance(offset, int) or isinstance(offset, bool):
        raise SearchInputError("That button is out of date: search again.")
    if not 0 <= offset <= MAX_OFFSET:
        raise SearchInputError("That button is out of date: search again.")
    return parse_search(text), offset
