"""Draw every surface in docs/surfaces from the bot's real Block Kit output.

    .venv/bin/python docs/surfaces/render.py [--only NAME …] [--html DIR]

For each surface in samples.py: its Block Kit JSON → an HTML page that imitates Slack
(blockkit_html.py, page.html, slack.css) → `<name>.png` with headless Chromium (Debian's
`chromium` package, or CHROMIUM=path), and `<name>.sha256`, the hash of the JSON it was drawn
from, which tests/test_surfaces.py compares with what the builders give today. The pictures
were drawn with Debian's fonts-lato and fonts-noto-color-emoji installed (other fonts change
the look, not the hash). `--html DIR` writes the pages to DIR instead, without Chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This checkout's bot, even when an older one is installed in the environment.
sys.path.insert(0, str(HERE.parents[1]))

import samples  # noqa: E402
from blockkit_html import Renderer, page  # noqa: E402

WIDTH = 900  # wider than any surface; the screenshot is cut to the surface's own size
# How each message is shown: the time beside the bot's name, and whether it is pinned.
MESSAGES = {
    "pinned-header": {"time": "14:03", "pinned": True},
    "published-summary": {"time": "16:20"},
    "owner-dm": {"time": "09:00"},
}


def chromium() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        sys.exit("Chromium is needed: apt-get install chromium (or set CHROMIUM=/path/to/it)")
    return found


def run_chromium(browser: str, profile: Path, *args: str) -> str:
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # as root in a container, Chromium refuses to start otherwise
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def size_of(browser: str, profile: Path, page_path: Path) -> tuple[int, int]:
    """The drawn surface's size, as page.html's script records it in the DOM."""
    dom = run_chromium(
        browser,
        profile,
        f"--window-size={WIDTH},2000",
        "--virtual-time-budget=3000",
        "--dump-dom",
        page_path.as_uri(),
    )
    found = re.search(r'data-size="(\d+)x(\d+)"', dom)
    if found is None:
        sys.exit(f"could not measure {page_path.name}")
    return int(found[1]), int(found[2])


def draw(name: str, payload: dict, browser: str | None, work: Path, html_dir: Path | None) -> None:
    shown = MESSAGES.get(name, {})
    renderer = Renderer(samples.NAMES, samples.CHANNELS)
    html = page(
        payload, renderer, time=str(shown.get("time", "")), pinned=bool(shown.get("pinned"))
    )
    page_path = work / f"{name}.html"
    page_path.write_text(html)
    if browser is None:
        assert html_dir is not None
        shutil.copy(page_path, html_dir / f"{name}.html")
        print(html_dir / f"{name}.html")
        return
    width, height = size_of(browser, work / "profile", page_path)
    png = HERE / f"{name}.png"
    run_chromium(
        browser,
        work / "profile",
        f"--window-size={width},{height}",
        "--virtual-time-budget=3000",
        f"--screenshot={png}",
        page_path.as_uri(),
    )
    (HERE / f"{name}.sha256").write_text(samples.digest(payload) + "\n")
    print(f"{png.relative_to(HERE.parents[1])}: {width}x{height}, {png.stat().st_size // 1024} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(samples.SURFACES), metavar="NAME")
    parser.add_argument("--html", type=Path, metavar="DIR", help="write the HTML pages to DIR only")
    args = parser.parse_args()
    if args.html:
        args.html.mkdir(parents=True, exist_ok=True)
    browser = None if args.html else chromium()
    with tempfile.TemporaryDirectory(prefix="hindsight-surfaces-") as tmp:
        for name, payload in samples.surfaces().items():
            if not args.only or name in args.only:
                draw(name, payload, browser, Path(tmp), args.html)


if __name__ == "__main__":
    main()
