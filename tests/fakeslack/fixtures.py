"""Locate and load the shared Slack fixtures (real payloads, specs)."""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parents[2]


def _shared_dir() -> Path:
    env = os.environ.get("HINDSIGHT_SHARED_DIR")
    return Path(env).expanduser().resolve() if env else (REPO_DIR.parent / "shared").resolve()


SHARED_DIR: Path = _shared_dir()
FIXTURES_DIR: Path = SHARED_DIR / "fixtures"


def fixture_path(relpath: str) -> Path:
    """Absolute path of a fixture, given relative to ``<shared>/fixtures``."""
    rel = relpath.removeprefix("fixtures/")
    if not FIXTURES_DIR.is_dir():
        raise FileNotFoundError(
            f"Slack fixtures directory not found: {FIXTURES_DIR}. "
            "Set HINDSIGHT_SHARED_DIR to the directory that contains 'fixtures/'."
        )
    path = FIXTURES_DIR / rel
    if not path.is_file():
        raise FileNotFoundError(f"Slack fixture not found: {path}")
    return path


@functools.cache
def _load(relpath: str) -> Any:
    with fixture_path(relpath).open(encoding="utf-8") as fh:
        return json.load(fh)


def load_fixture(relpath: str) -> dict[str, Any]:
    """Load a JSON fixture (a fresh deep copy on every call)."""
    data = _load(relpath)
    if not isinstance(data, dict):
        raise TypeError(f"fixture {relpath} is not a JSON object")
    return copy.deepcopy(data)
