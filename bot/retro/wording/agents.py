"""The grammatical layer: who in a sentence can be the agent of blame, and of which kind.

A sentence is read once: every Slack mention, "you", pronoun, role, team and name is found and
replaced by a marker that says its kind, so the rules can ask "a person, then a blame verb"
without knowing how persons are spelled. Systems ("the client", "Kafka", "the cache") and the team
itself ("we", "our") are never agents, which is what keeps "the SDK didn't bother retrying" and
"we should have had a canary" out of the findings.

Kinds: Y you (second person), P a person we are sure of (a mention, a known or common name, he or
she), W a person we are not sure of (an unknown capitalised word, "they", "I": only strong blame
counts), R a role, a function or a team, H someone named by a clause ("whoever owns the cron").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.retro.wording.lexicon import (
    BARE_ROLES,
    COMMON_WORDS,
    DETERMINERS,
    FIRST_NAMES,
    FUNCTION_WORDS,
    PRONOUNS,
    ROLE_NOUNS,
    TECH_NAMES,
    WEAK_PRONOUNS,
    WORDLIKE_NAMES,
)

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never in what people type
FLAGS = re.IGNORECASE

_ROLE_TAIL = (
    r"(?!\s+(?:errors?|mistakes?|failures?|factors?|slips?)\b)"
    r"(?:\s+(?:team|teams|folks|guys|people|crew|squad|engineers?|devs?))?"
    r"(?:\s+(?:on[- ]?call|on\s+duty|on\s+shift)\b)?"
)
# A capitalised word that starts a sentence is a name only if a verb follows it, as a subject.
_VERB_NEXT = re.compile(
    r"\s+(?:(?:\w+ed|was|were|had|has|is|did|didn['’]t|does|doesn['’]t|should|could|would|"
    r"never|just|forgot|ran|broke|let|left|put|set|took|made|wrote|sent|went|got|told|gave|saw|"
    r"knew|hit|cut|shut|brought|built|chose|drove|fell|held|kept|lost|meant|paid|said|spent|"
    r"stood|threw|won|can['’]t|cannot|will|won['’]t|also|again|clearly|apparently|really|"
    r"and|or|who|needs?|owes|always|keeps|strikes|isn['’]t|wasn['’]t|slept|ought|must|might|"
    r"may|can|loses|gets|got|thinks|thought|sat|froze|fell|hid|ate|dug|led|fed|met|rang|"
    r"stole|sold|swore|tore|woke|wore|spun|shot)\b|['’]s\b)",
    re.IGNORECASE,
)
_FIXED = (
    ("P", r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"),
    ("P", r"(?<![\w@.<])@(?!(?:here|channel|everyone)\b)[a-z][\w-]*(?:\.[\w-]+)*"),
    ("Y", r"\byou(?:\s+(?:guys|folks|all|two|people|lot))?\b|\by['’]all\b"),
    # Someone named by what they did, whose verb comes after a clause: "whoever owns the cron
    # turned it on", "the person who approved it didn't read it".
    (
        "H",
        r"\bwhoever(?:['’]s)?(?:\s+(?:was|is|were)\s+on[- ]?call)?\b|\b(?:the|a|any|every)\s+"
        r"(?:person|one|engineer|guy|dev|developer|folks|people|team|admin)\s+(?:who|that)\b|"
        r"\b(?:everyone|anyone|somebody|someone)\s+who\b",
    ),
    (
        "R",
        rf"\b(?:{DETERMINERS})\s+(?:(?!{FUNCTION_WORDS}\b)[\w'’-]+\s+){{0,2}}?(?:{ROLE_NOUNS})"
        rf"(?![\w-]){_ROLE_TAIL}",
    ),
    ("R", rf"\b(?:{BARE_ROLES})(?![\w-]){_ROLE_TAIL}"),
    ("P", rf"\b(?:{PRONOUNS})\b"),
    ("W", rf"\b(?:{WEAK_PRONOUNS})\b"),
)
_FIXED_RE = tuple((kind, re.compile(pattern, FLAGS)) for kind, pattern in _FIXED)
_WORD = re.compile(
    r"(?<![\w@<|/.\-'’])[^\W\d_]+(?:['’](?!(?:s|t|d|ll|re|ve|m)\b)[^\W\d_]+|-[^\W\d_]+)?"
    r"(?![\w@>])"
)
# Lowercase words that are also first names: a name only when capitalised.
_LOWER_WORDS = frozenset(
    ("ram", "min", "jan", "jun", "sam", "kim", "lee", "ken", "tim", "ben", "dan", "ed", "li"),
) | frozenset(
    ("ji", "jin", "hui", "ana", "eva", "ian", "kai", "ali", "obi", "yan", "uma", "lin", "hao")
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(\[\n>*_-]|\s-|\d)\s*$")
_DETERMINER_BEFORE = re.compile(rf"\b(?:{DETERMINERS})\s+$", FLAGS)


@dataclass(frozen=True, slots=True)
class Agent:
    kind: str  # Y, P, W, R or H
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reading:
    """`text` with each agent replaced by OPEN + kind + CLOSE; origin maps its offsets back."""

    text: str
    origin: tuple[int, ...]  # origin[i]: where text[i] came from; one more for the end
    agents: tuple[Agent, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of text[start:end], markers expanded to what they stand for."""
        return self.origin[start], self._end_of(end)

    def _end_of(self, end: int) -> int:
        if end > 0 and self.text[end - 1] == CLOSE:
            return next(a.end for a in self.agents if a.start == self.origin[end - 3])
        return self.origin[end - 1] + 1 if end > 0 else 0


def read(text: str, people: frozenset[str]) -> Reading:
    agents = _agents(text, people)
    pieces: list[str] = []
    origin: list[int] = []
    at = 0
    for agent in agents:
        pieces.append(text[at : agent.start])
        origin.extend(range(at, agent.start))
        pieces.append(OPEN + agent.kind + CLOSE)
        origin.extend((agent.start,) * 3)
        at = agent.end
    pieces.append(text[at:])
    origin.extend(range(at, len(text) + 1))
    return Reading("".join(pieces), tuple(origin), tuple(agents))


def _agents(text: str, people: frozenset[str]) -> list[Agent]:
    taken: list[Agent] = []
    for kind, pattern in _FIXED_RE:
        for match in pattern.finditer(text):
            if not _overlaps(taken, match.start(), match.end()):
                taken.append(Agent(kind, match.start(), match.end()))
    taken.extend(_names(text, people, taken))
    return sorted(taken, key=lambda agent: agent.start)


def _names(text: str, people: frozenset[str], taken: list[Agent]) -> list[Agent]:
    words = [m for m in _WORD.finditer(text) if not _overlaps(taken, m.start(), m.end())]
    found: list[Agent] = []
    index = 0
    while index < len(words):
        word = words[index]
        pair = words[index + 1] if index + 1 < len(words) else None
        if pair and text[word.end() : pair.start()] in (" ", "  "):
            two = _fold(f"{word.group()} {pair.group()}")
            if two in people or _full_name(word.group(), pair.group()):
                found.append(Agent("P", word.start(), pair.end()))
                index += 2
                continue
        kind = _name_kind(text, word, people)
        if kind:
            found.append(Agent(kind, word.start(), word.end()))
        index += 1
    return found


def _name_kind(text: str, word: re.Match[str], people: frozenset[str]) -> str | None:
    spelled = word.group()
    folded = _fold(spelled)
    if folded in people:
        return "P"
    if folded in TECH_NAMES or sum(c.isupper() for c in spelled) > 1:
        return None  # systems, and acronyms such as SDK, PRs, QA (roles are found before this)
    if not spelled[0].isupper():
        named = folded in FIRST_NAMES and folded not in WORDLIKE_NAMES | _LOWER_WORDS
        return "W" if named else None
    before = text[: word.start()]
    if _SENTENCE_START.search(before):
        if folded in FIRST_NAMES and folded not in WORDLIKE_NAMES:
            return "P"
        # "Revoke Sven's access", "Predictably, QA…": a capitalised word first in a sentence is
        # someone only when a verb follows it, as its subject.
        verb_next = _VERB_NEXT.match(text, word.end())
        common = folded in COMMON_WORDS and folded not in WORDLIKE_NAMES
        return "W" if verb_next and not common else None
    if _DETERMINER_BEFORE.search(before):
        return None  # "the Checkout service": a thing with a name
    if folded in FIRST_NAMES or folded in WORDLIKE_NAMES:
        return "P"
    return None if folded in COMMON_WORDS else "W"


def _full_name(first: str, last: str) -> bool:
    """ "Carol Jones", "Hunter Jenkins": a first name, then a capitalised word that is not
    an acronym or an everyday word."""
    return (
        first[0].isupper()
        and (first.casefold() in FIRST_NAMES or first.casefold() in WORDLIKE_NAMES)
        and last[0].isupper()
        and sum(c.isupper() for c in last) == 1
        and last.casefold() not in COMMON_WORDS
    )


def _overlaps(taken: list[Agent], start: int, end: int) -> bool:
    return any(start < agent.end and agent.start < end for agent in taken)


def _fold(name: str) -> str:
    return name.casefold().replace("’", "'")


def people_set(people: Collection[str]) -> frozenset[str]:
    """Names to treat as persons, folded; a multi-word name also by its first word (≥ 3 letters)."""
    names: set[str] = set()
    for person in people:
        words = _fold(person).replace("@", " ").split()
        if not words:
            continue
        if len(" ".join(words)) >= 2:
            names.add(" ".join(words[:2]))
        if len(words[0]) >= 3:
            names.add(words[0])
    return frozenset(names - COMMON_WORDS - TECH_NAMES)
