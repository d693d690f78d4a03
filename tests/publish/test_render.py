"""The postmortem document: every field of a filled retrospective, in a stable Markdown shape."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.publish.document import load_postmortem
from bot.publish.export import find_for_export
from bot.publish.markdown import cell, heading_text, paragraphs, slack_to_markdown
from bot.publish.render import render_markdown
from bot.publish.shapes import (
    PICKS_AT_MOST,
    Event,
    Mark,
    duration_text,
    milestones,
    pick_from_channel,
)
from bot.timeline.shapes import Permalinks
from models import EventSource, Incident, Severity
from tests.postmortem_seed import (
    DELETED_TEXT,
    QUIET_NOISE,
    START,
    TEAM_A,
    TEAM_B,
    at,
    seed_postmortem,
    seed_unmarked_incident,
)
from tests.timeline_seed import (
    Sessions,
    seed_event,
    seed_incident,
    seed_mark,
    seed_message,
    ts_of,
)


async def document(sessions: Sessions, ref: str = "INC-7", team_id: str = TEAM_A) -> str:
    async with sessions() as session:
        incident = await find_for_export(session=session, ref=ref, team_id=team_id)
        return render_markdown(await load_postmortem(session=session, incident=incident))


def section(markdown: str, title: str) -> str:
    """The text under `## title`, up to the next `## ` heading."""
    start = markdown.index(f"\n## {title}\n") + len(title) + 5
    end = markdown.find("\n## ", start)
    return markdown[start : end if end != -1 else None].strip("\n")


async def test_the_heading_gives_title_severity_status_state_dates_roles_and_services(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    top = (await document(sessions)).split("\n## ")[0]
    assert top.splitlines() == [
        "# INC-7: Checkout | payments down \\#",
        "",
        "- **Severity:** SEV1",
        "- **Status:** Resolved",
        "- **Postmortem:** draft (last edited 2026-11-22 10:00 UTC by bob)",
        "- **Started:** 2026-11-20 14:05 UTC",
        "- **Detected:** 2026-11-20 15:17 UTC",
        "- **Mitigated:** 2026-11-20 16:00 UTC",
        "- **Resolved:** 2026-11-21 09:35 UTC",
        "- **Commander:** alice",
        "- **Facilitator:** bob",
        "- **Declared by:** alice",
        "- **Services:** checkout, payments",
    ]


async def test_summary_impact_and_lessons_appear_with_headings_escaped(sessions: Sessions) -> None:
    await seed_postmortem(sessions)
    markdown = await document(sessions)
    summary = section(markdown, "Summary and impact")
    for heading, text in [
        ("What happened", "A config deploy halved the DB pool; checkout timed out."),
        ("Customer impact", "EU customers could not pay for 2 hours."),
        ("Duration", "about 2 hours of errors"),
        ("How it was detected", "PagerDuty alerted on the 5xx rate."),
    ]:
        assert f"### {heading}\n\n{text}\n" in summary + "\n"
    # A line typed as "# not a heading" or "---" stays text; every line stays visible.
    assert section(markdown, "What went well") == (
        "Rollback was quick.\n\n\\# not a heading\n\n\\---"
    )
    assert section(markdown, "What went badly") == "The alert came an hour late."
    assert section(markdown, "Where we got lucky") == "It happened outside the sales peak."


async def test_time_to_detect_mitigate_and_resolve_are_measured_from_the_start(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    times = section(await document(sessions), "Time to detect, mitigate and resolve")
    assert times.splitlines() == [
        "Measured from the start, 2026-11-20 14:05 UTC.",
        "",
        # The alert marked as detection, 1 h 12 min after the start.
        "- **Time to detect:** 1 h 12 min (2026-11-20 15:17 UTC)",
        # The retro's pick (16:00) wins over an earlier mark and the status change (16:35).
        "- **Time to mitigate:** 1 h 55 min (2026-11-20 16:00 UTC)",
        # The resolution mark the next morning wins over the status change at 10:05.
        "- **Time to resolve:** 19 h 30 min (2026-11-21 09:35 UTC)",
    ]


async def test_the_timeline_shows_marked_and_hand_added_events_with_dates_over_two_days(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    timeline = section(await document(sessions), "Timeline")
    assert timeline.splitlines() == [
        "Marked events and events added by hand, in UTC.",
        "",
        "- **2026-11-20 13:50 UTC** · Added by hand · **alice**: Deploy 4512 went out",
        "- **2026-11-20 15:17 UTC** · Detection · **PagerDuty**: **CRITICAL** 5xx rate on"
        " checkout > 20%",
        "- **2026-11-20 15:35 UTC** · Action · **alice** _(edited 2026-11-20 15:38 UTC)_: @bob"
        " rolling back [deploy 4512](https://deploy.example/4512) & draining #ops, cc @U0DAVE",
        "  - File: [graph.png](<https://x/graph.png>)",
        "  - Note from bob: the rollback that helped",
        "- **2026-11-20 15:41 UTC** · Key event · **bob**: _(message deleted)_",
        "- **2026-11-20 15:47 UTC** · Mitigation · **alice**: pool resized",
        "- **2026-11-20 16:00 UTC** · Mitigation · **alice**: error rate back to normal",
        "- **2026-11-21 09:35 UTC** · Resolution · **bob**: all green overnight, closing",
    ]
    markdown = await document(sessions)
    assert "anyone seeing 5xx?" not in markdown  # captured but never marked


async def test_a_deleted_message_keeps_its_place_but_never_its_text_or_files(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    markdown = await document(sessions)
    assert DELETED_TEXT not in markdown and "secret-file" not in markdown
    assert "· Key event · **bob**: _(message deleted)_" in markdown


async def test_contributing_factors_come_with_category_and_numbered_whys(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    factors = section(await document(sessions), "Contributing factors")
    assert factors == (
        "### 1. Configuration\n\n"
        "The deploy lowered the pool size from 40 to 20.\n\n"
        "Why?\n\n"
        "1. The default changed in the new template.\n"
        "2. Templates are not diffed in review.\n"
        "3. The review checklist predates templates.\n\n"
        "### 2. Monitoring gap\n\n"
        "No alert on pool saturation.\n\n"
        "Why?\n\n"
        "1. Pool metrics were never exported."
    )


async def test_action_items_are_a_table_with_owner_due_priority_kind_and_status(
    sessions: Sessions,
) -> None:
    await seed_postmortem(sessions)
    items = section(await document(sessions), "Action items")
    assert items.splitlines() == [
        "| # | Action | Owner | Due | Priority | Kind | Status |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        # A pipe in the title stays inside its cell; an uncached owner shows by id.
        "| 1 | Alert on pool saturation \\| p95 | carol | 2026-12-01 | High | Detect | Open |",
        "| 2 | Diff templates in config review | U0DAVE | — | Medium | Process | Done |",
        "| 3 | Load-test checkout weekly | — | 2026-12-15 | Low | Prevent |"
        " Won't do: Covered by the quarterly game day |",
    ]


async def test_the_document_is_the_same_bytes_every_time(sessions: Sessions) -> None:
    await seed_postmortem(sessions)
    first = await document(sessions)
    assert await document(sessions) == first
    assert await document(sessions, "C0INC7") == first
    assert first.endswith("|\n") and "\n\n\n" not in first


async def test_each_team_sees_only_its_own_postmortem(sessions: Sessions) -> None:
    await seed_postmortem(sessions)
    team_a = await document(sessions, "INC-7", TEAM_A)
    team_b = await document(sessions, "INC-7", TEAM_B)
    assert "B-ONLY" not in team_a and "mallory" not in team_a
    assert team_b.startswith("# INC-7: B's own outage\n")
    assert "B-ONLY message" in team_b and "B-ONLY retro" in team_b
    assert "| 1 | B-ONLY action | mallory-of-b |" in team_b
    for secret in ("pool", "Checkout", "PagerDuty", "carol", "Configuration"):
        assert secret not in team_b


async def test_an_incident_without_a_retrospective_renders_every_section_saying_so(
    sessions: Sessions,
) -> None:
    await seed_incident(sessions, "C0BARE", commander_id=None, started_at=START)
    markdown = await document(sessions, "INC-1")
    assert "- **Postmortem:** not started" in markdown
    assert "- **Facilitator:** —" in markdown and "- **Commander:** —" in markdown
    assert "- **Detected:** —" in markdown and "- **Resolved:** —" in markdown
    summary = section(markdown, "Summary and impact")
    assert summary.startswith("_The retrospective has not been started._")
    assert "### What happened\n\nPayments failed for EU customers" in summary  # the declarer's
    assert "### Customer impact\n\n_Not filled in yet._" in summary
    assert "- **Time to detect:** —" in markdown and "- **Time to resolve:** —" in markdown
    assert section(markdown, "Timeline") == "No marked events yet."
    assert section(markdown, "Contributing factors") == "No contributing factors yet."
    assert section(markdown, "What went badly") == "Nothing noted yet."
    assert section(markdown, "Action items") == "No action items yet."
    assert markdown.endswith("No action items yet.\n")


async def test_a_multi_line_message_with_code_stays_inside_its_timeline_item(
    sessions: Sessions,
) -> None:
    incident = await seed_incident(sessions, "C0CODE", started_at=START)
    text = "Found it:\n```\nSELECT * FROM t WHERE a &lt; 3;\n# not a heading in code\n```\n# done"
    event = await seed_message(sessions, incident, ts_of(START + timedelta(minutes=3)), text)
    await seed_mark(sessions, event, "lesson")
    item = section(await document(sessions, "INC-1"), "Timeline").split("\n\n", 1)[1]
    assert item == (
        "- **2026-11-20 14:08 UTC** · Lesson · **U0ALICE**:\n"
        "\n"
        "  Found it:\n"
        "\n"
        "  ```\n"
        "  SELECT * FROM t WHERE a < 3;\n"
        "  # not a heading in code\n"
        "  ```\n"
        "\n"
        "  \\# done"
    )


# ---- pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slack", "markdown"),
    [
        ("<@U1> and <@U2|fallback> and <@U3>", "@alice and @fallback and @U3"),
        ("<#C1|incidents> and <#C2>", "#incidents and #C2"),
        ("<https://x.example/a?b=1&amp;c=2|the docs>", "[the docs](https://x.example/a?b=1&c=2)"),
        ("<https://x.example/(1)|paren [x]>", "[paren \\[x\\]](<https://x.example/(1)>)"),
        ("see <https://x.example>", "see <https://x.example>"),
        ("<mailto:a@b.example|a@b.example>", "[a@b.example](mailto:a@b.example)"),
        ("<!here> <!channel> <!subteam^S1|@oncall>", "@here @channel @oncall"),
        ("<!date^1700000000^{date}|Nov 14>", "Nov 14"),
        ("Q&amp;A &lt; 5 &gt; 3", "Q&A < 5 > 3"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "\\<script>alert(1)\\</script>"),
        ("&amp;copy; stays text", "\\&copy; stays text"),
        ("*bold* and ~gone~ and _it_", "**bold** and ~~gone~~ and _it_"),
        ("2*3*4 and a * b", "2*3*4 and a * b"),
        ("`<@U1> *x*`", "`<@U1> *x*`"),
        ("&gt; quoted\n&gt; more", "> quoted\n> more"),
        ("# heading?\n- one\n- two", "\\# heading?\n\n- one\n- two"),
        ("", ""),
    ],
)
def test_slack_mrkdwn_becomes_readable_markdown(slack: str, markdown: str) -> None:
    assert slack_to_markdown(slack, {"U1": "alice"}) == markdown


def test_plain_text_is_escaped_only_where_it_would_break_the_document() -> None:
    assert cell("a | b\nc") == "a \\| b c" and cell("") == "—" and cell(None) == "—"
    assert heading_text("Outage ##") == "Outage #\\#" and heading_text("C# app") == "C# app"
    assert paragraphs("## two\n\n\nthree <b>\n===") == "\\## two\n\nthree \\<b>\n\n\\==="
    assert paragraphs("   ") == ""


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (None, "—"),
        (timedelta(0), "0 min"),
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=1, minutes=12, seconds=30), "1 h 12 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(days=2, hours=3), "2 d 3 h"),
        (timedelta(days=1, minutes=5), "1 d 5 min"),
    ],
)
def test_durations_read_in_days_hours_and_minutes(span: timedelta | None, text: str) -> None:
    assert duration_text(span) == text


def _entry(minutes: int, *kinds_and_reactions: tuple[str, str]) -> Event:
    when = START + timedelta(minutes=minutes)
    marks = tuple(Mark(kind, reaction, "U1", None, when) for kind, reaction in kinds_and_reactions)
    return Event(
        minutes,
        EventSource.MESSAGE,
        "C1",
        "1.0",
        None,
        "U1",
        None,
        "x",
        [],
        when,
        None,
        None,
        marks=marks,
    )


def test_milestones_prefer_the_retros_pick_then_the_first_mark_then_the_incident() -> None:
    incident = Incident(
        severity=Severity.SEV2,
        started_at=START,
        detected_at=None,
        mitigated_at=START + timedelta(hours=5),
        resolved_at=START - timedelta(minutes=5),  # before the start: clamped, not negative
    )
    entries = [
        _entry(10, ("detection", "rotating_light")),
        _entry(20, ("detection", "rotating_light"), ("key_event", "pushpin")),
        _entry(30, ("mitigation", "adhesive_bandage")),
        _entry(50, ("detection", "retro:detection")),
    ]
    found = milestones(incident, entries)
    assert [(m.verb, m.basis, m.since_start) for m in found.values()] == [
        ("detect", "retrospective", timedelta(minutes=50)),
        ("mitigate", "marked", timedelta(minutes=30)),
        ("resolve", "incident", timedelta(0)),
    ]
    nothing = milestones(Incident(started_at=START), [])
    assert all(m.at is None and m.basis is None and m.since_start is None for m in nothing.values())


# ---- the timeline when few moments were marked ------------------------------------------------


async def rendered(sessions: Sessions, ref: str, links: Permalinks | None = None) -> str:
    async with sessions() as session:
        incident = await find_for_export(session=session, ref=ref, team_id=TEAM_A)
        pm = await load_postmortem(session=session, incident=incident)
    return render_markdown(dataclasses.replace(pm, links=links))


def entries(timeline: str) -> list[str]:
    return [line for line in timeline.splitlines() if line.startswith("- ")]


async def test_with_nothing_marked_the_timeline_shows_the_changes_and_the_channels_key_messages(
    sessions: Sessions,
) -> None:
    await seed_unmarked_incident(sessions)
    timeline = section(await rendered(sessions, "INC-3"), "Timeline")
    assert timeline.startswith(
        "Marked events and events added by hand, with the declaration and every status,"
        " severity and role change, in UTC.\n\nFew moments were marked, so the entries in"
        " italics were picked from the channel automatically: "
    )
    assert entries(timeline) == [
        "- **2026-11-20 14:05 UTC** · Declared: INC-3 declared by @alice",
        "- **2026-11-20 14:06 UTC** · _Alert_ · **PagerDuty**: **CRITICAL** 5xx rate on"
        " checkout > 20% (#1)",
        "- **2026-11-20 14:07 UTC** · _First report_ · **carol**: checkout is throwing 500s for me",
        "- **2026-11-20 14:15 UTC** · Severity change: Severity changed to sev1 by @alice",
        "- **2026-11-20 14:17 UTC** · Role change: Commander set to @bob by @alice",
        "- **2026-11-20 14:33 UTC** · _Before the status change_ · **bob**: rollback of deploy"
        " 4512 done",
        "- **2026-11-20 14:35 UTC** · Status change: Status changed to monitoring by @bob",
        "- **2026-11-20 14:38 UTC** · _After the status change_ · **alice**: error rate dropping"
        " @bob",
        # The message deleted at 15:03 is passed over for the one before it.
        "- **2026-11-20 15:00 UTC** · _Before the status change_ · **alice**: all clear for 20"
        " minutes",
        "- **2026-11-20 15:05 UTC** · Status change: Status changed to resolved by @bob",
        "- **2026-11-20 15:06 UTC** · _After the status change_ · **bob**: thanks all, closing",
    ]
    for absent in (*QUIET_NOISE, DELETED_TEXT, "B-ONLY"):
        assert absent not in timeline, absent


async def test_each_message_in_the_timeline_links_to_it_when_the_link_format_is_known(
    sessions: Sessions,
) -> None:
    seeded = await seed_unmarked_incident(sessions)
    links = Permalinks("https://acme.slack.com/archives/")
    lines = entries(section(await rendered(sessions, "INC-3", links), "Timeline"))
    report = seeded.events["report"]
    link = f"https://acme.slack.com/archives/C0QUIET/p{(report.ts or '').replace('.', '')}"
    assert lines[2] == (
        f"- **2026-11-20 14:07 UTC** · _First report_ · **carol** · [message](<{link}>):"
        " checkout is throwing 500s for me"
    )
    messages = [line for line in lines if " · **" in line]
    assert len(messages) == 6 and all("· [message](<https://acme.slack.com/" in m for m in messages)
    assert not any("[message]" in line for line in lines if " · **" not in line)  # system events


async def test_an_alert_storm_is_capped_and_the_status_changes_keep_their_neighbours(
    sessions: Sessions,
) -> None:
    await seed_unmarked_incident(sessions, alerts=40)
    lines = entries(section(await rendered(sessions, "INC-3"), "Timeline"))
    picked = [line for line in lines if " · _" in line]
    assert len(picked) == PICKS_AT_MOST
    reasons = [line.split(" · ")[1] for line in picked]
    assert reasons.count("_First report_") == 1
    assert reasons.count("_Before the status change_") == 2
    assert reasons.count("_After the status change_") == 2
    assert reasons.count("_Alert_") == PICKS_AT_MOST - 5  # the earliest alerts
    assert "(#10)" in "".join(picked) and "(#11)" not in "".join(picked)
    stamps = [line.split(" · ")[0] for line in lines]
    assert stamps == sorted(stamps)  # one timeline, in time order (same-day UTC stamps sort)


async def test_marked_moments_show_in_time_order_with_the_status_changes_among_them(
    sessions: Sessions,
) -> None:
    seeded = await seed_postmortem(sessions)
    for hours, status in ((1.25, "investigating"), (2.5, "monitoring"), (20, "resolved")):
        text = f"Status changed to {status} by <@U0ALICE>"
        await seed_event(sessions, seeded.incident, at(hours), text, source=EventSource.SYSTEM)
    timeline = section(await document(sessions), "Timeline")
    assert "picked from the channel" not in timeline and "anyone seeing 5xx?" not in timeline
    assert [line.split(" · ")[1].split(":")[0] for line in entries(timeline)] == [
        "Added by hand",
        "Detection",
        "Status change",
        "Action",
        "Key event",
        "Mitigation",
        "Mitigation",
        "Status change",
        "Resolution",
        "Status change",
    ]
    assert "- **2026-11-20 16:35 UTC** · Status change: Status changed to monitoring by @alice" in (
        timeline
    )


def test_the_channel_view_keeps_each_message_once_and_skips_the_shown_and_the_deleted() -> None:
    shown = [_entry(1, ("key_event", "pushpin"))]
    deleted = _entry(2)._replace(deleted_at=START)
    fresh = [_entry(n) for n in range(3, 3 + PICKS_AT_MOST + 5)]
    candidates = [(shown[0], "Alert"), (deleted, "Alert"), (fresh[0], "First report")]
    candidates += [(event, "Alert") for event in fresh]
    picked = pick_from_channel(shown, candidates)
    assert [(event.id, why) for event, why in picked][:2] == [(3, "First report"), (4, "Alert")]
    assert len(picked) == PICKS_AT_MOST and len({event.id for event, _ in picked}) == PICKS_AT_MOST
