"""Blameless wording: find blame in what people write and suggest a systemic rewording.

Pure (no I/O, no Slack), shared by the retrospective modals and `hindsight wording`. A sentence
is read in two layers:

1. `agents`: who in it can be blamed, and of which kind (you, a person, a role or team), found
   from Slack mentions, pronouns, roles, teams, the workspace's names and capitalised names;
   systems and the team itself ("we") are never agents.
2. `rules`: the categories of blame, each a pattern over that reading: a person, role or team as
   the cause; fault pinned on someone; judgements of conduct and character; hindsight and
   counterfactuals; sarcasm; punitive lessons; "human error" as the cause.

Then what the sentence says about blame itself is honoured: negated blame ("nobody's fault",
"Mei wasn't careless") passes, and so do blame words that are quoted or rejected ("'human
error' is not a root cause"). Each finding names its category and offers a rewording suited to
it. Where two findings overlap, the earlier category in CATEGORY_ORDER wins.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.retro.wording.advice import CATEGORY_LABELS, SHALLOW_WHYS, SUGGESTIONS
from bot.retro.wording.agents import CLOSE, OPEN, Reading, people_set, read
from bot.retro.wording.exempt import (
    discusses_blame,
    edits_quotes,
    exempt_spans,
    planned_work,
    quoted_spans,
)
from bot.retro.wording.rules import RULES

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_ORDER",
    "Finding",
    "check_wording",
    "needs_deeper_analysis",
]

# Where findings overlap, the more telling category names them: "you" first, then the kinds of
# judgement, and last the plain person or team as the cause.
CATEGORY_ORDER = (
    "second-person",
    "punitive",
    "counterfactual",
    "conduct",
    "sarcasm",
    "fault",
    "human-error",
    "role-or-team",
    "person",
)
_BY_KIND = {
    "Y": "second-person",
    "R": "role-or-team",
    "H": "role-or-team",
    "P": "person",
    "W": "person",
}
_SENTENCE_END = re.compile(r"[.!?…]+[\"”'’)\]]*(?=\s|$)|\n")


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # the category id ("role-or-team"); see CATEGORY_LABELS
    text: str  # the offending words exactly as written
    suggestion: str
    start: int  # text == checked[start:end]
    end: int

    @property
    def label(self) -> str:
        """The category in words, as the writer sees it ("A team or role as the cause")."""
        return CATEGORY_LABELS.get(self.rule, self.rule)


def check_wording(text: str, *, people: Collection[str] = ()) -> list[Finding]:
    """Every blaming phrase in `text`, in order; `people` are names to treat as persons."""
    names = _people(tuple(people)) if people else frozenset()
    found: list[tuple[int, int, str]] = []
    for start, end in _sentences(text):
        found.extend(_check_sentence(text, start, end, names))
    return [
        Finding(category, text[start:end], SUGGESTIONS[category], start, end)
        for start, end, category in _resolve(found)
    ]


def _sentences(text: str) -> list[tuple[int, int]]:
    """Where each sentence (or line) starts and ends; "the .env file" does not end one."""
    spans = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        spans.append((start, end.end()))
        start = end.end()
    spans.append((start, len(text)))
    return [(lo, hi) for lo, hi in spans if text[lo:hi].strip()]


def _check_sentence(
    text: str, start: int, end: int, names: frozenset[str]
) -> list[tuple[int, int, str]]:
    sentence = text[start:end]
    reading = read(sentence, names)
    exempt = exempt_spans(sentence)
    quoted = quoted_spans(sentence)
    discussing = discusses_blame(sentence)
    editing = bool(quoted) and edits_quotes(sentence)
    planned = planned_work(sentence)
    has_agent = OPEN in reading.text
    found = []
    for rule in RULES:
        for match in rule.pattern.finditer(reading.text):
            lo, hi = reading.span(*_trimmed(reading, match))
            if hi <= lo or any(lo < b and a < hi for a, b in exempt):
                continue
            inside_quotes = any(a <= lo and hi <= b for a, b in quoted)
            if editing and any(lo < b and a < hi for a, b in quoted):
                continue  # quoted to be discussed: "we replaced 'the engineer failed to notice'"
            if inside_quotes and rule.discussable and rule.category != "human-error":
                continue  # a nickname ("the 'careless janitor' job")
            if (rule.discussable and discussing) or (rule.needs_agent and not has_agent):
                continue
            if planned and rule.category == "cause":
                continue
            found.append((start + lo, start + hi, _category(rule.category, reading, match)))
    return found


def _trimmed(reading: Reading, match: re.Match[str]) -> tuple[int, int]:
    """The match without the spaces and punctuation its pattern needed around it."""
    lo, hi = match.span()
    while lo < hi and not (reading.text[lo].isalnum() or reading.text[lo] in "<@'’" + OPEN):
        lo += 1
    while hi > lo and not (reading.text[hi - 1].isalnum() or reading.text[hi - 1] in ">" + CLOSE):
        hi -= 1
    return lo, hi


def _category(category: str, reading: Reading, match: re.Match[str]) -> str:
    kinds = [
        reading.text[i + 1]
        for i in range(match.start(), match.end() - 2)
        if reading.text[i] == OPEN
    ]
    if "Y" in kinds:
        return "second-person"
    if category == "cause":
        return _BY_KIND[kinds[0]] if kinds else "person"
    return category


@lru_cache(maxsize=32)
def _people(people: tuple[str, ...]) -> frozenset[str]:
    return people_set(people)


def _resolve(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """One finding per span: the earlier category in CATEGORY_ORDER wins; overlaps merge."""
    kept: list[tuple[int, int, str]] = []
    for start, end, category in sorted(
        found, key=lambda f: (CATEGORY_ORDER.index(f[2]), f[0], -f[1])
    ):
        clash = next((i for i, (lo, hi, _) in enumerate(kept) if start < hi and lo < end), None)
        if clash is None:
            kept.append((start, end, category))
        else:
            lo, hi, first = kept[clash]
            kept[clash] = (min(lo, start), max(hi, end), first)
    return sorted(kept)


def needs_deeper_analysis(whys: Sequence[str]) -> Finding | None:
    """A nudge when a contributing factor has one why (or none, or the same one repeated)."""
    if isinstance(whys, str):
        raise TypeError("whys is a sequence of answers, not one string")
    answered = [why for why in whys if why.strip()]
    if len({" ".join(why.casefold().split()) for why in answered}) > 1:
        return None
    why = answered[0] if answered else ""
    start = len(why) - len(why.lstrip())
    stripped = why.strip()
    return Finding("shallow-whys", stripped, SHALLOW_WHYS, start, start + len(stripped))
