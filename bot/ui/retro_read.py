"""Reading a retrospective step view (its private_metadata and state) back into a form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.ids import Retro, parse_row_id
from bot.retro.forms import (
    STEPS,
    ActionRow,
    ActionsForm,
    FactorRow,
    FactorsForm,
    LessonsForm,
    StepForm,
    SummaryForm,
    TimelineForm,
    row_block,
)
from bot.ui.retro import KEEP, KIND_BLOCKS
from bot.ui.state import ViewState


@dataclass(frozen=True, slots=True)
class StepMeta:
    incident_id: int
    version: int
    step: str
    rows: list[str] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


def read_meta(view: Mapping[str, Any]) -> StepMeta | None:
    """The step view's context, or None for a view that isn't a retro step."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        step = str(meta["s"])
        if step not in STEPS:
            return None
        return StepMeta(
            incident_id=_row_id(meta["i"]),
            version=_row_id(meta["v"]),
            step=step,
            rows=[str(key) for key in meta.get("r", [])],
            removed=[_row_id(item) for item in meta.get("x", [])],
        )
    except (ValueError, KeyError, TypeError):
        return None


def _row_id(value: object) -> int:
    """An id (or version) in the view's metadata; ValueError past what a column can hold."""
    number = parse_row_id(value)
    if number is None:
        raise ValueError(f"not a row id: {value!r}")
    return number


class _State(ViewState):
    def day(self, block_id: str) -> date | None:
        picked = self.date(block_id)
        try:
            return date.fromisoformat(picked) if picked else None
        except ValueError:
            return None

    def keep(self) -> bool:
        chosen = self.entry(Retro.KEEP_WORDING).get("selected_options") or []
        return isinstance(chosen, list) and any(
            isinstance(option, dict) and option.get("value") == KEEP for option in chosen
        )


def read_step(view: Mapping[str, Any], meta: StepMeta) -> StepForm | None:
    """What the person typed in the step view; None for the review (nothing to save)."""
    state = _State(view)
    if meta.step == "summary":
        return SummaryForm(
            summary=state.text(Retro.SUMMARY).strip(),
            impact=state.text(Retro.IMPACT).strip(),
            duration=state.text(Retro.DURATION).strip(),
            detection=state.text(Retro.DETECTION).strip(),
            keep_wording=state.keep(),
        )
    if meta.step == "timeline":
        chosen: dict[str, int | None] = {}
        for kind, block_id in KIND_BLOCKS.items():
            if block_id not in state.values:
                continue  # nothing was offered to pick from
            value = state.selected(block_id)
            chosen[kind] = parse_row_id(value)
        return TimelineForm(chosen=chosen)
    if meta.step == "factors":
        return FactorsForm(
            rows=[_factor(state, key) for key in meta.rows], keep_wording=state.keep()
        )
    if meta.step == "lessons":
        return LessonsForm(
            went_well=state.text(Retro.WENT_WELL).strip(),
            went_badly=state.text(Retro.WENT_BADLY).strip(),
            got_lucky=state.text(Retro.GOT_LUCKY).strip(),
            keep_wording=state.keep(),
        )
    if meta.step == "actions":
        return ActionsForm(
            rows=[_action(state, key) for key in meta.rows],
            keep_wording=state.keep(),
            removed=list(meta.removed),
        )
    return None


def _factor(state: _State, key: str) -> FactorRow:
    whys = state.text(row_block(Retro.FACTOR_WHYS, key)).splitlines()
    return FactorRow(
        key=key,
        category=state.selected(row_block(Retro.FACTOR_CATEGORY, key)),
        description=state.text(row_block(Retro.FACTOR_DESCRIPTION, key)).strip(),
        whys=[why.strip() for why in whys if why.strip()],
    )


def _action(state: _State, key: str) -> ActionRow:
    controls = row_block(Retro.ACTION_ROW, key)
    return ActionRow(
        key=key,
        title=" ".join(state.text(row_block(Retro.ACTION_TITLE, key)).split()),
        owner_id=state.user(row_block(Retro.ACTION_OWNER, key)),
        due=state.day(row_block(Retro.ACTION_DUE, key)),
        priority=state.selected(controls, row_block(Retro.ACTION_PRIORITY, key)) or "medium",
        kind=state.selected(controls, row_block(Retro.ACTION_KIND, key)) or "prevent",
    )
