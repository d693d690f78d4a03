"""Every callback, action and block id in one place, dotted so they read well in logs."""

from __future__ import annotations

import enum

COMMAND = "/postmortem"


class Shortcut(enum.StrEnum):
    ADD_TO_TIMELINE = "timeline.add"
    CREATE_ACTION_ITEM = "action.create"


class Block(enum.StrEnum):
    HELP_INTRO = "help.intro"
    HELP_COMMANDS = "help.commands"
