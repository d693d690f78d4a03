"""Metadata a modal carries through Slack, sealed with an HMAC so what comes back is what we
sent: a view's `private_metadata` arrives in the submission, and a request can carry any text
there. The key is the app's signing secret, which only Slack and this app know."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def seal(data: dict[str, Any], *, key: str) -> str:
    """`data` as JSON with its MAC (`{"d": data, "m": mac}`)."""
    return json.dumps({"d": data, "m": _mac(data, key)})


def unseal(text: str | None, *, key: str) -> dict[str, Any] | None:
    """The data sealed in `text`, or None when it is missing, malformed or was changed."""
    try:
        sealed = json.loads(text or "")
        data, mac = sealed["d"], sealed["m"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(mac, str):
        return None
    return data if hmac.compare_digest(mac, _mac(data, key)) else None


def _mac(data: dict[str, Any], key: str) -> str:
    message = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key.encode(), b"modal-metadata:" + message, hashlib.sha256).hexdigest()
