"""The web pages of the install flow, as a person sees them in the browser: "Add to Slack", the
success page linking to the app in Slack, and one plain page for each way an install fails.

Pure: HTML text in, HTML text out; whatever came from a request or from Slack is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed install tells the person: a title, what happened, what to do."""

    title: str
    explanation: str


START_AGAIN = f'<a href="{INSTALL_PATH}">start the install again</a>'

# Bolt's reasons (slack_bolt.oauth.async_oauth_flow.handle_callback) and Slack's `error=`.
FAILURES: dict[str, Failure] = {
    "access_denied": Failure(
        "The install was cancelled",
        "Hindsight was not added to your workspace, because the install was cancelled on "
        f"Slack's page. Nothing was stored. To add it, {START_AGAIN}.",
    ),
    "invalid_browser": Failure(
        "This install link is not valid here",
        "The install must be finished in the browser that started it, within ten minutes. "
        f"Nothing was stored. Please {START_AGAIN}.",
    ),
    "invalid_state": Failure(
        "This install link has expired or was already used",
        f"Each install link works once, for ten minutes. Nothing was stored. Please {START_AGAIN}.",
    ),
    "missing_code": Failure(
        "Slack did not send the install back",
        f"The page was opened without Slack's answer. Nothing was stored. Please {START_AGAIN}.",
    ),
    "invalid_code": Failure(
        "Slack did not confirm the install",
        "Hindsight could not exchange Slack's answer for the workspace's access (it expired, "
        "was already used, or Slack could not be reached). Nothing was stored. "
        f"Please {START_AGAIN}.",
    ),
    "storage_error": Failure(
        "The install could not be saved",
        "Slack confirmed the install, but Hindsight could not save it. Nothing was stored. "
        f"Please {START_AGAIN} in a minute; if it keeps failing, tell whoever runs Hindsight.",
    ),
}


def failure_for(reason: str) -> Failure:
    """The page for a reason Bolt or Slack gave; any other error from Slack gets its code."""
    known = FAILURES.get(reason)
    if known is not None:
        return known
    return Failure(
        "Slack stopped the install",
        f"Slack answered with the error \u201c{html.escape(reason)}\u201d. Nothing was stored. "
        f"Please {START_AGAIN}.",
    )


def install_page(authorize_url: str) -> str:
    """The "Add to Slack" page: one link to Slack's authorize page."""
    link = html.escape(authorize_url)
    body = (
        "<h1>Add Hindsight to Slack</h1>"
        "<p>Hindsight keeps the timeline of an incident, runs the retrospective and follows up "
        "its action items, in Slack.</p>"
        f'<p><a class="add" href="{link}">Add to Slack</a></p>'
        "<p>Slack asks you to choose the workspace and to allow what Hindsight needs.</p>"
    )
    return page("Add Hindsight to Slack", body)


def success_page(*, team_id: str | None, team_name: str | None, app_id: str | None) -> str:
    """The install is done: where to find the app in Slack (the desktop app, or the browser)."""
    where = html.escape(team_name or team_id or "your organisation")
    if team_id and app_id:
        app_link = f"slack://app?team={quote(team_id)}&id={quote(app_id)}"
        browser = f"https://app.slack.com/client/{quote(team_id)}"
    else:  # an organisation-wide install: each workspace is chosen in the org's admin pages
        app_link, browser = "slack://open", "https://app.slack.com/client"
    body = (
        f"<h1>Hindsight is installed in {where}</h1>"
        "<p>Type <code>/postmortem declare</code> in a channel to review an incident, or open "
        "Hindsight's Home tab to see your action items.</p>"
        f'<p><a href="{html.escape(app_link)}">Open Hindsight in Slack</a> '
        f'(or <a href="{html.escape(browser)}">in your browser</a>).</p>'
    )
    return page("Hindsight is installed", body)


def failure_page(reason: str) -> str:
    failure = failure_for(reason)
    body = f"<h1>{html.escape(failure.title)}</h1><p>{failure.explanation}</p>"
    return page(failure.title, body)


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;"
        "padding:0 1em;line-height:1.5}a.add{display:inline-block;padding:.6em 1.2em;"
        "background:#4a154b;color:#fff;border-radius:4px;text-decoration:none}</style>"
        f"</head><body>{body}</body></html>"
    )
