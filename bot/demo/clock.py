"""The demo's clock: it stands still until a scene moves it, so every run is the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class DemoClock:
    """The runtime's "now" (`build_runtime(settings, clock=...)`), moved by the script."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def ts(self) -> str:
        """A Slack message ts for a message sent now."""
        return f"{self.now.timestamp():.6f}"
