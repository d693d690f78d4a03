"""Thin Bolt listeners, one module per kind; `register` wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    action_items,
    actions,
    commands,
    errors,
    events,
    follow_up,
    home,
    retro,
    shortcuts,
    views,
)


def register(app: AsyncApp) -> None:
    errors.register(app)
    commands.register(app)
    events.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    retro.register(app)
    action_items.register(app)
    home.register(app)
    follow_up.register(app)
