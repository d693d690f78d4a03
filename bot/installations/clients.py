"""Which Web API client speaks for a team, for work outside a request (jobs, resumed backfills).

Requests get their client from Bolt's authorize; everything else asks a `TeamClients`. A team
without a live installation gets None: its work is skipped and logged, never sent with another
team's token.
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient


class TeamClients(Protocol):
    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        """The client holding `team_id`'s bot token, or None when the team has none live."""
        ...

    async def live_teams(self) -> list[tuple[str | None, AsyncWebClient]]:
        """Every team to run jobs for, with its client. `None` as the team means "every row"
        (one workspace: today's single-token mode, where only that team's rows exist)."""
        ...


class SingleWorkspaceClients:
    """SLACK_BOT_TOKEN mode: the one client, for the one installed team (or for any team when
    it is not known yet: the token can only reach its own workspace)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        return self.client

    async def live_teams(self) -> list[tuple[str | None, AsyncWebClient]]:
        return [(None, self.client)]
