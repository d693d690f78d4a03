"""Every callback, action and block id in one place, dotted so they read well in logs."""

from __future__ import annotations

import enum

COMMAND = "/postmortem"

# Row ids are 32-bit integers on PostgreSQL (`serial`); anything beyond cannot name a row.
MAX_ROW_ID = 2**31 - 1


def parse_row_id(value: object) -> int | None:
    """A database row id carried in a button's value or a view's metadata, or None when it
    cannot be one (not a plain positive integer, or past what the column holds)."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ROW_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


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


class Retro(enum.StrEnum):
    """The retrospective's step views. Inputs repeated per row (factors, action items) get the
    row's key appended (`retro.factor.desc.f12`); each input's action id is its block id."""

    LOADING = "retro.loading"
    READ = "retro.read"  # the read-only view for people who may not edit
    STEP = "retro.step"  # callback ids are `retro.step.<step name>`
    HEADER = "retro.header"
    NOTICE = "retro.notice"
    NAV = "retro.nav"
    BACK = "retro.back"
    KEEP_WORDING = "retro.keep_wording"
    SUMMARY = "retro.summary"
    IMPACT = "retro.impact"
    DURATION = "retro.duration"
    DETECTION = "retro.detection"
    EVENTS = "retro.events"
    TIMES = "retro.times"
    DETECTED_BY = "retro.timeline.detection"
    MITIGATED_BY = "retro.timeline.mitigation"
    RESOLVED_BY = "retro.timeline.resolution"
    FACTOR_CATEGORY = "retro.factor.category"
    FACTOR_DESCRIPTION = "retro.factor.desc"
    FACTOR_WHYS = "retro.factor.whys"
    FACTOR_REMOVE = "retro.factor.remove"
    FACTOR_HEAD = "retro.factor.head"
    FACTOR_ADD = "retro.factors.add"
    WENT_WELL = "retro.went_well"
    WENT_BADLY = "retro.went_badly"
    GOT_LUCKY = "retro.got_lucky"
    ACTION_TITLE = "retro.action.title"
    ACTION_OWNER = "retro.action.owner"
    ACTION_DUE = "retro.action.due"
    ACTION_PRIORITY = "retro.action.priority"
    ACTION_KIND = "retro.action.kind"
    ACTION_REMOVE = "retro.action.remove"
    ACTION_ROW = "retro.action.row"  # the actions block holding a row's priority, kind, Remove
    ACTION_ADD = "retro.actions.add"
    REVIEW = "retro.review"


class Publish(enum.StrEnum):
    """Publishing a postmortem: the review step's button, the header's retro button, and the
    blocks of the summary message."""

    ACTIONS = "publish.actions"
    BUTTON = "publish.go"
    OUTCOME = "publish.outcome"  # what the last press delivered, above the button
    START_RETRO = "incident.retro"  # the header's "Start retrospective" (block id = action id)
    SUMMARY_TITLE = "publish.summary.title"
    SUMMARY_FACTS = "publish.summary.facts"
    SUMMARY_TIMES = "publish.summary.times"
    SUMMARY_STORY = "publish.summary.story"
    SUMMARY_FACTORS = "publish.summary.factors"
    SUMMARY_ITEMS = "publish.summary.items"
    SUMMARY_DOCUMENT = "publish.summary.document"
    SUMMARY_FOOTER = "publish.summary.footer"


class ActionIds(enum.StrEnum):
    """The "Create action item" modal (each input's action id is its block id) and the DM that
    tells an owner an item is theirs."""

    CREATE_CALLBACK = "action.create.submit"
    CREATE_MESSAGE = "action.create.message"  # the quoted message the item comes from
    CREATE_TITLE = "action.create.title"
    CREATE_OWNER = "action.create.owner"
    CREATE_DUE = "action.create.due"
    CREATE_PRIORITY = "action.create.priority"
    CREATE_KIND = "action.create.kind"
    ASSIGNED = "action.assigned"  # the DM's section
    ASSIGNED_CONTEXT = "action.assigned.context"


class FollowUp(enum.StrEnum):
    """Action items after the retro: the controls under each item (in reminder DMs, the assigned
    DM, escalations and App Home; the button's value is the item id, the block id is
    `followup.item.<id>`), and the Reassign / Won't do modals."""

    ITEM = "followup.item"  # + ".<id>": the item's section; its controls are ITEM + ".<id>.do"
    DONE = "followup.done"
    SNOOZE_DAY = "followup.snooze.day"
    SNOOZE_WEEK = "followup.snooze.week"
    REASSIGN = "followup.reassign"
    WONT_DO = "followup.wont_do"
    REMINDER_INTRO = "followup.reminder.intro"
    REMINDER_FOOTER = "followup.reminder.footer"
    ESCALATION_INTRO = "followup.escalation.intro"
    REASSIGN_CALLBACK = "followup.reassign.submit"
    REASSIGN_OWNER = "followup.reassign.owner"
    WONT_DO_CALLBACK = "followup.wont_do.submit"
    WONT_DO_REASON = "followup.wont_do.reason"


class Home(enum.StrEnum):
    """The App Home tab."""

    HEADER = "home.header"
    ITEMS = "home.items"
    ITEMS_EMPTY = "home.items.empty"
    ITEMS_MORE = "home.items.more"
    INCIDENTS = "home.incidents"  # + ".<id>": one section per incident
    INCIDENTS_EMPTY = "home.incidents.empty"
    INCIDENTS_MORE = "home.incidents.more"
    TEAM = "home.team"
    STATS = "home.stats"  # the team's numbers over the stats window
    OWED = "home.owed"  # the team's postmortems owed (postmortem debt)
    FOOTER = "home.footer"


class Digest(enum.StrEnum):
    """The weekly digest message."""

    HEADER = "digest.header"
    SUMMARY = "digest.summary"
    INCIDENTS = "digest.incidents"  # + ".<id>": one section per incident
    INCIDENTS_MORE = "digest.incidents.more"
    OWNERS = "digest.owners"
    UNPUBLISHED = "digest.unpublished"
    OWED = "digest.owed"  # postmortems owed: resolved, unpublished, past POSTMORTEM_DUE_DAYS
    STATS = "digest.stats"  # one line of the team's numbers
    FOOTER = "digest.footer"


class Stats(enum.StrEnum):
    """The message `/postmortem stats` posts."""

    HEADER = "stats.header"
    WINDOW = "stats.window"
    INCIDENTS = "stats.incidents"
    TIMES = "stats.times"
    POSTMORTEMS = "stats.postmortems"
    ITEMS = "stats.items"
    FACTORS = "stats.factors"
    FOOTER = "stats.footer"
    NOT_POSTED = "stats.not_posted"  # the ephemeral answer's note: why only the asker sees it


class Debt(enum.StrEnum):
    """Postmortem debt: the DM to a resolved incident's owner whose postmortem is still not
    published (its section's block id is `debt.incident.<id>`, its buttons' `….do`; each
    button's value is the incident id), the escalation DM, and the "No postmortem needed"
    modal."""

    INCIDENT = "debt.incident"  # + ".<id>"
    START_RETRO = "debt.retro"
    NOT_NEEDED = "debt.not_needed"
    FOOTER = "debt.footer"
    ESCALATION_INTRO = "debt.escalation.intro"
    SETTLED = "debt.settled"  # the line that replaces the buttons once marked or published
    NOT_NEEDED_CALLBACK = "debt.not_needed.submit"
    NOT_NEEDED_REASON = "debt.not_needed.reason"


class Search(enum.StrEnum):
    """The ephemeral answer to `/postmortem search`: a header, one section per result
    (`search.hit.<incident id>`, its links in `….links`), and the paging buttons, whose value
    carries the query as typed and where the page starts."""

    HEADER = "search.header"
    HIT = "search.hit"  # + ".<incident id>"
    PAGES = "search.pages"
    MORE = "search.more"
    PREVIOUS = "search.previous"
    EMPTY = "search.empty"


class Trackers(enum.StrEnum):
    """The tracker buttons among an action item's controls (their value is the item id)."""

    CREATE = "trackers.create"  # "Create GitHub issue" / "Create Jira issue"
    RETRY = "trackers.retry"  # after filing failed
