"""The configured tracker's adapter, on the runtime's one httpx client."""

from __future__ import annotations

import httpx

from bot.trackers.config import TrackerSettings
from bot.trackers.github import GitHubTracker
from bot.trackers.jira import JiraTracker
from bot.trackers.shapes import Tracker, TrackerKind


def build_trackers(
    settings: TrackerSettings, client: httpx.AsyncClient
) -> dict[TrackerKind, Tracker]:
    """{kind: adapter} for the tracker the settings configure (at most one); empty for none."""
    trackers: dict[TrackerKind, Tracker] = {}
    if settings.github is not None:
        trackers[TrackerKind.GITHUB] = GitHubTracker(client, settings.github)
    if settings.jira is not None:
        trackers[TrackerKind.JIRA] = JiraTracker(client, settings.jira)
    return trackers
