"""`hindsight …`: serve, migrate, and the batch commands for cron and export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings, load_settings
from bot.errors import ConfigError, HindsightError

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.app import Runtime

    Sessions = async_sessionmaker[AsyncSession]

logger = logging.getLogger("hindsight")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hindsight", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack over HTTP (or Socket Mode)")
    serve.add_argument("--host", help="address to listen on (default: HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3000)")

    commands.add_parser("migrate", help="upgrade the database to the newest schema and exit")

    remind = commands.add_parser("remind", help="send due action-item reminders")
    remind.add_argument("--once", action="store_true", required=True, help="one sweep, then exit")

    digest = commands.add_parser(
        "digest", help="post this week's digest now, if it hasn't gone out yet"
    )
    digest.add_argument("--once", action="store_true", required=True, help="one run, then exit")

    export = commands.add_parser(
        "export", help="print an incident's postmortem: the document, or the full record"
    )
    export.add_argument("ref", metavar="REF", help="INC-<n> or the incident channel's id")
    export.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="markdown: the postmortem document (default); json: the full structured record",
    )
    export.add_argument(
        "--team", metavar="T…", help="the workspace's team id, when REF exists in several"
    )

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "wording":  # text in, JSON out: needs no Slack or database settings
        return check_wording_lines(args.file, people=args.person)
    try:
        settings = load_settings()
        if args.command == "serve":
            settings.require_slack()
        elif args.command in ("remind", "digest") and not settings.slack_bot_token:
            raise ConfigError(f"SLACK_BOT_TOKEN is not set; it is required to {args.command}")
    except ConfigError as error:
        print(f"hindsight: {error.message}", file=sys.stderr)
        return 2

    from bot.logs import configure_logging

    configure_logging(settings.log_level)
    if args.command == "serve":
        asyncio.run(serve(settings, host=args.host, port=args.port))
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "remind":
        return asyncio.run(remind_once(settings))
    elif args.command == "digest":
        return asyncio.run(digest_once(settings))
    elif args.command == "export":
        return asyncio.run(export(settings, ref=args.ref, fmt=args.format, team_id=args.team))
    return 0


async def migrate(settings: Settings) -> None:
    from bot.db import migrate as upgrade

    await upgrade(settings.database_url)
    logger.info("database is at the newest schema")


async def export(settings: Settings, *, ref: str, fmt: str, team_id: str | None) -> int:
    """Print the incident to stdout; 1 with one line on stderr when it cannot be found."""
    import gc

    from bot.export import export_text

    # A long timeline makes tens of thousands of objects; keep the cycle collector from
    # rescanning the modules loaded so far each time (as `serve` does).
    gc.freeze()
    try:
        print(await export_text(settings.database_url, ref=ref, fmt=fmt, team_id=team_id))
    except HindsightError as error:
        print(f"hindsight export: {error.message}", file=sys.stderr)
        return 1
    return 0


async def remind_once(settings: Settings) -> int:
    """One reminder sweep now; prints its one-line summary. 1 when the database can't be used."""
    from bot.reminders import sweep

    async def run(sessions: Sessions, client: AsyncWebClient, now: datetime) -> int:
        report = await sweep(sessions=sessions, client=client, settings=settings, now=now)
        print(report.summary())
        return 0

    return await batch_run("remind", settings, run)


async def digest_once(settings: Settings) -> int:
    """This week's digest for the workspace, now (whatever DIGEST_SCHEDULE says; a week's digest
    is posted once however often this runs). One line per team; 1 if a post failed or the
    database can't be used."""
    from bot.digest import post_weekly_digests
    from bot.jobs import describe

    if settings.digest_channel is None:
        print("hindsight digest: no channel; set DIGEST_CHANNEL or POSTMORTEM_CHANNEL")
        return 0

    async def run(sessions: Sessions, client: AsyncWebClient, now: datetime) -> int:
        outcomes = await post_weekly_digests(
            sessions=sessions, client=client, settings=settings, now=now
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
    work: Callable[[Sessions, AsyncWebClient, datetime], Awaitable[int]],
) -> int:
    """A cron command's database and Slack client, closed after `work`; 1 with one line on
    stderr when the database can't be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import create_engine, create_sessionmaker
    from bot.slack import create_web_client
    from models import utcnow

    engine = create_engine(settings.database_url)
    client = create_web_client(base_url=settings.slack_api_url, token=settings.slack_bot_token)
    try:
        return await work(create_sessionmaker(engine), client, utcnow())
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

    from bot.wording import check_wording

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
        rows = [{"rule": f.rule, "text": f.text, "suggestion": f.suggestion} for f in findings]
        print(json.dumps({"line": number, "findings": rows}))
    return 0


async def serve(settings: Settings, *, host: str | None, port: int | None) -> None:
    from bot.app import build_runtime
    from bot.server import serve_http

    await migrate(settings)
    runtime = build_runtime(settings)
    if settings.socket_mode:
        await serve_socket_mode(runtime)
        return
    await serve_http(runtime, host=host or settings.host, port=port or settings.port)


async def serve_socket_mode(runtime: Runtime) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.jobs import schedule_jobs

    handler = AsyncSocketModeHandler(runtime.app, runtime.settings.slack_app_token)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    schedule_jobs(runtime)
    runtime.scheduler.start()
    await handler.connect_async()
    logger.info("connected to Slack in Socket Mode")
    try:
        await stop.wait()
    finally:
        await handler.close_async()
        await runtime.close()


if __name__ == "__main__":
    sys.exit(main())
