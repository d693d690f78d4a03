"""The `/postmortem` subcommands: their names, usage and a parser for what people type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str
    summary: str


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("declare", "declare [title]", "Declare an incident and open its channel"),
    Subcommand(
        "status",
        "status <investigating|identified|monitoring|resolved>",
        "Change the incident's status",
    ),
    Subcommand("severity", "severity <SEV1-SEV4>", "Change the incident's severity"),
    Subcommand("role", "role <commander|facilitator> @user", "Give someone a role on the incident"),
    Subcommand("event", "event <time> <text>", "Add an event to the timeline by hand"),
    Subcommand("timeline", "timeline [all]", "Show the marked moments (or the full log)"),
    Subcommand("retro", "retro", "Open the no-blame retrospective"),
    Subcommand(
        "action",
        "action <title> [@owner] [due <date>]",
        "Add an action item; its owner is reminded until it is closed (Home tab lists yours)",
    ),
    Subcommand(
        "search",
        "search <words> [severity:SEV1] [service:x] [since:YYYY-MM-DD] [status:published|draft|none]",  # noqa: E501
        "Search past incidents and postmortems",
    ),
    Subcommand(
        "stats", "stats [30d|90d|365d]", "Incident and follow-through numbers, with a chart"
    ),
    Subcommand("help", "help", "Show this help"),
)

SUBCOMMAND_NAMES = frozenset(sub.name for sub in SUBCOMMANDS)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # "" when nothing was typed
    args: str  # the rest of the text, stripped

    @property
    def known(self) -> bool:
        return self.name in SUBCOMMAND_NAMES


def parse_command(text: str | None) -> ParsedCommand:
    """Split "/postmortem <sub> <args…>"; subcommand names are case-insensitive."""
    head, _, rest = (text or "").strip().partition(" ")
    return ParsedCommand(name=head.lower(), args=rest.strip())
