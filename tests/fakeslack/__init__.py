"""Offline Slack for tests: the simulated workspace of ``bot.simslack`` checked against Slack's
spec (with injected failures and held calls), and signed requests from real payloads."""

from bot.simslack import EventBuilders

from .fixtures import FIXTURES_DIR, SHARED_DIR, fixture_path, load_fixture
from .limits import validate_blocks, validate_message_blocks, validate_view, view_too_large
from .models import Call, Channel, Failure, Rejection, StoredFile, Trigger
from .payloads import option, state_value
from .server import FakeSlack
from .signed import SlackRequests
from .spec import missing_args, required_args

__all__ = [
    "FIXTURES_DIR",
    "SHARED_DIR",
    "Call",
    "Channel",
    "EventBuilders",
    "Failure",
    "FakeSlack",
    "Rejection",
    "SlackRequests",
    "StoredFile",
    "Trigger",
    "fixture_path",
    "load_fixture",
    "missing_args",
    "option",
    "required_args",
    "state_value",
    "validate_blocks",
    "validate_message_blocks",
    "validate_view",
    "view_too_large",
]
