"""The people of the demo acting in the simulated workspace: each action is a signed request to
the real bot (and, for messages, the message itself stored in the workspace first, as Slack
does), told in the transcript with what the bot answered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from bot.app import Runtime
from bot.simslack import SignedRequests, SimSlack
from bot.ui.item import controls_block_id

from .clock import DemoClock
from .serve import idle
from .transcript import Transcript, first_line


class DemoError(RuntimeError):
    """The bot did not answer as the script expects."""


@dataclass
class Stage:
    workspace: SimSlack
    people: SignedRequests
    clock: DemoClock
    transcript: Transcript
    runtime: Runtime
    speed: float = 0.0

    # ---- pacing -------------------------------------------------------------------------------
    async def settle(self) -> None:
        """Wait until the bot has done all it does for the last request, then tell it."""
        await idle()
        count = -1
        while count != len(self.workspace.calls):
            count = len(self.workspace.calls)
            await asyncio.sleep(0.02)
            await idle()
        self.transcript.answers()
        if self.speed > 0:
            await asyncio.sleep(self.speed)

    def did(self, user: str, what: str) -> None:
        self.transcript.did(self.clock.now, self.transcript.name(user), what)

    @staticmethod
    def ok(response: httpx.Response) -> httpx.Response:
        if response.status_code != 200:
            raise DemoError(f"the bot answered {response.status_code}: {response.text[:200]}")
        return response

    # ---- slash commands -----------------------------------------------------------------------
    async def command(self, user: str, text: str, channel: str) -> httpx.Response:
        self.did(user, f"/postmortem {text}   (in {self.transcript.channel(channel)})")
        response = self.ok(await self.people.command(text, user_id=user, channel_id=channel))
        if response.content and response.headers.get("content-type", "").startswith("app"):
            said = response.json().get("text")
            if said:
                self.transcript.bot(f"answers (only they see it): {first_line(said)}")
        await self.settle()
        return response

    # ---- messages -----------------------------------------------------------------------------
    async def say(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        ts = self.clock.ts()
        self.workspace.add_message(channel, text=text, user=user, ts=ts, thread_ts=thread_ts)
        event = self.people.message_event(channel, text, user=user, ts=ts, thread_ts=thread_ts)
        self.did(user, f"{'replies in the thread' if thread_ts else 'says'}: {text}")
        self.ok(await self.people.event(event))
        await self.settle()
        return ts

    async def alert(self, channel: str, text: str, *, bot_id: str, username: str) -> str:
        ts = self.clock.ts()
        app = {"subtype": "bot_message", "bot_id": bot_id, "username": username}
        self.workspace.add_message(channel, text=text, user=None, ts=ts, **app)
        event = self.people.bot_message_event(
            channel, text, bot_id=bot_id, username=username, ts=ts
        )
        self.transcript.did(self.clock.now, f"{username} (an alerting app)", f"posts: {text}")
        self.ok(await self.people.event(event))
        await self.settle()
        return ts

    async def edit(self, user: str, channel: str, ts: str, text: str) -> None:
        event = self.people.message_changed_event(channel, ts=ts, text=text, user=user)
        stored = self.workspace.find_message(channel, ts)
        if stored is not None:
            stored.update(text=text, edited={"user": user, "ts": event["event_ts"]})
        self.did(user, f"edits their message to: {text}")
        self.ok(await self.people.event(event))
        await self.settle()

    async def delete(self, user: str, channel: str, ts: str) -> None:
        event = self.people.message_deleted_event(channel, ts=ts)
        found = self.workspace.channels[channel]
        found.messages = [m for m in found.messages if m["ts"] != ts]
        self.did(user, "deletes their message")
        self.ok(await self.people.event(event))
        await self.settle()

    async def react(self, user: str, channel: str, ts: str, reaction: str) -> None:
        self.workspace.add_reaction(channel, ts, reaction, user=user)
        message = self.workspace.find_message(channel, ts) or {}
        self.did(user, f"reacts :{reaction}: to '{first_line(message.get('text'), 60)}'")
        event = self.people.reaction_event(True, reaction, user=user, channel=channel, ts=ts)
        self.ok(await self.people.event(event))
        await self.settle()

    # ---- modals and buttons -------------------------------------------------------------------
    async def submit(
        self, user: str, view: dict[str, Any], values: dict[str, Any], what: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Submit `view`; returns the bot's ack and the view now shown under the same id."""
        self.did(user, what)
        response = self.ok(await self.people.view_submission(view, values, user_id=user))
        ack = response.json() if response.content else {}
        if ack.get("response_action") in ("update", "push"):
            title = ack.get("view", {}).get("title", {}).get("text", "")
            self.transcript.bot(f"shows the modal '{title}'")
        for message in (ack.get("errors") or {}).values():
            self.transcript.bot(f"answers inline, under the field: {first_line(message, 400)}")
        await self.settle()
        return ack, self.workspace.views.get(view["id"], {})

    async def press(
        self, user: str, view: dict[str, Any], action_id: str, what: str
    ) -> dict[str, Any]:
        """Press a button in a modal; returns the view after the bot redrew it."""
        self.did(user, what)
        self.ok(await self.people.block_action(action_id, view=view, user_id=user, state_values={}))
        await self.settle()
        return self.workspace.views[view["id"]]

    async def press_in_message(
        self, user: str, message: dict[str, Any], action_id: str, item_id: int, what: str
    ) -> None:
        """Press an item's button (its value the item id) under a message the bot posted."""
        self.did(user, what)
        response = await self.people.block_action(
            action_id,
            value=str(item_id),
            block_id=controls_block_id(item_id),
            message=message,
            channel_id=message["channel"],
            user_id=user,
        )
        self.ok(response)
        await self.settle()
