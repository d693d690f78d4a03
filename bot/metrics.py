"""Prometheus metrics (prometheus-client), served as text at GET /metrics.

Each runtime has its own CollectorRegistry, so two runtimes in one process (replicas in a test,
or two tests) never share counts, and each replica exposes its own. Counters and histograms move
as the work happens; their label children are resolved once here, since capture is the hot path.
The database gauges (incidents open, action items open and overdue, tracker intents pending) are
counted when scraped, by one statement of indexed COUNTs (`DatabaseGauges`). No label holds a
team id (one series per team would grow without bound) or anything secret.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.trackers.shapes import IntentState
from models import ActionItem, BackfillRun, Incident, TrackerIntent
from models.action import ActionStatus
from models.incident import IncidentStatus

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
REQUEST_KINDS = ("event", "command", "interaction", "other")
CAPTURE_KINDS = ("message", "edit", "delete", "reaction")
REMINDER_KINDS = ("action_item", "assigned_notice", "postmortem_debt")
ESCALATION_KINDS = ("action_item", "postmortem_debt")
# Slack waits 3 s for an ack; the buckets are dense below that.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
WEB_API_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)
SWEEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
GAUGE_TIMEOUT_SECONDS = 2.0  # a scrape answers without the database gauges past this

Clock = Callable[[], datetime]


class SweepFigures(Protocol):
    """What a reminder sweep reports (bot.followup.deliver.SweepReport)."""

    dms_sent: int
    failed: int
    notices_sent: int
    notices_failed: int
    debts_nudged: int
    debts_failed: int
    escalations: int
    escalations_failed: int
    debt_escalations: int
    debt_escalations_failed: int


class Metrics:
    """The runtime's registry and every metric in it."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        captured = Counter(
            "hindsight_timeline_events_captured",
            "Timeline changes stored from Slack events, by kind (message, edit, delete, reaction).",
            ["kind"],
            registry=registry,
        )
        self.captured = {kind: captured.labels(kind) for kind in CAPTURE_KINDS}
        acks = Histogram(
            "hindsight_http_ack_seconds",
            "Time from a Slack request's arrival to its HTTP answer, by request kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.acks = {kind: acks.labels(kind) for kind in REQUEST_KINDS}
        self.batch_size = Histogram(
            "hindsight_capture_batch_size",
            "Captured changes committed together in one group-commit transaction.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self._web_api_metrics(registry)
        self._reminder_counters(registry)
        self._process_gauges(registry)
        self.database: DatabaseGauges | None = None

    def _web_api_metrics(self, registry: CollectorRegistry) -> None:
        self._web_api_calls = Counter(
            "hindsight_slack_api_calls",
            "Slack Web API calls by method and outcome (ok, Slack's error code, 429, 5xx, "
            "timeout, connection_error), after the client's own retries.",
            ["method", "outcome"],
            registry=registry,
        )
        self._web_api_seconds = Histogram(
            "hindsight_slack_api_call_seconds",
            "Slack Web API call latency by method, retries and waits included.",
            ["method"],
            buckets=WEB_API_BUCKETS,
            registry=registry,
        )
        self._web_api_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def _process_gauges(self, registry: CollectorRegistry) -> None:
        # The process's memory, CPU, open files, Python version and GC, as every client shows.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.capture_queue = Gauge(
            "hindsight_capture_queue_depth",
            "Captured changes waiting for the group-commit writer in this process.",
            registry=registry,
        )
        self.gauge_errors = Counter(
            "hindsight_metrics_database_errors",
            "Scrapes whose database gauges could not be counted (left out of that scrape).",
            registry=registry,
        )

    def _reminder_counters(self, registry: CollectorRegistry) -> None:
        sent = Counter(
            "hindsight_reminders_sent",
            "Reminder DMs Slack took, by kind (action_item, assigned_notice, postmortem_debt).",
            ["kind"],
            registry=registry,
        )
        failed = Counter(
            "hindsight_reminders_failed",
            "Reminder DMs Slack refused or did not take, by kind.",
            ["kind"],
            registry=registry,
        )
        escalations = Counter(
            "hindsight_escalations_sent",
            "Escalations posted, by kind (action_item, postmortem_debt).",
            ["kind"],
            registry=registry,
        )
        self.reminders_sent = {kind: sent.labels(kind) for kind in REMINDER_KINDS}
        self.reminders_failed = {kind: failed.labels(kind) for kind in REMINDER_KINDS}
        self.escalations = {kind: escalations.labels(kind) for kind in ESCALATION_KINDS}
        escalations_failed = Counter(
            "hindsight_escalations_failed",
            "Escalations tried that Slack refused or did not take, by kind.",
            ["kind"],
            registry=registry,
        )
        self.escalations_failed = {k: escalations_failed.labels(k) for k in ESCALATION_KINDS}
        self.sweep_seconds = Histogram(
            "hindsight_reminder_sweep_seconds",
            "Duration of one team's reminder sweep (or the one workspace's), sends included.",
            buckets=SWEEP_BUCKETS,
            registry=registry,
        )
        self.sweeps_failed = Counter(
            "hindsight_reminder_sweeps_failed",
            "Reminder sweeps that ended with an error (the next one picks up what is due).",
            registry=registry,
        )

    # ---- recording -------------------------------------------------------------------------
    def observe_web_call(self, method: str, outcome: str, seconds: float) -> None:
        """One Slack Web API call (bot.slack.SlackWebClient calls this)."""
        children = self._web_api_children.get((method, outcome))
        if children is None:
            children = (
                self._web_api_calls.labels(method, outcome),
                self._web_api_seconds.labels(method),
            )
            self._web_api_children[(method, outcome)] = children
        calls, latency = children
        calls.inc()
        latency.observe(seconds)

    def record_sweep(self, report: SweepFigures, seconds: float) -> None:
        self.sweep_seconds.observe(seconds)
        for kind, sent, failed in (
            ("action_item", report.dms_sent, report.failed),
            ("assigned_notice", report.notices_sent, report.notices_failed),
            ("postmortem_debt", report.debts_nudged, report.debts_failed),
        ):
            self.reminders_sent[kind].inc(sent)
            self.reminders_failed[kind].inc(failed)
        self.escalations["action_item"].inc(report.escalations)
        self.escalations["postmortem_debt"].inc(report.debt_escalations)
        self.escalations_failed["action_item"].inc(report.escalations_failed)
        self.escalations_failed["postmortem_debt"].inc(report.debt_escalations_failed)

    def watch_capture_queue(self, depth: Callable[[], int]) -> None:
        self.capture_queue.set_function(depth)

    def count_from(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        """Count the database gauges from these sessions at each scrape."""
        self.database = DatabaseGauges(sessions, clock)
        self.registry.register(self.database)

    # ---- the scrape ------------------------------------------------------------------------
    async def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The body and content type of a scrape (the format the Accept header asks for)."""
        if self.database is not None:
            try:
                async with asyncio.timeout(GAUGE_TIMEOUT_SECONDS):
                    await self.database.refresh()
            except Exception as error:  # the rest of the scrape is still worth having
                logger.warning("metrics: database gauges not counted: %r", error)
                self.database.counts = None
                self.gauge_errors.inc()
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


@dataclass(slots=True)
class GaugeCounts:
    incidents_open: int
    action_items_open: int
    action_items_overdue: int
    tracker_intents_pending: int
    backfills_unfinished: int


def counts_statement(today: date) -> Select[tuple[int, int, int, int, int]]:
    """One round trip, each COUNT on an index or a small table: action items by
    ix_action_items_due (status first), intents by ix_tracker_intents_due (state first),
    backfills by ix_backfill_runs_unfinished (finished_at first)."""
    open_items = select(func.count()).where(ActionItem.status == ActionStatus.OPEN)
    closed = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    return select(
        select(func.count()).where(Incident.status.not_in(closed)).scalar_subquery(),
        open_items.scalar_subquery(),
        open_items.where(ActionItem.due_date < today).scalar_subquery(),
        select(func.count()).where(TrackerIntent.state == IntentState.PENDING).scalar_subquery(),
        select(func.count()).where(BackfillRun.finished_at.is_(None)).scalar_subquery(),
    )


class DatabaseGauges:
    """A collector: the counts read by the last `refresh`, as gauges (none if it failed)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.counts: GaugeCounts | None = None

    async def refresh(self) -> None:
        async with self.sessions() as session:
            row = (await session.execute(counts_statement(self.clock().date()))).one()
        self.counts = GaugeCounts(*row)

    def collect(self) -> Iterable[Metric]:
        counts = self.counts
        if counts is None:
            return
        yield gauge(
            "hindsight_incidents_open", "Incidents not resolved or closed.", counts.incidents_open
        )
        yield gauge("hindsight_action_items_open", "Action items open.", counts.action_items_open)
        yield gauge(
            "hindsight_action_items_overdue",
            "Open action items past their due date (UTC).",
            counts.action_items_overdue,
        )
        yield gauge(
            "hindsight_tracker_outbox_depth",
            "Tracker intents (GitHub/Jira) waiting for their next attempt.",
            counts.tracker_intents_pending,
        )
        yield gauge(
            "hindsight_backfills_unfinished",
            "Channel histories still being read into a timeline (resumed after a restart).",
            counts.backfills_unfinished,
        )


def gauge(name: str, documentation: str, value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
