"""The retrospective's step views: a frame shared by all six, and the steps without rows.

Every view keeps to Slack's limits whatever the draft holds: title ≤ 24 characters, ≤ 100
blocks, every text ≤ 3000 characters, private_metadata ≤ 3000. Long lists are cut with a count
(the timeline) and long answers are shortened on the review with a note (the draft keeps them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Retro
from bot.publish.shapes import duration_text
from bot.retro.forms import (
    MAX_DURATION,
    MAX_TEXT,
    STEP_TITLES,
    STEPS,
    TIMELINE_KINDS,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
    step_number,
)
from bot.retro.shapes import Draft, time_to
from bot.timeline.shapes import kind_label
from bot.ui.text import clip, escape, inert, slack_date

SHOWN_EVENTS = 30  # events listed on the timeline step; the selects offer more
LINES_PER_SECTION = 10
EVENT_LINE = 200
KEEP = "keep"
KIND_BLOCKS = {
    "detection": Retro.DETECTED_BY,
    "mitigation": Retro.MITIGATED_BY,
    "resolution": Retro.RESOLVED_BY,
}
SHORTENED = "_(shortened here; the draft keeps all of it)_"


def step_meta(
    *,
    incident_id: int,
    version: int,
    step: str,
    rows: Sequence[str] = (),
    removed: Sequence[int] = (),
) -> str:
    meta: dict[str, object] = {"i": incident_id, "v": version, "s": step}
    if rows:
        meta["r"] = list(rows)
    if removed:
        meta["x"] = list(removed)
    return json.dumps(meta, separators=(",", ":"))


def md(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=clip(text, 3000)))


def answer(label: str, text: str, *, limit: int = 2800) -> SectionBlock:
    """A labelled answer read back, shortened with a note when it is too long for one block."""
    shown = text.strip() or "_not filled in yet_"
    if len(shown) > limit:
        shown = f"{escape(shown[:limit])}… {SHORTENED}"
    elif text.strip():
        shown = escape(shown)
    return md(f"*{label}*\n{shown}")


def times_text(draft: Draft) -> str:
    labels = {"detection": "detect", "mitigation": "mitigate", "resolution": "resolve"}
    spans = {kind: duration_text(time_to(draft, kind)) for kind in TIMELINE_KINDS}
    return " · ".join(f"Time to {labels[kind]}: *{spans[kind]}*" for kind in TIMELINE_KINDS)


def header_blocks(draft: Draft, step: str) -> list[Block]:
    incident, retro = draft.incident, draft.retro
    title = f"*{incident.ref} · {escape(clip(incident.title, 150))}*"
    heading = f"{title}\nStep {step_number(step)} of {len(STEPS)}: *{STEP_TITLES[step]}*"
    if retro.last_edited_by and retro.last_edited_at:
        edited = f"Last edited by <@{retro.last_edited_by}> {slack_date(retro.last_edited_at)}"
    else:
        edited = "Nobody has edited this draft yet."
    return [md(heading, Retro.HEADER), ContextBlock(elements=[MarkdownTextObject(text=edited)])]


def keep_wording_block(keep: bool) -> InputBlock:
    option = Option(
        value=KEEP,
        label="Keep my wording as it is",
        description="Skip the blameless-wording suggestions for this step",
    )
    return InputBlock(
        block_id=Retro.KEEP_WORDING,
        label="Blameless wording",
        optional=True,
        element=CheckboxesElement(
            action_id=Retro.KEEP_WORDING,
            options=[option],
            initial_options=[option] if keep else None,
        ),
    )


def text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    optional: bool = False,
    multiline: bool = True,
    max_length: int = MAX_TEXT,
    hint: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=block_id,
            multiline=multiline,
            max_length=max_length,
            initial_value=value[:max_length] or None,
            placeholder=placeholder,
        ),
    )


def frame(
    draft: Draft,
    step: str,
    blocks: list[Block],
    *,
    version: int | None = None,
    notice: str | None = None,
    rows: Sequence[str] = (),
    removed: Sequence[int] = (),
) -> View:
    """A step view: counter in the title, who edited last, a notice, the step, Back."""
    head = header_blocks(draft, step)
    if notice:
        head.append(md(f":warning: {notice}", Retro.NOTICE))
    tail: list[Block] = []
    if step != STEPS[0]:
        back = ButtonElement(text="Back", action_id=Retro.BACK, value=step)
        tail.append(ActionsBlock(block_id=Retro.NAV, elements=[back]))
    review = step == "review"
    return View(
        type="modal",
        callback_id=f"{Retro.STEP}.{step}",
        title=f"Retro · {step_number(step)} of {len(STEPS)}",
        submit=None if review else ("Save and review" if step == "actions" else "Save and next"),
        close="Close",
        notify_on_close=not review,
        private_metadata=step_meta(
            incident_id=draft.incident.id,
            version=draft.version if version is None else version,
            step=step,
            rows=rows,
            removed=removed,
        ),
        blocks=[*head, *blocks, *tail],
    )


# ---- steps 1, 2 and 4 --------------------------------------------------------------------------


def summary_blocks(form: SummaryForm) -> list[Block]:
    return [
        text_input(
            Retro.SUMMARY,
            "What happened",
            form.summary,
            placeholder="What people noticed, what the system did, in order",
        ),
        text_input(
            Retro.IMPACT,
            "Customer impact",
            form.impact,
            placeholder="Who was affected, how, how many",
        ),
        text_input(
            Retro.DURATION,
            "Duration",
            form.duration,
            optional=True,
            multiline=False,
            max_length=MAX_DURATION,
            placeholder="e.g. 42 minutes (09:10–09:52 UTC)",
        ),
        text_input(
            Retro.DETECTION,
            "How it was detected",
            form.detection,
            optional=True,
            placeholder="An alert, a customer report, someone noticing…",
        ),
        keep_wording_block(form.keep_wording),
    ]


def lessons_blocks(form: LessonsForm) -> list[Block]:
    return [
        text_input(Retro.WENT_WELL, "What went well", form.went_well, optional=True),
        text_input(Retro.WENT_BADLY, "What went badly", form.went_badly, optional=True),
        text_input(Retro.GOT_LUCKY, "Where we got lucky", form.got_lucky, optional=True),
        keep_wording_block(form.keep_wording),
    ]


def _event_line(draft: Draft, index: int) -> str:
    entry = draft.timeline.entries[index]
    event = entry.event
    kinds = ", ".join(kind_label(kind) for kind in entry.kinds) or "Added by hand"
    words = " ".join((event.text or "").split())
    text = "_(deleted)_" if entry.deleted else inert(clip(words, EVENT_LINE))
    return f"{slack_date(event.occurred_at)} · *{kinds}* · {text}"


def _event_option(draft: Draft, event_id: int) -> Option:
    event = next((e.event for e in draft.timeline.entries if e.event.id == event_id), None) or next(
        e for e in draft.chosen.values() if e is not None and e.id == event_id
    )
    when = event.occurred_at.strftime("%b %d %H:%M UTC")
    words = " ".join((event.text or "(deleted)").split())
    return Option(value=str(event_id), label=clip(f"{when} {words}", 75))


def timeline_blocks(draft: Draft, form: TimelineForm) -> list[Block]:
    if not draft.timeline.entries and not any(draft.chosen.values()):
        return [
            md(
                "Nothing is marked in the timeline yet. Mark the key moments with :pushpin: (or "
                "the *Add to timeline* shortcut) and come back; you can also go on without."
            ),
        ]
    ids = [e.event.id for e in draft.timeline.entries]
    ids += [e.id for e in draft.chosen.values() if e is not None and e.id not in ids]
    options = [_event_option(draft, event_id) for event_id in ids]
    return [
        *_event_list(draft),
        *(_event_pick(kind, options, chosen=form.chosen.get(kind)) for kind in TIMELINE_KINDS),
        md(
            times_text(draft) + "\n_Counted from the incident's start; saved choices._", Retro.TIMES
        ),
    ]


def _event_list(draft: Draft) -> list[Block]:
    """The first SHOWN_EVENTS marked events, a section per LINES_PER_SECTION, and how many more."""
    entries = draft.timeline.entries
    shown = min(len(entries), SHOWN_EVENTS)
    lines = [_event_line(draft, i) for i in range(shown)]
    blocks: list[Block] = [
        md("\n".join(lines[start : start + LINES_PER_SECTION]), f"{Retro.EVENTS}.{start}")
        for start in range(0, shown, LINES_PER_SECTION)
    ]
    total = draft.timeline.total
    if total > shown:
        more = (
            f"Showing the first {shown} of {total} marked events; the choices below offer the "
            f"first {len(entries)}. `/postmortem timeline` shows them all."
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def _event_pick(kind: str, options: list[Option], *, chosen: int | None) -> InputBlock:
    """The select of the event that marks this kind (detection, mitigation, resolution)."""
    initial = next((o for o in options if o.value == str(chosen)), None)
    return InputBlock(
        block_id=KIND_BLOCKS[kind],
        label=f"{kind.capitalize()} event",
        optional=True,
        element=StaticSelectElement(
            action_id=KIND_BLOCKS[kind],
            placeholder="Pick an event",
            options=options,
            initial_option=initial,
        ),
    )


def step_blocks(draft: Draft, step: str, form: StepForm) -> list[Block]:
    if isinstance(form, SummaryForm):
        return summary_blocks(form)
    if isinstance(form, TimelineForm):
        return timeline_blocks(draft, form)
    if isinstance(form, LessonsForm):
        return lessons_blocks(form)
    raise ValueError(f"no plain builder for step {step}")


def loading_view() -> View:
    return View(
        type="modal",
        callback_id=Retro.LOADING,
        title="Retrospective",
        close="Close",
        blocks=[md(":hourglass_flowing_sand: Opening the retrospective…")],
    )
