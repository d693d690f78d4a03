"""Setting the stage (the workspace, its people, the bot on its own database), playing the
scenes, and writing what came out."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.app import build_runtime
from bot.config import load_settings
from bot.db import migrate
from bot.publish.export import export_text
from bot.simslack import SignedRequests, SimSlack

from . import followthrough, script
from .clock import DemoClock
from .serve import Served
from .stage import DemoError, Stage
from .transcript import Transcript

SECRET = "hindsight-demo-signing-secret"
PEOPLE = [
    # (id, name, real name, time zone)
    (script.ALICE, "alice", "Alice Moreau", "America/New_York"),
    (script.BOB, "bob", "Bob Lindqvist", "Europe/London"),
    (script.SAM, "sam", "Sam Okafor", "America/New_York"),
    (script.DANA, "dana", "Dana Kowalski", "Europe/Paris"),
]


def seed(workspace: SimSlack) -> None:
    for user_id, name, real_name, tz in PEOPLE:
        workspace.add_user(user_id, name=name, real_name=real_name, tz=tz)
    everyone = [user_id for user_id, *_ in PEOPLE]
    workspace.add_channel("general", channel_id=script.GENERAL, members=everyone)
    workspace.add_channel(
        "postmortems", channel_id=script.POSTMORTEMS, members=everyone, bot_is_member=True
    )


def fresh_database(out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    path = (out / "hindsight.db").resolve()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


async def play(out: Path, *, speed: float = 0.0) -> int:
    began = time.monotonic()
    database = fresh_database(out)
    with SimSlack() as workspace:
        seed(workspace)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": workspace.bot_token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": workspace.base_url,
                "DATABASE_URL": database,
                "POSTMORTEM_CHANNEL": script.POSTMORTEMS,
                "REMINDER_INTERVAL_SECONDS": "86400",  # the script runs the sweeps itself
                "LOG_LEVEL": "WARNING",
            }
        )
        await migrate(settings.database_url)
        clock = DemoClock(script.START)
        transcript = Transcript(workspace)
        transcript.write(
            f"hindsight demo: a simulated Slack workspace at {workspace.base_url} (times in UTC)"
        )
        runtime = build_runtime(settings, clock=clock)
        async with Served(runtime) as url:
            people = SignedRequests(url, signing_secret=SECRET, workspace=workspace)
            stage = Stage(workspace, people, clock, transcript, runtime, speed)
            try:
                await scenes(stage)
            except DemoError as error:
                transcript.write(f"hindsight demo: stopped: {error}")
                transcript.save(out / "transcript.txt")
                return 1
        await write_outputs(out, workspace, settings.database_url, clock, transcript)
    transcript.write(f"Done in {time.monotonic() - began:.1f} s. Wrote, in {out}/:")
    for name in ("postmortem.md", "postmortem.json", "transcript.txt", "hindsight.db"):
        transcript.write(f"  {name}")
    transcript.write(f"Try: DATABASE_URL={database} hindsight export INC-1")
    transcript.save(out / "transcript.txt")
    return 0


async def scenes(stage: Stage) -> None:
    channel = await script.declare(stage)
    await script.respond(stage, channel)
    await script.resolve(stage, channel)
    review = await script.retrospective(stage, channel)
    await script.publish(stage, review)
    await followthrough.follow_through(stage)


async def write_outputs(
    out: Path, workspace: SimSlack, database: str, clock: DemoClock, transcript: Transcript
) -> None:
    if len(workspace.canvases) != 1:
        print(f"hindsight demo: {len(workspace.canvases)} canvases published", file=sys.stderr)
    # The document as it stands now, as `hindsight export INC-1` prints it: the canvas the bot
    # published, with today's item statuses and without Slack's message links.
    markdown = await export_text(
        database, ref="INC-1", fmt="markdown", team_id=workspace.team_id, now=clock()
    )
    (out / "postmortem.md").write_text(markdown.rstrip("\n") + "\n", encoding="utf-8")
    record = await export_text(
        database, ref="INC-1", fmt="json", team_id=workspace.team_id, now=clock()
    )
    (out / "postmortem.json").write_text(record.rstrip("\n") + "\n", encoding="utf-8")
