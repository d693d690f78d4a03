"""Thin Bolt listeners, one module per kind; `register` wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import commands, errors


def register(app: AsyncApp) -> None:
    errors.register(app)
    commands.register(app)
