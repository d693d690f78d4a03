"""The blame rules, as data: a category and a pattern over a sentence read by `agents.read`.

`{AG}` is any agent marker, `{SURE}` one that is surely someone (not an unknown capitalised word,
"they" or "I"). A "cause" rule takes its category from its agent: you → second-person, a role or
team → role-or-team, anyone else → person."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.retro.wording.agents import CLOSE, FLAGS, OPEN
from bot.retro.wording.lexicon import A
from bot.retro.wording.predicates import (
    ACTIVITY,
    ADV,
    BAD,
    CHARACTER_WORDS,
    CONDUCT,
    GOOD_DEEDS,
    HARM,
    NEGATIVE,
    PASSIVE_HARM,
    PAST,
    POSITIVE_AFTER,
    POSS,
    PUNITIVE_MARKERS,
    REMEDY,
    REMEDY_CONTEXT,
    SARCASM_MARKERS,
)

AG = f"{OPEN}[YPWRH]{CLOSE}"
SURE = f"{OPEN}[YPRH]{CLOSE}"


@dataclass(frozen=True, slots=True)
class Rule:
    category: str  # or "cause": the category follows the agent's kind
    pattern: re.Pattern[str]
    # Words that name blame without an agent ("human error", "careless", "blame"): a sentence
    # that quotes or rejects them ("'human error' is not a root cause") discusses, not blames.
    discussable: bool = False
    # Words that blame only when someone is in the sentence ("gold star", "on probation").
    needs_agent: bool = False


def _rule(
    category: str, pattern: str, *, discussable: bool = False, needs_agent: bool = False
) -> Rule:
    compiled = re.compile(pattern.replace("{AG}", AG).replace("{SURE}", SURE), FLAGS)
    return Rule(category, compiled, discussable or category == "punitive", needs_agent)


RULES: tuple[Rule, ...] = (
    # a person, role, team or "you" did the harm
    _rule("cause", rf"{{AG}}(?:{POSS}\s+(?:\S+\s+){{0,3}}?)?{ADV}\s+(?:{HARM})"),
    _rule("cause", rf"{OPEN}H{CLOSE}(?:\s+[^\s.;]+){{1,6}}?\s+(?:{HARM}|{CONDUCT})"),
    _rule(
        "cause",
        rf"{{AG}}{ADV}\s+{GOOD_DEEDS}(?!(?:restarted|replaced|removed|cleaned|cleared|wiped|purged|"
        rf"drained|isolated|quarantined|disabled|killed|investigated|identified|diagnosed|debugged|"
        rf"traced|reported|rebuilt|recreated|rotated|repaired|patched|upgraded)\b){PAST}\s+"
        rf"(?:\S+\s+){{0,8}}?(?:broken|buggy|faulty|bad|wrong|corrupt(?:ed)?|untested|unreviewed)\b",
    ),
    _rule(
        "cause",
        rf"{{AG}}.{{0,60}}?\b(?:is|was)\s+what\s+(?:took|broke|caused|brought|knocked|killed|wiped)|"
        rf"\bwhy\s+(?:would|did|didn{A}?t|do|were|are)\s+{OPEN}Y{CLOSE}|{OPEN}Y{CLOSE}\s+"
        rf"(?:\s+(?:were|are)|{A}re)\s+the\s+(?:one|reason|cause|person)\b",
    ),
    _rule(
        "cause",
        rf"{OPEN}Y{CLOSE}{ADV}\s+{GOOD_DEEDS}{PAST}\b|{OPEN}Y{CLOSE}\s+"
        rf"(?:need|have|has|gotta)\s+to\s+stop\b|{OPEN}Y{CLOSE}\s+(?:can{A}t|cannot)\s+"
        rf"keep\b|{OPEN}Y{CLOSE}\s+keep\s+\w+ing\b",
    ),
    _rule(
        "cause",
        rf"{{AG}}{ADV}\s+\w+(?:\s+[^\s,.;]+){{0,6}}?,?\s+(?:and|then|but)\s+(?:{ADV}\s+)?"
        rf"(?:{HARM}|did\s+nothing|went\s+home|never\s+\w+)",
    ),
    _rule(
        "cause",
        rf"(?:^\s*|(?<=[,;:(] )|(?<=\band )|(?<=\bbut )|(?<=\bthen )|(?<=\bwhen )|"
        rf"(?<=\bbecause ))"
        rf"{{AG}}(?!.*{REMEDY_CONTEXT})(?:{POSS}\s+(?:\S+\s+){{0,3}}?)?{ADV}\s+{GOOD_DEEDS}{PAST}\b(?:[^.;]|\.(?=\w)){{0,100}}?"
        rf"(?:\b(?:and|which|so|causing|leading|that|when|until|while)\b|,)(?:[^.;]|\.(?=\w)){{0,80}}?\b{BAD}"
        rf"",
    ),
    _rule(
        "cause",
        rf"\b(?:it\s+was|it{A}s|that\s+was|that{A}s)\s+{{AG}}\s+(?:who|that)\b|"
        rf"\broot\s+cause\s*(?:is|was|:|=|-)\s*{{AG}}",
    ),
    _rule(
        "cause",
        rf"(?<!huge\s)(?<!big\s)(?<!many\s)(?<!special\s)\b(?:thanks\s+to|courtesy\s+of)\s+{{AG}}{POSITIVE_AFTER}(?=.*{NEGATIVE})",
    ),
    _rule(
        "cause",
        rf"\b(?:because(?:\s+of)?|due\s+to|caused\s+by|down\s+to|all\s+because\s+of|owing\s+to|"
        rf"result\s+of)\s+{{AG}}{POSITIVE_AFTER}(?!\s+{REMEDY})",
    ),
    _rule(
        "cause",
        rf"{{AG}}\s+(?:is|was|are|were|{A}s)\s+(?:the\s+(?:\w+\s+)?(?:reason|cause|problem)|why)\b",
    ),
    _rule(
        "cause",
        rf"(?:{{AG}}{POSS}|\b(?:your|their|his|her))\s+(?:\w+\s+)?(?:change|pr|commit|deploy|push|"
        rf"config|script|code|migration|query|command|merge|patch|typo)\s+(?:\w+\s+)?"
        rf"(?:broke|caused|took\s+down|brought\s+down|wiped|deleted|corrupted|killed)",
    ),
    # the harm in the passive, its agent after "by": "the config was pushed by the release engineer"
    _rule(
        "cause",
        PASSIVE_HARM,
    ),
    # fault, mistakes, negligence pinned on someone
    _rule(
        "fault",
        r"\b(?:mistakes?|errors?|negligence|carelessness|sloppiness|oversights?|failures?|"
        r"incompetence|lapses?|laziness|recklessness|inattention|misjudge?ments?|screw-?ups?|"
        r"blunders?|slip-?ups?|slips?|missteps?|goofs?|gaffes?|(?:lack|absence)\s+of\s+(?:\w+\s+)?(?:diligence|care|attention|rigou?r|"
        r"discipline|ownership|competence|professionalism|judge?ment|effort|thoroughness|caution|"
        r"responsibility|accountability|focus|preparation|awareness|skill|experience|"
        r"understanding|knowledge|follow[- ]through)|poor\s+(?:judge?ment|decisions?|choices?|"
        r"work|discipline|communication|attention)|bad\s+(?:judge?ment|calls?|decisions?))\s+"
        r"(?:\w+\s+)?(?:by|of|from|on\s+the\s+part\s+of|made\s+by|committed\s+by|in)\s+{AG}",
    ),
    _rule(
        "fault",
        rf"(?:{{AG}}{POSS}|\b(?:your|his|her|their|my))\s+(?:\w+\s+)?(?:mistakes?|fault|"
        rf"oversights?|negligence|carelessness|sloppiness|incompetence|screw-?ups?|blunders?|"
        rf"bad\s+calls?|misjudge?ments?|laziness|recklessness|fuck-?ups?|f\*+k-?ups?|slip(?:-?ups?)?|"
        rf"missteps?|doing|goofs?|gaffes?|bungle|botch(?:-up)?)\b"
        rf"(?![\s-]+(?:budget|toleran|inject|domain|detect|isolat|handl|code|log|rate)\w*)",
        discussable=True,
    ),
    _rule(
        "fault",
        rf"{{AG}}{POSS}\s+(?:\w+\s+)?(?:errors?|failures?|lapses?)\b"
        rf"(?![\s-]+(?:budget|rate|handl|message|log|code|page|count|state|mode)\w*)",
    ),
    _rule(
        "fault",
        rf"{{AG}}{ADV}(?:\s+(?:is|was|were|are|{A}s|{A}re))?\s+(?:(?:entirely|totally|solely|"
        rf"fully|partly|100%|directly|squarely|clearly)\s+)?(?:to\s+blame|at\s+fault|"
        rf"responsible\s+for\s+(?:the|this|that|our|today{A}s|yesterday{A}s|last\s+\w+{A}s)\s+"
        rf"(?:\w+\s+)?(?:outage|incident|breakage|mess|downtime|failure|disaster|meltdown|fiasco|"
        rf"issue|problem|page|sev|data\s+loss|loss|lost|damage|errors?|downtime))|{{AG}}{ADV}\s+(?:is|was)\s+"
        rf"responsible\s+for\s+(?:the|this|that|our)\s+(?:\w+\s+){{0,2}}?(?:outage|incident|breakage|mess|"
        rf"downtime|failure|loss|lost|damage|errors?|problem|issue)",
    ),
    _rule(
        "fault",
        rf"\b(?:blame|fault|responsibility|this|that|it|the\s+(?:outage|incident|failure))"
        rf"(?:{A}s|\s+one{A}s|\s+one\s+is|\s+(?:is|was|lies|rests|falls|sits))\s+"
        rf"(?:all\s+|entirely\s+|squarely\s+|solely\s+|100%\s+|fully\s+|clearly\s+)?"
        rf"(?:with|on)\s+{{AG}}",
    ),
    _rule(
        "fault",
        r"\b(?:failure|fault|blame|mistake|responsibility|outage|incident|error)\s+(?:\w+\s+)?"
        r"(?:belongs|falls|goes|is\s+down)\s+to\s+{AG}",
    ),
    _rule(
        "fault",
        r"\bblam(?:e|ed|es|ing)\s+(?:it\s+|this\s+|that\s+)?(?:on\s+)?{AG}",
        discussable=True,
    ),
    _rule(
        "fault",
        rf"\bon\s+{{AG}}{POSS}\s+part\b|{{AG}}{POSS}\s+(?:\w+\s+)?(?:typos?|(?:bad|botched|broken|"
        rf"sloppy|careless|rushed|hasty|faulty|buggy|dodgy|untested|reckless|lazy|half-baked)\s+"
        rf"\w+)|\b(?:responsibility|blame)\s+for\s+(?:\S+\s+){{1,5}}?(?:rests|lies|falls|sits|"
        rf"is)\s+(?:squarely\s+|solely\s+|entirely\s+)?(?:with|on)\s+{{AG}}",
    ),
    _rule(
        "fault",
        rf"\bwhose\s+fault\b|\bwho(?:{A}s|\s+(?:is|was|were|are))\s+(?:to\s+blame|at\s+fault|"
        rf"responsible\s+for\s+(?:this|that|the\s+(?:outage|incident)))\b|"
        rf"\bwho\s+(?:the\s+hell\s+)?(?:did|pushed|merged|broke|deployed|approved|wrote|shipped)\s+"
        rf"(?:this|that|it)\b|\bfault\s+lies\s+with\b|\bfind(?:s|ing)?\s+fault\b|"
        rf"\bfault[- ]finding\b|\bmy\s+bad\b",
        discussable=True,
    ),
    # judgements of conduct and character
    _rule("conduct", rf"{{AG}}{ADV}\s+(?:{CONDUCT})"),
    _rule(
        "conduct",
        rf"{{AG}}(?:\s+[^\s,.;]+){{1,4}}?\s+(?:is|was|were|are|{A}s|{A}re)\s+(?:just\s+|so\s+|"
        rf"too\s+|completely\s+|totally\s+|clearly\s+|utterly\s+)?(?:clueless|careless|lazy|"
        rf"sloppy|reckless|incompetent|negligent|useless|hopeless|irresponsible)\b",
    ),
    _rule("conduct", rf"\b(?:{CHARACTER_WORDS})\b(?=.*{{AG}})", discussable=True),
    _rule(
        "conduct",
        rf"\b(?:{CHARACTER_WORDS})\s+(?:\w+\s+)?{ACTIVITY}\b|\b{ACTIVITY}\s+(?:was|were|is|got)\s+"
        rf"(?:\w+\s+)?(?:{CHARACTER_WORDS}|rushed|half-?hearted)\b",
        discussable=True,
    ),
    _rule(
        "conduct",
        r"(?:^|[,;:]\s*|\b(?:and|but|because|of)\s+)(?:\w+\s+)?(?:carelessness|negligence|laziness|"
        r"sloppiness|incompetence|recklessness|stupidity|idiocy)\s+(?:\w+\s+)?(?:caused|led|meant|"
        r"resulted|brought|took|is|was|let|left|broke)\b",
        discussable=True,
    ),
    # hindsight and counterfactuals about someone
    _rule(
        "counterfactual",
        rf"\bif\s+(?:only\s+)?{{AG}}\s+(?:had(?:n{A}t)?|{A}d|would\s+have|were|was|wasn{A}t|"
        rf"weren{A}t|did|didn{A}t|hadn{A}t|could\s+have|just|only|actually|bothered|paid|read|"
        rf"checked|looked|followed|tested|listened|waited|asked|knew|understood|cared|spent|took)",
    ),
    _rule(
        "counterfactual",
        r"(?:^|[,;:.!?(]\s*|\b(?:and|but|so)\s+)had\s+{AG}\s+(?:just\s+|only\s+|simply\s+|"
        r"actually\s+|bothered\s+|even\s+|not\s+)?\w+",
    ),
    _rule(
        "counterfactual",
        rf"{{AG}}{ADV}\s+(?:should|could|ought\s+to)(?:\s+(?:really\s+|easily\s+|never\s+|not\s+|"
        rf"just\s+|simply\s+)?(?:have|of)|{A}ve)\s+(?!been\s+(?:paged|told|given|notified|"
        rf"alerted|shown|sent|warned|woken|informed|asked|trained|included|looped|involved|"
        rf"consulted|able|allowed|on)\b|(?:a|an|the|some|more|no|any|access|had|two|enough)\b)",
    ),
    _rule(
        "counterfactual",
        rf"{{AG}}{ADV}\s+(?:should|ought\s+to)\s+(?:know|have\s+known|be\s+(?:ashamed|more\s+"
        rf"careful|careful))\b|\ball\s+{{AG}}\s+(?:had|needed|was\s+supposed|were\s+supposed)\s+"
        rf"to\s+do\s+was\b|{{AG}}\s+(?:could|would)\s+(?:easily|trivially|have\s+easily)\s+"
        rf"(?:have\s+)?(?:prevented|avoided|caught|stopped|spotted)",
    ),
    _rule(
        "counterfactual",
        rf"\bshould\s+have\s+been\s+obvious\b|\b(?:any|every)\s*one\s+(?:with\s+\w+\s+)?"
        rf"(?:could|would|should)\s+have\s+(?:seen|known|noticed|spotted|caught|predicted|"
        rf"guessed)\b|\bshould(?:\s+have|{A}ve)\s+known\s+better\b|\bwhy\s+(?:did|didn{A}t)\s+"
        rf"{{AG}}\b|\bhow\s+(?:did|could)\s+{{AG}}\s+(?:not|miss|forget|ignore|think)",
    ),
    _rule(
        "counterfactual",
        rf"{{AG}}{ADV}\s+(?:was|were|is|are)\s+(?:\w+\s+)?(?:responsible|supposed|expected|meant|"
        rf"paid|there)\s+(?:for|to)\s+(?:\w+\s+)?(?:check|verif|review|test|catch|monitor|watch|"
        rf"notic|spot|prevent|look|read)\w*|\bit\s+was\s+{{AG}}{POSS}\s+(?:\w+\s+)?(?:job|"
        rf"responsibility|duty)\s+to\b|{{AG}}{ADV}\s+had\s+(?:every|plenty\s+of|multiple|several|"
        rf"ample|two|three)\s+(?:\w+\s+)?(?:chances?|opportunit\w+|warnings?)|"
        rf"\bno\s+excuse\s+for\s+{{AG}}|{{AG}}{ADV}\s+(?:had|has)\s+no\s+excuse|"
        rf"{{AG}}{ADV}\s+needed\s+(?:only\s+|just\s+)?to\s+(?:\w+\s+)?(?:check|verify|read|test|wait|look|"
        rf"ask|follow|glance|run|open|click|scroll|type)|\ball\s+it\s+(?:took|would\s+have\s+taken|"
        rf"needed)\s+was\b(?=.*{{AG}})",
    ),
    # sarcasm and passive aggression
    _rule(
        "sarcasm",
        rf"\b(?:as\s+usual|as\s+always|once\s+again|yet\s+again|predictably|typical(?:ly)?|"
        rf"surprise,?\s+surprise|shock(?:ing|er)(?:ly)?|big\s+surprise|color\s+me\s+surprised|"
        rf"who\s+(?:could|would){A}?(?:\s+have|{A}ve)?\s+(?:guessed|thought|known)|who\s+knew|"
        rf"imagine\s+that|what\s+a\s+surprise|everyone\s+knows|maybe\s+next\s+time|"
        rf"next\s+time\s+(?:maybe|perhaps)|thanks\s+(?:a\s+lot|for\s+nothing)|heaven\s+forbid|"
        rf"god\s+forbid|bless\s+(?:him|her|them|their|his)|(?<!\S)/s\b|in\s+(?:true|classic)\s+\w+\s+"
        rf"fashion|(?:famous|legendary)\s+(?:last\s+words|attention|diligence)|"
        rf"again\?*!+)(?=.*{{AG}})|{{AG}}.*\b(?:as\s+usual|as\s+always|once\s+again|yet\s+again|"
        rf"predictably|heaven\s+forbid|(?<!\S)/s\b|again\s*[.!?]*\s*(?::\w+:\s*)*$)",
    ),
    _rule(
        "sarcasm",
        rf"\b(?:typical|classic|good\s+old|trust)\s+{{AG}}|\b(?:great|nice|good|fantastic|"
        rf"stellar|amazing|awesome|brilliant)\s+(?:job|work|going|one|move|call|stuff)\b,?\s*"
        rf"(?:{{AG}})?(?=.*{NEGATIVE})(?=.*{{AG}})|\bway\s+to\s+go\b|\bwell\s+done,\s*{{AG}}|"
        rf"\bkudos\s+to\s+{{AG}}(?=.*{NEGATIVE})|(?:🙄|🤦|🤡|:(?:eyeroll|rolling_eyes|facepalm|"
        rf"clown_face|clown|upside_down_face|unamused|roll_eyes|face_palm|man-facepalming|"
        rf"woman-facepalming|clap|slow_clap):)(?=.*{{AG}})|{{AG}}.*(?:🙄|🤦|🤡|:(?:eyeroll|"
        rf"rolling_eyes|facepalm|clown_face|clown|upside_down_face|unamused|roll_eyes|face_palm|"
        rf"man-facepalming|woman-facepalming|clap|slow_clap):)",
    ),
    _rule(
        "sarcasm",
        rf"\banother\s+(?:\w+\s+)?{{AG}}\s+(?:deploy|push|change|pr|special|classic|masterpiece|"
        rf"incident|outage|friday|production)|{A}m\s+sure\s+{{AG}}|\bmust\s+be\s+nice\b(?=.*{{AG}})|"
        rf"\bnice\s+of\s+{{AG}}\s+to|\bcongratulations\s+to\s+{{AG}}|\bonce\s+more\b(?=.*{{AG}})|"
        rf"\bfound\s+(?:a|another)\s+(?:\w+\s+){{0,2}}?way\s+to\b(?=.*{NEGATIVE})",
    ),
    _rule(
        "sarcasm",
        rf"\bthanks?(?:\s+(?:so\s+much|again|a\s+bunch))?,?\s+{{AG}},?\s+for\s+(?:the|a|another|"
        rf"ruining|breaking|nothing|taking|deleting|waking|that)\b(?=.*(?:{NEGATIVE}|wake|\d\s*am\b|"
        rf"weekend|night|pager|page))|\b(?:real|very)\s+smooth\b(?=.*{{AG}})|"
        rf"\b(?:love|loved|gotta\s+love)\s+(?:that|how|it\s+when)\s+{{AG}}|"
        rf"\b(?:so\s+)?glad\s+(?:to\s+see|that)\s+{{AG}}(?=.*{NEGATIVE})|"
        rf"\bgift\s+that\s+keeps\s+on\s+giving\b|{{AG}}\s+knows?\s+best\b|"
        rf"\bbecause\s+(?:clearly|obviously|apparently)\s+{{AG}}|\bwho\s+needs\s+(?:\S+\s+){{1,4}}?when\b|"
        rf"\bresident\s+(?:expert|genius|cowboy|rockstar|wizard)\b|\bnothing\s+says\b|"
        rf"\b(?:totally|completely)\s+unexpected\b|\bnever\s+saw\s+that\s+coming\b|"
        rf"\b(?:hats\s+off|kudos|props|shout-?out)\s+to\s+{{AG}}(?=.*{NEGATIVE})|"
        rf"\b(?:bravo|slow\s+clap|round\s+of\s+applause|standing\s+ovation)\b(?=.*{{AG}})|"
        rf"\bI\s+wonder\s+who\b",
    ),
    _rule(
        "sarcasm",
        SARCASM_MARKERS,
        needs_agent=True,
    ),
    _rule(
        "sarcasm",
        r"{AG}[.!,]?\s+(?:strikes\s+again|again\b[.!?…]*|does\s+it\s+again|"
        r"at\s+it\s+again|being\s+\w+)",
    ),
    _rule(
        "sarcasm",
        rf"\b(?:of\s+course|apparently|obviously|clearly)\s*,?\s*(?:(?:nobody|no\s+one|"
        rf"none)\s+(?:on|in|of|from)\s+)?{{AG}}"
        rf"(?=.*{NEGATIVE})",
    ),
    # punitive lessons
    _rule(
        "punitive",
        rf"{{AG}}{ADV}\s+(?:will|{A}ll|is\s+going\s+to|is\s+gonna|should|might)\s+(?:\w+\s+)?"
        rf"think\s+twice|\blessons?\s+learn(?:ed|t)\s*(?:[:\-–—,]|for)\s*.*{{AG}}|"
        rf"\bhold\s+{{AG}}\s+(?:personally\s+)?accountable|"
        rf"\b(?:revoke|remove|pull|take\s+away|yank|strip|revoking|removing|pulling)\s+"
        rf"(?:{{AG}}{POSS}\s+)?(?:\w+\s+)?(?:access|rights|permissions|privileges|keys|"
        rf"credentials)\b(?:.*{{AG}})?|\bmake\s+(?:an\s+)?example\s+(?:out\s+)?of\s+{{AG}}|"
        rf"\bconsequences\s+for\s+{{AG}}|\b(?:as\s+(?:a\s+)?(?:punishment|penance)|"
        rf"(?:wall|hall)\s+of\s+shame|dunce\s+(?:cap|hat)|name\s+and\s+shame)\b",
    ),
    _rule(
        "punitive",
        rf"{{AG}}{ADV}\s+(?:should|must|will|needs?\s+to|has\s+to|have\s+to|is\s+going\s+"
        rf"to|gonna|ought\s+to|deserves?\s+to|is|was|got|has\s+been|have\s+been)\s+(?:be\s+|get\s+|"
        rf"getting\s+|being\s+)?"
        rf"(?:held\s+(?:personally\s+)?accountable|written\s+up|disciplined|fired|let\s+go|"
        rf"reprimanded|punished|sanctioned|demoted|benched|banned|barred|suspended|"
        rf"put\s+on\s+(?:a\s+)?pip|pip{A}?d|named\s+and\s+shamed|docked|formally\s+warned|"
        rf"taken\s+off|removed\s+(?:from|as)|moved\s+off|kept\s+away|answer\s+for|face\s+(?:the\s+)?"
        rf"consequences)",
    ),
    _rule(
        "punitive",
        rf"{{AG}}{ADV}\s+(?:won{A}t|will\s+not|should(?:n{A}t|\s+not)|can{A}t|cannot|is\s+not|"
        rf"isn{A}t|will\s+never|is\s+never|are\s+not|aren{A}t|is\s+no\s+longer)\s+(?:be\s+)?"
        rf"(?:\w+\s+)?(?:touching|allowed|trusted|deploying|getting|going\s+near|on\s+call|"
        rf"near|ever|merging|pushing|anywhere\s+near|left\s+alone|given)|"
        rf"\b(?:keep|ban|banned|bar|barred|banning)\s+{{AG}}\s+(?:away\s+)?from|"
        rf"{{AG}}{ADV}\s+(?:owes|is\s+buying|buys|gets\s+to\s+buy|{A}s\s+buying|has\s+to\s+buy|"
        rf"will\s+(?:be\s+)?buy(?:ing)?)\s+(?:\w+\s+)?(?:donuts|doughnuts|pizza|beers?|coffee|"
        rf"lunch|drinks|cake|a\s+round|breakfast|bagels)|"
        rf"{{AG}}{ADV}\s+(?:needs?|should|must|has|have)\s+to\s+(?:learn|be\s+taught|be\s+re-?trained|"
        rf"go\s+back\s+to\s+school|take\s+a\s+(?:course|class)|explain\s+(?:himself|herself|"
        rf"themselves|yourself))|\bteach\s+{{AG}}\s+a\s+lesson|{{AG}}{ADV}\s+(?:loses|lost|will\s+lose|"
        rf"should\s+lose|must\s+lose|gets?\s+(?:\w+\s+)?(?:revoked|removed|pulled))\s+(?:\w+\s+){{0,2}}"
        rf"(?:access|rights|permissions|privileges)|(?:has|have|{A}s|{A}ve)\s+(?:finally\s+)?"
        rf"learned\s+(?:his|her|their|your|a|the|this)\s+(?:\w+\s+)?lesson|\ball\s+of\s+{{AG}}{POSS}"
        rf"\s+\w+\s+(?:need|must|will|require|now)|\b(?:goes|go|going|put)\s+(?:on|in|into)\s+"
        rf"{{AG}}{POSS}\s+(?:\w+\s+)?(?:review|record|file)|{{AG}}{POSS}\s+(?:\w+\s+)?(?:access|sudo|"
        rf"rights|permissions|privileges|keys)\s+(?:is|are|was|were|has\s+been|have\s+been|{A}s)\s+"
        rf"(?:gone|revoked|removed|pulled)|\bowes\s+(?:\S+\s+){{0,2}}?an\s+apology|"
        rf"\b(?:from\s+now\s+on|going\s+forward|henceforth),?\s+{{AG}}\s+(?:needs?|must|has\s+to|"
        rf"will\s+need|requires?|gets?)\b|{{AG}}{ADV}\s+(?:has|have|had|was|were)\s+(?:been\s+)?"
        rf"(?:removed|taken|pulled|kicked|dropped)\s+(?:off|from)\s+(?:the\s+)?(?:\w+\s+)?"
        rf"(?:rotation|pager|on-?call|deploy\w*|team|project|access)|\btake\s+{{AG}}\s+off\b|"
        rf"\b(?:restrict|limit|reduce|downgrade|lock\s+down)\s+{{AG}}{POSS}\s+(?:\w+\s+)?(?:access|"
        rf"permissions|rights|privileges)|\b(?:babysit|supervise|watch\s+over|chaperone)\s+{{AG}}|"
        rf"{{AG}}\s+needs?\s+(?:a\s+|an\s+|more\s+)?(?:supervision|babysitter|chaperone|minder|adult)|"
        rf"\bno\s+more\s+(?:\w+\s+){{0,2}}for\s+{{AG}}|\bheads\s+(?:will|are\s+going\s+to|should|"
        rf"must)\s+roll\b|\b(?:on\s+thin\s+ice|final\s+warning|last\s+chance|strike\s+(?:one|two|"
        rf"three)|first\s+strike)\b|\bheld\s+responsible\b|\b(?:be|being|been|is|are|get|gets)\s+held\s+"
        rf"(?:personally\s+)?accountable\b|\b(?:mandatory|remedial|compulsory)\s+"
        rf"(?:\w+\s+)?training\b(?=.*{{AG}})|(?<=.){{AG}}.*\b(?:mandatory|remedial|compulsory)\s+"
        rf"(?:\w+\s+)?training\b|{{AG}}{ADV}\s+will\s+(?:remember|not\s+forget|never\s+forget)\s+"
        rf"this|{{AG}}{ADV}\s+won{A}t\s+(?:be\s+)?(?:making|make|doing|do|try|trying)\s+that\s+"
        rf"(?:\w+\s+)?again|\bhope\s+{{AG}}\s+(?:has\s+)?learned|\b(?:a\s+)?(?:conversation|talk|"
        rf"chat|word)\s+with\s+{{AG}}(?:{POSS}\s+manager)?\s+about\s+(?:this|that|it)|"
        rf"{{AG}}{POSS}\s+manager\s+(?:has\s+been|was|will\s+be)\s+(?:informed|told|notified|"
        rf"looped\s+in)|\b(?:noted|recorded|goes)\s+(?:in|on)\s+{{AG}}{POSS}\s+(?:file|record)|{{AG}}\s+learned\s+(?:a|the|"
        rf"(?:his|her|their|your))\s+(?:hard\s+)?lesson",
    ),
    _rule(
        "punitive",
        PUNITIVE_MARKERS,
        needs_agent=True,
    ),
    # "human error" as the cause
    _rule(
        "human-error",
        r"\b(?:human|operator|pilot|personnel|user|engineer|people|staff)[\s-]+(?:error|mistake|"
        r"failure|slip)s?\b|\bPEB(?:KAC|CAK)\b|\bPICNIC\b|\bID-?10-?T\b|\blayer[ -]?8\b|"
        r"\bwetware\b|\bhuman\s+factors?\s+(?:issue|problem|error)s?\b",
        discussable=True,
    ),
)
