"""The retrospective's steps and what each one holds, as plain values.

The step views are read into these forms (bot/ui/retro_read.py) and built from them
(bot/ui/retro.py); the service (bot/retro/draft.py) checks and saves them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

STEPS: tuple[str, ...] = ("summary", "timeline", "factors", "lessons", "actions", "review")
EDITABLE_STEPS: tuple[str, ...] = STEPS[:-1]
STEP_TITLES: dict[str, str] = {
    "summary": "Summary and impact",
    "timeline": "Timeline review",
    "factors": "Contributing factors",
    "lessons": "Went well, went badly, got lucky",
    "actions": "Action items",
    "review": "Review",
}
TIMELINE_KINDS: tuple[str, ...] = ("detection", "mitigation", "resolution")
MAX_TEXT = 3000
MAX_DURATION = 200
MAX_WHYS = 5
MAX_FACTORS = 10
MAX_ITEMS = 20
MAX_ITEM_TITLE = 300


def step_number(step: str) -> int:
    return STEPS.index(step) + 1


def row_block(base: str, key: str) -> str:
    """The block (and action) id of one row's input: `retro.factor.desc` + `f12`."""
    return f"{base}.{key}"


@dataclass(slots=True)
class SummaryForm:
    summary: str = ""
    impact: str = ""
    duration: str = ""
    detection: str = ""
    keep_wording: bool = False


@dataclass(slots=True)
class TimelineForm:
    chosen: dict[str, int | None] = field(default_factory=dict)  # kind → event id


@dataclass(slots=True)
class FactorRow:
    key: str  # `f<id>` for a saved factor, `n<random>` for a new row (see new_key)
    category: str | None = None
    description: str = ""
    whys: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.description.strip() and not any(w.strip() for w in self.whys)


@dataclass(slots=True)
class FactorsForm:
    rows: list[FactorRow] = field(default_factory=list)
    keep_wording: bool = False


@dataclass(slots=True)
class LessonsForm:
    went_well: str = ""
    went_badly: str = ""
    got_lucky: str = ""
    keep_wording: bool = False


@dataclass(slots=True)
class ActionRow:
    # `i<id>` for a saved item, `n<random>` for a new row (see new_key); saved as the item's
    # form_key, so a resubmitted view updates the item its row made instead of adding another.
    key: str
    title: str = ""
    owner_id: str | None = None
    due: date | None = None
    priority: str = "medium"
    kind: str = "prevent"

    @property
    def item_id(self) -> int | None:
        return int(self.key[1:]) if self.key.startswith("i") and self.key[1:].isdigit() else None

    @property
    def empty(self) -> bool:
        return not self.title.strip()


@dataclass(slots=True)
class ActionsForm:
    rows: list[ActionRow] = field(default_factory=list)
    keep_wording: bool = False
    removed: list[int] = field(default_factory=list)  # saved items removed with their button


StepForm = SummaryForm | TimelineForm | FactorsForm | LessonsForm | ActionsForm


def step_of(form: StepForm) -> str:
    if isinstance(form, SummaryForm):
        return "summary"
    if isinstance(form, TimelineForm):
        return "timeline"
    if isinstance(form, FactorsForm):
        return "factors"
    if isinstance(form, LessonsForm):
        return "lessons"
    return "actions"


def new_key() -> str:
    """A key for a new row, drawn once when the row is drawn and carried in the view (block ids
    and private_metadata), so every resubmission of that view names the same row."""
    return f"n{secrets.token_hex(8)}"
