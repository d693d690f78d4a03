"""Records of the fake: the simulated workspace's, plus the injected failure (tests only)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.simslack.records import Call, Channel, Rejection, StoredFile, Trigger

__all__ = ["Call", "Channel", "Failure", "Rejection", "StoredFile", "Trigger"]


@dataclass
class Failure:
    """An injected failure (see ``FakeSlack.fail``)."""

    method: str
    status: int | None
    error: str | None
    retry_after: int
    remaining: int | None
