"""Blameless-wording cases shared by the retrospective's end-to-end tests and the detector's
unit tests: for each category of blame, one sentence that blames, and for each trap, one
sentence that must pass. Pure data: no I/O, nothing of the bot imported.

A blaming case names the category (`Finding.rule`) it is found under and that category in
words (`Finding.label`), which is what the writer reads in the modal's inline error. The names
in the sentences are workspace members (`MEMBERS`): Slack knows them from users.list, and the
unit tests give them to `check_wording(text, people=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    handle: str
    real_name: str
    display_name: str


# Plain first names the sentences use, without @-mentions: only the roster makes them persons.
MEMBERS: tuple[Member, ...] = (
    Member("U0DEREK", "derek.olsen", "Derek Olsen", "Derek"),
    Member("U0RAJ", "raj", "Raj Patel", "Raj P"),
    Member("U0PRIYA", "priya", "Priya Raman", "priya"),
    Member("U0SAM", "sam.keller", "Sam Keller", "Sam K."),
    Member("U0LIN", "lin", "Lin Chen", "Lin"),
    Member("U0ALICE", "alice", "Alice Martin", "Alice"),
)
PEOPLE: tuple[str, ...] = tuple(
    name for m in MEMBERS for name in (m.handle, m.real_name, m.display_name)
)


@dataclass(frozen=True, slots=True)
class BlamingCase:
    category: str  # Finding.rule
    label: str  # Finding.label: the words the inline error shows for the category
    text: str


@dataclass(frozen=True, slots=True)
class TrapCase:
    trap: str
    text: str


BLAMING: tuple[BlamingCase, ...] = (
    BlamingCase(
        "second-person",
        "Blame in the second person",
        "You merged the change without waiting for the canary to finish.",
    ),
    BlamingCase(
        "person",
        "A person as the cause",
        "Derek forgot to renew the certificate before it expired.",
    ),
    BlamingCase(
        "role-or-team",
        "A team or role as the cause",
        "The database team ignored the disk-space warnings for a week.",
    ),
    BlamingCase(
        "conduct",
        "A judgement of someone's conduct or character",
        "He slept through the page and did nothing for an hour.",
    ),
    BlamingCase(
        "counterfactual",
        "Hindsight about what someone should have done",
        "If Raj had just run the migration first, none of this would have happened.",
    ),
    BlamingCase(
        "sarcasm",
        "Sarcasm or passive aggression",
        "A Friday-evening deploy with no rollback plan, as usual. Typical Priya.",
    ),
    BlamingCase(
        "punitive",
        "A punitive lesson",
        "Lesson learned: Sam will think twice before touching the load balancer config.",
    ),
    BlamingCase(
        "fault",
        "Fault or mistakes pinned on someone",
        "The outage came down to mistakes by Lin during the failover.",
    ),
    BlamingCase(
        "human-error",
        "“Human error” as a cause",
        "Root cause: human error during the manual failover.",
    ),
)

TRAPS: tuple[TrapCase, ...] = (
    TrapCase(
        "blame words about software",
        "The SDK didn't bother retrying after the timeout, so the queue backed up.",
    ),
    TrapCase(
        "rejecting the blame framing",
        "Human error was not accepted as a root cause; instead we asked why the runbook step "
        "was manual.",
    ),
    TrapCase("a person in a neutral role", "Alice rolled back the deploy within five minutes."),
    TrapCase("the team about itself", "We should have had a canary stage before the rollout."),
    TrapCase("negated blame", "It was nobody's fault; the alert threshold was set too high."),
)
