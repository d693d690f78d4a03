"""What the facilitator types into the retrospective's steps, as Slack's `view.state.values`."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import Declare, Retro
from bot.simslack import state_value

Values = dict[str, Any]


def values(entries: dict[str, dict[str, Any]]) -> Values:
    """`{block_id: state_value}` → `{block_id: {action_id: state_value}}` (same ids here)."""
    return {block_id: {block_id: value} for block_id, value in entries.items()}


def text(value: str | None) -> dict[str, Any]:
    return state_value("plain_text_input", value)


def keep(ticked: bool = False) -> dict[str, Any]:
    return {Retro.KEEP_WORDING: state_value("checkboxes", ["keep"] if ticked else [])}


def rows_of(view: dict[str, Any]) -> list[str]:
    """The keys of a step's repeated rows (factors, action items), oldest first."""
    return list(json.loads(view["private_metadata"]).get("r", []))


def step_of(view: dict[str, Any]) -> str:
    return str(json.loads(view["private_metadata"])["s"])


def declare(title: str, summary: str, commander: str, facilitator: str) -> Values:
    return values(
        {
            Declare.TITLE: text(title),
            Declare.SEVERITY: state_value("static_select", "SEV2"),
            Declare.SUMMARY: text(summary),
            Declare.COMMANDER: state_value("users_select", commander),
            Declare.FACILITATOR: state_value("users_select", facilitator),
            Declare.SERVICES: text("checkout"),
            Declare.CHANNEL: state_value("radio_buttons", "new"),
        }
    )


def summary(summary: str, impact: str, duration: str, detection: str) -> Values:
    return values(
        {
            Retro.SUMMARY: text(summary),
            Retro.IMPACT: text(impact),
            Retro.DURATION: text(duration),
            Retro.DETECTION: text(detection),
            **keep(),
        }
    )


def timeline_as_offered(view: dict[str, Any]) -> Values:
    """The timeline step submitted as the bot prefilled it (from the marks)."""
    entries: dict[str, Any] = {}
    for block_id in (Retro.DETECTED_BY, Retro.MITIGATED_BY, Retro.RESOLVED_BY):
        block = next((b for b in view["blocks"] if b.get("block_id") == block_id), {})
        offered = (block.get("element") or {}).get("initial_option")
        entries[block_id] = state_value("static_select", offered)
    return values(entries)


def factors(view: dict[str, Any], rows: list[tuple[str, str, list[str]]]) -> Values:
    entries: dict[str, Any] = {}
    for key, (category, description, whys) in zip(rows_of(view), rows, strict=True):
        entries[f"{Retro.FACTOR_CATEGORY}.{key}"] = state_value("static_select", category)
        entries[f"{Retro.FACTOR_DESCRIPTION}.{key}"] = text(description)
        entries[f"{Retro.FACTOR_WHYS}.{key}"] = text("\n".join(whys))
    return values({**entries, **keep()})


def lessons(well: str, badly: str, lucky: str) -> Values:
    entries = {Retro.WENT_WELL: text(well), Retro.WENT_BADLY: text(badly)}
    return values({**entries, Retro.GOT_LUCKY: text(lucky), **keep()})


def actions(view: dict[str, Any], items: list[tuple[str, str, str, str, str]]) -> Values:
    """Rows of (title, owner, due date, priority, kind)."""
    entries: Values = {}
    for key, (title, owner, due, priority, kind) in zip(rows_of(view), items, strict=True):
        for block_id, value in (
            (Retro.ACTION_TITLE, text(title)),
            (Retro.ACTION_OWNER, state_value("users_select", owner)),
            (Retro.ACTION_DUE, state_value("datepicker", due)),
        ):
            entries[f"{block_id}.{key}"] = {f"{block_id}.{key}": value}
        entries[f"{Retro.ACTION_ROW}.{key}"] = {
            f"{Retro.ACTION_PRIORITY}.{key}": state_value("static_select", priority),
            f"{Retro.ACTION_KIND}.{key}": state_value("static_select", kind),
        }
    return {**entries, **values(keep())}
