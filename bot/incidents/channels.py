"""The incident channel on Slack's side: its name, creating or adopting it, inviting people,
and the pinned header message that mirrors the incident.

Names follow Slack's rules (lowercase a-z, 0-9, `-` and `_`, at most 80 characters): the
configured prefix, the UTC date of declaring and a slug of the title, e.g.
`inc-2026-08-10-checkout-latency`; a taken name gets `-2`, `-3`, …
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import SlackCallError
from bot.incidents import lifecycle
from bot.incidents.lifecycle import ROLES, Change, Field
from bot.ui.header import header_blocks, header_text
from models import Incident

logger = logging.getLogger(__name__)

MAX_NAME = 80
MAX_NAME_ATTEMPTS = 25  # name_taken retries: -2 … -25 (archived channels keep their names)

# What Slack's refusals mean for the person declaring; anything else is named as it came.
CREATE_REFUSALS = {
    "restricted_action": "your workspace doesn't allow me to create channels",
    "missing_scope": "I'm missing the permission to create channels (channels:manage)",
    "invalid_name_specials": "Slack refused the channel name `{name}`",
    "invalid_name_punctuation": "Slack refused the channel name `{name}`",
    "invalid_name_maxlength": "Slack refused the channel name `{name}` as too long",
    "invalid_name_required": "Slack refused an empty channel name",
    "invalid_name": "Slack refused the channel name `{name}`",
    "name_taken": "every name from `{name}` to `{name}-{last}` is taken",
}
JOIN_REFUSALS = {
    "method_not_supported_for_channel_type": (
        "I can't join private channels or DMs by myself: `/invite` me to the channel first"
    ),
    "channel_not_found": "I can't see this channel; if it's private, `/invite` me to it first",
    "is_archived": "this channel is archived",
}


# ---- names -----------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens: "Café 502s!" → "cafe-502s"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def channel_name(*, prefix: str, declared_on: date, title: str) -> str:
    """`<prefix><YYYY-MM-DD>-<slug>`, cut to Slack's 80 characters at a word boundary if it can."""
    base = f"{prefix}{declared_on.isoformat()}"
    slug = slugify(title)
    if not slug:
        return base[:MAX_NAME]
    name = f"{base}-{slug}"
    if len(name) <= MAX_NAME:
        return name
    cut = name[: MAX_NAME + 1]
    boundary = cut.rfind("-")
    keep = boundary if boundary > len(base) else MAX_NAME
    return name[:keep].rstrip("-")


def name_candidates(name: str, *, attempts: int = MAX_NAME_ATTEMPTS) -> Iterator[str]:
    """`name`, then `name-2`, `name-3`, …, each kept within 80 characters."""
    yield name[:MAX_NAME]
    for n in range(2, attempts + 1):
        suffix = f"-{n}"
        yield name[: MAX_NAME - len(suffix)].rstrip("-") + suffix


# ---- Slack calls -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedChannel:
    id: str
    name: str


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


async def create_channel(*, client: AsyncWebClient, name: str) -> CreatedChannel:
    """Create a public channel, trying numbered names while Slack answers `name_taken`."""
    for candidate in name_candidates(name):
        try:
            response = await client.conversations_create(name=candidate)
        except SlackApiError as error:
            code = _error_code(error)
            if code == "name_taken":
                continue
            reason = CREATE_REFUSALS.get(code, "Slack answered `{code}`")
            reason = reason.format(name=candidate, code=code)
            raise SlackCallError(
                f"I couldn't create the incident channel: {reason}. Nothing was declared."
            ) from error
        channel = response["channel"]
        return CreatedChannel(id=str(channel["id"]), name=str(channel["name"]))
    reason = CREATE_REFUSALS["name_taken"].format(name=name, last=MAX_NAME_ATTEMPTS)
    raise SlackCallError(
        f"I couldn't create the incident channel: {reason}. Try a different title."
    )


async def archive_channel(*, client: AsyncWebClient, channel_id: str) -> bool:
    """Archive a channel we created but could not use; False (and a log line) if Slack refused."""
    try:
        await client.conversations_archive(channel=channel_id)
    except SlackApiError as error:
        logger.error("could not archive orphan channel %s: %s", channel_id, _error_code(error))
        return False
    logger.info("archived channel %s: its incident could not be saved", channel_id)
    return True


async def join_channel(*, client: AsyncWebClient, channel_id: str) -> int | None:
    """Join an existing channel to review it; returns its creation time (epoch seconds)."""
    try:
        response = await client.conversations_join(channel=channel_id)
    except SlackApiError as error:
        code = _error_code(error)
        # A private channel can't be joined, only invited to: fine if we were invited.
        response = await _info_if_member(client, channel_id)
        if response is None:
            reason = JOIN_REFUSALS.get(code, f"Slack answered `{code}`")
            raise SlackCallError(
                f"I couldn't join this channel to review it: {reason}. Nothing was declared."
            ) from error
    created = (response.get("channel") or {}).get("created")
    return int(created) if isinstance(created, int | float) and created > 0 else None


async def _info_if_member(client: AsyncWebClient, channel_id: str) -> Any | None:
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError:
        return None
    return response if (response.get("channel") or {}).get("is_member") else None


async def invite(
    *, client: AsyncWebClient, channel_id: str, user_ids: Iterable[str]
) -> dict[str, str]:
    """Invite each person on their own, so one refusal doesn't stop the others.

    Returns the people who could not be invited and why; already being there is not a failure.
    """
    failures: dict[str, str] = {}
    for user_id in dict.fromkeys(user_ids):
        try:
            await client.conversations_invite(channel=channel_id, users=user_id)
        except SlackApiError as error:
            code = _error_code(error)
            if code != "already_in_channel":
                logger.warning("could not invite %s to %s: %s", user_id, channel_id, code)
                failures[user_id] = code
    return failures


async def post_header(*, client: AsyncWebClient, incident: Incident) -> str:
    """Post the header message in the incident channel and pin it; returns its ts."""
    assert incident.channel_id is not None
    try:
        posted = await client.chat_postMessage(
            channel=incident.channel_id,
            text=header_text(incident),
            blocks=header_blocks(incident),
            unfurl_links=False,
        )
    except SlackApiError as error:
        raise SlackCallError(
            f"{incident.ref} is declared, but I couldn't post its header message "
            f"({_error_code(error)})."
        ) from error
    ts = str(posted["ts"])
    try:
        await client.pins_add(channel=incident.channel_id, timestamp=ts)
    except SlackApiError as error:  # the header still works unpinned
        logger.warning("could not pin the header of %s: %s", incident.ref, _error_code(error))
    return ts


async def refresh_header(
    *,
    client: AsyncWebClient,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    incident_id: int,
) -> bool:
    """Update the header in place from the incident as stored now (the latest change wins).

    A header that can't be updated is logged, not raised: the change itself is saved, and the
    next change or refresh brings the header up to date.
    """
    async with sessions() as session:
        incident = await session.scalar(
            select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
        )
    if incident is None or incident.channel_id is None or incident.header_ts is None:
        return False
    try:
        await client.chat_update(
            channel=incident.channel_id,
            ts=incident.header_ts,
            text=header_text(incident),
            blocks=header_blocks(incident),
        )
    except SlackApiError as error:
        logger.warning("could not update the header of %s: %s", incident.ref, _error_code(error))
        return False
    return True


async def change_in_channel(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    actor_id: str,
    read: Callable[[], tuple[Field, str]],
    now: datetime,
) -> Change:
    """A change asked for in an incident's channel (a command or the header's controls),
    checked and committed; `read` says what to change, asked once the incident is found (so
    "not an incident channel" is the answer first). show_change does Slack's side after."""
    async with sessions() as session:
        incident = await lifecycle.require_by_channel(
            session=session, team_id=team_id, channel_id=channel_id
        )
        field, value = read()
        change = await lifecycle.apply_change(
            session=session,
            client=client,
            incident=incident,
            actor_id=actor_id,
            field=field,
            value=value,
            now=now,
        )
        await session.commit()
    return change


async def show_change(
    *,
    client: AsyncWebClient,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    channel_id: str,
    change: Change,
) -> None:
    """Slack's side of a saved change: a new role holder is invited, the header is updated."""
    if not change.changed:
        return
    if change.field in ROLES:
        await invite(client=client, channel_id=channel_id, user_ids=[change.new])
    await refresh_header(
        client=client, sessions=sessions, team_id=team_id, incident_id=change.incident_id
    )
