"""What each category of blame is called, and the systemic rewording offered for it."""

from __future__ import annotations

CATEGORY_LABELS: dict[str, str] = {
    "second-person": "Blame in the second person",
    "person": "A person as the cause",
    "role-or-team": "A team or role as the cause",
    "conduct": "A judgement of someone's conduct or character",
    "counterfactual": "Hindsight about what someone should have done",
    "sarcasm": "Sarcasm or passive aggression",
    "punitive": "A punitive lesson",
    "fault": "Fault or mistakes pinned on someone",
    "human-error": "“Human error” as a cause",
    "shallow-whys": "One why is not a cause",
}

SUGGESTIONS: dict[str, str] = {
    "second-person": (
        "Write about the work, not to a person: say what the system allowed, e.g. 'the merge "
        "went ahead because CI was not required on the release branch' rather than 'you merged "
        "without waiting'."
    ),
    "person": (
        "Name the system, not the person: what in the system let this happen? e.g. 'the deploy "
        "pipeline had no check for a missing migration' rather than who ran the deploy."
    ),
    "role-or-team": (
        "A team or role is people too. Describe the gap they worked in, e.g. 'the release "
        "checklist had no step for schema changes' rather than 'the release engineer skipped it'."
    ),
    "conduct": (
        "Describe the conditions, not someone's character: what made the safe path hard? e.g. "
        "'the alert fired at 03:00 with no runbook link, so diagnosis took 40 minutes'."
    ),
    "counterfactual": (
        "This reads with hindsight. Describe what was known at the time and what would have "
        "surfaced the risk, e.g. 'the dashboard did not show replication lag, so the risk was "
        "invisible during the deploy'."
    ),
    "sarcasm": (
        "Sarcasm reads as blame and stops people speaking up. If this keeps happening, say what "
        "keeps allowing it, e.g. 'this is the third config typo to reach production this "
        "quarter; nothing validates the file before deploy'."
    ),
    "punitive": (
        "Punishment teaches people to hide problems. Name a change to the system instead, e.g. "
        "'production writes now need a second approver' rather than what should happen to "
        "someone."
    ),
    "fault": (
        "Ask what went wrong and why, not whose mistake it was: what in the system let this "
        "happen? e.g. 'the migration ran without a dry run because the tool has no such mode'."
    ),
    "human-error": (
        "'Human error' is where the analysis starts, not where it ends: what made the slip easy "
        "to make and hard to catch? e.g. 'the CLI ran against production without a confirmation "
        "or a dry run'."
    ),
}

SHALLOW_WHYS = (
    "One why rarely reaches the cause. Ask why again: why was that possible, and why wasn't it "
    "caught earlier? (Up to five whys; stop when the answer is something the system can change.)"
)
