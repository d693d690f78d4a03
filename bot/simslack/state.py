"""In-memory state of the simulated workspace, plus seeding helpers."""

from __future__ import annotations

import random
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from .records import Call, Channel, Rejection, Req, StoredFile, Trigger
from .users import user_profile, user_record


def ts_key(ts: str) -> Decimal:
    """Sortable key of a Slack ts string."""
    return Decimal(ts)


class SlackState:
    """Channels, users, messages, views, files and canvases of one fake workspace."""

    def __init__(
        self,
        *,
        team_id: str,
        bot_token: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        bot_name: str,
    ) -> None:
        self.team_id = team_id
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.team_name = "Simulated Workspace"
        self.team_domain = "simulated"
        self.root_url = "http://127.0.0.1"
        self.trigger_ttl = 3.0
        self.home_enabled = True
        self.canvases_enabled = True
        self.tokens: dict[str, str] = {bot_token: team_id}
        self.app_tokens: set[str] = set()  # app-level tokens (xapp-…), for Socket Mode
        self.socket_mode_url: str | None = None  # what apps.connections.open answers
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.dms: dict[frozenset[str], str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.view_users: dict[str, str | None] = {}
        self.files: dict[str, StoredFile] = {}
        self.canvases: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.rejections: list[Rejection] = []
        self._calls: list[Call] = []  # every request received, oldest first
        self._lock = threading.RLock()
        self._rng = random.Random(0)
        self._ids = 0
        self._ts_us = 1_700_000_000_000_000
        # Off: ts count up from 2023 (tests seed their own times). On: ts never lag the real
        # clock, as Slack's don't; for code that looks messages up by when they were posted.
        self.real_clock_ts = False
        self.add_user(bot_user_id, name=bot_name, real_name=bot_name.title(), is_bot=True)

    # ---- ids and timestamps -----------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as ``C00000007``."""
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:08d}"

    def next_ts(self) -> str:
        """A unique, increasing message ts like ``1700000000.000100``."""
        with self._lock:
            self._ts_us += 100
            if self.real_clock_ts:
                self._ts_us = max(self._ts_us, time.time_ns() // 1000)
            return f"{self._ts_us // 1_000_000}.{self._ts_us % 1_000_000:06d}"

    def random_token(self, length: int = 5) -> str:
        """Random alphanumerics (deterministic per fake), e.g. for block_ids."""
        alphabet = string.ascii_letters + string.digits
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def issue_trigger_id(self, user_id: str | None = None, view_id: str | None = None) -> str:
        """A fresh trigger_id, usable once within ``trigger_ttl`` seconds."""
        with self._lock:
            self._ids += 1
            trigger_id = (
                f"{self._rng.randint(100000, 999999)}.{self._ids:07d}.{secrets.token_hex(16)}"
            )
            self.triggers[trigger_id] = Trigger(trigger_id, time.monotonic(), user_id, view_id)
            return trigger_id

    # ---- seeding ----------------------------------------------------------------------------
    def add_token(self, token: str, team_id: str) -> None:
        """Accept another bot token, belonging to ``team_id``."""
        with self._lock:
            self.tokens[token] = team_id

    def add_app_token(self, token: str, *, socket_mode_url: str) -> None:
        """Accept an app-level token whose apps.connections.open answers ``socket_mode_url``."""
        with self._lock:
            self.tokens[token] = self.team_id
            self.app_tokens.add(token)
            self.socket_mode_url = socket_mode_url

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        tz: str = "America/New_York",
        tz_offset: int | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Register a user, returned by users.info in Slack's shape."""
        team = team_id or self.team_id
        profile = user_profile(
            user_id,
            real_name=real_name if real_name is not None else name,
            display_name=display_name if display_name is not None else name,
            team_id=team,
            email=email,
        )
        if is_bot:
            profile.update(
                {"bot_id": self.bot_id, "api_app_id": self.app_id, "always_active": True}
            )
        user = user_record(
            user_id, name=name, profile=profile, tz=tz, tz_offset=tz_offset, is_bot=is_bot
        )
        user["deleted"] = deleted
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        bot_is_member: bool = False,
        channel_id: str | None = None,
        is_archived: bool = False,
        creator: str | None = None,
    ) -> str:
        """Create a pre-existing channel; returns its id."""
        with self._lock:
            cid = channel_id or self.new_id("C")
            chan = Channel(
                id=cid,
                name=name,
                is_private=is_private,
                created=int(time.time()),
                creator=creator or next(iter(members), self.bot_user_id),
                members=set(members),
                is_archived=is_archived,
            )
            if bot_is_member:
                chan.members.add(self.bot_user_id)
            self.channels[cid] = chan
            return cid

    def open_dm(self, users: Iterable[str]) -> Channel:
        """The (stable) DM or group DM between the bot and ``users``."""
        key = frozenset(users)
        with self._lock:
            cid = self.dms.get(key)
            if cid is None:
                is_mpim = len(key) > 1
                cid = self.new_id("G" if is_mpim else "D")
                self.dms[key] = cid
                self.channels[cid] = Channel(
                    id=cid,
                    name=f"mpdm-{'--'.join(sorted(key))}-1" if is_mpim else "",
                    is_private=True,
                    created=int(time.time()),
                    creator=self.bot_user_id,
                    members={*key, self.bot_user_id},
                    is_im=not is_mpim,
                    is_mpim=is_mpim,
                    user=None if is_mpim else next(iter(key)),
                )
            return self.channels[cid]

    def add_message(
        self,
        channel: str,
        *,
        text: str,
        user: str | None,
        ts: str | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> str:
        """Seed (or store) a message; keeps thread bookkeeping on the parent. Returns ts."""
        with self._lock:
            chan = self.channels.get(channel)
            if chan is None:
                raise KeyError(f"unknown channel {channel!r}: add_channel() it first")
            if ts is None:
                ts = self.next_ts()
            else:
                sec, _, micro = ts.partition(".")
                self._ts_us = max(self._ts_us, int(sec) * 1_000_000 + int(micro.ljust(6, "0")[:6]))
            msg: dict[str, Any] = {"type": "message", "text": text, "ts": ts}
            if user is not None:
                msg["user"] = user
            if bot_id is None and user is not None and subtype is None:
                msg["client_msg_id"] = str(uuid.UUID(int=self._rng.getrandbits(128)))
                msg["blocks"] = [_rich_text(text, self.random_token())]
            if bot_id is not None:
                msg["bot_id"] = bot_id
            if subtype is not None:
                msg["subtype"] = subtype
            if files is not None:
                msg["files"] = files
                msg["upload"] = True
            msg["team"] = self.users.get(user or "", {}).get("team_id", self.team_id)
            msg.update(extra)
            if thread_ts is not None and thread_ts != ts:
                msg["thread_ts"] = thread_ts
                parent = self.find_message(channel, thread_ts)
                if parent is not None:
                    msg["parent_user_id"] = parent.get("user")
                    _note_reply(parent, msg)
            chan.messages.append(msg)
            chan.messages.sort(key=lambda m: ts_key(m["ts"]))
            return ts

    def add_reaction(self, channel: str, ts: str, name: str, *, user: str) -> None:
        """Seed a reaction on a stored message."""
        with self._lock:
            msg = self.find_message(channel, ts)
            if msg is None:
                raise KeyError(f"no message {ts} in {channel}")
            reactions = msg.setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == name), None)
            if entry is None:
                entry = {"name": name, "users": [], "count": 0}
                reactions.append(entry)
            if user not in entry["users"]:
                entry["users"].append(user)
                entry["count"] = len(entry["users"])

    # ---- lookups ----------------------------------------------------------------------------
    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message with ``ts`` in ``channel``, if any."""
        chan = self.channels.get(channel)
        if chan is None:
            return None
        return next((m for m in chan.messages if m["ts"] == ts), None)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """All stored messages of a channel (oldest first, replies included)."""
        with self._lock:
            return list(self.channels[channel].messages)


def _rich_text(text: str, block_id: str) -> dict[str, Any]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "block_id": block_id, "elements": [section]}


def _note_reply(parent: dict[str, Any], reply: dict[str, Any]) -> None:
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] = parent.get("reply_count", 0) + 1
    users = parent.setdefault("reply_users", [])
    if reply.get("user") and reply["user"] not in users:
        users.append(reply["user"])
    parent["reply_users_count"] = len(users)
    latest = parent.get("latest_reply")
    if latest is None or ts_key(reply["ts"]) > ts_key(latest):
        parent["latest_reply"] = reply["ts"]
    parent.setdefault("is_locked", False)
    parent.setdefault("subscribed", False)


Handler = Callable[[SlackState, Req], dict[str, Any]]
"""A Web API method implementation: returns the success fields or raises SlackError."""
