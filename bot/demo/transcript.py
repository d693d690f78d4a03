"""The demo's plain-text transcript: who did what, and what the bot answered, read from the
Web API calls the simulated workspace recorded."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.simslack import Call, SimSlack

WIDTH = 110
# Calls that change nothing a person sees (lookups, joins) are left out.
SHOWN = {
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "response_url",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "conversations.create",
    "pins.add",
    "canvases.create",
    "canvases.edit",
    "files.completeUploadExternal",
}
MENTION = re.compile(r"<([@#])([A-Z0-9]+)(?:\|[^>]*)?>")


class Transcript:
    """Lines printed as they happen and kept for transcript.txt."""

    def __init__(self, workspace: SimSlack, out: TextIO = sys.stdout) -> None:
        self.workspace = workspace
        self.out = out
        self.lines: list[str] = []
        self.seen = 0  # recorded calls already told

    def write(self, line: str) -> None:
        self.lines.append(line)
        print(line, file=self.out, flush=True)

    def scene(self, number: int, total: int, title: str) -> None:
        self.write("")
        self.write(f"[{number}/{total}] {title}")

    def did(self, when: datetime, who: str, what: str) -> None:
        self.write(f"  {when:%a %d %b %H:%M} {who}: {self.readable(what)}")

    def note(self, what: str) -> None:
        self.write(f"         {self.readable(what)}")

    def bot(self, what: str) -> None:
        self.write(f"         hindsight {self.readable(what)}")

    def answers(self) -> None:
        """Tell what the bot did in Slack since the last time."""
        calls = self.workspace.calls[self.seen :]
        self.seen += len(calls)
        for call in calls:
            if call.method in SHOWN and not call.error:
                self.bot(self.describe(call))

    def describe(self, call: Call) -> str:
        args = call.args
        if call.method == "chat.postMessage":
            return f"{self.where(args)}: {self.line(args)}"
        if call.method == "chat.postEphemeral":
            return f"shows {self.name(args.get('user'))} only: {self.line(args)}"
        if call.method == "response_url":
            return f"answers (only they see it): {self.line(args)}"
        if call.method == "chat.update":
            return f"updates its message {self.where(args, 'in')}: {self.line(args)}"
        if call.method in ("views.open", "views.update", "views.push"):
            verb = {"views.open": "opens", "views.update": "shows", "views.push": "stacks"}
            return f"{verb[call.method]} the modal '{view_title(args)}'"
        if call.method == "views.publish":
            return f"redraws {self.name(args.get('user_id'))}'s App Home"
        if call.method == "conversations.create":
            return f"creates the channel #{args.get('name')}"
        if call.method == "pins.add":
            return f"pins its header in {self.channel(args.get('channel'))}"
        if call.method == "canvases.create":
            return f"creates the postmortem canvas '{args.get('title', '')}'"
        if call.method == "canvases.edit":
            return "updates the postmortem canvas"
        return "uploads the postmortem as a Markdown file"

    def line(self, args: dict[str, Any]) -> str:
        return first_line(self.readable(str(args.get("text") or "")))

    def where(self, args: dict[str, Any], preposition: str = "posts in") -> str:
        if str(args.get("channel", "")).startswith(("U", "W")):  # a DM, by the user's id
            return f"DMs {self.name(args['channel'])}"
        channel = self.workspace.channels.get(str(args.get("channel")))
        if channel is not None and channel.is_im:
            return f"DMs {self.name(channel.user)}" if preposition == "posts in" else "in a DM"
        thread = " (in the thread)" if args.get("thread_ts") else ""
        return f"{preposition} {self.channel(args.get('channel'))}{thread}"

    def channel(self, channel_id: object) -> str:
        found = self.workspace.channels.get(str(channel_id))
        if found is not None and found.is_im:
            return f"the DM with {self.name(found.user)}"
        return f"#{found.name}" if found is not None else str(channel_id)

    def name(self, user_id: object) -> str:
        user = self.workspace.users.get(str(user_id))
        return f"@{user['name']}" if user else str(user_id)

    def readable(self, text: str) -> str:
        """Mentions as names, as Slack shows them."""

        def show(match: re.Match[str]) -> str:
            if match.group(1) == "@":
                return self.name(match.group(2))
            return self.channel(match.group(2))

        return MENTION.sub(show, text)

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def first_line(text: object, limit: int = WIDTH) -> str:
    line = next((part for part in str(text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def view_title(args: dict[str, Any]) -> str:
    view = args.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    title = (view or {}).get("title", {})
    return str(title.get("text", "")) if isinstance(title, dict) else ""
