"""Thin Bolt listeners, one module per kind; `register` wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    action_items,
    commands,
    debt_buttons,
    errors,
    events,
    header_controls,
    home,
    item_buttons,
    lifecycle_events,
    retro,
    search_commands,
    shortcuts,
    tracker_buttons,
    views,
)


def register(app: AsyncApp) -> None:
    errors.register(app)
    commands.register(app)
    events.register(app)
    header_controls.register(app)
    views.register(app)
    shortcuts.register(app)
    retro.register(app)
    action_items.register(app)
    home.register(app)
    item_buttons.register(app)
    debt_buttons.register(app)
    search_commands.register(app)
    tracker_buttons.register(app)
    lifecycle_events.register(app)
