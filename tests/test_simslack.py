"""The simulated workspace of the package (bot/simslack) alone drives the real bot: no
../shared fixtures, no spec, none of the tests' fake (what `hindsight demo` will stand on)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_runtime
from bot.config import load_settings
from bot.ids import Declare
from bot.simslack import SignedRequests, SimSlack, state_value
from models import Incident, TimelineEvent
from tests.conftest import serve_app

ROOT = Path(__file__).resolve().parents[1]
SECRET = "simulated-signing-secret"


def test_nothing_in_bot_imports_the_tests() -> None:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "tests" or n.startswith("tests.") for n in names), path


@pytest.fixture
def workspace() -> Iterator[SimSlack]:
    with SimSlack() as slack:
        slack.add_user("U0ALICE", name="alice", real_name="Alice Doe")
        slack.add_user("U0BOB", name="bob")
        slack.add_channel("general", channel_id="C0GENERAL", members=["U0ALICE", "U0BOB"])
        yield slack
        slack.assert_no_violations()
        slack.assert_no_rejections()


def declare_values(title: str) -> dict[str, dict[str, object]]:
    values = {
        Declare.TITLE: state_value("plain_text_input", title),
        Declare.SEVERITY: state_value("static_select", "SEV2"),
        Declare.SUMMARY: state_value("plain_text_input", "5xx on /checkout since 14:02"),
        Declare.COMMANDER: state_value("users_select", "U0ALICE"),
        Declare.FACILITATOR: state_value("users_select", "U0BOB"),
        Declare.SERVICES: state_value("plain_text_input", "checkout"),
        Declare.CHANNEL: state_value("radio_buttons", "new"),
    }
    return {block_id: {block_id: value} for block_id, value in values.items()}


async def test_the_simulated_workspace_alone_drives_the_real_bot(
    workspace: SimSlack, database_url: str
) -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": workspace.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": workspace.base_url,
            "DATABASE_URL": database_url,
        }
    )
    async with serve_app(build_runtime(settings)) as bot:
        people = SignedRequests(bot.events_url, signing_secret=SECRET, workspace=workspace)
        helped = await people.command("help", user_id="U0ALICE", channel_id="C0GENERAL")
        assert helped.status_code == 200
        assert "/postmortem declare" in helped.json()["text"]

        opened = await people.command("declare", user_id="U0ALICE", channel_id="C0GENERAL")
        assert opened.status_code == 200
        [form] = [v for v in workspace.views.values() if v["callback_id"] == Declare.CALLBACK]
        values = declare_values("Checkout errors after deploy")
        submitted = await people.view_submission(form, values, user_id="U0ALICE")
        assert submitted.json()["response_action"] == "update"
        async with bot.runtime.sessions() as session:
            [incident] = await session.scalars(select(Incident))
        channel = workspace.channels[incident.channel_id]
        assert channel.name.endswith("checkout-errors-after-deploy")
        assert channel.pins == [incident.header_ts]

        said = people.message_event(channel.id, "rollback started", user="U0BOB")
        assert (await people.event(said)).status_code == 200
        async with bot.runtime.sessions() as session:
            stored = await session.scalars(
                select(TimelineEvent).where(TimelineEvent.ts == said["ts"])
            )
            [event] = list(stored)
    assert (event.incident_id, event.author_id, event.text) == (
        incident.id,
        "U0BOB",
        "rollback started",
    )
