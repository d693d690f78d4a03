"""Tests of the fake Slack itself, driven by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakeslack import (
    FakeSlack,
    SlackRequests,
    load_fixture,
    required_args,
    state_value,
    validate_view,
)

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)


@pytest.fixture
def people(fake: FakeSlack) -> tuple[str, str]:
    fake.add_user("U0ALICE", name="alice", real_name="Alice Adams")
    fake.add_user("U0BOB", name="bob", real_name="Bob Brown", tz="Europe/London")
    return "U0ALICE", "U0BOB"


async def slack_error(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def section(text: str = "hi") -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str = "Postmortem", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section()],
        **extra,
    }


# ---- auth and users ------------------------------------------------------------------------
async def test_auth_test_has_bolt_shape(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    expected = load_fixture("web_api/auth.test.bot.bolt-python-mock.json")["response"]
    assert set(expected) <= set(resp.data)
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == ("T0TEAM1", "U0BOT", "B0BOT")
    assert "chat:write" in resp.headers["x-oauth-scopes"]
    assert fake.calls_to("auth.test")[0].token == "xoxb-test-token"


async def test_tokens_are_checked(fake: FakeSlack) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert (await slack_error(bad.auth_test())).response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=fake.base_url)
    assert (await slack_error(anonymous.auth_test())).response["error"] == "not_authed"
    fake.add_token("xoxb-other", "T0OTHER")
    other = AsyncWebClient(token="xoxb-other", base_url=fake.base_url)
    assert (await other.auth_test())["team_id"] == "T0OTHER"


async def test_users_info_shape(fake: FakeSlack, client: AsyncWebClient, people: Any) -> None:
    user = (await client.users_info(user="U0BOB"))["user"]
    example = load_fixture("web_api/openapi_response_examples.json")["methods"]["users.info"]
    assert set(example["examples"]["200"]["user"]) <= set(user)
    offset = datetime.now(ZoneInfo("Europe/London")).utcoffset()
    assert offset is not None
    assert user["tz_offset"] == int(offset.total_seconds())
    assert user["profile"]["real_name"] == "Bob Brown"
    assert (await client.users_info(user="U0BOT"))["user"]["is_bot"] is True
    err = await slack_error(client.users_info(user="U0NOBODY"))
    assert err.response["error"] == "user_not_found"


# ---- conversations -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Incident-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc#1", "invalid_name_specials"),
        ("a" * 81, "invalid_name_maxlength"),
        ("--_-", "invalid_name_punctuation"),
        ("", "invalid_name_required"),
    ],
)
async def test_channel_name_rules(client: AsyncWebClient, name: str, error: str) -> None:
    assert (await slack_error(client.conversations_create(name=name))).response["error"] == error


async def test_create_channel_and_name_taken(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.conversations_create(name="inc-42_db-outage", is_private=True)
    chan = resp["channel"]
    assert chan["id"].startswith("C") and chan["name"] == "inc-42_db-outage"
    assert chan["is_private"] is True and chan["is_member"] is True and chan["creator"] == "U0BOT"
    assert fake.calls_to("conversations.create")[0].args["is_private"] == "1"
    assert (await client.conversations_create(name="a" * 80))["channel"]["name"] == "a" * 80
    err = await slack_error(client.conversations_create(name="inc-42_db-outage"))
    assert err.response["error"] == "name_taken"


async def test_invite_errors(fake: FakeSlack, client: AsyncWebClient, people: Any) -> None:
    cid = (await client.conversations_create(name="inc-1"))["channel"]["id"]
    outside = fake.add_channel("random", members=["U0ALICE"])
    secret = fake.add_channel("secret", is_private=True)
    cases = [
        ({"channel": "C0MISSING", "users": ["U0ALICE"]}, "channel_not_found"),
        ({"channel": secret, "users": ["U0ALICE"]}, "channel_not_found"),
        ({"channel": outside, "users": ["U0BOB"]}, "not_in_channel"),
        ({"channel": cid, "users": ["U0NOBODY"]}, "user_not_found"),
        ({"channel": cid, "users": ["U0BOT"]}, "cant_invite_self"),
    ]
    for kwargs, error in cases:
        assert (await slack_error(client.conversations_invite(**kwargs))).response["error"] == error
    await client.conversations_invite(channel=cid, users=["U0ALICE"])
    err = await slack_error(client.conversations_invite(channel=cid, users=["U0ALICE"]))
    assert err.response["error"] == "already_in_channel"
    await client.conversations_invite(channel=cid, users=["U0ALICE", "U0BOB"])
    assert fake.channels[cid].members == {"U0BOT", "U0ALICE", "U0BOB"}
    assert fake.calls_to("conversations.invite")[-1].args["users"] == "U0ALICE,U0BOB"


async def test_join_and_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("general", members=["U0X"])
    assert (await client.conversations_info(channel=cid))["channel"]["is_member"] is False
    await client.conversations_join(channel=cid)
    again = await client.conversations_join(channel=cid)
    assert again["warning"] == "already_in_channel"
    info = await client.conversations_info(channel=cid, include_num_members=True)
    assert info["channel"]["is_member"] is True and info["channel"]["num_members"] == 2


async def test_history_pagination_with_cursors(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("busy", bot_is_member=True)
    seeded = [fake.add_message(cid, text=f"m{i}", user="U0ALICE") for i in range(250)]
    pages, cursor = [], None
    while True:
        resp = await client.conversations_history(channel=cid, limit=100, cursor=cursor)
        pages.append(resp["messages"])
        cursor = resp["response_metadata"]["next_cursor"]
        assert resp["has_more"] is bool(cursor)
        if not cursor:
            break
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [m["ts"] for p in pages for m in p] == list(reversed(seeded))
    sizes = [
        len(page["messages"])
        async for page in await client.conversations_history(channel=cid, limit=120)
    ]
    assert sizes == [120, 120, 10]
    window = await client.conversations_history(channel=cid, oldest=seeded[9], latest=seeded[20])
    assert [m["text"] for m in window["messages"]] == [f"m{i}" for i in range(19, 9, -1)]
    err = await slack_error(client.conversations_history(channel=cid, cursor="bogus!"))
    assert err.response["error"] == "invalid_cursor"


async def test_history_access_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("elsewhere")
    err = await slack_error(client.conversations_history(channel=cid))
    assert err.response["error"] == "not_in_channel"
    err = await slack_error(client.conversations_history(channel="C0NOPE"))
    assert err.response["error"] == "channel_not_found"


async def test_replies_and_threads(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("inc", bot_is_member=True)
    parent = fake.add_message(cid, text="db down", user="U0ALICE")
    replies = [
        fake.add_message(cid, text=f"r{i}", user="U0BOB", thread_ts=parent) for i in range(5)
    ]
    posted = await client.chat_postMessage(channel=cid, thread_ts=parent, text="bot reply")
    replies.append(posted["ts"])
    history = (await client.conversations_history(channel=cid))["messages"]
    assert [m["ts"] for m in history] == [parent]
    assert history[0]["reply_count"] == 6 and history[0]["reply_users"] == ["U0BOB", "U0BOT"]
    thread = await client.conversations_replies(channel=cid, ts=parent)
    assert [m["ts"] for m in thread["messages"]] == [parent, *replies]
    assert thread["messages"][1]["parent_user_id"] == "U0ALICE"
    first = await client.conversations_replies(channel=cid, ts=parent, limit=4)
    assert [m["ts"] for m in first["messages"]] == [parent, *replies[:3]] and first["has_more"]
    rest = await client.conversations_replies(
        channel=cid, ts=parent, limit=4, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in rest["messages"]] == replies[3:] and not rest["has_more"]
    err = await slack_error(client.conversations_replies(channel=cid, ts="1.000001"))
    assert err.response["error"] == "thread_not_found"


async def test_conversations_open_gives_stable_dm_ids(
    fake: FakeSlack, client: AsyncWebClient, people: Any
) -> None:
    first = (await client.conversations_open(users="U0ALICE"))["channel"]["id"]
    again = (await client.conversations_open(users=["U0ALICE"]))["channel"]["id"]
    other = (await client.conversations_open(users="U0BOB"))["channel"]["id"]
    assert first == again and first.startswith("D") and other != first
    full = await client.conversations_open(users="U0ALICE", return_im=True)
    assert full["channel"]["is_im"] is True and full["channel"]["user"] == "U0ALICE"
    by_user = await client.chat_postMessage(channel="U0ALICE", text="hello")
    assert by_user["channel"] == first
    assert (await client.conversations_history(channel=first))["messages"][0]["text"] == "hello"
    err = await slack_error(client.conversations_open(users="U0NOBODY"))
    assert err.response["error"] == "user_not_found"


# ---- chat ----------------------------------------------------------------------------------
async def test_post_update_permalink_pins(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("inc", bot_is_member=True, members=["U0ALICE"])
    posted = await client.chat_postMessage(channel=cid, text="status", blocks=[section("status")])
    assert posted["message"]["bot_id"] == "B0BOT" and posted["message"]["blocks"][0]["block_id"]
    updated = await client.chat_update(channel=cid, ts=posted["ts"], text="resolved")
    assert updated["message"]["text"] == "resolved" and updated["message"]["blocks"]
    assert fake.find_message(cid, posted["ts"])["edited"]["user"] == "U0BOT"
    link = await client.chat_getPermalink(channel=cid, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{cid}/p{posted['ts'].replace('.', '')}")
    user_ts = fake.add_message(cid, text="mine", user="U0ALICE")
    err = await slack_error(client.chat_update(channel=cid, ts=user_ts, text="x"))
    assert err.response["error"] == "cant_update_message"
    err = await slack_error(client.chat_update(channel=cid, ts="1.000002", text="x"))
    assert err.response["error"] == "message_not_found"
    await client.pins_add(channel=cid, timestamp=posted["ts"])
    pin_errors = [
        ({"timestamp": posted["ts"]}, "already_pinned"),
        ({"timestamp": "1.000003"}, "message_not_found"),
        ({}, "no_item_specified"),
    ]
    for kwargs, error in pin_errors:
        assert (await slack_error(client.pins_add(channel=cid, **kwargs))).response[
            "error"
        ] == error
    assert fake.channels[cid].pins == [posted["ts"]]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("inc", bot_is_member=True)
    outside = fake.add_channel("outside")
    cases = [
        ({"channel": cid}, "no_text"),
        ({"channel": outside, "text": "x"}, "not_in_channel"),
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": cid, "text": "x" * 40_001}, "msg_too_long"),
    ]
    for kwargs, error in cases:
        assert (await slack_error(client.chat_postMessage(**kwargs))).response["error"] == error
    assert [r.error for r in fake.rejections] == ["msg_too_long"]
    fake.add_user("U0ALICE", name="alice")
    err = await slack_error(client.chat_postEphemeral(channel=cid, user="U0ALICE", text="psst"))
    assert err.response["error"] == "user_not_in_channel"
    fake.channels[cid].members.add("U0ALICE")
    assert (await client.chat_postEphemeral(channel=cid, user="U0ALICE", text="psst"))["message_ts"]
    assert fake.ephemerals[0]["user"] == "U0ALICE"


async def test_51_blocks_rejected_as_invalid_blocks(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    cid = fake.add_channel("inc", bot_is_member=True)
    assert (await client.chat_postMessage(channel=cid, text="ok", blocks=[section()] * 50))["ok"]
    err = await slack_error(client.chat_postMessage(channel=cid, text="x", blocks=[section()] * 51))
    assert err.response["error"] == "invalid_blocks"
    assert "[json-pointer:/blocks]" in err.response["response_metadata"]["messages"][0]
    assert fake.violations == [] and len(fake.rejections) == 1
    with pytest.raises(AssertionError, match="invalid_blocks"):
        fake.assert_no_rejections()
    fake.assert_no_violations()


# ---- views ---------------------------------------------------------------------------------
async def test_trigger_id_single_use_and_expiry(fake: FakeSlack, client: AsyncWebClient) -> None:
    trigger = fake.issue_trigger_id("U0ALICE")
    opened = (await client.views_open(trigger_id=trigger, view=modal()))["view"]
    assert opened["id"].startswith("V") and opened["root_view_id"] == opened["id"]
    assert opened["state"] == {"values": {}} and opened["hash"] and opened["app_id"] == fake.app_id
    err = await slack_error(client.views_open(trigger_id=trigger, view=modal()))
    assert err.response["error"] == "exchanged_trigger_id"
    fake.trigger_ttl = 0.05
    stale = fake.issue_trigger_id()
    await asyncio.sleep(0.1)
    err = await slack_error(client.views_open(trigger_id=stale, view=modal()))
    assert err.response["error"] == "expired_trigger_id"
    err = await slack_error(client.views_open(trigger_id="123.456.abc", view=modal()))
    assert err.response["error"] == "invalid_trigger_id"
    assert fake.views[opened["id"]]["title"]["text"] == "Postmortem"
    form = {"trigger_id": fake.issue_trigger_id(), "view": json.dumps(modal("As form"))}
    as_form = await client.api_call("views.open", data=form)
    assert as_form["view"]["title"]["text"] == "As form"


async def test_push_limit_reached(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = (await client.views_open(trigger_id=fake.issue_trigger_id("U0A"), view=modal()))["view"]
    second = await client.views_push(
        trigger_id=fake.issue_trigger_id("U0A", root["id"]), view=modal("2")
    )
    third = await client.views_push(
        trigger_id=fake.issue_trigger_id("U0A", root["id"]), view=modal("3")
    )
    assert second["view"]["previous_view_id"] == root["id"]
    assert third["view"]["root_view_id"] == root["id"]
    err = await slack_error(
        client.views_push(trigger_id=fake.issue_trigger_id("U0A"), view=modal("4"))
    )
    assert err.response["error"] == "push_limit_reached"
    assert fake.view_stacks[root["id"]] == [root["id"], second["view"]["id"], third["view"]["id"]]


async def test_views_update_hash_conflict(fake: FakeSlack, client: AsyncWebClient) -> None:
    trigger = fake.issue_trigger_id()
    opened = (await client.views_open(trigger_id=trigger, view=modal(external_id="pm-1")))["view"]
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("v2"))
    assert updated["view"]["id"] == opened["id"] and updated["view"]["hash"] != opened["hash"]
    err = await slack_error(
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    )
    assert err.response["error"] == "hash_conflict"
    by_external = await client.views_update(external_id="pm-1", view=modal("v3"))
    assert by_external["view"]["title"]["text"] == "v3"
    err = await slack_error(client.views_update(view_id="V0NOPE", view=modal()))
    assert err.response["error"] == "not_found"


async def test_modal_title_of_25_chars_rejected(fake: FakeSlack, client: AsyncWebClient) -> None:
    assert (await client.views_open(trigger_id=fake.issue_trigger_id(), view=modal("x" * 24)))["ok"]
    err = await slack_error(
        client.views_open(trigger_id=fake.issue_trigger_id(), view=modal("x" * 25))
    )
    assert err.response["error"] == "invalid_arguments"
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert fake.violations == [] and fake.rejections[0].method == "views.open"


async def test_views_publish(fake: FakeSlack, client: AsyncWebClient) -> None:
    home = load_fixture("views/view_home_001.python-slack-sdk.json")
    first = (await client.views_publish(user_id="U0ALICE", view=home))["view"]
    second = (await client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"]))["view"]
    assert first["id"] == second["id"] and fake.home_views["U0ALICE"]["hash"] == second["hash"]
    bad = {**home, "submit": {"type": "plain_text", "text": "Go"}}
    err = await slack_error(client.views_publish(user_id="U0ALICE", view=bad))
    assert "[json-pointer:/view/submit]" in err.response["response_metadata"]["messages"][0]
    fake.home_enabled = False
    err = await slack_error(client.views_publish(user_id="U0ALICE", view=home))
    assert err.response["error"] == "not_enabled"


# ---- contract checks and failure injection -------------------------------------------------
async def test_missing_required_arg_is_a_violation(fake: FakeSlack, client: AsyncWebClient) -> None:
    err = await slack_error(client.api_call("chat.postMessage", json={"text": "hi"}))
    assert err.response["error"] == "invalid_arguments"
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: channel"
    ]
    assert fake.violations and fake.violations[0].startswith("chat.postMessage: missing")
    err = await slack_error(client.api_call("chat.scheduleMessage", json={"channel": "C1"}))
    assert err.response["error"] == "unknown_method"
    with pytest.raises(AssertionError, match="unknown_method"):
        fake.assert_no_violations()
    assert ("channel",) in required_args("conversations.history")
    assert ("trigger_id", "interactivity_pointer") in required_args("views.open")
    assert required_args("no.such.method") is None


async def test_429_then_success_with_retry_handler(
    fake: FakeSlack, client: AsyncWebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail("auth.test", status=429, retry_after=0)
    err = await slack_error(client.auth_test())
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "0"
    assert err.response["error"] == "ratelimited"
    monkeypatch.setattr("slack_sdk.http_retry.builtin_async_handlers.random.random", lambda: 0.0)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail("auth.test", status=429, retry_after=0)
    fake.clear_calls()
    assert (await client.auth_test())["ok"]
    assert [c.failed for c in fake.calls_to("auth.test")] == [True, False]


async def test_500_then_success_with_server_error_handler(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.fail("users.info", status=500)
    err = await slack_error(client.users_info(user="U0BOT"))
    assert err.response.status_code == 500
    calc = FixedValueRetryIntervalCalculator(fixed_internal=0.0)
    client.retry_handlers.append(
        AsyncServerErrorRetryHandler(max_retry_count=1, interval_calculator=calc)
    )
    fake.fail("users.info", status=503)
    assert (await client.users_info(user="U0BOT"))["user"]["id"] == "U0BOT"
    assert [c.status for c in fake.calls_to("users.info")] == [500, 503, 200]


async def test_error_injection(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("inc", bot_is_member=True)
    fake.fail("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        err = await slack_error(client.chat_postMessage(channel=cid, text="x"))
        assert err.response["error"] == "channel_not_found"
    assert (await client.chat_postMessage(channel=cid, text="x"))["ok"]
    assert [c.failed for c in fake.calls_to("chat.postMessage")] == [True, True, False]
    assert len(fake.messages(cid)) == 1
    fake.fail("*", error="fatal_error", times=None)
    for _ in range(3):
        assert (await slack_error(client.auth_test())).response["error"] == "fatal_error"
    fake.clear_failures()
    assert (await client.auth_test())["ok"]


async def test_wait_for(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.auth_test()

    task = asyncio.create_task(later())
    calls = await fake.wait_for("auth.test", timeout=2)
    await task
    assert calls[0].method == "auth.test" and calls[0].http_method == "POST"
    with pytest.raises(AssertionError, match=r"views\.open.*recorded: \['auth\.test'\]"):
        await fake.wait_for("views.open", timeout=0.05)


# ---- files and canvases --------------------------------------------------------------------
async def test_files_upload_v2_end_to_end(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("inc", bot_is_member=True)
    resp = await client.files_upload_v2(
        channel=cid,
        content="# Timeline\n",
        filename="timeline.md",
        title="Timeline",
        initial_comment="here",
    )
    file_id = resp["file"]["id"]
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert fake.calls[0].args == {"filename": "timeline.md", "length": "11"}
    assert (
        fake.files[file_id].content == b"# Timeline\n" and fake.files[file_id].title == "Timeline"
    )
    assert resp["file"]["name"] == "timeline.md" and resp["file"]["permalink"]
    shared = fake.messages(cid)[-1]
    assert shared["text"] == "here" and shared["files"][0]["id"] == file_id
    fake.assert_no_violations()


async def test_canvases_create(fake: FakeSlack, client: AsyncWebClient) -> None:
    doc = {"type": "markdown", "markdown": "# Postmortem"}
    canvas_id = (await client.canvases_create(title="PM", document_content=doc))["canvas_id"]
    assert fake.canvases[canvas_id]["markdown"] == "# Postmortem"
    err = await slack_error(client.canvases_create(title="PM", document_content={"type": "html"}))
    assert err.response["error"] == "invalid_arguments"
    fake.canvases_enabled = False
    err = await slack_error(client.canvases_create(title="PM", document_content=doc))
    assert err.response["error"] == "canvas_disabled_user_team"


# ---- limits on their own -------------------------------------------------------------------
def test_real_fixture_views_pass_limits() -> None:
    for name in (
        "view_modal_001",
        "view_modal_003",
        "view_modal_007",
        "view_modal_008",
        "view_home_001",
    ):
        assert validate_view(load_fixture(f"views/{name}.python-slack-sdk.json")) == []


def test_view_limits_report_json_pointers() -> None:
    options = [
        {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(101)
    ]
    view = modal(
        callback_id="c" * 256,
        private_metadata="m" * 3001,
        submit={"type": "plain_text", "text": "OK"},
        blocks=[
            {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "h" * 151}},
            {"type": "section", "block_id": "h", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}],
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Sev"},
                "element": {"type": "static_select", "action_id": "a", "options": options},
            },
        ],
    )
    pointers = {e.rsplit("json-pointer:", 1)[1].rstrip("]") for e in validate_view(view)}
    assert pointers == {
        "/view/callback_id",
        "/view/private_metadata",
        "/view/blocks/0/text/text",
        "/view/blocks/1/block_id",
        "/view/blocks/1/fields",
        "/view/blocks/2/elements/0/text/text",
        "/view/blocks/3/element/options",
    }


# ---- SlackRequests -------------------------------------------------------------------------
def recording_transport(received: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    return httpx.MockTransport(handler)


async def test_signed_requests_verify(fake: FakeSlack) -> None:
    received: list[httpx.Request] = []
    slack = SlackRequests(
        "http://app.test/slack/events",
        signing_secret=SECRET,
        fake=fake,
        transport=recording_transport(received),
    )
    fake.add_channel("general", channel_id="C0GENERAL", bot_is_member=True)
    await slack.event(slack.message_event("C0GENERAL", "hi", user="U0ALICE"), retry_num=1)
    await slack.command("start db outage")
    await slack.block_action("ack", value="1", user_id="U0ALICE", channel_id="C0GENERAL")
    await slack.post_raw("{}", content_type="application/json", signature="v0=deadbeef")
    await slack.post_raw("{}", content_type="application/json", timestamp=1)
    verifier = SignatureVerifier(SECRET)
    valid = [verifier.is_valid_request(r.content, dict(r.headers)) for r in received]
    assert valid == [True, True, True, False, False]
    event, command, action = received[0], received[1], received[2]
    assert event.headers["content-type"] == "application/json"
    assert (
        event.headers["x-slack-retry-num"] == "1"
        and event.headers["x-slack-retry-reason"] == "http_timeout"
    )
    envelope = json.loads(event.content)
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    fields = {k: v[0] for k, v in parse_qs(command.content.decode()).items()}
    assert fields["command"] == "/postmortem" and fields["text"] == "start db outage"
    assert fields["trigger_id"] in fake.triggers and fields["response_url"].startswith(
        fake.root_url
    )
    payload = json.loads(parse_qs(action.content.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["container"]["type"] == "message"
    assert payload["actions"][0]["value"] == "1"


async def test_payload_builders_follow_fixtures(fake: FakeSlack, client: AsyncWebClient) -> None:
    received: list[httpx.Request] = []
    slack = SlackRequests(
        "http://app.test/slack/events",
        signing_secret=SECRET,
        fake=fake,
        transport=recording_transport(received),
    )
    cid = fake.add_channel("inc", bot_is_member=True)
    ts = fake.add_message(cid, text="before", user="U0ALICE")
    reaction = slack.reaction_event(True, ":fire:", user="U0BOB", channel=cid, ts=ts)
    assert set(reaction) == set(load_fixture("events/reaction_added.docs.json")["event"])
    assert (reaction["reaction"], reaction["item_user"], reaction["item"]["ts"]) == (
        "fire",
        "U0ALICE",
        ts,
    )
    changed = slack.message_changed_event(cid, ts=ts, text="after", user="U0ALICE")
    assert (changed["previous_message"]["text"], changed["message"]["text"]) == ("before", "after")
    assert changed["subtype"] == "message_changed" and changed["message"]["ts"] == ts
    deleted = slack.message_deleted_event(cid, ts=ts)
    assert deleted["deleted_ts"] == ts and deleted["previous_message"]["text"] == "before"
    assert "view" not in slack.app_home_opened_event("U0ALICE")
    await client.views_publish(
        user_id="U0ALICE", view=load_fixture("views/view_home_001.python-slack-sdk.json")
    )
    home_event = slack.app_home_opened_event("U0ALICE")
    assert home_event["view"]["id"] == fake.home_views["U0ALICE"]["id"]
    assert home_event["channel"].startswith("D")

    opened = (await client.views_open(trigger_id=fake.issue_trigger_id(), view=modal()))["view"]
    await slack.block_action(
        "pick", user_id="U0ALICE", view=opened, selected=state_value("users_select", "U0BOB")
    )
    await slack.message_action(
        "capture", message=fake.find_message(cid, ts), channel_id=cid, user_id="U0ALICE"
    )
    await slack.global_shortcut("new_postmortem", user_id="U0ALICE")
    await slack.view_closed(opened, user_id="U0ALICE", is_cleared=True)
    action, shortcut, global_sc, closed = (
        json.loads(parse_qs(r.content.decode())["payload"][0]) for r in received
    )
    assert (
        action["container"] == {"type": "view", "view_id": opened["id"]}
        and "response_url" not in action
    )
    assert action["actions"][0]["selected_user"] == "U0BOB"
    assert fake.triggers[action["trigger_id"]].view_id == opened["id"]
    assert set(load_fixture("interactivity/message_action.bolt-python.json")) <= set(shortcut)
    assert shortcut["message_ts"] == ts and shortcut["response_url"].startswith(fake.root_url)
    assert (
        global_sc["type"] == "shortcut"
        and "channel" not in global_sc
        and "response_url" not in global_sc
    )
    assert closed["type"] == "view_closed" and closed["is_cleared"] is True
    assert opened["id"] not in fake.view_stacks


async def test_response_url_records_and_limits(fake: FakeSlack) -> None:
    url = fake.issue_response_url()
    async with httpx.AsyncClient() as http:
        statuses = [(await http.post(url, json={"text": f"n{i}"})).status_code for i in range(6)]
        assert statuses == [200] * 5 + [404]
        too_many = await http.post(fake.issue_response_url(), json={"blocks": [section()] * 51})
    assert too_many.status_code == 400 and too_many.text == "invalid_blocks"
    calls = fake.calls_to("response_url")
    assert [c.args.get("text") for c in calls[:2]] == ["n0", "n1"] and calls[5].error == "used_url"
    assert [r.error for r in fake.rejections] == ["used_url", "invalid_blocks"]


async def test_view_submission_acks_drive_the_stack(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    form = modal(
        submit={"type": "plain_text", "text": "Save"},
        blocks=[
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "v"},
            }
        ],
    )
    root = (await client.views_open(trigger_id=fake.issue_trigger_id(), view=form))["view"]
    old_hash = root["hash"]
    fake.apply_view_submission_response(
        root["id"], {"response_action": "update", "view": modal("Step 2")}
    )
    assert (
        fake.views[root["id"]]["title"]["text"] == "Step 2"
        and fake.views[root["id"]]["hash"] != old_hash
    )
    fake.apply_view_submission_response(
        root["id"], {"response_action": "push", "view": modal("Step 3")}
    )
    assert len(fake.view_stacks[root["id"]]) == 2
    fake.apply_view_submission_response(
        root["id"], {"response_action": "errors", "errors": {"nope": "x"}}
    )
    assert fake.rejections[-1].method == "view_submission:errors"
    fake.apply_view_submission_response(
        root["id"], {"response_action": "push", "view": modal("x" * 30)}
    )
    assert "[json-pointer:/view/title/text]" in fake.rejections[-1].messages[0]
    fake.apply_view_submission_response(root["id"], {"response_action": "clear"})
    assert fake.view_stacks == {}
    err = await slack_error(client.views_update(view_id=root["id"], view=modal()))
    assert err.response["error"] == "not_found"


def test_state_value_shapes() -> None:
    expected = load_fixture("interactivity/view_state.all_element_types.python-slack-sdk.json")[
        "state"
    ]["values"]
    assert state_value("datepicker", "1990-04-12") == expected["b1"]["a1"]
    assert state_value("users_select", "U123") == expected["b4"]["a4"]
    assert state_value("multi_users_select", ["U123", "U234"]) == expected["b4-2"]["a4-2"]
    assert state_value("plain_text_input", "This is a test") == expected["b2"]["a2"]
    chosen = state_value("checkboxes", ["value-0", "value-1"])["selected_options"]
    assert [o["value"] for o in chosen] == ["value-0", "value-1"]
    assert state_value("static_select", None) == {"type": "static_select", "selected_option": None}
    assert state_value("timepicker", "09:30") == {"type": "timepicker", "selected_time": "09:30"}


# ---- a real bolt AsyncApp behind the ASGI adapter ------------------------------------------
@pytest.fixture
def bolt(fake: FakeSlack) -> SlackRequests:
    app = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
    )

    @app.command("/postmortem")
    async def open_modal(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = modal(
            callback_id="pm",
            submit={"type": "plain_text", "text": "Save"},
            blocks=[
                {
                    "type": "input",
                    "block_id": "summary",
                    "label": {"type": "plain_text", "text": "Summary"},
                    "element": {"type": "plain_text_input", "action_id": "value"},
                }
            ],
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view("pm")
    async def submitted(ack: Any, view: dict[str, Any]) -> None:
        if view["state"]["values"]["summary"]["value"]["value"] == "":
            await ack(response_action="errors", errors={"summary": "Required"})
        else:
            await ack()

    transport = httpx.ASGITransport(app=AsyncSlackRequestHandler(app))
    return SlackRequests(
        "http://app.test/slack/events", signing_secret=SECRET, fake=fake, transport=transport
    )


async def test_bolt_accepts_signed_and_rejects_forged(bolt: SlackRequests) -> None:
    resp = await bolt.url_verification("abc123")
    assert resp.status_code == 200 and resp.json() == {"challenge": "abc123"}
    forged = await bolt.post_raw(b"{}", content_type="application/json", signature="v0=forged")
    assert forged.status_code == 401
    stale = await bolt.post_raw(
        b'{"type":"url_verification"}', content_type="application/json", timestamp=100
    )
    assert stale.status_code == 401


async def test_bolt_modal_round_trip(fake: FakeSlack, bolt: SlackRequests) -> None:
    assert (await bolt.command("db outage")).status_code == 200
    opened = (await fake.wait_for("views.open"))[0]
    view_id = next(iter(fake.view_stacks))
    assert opened.error is None and fake.views[view_id]["callback_id"] == "pm"
    empty = {"summary": {"value": state_value("plain_text_input", "")}}
    resp = await bolt.view_submission(fake.views[view_id], empty, user_id="U0ALICE")
    assert resp.json() == {"response_action": "errors", "errors": {"summary": "Required"}}
    assert view_id in fake.view_stacks
    filled = {"summary": {"value": state_value("plain_text_input", "Disk filled up")}}
    assert (
        await bolt.view_submission(fake.views[view_id], filled, user_id="U0ALICE")
    ).status_code == 200
    assert fake.view_stacks == {}
    fake.assert_no_violations()
    fake.assert_no_rejections()
