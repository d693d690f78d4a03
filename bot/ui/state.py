"""Reading a submitted modal's `state.values`, type-checked: each field holds what its element
sends (a string, or null when left empty). Anything else (a list or number sent as a title, an
object as a user) is refused on that field, never turned into text with str()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.errors import UserInputError

UNREADABLE = "This answer could not be read; fill the field in again."


class ViewState:
    """The values of one submitted view; inputs are looked up by block id (and action id,
    which is the block id unless given)."""

    def __init__(self, view: Mapping[str, Any]) -> None:
        state = view.get("state")
        values = state.get("values") if isinstance(state, Mapping) else None
        self.values: Mapping[str, Any] = values if isinstance(values, Mapping) else {}

    def entry(self, block_id: str, action_id: str | None = None) -> Mapping[str, Any]:
        block = self.values.get(block_id)
        entry = block.get(action_id or block_id) if isinstance(block, Mapping) else None
        return entry if isinstance(entry, Mapping) else {}

    def text(self, block_id: str, action_id: str | None = None) -> str:
        """A text input's value ("" when empty)."""
        return self._string(self.entry(block_id, action_id).get("value"), block_id) or ""

    def selected(self, block_id: str, action_id: str | None = None) -> str | None:
        """A select's or radio's chosen option value."""
        option = self.entry(block_id, action_id).get("selected_option")
        if option is None:
            return None
        if not isinstance(option, Mapping):
            raise UserInputError(UNREADABLE, field=block_id)
        return self._string(option.get("value"), block_id) or None

    def user(self, block_id: str, action_id: str | None = None) -> str | None:
        """A users_select's chosen user id."""
        return self._string(self.entry(block_id, action_id).get("selected_user"), block_id) or None

    def date(self, block_id: str, action_id: str | None = None) -> str | None:
        """A datepicker's chosen date, as Slack sends it (YYYY-MM-DD)."""
        return self._string(self.entry(block_id, action_id).get("selected_date"), block_id) or None

    @staticmethod
    def _string(value: object, block_id: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        raise UserInputError(UNREADABLE, field=block_id)
