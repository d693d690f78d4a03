"""Blameless wording: find blame in what people write and suggest a systemic rewording.

Pure rules (no I/O, no Slack), shared by the retrospective modals and `hindsight wording`. Each
rule is data: an id, a regular expression and the suggestion shown with what it found. Rules:

- `person-as-cause`: a person as the subject of a blame verb ("Alice forgot to", "<@U1> was
  careless"), as the cause ("because Alice", "caused by <@U1>") or owning the mistake ("Bob's
  fault"). A person is a Slack mention, an `@handle`, a name from `people` (whole words; a
  multi-word name also by its first word), a pronoun (he, she, someone) or a role noun ("the
  on-call engineer").
- `hindsight-bias`: counterfactuals about a person ("Alice should have", "<@U1> could've") and
  "should have known (better)" whoever the subject.
- `human-error`: "human error", "operator error", PEBKAC.
- `blame-word`: blame language whatever the subject ("blame", "my fault", "careless", "sloppy",
  "dropped the ball", "didn't bother", "messed up").

Where two findings overlap, the rule listed first wins; overlapping findings of one rule merge.

Not blame, on purpose: a technical fault ("disk controller fault", "fault tolerance", "fault
injection", "segmentation fault", "the disk was at fault"; "fault" only counts in blame idioms:
"X's fault", "whose fault", "who was at fault"); "should have" about a system ("the alert
should have fired"); a person in a neutral role ("Alice rolled back the deploy"); "Alice should
have been paged" (the system failed her); "Alice couldn't have known"; "blameless", "git blame",
"the blame game"; "lazy loading"; the team talking about itself ("we should have had a canary").
Negated blame ("no one is to blame", "nobody's fault", "it wasn't Bob's fault") is the blameless
stance said aloud, so it passes: nudging it would scold people for writing what we ask of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    text: str  # the offending words exactly as written
    suggestion: str
    start: int  # text == checked[start:end]
    end: int

    @property
    def label(self) -> str:
        """The category in words, as the writer sees it ("A team or role as the cause")."""
        return CATEGORY_LABELS.get(self.rule, self.rule)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    pattern: str  # a `{person}` placeholder is filled with the person pattern at check time
    suggestion: str


CATEGORY_LABELS: dict[str, str] = {
    "second-person": "Blame in the second person",
    "person": "A person as the cause",
    "role-or-team": "A team or role as the cause",
    "conduct": "A judgement of someone's conduct or character",
    "counterfactual": "Hindsight about what someone should have done",
    "sarcasm": "Sarcasm or passive aggression",
    "punitive": "A punitive lesson",
    "fault": "Fault or mistakes pinned on someone",
    "human-error": "“Human error” as a cause",
    "shallow-whys": "One why is not a cause",
    "person-as-cause": "A person as the cause",
    "hindsight-bias": "Hindsight about what someone should have done",
    "blame-word": "Blame language",
}

RULE_ORDER = ("person-as-cause", "hindsight-bias", "human-error", "blame-word")
FLAGS = re.IGNORECASE

_A = "['’]"  # an apostrophe, straight or curly
# "fault" is blame when nothing technical follows it ("our fault." vs "our fault tolerance").
_BLAME_END = (
    r"(?=\s*$|\s*[^\w\s-]|\s+(?:for|that|this|the|we|it|if|and|but|because|as|in|not|either|"
    r"really|entirely|alone|too|at|though|when|since|so|or|they|he|she|i|you|all|again|then|"
    r"was|is|lies)\b)"
)
_NOT_TECHNICAL = (
    r"(?![\s-]+(?:budget|rate|handl|message|log|code|toleran|inject|domain|detect|isolat|count|"
    r"page|report|track|class|type|trace|span|signal|state)\w*)"
)
_NOT_PASSIVE = r"(?!\s+been\s+(?:\w+ed|told|given|shown|sent|taught|woken)\b)"
_CHARACTER = (
    r"careless|negligent|lazy|sloppy|reckless|incompetent|irresponsible|stupid|clueless|"
    r"to\s+blame|at\s+fault"
)
_PREDICATE = (
    rf"forg(?:ot|ets?)(?:\s+to)?|neglect(?:ed|s)?(?:\s+to)?|fail(?:ed|s)\s+to|"
    rf"(?:did(?:n{_A}t|\s+not)|never)\s+(?:bother|check|test|verify|read|follow|notice|review|"
    rf"think|care|listen|pay\s+attention)\w*|ignor(?:ed|es)|miss(?:ed|es)|overlook(?:ed|s)|"
    rf"skip(?:ped|s)|caus(?:ed|es)|broke\s+(?:prod(?:uction)?|it|the\s+build|main|master|"
    rf"everything|things)|(?:screw|mess)(?:ed|es|s)?\s+(?:it\s+|things\s+)?up|"
    rf"dropped\s+the\s+ball|fat[- ]?finger(?:ed|s)?|"
    rf"made\s+(?:a|an|the|another)\s+(?:\w+\s+)?(?:mistake|error|blunder|typo)|{_CHARACTER}"
)
_AUX = (
    rf"(?:{_A}s|\s+(?:was|is|were|are|got|has\s+been|had\s+been|just|simply|clearly|obviously|"
    rf"really|totally|completely|again|also|even|being)){{0,3}}"
)

_SYSTEMIC = (
    "Name the system, not the person: what in the system let this happen? e.g. 'the deploy "
    "pipeline had no check for a missing migration' rather than who ran the deploy."
)
_HINDSIGHT = (
    "This reads with hindsight. Describe what was known at the time and what would have surfaced "
    "the risk, e.g. 'the dashboard did not show replication lag, so the risk was invisible "
    "during the deploy'."
)
_HUMAN_ERROR = (
    "'Human error' is where the analysis starts, not where it ends: what made the slip easy to "
    "make and hard to catch? e.g. 'the CLI ran against production without a confirmation or a "
    "dry run'."
)
_NO_FAULT = (
    "Ask what went wrong and why, not who is at fault: what in the system let this happen? e.g. "
    "'the alert threshold was above the error rate we saw'."
)
_CONDITIONS = (
    "Describe the conditions, not someone's character: what made the safe path hard? e.g. 'the "
    "config had no validation, so a typo reached production'."
)
_SKIPPED = (
    "What made the step easy to skip? e.g. 'the follow-up had no owner and no reminder', 'the "
    "runbook step was manual and nothing checked it was done'."
)
_WHAT_CHANGED = (
    "Say what changed and what broke, e.g. 'the migration rewrote the index while it was in use'."
)

RULES: tuple[Rule, ...] = (
    Rule("person-as-cause", rf"{{person}}{_AUX}\s+(?:{_PREDICATE})\b", _SYSTEMIC),
    Rule(
        "person-as-cause",
        rf"{{person}}{_A}s?\s+(?:\w+\s+)?(?:mistake|error|fault|blunder|screw-?up|oversight|"
        rf"negligence|carelessness|sloppiness|incompetence)s?\b{_NOT_TECHNICAL}",
        _SYSTEMIC,
    ),
    Rule(
        "person-as-cause",
        r"\b(?:because(?:\s+of)?|due\s+to|caused\s+by|blam(?:e|ed|es|ing)(?:\s+(?:it\s+)?on)?)"
        r"\s+{person}",
        _SYSTEMIC,
    ),
    Rule(
        "hindsight-bias",
        rf"{{person}}(?:\s+(?:really|clearly|obviously|probably|definitely))?\s+"
        rf"(?:(?:should(?:n{_A}t|\s+not)?|could|ought\s+to)\s+have|(?:should(?:n{_A}t)?|could)"
        rf"{_A}ve)\b{_NOT_PASSIVE}",
        _HINDSIGHT,
    ),
    Rule(
        "hindsight-bias",
        rf"\b(?:(?:should|ought\s+to)\s+have|should{_A}ve)\s+known(?:\s+better)?\b|"
        rf"\bshould\s+have\s+been\s+obvious\b|"
        rf"\b(?:any|every)\s*one\s+(?:could|would|should)\s+have\s+"
        rf"(?:seen|known|noticed|spotted)\b",
        _HINDSIGHT,
    ),
    Rule(
        "human-error",
        r"\b(?:human|operator|pilot|personnel)[\s-]+(?:error|mistake|failure)s?\b|"
        r"\bPEB(?:KAC|CAK)\b|\blayer[ -]8\s+(?:issue|problem|error)s?\b",
        _HUMAN_ERROR,
    ),
    Rule(
        "blame-word",
        rf"\b(?:(?!(?:it|that|there|what|here|where){_A}s\b)\w[\w-]{{0,39}}(?:{_A}s|s{_A})|"
        rf"my|your|his|her|their|our|whose)\s+fault{_BLAME_END}|\bfault\s+lies\s+with\b|"
        rf"\bwho(?:{_A}s|\s+(?:is|was|were|are))\s+at\s+fault\b|"
        rf"\bfind(?:s|ing)?\s+fault\b|\bfault[- ]finding\b|\bblam(?:e|ed|es|ing)\b",
        _NO_FAULT,
    ),
    Rule(
        "blame-word",
        r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|incompeten(?:t|tly|ce)|laziness|"
        r"lazy(?![\s-]+(?:load|eval|init|import|fetch|iterat|seq|comput)\w*|\s*[=(])|"
        r"stupid(?:ly|ity)?|sloppy|sloppily|sloppiness|reckless(?:ly|ness)?|"
        r"irresponsib(?:le|ly|ility)|idiot(?:ic|s)?|clueless|rookie\s+mistakes?)\b",
        _CONDITIONS,
    ),
    Rule(
        "blame-word",
        rf"\bdropped\s+the\s+ball\b|\b(?:did(?:n{_A}t|\s+not)|could(?:n{_A}t|\s+not)\s+be)\s+"
        rf"bother(?:ed)?\b|\basleep\s+at\s+the\s+wheel\b|\bfat[- ]?finger(?:ed|ing|s)?\b|"
        rf"\b(?:was(?:n{_A}t|\s+not)|not)\s+paying\s+attention\b",
        _SKIPPED,
    ),
    Rule(
        "blame-word",
        r"\b(?:screw|mess)(?:ed|es|ing|s)?\s+(?:it\s+|things\s+|this\s+)?up\b|\bscrew-?ups?\b",
        _WHAT_CHANGED,
    ),
)

# Spans that hold blame words without blaming: a finding inside one of them is dropped.
EXEMPT = re.compile(
    "|".join(
        (
            r"\bblame[- ]?(?:less\w*|free)\b",
            r"\b(?:no|non|without)[- ]blame\b",
            r"\b(?:git|svn|hg)\s+blame\b",
            r"\bblame\s+game\b",
            r"\b(?:no[- ]?one|nobody|none\s+of\s+us)(?:\s+(?:is|was|were|are))?\s+"
            r"(?:to\s+blame|at\s+fault)\b",
            rf"\b(?:no[- ]?one|nobody|not\s+any\s*one|not\s+one\s+person){_A}s\s+fault\b",
            rf"(?:\bnot|n{_A}t)\s+(?:\S+{_A}s|my|your|his|her|their|our)\s+fault\b",
            r"\bnot\s+(?:to\s+|about\s+)?blam\w*|\bnot\s+at\s+fault\b",
            rf"\b(?:do|does|did)(?:n{_A}t|\s+not)\s+blame\b|\bnever\s+blame\b",
        )
    ),
    FLAGS,
)

_MENTION = r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"
_HANDLE = r"(?<![\w@.])@(?!(?:here|channel|everyone)\b)[a-z][\w-]*(?:\.[\w-]+)*"
_ROLE = (
    r"\b(?:he|she|someone|somebody|(?:the|an?|our|their|one)\s+(?:on[- ]?call(?:\s+(?:engineer|"
    r"person|responder))?|oncaller|engineer|developer|intern|new\s+hire|reviewer|dba|sre|"
    r"responder))\b"
)
_STATIC = tuple(
    (rule, re.compile(rule.pattern, FLAGS)) for rule in RULES if "{person}" not in rule.pattern
)

SHALLOW_WHYS = (
    "One why rarely reaches the cause. Ask why again: why was that possible, and why wasn't it "
    "caught earlier? (Up to five whys; stop when the answer is something the system can change.)"
)


def check_wording(text: str, *, people: Collection[str] = ()) -> list[Finding]:
    """Every blaming phrase in `text`, in order; `people` are names to treat as persons."""
    found = [
        (match.start(), match.end(), rule)
        for rule, pattern in (*_STATIC, *_person_rules(_names(people)))
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]
    exempt = [match.span() for match in EXEMPT.finditer(text)]
    found = [f for f in found if not any(lo <= f[0] and f[1] <= hi for lo, hi in exempt)]
    return [
        Finding(rule.id, text[start:end], rule.suggestion, start, end)
        for start, end, rule in _resolve(found)
    ]


def needs_deeper_analysis(whys: Sequence[str]) -> Finding | None:
    """A nudge when a contributing factor has one why (or none, or the same one repeated)."""
    if isinstance(whys, str):
        raise TypeError("whys is a sequence of answers, not one string")
    answered = [why for why in whys if why.strip()]
    if len({" ".join(why.casefold().split()) for why in answered}) > 1:
        return None
    why = answered[0] if answered else ""
    start = len(why) - len(why.lstrip())
    text = why.strip()
    return Finding("shallow-whys", text, SHALLOW_WHYS, start, start + len(text))


def _names(people: Collection[str]) -> tuple[str, ...]:
    """Distinct names, longest first; a multi-word name also gives its first word (≥ 3 letters)."""
    names: set[str] = set()
    for person in people:
        words = person.casefold().split()
        if words and len(" ".join(words)) >= 2:
            names.add(" ".join(words))
        if len(words) > 1 and len(words[0]) >= 3:
            names.add(words[0])
    return tuple(sorted(names, key=lambda name: (-len(name), name)))


@lru_cache(maxsize=64)
def _person_rules(names: tuple[str, ...]) -> tuple[tuple[Rule, re.Pattern[str]], ...]:
    forms = [_MENTION, _HANDLE, _ROLE]
    if names:
        spelled = (r"\s+".join(re.escape(word) for word in name.split()) for name in names)
        alternatives = "|".join(spelled).replace("'", _A).replace("’", _A)
        forms.append(rf"(?<![\w@-])@?(?:{alternatives})(?![\w-])")
    person = "(?:" + "|".join(forms) + ")"
    return tuple(
        (rule, re.compile(rule.pattern.replace("{person}", person), FLAGS))
        for rule in RULES
        if "{person}" in rule.pattern
    )


def _resolve(found: list[tuple[int, int, Rule]]) -> list[tuple[int, int, Rule]]:
    """One finding per span: the earlier rule in RULE_ORDER wins; one rule's overlaps merge."""
    kept: list[tuple[int, int, Rule]] = []
    for start, end, rule in sorted(found, key=lambda f: (RULE_ORDER.index(f[2].id), f[0], -f[1])):
        clash = next((i for i, (lo, hi, _) in enumerate(kept) if start < hi and lo < end), None)
        if clash is None:
            kept.append((start, end, rule))
        elif kept[clash][2].id == rule.id:
            lo, hi, first = kept[clash]
            kept[clash] = (min(lo, start), max(hi, end), first)
    return sorted(kept, key=lambda f: (f[0], f[1]))
