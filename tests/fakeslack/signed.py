"""SlackRequests: the simulated workspace's signed requests, built from real captured payloads."""

from __future__ import annotations

from typing import Any

import httpx

from bot.simslack import SignedRequests

from .fixtures import load_fixture
from .payloads import fixture_template
from .server import FakeSlack


class SlackRequests(SignedRequests):
    """``SignedRequests`` whose templates are Slack's real payloads (../shared/fixtures)."""

    def __init__(
        self,
        url: str,
        *,
        signing_secret: str,
        fake: FakeSlack,
        team_id: str = "T0TEAM1",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            url,
            signing_secret=signing_secret,
            workspace=fake,
            team_id=team_id,
            transport=transport,
            timeout=timeout,
        )
        self.fake = fake

    def template(self, name: str) -> dict[str, Any]:
        if name.endswith(".json"):  # an interactivity fixture named by its file, as tests did
            return load_fixture(f"interactivity/{name}")
        return fixture_template(name)
