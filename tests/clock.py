"""A clock the tests set by hand: give it to `build_runtime(settings, clock=...)` and services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FrozenClock:
    """Stands still at `now` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        self.now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta
