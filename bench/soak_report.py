"""The soak's printout: traffic, faults, ack latency, RSS, the checks, and the verdict."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bench.soak_check import Verdict
from bench.soak_procs import Incarnation

if TYPE_CHECKING:
    from bench.soak import Soak

RSS_GROWTH_LIMIT = 0.20
STEADY_AGE = 120.0  # a server's minute 2: warm, its caches filled


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def latency_line(name: str, values: list[float]) -> str:
    p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
    most = max(values, default=0.0) * 1000
    return (
        f"  {name:<12} {len(values):6d} answered 200   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
        f"   max {most:7.1f} ms"
    )


def rss_lines(lives: list[Incarnation], verdict: Verdict) -> list[str]:
    """Each server's RSS at start, at its minute 2 and at its end; growth from minute 2 to the
    end must stay under 20% for every server that lived past minute 2 and a half."""
    lines, measured = [], 0
    for life in lives:
        first = life.samples[0][1] if life.samples else None
        steady, last = life.rss_at_age(STEADY_AGE), life.last_rss
        text = f"  server {life.number} (pid {life.pid}, {life.age:.0f} s, {life.end}): "
        text += f"start {first or 0:.1f} MiB"
        if steady is not None and last is not None and life.age >= STEADY_AGE + 30:
            measured += 1
            growth = last / steady - 1
            text += f", minute 2 {steady:.1f} MiB, end {last:.1f} MiB: {growth:+.1%}"
            if growth >= RSS_GROWTH_LIMIT:
                verdict.fail(f"RSS: server {life.number} grew {growth:+.1%} after minute 2")
        else:
            text += f", end {last or 0:.1f} MiB (too short-lived to measure growth)"
        lines.append(text)
    if not measured:
        verdict.fail("RSS: no server lived long enough to measure growth after minute 2")
    return lines


def soak_rss(soak: Soak) -> str:
    """RSS of whichever server was up at the soak's start, at its minute 2 and at its end."""
    samples = [
        (life.started + age, rss, life.number)
        for life in soak.bot.incarnations
        for age, rss in life.samples
    ]
    if not samples:
        return "RSS: no samples"
    start = samples[0]
    minute2 = next((s for s in samples if s[0] >= STEADY_AGE), samples[-1])
    end = samples[-1]
    return (
        f"RSS (soak clock): start {start[1]:.1f} MiB (server {start[2]}), minute 2 "
        f"{minute2[1]:.1f} MiB (server {minute2[2]}), end {end[1]:.1f} MiB (server {end[2]})"
    )


def log_lines(soak: Soak) -> str:
    text = (soak.workdir / "bot.log").read_text(errors="replace")
    errors = len(re.findall(r"\bERROR\b", text))
    tracebacks = text.count("Traceback (most recent call last)")
    return (
        f"bot log: {errors} ERROR line(s), {tracebacks} traceback(s) ({soak.workdir}/bot.log); "
        f"fake Slack: {len(soak.slack.violations)} argument violation(s), "
        f"{len(soak.slack.rejections)} rejected payload(s)"
    )


def fault_lines(soak: Soak) -> list[str]:
    faults = soak.faults
    downs = [down for _, down in faults.kills if down is not None]
    bursts = {status: sum(1 for _, s in faults.bursts if s == status) for status in (429, 503)}
    failed = dict(soak.slack.burst_failures)
    return [
        f"faults: {len(faults.kills)} kill -9 (down {min(downs, default=0):.1f}–"
        f"{max(downs, default=0):.1f} s until /healthz), {len(faults.database)} database "
        f"({', '.join(sorted({what for _, what in faults.database})) or 'none'}), "
        f"{bursts[429]} bursts of 429 and {bursts[503]} of 503 ({failed.get(429, 0)} + "
        f"{failed.get(503, 0)} Web API calls failed), {len(faults.exits)} exit(s) by itself"
        + (f"; {faults.aimed} kill(s) aimed at a reminder DM's answer" if faults.aimed else ""),
    ]


def report(soak: Soak, verdict: Verdict) -> int:
    args, traffic, work = soak.args, soak.requests.traffic, soak.work
    print(f"\nsoak: {args.minutes:g} min on {args.database}, {args.rate:g} actions/s")
    actions = ", ".join(f"{name} {count}" for name, count in sorted(work.counts.items()))
    print(f"actions: {actions}; declares {len(work.declared)}")
    for kind, outcomes in sorted(traffic.statuses.items()):
        text = ", ".join(f"{name} ×{n}" for name, n in outcomes.most_common())
        print(f"deliveries ({kind}): {text}")
    print(
        f"events: {traffic.retries} retries, {traffic.duplicates} redeliveries of acknowledged "
        f"events, {traffic.given_up} given up (no delivery acknowledged)"
    )
    for line in fault_lines(soak):
        print(line)
    print("ack latency (as Slack sees it, over HTTP):")
    print(latency_line("all", traffic.all_latencies()))
    for kind, values in sorted(traffic.latencies.items()):
        print(latency_line(kind, values))
    print(soak_rss(soak))
    for line in rss_lines(soak.bot.incarnations, verdict):
        print(line)
    for line in verdict.figures:
        print(line)
    print(log_lines(soak))
    if verdict.failures:
        print("FAIL:")
        for line in verdict.failures:
            print(f"  {line}")
        return 1
    print("OK: nothing lost, nothing doubled, every modal answered within 3 s, RSS steady")
    return 0
