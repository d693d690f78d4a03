"""Bolt listeners for views."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
