"""The workspace's members: users.list as the simulated Slack answers it (Slack's shape, cursor
pagination, its limit and errors)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.simslack.methods_users import MAX_PAGE
from tests.fakeslack import FakeSlack, load_fixture


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)


def add_people(fake: FakeSlack, count: int, *, start: int = 0) -> list[str]:
    ids = [f"U{n:08d}" for n in range(start, start + count)]
    for user_id in ids:
        fake.add_user(user_id, name=f"person{user_id[-4:]}", real_name=f"Person {user_id[-4:]}")
    return ids


async def slack_error(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


# ---- users.list in the simulated workspace -----------------------------------------------------


async def test_users_list_pages_by_cursor_until_the_cursor_is_empty(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    people = add_people(fake, 5)
    fake.add_user("U0GONE", name="gone", deleted=True)
    seen: list[str] = []
    cursors: list[str] = []
    async for page in await client.users_list(limit=2):
        seen += [member["id"] for member in page["members"]]
        cursors.append(page["response_metadata"]["next_cursor"])
        assert len(page["members"]) <= 2
    assert seen == [fake.bot_user_id, *people, "U0GONE"]  # bots and the deactivated too
    assert cursors[-1] == "" and all(cursors[:-1])
    assert base64.b64decode(cursors[0]).decode() == f"user:{people[1]}"  # Slack's cursor shape
    assert [call.args.get("cursor") for call in fake.calls_to("users.list")][1:] == cursors[:-1]


async def test_users_list_members_have_the_shape_users_info_gives(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.add_user("U0DEREK", name="derek", real_name="Derek Olsen", display_name="D.O.")
    answer = await client.users_list(limit=200)
    example = load_fixture("web_api/openapi_response_examples.json")["methods"]["users.info"]
    derek = next(m for m in answer["members"] if m["id"] == "U0DEREK")
    assert set(example["examples"]["200"]["user"]) <= set(derek)
    assert derek == (await client.users_info(user="U0DEREK"))["user"]
    assert derek["profile"]["display_name"] == "D.O." and derek["real_name"] == "Derek Olsen"
    assert isinstance(answer["cache_ts"], int)
    assert answer["response_metadata"] == {"next_cursor": ""}
    localised = await client.users_list(limit=200, include_locale=True)
    assert {m.get("locale") for m in localised["members"]} == {"en-US"}


async def test_users_list_caps_the_page_and_wants_a_limit_for_a_large_team(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    add_people(fake, MAX_PAGE)  # with the bot, one more than a page
    assert len((await client.users_list(limit=5000))["members"]) == MAX_PAGE
    assert await slack_error(client.users_list()) == "limit_required"


async def test_users_list_lists_this_workspace_only_and_refuses_a_bad_cursor(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.add_user("U0ALICE", name="alice")
    fake.add_user("U0STRANGER", name="stranger", team_id="T0OTHER")
    members = (await client.users_list())["members"]  # a small team: everyone without a limit
    assert [m["id"] for m in members] == [fake.bot_user_id, "U0ALICE"]
    bogus = base64.b64encode(b"user:U0NOBODY").decode()
    assert await slack_error(client.users_list(limit=1, cursor=bogus)) == "invalid_cursor"
    assert await slack_error(client.users_list(limit=1, cursor="not base64!")) == "invalid_cursor"
    outsider = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert await slack_error(outsider.users_list(limit=1)) == "invalid_auth"
