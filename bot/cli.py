"""`hindsight …`: serve, migrate, and the batch commands for cron and export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.config import Settings, load_settings
from bot.errors import ConfigError, DatabaseUnavailableError, HindsightError
from bot.installations import commands as installation_commands

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.installations.clients import TeamClients

    Sessions = async_sessionmaker[AsyncSession]

logger = logging.getLogger("hindsight")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hindsight", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack over HTTP (or Socket Mode)")
    serve.add_argument("--host", help="address to listen on (default: HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3000)")

    commands.add_parser("migrate", help="upgrade the database to the newest schema and exit")

    remind = commands.add_parser(
        "remind", help="send due action-item reminders and owed-postmortem nudges"
    )
    remind.add_argument("--once", action="store_true", required=True, help="one sweep, then exit")

    digest = commands.add_parser(
        "digest", help="post this week's digest now, if it hasn't gone out yet"
    )
    digest.add_argument("--once", action="store_true", required=True, help="one run, then exit")

    sync = commands.add_parser("sync", help="file queued action items and poll their issues")
    sync.add_argument("--once", action="store_true", required=True, help="one run, then exit")

    add_export(commands)

    wording = commands.add_parser(
        "wording", help="check text for blame language: one JSON line of findings per input line"
    )
    wording.add_argument("file", nargs="?", metavar="FILE", help="the text (default: stdin)")
    wording.add_argument(
        "--person",
        action="append",
        default=[],
        metavar="NAME",
        help="a name to treat as a person, as the Slack user cache does (repeatable)",
    )
    add_demo(commands)
    installation_commands.add_commands(commands)  # keygen, rekey, teams, purge
    return parser


def since_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-09-01: {text!r}") from None


def check_export(args: argparse.Namespace) -> None:
    """REF or --all, not both; --since only with --all, which writes JSON only."""
    if args.command != "export":
        return
    parser: argparse.ArgumentParser = args.usage
    if args.all == (args.ref is not None):
        parser.error("give REF or --all (one of them)")
    if args.all and args.format == "markdown":
        parser.error("--all writes JSON only: use --format json")
    if args.since is not None and not args.all:
        parser.error("--since goes with --all")


def add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="print a postmortem (document or full record), or all published as JSON"
    )
    export.add_argument("ref", nargs="?", metavar="REF", help="INC-<n> or the channel's id")
    export.add_argument(
        "--all", action="store_true", help="every published postmortem: a JSON list of records"
    )
    export.add_argument(
        "--since", type=since_date, metavar="DATE", help="with --all: published on or after DATE"
    )
    export.add_argument(
        "--format",
        choices=("markdown", "json"),
        help="markdown: the document (REF's default); json: the full record (--all's only)",
    )
    export.add_argument(
        "--team", metavar="T…", help="the workspace's team id, when there are several"
    )
    export.set_defaults(usage=export)  # check_export's errors show this command's usage


def add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="play an incident end to end against a simulated Slack workspace (no setup)"
    )
    demo.add_argument(
        "--out",
        default="hindsight-demo",
        metavar="DIR",
        help="where to write (default: %(default)s)",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=0.0,
        metavar="N",
        help="seconds to pause after each action, to watch it (default: 0, as fast as it goes)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
            check_export(args)
        finally:
            sys.stdout.flush()  # --help's text leaves here, where a closed pipe is caught below
        code = run(args)
        sys.stdout.flush()  # likewise the end of a command's output, before the exit's flush
        return code
    except (ConfigError, DatabaseUnavailableError) as error:
        print(f"hindsight: {error.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whoever read our output stopped (`hindsight wording FILE | head -1`): that is theirs to
        # decide. Point stdout at nothing so the exit's flush does not fail once more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run(args: argparse.Namespace) -> int:
    if args.command == "wording":  # text in, JSON out: needs no Slack or database settings
        return check_wording_lines(args.file, people=args.person)
    if args.command == "demo":  # its own simulated Slack and database: no settings at all
        from pathlib import Path

        from bot.demo import main as play_demo

        return play_demo(Path(args.out), speed=max(args.speed, 0.0))
    if args.command == "keygen":  # prints a new key: needs no settings
        return installation_commands.keygen()
    settings = load_settings()
    if args.command == "serve":
        settings.require_slack()
    elif args.command in ("remind", "digest"):
        from bot.installations.job_clients import require_job_slack

        require_job_slack(settings, args.command)

    from bot.logs import configure_logging

    configure_logging(settings.log_level, fmt=settings.log_format)
    if args.command == "serve":
        from bot.serve import serve

        asyncio.run(serve(settings, host=args.host, port=args.port))
    elif args.command == "migrate":
        from bot.serve import migrate

        asyncio.run(migrate(settings))
    elif args.command == "remind":
        return asyncio.run(remind_once(settings))
    elif args.command == "digest":
        return asyncio.run(digest_once(settings))
    elif args.command == "export":
        return asyncio.run(export(settings, args))
    elif args.command in installation_commands.COMMANDS:
        return asyncio.run(installation_commands.run_command(settings, args))
    elif args.command == "sync":
        from bot.trackers.runs import sync_once

        return asyncio.run(sync_once(settings))
    return 0


async def export(settings: Settings, args: argparse.Namespace) -> int:
    """Print the incident (REF), or every published postmortem of the workspace (--all, one
    JSON list); 1 with one line on stderr when it cannot (not found, several workspaces)."""
    import gc

    from bot.publish.export import export_all, export_text
    from models import utcnow

    # A long timeline makes tens of thousands of objects; keep the cycle collector from
    # rescanning the modules loaded so far each time (as `serve` does).
    gc.freeze()
    url, team_id = settings.database_url, args.team
    try:
        if args.all:
            write = sys.stdout.write
            await export_all(url, team_id=team_id, since=args.since, now=utcnow(), write=write)
            print()
        else:
            fmt = args.format or "markdown"
            print(await export_text(url, ref=args.ref, fmt=fmt, team_id=team_id, now=utcnow()))
    except HindsightError as error:
        print(f"hindsight export: {error.message}", file=sys.stderr)
        return 1
    return 0


async def remind_once(settings: Settings) -> int:
    """One reminder sweep now (one per installed team, with its token); prints its one-line
    summary. 1 when the database can't be used."""
    from bot.followup.sweep import sweep
    from models import utcnow

    async def run(sessions: Sessions, clients: TeamClients, now: datetime) -> int:
        teams = await clients.live_teams()
        if not teams:
            print("hindsight remind: no workspace has the app installed")
        for team_id, client in teams:
            report = await sweep(
                sessions=sessions, client=client, settings=settings, now=now, team_id=team_id
            )
            print(report.summary() if team_id is None else f"{team_id}: {report.summary()}")
            now = utcnow()  # the next team's claims are leased from when its sweep starts
        return 0

    return await batch_run("remind", settings, run)


async def digest_once(settings: Settings) -> int:
    """This week's digest for the workspace, now (whatever DIGEST_SCHEDULE says; a week's digest
    is posted once however often this runs). One line per team; 1 if a post failed or the
    database can't be used."""
    from bot.followup.digest import post_live_teams_digests
    from bot.jobs import describe

    if settings.digest_channel is None:
        print("hindsight digest: no channel; set DIGEST_CHANNEL or POSTMORTEM_CHANNEL")
        return 0

    async def run(sessions: Sessions, clients: TeamClients, now: datetime) -> int:
        teams = await clients.live_teams()
        outcomes = await post_live_teams_digests(
            sessions=sessions, teams=teams, settings=settings, now=now
        )
        for outcome in outcomes:
            print(f"hindsight digest {outcome.period} for {outcome.team_id}: {describe(outcome)}")
        if not outcomes:
            print("hindsight digest: nothing to post")
        return 1 if any(outcome.error for outcome in outcomes) else 0

    return await batch_run("digest", settings, run)


async def batch_run(
    command: str,
    settings: Settings,
    work: Callable[[Sessions, TeamClients, datetime], Awaitable[int]],
) -> int:
    """A cron command's database and each team's Slack client, closed after `work`; 1 with one
    line on stderr when the database can't be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import create_engine, create_sessionmaker
    from bot.installations.job_clients import batch_team_clients
    from models import utcnow

    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        return await work(sessions, batch_team_clients(settings, sessions), utcnow())
    except (SQLAlchemyError, OSError) as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        print(f"hindsight {command}: the database can't be used ({reason})", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()


def check_wording_lines(path: str | None, *, people: Sequence[str]) -> int:
    """Print `{"line": N, "findings": [...]}` per line of FILE or stdin; 2 if FILE can't be read."""
    import json
    from pathlib import Path

    from bot.retro.wording import check_wording

    try:
        data = sys.stdin.buffer.read() if path in (None, "-") else Path(path).read_bytes()
    except OSError as error:
        print(f"hindsight wording: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    lines = data.decode("utf-8-sig", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    for number, line in enumerate(lines, start=1):
        findings = check_wording(line.removesuffix("\r"), people=people)
        rows = [
            {"rule": f.rule, "label": f.label, "text": f.text, "suggestion": f.suggestion}
            for f in findings
        ]
        print(json.dumps({"line": number, "findings": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
