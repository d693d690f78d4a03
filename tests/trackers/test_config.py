"""Tracker settings: one tracker at most, each whole or absent, secrets never shown."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.trackers.config import active_tracker
from bot.trackers.shapes import TrackerKind

GITHUB = {"GITHUB_TOKEN": "ghp_secret-token", "GITHUB_REPOSITORY": "acme/ops"}
JIRA = {
    "JIRA_URL": "https://acme.atlassian.net/",
    "JIRA_EMAIL": "bot@acme.test",
    "JIRA_API_TOKEN": "jira-secret-token",
    "JIRA_PROJECT": "OPS",
}


def test_no_tracker_by_default() -> None:
    settings = load_settings({})
    assert settings.trackers.github is None and settings.trackers.jira is None
    assert active_tracker(settings) is None
    assert not settings.trackers.sync_all
    assert settings.trackers.poll_minutes == 15


def test_github_with_its_defaults_and_user_map() -> None:
    settings = load_settings(
        {**GITHUB, "GITHUB_USER_MAP": "Ana@Example.com=ana-gh, bo@example.com=bo"}
    )
    github = settings.trackers.github
    assert github is not None
    assert (github.owner, github.name) == ("acme", "ops")
    assert github.api_url == "https://api.github.com"
    assert github.webhook_secret is None
    assert github.user_map == {"ana@example.com": "ana-gh", "bo@example.com": "bo"}
    assert active_tracker(settings) is TrackerKind.GITHUB
    assert active_tracker(settings.trackers) is TrackerKind.GITHUB


def test_jira_with_its_defaults() -> None:
    settings = load_settings({**JIRA, "TRACKER_SYNC": "all", "TRACKER_POLL_MINUTES": "5"})
    jira = settings.trackers.jira
    assert jira is not None
    assert jira.url == "https://acme.atlassian.net"  # paths are joined to it
    assert jira.issue_type == "Task"
    assert settings.trackers.sync_all
    assert settings.trackers.poll_minutes == 5
    assert active_tracker(settings) is TrackerKind.JIRA


def test_both_trackers_are_refused_naming_them() -> None:
    with pytest.raises(ConfigError, match=r"Both GitHub .* and Jira .* set one tracker only"):
        load_settings({**GITHUB, **JIRA})


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"GITHUB_TOKEN": "t"}, "GitHub is half configured: GITHUB_REPOSITORY not set"),
        ({"GITHUB_REPOSITORY": "a/b"}, "GitHub is half configured: GITHUB_TOKEN not set"),
        (
            {"JIRA_URL": "https://x.atlassian.net", "JIRA_PROJECT": "OPS"},
            "Jira is half configured: JIRA_EMAIL, JIRA_API_TOKEN not set",
        ),
    ],
)
def test_half_a_tracker_names_what_is_missing(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(environ)
    assert str(refused.value) == named


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({**GITHUB, "GITHUB_REPOSITORY": "ops"}, "GITHUB_REPOSITORY must look like owner/name"),
        ({**GITHUB, "GITHUB_API_URL": "ghe.local"}, "GITHUB_API_URL must be an http"),
        ({**GITHUB, "GITHUB_USER_MAP": "ana=ana-gh"}, "GITHUB_USER_MAP must look like"),
        ({**JIRA, "JIRA_URL": "acme.atlassian.net"}, "JIRA_URL must be an http"),
        ({"TRACKER_SYNC": "sometimes"}, "TRACKER_SYNC must be on-demand or all"),
        ({"TRACKER_POLL_MINUTES": "0"}, "TRACKER_POLL_MINUTES must be a whole number"),
    ],
)
def test_bad_values_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_secrets_never_shown() -> None:
    shown = " ".join(
        repr(load_settings({**env, "GITHUB_WEBHOOK_SECRET": "hook-secret"}).trackers)
        for env in (GITHUB, {**JIRA, "JIRA_WEBHOOK_SECRET": "hook-secret"})
    )
    assert "acme/ops" in shown and "bot@acme.test" in shown
    for secret in ("ghp_secret-token", "jira-secret-token", "hook-secret"):
        assert secret not in shown


def test_serve_exits_2_naming_the_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**GITHUB, **JIRA, "SLACK_BOT_TOKEN": "xoxb-1"}.items():
            patch.setenv(name, value)
        assert main(["migrate"]) == 2
    assert "set one tracker only" in capsys.readouterr().err
