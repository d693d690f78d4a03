"""The declare form as plain values: what was submitted (`DeclareForm`, unchecked) and what it
declares once checked (`Declaration`). Pure: bot/ui/declare.py reads the modal into a DeclareForm,
bot/incidents/declare.py checks it and bot/incidents/lifecycle.py creates the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Severity


@dataclass(frozen=True, slots=True)
class Declaration:
    """What the declare form asked for, as plain values."""

    team_id: str
    declared_by: str
    title: str
    severity: Severity
    commander_id: str
    summary: str = ""
    facilitator_id: str | None = None
    services: list[str] = field(default_factory=list)
    review_channel_id: str | None = None  # None: create a new channel


@dataclass(frozen=True, slots=True)
class DeclareForm:
    """The declare form as submitted, unchecked (bot.incidents.declare.validate makes a
    Declaration)."""

    team_id: str
    declared_by: str
    title: str
    severity: str | None
    summary: str
    commander_id: str | None
    facilitator_id: str | None
    services: str
    review_channel_id: str | None  # the channel to review; None: create a new one
