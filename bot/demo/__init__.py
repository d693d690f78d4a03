"""`hindsight demo`: a realistic incident played end to end through the real app, over real
HTTP and signed requests, against a simulated Slack workspace (`bot.simslack`) on loopback.

No Slack, no network, no settings: the bot runs on its own SQLite file in the output folder,
on a clock the script moves (so every run writes the same postmortem). It prints a transcript
as it goes and writes, to the output folder: postmortem.md (the published document, as
`hindsight export INC-1` prints it), postmortem.json (`--format json`), transcript.txt and
hindsight.db.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .run import play

__all__ = ["main"]


def main(out: Path, *, speed: float = 0.0) -> int:
    """Play the demo into `out`; 0 when it ran to the end."""
    return asyncio.run(play(out, speed=speed))
