"""`hindsight keygen | teams | purge` as an operator runs them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.installations.crypto import TokenCipher, generate_key
from bot.installations.lifecycle import count_team_rows, uninstall
from models.base import utcnow
from tests.installations.test_lifecycle import seed_every_team_table
from tests.installations.test_store import installation, make_store, tokens_of
from tests.test_cli import base_env, run


def test_keygen_prints_a_new_usable_key_with_nothing_set(tmp_path: Path) -> None:
    first, second = (run(["keygen"], base_env(), tmp_path) for _ in range(2))
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key != second.stdout.strip()
    assert first.stdout.count("\n") == 1
    assert TokenCipher([key]).decrypt(TokenCipher([key]).encrypt("xoxb-1")) == "xoxb-1"


async def test_teams_lists_each_workspace_and_never_a_token(
    sessions: async_sessionmaker, database_url: str, tmp_path: Path
) -> None:
    store = make_store(sessions)
    async with sessions.begin() as session:
        await seed_every_team_table(session, "T0ACME")
    saved = [
        installation("T0ACME", team_name="Acme", bot_token_expires_in=43200),
        installation("T0GONE", team_name="Gone"),
        installation(
            None,
            enterprise_id="E0ORG",
            enterprise_name="Org",
            is_enterprise_install=True,
            bot_refresh_token=None,
            bot_token_expires_in=None,
        ),
    ]
    for install in saved:
        await store.async_save(install)
    await store.note_workspace(enterprise_id="E0ORG", team_id="T0W1")
    await uninstall(sessions, store, team_id="T0GONE", enterprise_id=None, now=utcnow())

    result = run(["teams"], base_env() | {"DATABASE_URL": database_url}, tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "TEAM",
        "NAME",
        "INSTALLED",
        "(UTC)",
        "INCIDENTS",
        "OPEN",
        "ITEMS",
        "TOKEN",
    ]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ["E0ORG", "T0ACME", "T0GONE", "T0W1"]
    acme = rows["T0ACME"].split()
    assert acme[1] == "Acme" and acme[4:6] == ["1", "1"]  # one incident, one open item
    assert "live, rotates (expires" in rows["T0ACME"]
    purge_day = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d")
    assert "none (uninstalled" in rows["T0GONE"] and f"purged after {purge_day}" in rows["T0GONE"]
    assert rows["E0ORG"].rstrip().endswith("live")
    assert "live (its organisation's install)" in rows["T0W1"]
    for install in saved:
        for token in tokens_of(install):
            assert token not in result.stdout + result.stderr


async def test_purge_says_what_it_would_delete_and_deletes_with_yes(
    sessions: async_sessionmaker, database_url: str, tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await seed_every_team_table(session, "T0GONE")
        await seed_every_team_table(session, "T0STAYS")
    env = base_env() | {"DATABASE_URL": database_url}

    asked = run(["purge", "--team", "T0GONE"], env, tmp_path)
    assert asked.returncode == 2
    assert "would delete" in asked.stderr and "incidents 1" in asked.stderr
    assert "--yes" in asked.stderr and "still installed" in asked.stderr
    assert set((await count_team_rows(sessions, "T0GONE")).values()) == {1}

    done = run(["purge", "--team", "T0GONE", "--yes"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout and "of team T0GONE" in done.stdout
    assert set((await count_team_rows(sessions, "T0GONE")).values()) == {0}
    assert set((await count_team_rows(sessions, "T0STAYS")).values()) == {1}

    again = run(["purge", "--team", "T0GONE", "--yes"], env, tmp_path)
    assert again.returncode == 2 and "nothing to delete" in again.stderr


def test_purge_refuses_bad_input_with_one_clear_line(tmp_path: Path) -> None:
    env = base_env() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    for args, says in (
        (["purge", "--team", "acme; drop table", "--yes"], "not a Slack team id like T0123ABCD"),
        (["purge", "--yes"], "the following arguments are required: --team"),
    ):
        result = run(args, env, tmp_path)
        assert result.returncode == 2
        assert says in result.stderr
        assert result.stdout == ""


async def test_rekey_writes_every_token_with_the_first_key_so_the_old_one_can_go(
    sessions: async_sessionmaker, database_url: str, tmp_path: Path
) -> None:
    old, new = generate_key(), generate_key()
    saved = installation("T0A")
    await make_store(sessions, old).async_save(saved)
    await make_store(sessions, new).async_save(installation("T0B"))
    env = base_env() | {"DATABASE_URL": database_url}

    lacking = run(["rekey"], env | {"TOKEN_ENCRYPTION_KEY": new}, tmp_path)
    assert lacking.returncode == 2
    assert "TOKEN_ENCRYPTION_KEY" in lacking.stderr and "nothing was changed" in lacking.stderr

    done = run(["rekey"], env | {"TOKEN_ENCRYPTION_KEY": f"{new},{old}"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "8 token(s)" in done.stdout
    found = await make_store(sessions, new).async_find_installation(
        enterprise_id=None, team_id="T0A"
    )
    assert found is not None and tokens_of(found) == tokens_of(saved)

    unset = run(["rekey"], env, tmp_path)
    assert unset.returncode == 2 and "TOKEN_ENCRYPTION_KEY" in unset.stderr
