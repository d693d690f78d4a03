"""Which earlier incidents look like this one: pure scoring, no I/O (similar_load.py loads the
incidents and what their retrospectives found; bot/ui/similar.py shows them).

Two signals, both about what the incident is: the services/tags it was declared with, and the
words of its title and what-happened text, compared as TF-IDF vectors of word stems (cosine).
The title counts twice: it is the densest description people write.

An earlier incident is a match when it shares a service with this one (a new incident on
checkout should not start from zero, whatever words it was declared with), or,
sharing none, when its words are close (cosine ≥ TEXT_ALONE over at least MIN_SHARED_STEMS
distinct stems: one shared word like "errors" or "down" is not a match). Matches are ranked by
cosine plus SERVICE_WEIGHT × the share of services in common, newest first on a tie, so an
incident sharing the service *and* the words comes before one sharing the service only. No
match, no list: there is no "best three" of unrelated incidents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

MAX_SHOWN = 3
TITLE_WEIGHT = 2
TEXT_ALONE = 0.3
MIN_SHARED_STEMS = 2
SERVICE_WEIGHT = 0.5

WORD = re.compile(r"[^\W_]+")
_STOPWORDS = """a about after again all also am an and any are as at be been before being but by can
    could did do does doing during each few for from had has have having he her here hers him
    his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your incident incidents issue issues"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Suffixes stripped (the first listed that fits, so longer ones come first), with what replaces
# each.
SUFFIXES = (
    ("ational", "ate"),
    ("ations", ""),
    ("ation", ""),
    ("nesses", ""),
    ("ments", ""),
    ("ness", ""),
    ("ment", ""),
    ("ities", ""),
    ("ions", ""),
    ("ings", ""),
    ("ures", ""),
    ("ity", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ion", ""),
    ("ing", ""),
    ("ure", ""),
    ("ed", ""),
    ("es", ""),
    ("ly", ""),
    ("s", ""),
)
MIN_STEM = 3
KEEP_FINAL_S = ("ss", "us", "is")
UNDOUBLED = frozenset("lsz")


@dataclass(frozen=True, slots=True)
class Doc:
    """One incident as the scoring sees it; `key` orders ties (the incident's number)."""

    key: int
    title: str
    summary: str
    services: Sequence[str]


@dataclass(frozen=True, slots=True)
class Match:
    key: int
    score: float
    text_score: float
    shared_services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PastFactor:
    category: str | None  # a FactorCategory value
    description: str


@dataclass(frozen=True, slots=True)
class OpenItem:
    title: str
    due: date | None


@dataclass(frozen=True, slots=True)
class SimilarIncident:
    """An earlier incident to show, with what its retrospective found and what is still open."""

    ref: str
    title: str
    started_at: datetime
    channel_id: str | None
    published: bool
    postmortem_link: str | None
    shared_services: tuple[str, ...]
    factors: tuple[PastFactor, ...]  # the first few, in the retrospective's order
    open_items: tuple[OpenItem, ...]  # the first few still open
    open_count: int  # all still open


# ---- words ---------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light English stemmer: `timeouts` → `timeout`, `failing`/`failed`/`failure` → `fail`,
    `latencies` → `latency`, `connections` → `connect`, `stopped` → `stop`, `time` → `tim`."""
    for suffix, replacement in SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < MIN_STEM:
            continue
        if suffix == "s" and word.endswith(KEEP_FINAL_S):
            break
        word = word[: len(word) - len(suffix)] + replacement
        if suffix in ("ed", "ing") and _doubled(word):
            word = word[:-1]
        break
    if word.endswith("e") and len(word) > MIN_STEM:
        word = word[:-1]
    return word


def _doubled(word: str) -> bool:
    return len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in UNDOUBLED


class Stems:
    """Text to stem counts, with each word's stem remembered (a team reuses its words)."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}

    def of(self, text: str) -> list[str]:
        known = self._known
        words = WORD.findall(text.lower())
        for word in words:
            if word not in known:
                known[word] = _kept(word)
        return [found for word in words if (found := known[word]) is not None]

    def counts(self, doc: Doc) -> Counter[str]:
        return Counter(self.of(doc.summary) + self.of(doc.title) * TITLE_WEIGHT)


def _kept(word: str) -> str | None:
    """The word's stem, or None for a word that says nothing (a stopword, `a`, `5`, `09`)."""
    if len(word) < 2 or word in STOPWORDS or (word.isdigit() and len(word) < 3):
        return None
    return stem(word)


def service_set(services: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(s.lower().split()) for s in services if s.strip())


# ---- scoring -------------------------------------------------------------------------------


def rank(query: Doc, candidates: Sequence[Doc], *, limit: int = MAX_SHOWN) -> list[Match]:
    """The best `limit` matches for `query` among `candidates`, best first; [] when none is a
    match (see the module docstring)."""
    stems = Stems()
    query_counts = stems.counts(query)
    counts = [stems.counts(doc) for doc in candidates]
    idf = _idf([query_counts, *counts])
    query_vector = _weights(query_counts, idf)
    query_norm = _norm(query_vector)
    wanted = service_set(query.services)
    matches: list[Match] = []
    for doc, doc_counts in zip(candidates, counts, strict=True):
        services = service_set(doc.services)
        shared = tuple(sorted(wanted & services))
        shared_stems = query_vector.keys() & doc_counts.keys()
        if not shared and len(shared_stems) < MIN_SHARED_STEMS:
            continue
        cosine = 0.0
        if shared_stems and query_norm:
            vector = _weights(doc_counts, idf)
            dot = sum(query_vector[term] * vector[term] for term in shared_stems)
            cosine = dot / (query_norm * _norm(vector))
        if shared or cosine >= TEXT_ALONE:
            overlap = len(shared) / min(len(wanted), len(services)) if shared else 0.0
            matches.append(Match(doc.key, cosine + SERVICE_WEIGHT * overlap, cosine, shared))
    matches.sort(key=lambda match: (-match.score, -match.key))
    return matches[:limit]


def _idf(documents: Sequence[Counter[str]]) -> dict[str, float]:
    """Smoothed: a stem in every document still weighs 1, so two incidents alone can match."""
    frequency: Counter[str] = Counter()
    for counted in documents:
        frequency.update(counted.keys())
    total = len(documents)
    return {term: math.log((1 + total) / (1 + df)) + 1 for term, df in frequency.items()}


def _weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear term frequency: a word said five times is not five times the evidence."""
    return {term: (1 + math.log(n)) * idf[term] for term, n in counts.items()}


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(weight * weight for weight in vector.values()))
