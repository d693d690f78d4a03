"""Settings come from the environment only, with clear errors for what is missing or wrong."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.config import DEFAULT_SLACK_API_URL, DigestSchedule, async_database_url, load_settings
from bot.errors import ConfigError


def test_defaults_use_sqlite_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'hindsight.db'}"
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 3000, "INFO")
    assert settings.postmortem_channel is None
    assert settings.socket_mode is False


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///relative.db", "sqlite+aiosqlite:///relative.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@db:5432/hs", "postgresql+asyncpg://u:p@db:5432/hs"),
        ("postgres://u@db/hs", "postgresql+asyncpg://u@db/hs"),
        ("postgresql+psycopg2://u@db/hs", "postgresql+asyncpg://u@db/hs"),
    ],
)
def test_database_urls_work_as_people_write_them(written: str, used: str) -> None:
    assert async_database_url(written) == used


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_unsupported_database_url_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        async_database_url(bad)


def test_api_url_gets_a_trailing_slash_and_must_be_http() -> None:
    assert load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == (
        "http://127.0.0.1:9/api/"
    )
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        load_settings({"SLACK_API_URL": "ftp://example"})


@pytest.mark.parametrize("port", ["abc", "70000", "-1"])
def test_bad_port_is_named(port: str) -> None:
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"PORT": port})


def test_every_missing_slack_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as http:
        load_settings({}).require_slack()
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set" in http.value.message
    with pytest.raises(ConfigError) as socket_mode:
        load_settings({"SLACK_APP_TOKEN": "xapp-1"}).require_slack()
    assert "SLACK_BOT_TOKEN is not set" in socket_mode.value.message
    assert "SLACK_SIGNING_SECRET" not in socket_mode.value.message  # Socket Mode needs none


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("sqlite:hindsight.db", "sqlite:///hindsight.db"),
        ("sqlite:/var/lib/hs.db", "sqlite:////var/lib/hs.db"),
    ],
)
def test_a_sqlite_url_without_slashes_gets_a_hint(written: str, hint: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL") as refused:
        async_database_url(written)
    assert f"write {hint} " in refused.value.message


def test_http_mode_requires_token_then_signing_secret() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        load_settings({}).require_slack()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack()
    load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}).require_slack()


def test_socket_mode_needs_the_app_token_not_the_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode
    settings.require_slack()


def test_repr_never_shows_secrets() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret-token",
            "SLACK_SIGNING_SECRET": "signing-secret-value",
            "DATABASE_URL": "postgresql://hs:db-password@db/hs",
        }
    )
    shown = repr(settings)
    for secret in ("xoxb-secret-token", "signing-secret-value", "db-password"):
        assert secret not in shown
    assert "postgresql+asyncpg://hs:***@db/hs" in shown


def test_follow_through_defaults() -> None:
    settings = load_settings({"POSTMORTEM_CHANNEL": "C0POSTMORTEMS"})
    assert settings.due_days == {"high": 3, "medium": 7, "low": 14}
    assert settings.reminder_interval_seconds == 60
    assert (settings.cadence.before_due_days, settings.cadence.overdue_every_days) == (2, 2)
    assert settings.cadence.escalate_after_overdue_nudges == 3
    hours = settings.working_hours
    assert (hours.start, hours.end, hours.weekdays) == (time(9), time(17), frozenset(range(5)))
    assert settings.digest_schedule == DigestSchedule(weekday=0, at=time(9))
    assert settings.digest_channel == "C0POSTMORTEMS"  # the digest goes where postmortems go


def test_follow_through_settings_are_read() -> None:
    settings = load_settings(
        {
            "ACTION_DUE_DAYS": "high=1, medium=5, low=30",
            "REMINDER_INTERVAL_SECONDS": "15",
            "REMINDER_BEFORE_DUE_DAYS": "0",
            "REMINDER_OVERDUE_EVERY_DAYS": "1",
            "REMINDER_ESCALATE_AFTER": "5",
            "WORKING_HOURS": "08:30-24:00",
            "WORKING_DAYS": "sun-thu",
            "DIGEST_SCHEDULE": "Friday 16:30",
            "DIGEST_CHANNEL": "C0DIGEST",
            "POSTMORTEM_CHANNEL": "C0POSTMORTEMS",
        }
    )
    assert settings.due_days == {"high": 1, "medium": 5, "low": 30}
    assert settings.reminder_interval_seconds == 15
    assert (settings.cadence.before_due_days, settings.cadence.overdue_every_days) == (0, 1)
    assert settings.cadence.escalate_after_overdue_nudges == 5
    assert settings.working_hours.start == time(8, 30)
    assert settings.working_hours.end > time(23, 59)
    assert settings.working_hours.weekdays == frozenset({6, 0, 1, 2, 3})
    assert settings.digest_schedule == DigestSchedule(weekday=4, at=time(16, 30))
    assert settings.digest_channel == "C0DIGEST"
    assert load_settings({"DIGEST_SCHEDULE": "off"}).digest_schedule is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACTION_DUE_DAYS", "high=3,medium=7"),
        ("ACTION_DUE_DAYS", "urgent=1,high=3,medium=7,low=14"),
        ("ACTION_DUE_DAYS", "high=0,medium=7,low=14"),
        ("REMINDER_INTERVAL_SECONDS", "0"),
        ("REMINDER_INTERVAL_SECONDS", "soon"),
        ("REMINDER_OVERDUE_EVERY_DAYS", "0"),
        ("WORKING_HOURS", "17:00-09:00"),
        ("WORKING_HOURS", "nine to five"),
        ("WORKING_DAYS", "mon-someday"),
        ("WORKING_DAYS", "weekdays"),
        ("DIGEST_SCHEDULE", "someday 09:00"),
        ("DIGEST_SCHEDULE", "mon"),
        ("DIGEST_SCHEDULE", "mon 25:00"),
    ],
)
def test_bad_follow_through_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_many_workspaces_are_not_served_over_socket_mode() -> None:
    settings = load_settings(
        {
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "secret",
            "SLACK_SIGNING_SECRET": "s",
            "TOKEN_ENCRYPTION_KEY": "k",
            "SLACK_APP_TOKEN": "xapp-1",
        }
    )
    with pytest.raises(ConfigError) as refused:
        settings.require_slack()
    assert "SLACK_APP_TOKEN" in refused.value.message
    assert "unset SLACK_APP_TOKEN" in refused.value.message


def test_both_modes_or_neither_are_refused_naming_what_is_wrong() -> None:
    both = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}
    )
    with pytest.raises(ConfigError) as refused:
        both.require_slack()
    assert "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set" in (
        refused.value.message
    )
    with pytest.raises(ConfigError) as neither:
        load_settings({}).require_slack()
    assert "SLACK_CLIENT_ID" in neither.value.message
    missing_key = load_settings(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"}
    )
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY is not set"):
        missing_key.require_slack()
