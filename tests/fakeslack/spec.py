"""Required Web API arguments, from Slack's OpenAPI spec (plus docs-derived metadata)."""

from __future__ import annotations

import functools
import re
from typing import Any

from .fixtures import _load

SPEC_FIXTURE = "specs/slack_web_openapi_v2.json"
METADATA_FIXTURE = "web_api/method_metadata.docs-derived.json"

# Methods newer than the 2021 spec whose required args are documented on docs.slack.dev.
EXTRA_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "files.getUploadURLExternal": (("filename",), ("length",)),
    "files.completeUploadExternal": (("files",),),
}

RequiredArgs = tuple[tuple[str, ...], ...]
"""Each inner tuple is a group of alternatives; one of them must be present."""


def load_spec() -> dict[str, Any]:
    """The parsed OpenAPI 2.0 document (cached)."""
    return _load(SPEC_FIXTURE)  # type: ignore[no-any-return]


@functools.cache
def _spec_required(method: str) -> tuple[str, ...] | None:
    path = load_spec()["paths"].get(f"/{method}")
    if path is None:
        return None
    names: list[str] = []
    for op in path.values():
        for param in op.get("parameters", []):
            name = param.get("name")
            if param.get("required") and name != "token" and name not in names:
                names.append(name)
    return tuple(names)


def _parse_docs_arg(raw: str) -> tuple[str, ...] | None:
    if "functionally required" in raw:  # Slack answers a method-specific error instead
        return None
    text = re.sub(r"\s*\(.*\)\s*$", "", raw).strip()
    if "+" in text or "/" in text:
        return None
    alternatives = tuple(part.strip() for part in text.split(" or "))
    if not all(re.fullmatch(r"[a-z_]+", alt) for alt in alternatives):
        return None
    return alternatives


@functools.cache
def _docs_required(method: str) -> tuple[tuple[str, ...], ...] | None:
    meta = _load(METADATA_FIXTURE)["methods"].get(method)
    if meta is None:
        return None
    groups = (_parse_docs_arg(arg) for arg in meta.get("required_args", []))
    return tuple(g for g in groups if g)


@functools.cache
def required_args(method: str) -> RequiredArgs | None:
    """Required argument groups for ``method``; None when no source covers it."""
    spec = _spec_required(method)
    docs = _docs_required(method)
    extra = EXTRA_REQUIRED.get(method)
    if spec is None and docs is None and extra is None:
        return None
    groups: list[tuple[str, ...]] = [*(docs or ()), *(extra or ())]
    for name in spec or ():
        if not any(name in group for group in groups):
            groups.append((name,))
    return tuple(groups)


def _present(value: Any) -> bool:
    return value is not None


def missing_args(method: str, args: dict[str, Any]) -> list[str]:
    """Names (``a|b`` for alternatives) of required args absent from ``args``."""
    groups = required_args(method) or ()
    return ["|".join(g) for g in groups if not any(_present(args.get(name)) for name in g)]
