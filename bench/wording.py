"""Blameless-wording benchmark: precision and recall of `check_wording` on the labelled corpus.

Reads tests/data/wording/{dev,dev-*,heldout,fresh}.jsonl (one {"text", "label", "category"} a line)
and runs the detector on every sentence with no people list, as `hindsight wording` runs without
`--person`: names must be caught from the sentence alone. For each part it prints precision and
recall overall, recall per blaming category, the share of each systemic category that passes
untouched, the median and p99 time per sentence (the fastest of three runs each), and (with
--misses) every sentence it got wrong.

    .venv/bin/python bench/wording.py               # every part
    .venv/bin/python bench/wording.py --part dev --misses
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.retro.wording import check_wording  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "wording"
PARTS = ("dev", "heldout", "fresh")


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    blaming: bool
    category: str


@dataclass(frozen=True, slots=True)
class Outcome:
    sample: Sample
    flagged: bool
    found: str  # the categories found, for --misses
    seconds: float


def load(part: str) -> list[Sample]:
    """A part's sentences: dev.jsonl and its later batches (dev-2.jsonl…), or heldout.jsonl."""
    files = sorted(CORPUS.glob(f"{part}.jsonl")) + sorted(CORPUS.glob(f"{part}-*.jsonl"))
    rows = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    return [Sample(r["text"], r["label"] == "blaming", r["category"]) for r in rows]


def run(samples: list[Sample]) -> list[Outcome]:
    outcomes = []
    for sample in samples:
        seconds = float("inf")
        for _ in range(3):  # the fastest of three: what the check costs, not what else ran
            started = time.perf_counter()
            findings = check_wording(sample.text)
            seconds = min(seconds, time.perf_counter() - started)
        found = ",".join(sorted({f.rule for f in findings}))
        outcomes.append(Outcome(sample, bool(findings), found, seconds))
    return outcomes


def report(part: str, outcomes: list[Outcome], *, misses: bool) -> None:
    tp = sum(o.flagged and o.sample.blaming for o in outcomes)
    fp = sum(o.flagged and not o.sample.blaming for o in outcomes)
    positives = sum(o.sample.blaming for o in outcomes)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    times = sorted(o.seconds for o in outcomes)
    print(f"\n== {part}: {len(outcomes)} sentences ({positives} blaming) ==")
    print(f"precision {precision:.3f}  recall {recall:.3f}  ({tp} caught, {fp} false alarms)")
    print(
        f"time per sentence: median {statistics.median(times) * 1e3:.3f} ms, "
        f"p99 {times[int(len(times) * 0.99)] * 1e3:.3f} ms"
    )
    totals = Counter(o.sample.category for o in outcomes)
    right = Counter(o.sample.category for o in outcomes if o.flagged == o.sample.blaming)
    side = {o.sample.category: o.sample.blaming for o in outcomes}
    print(f"{'category':<22}{'n':>5}{'right':>7}{'rate':>7}  measure")
    for blaming in (True, False):
        for category in sorted(c for c in totals if side[c] == blaming):
            rate = right[category] / totals[category]
            measure = "recall" if blaming else "passes"
            print(f"{category:<22}{totals[category]:>5}{right[category]:>7}{rate:>7.2f}  {measure}")
    if misses:
        for o in outcomes:
            if o.flagged != o.sample.blaming:
                kind = "MISSED" if o.sample.blaming else f"FALSE[{o.found}]"
                print(f"{kind:<24}{o.sample.category:<20}{o.sample.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=PARTS, action="append", help="default: every part")
    parser.add_argument("--misses", action="store_true", help="print each sentence it got wrong")
    args = parser.parse_args()
    check_wording("warm the compiled patterns up")
    for part in args.part or PARTS:
        samples = load(part)
        if samples:
            report(part, run(samples), misses=args.misses)


if __name__ == "__main__":
    main()
