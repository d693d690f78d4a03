"""What bench/ingest.py checks besides speed: that metrics and JSON logs were on in hindsight
(read back from its /metrics and its log file), and how its first events after start compare
with the rest."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

CAPTURED = "hindsight_timeline_events_captured"  # counter, by kind
ACKS = "hindsight_http_ack_seconds"  # histogram, by request kind
BATCH = "hindsight_capture_batch_size"  # histogram
LOG_KEYS = {"time", "level", "logger", "message", "team", "incident", "request_kind"}
FIRST = 100  # "the first events after start"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) → value."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    response.raise_for_status()
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metrics_report(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], *, stored: int, acked: int
) -> tuple[list[str], bool]:
    """Lines for the figures /metrics gave, and whether they match what the bench did: every
    stored message counted once, every acknowledged event in the ack histogram."""
    captured = samples.get((f"{CAPTURED}_total", (("kind", "message"),)))
    acks = samples.get((f"{ACKS}_count", (("kind", "event"),)))
    batches = samples.get((f"{BATCH}_count", ()))
    batch_sum = samples.get((f"{BATCH}_sum", ()))
    lines = [
        f"/metrics: {CAPTURED}{{kind=message}} {captured}, {ACKS}_count{{kind=event}} {acks}, "
        f"{BATCH}: {batches} batches, mean {batch_sum / batches if batches else 0:.1f} changes"
    ]
    ok = captured == stored and acks is not None and acks >= acked
    if not ok:
        lines.append(f"/metrics: expected {stored} captured and at least {acked} event acks")
    return lines, ok


def logs_report(path: Path) -> tuple[list[str], bool]:
    """Every line of hindsight's log a JSON object with the structured keys; how many there
    were, and one request's line as a sample."""
    text = path.read_text(encoding="utf-8")
    objects, bad = [], 0
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(record, dict) and record.keys() >= LOG_KEYS:
            objects.append(record)
        else:
            bad += 1
    requests = [r for r in objects if r.get("request_kind") == "event"]
    lines = [
        f"logs ({path}): {len(objects)} JSON lines, {bad} not JSON with the structured keys, "
        f"{len(requests)} naming an event request"
    ]
    if requests:
        lines.append(f"  e.g. {json.dumps(requests[-1], ensure_ascii=False)}")
    return lines, bad == 0 and bool(objects)


def first_events_report(by_order: Sequence[float], later_p99_ms: float) -> tuple[str, bool]:
    """The first FIRST events hindsight got after /healthz said ok (no untimed warm-up) against
    the p99 of everything after them: met when their p99 is within 1.5× of it."""
    first = [seconds * 1000 for seconds in by_order[:FIRST]]
    if not first:
        return "first events: none timed", False
    p99 = percentile(first, 0.99)
    ok = p99 <= 1.5 * later_p99_ms
    line = (
        f"first {len(first)} events after /healthz: p50 {statistics.median(first):.1f} ms   "
        f"p99 {p99:.1f} ms   max {max(first):.1f} ms;  later events p99 {later_p99_ms:.1f} ms  "
        + ("(met: ≤ 1.5×)" if ok else "(NOT MET: > 1.5×)")
    )
    return line, ok
