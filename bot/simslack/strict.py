"""Slack's strict read limits, on demand: since 2025, commercially distributed apps outside the
Marketplace may call conversations.history and conversations.replies about once a minute (per
method and token), 15 messages a call. A call inside the window gets HTTP 429 with Retry-After,
the seconds left. The window is settable so a test runs in seconds; below one second
Retry-After is fractional (Slack's is whole seconds), which the bot's reader must parse."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

STRICT_METHODS = frozenset({"conversations.history", "conversations.replies"})


@dataclass
class StrictReads:
    """One call per `window` seconds per method and token, at most `page_size` messages."""

    window: float = 60.0
    page_size: int = 15
    last_call: dict[tuple[str, str | None], float] = field(default_factory=dict)
    refused: int = 0  # calls answered 429

    def wait_left(self, method: str, token: str | None, now: float) -> float | None:
        """Seconds before `method` may be called again with `token`; None when it may be now
        (and then this call opens the next window)."""
        if method not in STRICT_METHODS:
            return None
        last = self.last_call.get((method, token))
        if last is not None and now - last < self.window:
            self.refused += 1
            return self.window - (now - last)
        self.last_call[(method, token)] = now
        return None

    def capped(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """`args` with `limit` cut to the page size (Slack serves no more whatever is asked)."""
        if method not in STRICT_METHODS:
            return args
        try:
            asked = int(args.get("limit") or self.page_size)
        except (TypeError, ValueError):
            asked = self.page_size
        return {**args, "limit": min(max(asked, 1), self.page_size)}

    def retry_after(self, seconds: float) -> str:
        if self.window >= 1:
            return str(max(1, math.ceil(seconds)))
        return f"{max(seconds, 0.001):.3f}"
