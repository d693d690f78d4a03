"""Blameless wording rules: blame is found, systemic sentences pass, and `hindsight wording`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.retro.wording import Finding, check_wording, needs_deeper_analysis

PEOPLE = ("Alice", "Bob", "Carol Jones", "Al")

BLAMING: list[tuple[str, list[tuple[str, str]]]] = [
    # the hard cases the issue names
    ("Alice should have known better.", [("hindsight-bias", "Alice should have known better")]),
    ("<@U1> was careless with the config.", [("person-as-cause", "<@U1> was careless")]),
    ("The outage was Bob's fault.", [("person-as-cause", "Bob's fault")]),
    ("Human error by the on-call engineer.", [("human-error", "Human error")]),
    # blame language, whoever it is about
    ("It was my fault, sorry.", [("blame-word", "my fault")]),
    ("Whose fault was it?", [("blame-word", "Whose fault")]),
    ("Who was at fault for the outage?", [("blame-word", "Who was at fault")]),
    ("They blamed the network team.", [("blame-word", "blamed")]),
    ("A careless config change took the site down.", [("blame-word", "careless")]),
    ("The rollout was negligent.", [("blame-word", "negligent")]),
    ("Incompetent handling of the pager made it worse.", [("blame-word", "Incompetent")]),
    ("Sloppy review let the bug through.", [("blame-word", "Sloppy")]),
    ("That was a stupid mistake.", [("blame-word", "stupid")]),
    ("A lazy shortcut in the runbook.", [("blame-word", "lazy")]),
    ("This was a rookie mistake.", [("blame-word", "rookie mistake")]),
    ("Ops dropped the ball on the follow-up.", [("blame-word", "dropped the ball")]),
    ("The team didn’t bother to read it.", [("blame-word", "didn’t bother")]),
    ("The migration messed up the index.", [("blame-word", "messed up")]),
    ("PEBKAC, honestly.", [("human-error", "PEBKAC")]),
    ("Root cause: operator error.", [("human-error", "operator error")]),
    # a person as the cause
    ("Alice forgot to renew the certificate.", [("person-as-cause", "Alice forgot to")]),
    ("Bob failed to run the migration.", [("person-as-cause", "Bob failed to")]),
    ("It broke because Alice pushed a bad config.", [("person-as-cause", "because Alice")]),
    ("It was Bob’s mistake.", [("person-as-cause", "Bob’s mistake")]),
    ("Blame it on <@U2|bob>.", [("person-as-cause", "Blame it on <@U2|bob>")]),
    ("<@U2|bob> made a typo in the DNS record.", [("person-as-cause", "<@U2|bob> made a typo")]),
    (
        "The on-call engineer ignored the alert.",
        [("person-as-cause", "The on-call engineer ignored")],
    ),
    ("The intern didn't bother to check.", [("person-as-cause", "The intern didn't bother")]),
    ("He screwed up the migration.", [("person-as-cause", "He screwed up")]),
    ("Alice was at fault.", [("person-as-cause", "Alice was at fault")]),
    ("Outage caused by Carol Jones.", [("person-as-cause", "caused by Carol Jones")]),
    ("Carol missed the page.", [("person-as-cause", "Carol missed")]),
    ("@dave forgot to tag the release.", [("person-as-cause", "@dave forgot to")]),
    ("Al forgot to update the runbook.", [("person-as-cause", "Al forgot to")]),
    ("It's not just Bob's fault.", [("person-as-cause", "Bob's fault")]),
    # counterfactuals about people, and hindsight
    ("Carol should’ve checked the dashboard.", [("hindsight-bias", "Carol should’ve")]),
    ("Carol Jones could have caught this.", [("hindsight-bias", "Carol Jones could have")]),
    (
        "The responder should not have restarted the primary.",
        [("hindsight-bias", "The responder should not have")],
    ),
    ("Someone should have noticed.", [("hindsight-bias", "Someone should have")]),
    ("Anyone could have seen this coming.", [("hindsight-bias", "Anyone could have seen")]),
    ("It should have been obvious.", [("hindsight-bias", "should have been obvious")]),
    ("The team should have known.", [("hindsight-bias", "should have known")]),
    # several in one paragraph, in order
    (
        "Alice forgot to renew it; it was a careless slip and human error.",
        [
            ("person-as-cause", "Alice forgot to"),
            ("blame-word", "careless"),
            ("human-error", "human error"),
        ],
    ),
]

BLAMELESS = [
    # the hard cases the issue names
    "The disk controller fault took the primary down.",
    "We need better fault tolerance.",
    "Fault injection in staging found nothing.",
    "The worker died with a segmentation fault.",
    "The health check should have caught it.",
    "The alert should have fired at 14:02.",
    "Alice rolled back the deploy.",
    "<@U123> paged the on-call.",
    "Bob restarted the pods at 14:05.",
    "We run blameless postmortems.",
    "No one is to blame for this outage.",
    # more technical faults and system subjects
    "Our fault-tolerant design held.",
    "The team's fault injection suite passed.",
    "It's fault tolerant by design.",
    "The disk was at fault.",
    "A page fault storm slowed the JVM.",
    "The job failed to start after the deploy.",
    "The deploy should have been blocked by CI.",
    "The retry loop could have hidden the errors for hours.",
    "The migration caused a lock on the orders table.",
    "Lazy loading made the page slow.",
    "git blame shows the change came from the 4.2 refactor.",
    # people in neutral roles, and defended
    "Carol took the incident commander role.",
    "<@U9|dana> declared the incident and opened the bridge.",
    "Alice couldn’t have known the flag was shared.",
    "Alice should have been paged at 14:00.",
    "Alice would have noticed sooner if the alert had fired.",
    "Alice is not to blame.",
    "It wasn't Bob's fault; the runbook was wrong.",
    "Nobody's fault, really.",
    "We don't blame people here; the blame game helps no one.",
    "We should have had a canary stage.",
    "Al's change rolled out at 14:00.",
    "Also the alert fired late, et al. said so.",
    "Alice's error budget dashboard was red.",
    "Email dave@example.com about the runbook.",
    "",
]


@pytest.mark.parametrize(("sentence", "expected"), BLAMING, ids=[s for s, _ in BLAMING])
def test_blaming_sentences_are_found_with_their_rule_and_words(
    sentence: str, expected: list[tuple[str, str]]
) -> None:
    findings = check_wording(sentence, people=PEOPLE)
    assert [(f.rule, f.text) for f in findings] == expected
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.text
        assert finding.suggestion


@pytest.mark.parametrize("sentence", BLAMELESS)
def test_blameless_sentences_pass(sentence: str) -> None:
    assert check_wording(sentence, people=PEOPLE) == []


def test_the_tables_are_big_enough() -> None:
    assert len(BLAMING) >= 25 and len([s for s in BLAMELESS if s]) >= 25


def test_findings_carry_positions_in_the_original_text() -> None:
    text = "At 14:05 Bob restarted the pods. Later <@U7> was careless, and it was Bob's fault."
    findings = check_wording(text, people=["Bob"])
    assert findings == [
        Finding("person-as-cause", "<@U7> was careless", findings[0].suggestion, 39, 57),
        Finding("person-as-cause", "Bob's fault", findings[1].suggestion, 70, 81),
    ]


def test_rules_ignore_case_but_report_the_words_as_written() -> None:
    findings = check_wording("ALICE FORGOT TO renew it. CARELESS. Human Error.", people=["alice"])
    assert [(f.rule, f.text) for f in findings] == [
        ("person-as-cause", "ALICE FORGOT TO"),
        ("blame-word", "CARELESS"),
        ("human-error", "Human Error"),
    ]


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_straight_and_curly_apostrophes_read_the_same(apostrophe: str) -> None:
    a = apostrophe
    text = f"It was Bob{a}s fault; she didn{a}t bother; we should{a}ve known"
    found = [(f.rule, f.text) for f in check_wording(text, people=["Bob"])]
    assert found == [
        ("person-as-cause", f"Bob{a}s fault"),
        ("person-as-cause", f"she didn{a}t bother"),
        ("hindsight-bias", f"should{a}ve known"),
    ]


def test_a_name_matches_only_as_a_whole_word() -> None:
    people = ["Al"]
    assert check_wording("Alice forgot to renew it; also forgot to tag it.", people=people) == []
    assert check_wording("Alfred forgot to renew it.", people=people) == []
    assert check_wording("Hal forgot to renew it; it was Sal's mistake.", people=people) == []
    assert [f.text for f in check_wording("al forgot to renew it.", people=people)] == [
        "al forgot to"
    ]


def test_a_name_from_the_cache_matches_in_full_or_by_its_first_word() -> None:
    people = ["Carol Jones", "O’Brien"]
    assert [f.text for f in check_wording("Carol  Jones forgot to.", people=people)] == [
        "Carol  Jones forgot to"
    ]
    assert [f.text for f in check_wording("carol forgot to.", people=people)] == ["carol forgot to"]
    assert [f.text for f in check_wording("O'Brien forgot to.", people=people)] == [
        "O'Brien forgot to"
    ]


def test_without_people_an_unknown_name_is_not_a_person() -> None:
    assert check_wording("Alice forgot to renew the certificate.") == []
    assert [f.rule for f in check_wording("The outage was Bob's fault.")] == ["blame-word"]


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


def test_a_long_answer_with_many_known_people_is_still_blameless() -> None:
    text = "The health check should have caught it and Alice restarted the pods. " * 45
    people = [f"Person{n} Surname{n}" for n in range(500)] + ["Alice"]
    assert check_wording(text[:3000], people=people) == []


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
        ("person-as-cause", "Alice forgot to"),
    ]
    assert all(set(f) == {"rule", "text", "suggestion"} for f in lines[2]["findings"])
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
        "blame-word",
        "Bob’s fault",
    )


def test_wording_on_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_wording([str(tmp_path / "nope.md")], tmp_path)
    assert result.returncode == 2
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert stderr.count("\n") == 1 and "nope.md" in stderr and "Traceback" not in stderr
