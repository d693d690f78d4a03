"""Blameless wording: each category of blame is found and named, the traps pass, and
`hindsight wording` as a person runs it. The corpus-wide figures are in bench/wording.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.retro.wording import CATEGORY_LABELS, Finding, check_wording, needs_deeper_analysis

# One or more sentences per category of blame, with the words each finding must cover.
BLAMING: list[tuple[str, str, str]] = [
    ("second-person", "You merged the change without waiting for CI.", "You merged"),
    ("second-person", "you ignored the page for forty minutes", "you ignored"),
    ("second-person", "You should have checked the replica lag first.", "You should have"),
    ("role-or-team", "QA signed off without running the regression suite.", "QA signed off"),
    ("role-or-team", "The database team forgot to rotate the credentials.", "forgot"),
    ("role-or-team", "Whoever was on call silenced the alert.", "silenced"),
    ("role-or-team", "The release engineer skipped the canary.", "skipped"),
    ("role-or-team", "ops restarted the wrong cluster", "the wrong"),
    ("person", "Derek forgot to renew the certificate.", "Derek forgot"),
    ("person", "<@U024BE7LH> pushed a broken config to prod.", "broken"),
    ("person", "It broke because of Priya.", "because of Priya"),
    ("person", "It was Ana who turned off the rate limiter.", "It was Ana who"),
    ("conduct", "Kenji slept through four pages.", "slept through"),
    ("conduct", "The on-call engineer panicked and restarted everything.", "panicked"),
    ("conduct", "Tom can't write a regex to save his life.", "to save his life"),
    ("conduct", "Sloppy review let the bug through.", "Sloppy review"),
    ("counterfactual", "If Raj had paid attention, this would never have happened.", "If Raj had"),
    ("counterfactual", "Had the reviewer bothered to read the diff, we'd have caught it.", "Had"),
    ("counterfactual", "Carol should’ve checked the dashboard.", "Carol should’ve"),
    ("counterfactual", "Anyone could have seen this coming.", "Anyone could have seen"),
    ("sarcasm", "Derek broke the build again. Typical Derek.", "Typical Derek"),
    ("sarcasm", "As usual, the frontend team shipped on a Friday.", "As usual"),
    ("sarcasm", "Maybe next time ops will actually read the runbook.", "Maybe next time"),
    ("punitive", "Sven will think twice before pushing on a Friday.", "think twice"),
    ("punitive", "Revoke Mei's production access until further notice.", "access"),
    ("punitive", "Whoever did this needs to be held accountable.", "held accountable"),
    ("fault", "Mistakes by the infra team caused the outage.", "Mistakes by the infra team"),
    ("fault", "Lack of diligence by the release engineer meant no rollback plan.", "diligence"),
    ("fault", "The outage was Bob's fault.", "Bob's fault"),
    ("fault", "This one is squarely on the frontend team.", "on the frontend team"),
    ("human-error", "Root cause: human error.", "human error"),
    ("human-error", "PEBKAC, honestly.", "PEBKAC"),
    ("human-error", "The ticket was closed as 'user error'.", "user error"),
]

# The traps: blame words about systems, blame discussed or rejected, people in neutral or
# positive roles, the team about itself, negated blame; and plain systemic sentences.
PASSING: list[tuple[str, str]] = [
    ("trap-system-words", "The parser choked on sloppy date formats from the upstream feed."),
    ("trap-system-words", "The SDK didn't bother retrying on a 503."),
    ("trap-system-words", "The client should have known the token was expired."),
    ("trap-system-words", "The 'careless janitor' job deleted the temp files."),
    ("trap-system-words", "Kafka ignored the retention setting after the upgrade."),
    ("trap-system-words", "Lazy loading made the page slow; fault tolerance held."),
    ("trap-system-words", "As usual, p99 latency rose during the batch window."),
    ("trap-system-words", "The disk filled up again."),
    ("trap-discusses-blame", "Human error was not accepted as a root cause; we asked why."),
    ("trap-discusses-blame", "The term 'human error' was removed from the template."),
    ("trap-discusses-blame", "The human-error-prone manual step is being automated."),
    (
        "trap-discusses-blame",
        "We replaced 'the engineer failed to notice' with what the UI showed.",
    ),
    ("trap-discusses-blame", "We run blameless postmortems; git blame is for code."),
    ("trap-person-neutral", "Alice rolled back the deploy at 14:05."),
    ("trap-person-neutral", "Thanks to Sam's quick rollback, impact was limited."),
    ("trap-person-neutral", "<@U123> paged the database team and opened the bridge."),
    ("trap-person-neutral", "QA found the regression in staging before the release."),
    ("trap-person-neutral", "Alice would have noticed sooner if the alert had fired."),
    ("trap-person-neutral", "Alice should have been paged at 14:00."),
    ("trap-team-self", "We should have had a canary stage."),
    ("trap-team-self", "Our runbook was out of date."),
    ("trap-team-self", "We missed the alert because it went to an unused channel."),
    ("trap-negated", "Nobody's fault, really."),
    ("trap-negated", "It wasn't Bob's fault; the runbook was wrong."),
    ("trap-negated", "Mei wasn't careless: the form accepted the wrong value silently."),
    ("trap-negated", "Neither Kenji nor the reviewer could have seen it in the diff."),
    ("trap-negated", "Raj did nothing wrong."),
    ("systemic", "The migration took an exclusive lock on the orders table."),
    ("systemic", "The alert threshold was above the error rate we saw."),
    ("systemic", "The disk controller fault took the primary down."),
    ("systemic", "If you run the script without --dry-run, it deletes the bucket."),
    ("systemic", "Al's change rolled out at 14:00; Alice's error budget dashboard was red."),
    ("systemic", "Email dave@example.com about the runbook."),
    ("systemic", ""),
]


@pytest.mark.parametrize(("category", "sentence", "words"), BLAMING, ids=[s for _, s, _ in BLAMING])
def test_each_category_of_blame_is_found_and_named(
    category: str, sentence: str, words: str
) -> None:
    findings = check_wording(sentence)
    named = [f for f in findings if f.rule == category and words in f.text]
    assert named, findings
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.text
        assert finding.label == CATEGORY_LABELS[finding.rule] and finding.suggestion


@pytest.mark.parametrize(("category", "sentence"), PASSING, ids=[s for _, s in PASSING])
def test_traps_and_systemic_sentences_pass(category: str, sentence: str) -> None:
    assert check_wording(sentence) == []


def test_every_category_is_tested_on_both_sides() -> None:
    blaming = {category for category, _, _ in BLAMING}
    assert blaming == set(CATEGORY_LABELS) - {"shallow-whys"}
    traps = {category for category, _ in PASSING}
    assert {"trap-system-words", "trap-discusses-blame", "trap-person-neutral"} <= traps
    assert {"trap-team-self", "trap-negated", "systemic"} <= traps


def test_each_category_has_its_own_suggestion() -> None:
    suggestions = [check_wording(s)[0].suggestion for c, s, _ in BLAMING if c != "shallow-whys"]
    assert len(set(suggestions)) == len(set(CATEGORY_LABELS)) - 1


def test_findings_carry_positions_in_the_original_text() -> None:
    text = "At 14:05 Bob restarted the pods. Later <@U7> was careless, and it was Bob's fault."
    findings = check_wording(text, people=["Bob"])
    assert [(f.rule, f.text, f.start, f.end) for f in findings] == [
        ("conduct", "<@U7> was careless", 39, 57),
        ("fault", "Bob's fault", 70, 81),
    ]


def test_rules_ignore_case_but_report_the_words_as_written() -> None:
    findings = check_wording("ALICE FORGOT TO renew it. Human Error.", people=["alice"])
    assert [(f.rule, f.text) for f in findings] == [
        ("person", "ALICE FORGOT"),
        ("human-error", "Human Error"),
    ]


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_straight_and_curly_apostrophes_read_the_same(apostrophe: str) -> None:
    a = apostrophe
    text = f"It was Bob{a}s fault; she didn{a}t bother; Carol should{a}ve known"
    found = [(f.rule, f.text) for f in check_wording(text, people=["Bob"])]
    assert found == [
        ("fault", f"Bob{a}s fault"),
        ("person", f"she didn{a}t bother"),
        ("counterfactual", f"Carol should{a}ve"),
    ]


def test_names_from_the_workspace_count_in_lowercase_and_in_full() -> None:
    people = ["Carol Jones", "O’Brien", "Al", "zed"]
    assert [f.text for f in check_wording("Carol  Jones forgot to.", people=people)] == [
        "Carol  Jones forgot"
    ]
    assert [f.text for f in check_wording("carol forgot to.", people=people)] == ["carol forgot"]
    assert [f.text for f in check_wording("O'Brien forgot to.", people=people)] == [
        "O'Brien forgot"
    ]
    assert [f.text for f in check_wording("al forgot to renew it.", people=people)] == ["al forgot"]
    assert [f.text for f in check_wording("lol zed broke prod", people=people)] == ["zed broke"]
    assert check_wording("hal forgot to renew it; zedd broke prod", people=people) == []


def test_without_people_a_capitalised_name_as_the_subject_of_blame_is_a_person() -> None:
    assert [f.rule for f in check_wording("Olamide forgot to renew the certificate.")] == ["person"]
    assert check_wording("Olamide renewed the certificate.") == []
    assert check_wording("Revoke the old token; Rotate the keys.") == []
    assert check_wording("Terraform ignored the lock and Envoy dropped the connections.") == []


def test_a_long_answer_with_many_known_people_is_still_blameless() -> None:
    text = "The health check should have caught it and Alice restarted the pods. " * 45
    people = [f"Person{n} Surname{n}" for n in range(5000)] + ["Alice"]
    assert check_wording(text[:3000], people=people) == []


def test_a_single_why_is_a_nudge_to_dig_deeper() -> None:
    finding = needs_deeper_analysis(["  The cert expired.", "   "])
    assert finding is not None
    assert (finding.rule, finding.text, finding.start, finding.end) == (
        "shallow-whys",
        "The cert expired.",
        2,
        19,
    )
    assert "why" in finding.suggestion.lower()
    assert needs_deeper_analysis([]) == Finding("shallow-whys", "", finding.suggestion, 0, 0)
    assert needs_deeper_analysis(["Cert expired", "cert  EXPIRED"]) is not None


def test_two_whys_or_more_need_no_nudge() -> None:
    assert needs_deeper_analysis(["The cert expired.", "Renewal was manual."]) is None
    assert needs_deeper_analysis(["a", "b", "c", "d", "e"]) is None
    with pytest.raises(TypeError):
        needs_deeper_analysis("The cert expired.")


# `hindsight wording` as a person runs it


def run_wording(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess:
    repo = Path(__file__).resolve().parents[2]
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    # No Slack settings, and a database URL the other commands would refuse: not needed here.
    env |= {"PYTHONPATH": str(repo), "DATABASE_URL": "mysql://x@y/z"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "wording", *args],
        input=stdin.encode(),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )


def json_lines(output: bytes) -> list[dict]:
    return [json.loads(line) for line in output.decode().splitlines()]


def test_wording_reads_a_file_and_prints_one_json_line_per_input_line(tmp_path: Path) -> None:
    postmortem = tmp_path / "postmortem.md"
    postmortem.write_text(
        "The disk controller fault took the primary down.\n"
        "\n"
        "It was human error; Alice forgot to renew the cert.\r\n"
        "The alert should have fired.\n",
        encoding="utf-8",
    )
    result = run_wording([str(postmortem), "--person", "Alice"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    assert lines[0]["findings"] == [] and lines[1]["findings"] == [] and lines[3]["findings"] == []
    assert [(f["rule"], f["text"]) for f in lines[2]["findings"]] == [
        ("human-error", "human error"),
        ("person", "Alice forgot"),
    ]
    assert all(set(f) == {"rule", "label", "text", "suggestion"} for f in lines[2]["findings"])
    assert lines[2]["findings"][1]["label"] == "A person as the cause"
    assert result.stderr == b""


def test_wording_reads_stdin_without_a_file(tmp_path: Path) -> None:
    result = run_wording([], tmp_path, stdin="Bob’s fault, really.\nBob restarted the pods")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert lines == [
        {"line": 1, "findings": [lines[0]["findings"][0]]},
        {"line": 2, "findings": []},
    ]
    assert (lines[0]["findings"][0]["rule"], lines[0]["findings"][0]["text"]) == (
        "fault",
        "Bob’s fault",
    )


def test_wording_without_person_catches_a_plain_name_as_the_subject_of_blame(
    tmp_path: Path,
) -> None:
    text = "Derek forgot to renew the cert.\nIf Raj had paid attention we'd be fine.\n"
    text += "Derek renewed the cert at 14:05.\n"
    lines = json_lines(run_wording([], tmp_path, stdin=text).stdout)
    assert [[f["rule"] for f in line["findings"]] for line in lines] == [
        ["person"],
        ["counterfactual"],
        [],
    ]


def test_wording_on_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_wording([str(tmp_path / "nope.md")], tmp_path)
    assert result.returncode == 2
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert stderr.count("\n") == 1 and "nope.md" in stderr and "Traceback" not in stderr
