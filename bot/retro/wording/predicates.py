"""What people are said to have done: the verbs and phrases of blame the rules are made of.

Regular-expression fragments for re.IGNORECASE, combined in `rules`. `{{AG}}` inside one stands
for an agent marker and is filled in when a rule is compiled.
"""

from __future__ import annotations

from bot.retro.wording.lexicon import A

NT = rf"(?:n{A}?t|\s+not)"  # a negation glued or apart
POSS = rf"(?:{A}s|s{A}|{A})"  # a possessive after an agent
ADV = (
    rf"(?:\s+(?:just|simply|clearly|obviously|also|then|again|accidentally|apparently|somehow|"
    rf"completely|totally|even|still|already|basically|literally|really|once\s+again|"
    rf"of\s+course|probably|definitely|had|has|have|{A}d|{A}s|alone|himself|herself|"
    rf"themselves|yourself|who|that|,\s*(?:as\s+usual|again|once\s+more|predictably),?)){{0,3}}"
)
NEGATIVE = (
    r"\b(?:broke|break|breaks|broken|down|outage|forgot|forget|missed|miss|skipped|skip|"
    r"ignored|ignore|late|failed|fail|mess|messed|screwed|wrong|never|didn['’]t|did\s+not|"
    r"doesn['’]t|won['’]t|can['’]t|nothing|without|again|paged|woke|took\s+down|another|"
    r"incident|sev\s*\d|prod|lost|cost|nobody|no\s+one|take\s+down|way\s+to|logged\s+out|blank|"
    r"errors?|wrong|friday|weekend|\d+\s*(?:am|pm)|hours?|brace|record)\b"
)
PAST = (
    r"(?:(?!(?:need|feed|seed|speed|bleed|breed|proceed|exceed|succeed|embed|shed|bed|red|wed|"
    r"bred|indeed|agreed)\b)\w+ed|ran|let|left|put|set|took|made|did|wrote|sent|broke|forgot|went|got|told|gave|"
    r"saw|hit|cut|shut|brought|built|chose|drove|held|kept|lost|meant|paid|said|spent|threw|"
    r"overrode|overwrote|undid|began|shook|tore|wore|swore|blew|drew|flew|threw|rewrote|"
    r"reran|upset|stuck|struck|spun|misread|mis\w+)"
)
BAD = (
    r"(?:went\s+down|was\s+down|were\s+down|fell\s+over|broke|outage|blocked\s+all|"
    r"dropped\s+(?:every|all)|was\s+dropped|were\s+dropped|lost|corrupted|wiped|5\d\d|"
    r"timed?\s*out|timeouts|failing|failed|stopped\s+working|took\s+down|"
    r"customers\s+(?:saw|were|got|could)|errors?\s+(?:spiked|started)|started\s+(?:failing|"
    r"returning|throwing|erroring|timing)|down\s+for|for\s+(?:\d+|two|three|four|several|six)\s+"
    r"(?:hours|days)|data\s+loss|every\s+minute|all\s+traffic|everything|the\s+whole|"
    r"went\s+un\w+|unreported|unnoticed|undetected|paying\s+for\s+it|behind|lagging|stale|"
    r"logged\s+out|blank|burned|burning|on\s+fire|exposed|leaked|expired|fell|crash\w*|stalled|"
    r"saturat\w+|hammer\w*|overload\w*|oom\S*|4\d\d|5xx|\d+\s*(?:errors|failures)|dropped|deleted|gone|"
    r"offline|broken|duplicat\w+|reject\w+|blocked|stopped|never\s+came\s+back|could(?:n{A}?t|\s+not)|"
    r"disappeared|attacker|breach\w*|storm|spiked?|double[- ]charged|wrong|stuck|queued|backlog|"
    r"degraded|down|outage|lag\s+hit|through\s+the\s+roof|into\s+the\s+ground|came\s+from)\b"
)
# What undid or caught the harm: a sentence that tells it is about the remedy, not the cause.
REMEDY_CONTEXT = (
    r"\b(?:cleared|fixed|resolved|restored|recovered|mitigated|prevented|avoided|held\s+(?:it\s+|them\s+)?"
    r"back|caught|spotted|detected|noticed|rolled\s+(?:it\s+)?back|reverted|contained|limited|saved|"
    r"protected|stopped\s+the|brought\s+(?:it\s+|them\s+)?back|so\s+no|before\s+any|dropped\s+(?:to|by|"
    r"back|within)|(?:\w+\s+)?stopped\b(?!\s+working)|drained|recover\w*|back\s+to\s+normal|went\s+away|"
    r"fell\s+(?:to|back)|returned\s+to|healthy|hot-?fix\w*|within\s+(?:a|one|\d+)\s+minutes?|"
    r"(?:could|can)\s+see|made\s+it\s+visible|hold|held|kept\s+\S+\s+(?:\S+\s+)?off)\b"
)
ACTIVITY = (
    r"(?:review|reviews|reviewing|work|job|handling|change|changes|push|merge|commit|deploy|"
    r"deployment|rollout|engineering|testing|approach|attitude|behaviou?r|mistake|error|typo|"
    r"decision|call|practices?|coding|programming|response|communication|follow[- ]?up|"
    r"planning|execution|on[- ]?call|shift|handoff|hand-off|fix|hotfix|patch|pr|code)"
)

HARM = (
    rf"forg(?:ot|otten)|neglected|ignored|overlooked|skipped|bypassed|missed|"
    rf"fail(?:ed|s)\s+to|"
    rf"(?:did{NT}|never|would{NT}|could{NT}\s+be\s+bothered\s+to)\s+(?:even\s+)?(?:bother|check|"
    rf"test|verify|read|follow|notice|review|look|wait|ask|tell|update|run|pay|care|listen|"
    rf"think|double[- ]check|escalate|respond|answer|ack|acknowledge|communicate|document|warn|"
    rf"flag|loop|consult|coordinate|monitor|watch|confirm|validate|roll|revert|open|file|"
    rf"page|hand|renew|rotate|look|do\s+(?:the|their|his|her|your)|add|write|set|lock|pin|"
    rf"tag|back|restart|stage|merge\s+the|call)\w*|"
    rf"broke\b(?!\s+(?:the\s+)?(?:news|silence|ground|even)\b|(?:\s+\S+){{0,3}}?\s+down\s+into)|"
    rf"took\s+(?:\S+\s+){{0,5}}?down\b|dropped\s+the\s+ball|got\s+(?:\S+\s+){{1,3}}?wrong\b|"
    rf"hard-?coded|insisted\b|{PAST}\s+(?:\S+\s+){{0,6}}?instead\s+of\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,6}}?(?:mid-?(?:traffic|day|deploy|incident|migration|sale|flight)|"
    rf"on\s+the\s+live\s+(?:box|server|host|system|db|database|cluster)|by\s+hand\b|for\s+everyone|"
    rf"to\s+(?:zero|0|100%)|(?:right|just|the\s+day|an\s+hour|minutes)\s+before\s+the\s+(?:\w+\s+)?"
    rf"(?:migration|batch|launch|sale|deploy|release|cutover|demo|peak))|overruled|vetoed|brushed\s+off|waved\s+off|shrugged\s+off|"
    rf"dismissed\s+(?:the|our|my|their|every|all)|refused\s+to|"
    rf"(?:never|rarely|seldom)\s+(?:even\s+)?(?:tests?|checks?|reads?|reviews?|looks?|follows?|"
    rf"updates?|documents?|answers?|responds?|listens?|bothers?)\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?during\s+(?:peak|business\s+hours|the\s+(?:\w+\s+)?(?:freeze|sale|"
    rf"launch|incident|outage|peak))|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?with\s+(?:no|zero|little|barely\s+any)\s+(?:\w+\s+)?(?:testing|review|"
    rf"warning|notice|tests|canary|heads-?up|communication|coordination|rollback\s+plan)|mis(?:read|typed|configured|labell?ed|routed|judged|handled)\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,6}}?(?:thinking|assuming|believing)\s+(?:it|that|they|this|he|she)\s+"
    rf"(?:was|were|had)\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,6}}?(?:public\s+(?:gist|repo|repository|bucket|channel|paste|link)|"
    rf"pastebin)\b|"
    rf"(?:pushed|deployed|applied|copied|ran|promoted|synced|pointed|shipped)\s+(?:\S+\s+){{0,5}}?"
    rf"(?:to|into|on|against|at)\s+(?:prod|production|the\s+(?:prod|production|live|primary)\w*)\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?on\s+a\s+friday\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?(?:(?:all\s+)?at\s+once|in\s+one\s+go|to\s+every\s+(?:cluster|region|"
    rf"host|node|server|customer|pod|shard))\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?in\s+the\s+middle\s+of\s+(?:the\s+|a\s+)?(?:\w+\s+)?(?:migration|"
    rf"deploy|incident|failover|upgrade|rollout|outage|peak|sale|launch)|brought\s+(?:\w+\s+)?down|knocked\s+(?:\w+\s+)?(?:over|out)|"
    rf"blew\s+(?:\w+\s+)?(?:up|away)|nuked|trashed|clobbered|corrupted|"
    rf"wiped\s+(?:out\s+)?(?:prod|production|all|every|the\s+(?:prod|production|wrong|entire|whole|"
    rf"primary|live|customer))|"
    rf"deleted\s+(?:prod|production|the\s+(?:prod|production|wrong|entire|whole)|all|every)|"
    rf"dropped\s+(?:the|a|prod|production)\s+(?:\w+\s+)?(?:table|database|db|index|column)|"
    rf"caus(?:ed|es)\b|(?:screw|mess|fuck|bork|foul)(?:ed)?\s+(?:\w+\s+){{0,2}}?up|"
    rf"fat[- ]?finger(?:ed)?|typo{A}?d|"
    rf"made\s+(?:a|an|the|another|yet\s+another|the\s+same|several|multiple|two|some|one)\s+"
    rf"(?:\w+\s+){{0,2}}?(?:mistakes?|errors?|blunders?|typos?|bad\s+calls?)|"
    rf"(?:pushed|merged|deployed|shipped|applied|released|rolled\s+out|committed|approved|ran|"
    rf"put|did|started|kicked\s+off|restarted|changed|edited|updated|upgraded|rebooted|"
    rf"self[- ]approved|force[- ]pushed)\s+(?:\S+\s+){{0,5}}?(?:without|w/o)\s+|"
    rf"(?:pushed|merged|deployed|shipped|applied|committed|rolled\s+out|wrote|introduced|"
    rf"approved|ran|sent|added|left|checked\s+in)\s+(?:a|an|the|that|this|his|her|their|your|"
    rf"some)?\s*(?:\w+\s+)?(?:bad|broken|buggy|wrong|untested|faulty|unreviewed|half[- ]baked|"
    rf"borked|incorrect|bogus|dodgy|sketchy|destructive|breaking|risky|unsafe|incompatible|"
    rf"experimental|unfinished|half-finished)\b|"
    rf"(?:pushed|deployed|merged|shipped|went|applied)\s+(?:\S+\s+){{0,3}}?(?:straight|directly)\s+"
    rf"(?:to|into|on)|"
    rf"rubber[- ]stamped|yolo{A}?(?:e?d)?\b|cowboy(?:ed)?|went\s+rogue|"
    rf"went\s+ahead\s+(?:and|anyway|without)|"
    rf"(?:decided|chose)\s+to\s+(?:skip|ignore|bypass|push|deploy|yolo|disable|override)|"
    rf"(?:was|were)\s+supposed\s+to|had\s+one\s+job|"
    rf"let\s+(?:\S+\s+){{1,5}}?(?:slip|through|expire|lapse|rot|fail|sit|linger|languish|fill|run\s+out)|"
    rf"left\s+(?:\w+\s+){{0,3}}(?:open|running|enabled|disabled|unlocked|behind|half)|"
    rf"never\s+(?:\w+\s+)?(?:followed|read|checked|tested|looked|updated|renewed|rotated|set\s+up|"
    rf"configured|added|wrote|documented|enabled|turned\s+on|bothered|told|mentioned|"
    rf"communicated|escalated|paged|answered|responded|showed|replied|acknowledged|acked)|"
    rf"shipped\s+(?:it|this|that)\s+(?:anyway|regardless)|"
    rf"misconfigur\w+|mis-?typed|mislabel+ed|(?:turned|switched|shut)\s+off|silenced|muted|"
    rf"snoozed|force[- ]pushed|insisted\s+on|baked\s+(?:\w+\s+)?in|skimmed|glossed\s+over|"
    rf"eyeballed|(?:deleted|dropped|removed|wiped|truncated|overwrote|purged|destroyed|killed|"
    rf"nuked|reverted|restarted|rebooted|terminated|scaled\s+down)\s+(?:\S+\s+){{0,6}}?"
    rf"(?:prod|production|primary|backups?|shared|only|entire|whole|live|master)\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,3}}?(?:the|a)\s+wrong\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,4}}?against\s+(?:prod|production|the\s+(?:prod|production|live))\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,8}}?at\s+peak\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,5}}?while\s+(?:the\s+)?(?:\w+\s+){{0,3}}(?:was|were)\s+(?:still\s+)?"
    rf"(?:running|in\s+progress|live|serving|deploying|mid-?\w+)|"
    rf"{PAST}\s+(?:\S+\s+){{0,4}}?from\s+(?:a|an|his|her|their|the|your)\s+(?:stale|old|outdated|"
    rf"local|personal)\b|\w+\s+(?:\S+\s+){{0,8}}?baked\s+in\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,5}}?with\s+(?:the\s+|a\s+)?(?:staging|test|dev|debug|wrong|"
    rf"hard-?coded|expired)\s+(?:\w+\s+){{0,2}}(?:key|credentials?|config|url|host|flag|secret|"
    rf"token|password)s?\b|"
    rf"{PAST}\s+(?:\S+\s+){{0,6}}?before\s+(?:\S+\s+){{1,5}}?(?:had\s+)?(?:finished|passed|completed|"
    rf"was\s+done|were\s+done|ran|had\s+run|caught\s+up|synced|drained|ended|landed|been\s+\w+ed)|"
    rf"{PAST}\s+(?:\S+\s+){{0,7}}?without\s+(?:\w+\s+)?(?:testing|tests|review|reviewing|"
    rf"a\s+review|checking|approval|waiting|telling|asking|coordinating|running|looking|"
    rf"reading|a\s+canary|ci|a\s+second|consulting|notice|warning|letting|a\s+single|any|"
    rf"verifying|a\s+backup|a\s+rollback|a\s+plan|thinking)|"
    rf"{PAST}\s+(?:\S+\s+){{0,5}}?(?:anyway|regardless|despite\s+(?:the\s+|our\s+|my\s+|repeated\s+|"
    rf"multiple\s+)?(?:warnings?|objections?|alerts?|concerns?|advice|pushback))\b|"
    rf"approved\s+(?:\S+\s+){{0,4}}?(?:that|which)\s+(?:dropped|deleted|broke|removed|disabled|"
    rf"introduced|wiped)|"
    rf"overrode|overrid(?:den|e)|disabled\s+(?:the\s+)?(?:\w+\s+)?(?:alert|check|test|guard|"
    rf"safety|protection|lint|validation|monitor)"
)

CONDUCT = (
    rf"(?:was|were|is|are|been|being|got|get|seemed|looked|acted|came\s+across)\s+"
    rf"(?:\w+\s+)?(?:careless|negligent|lazy|sloppy|reckless|incompetent|irresponsible|"
    rf"clueless|asleep|distracted|slow|unprepared|unresponsive|afk|checked\s+out|useless|"
    rf"hopeless|complacent|overconfident|arrogant|cavalier|impatient|inattentive|absent|mia|"
    rf"panicking|panicked|rushing|rushed|in\s+a\s+(?:rush|hurry|panic)|too\s+busy|nowhere|"
    rf"unqualified|inexperienced|not\s+paying\s+attention|asleep\s+at\s+the\s+wheel|out\s+of\s+"
    rf"(?:his|her|their|your|its)\s+depth|clearly\s+not|way\s+too|too\s+(?:slow|lazy|busy|"
    rf"proud|stubborn|scared)|stubborn|unreachable|offline\s+(?:again|when)|half[- ]asleep)|"
    rf"panicked|freaked\s+out|rushed|hurried|slept\s+(?:through|in|on)|did\s+nothing|"
    rf"(?:just\s+)?sat\s+(?:there|on|around)|dragged\s+(?:his|her|their|your)\s+feet|dithered|"
    rf"froze|flailed|went\s+(?:home|to\s+(?:lunch|bed|sleep)|offline|dark|silent|awol|mia|quiet)|"
    rf"disappeared|vanished|ghosted|could(?:n{A}t|\s+not)\s+be\s+bothered|"
    rf"can(?:{A}t|not|\s+not)\s+(?:\w+\s+){{1,5}}to\s+save\s+(?:his|her|their|your)\s+li(?:fe|ves)|"
    rf"(?:has|have|had)\s+no\s+(?:idea|clue)|does(?:n{A}t|\s+not)\s+know\s+what|"
    rf"(?:always|constantly|keeps?)\s+(?:forget|ignor|skip|rush|break|miss|screw|mess)\w*|"
    rf"took\s+(?:forever|ages|(?:over\s+)?(?:an?|\d+|forty|thirty|twenty|ninety)\s+"
    rf"(?:hours?|minutes?|mins?))\s+to\s+(?:respond|ack|acknowledge|answer|reply|notice|join|"
    rf"look|react|show)|"
    rf"(?:never|did{NT})\s+(?:even\s+)?(?:showed?|bothered|answered|responded|acked)|"
    rf"(?:was|were)\s+(?:\w+\s+)?nowhere\s+to\s+be\s+(?:found|seen)|"
    rf"(?:has|have)\s+(?:no|zero)\s+(?:business|clue|idea)|winged\s+it|guessed|"
    rf"(?:got|was|were|seemed)\s+(?:\w+\s+)?(?:flustered|rattled|defensive|sloppy|careless|lazy)|"
    rf"over-?reacted|under-?reacted|does(?:n{A}?t|\s+not)\s+(?:\w+\s+)?care|did(?:n{A}?t|\s+not)\s+care|"
    rf"asleep\s+on\s+the\s+job|showed\s+(?:a\s+)?(?:\w+\s+)?lack\s+of|had\s+(?:a\s+)?(?:\w+\s+)?"
    rf"lack\s+of|(?:played|playing)\s+(?:hero|cowboy)|skimmed|glossed\s+over|eyeballed|"
    rf"treats?\s+(?:prod|production|\w+)\s+like|clicked\s+(?:approve|merge)\s+without|"
    rf"(?:acked|acknowledged)\s+(?:it|the\s+\w+)\s+and\s+(?:did\s+nothing|went\s+back|ignored)"
)

CHARACTER_WORDS = (
    r"careless(?:ly|ness)?|negligen(?:t|tly|ce)|incompeten(?:t|tly|ce)|laziness|"
    r"lazy(?![\s-]+(?:load|eval|init|import|fetch|iterat|seq|comput|propagat|expir|evaluat)\w*|"
    r"\s*[=(])|stupid(?:ly|ity)?|sloppy|sloppily|sloppiness|reckless(?:ly|ness)?|"
    r"irresponsib(?:le|ly|ility)|idiot(?:ic|s)?|clueless|rookie\s+(?:mistakes?|errors?|move)|"
    r"amateur(?:ish)?|bone-?headed|half-?assed|lazily|cowboy|dumb\s+(?:mistake|move|error|idea)"
)

# What a person did that helped: not blame, whatever else the sentence says.
POSITIVE_AFTER = (
    r"(?!\s*(?:{POSS}\s+)?(?:quick|fast|rapid|prompt|swift|careful|great|good|excellent|"
    r"timely|early|sharp|heads[- ]up|fix|rollback|roll[- ]back|revert|work|help|effort|catch|"
    r"patch|investigation|runbook|dashboard|alert|script|tool|suggestion|idea|call|"
    r"diligence|experience|knowledge|persistence|for\s+(?:staying|jumping|helping|catching|spotting|"
    r"fixing|rolling|working|being|the\s+(?:quick|fast|help|fix|save)))\b)"
).replace("{POSS}", POSS)
REMEDY = (
    r"(?:rolled|roll|fixed|caught|noticed|spotted|paged|escalated|restarted|reverted|mitigated|"
    r"acted|responded|jumped|stepped|found|flagged|saw|knew|remembered|kept|stayed|was\s+(?:quick|"
    r"fast|on\s+call|around|online|available|there|able|awake)|had\s+(?:already|just\s+)?"
    r"(?:added|written|built|set|rolled|fixed|documented|tested|left|noticed))"
)

GOOD_DEEDS = (
    r"(?!(?:rolled|fixed|saved|caught|spotted|noticed|found|helped|jumped|handled|nailed|"
    r"flagged|escalated|paged|reverted|mitigated|stepped|stayed|worked|pulled|kept|did\s+(?:great|"
    r"well|everything|a\s+great|an\s+amazing)|were\s+(?:right|great|on\s+call)|"
    r"got\s+it|said|asked|mentioned|wrote\s+(?:up|the\s+(?:runbook|doc|postmortem)))\b)"
)

# Mock praise, rhetorical questions and eye-roll emoji: sarcasm when someone is in the sentence.
SARCASM_MARKERS = (
    rf"\b(?:ah\s+yes|famous|another\s+fine|brought\s+to\s+you\s+by|can{A}?t\s+wait|someday|congrats|"
    rf"congratulations|perfect\s+(?:streak|record)|free\s+(?:\S+\s+){{0,2}}?service|imagine\s+being|"
    rf"let\s+me\s+guess|love\s+how|really\s+grateful|so\s+grateful|volunteering\s+(?:all\s+of\s+)?us|"
    rf"straight\s+into\s+the\s+ground|some\s+of\s+us|exactly\s+as\s+(?:promised|advertised)|"
    rf"outdid|out-did|consider\s+(?:that|it|this)\s+optional|(?:great|brilliant|fantastic|wonderful|"
    rf"excellent|solid|genius)\s+(?:\w+\s+)?(?:strategy|plan|idea|approach|move)|works\s+on\s+my\s+"
    rf"machine|as\s+always|as\s+usual|once\s+again|yet\s+again|thanks\s+a\s+lot|thanks\s+for\s+nothing|"
    rf"who\s+knew|shocking|shocker|way\s+to\s+go)(?!\w)|"
    rf"\b(?:(?:another|a\s+true|a\s+real)\s+masterpiece|what\s+could\s+(?:possibly\s+)?go\s+wrong|"
    rf"cool\s+cool|gold\s+star|any\s+day\s+now|surely|naturally|back\s+at\s+it|oh\s+good|"
    rf"oh\s+great|very\s+thoughtful|truly\s+inspiring|new\s+record|legendary|as\s+expected|"
    rf"real\s+quick|quick\s+turnaround|you\s+had\s+one\s+job|brilliant|genius|stellar|"
    rf"impressive|incredible|fantastic|bang-?up|top\s+notch|10/10|chef{A}?s\s+kiss|smh|ffs|"
    rf"lmao|brace|did\s+{{AG}}\s+(?:really\s+)?think|thank\s+you,?\s+{{AG}}(?=.*(?:{NEGATIVE}|"
    rf"['‘’\"“])))(?!\w)|(?<!\w):(?:tada|trophy|star|popcorn|upside_down_face|clown_face|eyeroll|"
    rf"roll_eyes|rolling_eyes|facepalm|clap|slow_clap|unamused|skull|sweat_smile|grimacing):"
)

# The harm in the passive, its agent after "by": "the config was pushed by the release engineer
# without review", "introduced by Derek".
PASSIVE_HARM = (
    rf"\b(?:was|were|got|been|being)\s+(?:\w+\s+)?(?:triggered|caused|introduced|broken|"
    rf"started|taken\s+down|brought\s+down|deleted|dropped|wiped|corrupted|disabled|"
    rf"misconfigured|skipped|ignored|missed|overlooked|forgotten|botched|rushed|pushed|merged|"
    rf"deployed|shipped|approved|applied|run|ran|made|done)\s+(?:\S+\s+){{0,6}}?by\s+{{AG}}"
    rf"(?=.*(?:{NEGATIVE}|without|before|anyway|wrong|bad|broken))|\b(?:triggered|caused|"
    rf"introduced|broken|taken\s+down|brought\s+down|wiped|corrupted|botched)\s+by\s+{{AG}}"
)

# Sanctions, threats and shaming: punitive when someone is in the sentence.
PUNITIVE_MARKERS = (
    rf"\b(?:performance\s+(?:improvement\s+plan|review)|pip|hr|human\s+resources|"
    rf"(?:formal|written|final|verbal)\s+warning|bonus(?:es)?\s+(?:\w+\s+)?(?:docked|cut|"
    rf"withheld)|docked|on\s+probation|off\s+the\s+(?:team|rotation|project|on-?call)|pay\s+for\s+"
    rf"(?:this|that|it)|being\s+watched|goes\s+through\s+me|learns?\s+from\s+(?:his|her|their|"
    rf"{{AG}}{POSS})\s+(?:example|mistake)|(?:explain|explaining)\s+(?:himself|herself|themselves|"
    rf"yourself)|(?:access|rights|permissions|privileges|keys|sudo|superuser|root|admin)\s+"
    rf"(?:\w+\s+)?(?:is|are|was|were|should\s+be|will\s+be|has\s+been|have\s+been|gets?)\s+"
    rf"(?:\w+\s+)?(?:cut|revoked|removed|pulled|suspended|gone|taken\s+away|frozen)|"
    rf"(?:lose|loses|lost|losing)\s+(?:\w+\s+)?(?:superuser|sudo|admin|root|access|rights|"
    rf"privileges|permissions|merge|deploy|commit)|(?:merge|deploy|commit|admin|prod)\s+rights\s+"
    rf"(?:are|were|have\s+been)\s+(?:suspended|revoked|removed)|lessons?\s+(?:for|to)\s+{{AG}}|"
    rf"(?:note|notes|mark|flag)\s+(?:in|on)\s+{{AG}}{POSS}\s+(?:file|record|review)|payback|revenge|"
    rf"on\s+file|worst\s+offenders?|named\s+(?:and\s+shamed|at|in\s+front)|(?:he|she|they){A}?(?:s|re)\s+"
    rf"out\b|on\s+my\s+desk|answer(?:ing)?\s+to\s+(?:the\s+)?(?:vp|cto|ceo|director|me|hr)|public\s+"
    rf"apology|apologi[sz]e\s+(?:publicly|to\s+everyone|in\s+#)|what\s+not\s+to\s+do|who\s+caused\s+"
    rf"it|without\s+my\s+(?:\w+\s+)?(?:sign-?off|approval|say-?so|ok)|no\s+more\s+(?:sudo|access|prod|"
    rf"deploys?|root|admin|merges?)|off\s+the\s+table|one\s+more\s+(?:incident|outage|mistake|"
    rf"strike|screw-?up)|(?:be|been|being|get|got|getting|is|was|were)\s+(?:\w+\s+)?(?:fired|"
    rf"sacked|let\s+go)|manager\s+gets|for\s+(?:his|her|their)\s+(?:annual\s+"
    rf"|next\s+)?(?:performance\s+)?review|explain\s+to\s+(?:the\s+)?(?:customer|client|vp|cto|ceo)|"
    rf"loses?\s+(?:the\s+|their\s+|his\s+|her\s+)?(?:budget|bonus|headcount)|(?:gets|get)\s+no\s+"
    rf"more|(?:bonus|raise|promotion)\s+(?:is\s+)?(?:off|gone|cancel+ed|withheld|at\s+risk))(?!\w)"
)
