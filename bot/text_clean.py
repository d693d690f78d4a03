"""Text a database can store, the same on SQLite and PostgreSQL.

PostgreSQL's text type cannot hold U+0000, and neither database driver can encode a lone UTF-16
surrogate (JSON may carry one as `"\\ud800"`). Text from Slack is cleaned once, where it enters:
every string of a request body (a Bolt middleware in bot/app.py) and every message read back from
the Web API (bot/timeline/messages.py). NUL and the other C0 control characters (tab, newline and
carriage return excepted) are dropped: nobody can see them, and they have no meaning in a title or
a message. A lone surrogate becomes U+FFFD, the replacement character, so the text keeps its shape.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls except \t \n \r, and DEL; then any surrogate code point (paired surrogates never
# reach a Python str: JSON decoding joins them into one character).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _replace(match: re.Match[str]) -> str:
    return REPLACEMENT if match.group() >= "\ud800" else ""


def clean_text(text: str) -> str:
    """`text` without what a database can't store (see the module docstring)."""
    return _UNSTORABLE.sub(_replace, text)


# What, in JSON text, can decode to something `_UNSTORABLE` matches: a \u escape (any control
# or surrogate), the \b and \f escapes, or a raw DEL (JSON allows it unescaped; strict parsing
# refuses every other raw control character). A match may be harmless (`\\u`): then the body is
# cleaned as usual.
_JSON_UNSTORABLE = re.compile(r"\\[ubf]|\x7f")


def json_is_storable(raw: str) -> bool:
    """Whether every string that the JSON object text `raw` decodes to is storable as it is, so
    that cleaning the parsed body would change nothing (checked on the raw text in one pass,
    much faster than walking the parsed body). False when unsure: not a JSON object."""
    return raw.startswith("{") and _JSON_UNSTORABLE.search(raw) is None


def clean_strings(value: Any) -> Any:
    """Every string inside `value` (dicts and lists, nested) cleaned; dicts and lists in place,
    so a parsed request body can be cleaned where it lies. Returns the cleaned value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = clean_strings(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = clean_strings(item)
    return value
