"""Settings come from the environment only, with clear errors for what is missing or wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_SLACK_API_URL, async_database_url, load_settings
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
