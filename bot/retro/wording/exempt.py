"""What a sentence says about blame itself: negated blame, and blame words quoted or rejected.

Negated blame ("nobody's fault", "it wasn't Bob's fault", "Mei wasn't careless") is the
blameless stance said aloud: nudging it would scold people for writing what we ask of them. A
sentence that quotes or rejects blame words ("the term 'human error' was removed", "human error
was not accepted as a root cause; instead we asked why") discusses blame; it does not blame.
"""

from __future__ import annotations

import re

from bot.retro.wording.agents import FLAGS
from bot.retro.wording.lexicon import A

_BLAME_TARGET = (
    r"careless|negligent|lazy|sloppy|reckless|incompetent|irresponsible|clueless|at\s+fault|"
    r"to\s+blame|responsible|asleep|slow|unprepared|the\s+cause|a\s+cause|the\s+problem|"
    r"(?:\S+(?:['’]s|s['’])|my|your|his|her|their|our)\s+(?:fault|mistake|error|doing)|"
    r"(?:a|an|the|his|her|their|anyone's|any\s+one\s+person's|someone's)\s+(?:\w+\s+)?"
    r"(?:fault|mistake|failure|error|lapse|oversight)|blamed|blameworthy|negligence|"
    r"human\s+error|operator\s+error|user\s+error|punish\w*|written\s+up|fired|disciplin\w*|"
    r"held\s+accountable|(?:about|on|because\s+of|due\s+to|down\s+to)\s+\S+"
)
_NEGATED = re.compile(
    "|".join(
        (
            r"\bblame[- ]?(?:less\w*|free)\b",
            r"\b(?:no|non|without)[- ]blame\b",
            r"\b(?:git|svn|hg)\s+blame\b",
            r"\bblame\s+game\b",
            r"\b(?:no[- ]?one|nobody|none\s+of\s+(?:us|them)|not\s+any\s*one|not\s+one\s+person)"
            rf"(?:{A}s|\s+(?:is|was|were|are|should\s+be|will\s+be|gets?|got|being))?\s+"
            r"(?:\w+\s+)?(?:to\s+blame|at\s+fault|fault|blamed|punished|written\s+up|fired|"
            r"disciplined|in\s+trouble|responsible|held\s+(?:personally\s+)?(?:accountable|responsible))\b",
            rf"(?:\bnot|n{A}?t|\bnever|\bno\s+longer)\s+(?!just\b|only\b|all\b|entirely\b|solely\b|"
            rf"merely\b|simply\b)(?:[\w'’]+\s+){{0,3}}?(?:{_BLAME_TARGET})",
            r"\b(?:nobody|no\s+one|none\s+of\s+(?:us|them))\b[^.;]*?\bdid\s+anything\s+wrong\b",
            r"\bnot\s+(?:to\s+|about\s+|on\s+|into\s+)?(?:blam\w*|fault|punish\w*|"
            r"find(?:ing)?\s+(?:fault|a\s+culprit|someone))",
            rf"\b(?:do|does|did|will|would|should|must|can)(?:n{A}t|\s+not)\s+(?:\w+\s+)?"
            rf"(?:blame|punish|fault|single\s+out|point\s+fingers)\b",
            r"\bnever\s+blame\b|\bno\s+(?:one|body)\s+(?:blames?|blamed|is\s+blaming)\b",
            r"\b(?:did|does|do)\s+nothing\s+(?:wrong|unreasonable|unusual|incorrect|risky)\b",
            r"\b(?:did|does|do)\s+(?:everything|all\s+the\s+right\s+things)\s+right\b",
            r"\b(?:through\s+)?no\s+fault\s+of\b|\bnothing\s+to\s+do\s+with\b",
            r"\b(?:wasn['’]t|isn['’]t|was\s+not|is\s+not)\s+on\s+\S+",
            r"\bnot\s+(?:a|the)\s+(?:person|people|individual|human)\s+(?:problem|issue|failure)\b",
            r"\bno\s+(?:one|body)\s+(?:\w+\s+)?(?:forgot|ignored|missed|skipped|slept|panicked|"
            r"rushed|was\s+careless)\b",
            r"\bnone\s+of\s+(?:this|that|it|these)\s+(?:is|was|are|were)\s+on\s+\S+",
            r"\bneither\b[^.;]*?\bnor\b[^.;]*",
            r"\bby\s+the\s+book\b",
            rf"\b(?:should|must|will|can|could|would)(?:n{A}?t|\s+not)\s+(?:be\s+)?(?:blamed|punished|"
            r"held\s+(?:personally\s+)?(?:accountable|responsible)|written\s+up|singled\s+out|fired)\b",
            r"\b(?:made|was)\s+the\s+(?:right|correct|reasonable|sensible)\s+call\b",
            r"\b(?:anyone|any\s+of\s+us|any\s+\w+)\s+would\s+have\s+(?:done|made)\s+the\s+same\b",
            r"\b(?:no|not\s+(?:a|one|any))\s+(?:one\s+|single\s+)?(?:person|individual|human|engineer|"
            r"one|team)\s+(?:\w+\s+)?(?:caused|broke|is\s+responsible|was\s+responsible|did\s+this|"
            r"is\s+to\s+blame|was\s+to\s+blame)",
            r"\bno\s+(?:\w+\s+){0,2}(?:were|was)\s+(?:lost|dropped|affected|harmed|corrupted)\b",
            r"\b(?:did|does|do|had|has)(?:n['’]?t|\s+not)\s+(?:push|deploy|merge|break|cause|delete|"
            r"drop|skip|ignore|miss|forget|touch|run|change|disable|apply)\w*\b[^.;]*",
        )
    ),
    FLAGS,
)
_DISCUSSING = re.compile(
    r"\binstead\b|\brather\s+than\b|\bnot\s+(?:about|to)\s+(?:blam|find|assign)|"
    r"\bwithout\s+(?:blam|assigning|pointing|naming)|"
    r"\bthe\s+(?:term|phrase|label|word|words|framing|question|finding|conclusion|label)\b|"
    r"\bblameless|\bno-?blame\b|"
    r"\b(?:is|was|are|were|isn['’]t|wasn['’]t)(?:\s+not|n['’]t)?\s+(?:never\s+)?(?:an?\s+)?"
    r"(?:accepted|acceptable|allowed|valid|sufficient|enough|useful|good\s+enough|"
    r"an?\s+answer|answer|a\s+(?:root\s+)?cause|root\s+cause|the\s+root\s+cause|explanation|"
    r"finding|conclusion|starting\s+point|where\s+\w+\s+(?:starts?|ends?|stops?))\b(?=.*\bnot\b|"
    r".*\binstead\b|.*\brather\b)|"
    r"\b(?:is|was|are|were)(?:\s+not|n['’]t)\s+(?:\w+\s+)?(?:accepted|acceptable|an?\s+answer|"
    r"a\s+(?:root\s+)?cause|the\s+(?:root\s+)?cause|an?\s+explanation|a\s+finding|enough)\b|"
    r"[\w-]+-prone\b|\bprone\s+to\b|\bstop(?:ped)?\s+(?:saying|writing|using|blaming)|"
    r"\b(?:do|did)(?:n['’]t|\s+not)\s+(?:blame|accept|write|say|settle|stop)\b|"
    r"\bwe\s+(?:asked|ask|looked\s+at|dug\s+into)\s+(?:why|what|how)\b|\bnot\s+who\b|"
    r"\bremov(?:ed|e|ing)\s+(?:\w+\s+){0,3}(?:from|in)\s+(?:the|our)\s+template|"
    r"\b(?:ban|banned|retire|retired|drop|dropped|replace|replaced)\s+(?:the\s+)?(?:term|phrase|"
    r"label|words?)\b|\bbeyond\s+['\"“‘]?(?:human|operator|user)\s+error|"
    r"\b(?:avoid|avoided|avoiding|resist|resisted)\s+(?:\w+\s+)?(?:blam|label|calling)|"
    r"\bout\s+of\s+scope\b|\b(?:keep|leave|take|kept|left)\s+(?:the\s+|all\s+|any\s+)?blame\s+"
    r"out\b|\b(?:error|pebkac|blame|fault|blaming)\s+(?:jokes?|memes?|language|framing|labels?|"
    r"talk|culture|words?|questions?)\b|\bcounterfactuals?\b|\bhindsight\b|\bwording\b|"
    r"\bphrasing\b|\btempting\b|\beasy\s+to\s+(?:say|call|blame|write|stop|point)|\bsymptom\b|"
    r"\bwho\s+questions?\b|\bwould(?:n['’]t|\s+not)?\s+(?:have\s+)?(?:\w+\s+)?(?:miss|help|fix|"
    r"change|explain|solve|prevent|stop|end|hide)\w*\b|\blabel+(?:ing|ed)?\s+(?:this|it|that)\b|"
    r"\b(?:end|ends|ending|stop|stops|stopping)\s+(?:with|at)\b|"
    r"(?:error|PEBKAC)['’\"”]?\s+(?:response|code|status|page|message|class|type|exception|"
    r"field|bucket|category)s?\b|"
    r"\bmiss(?:es|ed)?\s+the\s+point|\bnot\s+the\s+point|\bculprits?\b|"
    r"\b(?:wrong|unfair|pointless|useless|easy|tempting)\s+to\s+(?:blame|say|call|point)|"
    r"\b(?:don['’]?t|do\s+not|didn['’]?t|never|won['’]?t)\s+ask\s+who\b|"
    r"\bnot\s+(?:an?\s+)?(?:explanation|answer|cause|root\s+cause|finding|conclusion|reason)\b|"
    r"\bjust\s+culture\b|\bpsychological(?:ly)?\s+safe|\b(?:hide|hiding|report|reporting|admit|"
    r"admitting|owning|share|sharing|surface|surfacing)\s+(?:up\s+to\s+)?(?:their|his|her|our|your|my)\s+"
    r"(?:own\s+)?(?:mistakes?|slips?|errors?)|"
    r"\bfear\s+of\s+(?:being\s+)?blam|\bblame\s+(?:makes|causes|leads|stops|discourages|kills|"
    r"breeds|shuts)\b|\bcall(?:ing|ed)?\s+(?:it|this|that)\b|\b(?:suggest|propos)\w*\b|"
    r"(?:error|pebkac)['’\"”]?\s+(?:appears?|shows?\s+up|is\s+listed|was\s+listed|occurs?)\b",
    FLAGS,
)
# Verbs of editing and quoting: a blaming phrase inside quotes in such a sentence is being
# discussed ("we replaced 'the engineer failed to notice' with …").
_EDITING = re.compile(
    r"\b(?:replac|rewr|rewor|remov|chang|flagg|struck|strik|edit|phras|wording|language|like|"
    r"such\s+as|instead|rather|avoid|term|sentence|draft|template|field|section|heading|"
    r"column|checkbox|quot|cross|delet|ban|retir|trim|cut|strip|comment|label|tracker|migrat|"
    r"categor|joke|talk|ask|interview|question|say|said|saying|writ|call|point|describ|outcome)\w*",
    FLAGS,
)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<![\w])'[^']*'(?![\w])|`[^`]*`")


# Work done as planned: the person did what the change or the runbook said.
_PLANNED = re.compile(
    r"\b(?:per|following|according\s+to)\s+(?:the\s+)?(?:change|plan|runbook|ticket|schedule|"
    r"procedure|playbook|process)\b|\bas\s+(?:planned|scheduled|agreed|documented|intended)\b|"
    r"\bin\s+the\s+(?:agreed\s+|scheduled\s+|planned\s+)?maintenance\s+window\b|"
    r"\bone\s+by\s+one\b",
    FLAGS,
)


def planned_work(sentence: str) -> bool:
    return bool(_PLANNED.search(sentence))


def exempt_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of the sentence where blame is negated: a finding touching one is dropped."""
    return [match.span() for match in _NEGATED.finditer(sentence)]


def discusses_blame(sentence: str) -> bool:
    return bool(_DISCUSSING.search(sentence))


def edits_quotes(sentence: str) -> bool:
    return bool(_EDITING.search(sentence))


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    return [match.span() for match in _QUOTED.finditer(sentence)]
