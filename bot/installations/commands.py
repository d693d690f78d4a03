"""`hindsight keygen | rekey | teams | purge`: the operator's commands for many workspaces.

keygen prints a new TOKEN_ENCRYPTION_KEY; rekey encrypts every stored token again with the
list's first key (so an old key can leave it); teams lists the workspaces (never a token); purge
deletes every row of one workspace now (without --yes it only says what it would delete, and
exits 2). Hooked into bot/cli.py; imports stay lazy so `--help` loads no database driver.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.config import Settings
    from bot.installations.teams import TeamRow

    Sessions = async_sessionmaker[AsyncSession]

COMMANDS = ("keygen", "rekey", "teams", "purge")
# Slack team ids (T…) and, for an org-wide install's own rows, enterprise ids (E…).
TEAM_ID = re.compile(r"[TE][A-Z0-9]{2,31}")


def team_id(text: str) -> str:
    if not TEAM_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a Slack team id like T0123ABCD: {text!r}")
    return text


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("keygen", help="print a new key for TOKEN_ENCRYPTION_KEY (Fernet) and exit")
    commands.add_parser(
        "rekey",
        help="encrypt every stored token again with the first key of TOKEN_ENCRYPTION_KEY",
    )
    commands.add_parser(
        "teams", help="list the workspaces served here: installed, incidents, open items, token"
    )
    purge = commands.add_parser("purge", help="delete every row of one workspace now")
    purge.add_argument("--team", required=True, type=team_id, metavar="T…", help="its team id")
    purge.add_argument(
        "--yes", action="store_true", help="really delete (without it: say what would go, exit 2)"
    )


def keygen() -> int:
    from bot.installations.crypto import generate_key

    print(generate_key())
    return 0


async def run_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "teams":
        return await with_database("teams", settings, lambda sessions: teams(settings, sessions))
    if args.command == "rekey":
        return await with_database("rekey", settings, lambda sessions: rekey(settings, sessions))
    return await with_database(
        "purge", settings, lambda sessions: purge(sessions, args.team, yes=args.yes)
    )


async def rekey(settings: Settings, sessions: Sessions) -> int:
    """After a new key was put first in TOKEN_ENCRYPTION_KEY: every token written with it, so
    the old keys can be dropped. 2 when a token is readable with no key of the list."""
    from bot.installations.crypto import TokenCipher, TokenDecryptError
    from bot.installations.rekey import reencrypt_tokens

    cipher = TokenCipher(settings.workspaces.encryption_keys)  # none or a bad one: exit 2
    try:
        count = await reencrypt_tokens(sessions, cipher)
    except TokenDecryptError as error:
        print(f"hindsight rekey: {error.message}; nothing was changed", file=sys.stderr)
        return 2
    print(f"hindsight rekey: {count} token(s) encrypted with the first key")
    return 0


async def teams(settings: Settings, sessions: Sessions) -> int:
    from bot.installations.teams import installed_teams
    from models import utcnow

    rows = await installed_teams(
        sessions,
        now=utcnow(),
        retention_days=settings.workspaces.retention_days_after_uninstall,
        single_token=bool(settings.slack_bot_token),
    )
    if not rows:
        print("hindsight teams: no workspace has installed the app yet")
        return 0
    for line in team_table(rows):
        print(line)
    return 0


HEADER = ("TEAM", "NAME", "INSTALLED (UTC)", "INCIDENTS", "OPEN ITEMS", "TOKEN")
NUMERIC = {3, 4}  # right-aligned columns


def team_table(rows: list[TeamRow]) -> list[str]:
    """One header and one line per team, in columns (the last, the token's state, unpadded)."""
    lines = [HEADER, *(team_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER) - 1)]

    def render(line: tuple[str, ...]) -> str:
        padded = [
            cell.rjust(width) if column in NUMERIC else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line[:-1], widths, strict=True))
        ]
        return "  ".join([*padded, line[-1]])

    return [render(line) for line in lines]


def team_cells(row: TeamRow) -> tuple[str, ...]:
    return (
        row.team_id,
        row.name or "-",
        f"{row.installed_at:%Y-%m-%d %H:%M}" if row.installed_at else "-",
        str(row.incidents),
        str(row.open_items),
        row.token_state,
    )


async def purge(sessions: Sessions, team: str, *, yes: bool) -> int:
    from bot.installations.lifecycle import count_team_rows, purge_team

    counts = await count_team_rows(sessions, team)
    if not any(counts.values()):
        print(f"hindsight purge: no rows of team {team} here; nothing to delete", file=sys.stderr)
        return 2
    if not yes:
        print(
            f"hindsight purge: would delete {describe(counts)} of team {team}"
            f"{still_installed(counts)}; run again with --yes to delete them",
            file=sys.stderr,
        )
        return 2
    deleted = await purge_team(sessions, team)
    print(f"hindsight purge: deleted {describe(deleted)} of team {team}")
    return 0


def describe(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    tables = ", ".join(f"{table} {count}" for table, count in sorted(counts.items()) if count)
    return f"{total} row{'s' if total != 1 else ''} ({tables})"


def still_installed(counts: dict[str, int]) -> str:
    if counts.get("slack_installations"):
        return " (it is still installed: its tokens go too, and Slack keeps sending its events)"
    return ""


async def with_database(
    command: str, settings: Settings, work: Callable[[Sessions], Awaitable[int]]
) -> int:
    """The database for `work`, disposed after; 1 with one line when it can't be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        return await work(create_sessionmaker(engine))
    except (SQLAlchemyError, OSError) as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        print(
            f"hindsight {command}: the database can't be used ({reason}); "
            "is DATABASE_URL right, and was `hindsight migrate` run?",
            file=sys.stderr,
        )
        return 1
    finally:
        await engine.dispose()
