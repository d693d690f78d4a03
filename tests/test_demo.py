"""`hindsight demo` on a fresh machine: no SLACK_* nor DATABASE_URL, under 30 s, a postmortem
that holds what the retro wrote, a transcript of the follow-through, and a database that
`hindsight export` reads afterwards; docs/example-postmortem.md is what it writes today."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HINDSIGHT = str(Path(sys.executable).with_name("hindsight"))


def bare_environment(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()), **extra}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, float]:
    out = tmp_path_factory.mktemp("demo") / "out"
    began = time.monotonic()
    done = subprocess.run(
        [HINDSIGHT, "demo", "--out", str(out)],
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    took = time.monotonic() - began
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout, took


def test_the_demo_runs_without_settings_in_under_30_seconds(demo: tuple[Path, str, float]) -> None:
    out, printed, took = demo
    assert took < 30
    for name in ("postmortem.md", "postmortem.json", "transcript.txt", "hindsight.db"):
        assert (out / name).is_file(), name
    assert "[1/7] A responder declares the incident" in printed
    assert (out / "transcript.txt").read_text().strip() == printed.strip()


def test_the_document_holds_the_root_cause_the_items_and_the_marked_timeline(
    demo: tuple[Path, str, float],
) -> None:
    document = (demo[0] / "postmortem.md").read_text()
    assert "# INC-1: Checkout errors after deploy" in document
    assert "ran before its database migration, and nothing in the pipeline" in document
    assert "forgot" not in document  # the blaming sentence was reworded
    assert "| Run migrations in the deploy pipeline, before the new code | dana |" in document
    assert "| Page on checkout 5xx rate above 2% for 2 minutes | sam |" in document
    timeline = document.split("\n## Timeline\n")[1].split("\n## ")[0]
    for entry in (
        "Detection · **Grafana Alerts**",
        "Action · **sam**",
        "Mitigation · **Grafana Alerts**",
        "Key event · **sam**",
        "Status changed to resolved",
    ):
        assert entry in timeline, entry
    record = (demo[0] / "postmortem.json").read_text()
    assert '"format": "hindsight.incident/1"' in record and "orders_v2" in record


def test_the_transcript_shows_the_suggestion_reminder_snooze_done_and_escalation(
    demo: tuple[Path, str, float],
) -> None:
    transcript = (demo[0] / "transcript.txt").read_text()
    in_order = [
        "answers inline, under the field: “@sam forgot”: A person as the cause. ",
        "hindsight DMs @dana: Action items that need a look",
        "@dana: presses Snooze 1 day on the reminder",
        "@dana: presses Done on the reminder",
        "hindsight DMs @bob: Could you help with an action item from INC-1",
        "is 8 working days past due",
    ]
    positions = [transcript.index(line) for line in in_order]
    assert positions == sorted(positions)


def test_export_reads_the_demo_database_and_prints_the_same_document(
    demo: tuple[Path, str, float],
) -> None:
    out = demo[0]
    database = f"sqlite:///{(out / 'hindsight.db').resolve()}"
    done = subprocess.run(
        [HINDSIGHT, "export", "INC-1"],
        env=bare_environment(DATABASE_URL=database),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (out / "postmortem.md").read_text()


def test_the_example_postmortem_in_docs_is_what_the_demo_writes_today(
    demo: tuple[Path, str, float],
) -> None:
    example = (ROOT / "docs" / "example-postmortem.md").read_text()
    assert example == (demo[0] / "postmortem.md").read_text(), (
        "regenerate it: hindsight demo --out /tmp/demo && cp /tmp/demo/postmortem.md docs/"
        "example-postmortem.md"
    )
