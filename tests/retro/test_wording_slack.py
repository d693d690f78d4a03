"""Blameless wording in Slack, end to end (signed HTTP, the fake Slack, SQLite and PostgreSQL):
the workspace's names come from users.list (several pages) into the users cache, so a plain
first name in a contributing factor is a person; each category of blame gets an inline error on
its own field naming the category and a systemic rewording; each trap is saved as written; and
"Keep my wording" saves every blaming sentence exactly as typed.

One app per backend serves the whole module (tests/retro/wording_cases.py holds the sentences):
the retrospective is opened at the contributing-factors step with ten rows, all blaming rows go
in one submission (each row is its own field), then "Keep my wording" saves them, then each
trap is saved on its own and Back returns to the step.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.app import Runtime, build_runtime
from bot.ids import Retro
from bot.retro.checks import KEEP_HINT, MAX_NUDGE, MAX_QUOTE, nudge
from bot.retro.forms import MAX_FACTORS
from bot.retro.wording import CATEGORY_LABELS, Finding
from bot.users import ROSTER_PAGE
from models import ContributingFactor, FactorCategory, Retrospective, SlackRoster, SlackUser
from tests.conftest import (
    BACKENDS,
    SIGNING_SECRET,
    TEAM_ID,
    ServedBot,
    make_settings,
    serve_app,
    truncate_all,
)
from tests.fakeslack import FakeSlack, SlackRequests
from tests.retro.test_retro import factor_values, open_retro, press, rows_of, step_of, submit
from tests.retro.wording_cases import BLAMING, MEMBERS, TRAPS, BlamingCase, TrapCase
from tests.timeline_seed import seed_incident

CHANNEL = "C0INC"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FILLERS = 2 * ROSTER_PAGE + 40  # the rest of the workspace: users.list takes three pages
WHYS = ["The step is manual and done from memory", "Nothing checks it before the rollout"]
# A member known by a lowercase display name: only the roster says it is anyone's name.
ZIGGY = ("U0ZIGGY", "zig", "Ziggy Moreau", "ziggy")
ROSTER_ONLY = "ziggy forgot to rotate the API key before the migration."
TYPED = [case.text for case in BLAMING] + [ROSTER_ONLY]  # one row each, MAX_FACTORS in all

module_loop = pytest.mark.asyncio(loop_scope="module")


def case_params(cases: tuple[BlamingCase, ...] | tuple[TrapCase, ...]) -> list[Any]:
    """One test per case, named by its category or its trap."""
    return [
        pytest.param(
            case,
            id=case.category if isinstance(case, BlamingCase) else case.trap.replace(" ", "-"),
        )
        for case in cases
    ]


# ---- one app per backend, shared by the module -------------------------------------------------


@dataclass
class WordingApp:
    """The served bot with its fake workspace, and what the module's shared submissions got."""

    runtime: Runtime
    fake: FakeSlack
    slack: SlackRequests
    view: dict[str, Any]  # the contributing-factors step as shown now
    row_keys: list[str] = field(default_factory=list)  # the rows the blaming sentences went in
    blaming_ack: dict[str, Any] = field(default_factory=dict)
    kept_ack: dict[str, Any] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # the descriptions saved with Keep my wording


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database for this module alone: a copy of the SQLite template, or the
    PostgreSQL test database (emptied by the app fixture)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("wording") / "hindsight.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        yield str(request.getfixturevalue("postgres_migrated"))


@pytest.fixture(scope="module")
def module_fake(module_database: str) -> Iterator[FakeSlack]:
    """A fresh workspace for each backend's app (its calls are counted)."""
    fake = FakeSlack(team_id=TEAM_ID)
    fake.start()
    try:
        yield fake
        fake.assert_no_violations()
        fake.assert_no_rejections()
    finally:
        fake.stop()


def seed_workspace(fake: FakeSlack) -> None:
    for member in MEMBERS:
        fake.add_user(
            member.user_id,
            name=member.handle,
            real_name=member.real_name,
            display_name=member.display_name,
        )
    user_id, handle, real_name, display_name = ZIGGY
    fake.add_user(user_id, name=handle, real_name=real_name, display_name=display_name)
    fake.add_user("U0BOB", name="bob", real_name="Bob Brown")
    fake.add_user("U0ALERTS", name="alertbot", real_name="Derek Bot", is_bot=True)
    for n in range(FILLERS):
        fake.add_user(f"U1{n:07d}", name=f"member{n}", real_name=f"Member {n}")
    fake.add_channel("inc-checkout", channel_id=CHANNEL, members=["U0ALICE", "U0BOB"])


async def seed_draft(runtime: Runtime) -> None:
    """INC-1 in C0INC, its summary and timeline done, ten contributing factors to reword."""
    incident = await seed_incident(runtime.sessions, CHANNEL, started_at=START)
    async with runtime.sessions() as session, session.begin():
        retro = Retrospective(
            team_id=TEAM_ID,
            incident_id=incident.id,
            summary="Checkout requests failed for EU customers.",
            customer_impact="About 4% of EU checkouts failed for 40 minutes.",
            completed_steps=["summary", "timeline"],
        )
        session.add(retro)
        await session.flush()
        session.add_all(
            ContributingFactor(
                team_id=TEAM_ID,
                retrospective_id=retro.id,
                position=n,
                category=FactorCategory.PROCESS,
                description=f"Factor {n} to be written",
                whys=WHYS,
            )
            for n in range(len(TYPED))
        )


async def wait_for_roster(served: ServedBot) -> None:
    await served.idle()  # the handler that starts the fill has returned
    running = served.runtime.rosters.tasks.running()
    if running:
        _, pending = await asyncio.wait(running, timeout=10)
        assert not pending, "the roster fill did not finish"


def rows(typed: list[str]) -> list[tuple[str | None, str, list[str]]]:
    return [("process", text, WHYS) for text in typed]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(module_database: str, module_fake: FakeSlack) -> AsyncIterator[WordingApp]:
    if not module_database.startswith("sqlite"):
        await truncate_all(module_database)
    seed_workspace(module_fake)
    runtime = build_runtime(make_settings(module_fake, module_database))
    async with serve_app(runtime) as served:
        slack = SlackRequests(
            served.events_url, signing_secret=SIGNING_SECRET, fake=module_fake, team_id=TEAM_ID
        )
        await seed_draft(runtime)
        view = await open_retro(slack, module_fake)
        assert step_of(view) == "factors" and len(rows_of(view)) == len(TYPED)
        await wait_for_roster(served)
        shared = WordingApp(runtime, module_fake, slack, view, row_keys=rows_of(view))
        state = factor_values(view, rows(TYPED), keep_wording=False)
        shared.blaming_ack, _ = await submit(slack, module_fake, view, state)
        kept = factor_values(view, rows(TYPED), keep_wording=True)
        shared.kept_ack, lessons = await submit(slack, module_fake, view, kept)
        shared.kept = [factor.description for factor in await factors_of(runtime)]
        shared.view = await press(slack, module_fake, lessons, Retro.BACK)
        yield shared
        await served.idle()


async def factors_of(runtime: Runtime) -> list[ContributingFactor]:
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(ContributingFactor)
            .where(ContributingFactor.team_id == TEAM_ID)
            .order_by(ContributingFactor.position)
        )
        return list(found)


def error_on(app: WordingApp, row: int) -> str:
    errors = app.blaming_ack.get("errors") or {}
    return str(errors.get(f"{Retro.FACTOR_DESCRIPTION}.{app.row_keys[row]}", ""))


# ---- the roster, from users.list ---------------------------------------------------------------


@module_loop
async def test_the_workspace_names_came_from_users_list_page_by_page(app: WordingApp) -> None:
    calls = app.fake.calls_to("users.list")
    assert len(calls) == 3  # opening the retrospective filled the empty roster, 200 a page
    assert [call.args.get("limit") for call in calls] == [str(ROSTER_PAGE)] * 3
    assert calls[0].args.get("cursor") is None and all(call.args["cursor"] for call in calls[1:])
    async with app.runtime.sessions() as session:
        cached = {u.user_id: u for u in await session.scalars(select(SlackUser))}
        roster = await session.scalar(select(SlackRoster))
    assert set(app.fake.users) == set(cached)  # every member, the bots too
    assert cached["U0DEREK"].real_name == "Derek Olsen" and cached["U0ALERTS"].is_bot
    assert roster is not None and roster.team_id == TEAM_ID
    assert app.fake.calls_to("users.info") == []  # nobody was looked up one by one


@module_loop
async def test_a_plain_first_name_from_the_roster_is_a_person(app: WordingApp) -> None:
    assert app.blaming_ack["response_action"] == "errors"
    derek = next(n for n, case in enumerate(BLAMING) if case.text.startswith("Derek forgot"))
    error = error_on(app, derek)
    assert error.startswith("“Derek forgot") and "”: A person as the cause. " in error
    assert error.endswith(KEEP_HINT)
    ziggy = error_on(app, len(BLAMING))  # known only by the roster's lowercase display name
    assert ziggy.startswith("“ziggy forgot") and "A person as the cause." in ziggy


# ---- each category of blame, and each trap -----------------------------------------------------


@module_loop
@pytest.mark.parametrize("case", case_params(BLAMING))
async def test_a_blaming_sentence_gets_an_inline_error_naming_its_category(
    app: WordingApp, case: BlamingCase
) -> None:
    error = error_on(app, BLAMING.index(case))
    assert f"”: {case.label}. " in error, error or "no error on this field"
    assert "Keep my wording" in error and len(error) <= MAX_NUDGE


@module_loop
@pytest.mark.parametrize("case", case_params(TRAPS))
async def test_a_trap_is_saved_as_written(app: WordingApp, case: TrapCase) -> None:
    view = app.view  # the factors step, whatever the trap before this one left in it
    typed = [("process", case.text, WHYS)] + [(None, "", [])] * (len(rows_of(view)) - 1)
    ack, shown = await submit(
        app.slack, app.fake, view, factor_values(view, typed, keep_wording=False)
    )
    if ack.get("response_action") == "update":  # saved: Back to the factors step for the next
        app.view = await press(app.slack, app.fake, shown, Retro.BACK)
    assert ack.get("errors") is None, ack.get("errors")
    assert [f.description for f in await factors_of(app.runtime)] == [case.text]


@module_loop
async def test_keep_my_wording_saves_every_sentence_exactly_as_typed(app: WordingApp) -> None:
    assert app.kept_ack["response_action"] == "update"  # nothing is ever blocked
    assert app.kept == TYPED


# ---- the inline error itself -------------------------------------------------------------------


def test_the_labels_asserted_are_the_detectors_own() -> None:
    for case in BLAMING:
        assert CATEGORY_LABELS[case.category] == case.label
        finding = Finding(case.category, "x", "Say what changed.", 0, 1)
        assert nudge(finding).startswith(f"“x”: {case.label}. Say what changed.")


def test_the_nudge_quotes_names_suggests_and_always_ends_with_how_to_keep_the_words() -> None:
    found = Finding("person", "Derek  forgot\nto", "Name the system, not the person.", 0, 16)
    assert nudge(found) == (
        "“Derek forgot to”: A person as the cause. Name the system, not the person. " + KEEP_HINT
    )
    long = Finding("conduct", "w" * 500, "s" * 5000, 0, 500)
    said = nudge(long)
    assert len(said) == MAX_NUDGE and said.endswith(KEEP_HINT)
    assert said.startswith("“" + "w" * (MAX_QUOTE - 1) + "…”: ")
    unquoted = Finding("shallow-whys", "", "Ask why again.", 0, 0)
    assert nudge(unquoted) == f"One why is not a cause. Ask why again. {KEEP_HINT}"


def test_every_case_is_a_plain_sentence_and_every_category_has_one() -> None:
    categories = [case.category for case in BLAMING]
    assert (
        sorted(categories)
        == sorted(set(categories))
        == sorted(
            {
                "second-person",
                "person",
                "role-or-team",
                "conduct",
                "counterfactual",
                "sarcasm",
                "punitive",
                "fault",
                "human-error",
            }
        )
    )
    assert len(TRAPS) == 5 and all("<@" not in case.text for case in (*BLAMING, *TRAPS))
    assert len(TYPED) <= MAX_FACTORS  # one field per sentence, in one submission
