"""Records and value types shared by the simulated workspace's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    token: str | None
    http_method: str
    at: float
    failed: bool = False
    status: int = 200
    error: str | None = None


@dataclass
class Rejection:
    """A call Slack would reject because a Block Kit / view limit was broken."""

    method: str
    error: str
    messages: list[str]

    def __str__(self) -> str:
        return f"{self.method} -> {self.error}: {'; '.join(self.messages)}"


@dataclass
class Channel:
    """A conversation: public/private channel, DM or group DM."""

    id: str
    name: str
    is_private: bool
    created: int
    creator: str
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StoredFile:
    """A file uploaded through files.getUploadURLExternal + completeUploadExternal."""

    id: str
    name: str
    length: int
    user: str
    created: int
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)


@dataclass
class Trigger:
    """A trigger_id issued with an interaction payload."""

    id: str
    issued_at: float
    user_id: str | None
    view_id: str | None
    used: bool = False


@dataclass
class Req:
    """A Web API call as seen by a method handler."""

    method: str
    args: dict[str, Any]
    token: str
    team_id: str


class SlackError(Exception):
    """An ``ok: false`` answer. ``rejected`` marks limit rejections."""

    def __init__(
        self,
        error: str,
        messages: list[str] | None = None,
        *,
        rejected: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.rejected = rejected
        self.extra = extra or {}
