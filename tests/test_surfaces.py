"""The pictures in docs/surfaces show what the bot sends today: each was drawn from Block Kit
JSON whose hash is stored beside it, and the builders must still give that JSON. No Chromium
needed here; docs/surfaces/render.py draws the pictures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SURFACES = ROOT / "docs" / "surfaces"
REGENERATE = ".venv/bin/python docs/surfaces/render.py"


def load_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("surface_samples", SURFACES / "samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


samples = load_samples()


@pytest.mark.parametrize("name", sorted(samples.SURFACES))
def test_picture_matches_the_surfaces_block_kit_today(name: str) -> None:
    stored = SURFACES / f"{name}.sha256"
    assert stored.exists(), f"{name} has no picture yet; run {REGENERATE}"
    today = samples.digest(samples.SURFACES[name]())
    assert stored.read_text().strip() == today, (
        f"{name}: a surface's Block Kit output changed and its picture was not regenerated; "
        f"run {REGENERATE}"
    )


@pytest.mark.parametrize("name", sorted(samples.SURFACES))
def test_picture_is_a_small_png_shown_in_the_readme(name: str) -> None:
    picture = SURFACES / f"{name}.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size < 200_000
    assert f"docs/surfaces/{name}.png" in (ROOT / "README.md").read_text()


def test_every_picture_has_its_surface() -> None:
    """A surface renamed or removed takes its picture with it."""
    drawn = {path.name.removesuffix(".sha256") for path in SURFACES.glob("*.sha256")}
    pictured = {path.stem for path in SURFACES.glob("*.png")}
    assert drawn == pictured == set(samples.SURFACES)


def test_surfaces_are_the_same_on_every_run() -> None:
    """Fixed sample data: building twice gives the same JSON, so the hash means something."""
    assert samples.surfaces() == samples.surfaces()


def test_wording_picture_shows_the_inline_suggestion() -> None:
    surface = samples.SURFACES["retro-wording-suggestion"]()
    (block_id, message), *_ = surface["errors"].items()
    blocks = {block.get("block_id") for block in surface["view"]["blocks"]}
    assert block_id in blocks
    assert "Sam forgot" in message and "Keep my wording" in message
