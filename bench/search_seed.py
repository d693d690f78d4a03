"""The search benchmark's data: published postmortems with their timelines, written in bulk.

Words come from one vocabulary (incident words first, then made-up identifiers for the long
tail) drawn by a Zipf-Mandelbrot law, p(rank) ∝ 1 / (rank + 10): the most frequent word is in
about one message in eight, the 100th in one in seventy, the 1000th in one in six hundred.
Every incident is published: a title, what happened, one to three services, a retrospective
with two to four contributing factors (one to three whys each), the lessons and three to five
action items, and its share of the timeline messages (some with mentions and links, a third
with one of 20 chat words that no postmortem uses).

SQLite: executemany in chunks (the search triggers index as rows arrive). PostgreSQL: COPY
(the generated columns and GIN indexes are filled as rows arrive).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from models import ActionItem, ContributingFactor, Incident, Retrospective, TimelineEvent

CHUNK = 20_000
DOCS = "https://app.slack.com/docs"
START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN_DAYS = 730
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
_HEAD_WORDS = """
error timeout database latency deploy rollback checkout payment api cache redis kafka queue
connection pool dns certificate expired memory cpu disk replica primary failover alert pager
incident customer request retry throttle rate limit config flag release migration schema index
query slow lock deadlock shard cluster node pod container kubernetes helm ingress gateway proxy
load balancer upstream downstream service endpoint health check probe restart crash oom leak
heap thread goroutine socket tls handshake network packet loss jitter bandwidth region zone
outage degraded partial recovered mitigated resolved monitoring dashboard graph metric log
trace span sampling storage bucket object s3 backup restore snapshot volume mount filesystem
permission token auth login session cookie oauth saml sso password secret vault key rotation
cron job batch worker consumer producer topic partition offset lag backlog scheduler timer
webhook callback integration vendor provider upstream cdn edge cache purge invalidation stale
build pipeline ci artifact image registry version upgrade downgrade patch hotfix revert commit
review approval test staging production canary percentage traffic shift blue green cutover
search elasticsearch postgres mysql mongodb cassandra dynamo sqs sns lambda function cold start
billing invoice refund cart order inventory shipping email notification push sms mobile ios
android web frontend backend javascript bundle cdn asset font image thumbnail upload download
"""
HEAD_WORDS = _HEAD_WORDS.split()
SERVICES = [f"svc-{name}" for name in HEAD_WORDS[:40]]
# Chat words: only ever in messages (one in three messages has one, so each is in about one
# message in sixty), never in a postmortem; a search for one reads the timeline index.
_CHAT_WORDS = """lgtm ack brb grafana pagerduty zoom bridge paging escalating eta
investigating confirmed seeing anyone thanks standby hotfixing bisecting repro flapping"""
CHAT_WORDS = _CHAT_WORDS.split()
_SYLLABLES = "ka lo mi re tu va no shi ze pa qu bor dex fin gal hom jun kel mar nix"
SYLLABLES = _SYLLABLES.split()


def vocabulary(size: int) -> list[str]:
    """The head words, then made-up ones (three syllables) up to `size`, in rank order."""
    words = list(dict.fromkeys(HEAD_WORDS))
    for parts in itertools.product(SYLLABLES, repeat=3):
        if len(words) >= size:
            break
        words.append("".join(parts))
    return words


class Words:
    """Draws words by rank: p(rank) ∝ 1 / (rank + 10)."""

    def __init__(self, rng: random.Random, size: int = 8000) -> None:
        self.rng = rng
        self.vocabulary = vocabulary(size)
        self.cumulative = list(
            itertools.accumulate(1 / (rank + 10) for rank in range(1, len(self.vocabulary) + 1))
        )

    def draw(self, count: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)

    def sentence(self, low: int, high: int) -> str:
        words = self.draw(self.rng.randint(low, high))
        return " ".join(words).capitalize() + "."


class Ids:
    """Row ids for factors and action items, counted across teams."""

    def __init__(self) -> None:
        self.factors = itertools.count(1)
        self.actions = itertools.count(1)


def _defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """`row` with every other column given its model default (COPY sends every column)."""
    for column in table.columns:
        if column.name in row or column.computed is not None:
            continue
        default = column.default
        if default is None:
            row[column.name] = None
        elif default.is_callable:
            row[column.name] = default.arg(None)  # type: ignore[operator, union-attr]
        else:
            row[column.name] = default.arg  # type: ignore[union-attr]
    return row


def incident_rows(
    rng: random.Random, words: Words, team_id: str, first_id: int, count: int, ids: Ids
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table name, row) for `count` published incidents and all their retrospective rows."""
    for n in range(count):
        incident_id = first_id + n
        started = START + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        yield (
            "incidents",
            {
                "id": incident_id,
                "team_id": team_id,
                "number": n + 1,
                "title": " ".join(words.draw(rng.randint(3, 6))).capitalize(),
                "summary": words.sentence(15, 30),
                "severity": rng.choice(SEVERITIES),
                "status": "resolved",
                "postmortem_state": "published",
                "channel_id": f"C{incident_id:09d}",
                "declared_by": "U0BENCH",
                "services": rng.sample(SERVICES, rng.randint(1, 3)),
                "started_at": started,
                "resolved_at": started + timedelta(hours=rng.randint(1, 30)),
                "created_at": started,
                "updated_at": started,
            },
        )
        yield (
            "retrospectives",
            {
                "id": incident_id,
                "team_id": team_id,
                "incident_id": incident_id,
                "summary": words.sentence(20, 40),
                "customer_impact": words.sentence(8, 20),
                "went_well": words.sentence(6, 15),
                "went_badly": words.sentence(6, 15),
                "got_lucky": words.sentence(4, 10),
                "published_at": started + timedelta(days=3),
                "document_ref": f"canvas:F{incident_id:09d}:{DOCS}/{team_id}/F{incident_id:09d}",
                "created_at": started,
                "updated_at": started,
            },
        )
        for position in range(rng.randint(2, 4)):
            yield (
                "contributing_factors",
                {
                    "id": next(ids.factors),
                    "team_id": team_id,
                    "retrospective_id": incident_id,
                    "position": position,
                    "category": "configuration",
                    "description": words.sentence(8, 20),
                    "whys": [words.sentence(5, 12) for _ in range(rng.randint(1, 3))],
                },
            )
        for _ in range(rng.randint(3, 5)):
            yield (
                "action_items",
                {
                    "id": next(ids.actions),
                    "team_id": team_id,
                    "incident_id": incident_id,
                    "title": words.sentence(4, 9),
                    "owner_id": "U0BENCH",
                    "created_by": "U0BENCH",
                    "created_at": started,
                    "updated_at": started,
                },
            )


def message_rows(
    rng: random.Random, words: Words, team_id: str, incidents: range, count: int, first_id: int
) -> Iterator[dict[str, Any]]:
    """`count` captured messages spread over the incidents, a few minutes apart."""
    per_incident = max(1, count // len(incidents))
    for n in range(count):
        incident_id = incidents[min(n // per_incident, len(incidents) - 1)]
        when = START + timedelta(seconds=n * 7)
        text_ = " ".join(words.draw(rng.randint(6, 20)))
        if rng.random() < 1 / 3:
            text_ += " " + rng.choice(CHAT_WORDS)
        if n % 10 == 0:
            text_ = f"<@U{n % 97:07d}> {text_}"
        if n % 50 == 0:
            text_ += f" <https://grafana.example/d/{n}|dashboard>"
        yield {
            "id": first_id + n,
            "team_id": team_id,
            "incident_id": incident_id,
            "source": "message",
            "channel_id": f"C{incident_id:09d}",
            "ts": f"{int(when.timestamp())}.{n % 1_000_000:06d}",
            "author_id": f"U{n % 97:07d}",
            "text": text_,
            "files": [],
            "occurred_at": when,
            "created_at": when,
        }


TABLES = {
    model.__table__.name: model.__table__
    for model in (Incident, Retrospective, ContributingFactor, ActionItem, TimelineEvent)
}


async def write_rows(engine: AsyncEngine, table_name: str, rows: list[dict[str, Any]]) -> None:
    table = TABLES[table_name]
    rows = [_defaults(table, row) for row in rows]
    async with engine.begin() as connection:
        if engine.dialect.name != "postgresql":
            await connection.execute(insert(table), rows)
            return
        columns = [c.name for c in table.columns if c.computed is None]
        raw = (await connection.get_raw_connection()).driver_connection
        records = [tuple(_copy_value(row[c]) for c in columns) for row in rows]
        await raw.copy_records_to_table(table_name, records=records, columns=columns)


def _copy_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list) else value


async def seed(
    engine: AsyncEngine, *, teams: list[tuple[str, int, int]], rng_seed: int = 13
) -> Words:
    """Each (team, incidents, messages), written in chunks; prints its progress."""
    rng = random.Random(rng_seed)
    words = Words(rng)
    ids = Ids()
    first_incident, first_message = 1, 1
    for team_id, incidents, messages in teams:
        began = time.perf_counter()
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for name, row in incident_rows(rng, words, team_id, first_incident, incidents, ids):
            pending[name].append(row)
        for name in ("incidents", "retrospectives", "contributing_factors", "action_items"):
            for start in range(0, len(pending[name]), CHUNK):
                await write_rows(engine, name, pending[name][start : start + CHUNK])
        incident_ids = range(first_incident, first_incident + incidents)
        chunk: list[dict[str, Any]] = []
        for row in message_rows(rng, words, team_id, incident_ids, messages, first_message):
            chunk.append(row)
            if len(chunk) == CHUNK:
                await write_rows(engine, "timeline_events", chunk)
                chunk = []
        if chunk:
            await write_rows(engine, "timeline_events", chunk)
        first_incident += incidents
        first_message += messages
        took = time.perf_counter() - began
        print(f"seeded {team_id}: {incidents} incidents, {messages} messages in {took:.0f} s")
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for name in TABLES:
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                        f" (SELECT max(id) FROM {name}))"
                    )
                )
        # What autovacuum would have done by now: the triggers rewrote each document once per
        # row added to its incident, and a search then reads past the dead versions.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    return words
