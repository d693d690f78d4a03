"""Word lists the wording check reads a sentence with: who can be an agent, and what cannot.

Data only. Regular-expression fragments are written for re.IGNORECASE unless they say otherwise.
"""

from __future__ import annotations

A = "['’]"  # an apostrophe, straight or curly


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# People who are not named: pronouns that stand for someone outside the writer's "we".
PRONOUNS = (
    r"he|she|someone|somebody|some\s+one|him|s/he|he/she|"
    r"her(?=\s*(?:[.,;:!?)]|$|\s+(?:for|to|and|but|again|about|on|in|at|with|because)\b))"
)
# "They" and "I" name people too, but also crowds and the writer: only strong blame counts.
WEAK_PRONOUNS = r"they|i"

# Words that never sit inside a role's name ("the part of ops", "a date nobody on the team").
FUNCTION_WORDS = (
    r"(?:of|to|in|on|for|with|and|or|at|by|from|the|a|an|is|was|were|are|who|that|which|this|"
    r"it|as|into|after|before|when|while|not|no|nobody|wrong|right|same|other|whole|entire|"
    r"\w+ed|owes|has|had|have|will|would|should|could)"
)

# Roles and functions; each may follow a determiner ("the", "our", "its", "whoever's"...).
ROLE_NOUNS = (
    r"on[- ]?call(?:\s+(?:engineer|person|responder|dev|developer|sre|human|folks?))?|"
    r"on[- ]?callers?|primary\s+on[- ]?call|secondary\s+on[- ]?call|"
    r"(?:site\s+)?reliability\s+engineers?|sres?|dbas?|pms?|ems?|tpms?|ics?|"
    r"(?:product|project|program|engineering|release|delivery|account)\s+managers?|managers?|"
    r"management|leadership|execs?|(?:tech(?:nical)?\s+)?leads?|"
    r"(?:qa|test|release|build|network|security|database|data|platform|infra(?:structure)?|"
    r"devops|ops|backend|back-end|frontend|front-end|mobile|ios|android|web|support|cloud|"
    r"systems?|junior|senior|staff|new|contract|on-site|field)\s+"
    r"(?:engineers?|devs?|developers?|analysts?|admins?|folks|people|guys|techs?|testers?|"
    r"hires?|leads?|architects?|operators?|staff|captains?|owners?|reviewers?)|"
    r"engineers?|developers?|devs|programmers?|coders?|interns?|new\s+hires?|juniors?|"
    r"contractors?|consultants?|sysadmins?|admins?|administrators?|testers?|reviewers?|"
    r"approvers?|(?:incident\s+)?commanders?|responders?|(?:service|code|component|team|"
    r"system|pr|change|feature|product)\s+owners?|owners?|(?:pr|change|patch|commit)\s+authors?|"
    r"authors?|(?:qa|support|ops|infra|devops|security|sec|netops|secops|dev)(?![\w-])|"
    r"operations|helpdesk|help\s+desk|guy|gal|person|folks|people|agency|agencies|soc|noc|iam|vendors?(?!\s+(?:feed|api|sdk|library|lib|code|data|software|tool|"
    r"package|image|firmware|driver|portal|status|docs?)\b)|noc|l[123](?:\s+support)?|"
    r"tier[- ]?[123](?:\s+support)?|night\s+shift|"
    r"(?:build|release|deploy)\s+(?:cop|captain|sheriff|marshal)|cops?|day\s+shift|first\s+responders?|deployers?|"
    r"marketing|sales|legal|finance|the\s+business|analysts?|designers?|data\s+scientists?|"
    r"directors?|vps?|cto|ceo|cio|ciso|head\s+of\s+\w+|architects?|scrum\s+masters?|"
    rf"(?:(?!{FUNCTION_WORDS}\b)[\w'’-]+\s+){{0,2}}(?:team|squad|crew|department|dept|org|group|shift|unit|desk)s?"
)
# Role words that stand alone without a determiner ("QA signed off", "ops missed it").
BARE_ROLES = (
    r"customer\s+success|l[123]\s+support|tier[- ]?[123]|product|noc|soc|marketing|legal|"
    r"networking|"
    r"qa|ops|devops|infra|sre|sres|dbas?|pms?|management|leadership|security|support|"
    r"netops|secops|dev|devs|eng|engineering|product|on[- ]?call|oncall"
)
DETERMINERS = r"the|a|an|our|their|its|his|her|your|my|one|some|every|each|whose"

# "we", "us", "our" are the team speaking about itself: never an agent of blame.
SELF = r"we|us|our|ourselves|let{A}s|the\s+team\s+and\s+i".replace("{A}", A)

# Proper names of tools and systems people write as subjects ("Kafka ignored the setting").
TECH_NAMES = _words(
    """
    kafka redis postgres postgresql mysql mariadb mongo mongodb cassandra elasticsearch
    elastic opensearch kibana grafana prometheus alertmanager datadog sentry pagerduty
    opsgenie splunk newrelic honeycomb jaeger zipkin loki thanos cortex terraform ansible
    puppet chef salt pulumi helm argo argocd flux spinnaker jenkins circleci travis github
    gitlab bitbucket buildkite kubernetes k8s docker podman nomad consul vault etcd
    zookeeper envoy istio linkerd nginx haproxy traefik apache tomcat jetty cloudflare
    fastly akamai cloudfront aws gcp azure lambda fargate ecs eks gke aks ec2 s3 rds aurora
    dynamo dynamodb sqs sns kinesis bigquery snowflake redshift airflow spark hadoop flink
    celery sidekiq rabbitmq nats memcached varnish squid logstash fluentd fluentbit vector
    statsd graphite nagios zabbix icinga okta auth0 stripe twilio sendgrid mailgun slack
    jira confluence zendesk salesforce heroku netlify vercel linux windows macos ubuntu
    debian centos rhel java python ruby rails django flask node nodejs go golang rust scala
    kotlin swift php perl bash cron systemd journald chrome safari firefox android ios
    openssl letsencrypt certbot dns bgp tcp udp http https grpc graphql rest json yaml xml
    csv sql nosql api sdk cli cdn vpn vpc lb elb alb nlb waf iam kms sso ldap saml oauth
    oidc jwt ci cd prod staging canary pgbouncer patroni vitess citus pgpool kubectl
    """
)

# Capitalised words that start sentences in postmortems and are not people.
COMMON_WORDS = _words(
    """
    as at by for from in into of on to with per via about over under off out up down a an
    the this that these those it its it's there here then when while after before during
    once since until because so but and or if though although however also still yet nobody
    nothing noone everyone everybody everything something anything anyone anybody all both
    each every some many most few several none no not never always often usually later
    earlier today yesterday tonight tomorrow now soon meanwhile overall finally first second
    third next last root cause causes impact detection resolution mitigation timeline
    summary action actions item items lessons lesson what why how who where which whose whom
    monitoring alerting alerts alert deploy deploys deployment deployments rollout rollouts
    rollback release releases build builds tests test testing traffic latency errors error
    retries requests customers users clients client service services servers server database
    databases cache caches queue queues disk disks memory cpu network networking config
    configs configuration dashboards dashboard logs logging metrics paging pages page
    runbook runbooks checks review reviews code change changes migration migrations backups
    backup jobs job cluster nodes node pods pod storage replication replicas failover load
    health status support security product sales engineering management leadership ops infra
    qa sre team teams staff oncall on-call january february march april may june july august
    september october november december monday tuesday wednesday thursday friday saturday
    sunday eu us uk utc pst est cet am pm inc sev sev1 sev2 sev3 sev4 p1 p2 p3 p4 ok okay
    yes yeah lol lgtm fyi imo tbh btw update updates note notes update: edit looks looking
    seems seemed turns turned given thanks thank great good nice well sorry please update
    investigating identified monitoring resolved mitigated customer user engineer engineers
    developer developers manager someone somebody he she they we you i me my mine your yours
    our ours their theirs his her hers him them us
    """
)

# Common first names, so a name that starts a sentence is known without a people list.
FIRST_NAMES = _words(
    """
    aaron abdul abdullah abhishek abigail adam adebayo adeola adewale aditi aditya adrian
    ahmed ahmad aisha akira akash alan alberto aleksandra alex alexa alexander alexandra
    alexei alexis ali alice alicia alison amanda amara amelia amir amit amy ana anan andre
    andrea andreas andrei andrew andy angela angelo anil anita anja ankit ann anna anne
    annika anthony antoine anton antonio anya arjun arnav arthur arun asha ashley ashok
    astrid ayesha ayumi barbara beatriz ben benjamin bianca bilal bjorn bob bogdan brad
    brandon brenda brian bridget bruno bryan caitlin camila carla carlos carmen carol
    caroline casey catherine cecilia chad chandra charles charlie charlotte chen chloe chris
    christian christina christine christopher chuck cindy claire clara claudia colin connor
    craig cristina dan dana daniel daniela danielle dario darius dave david deepak deepika
    derek diana diego dimitri dmitri dmitry dominic donald dong doug douglas duc dylan ed
    eddie edward elena eli elias elif elizabeth ella ellen emeka emily emma enrique eric
    erik erin esther ethan eva evan fabio farah fatima fatma felix fernando filip fiona
    francesca francesco frank fred freya gabriel gabriela gareth gary george georgia gina
    giovanni giulia greg gregory guillaume gustavo hannah hans hao harish harold harry
    hassan heather hector helen henrik henry hiroshi hugo hui ian ibrahim igor ilya ingrid
    irina isaac isabel isabella ivan jack jacob jake james jamal jan jane janet jason javier
    jay jean jeff jeffrey jen jennifer jeremy jessica ji jia jin joanna joao joe joel johan
    johannes john jon jonas jonathan jordan jorge jose joseph josh joshua juan julia julian
    julie jun justin kai kamal karen karim karthik kate katie kavya keisha kelly ken kenji
    kevin khalid kim kiran kofi kristen kumar kwame kyle lakshmi lars laura lauren leah lee
    lei leo leon li liam lin linda lisa liz lucas lucia luis luisa lukas luke magnus mahmoud
    maja malik manuel marc marco marcus maria mariana marie marina mario marta martin mary
    mateo mathias matt matteo matthew max maya megan mehmet mei melissa mia michael michelle
    miguel mike mikhail min ming mohamed mohammed mohammad monica muhammad nadia nanami
    naomi nate nathan neha nick nicholas nicole nikhil nikita nikolai nina ning noah nora
    nuno obi oleg oliver olga olivia olumide omar oscar owen pablo paolo patricia patrick
    paul paula pavel pedro peter petra philip pierre pooja prakash pranav priya priyanka
    rachel rafael rahul raj rajesh ram ramesh raphael raul ravi rebecca reza ricardo richard
    rick rob robert roberto rohan rohit roman ronald rosa ruben ruth ryan sabrina sadia
    sahil sam samir samuel sandeep sandra sanjay santiago sara sarah sasha satoshi scott
    sean sebastian sergei sergio shreya shu simon simone sipho sofia sophia sophie soren
    stefan stefano stephanie stephen steve steven sunil susan sven takeshi tamara tanya
    tariq tatiana teresa thabo thomas tim timothy tobias todd tom tomas tomasz tony tyler
    uma valentina vanessa vera victor victoria vijay vikram vincent vivek vlad vladimir wei
    wendy william xavier xin yan yang yasmin yuki yuri yusuf zain zara zoe zhang zoltan
    """
)

# First names that are also everyday words: a name only when capitalised mid-sentence.
WORDLIKE_NAMES = _words(
    """
    will may mark bill grace chase hunter jack rob pat sue art ray max rich amber summer
    june april august hope faith joy dawn rose iris ivy lily penny sky river stone wade drew
    gene don dean earl frank grant miles rusty sandy tanner victor
    """
)
