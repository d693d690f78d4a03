"""Incident channel names within Slack's rules, and the channel calls against the fake Slack."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.errors import SlackCallError
from bot.incidents.channels import (
    MAX_NAME,
    MAX_NAME_ATTEMPTS,
    channel_name,
    create_channel,
    invite,
    join_channel,
    name_candidates,
    slugify,
)
from bot.slack import create_web_client
from bot.ui.declare import prefill_title
from tests.conftest import BOT_TOKEN
from tests.fakeslack import FakeSlack

SLACK_NAME = re.compile(r"[a-z0-9_-]{1,80}")
DAY = date(2026, 8, 10)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Checkout latency", "checkout-latency"),
        ("  DB: p99 > 5s!!  ", "db-p99-5s"),
        ("Café 502s — São Paulo", "cafe-502s-sao-paulo"),
        ("under_score & dots.v2", "under-score-dots-v2"),
        ("🔥🔥", ""),
        ("数据库故障", ""),
    ],
)
def test_slugs_are_lowercase_ascii_words_joined_by_single_hyphens(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_names_are_prefix_date_and_slug() -> None:
    name = channel_name(prefix="inc-", declared_on=DAY, title="Checkout latency")
    assert name == "inc-2026-08-10-checkout-latency"
    assert channel_name(prefix="", declared_on=DAY, title="x") == "2026-08-10-x"


def test_a_title_without_letters_or_digits_gives_just_the_date() -> None:
    assert channel_name(prefix="inc-", declared_on=DAY, title="🔥 !!") == "inc-2026-08-10"


def test_long_titles_are_cut_at_a_word_within_80_characters() -> None:
    title = "checkout " + "latency " * 20
    name = channel_name(prefix="incident_review-", declared_on=DAY, title=title)
    assert len(name) <= MAX_NAME and SLACK_NAME.fullmatch(name)
    assert name.endswith("-latency") and not name.endswith("-")
    unbroken = channel_name(prefix="inc-", declared_on=DAY, title="x" * 200)
    assert len(unbroken) == MAX_NAME and unbroken.startswith("inc-2026-08-10-xxx")


def test_numbered_candidates_stay_within_80_characters() -> None:
    base = channel_name(prefix="inc-", declared_on=DAY, title="y" * 200)
    candidates = list(name_candidates(base))
    assert candidates[0] == base and candidates[1].endswith("-2") and len(candidates) == 25
    assert all(len(c) <= MAX_NAME and SLACK_NAME.fullmatch(c) for c in candidates)
    assert len(set(candidates)) == len(candidates)


def test_the_command_text_becomes_a_readable_title() -> None:
    text = "<!here> <@U0ALICE|alice> says <#C0PAY|payments> &lt;500s&gt; see <https://x.test|dash>"
    assert prefill_title(text) == "@here @alice says #payments <500s> see dash"
    assert len(prefill_title("a" * 400)) == 150


# ---- against the fake Slack --------------------------------------------------------------------


async def test_a_name_taken_every_time_gives_up_with_a_clear_answer(fake_slack: FakeSlack) -> None:
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    fake_slack.fail("conversations.create", error="name_taken", times=None)
    with pytest.raises(SlackCallError, match=r"is taken\. Try a different title"):
        await create_channel(client=client, name="inc-2026-08-10-db")
    assert len(fake_slack.calls_to("conversations.create")) == MAX_NAME_ATTEMPTS


async def test_invites_go_one_by_one_and_report_each_refusal(fake_slack: FakeSlack) -> None:
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    fake_slack.add_user("U0ALICE", name="alice")
    fake_slack.add_user("U0BOB", name="bob")
    channel = fake_slack.add_channel("inc-x", members=["U0ALICE"], bot_is_member=True)
    failures = await invite(
        client=client, channel_id=channel, user_ids=["U0ALICE", "U0GHOST", "U0BOB", "U0BOB"]
    )
    assert failures == {"U0GHOST": "user_not_found"}  # already being there is no failure
    assert fake_slack.channels[channel].members >= {"U0ALICE", "U0BOB"}
    assert [c.args["users"] for c in fake_slack.calls_to("conversations.invite")] == [
        "U0ALICE",
        "U0GHOST",
        "U0BOB",
    ]


async def test_a_private_channel_the_bot_was_invited_to_can_be_reviewed(
    fake_slack: FakeSlack,
) -> None:
    client = create_web_client(base_url=fake_slack.base_url, token=BOT_TOKEN)
    channel = fake_slack.add_channel("private-outage", is_private=True, bot_is_member=True)
    created = await join_channel(client=client, channel_id=channel)
    assert created == fake_slack.channels[channel].created
