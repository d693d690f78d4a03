"""The tracker settings (GitHub Issues or Jira), read from the environment with the others and
validated at start: one tracker at most, each either wholly configured or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.errors import ConfigError
from bot.trackers.shapes import TrackerKind

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_JIRA_ISSUE_TYPE = "Task"
DEFAULT_POLL_MINUTES = 15
SYNC_MODES = ("on-demand", "all")

Getter = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    token: str = field(repr=False)
    repository: str  # "owner/name"
    api_url: str = DEFAULT_GITHUB_API_URL
    webhook_secret: str | None = field(default=None, repr=False)
    # A Slack e-mail (lowercase) → a GitHub login, for assignees.
    user_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def name(self) -> str:
        return self.repository.partition("/")[2]


@dataclass(frozen=True, slots=True)
class JiraSettings:
    url: str  # the site, e.g. https://example.atlassian.net
    email: str
    api_token: str = field(repr=False)
    project: str
    issue_type: str = DEFAULT_JIRA_ISSUE_TYPE
    webhook_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    github: GitHubSettings | None = None
    jira: JiraSettings | None = None
    sync_all: bool = False  # TRACKER_SYNC=all: every new action item is filed without a press
    poll_minutes: int = DEFAULT_POLL_MINUTES


def active_tracker(settings: object) -> TrackerKind | None:
    """The configured tracker, if any. `settings` is bot.config.Settings or TrackerSettings."""
    trackers = getattr(settings, "trackers", settings)
    if getattr(trackers, "github", None) is not None:
        return TrackerKind.GITHUB
    if getattr(trackers, "jira", None) is not None:
        return TrackerKind.JIRA
    return None


def tracker_settings(get: Getter) -> TrackerSettings:
    github, jira = github_settings(get), jira_settings(get)
    if github is not None and jira is not None:
        raise ConfigError(
            "Both GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY) and Jira (JIRA_URL, JIRA_EMAIL, "
            "JIRA_API_TOKEN, JIRA_PROJECT) are configured; set one tracker only"
        )
    mode = (get("TRACKER_SYNC") or "on-demand").lower()
    if mode not in SYNC_MODES:
        raise ConfigError(f"TRACKER_SYNC must be on-demand or all, not {mode!r}")
    return TrackerSettings(
        github=github, jira=jira, sync_all=mode == "all", poll_minutes=poll_minutes(get)
    )


def poll_minutes(get: Getter) -> int:
    value = get("TRACKER_POLL_MINUTES")
    if value is None:
        return DEFAULT_POLL_MINUTES
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"TRACKER_POLL_MINUTES must be a whole number of minutes, not {value!r}")
    return int(value)


def require_all(tracker: str, values: Mapping[str, str | None]) -> bool:
    """Whether a tracker is configured: every required setting given (True) or none (False);
    some but not all is an error naming what's missing."""
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        return False
    if missing:
        names = ", ".join(missing)
        raise ConfigError(f"{tracker} is half configured: {names} not set")
    return True


def github_settings(get: Getter) -> GitHubSettings | None:
    required = {"GITHUB_TOKEN": get("GITHUB_TOKEN"), "GITHUB_REPOSITORY": get("GITHUB_REPOSITORY")}
    if not require_all("GitHub", required):
        return None
    repository = str(required["GITHUB_REPOSITORY"])
    owner, slash, name = repository.partition("/")
    if not slash or not owner or not name or "/" in name:
        raise ConfigError(f"GITHUB_REPOSITORY must look like owner/name, not {repository!r}")
    return GitHubSettings(
        token=str(required["GITHUB_TOKEN"]),
        repository=repository,
        api_url=http_url("GITHUB_API_URL", get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL),
        webhook_secret=get("GITHUB_WEBHOOK_SECRET"),
        user_map=user_map(get("GITHUB_USER_MAP")),
    )


def jira_settings(get: Getter) -> JiraSettings | None:
    required = {
        name: get(name) for name in ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT")
    }
    if not require_all("Jira", required):
        return None
    return JiraSettings(
        url=http_url("JIRA_URL", str(required["JIRA_URL"])),
        email=str(required["JIRA_EMAIL"]),
        api_token=str(required["JIRA_API_TOKEN"]),
        project=str(required["JIRA_PROJECT"]),
        issue_type=get("JIRA_ISSUE_TYPE") or DEFAULT_JIRA_ISSUE_TYPE,
        webhook_secret=get("JIRA_WEBHOOK_SECRET"),
    )


def http_url(name: str, value: str) -> str:
    """An http(s) URL without its trailing slash (paths are joined to it)."""
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


def user_map(value: str | None) -> dict[str, str]:
    """`ana@example.com=ana-gh,bo@example.com=bo` → {slack e-mail (lowercase): GitHub login}."""
    logins: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in (value or "").split(","))):
        email, sep, login = (piece.strip() for piece in pair.partition("="))
        if not sep or "@" not in email or not login:
            raise ConfigError(
                f"GITHUB_USER_MAP must look like ana@example.com=ana-gh,…; got {pair!r}"
            )
        logins[email.lower()] = login
    return logins
