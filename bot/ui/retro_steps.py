"""The retrospective's steps with rows (factors, action items), the review, and the one
entry point `step_view` that builds any step."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import Retro
from bot.retro.forms import (
    MAX_FACTORS,
    MAX_ITEM_TITLE,
    MAX_ITEMS,
    ActionRow,
    ActionsForm,
    FactorRow,
    FactorsForm,
    StepForm,
    new_key,
    row_block,
)
from bot.retro.shapes import Draft, form_of
from bot.ui import similar as similar_ui
from bot.ui.retro import (
    answer,
    frame,
    keep_wording_block,
    md,
    step_blocks,
    text_input,
    times_text,
)
from bot.ui.summary import publish_blocks
from bot.ui.text import clip, escape
from bot.ui.tracker import review_suffix, tracker_button, tracker_line
from models import ActionItem, ActionKind, FactorCategory, Priority

CATEGORY_LABELS = {c.value: c.value.replace("_", " ").capitalize() for c in FactorCategory}
PRIORITY_LABELS = {p.value: f"{p.value.capitalize()} priority" for p in Priority}
MAX_LISTED_ITEMS = 60  # action items read back on the review; more are counted
MAX_ITEM_SECTIONS = 20  # items given a block of their own (and a button) on the review
KIND_LABELS = {k.value: k.value.capitalize() for k in ActionKind}


def _options(labels: dict[str, str]) -> list[Option]:
    return [Option(value=value, label=label) for value, label in labels.items()]


def _initial(options: list[Option], value: str | None) -> Option | None:
    return next((option for option in options if option.value == value), None)


# ---- step 3: contributing factors --------------------------------------------------------------


def factor_blocks(form: FactorsForm) -> list[Block]:
    rows = form.rows or [FactorRow(key=new_key())]
    categories = _options(CATEGORY_LABELS)
    blocks: list[Block] = []
    for number, row in enumerate(rows, start=1):
        remove = ButtonElement(
            text="Remove", action_id=row_block(Retro.FACTOR_REMOVE, row.key), value=row.key
        )
        blocks += [
            SectionBlock(
                block_id=row_block(Retro.FACTOR_HEAD, row.key),
                text=MarkdownTextObject(text=f"*Factor {number}*"),
                accessory=remove if len(rows) > 1 else None,
            ),
            InputBlock(
                block_id=row_block(Retro.FACTOR_CATEGORY, row.key),
                label="Category",
                element=StaticSelectElement(
                    action_id=row_block(Retro.FACTOR_CATEGORY, row.key),
                    placeholder="Pick a category",
                    options=categories,
                    initial_option=_initial(categories, row.category),
                ),
            ),
            text_input(
                row_block(Retro.FACTOR_DESCRIPTION, row.key),
                "What made this possible",
                row.description,
                placeholder="A condition in the system or the way we work, not a person",
            ),
            text_input(
                row_block(Retro.FACTOR_WHYS, row.key),
                "Why? (one per line, up to five)",
                "\n".join(row.whys),
                optional=True,
                hint="Ask why that was possible, then why again: up to five times.",
            ),
        ]
    if len(rows) < MAX_FACTORS:
        add = ButtonElement(text="Add another factor", action_id=Retro.FACTOR_ADD)
        blocks.append(ActionsBlock(block_id=Retro.FACTOR_ADD, elements=[add]))
    blocks.append(keep_wording_block(form.keep_wording))
    return blocks


# ---- step 5: action items ----------------------------------------------------------------------


def action_blocks(form: ActionsForm) -> list[Block]:
    rows = form.rows[:MAX_ITEMS] or [ActionRow(key=new_key())]
    priorities, kinds = _options(PRIORITY_LABELS), _options(KIND_LABELS)
    blocks: list[Block] = []
    for number, row in enumerate(rows, start=1):
        controls = _row_controls(row, priorities, kinds, removable=len(rows) > 1)
        blocks += _action_row(number, row, controls)
    if len(rows) < MAX_ITEMS:
        add = ButtonElement(text="Add another item", action_id=Retro.ACTION_ADD)
        blocks.append(ActionsBlock(block_id=Retro.ACTION_ADD, elements=[add]))
    blocks.append(keep_wording_block(form.keep_wording))
    return blocks


def _action_row(number: int, row: ActionRow, controls: list[object]) -> list[Block]:
    """One item: title, owner, due date, then its priority, kind and Remove on one line."""
    return [
        text_input(
            row_block(Retro.ACTION_TITLE, row.key),
            f"Action item {number}",
            row.title,
            multiline=False,
            max_length=MAX_ITEM_TITLE,
            placeholder="Alert on checkout p99 above 2 s",
        ),
        InputBlock(
            block_id=row_block(Retro.ACTION_OWNER, row.key),
            label="Owner",
            element=UserSelectElement(
                action_id=row_block(Retro.ACTION_OWNER, row.key),
                placeholder="Who follows it up",
                initial_user=row.owner_id,
            ),
        ),
        InputBlock(
            block_id=row_block(Retro.ACTION_DUE, row.key),
            label="Due",
            optional=True,
            element=DatePickerElement(
                action_id=row_block(Retro.ACTION_DUE, row.key),
                initial_date=row.due.isoformat() if row.due else None,
            ),
        ),
        ActionsBlock(block_id=row_block(Retro.ACTION_ROW, row.key), elements=controls),
    ]


def _row_controls(
    row: ActionRow, priorities: list[Option], kinds: list[Option], *, removable: bool
) -> list[object]:
    controls: list[object] = [
        StaticSelectElement(
            action_id=row_block(Retro.ACTION_PRIORITY, row.key),
            placeholder="Priority",
            options=priorities,
            initial_option=_initial(priorities, row.priority),
        ),
        StaticSelectElement(
            action_id=row_block(Retro.ACTION_KIND, row.key),
            placeholder="Kind",
            options=kinds,
            initial_option=_initial(kinds, row.kind),
        ),
    ]
    if removable:
        remove = row_block(Retro.ACTION_REMOVE, row.key)
        controls.append(ButtonElement(text="Remove", action_id=remove, value=row.key))
    return controls


# ---- step 6: review ----------------------------------------------------------------------------


def _chunks(lines: Sequence[str], limit: int = 2900) -> list[str]:
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + len(line) + 1 <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:limit])
    return chunks


def _item_line(item: ActionItem, *, suffix: str = "") -> str:
    return (
        f"• *{escape(clip(item.title, MAX_ITEM_TITLE))}* — "
        f"{f'<@{item.owner_id}>' if item.owner_id else 'no owner'}, "
        f"due {item.due_date.isoformat() if item.due_date else 'not set'}, "
        f"{item.priority.value} priority, {item.kind.value}{suffix}"
    )


def _item_sections(draft: Draft) -> list[Block]:
    """The first items a block each: the line, its tracker line under it (filing, failed, or
    the issue's link), and Create issue or Retry beside it when there is one to press."""
    blocks: list[Block] = []
    for item in draft.items[:MAX_ITEM_SECTIONS]:
        tracker = draft.trackers.get(item.id)
        under = tracker_line(tracker)
        text = _item_line(item) + (f"\n{under}" if under else "")
        accessory = tracker_button(item.id, tracker)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text), accessory=accessory))
    return blocks


def _action_items(draft: Draft, *, buttons: bool) -> list[Block]:
    """The items read back: with `buttons` (and the items' tracker states loaded) the first
    ones a block each with their tracker button; the rest as lines, chunked into blocks."""
    heading = f"*Action items ({len(draft.items)})*"
    sections = _item_sections(draft) if buttons and draft.trackers else []
    listed = draft.items[len(sections) : MAX_LISTED_ITEMS]
    lines = [_item_line(item, suffix=review_suffix(item)) for item in listed]
    if len(draft.items) > MAX_LISTED_ITEMS:
        lines.append(f"_…and {len(draft.items) - MAX_LISTED_ITEMS} more_")
    if sections:
        return [md(heading), *sections, *(md(chunk) for chunk in _chunks(lines))]
    chunks = _chunks(lines) or ["_none yet_"]
    return [md(f"{heading}\n{chunk}" if i == 0 else chunk) for i, chunk in enumerate(chunks)]


def review_sections(draft: Draft, *, buttons: bool = False) -> dict[str, list[Block]]:
    """The draft read back, step by step; `buttons`: each item's tracker button (those who
    may edit the draft), when the draft's tracker states were loaded."""
    retro = draft.retro
    factors: list[Block] = []
    for number, factor in enumerate(draft.factors, start=1):
        category = CATEGORY_LABELS.get(factor.category.value, "") if factor.category else ""
        whys = "\n".join(f"{i}. Why? {why}" for i, why in enumerate(factor.whys, start=1))
        factors.append(
            answer(
                f"Factor {number}: {category or 'no category yet'}",
                f"{factor.description}\n{whys}".strip(),
                limit=2700,
            )
        )
    return {
        "summary": [
            answer("What happened", retro.summary),
            answer("Customer impact", retro.customer_impact),
            answer("Duration", retro.duration),
            answer("How it was detected", retro.detection),
        ],
        "timeline": [md(f"*Timeline*\n{times_text(draft)}")],
        "factors": factors or [md("*Contributing factors*\n_not filled in yet_")],
        "lessons": [
            answer("What went well", retro.went_well),
            answer("What went badly", retro.went_badly),
            answer("Where we got lucky", retro.got_lucky),
        ],
        "actions": _action_items(draft, buttons=buttons),
    }


def review_blocks(draft: Draft, *, buttons: bool = False) -> list[Block]:
    sections = review_sections(draft, buttons=buttons).values()
    blocks = [block for section in sections for block in section]
    saved = (
        "The draft is saved. Anyone with a role on the incident can keep editing it with "
        "`/postmortem retro`."
    )
    return [*blocks, ContextBlock(elements=[MarkdownTextObject(text=saved)])]


def theirs_blocks(draft: Draft, step: str) -> list[Block]:
    """The step as someone else saved it, shown under a conflict notice so both can be merged."""
    return [
        DividerBlock(),
        md("*Their saved version of this step*"),
        *review_sections(draft).get(step, []),
    ]


def read_only_view(draft: Draft, *, editors: Sequence[str]) -> View:
    who = ", ".join(f"<@{person}>" for person in editors)
    blocks = [
        md(
            f"*{draft.incident.ref} · {escape(clip(draft.incident.title, 150))}*\n"
            f"You can read this retrospective; {who} can edit it.",
            Retro.HEADER,
        ),
        *review_blocks(draft),
    ]
    return View(
        type="modal", callback_id=Retro.READ, title="Retrospective", close="Close", blocks=blocks
    )


# ---- any step ----------------------------------------------------------------------------------


def step_view(
    draft: Draft,
    step: str,
    *,
    form: StepForm | None = None,
    version: int | None = None,
    notice: str | None = None,
    removed: Sequence[int] = (),
    theirs: bool = False,
    published: str | None = None,
) -> View:
    """The view of `step`, filled with `form` (what was typed) or else with the saved draft;
    on the review, `published` says what the last Publish delivered."""
    if step == "review":
        review = review_blocks(draft, buttons=True)
        blocks = [*review, *publish_blocks(draft.retro, outcome=published)]
        return frame(draft, step, blocks, version=version, notice=notice)
    form = form if form is not None else form_of(draft, step)
    rows: list[str] = []
    if isinstance(form, FactorsForm):
        form.rows = form.rows or [FactorRow(key=new_key())]  # its key goes in blocks and meta
        blocks = [*similar_ui.step_blocks(draft.similar), *factor_blocks(form)]
        rows = [row.key for row in form.rows]
    elif isinstance(form, ActionsForm):
        form.rows = form.rows or [ActionRow(key=new_key())]
        blocks = action_blocks(form)
        rows = [row.key for row in form.rows[:MAX_ITEMS]]
        removed = [*removed, *form.removed]
    else:
        blocks = step_blocks(draft, step, form)
    if theirs:
        blocks += theirs_blocks(draft, step)
    return frame(draft, step, blocks, version=version, notice=notice, rows=rows, removed=removed)
