"""Every error Hindsight raises on purpose, in one place.

`HindsightError` subclasses carry a message written for the person who caused them; the app's
one error handler shows it to them (ephemeral in the channel, or inline on a modal field).
"""

from __future__ import annotations


class HindsightError(Exception):
    """Base class. `message` is safe to show to the user who made the request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(HindsightError):
    """Raised at start when the environment is missing or has a bad value."""


class UserInputError(HindsightError):
    """Raised when what a person typed cannot be used; `field` names the modal block to mark."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(HindsightError):
    """Raised when a referenced incident, item or user does not exist for this team."""


class PermissionDeniedError(HindsightError):
    """Raised when a person may not do what they asked (e.g. close someone else's item)."""


class NotInIncidentChannelError(HindsightError):
    """Raised when a command that needs an incident channel runs anywhere else."""


class SlackCallError(HindsightError):
    """Raised when a Slack Web API call failed after its retries."""


class DatabaseBusyError(HindsightError):
    """Raised when the database could not take a request's write within Slack's 3 s (a lock
    held elsewhere); nothing was saved and trying again later works."""

    def __init__(self) -> None:
        super().__init__("The database is busy right now, so nothing was saved; try again.")


class DatabaseUnavailableError(HindsightError):
    """Raised at start when the database DATABASE_URL names cannot be opened or reached; the
    message names it (password hidden) and the cause, in one line."""
