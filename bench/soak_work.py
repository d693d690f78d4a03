"""The people of the soak: they declare incidents through the modal, talk in the incident
channels (threads included), edit and delete what they said, react, run commands; and action
items fall due for the bot's own reminder sweep. Each action remembers what Slack got
acknowledged, so the end can check the database against it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.soak_slack import SoakRequests, SoakSlack
from bot.demo import forms
from bot.ids import Declare
from models import ActionItem, ActionKind, Priority

PEOPLE = [f"U0SOAK{n}" for n in range(1, 7)]
GENERAL = "C0GENERAL"
MARKING = ("pushpin", "bulb", "hammer_and_wrench", "rotating_light")  # the default map
NOT_MARKING = ("eyes", "white_check_mark")
STATUSES = ("investigating", "identified", "monitoring")
# What people do, and how often (weights).
MIX = {"say": 62, "reply": 10, "edit": 9, "delete": 3, "react": 12, "command": 4}


@dataclass
class Said:
    """One message, and what Slack got acknowledged about it."""

    channel: str
    ts: str
    text: str
    thread_ts: str | None = None
    stored: bool = False  # its message event was acknowledged
    edited_to: str | None = None  # the last acknowledged edit
    deleted: bool = False  # its deletion was acknowledged
    unsure: bool = False  # some event about it was never acknowledged: either outcome is fine
    busy: bool = False  # an event about it is being delivered
    reactions: dict[tuple[str, str], bool] = field(default_factory=dict)  # (user, emoji): on


@dataclass
class Declared:
    title: str
    seconds: float | None = None  # how long the view_submission took to be answered
    acknowledged: bool = False
    channel: str | None = None
    outcome: str = "under way"


@dataclass
class Fed:
    """An action item put in the database due at `due_at` (for the bot's own sweep)."""

    item_id: int
    owner: str
    due_at: datetime
    nudge_now: bool  # due today or overdue: its first nudge is now; else days before the date


@dataclass
class Workload:
    slack: SoakSlack
    requests: SoakRequests
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    said: list[Said] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # incident channels
    declared: list[Declared] = field(default_factory=list)
    commands: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    _declaring: asyncio.Lock = field(default_factory=asyncio.Lock)

    def seed(self) -> None:
        for n, person in enumerate(PEOPLE):
            self.slack.add_user(person, name=f"soak{n + 1}", tz="UTC")
        self.slack.add_channel("general", channel_id=GENERAL, members=PEOPLE)

    def person(self) -> str:
        return self.rng.choice(PEOPLE)

    # ---- one action, chosen by the mix ---------------------------------------------------
    async def act(self) -> None:
        if not self.channels:
            return
        action = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        self.counts[action] = self.counts.get(action, 0) + 1
        # A failed command is recorded by the sender; Slack does not retry commands.
        with contextlib.suppress(TimeoutError, aiohttp.ClientError):
            await getattr(self, action)()

    def target(self) -> Said | None:
        """A stored message nothing else is happening to."""
        for _ in range(10):
            said = self.rng.choice(self.said[-400:]) if self.said else None
            if said and said.stored and not (said.deleted or said.busy or said.unsure):
                return said
        return None

    async def say(self, thread_ts: str | None = None, channel: str | None = None) -> None:
        channel = channel or self.rng.choice(self.channels)
        user, n = self.person(), len(self.said) + 1
        text = f"soak message {n}: {self.rng.choice(('db', 'api', 'cache'))} latency up"
        ts = self.slack.add_message(channel, text=text, user=user, thread_ts=thread_ts)
        said = Said(channel, ts, text, thread_ts)
        self.said.append(said)
        event = self.requests.message_event(channel, text, user=user, ts=ts, thread_ts=thread_ts)
        said.busy = True
        said.stored = await self.requests.deliver(event)
        said.unsure, said.busy = not said.stored, False

    async def reply(self) -> None:
        parent = self.target()
        if parent is not None and parent.thread_ts is None:
            await self.say(thread_ts=parent.ts, channel=parent.channel)

    async def edit(self) -> None:
        said = self.target()
        if said is None:
            return
        said.busy, text = True, f"{said.text} (edited {self.rng.getrandbits(24):06x})"
        event = self.requests.message_changed_event(
            said.channel, ts=said.ts, text=text, user=self.person(), thread_ts=said.thread_ts
        )
        stored = self.slack.find_message(said.channel, said.ts)
        if stored is not None:
            stored["text"] = text
        if await self.requests.deliver(event):
            said.edited_to = text
        else:
            said.unsure = True
        said.busy = False

    async def delete(self) -> None:
        said = self.target()
        if said is None:
            return
        said.busy = True
        event = self.requests.message_deleted_event(
            said.channel, ts=said.ts, thread_ts=said.thread_ts
        )
        channel = self.slack.channels[said.channel]
        channel.messages = [m for m in channel.messages if m["ts"] != said.ts]
        if await self.requests.deliver(event):
            said.deleted = True
        else:
            said.unsure = True
        said.busy = False

    async def react(self) -> None:
        said = self.target()
        if said is None:
            return
        user = self.person()
        emoji = self.rng.choice(MARKING if self.rng.random() < 0.85 else NOT_MARKING)
        adding = not said.reactions.get((user, emoji), False)
        said.busy = True
        if adding:
            self.slack.add_reaction(said.channel, said.ts, emoji, user=user)
        event = self.requests.reaction_event(
            adding, emoji, user=user, channel=said.channel, ts=said.ts
        )
        if await self.requests.deliver(event):
            said.reactions[(user, emoji)] = adding
        else:
            said.unsure = True
        said.busy = False

    async def command(self) -> None:
        self.commands += 1
        channel = self.rng.choice(self.channels)
        text = "help" if self.rng.random() < 0.2 else f"status {self.rng.choice(STATUSES)}"
        await self.requests.command(text, user_id=self.person(), channel_id=channel)

    # ---- declaring through the modal ----------------------------------------------------------
    async def declare(self) -> Declared:
        """/postmortem declare in #general, then the form submitted; the submit's answer timed.
        One at a time, so each finds its own form."""
        async with self._declaring:
            declared = Declared(f"Soak incident {len(self.declared) + 1}")
            self.declared.append(declared)
            commander, facilitator = self.rng.sample(PEOPLE, 2)
            before = set(self.slack.views)
            declared.outcome = "the command failed"
            try:
                await self.requests.command("declare", user_id=commander, channel_id=GENERAL)
            except (TimeoutError, aiohttp.ClientError):
                return declared
            form = await self._new_form(before)
            declared.outcome = "no form opened"
            if form is None:
                return declared
            typed = forms.declare(declared.title, "soak", commander, facilitator)
            started = time.perf_counter()
            declared.outcome = "the submit failed"
            try:
                answer = await self.requests.view_submission(form, typed, user_id=commander)
            except TimeoutError:
                declared.seconds = time.perf_counter() - started
                return declared
            except aiohttp.ClientError:
                return declared
            declared.seconds = time.perf_counter() - started
            declared.acknowledged = answer.status_code == 200
            declared.outcome = f"answered {answer.status_code}"
        if declared.acknowledged:
            declared.channel = await self._channel_of(declared.title)
            if declared.channel is not None:
                self.channels.append(declared.channel)
        return declared

    async def _new_form(self, before: set[str]) -> dict | None:
        for _ in range(100):
            for view_id, view in list(self.slack.views.items()):
                if view_id not in before and view.get("callback_id") == Declare.CALLBACK:
                    return view
            await asyncio.sleep(0.05)
        return None

    async def _channel_of(self, title: str) -> str | None:
        slug = title.lower().replace(" ", "-")
        for _ in range(200):
            for channel in list(self.slack.channels.values()):
                if channel.name.endswith(slug):
                    return channel.id
            await asyncio.sleep(0.1)
        return None


@dataclass
class ItemFeeder:
    """Action items falling due: each is written straight to the database with its first nudge
    a few seconds ahead, for the bot's reminder sweep (every REMINDER_INTERVAL_SECONDS) to
    send. Writes wait out the database's faults like any client."""

    sessions: async_sessionmaker[AsyncSession]
    team_id: str
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    fed: list[Fed] = field(default_factory=list)

    async def feed(self, incident_ids: list[int]) -> None:
        now = datetime.now(UTC)
        owner = self.rng.choice(PEOPLE)
        due_at = now + timedelta(seconds=self.rng.uniform(1, 15))
        days = self.rng.choice((-3, -1, 0, 0, 0, 10))
        fields = {
            "team_id": self.team_id,
            "incident_id": self.rng.choice(incident_ids),
            "title": f"Soak action item {len(self.fed) + 1}",
            "owner_id": owner,
            "due_date": now.date() + timedelta(days=days),
            "priority": Priority.MEDIUM,
            "kind": ActionKind.PREVENT,
            "created_by": PEOPLE[0],
            "next_reminder_at": due_at,
        }
        for attempt in range(30):
            try:
                async with self.sessions() as session, session.begin():
                    item = ActionItem(**fields)
                    session.add(item)
                    await session.flush()
                    item_id = item.id
                self.fed.append(Fed(item_id, owner, due_at, nudge_now=days <= 0))
                return
            except Exception:  # the database is restarting or locked: try again shortly
                if attempt == 29:
                    raise
                await asyncio.sleep(1)
