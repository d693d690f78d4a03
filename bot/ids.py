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


class Declare(enum.StrEnum):
    """The declare modal. Each input's action id is its block id (`state.values[id][id]`)."""

    CALLBACK = "declare.submit"
    TITLE = "declare.title"
    SEVERITY = "declare.severity"
    SUMMARY = "declare.summary"
    COMMANDER = "declare.commander"
    FACILITATOR = "declare.facilitator"
    SERVICES = "declare.services"
    CHANNEL = "declare.channel"
    RESULT = "declare.result"  # the "Declaring…" / done / failed views that replace the form


class Header(enum.StrEnum):
    """The pinned header message of an incident; each control's block id is its action id."""

    TITLE = "incident.title"
    STATUS = "incident.status"
    SEVERITY = "incident.severity"
    COMMANDER = "incident.commander"
    FACILITATOR = "incident.facilitator"
    DETAILS = "incident.details"
    SUMMARY = "incident.summary"
    FOOTER = "incident.footer"


class TimelineIds(enum.StrEnum):
    """The "Add to timeline" modal (each input's action id is its block id)."""

    MARK_CALLBACK = "timeline.mark.submit"
    MARK_MESSAGE = "timeline.mark.message"  # the preview of the message being marked
    MARK_KIND = "timeline.mark.kind"
    MARK_NOTE = "timeline.mark.note"
