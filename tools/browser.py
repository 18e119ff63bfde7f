"""Find and launch the Chromium that the browser tests and the benchmark use,
and open a page in it the way a reader does.

Order: $CHROMIUM, then a Chromium or Chrome on PATH, then Playwright's own
browser if one was installed. No browser is downloaded, ever. A $CHROMIUM
that names no file is never replaced by another browser: chromium_problem()
says so, and the build and the editions fail with it. CHROMIUM=none means no
browser at all (a build then leaves its diagrams to the reader's browser).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

INSTALL_HINT = (
    "No Chromium found for the browser tests. Install one:\n"
    "  Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk\n"
    "  or point CHROMIUM at a Chromium/Chrome binary: CHROMIUM=/path/to/chrome make test"
)
# Quiet, offline-friendly flags: without the networking ones Chromium keeps
# trying to reach Google's hosts on a closed network.
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-quic", "--disable-features=Translate,OptimizationHints,MediaRouter",
]


NO_CHROMIUM = "none"


def chromium_problem() -> str | None:
    """What is wrong with $CHROMIUM, if it is set to a path that is not a file."""
    env = os.environ.get("CHROMIUM")
    if not env or env == NO_CHROMIUM or Path(env).is_file():
        return None
    if not Path(env).exists():
        return f"CHROMIUM points at a missing file: {env}"
    return f"CHROMIUM points at {env}, which is not a file"


def find_chromium(playwright=None) -> str | None:
    env = os.environ.get("CHROMIUM")
    if env == NO_CHROMIUM:
        return None
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if playwright is not None:
        try:
            bundled = playwright.chromium.executable_path
        except Exception:
            bundled = None
        if bundled and Path(bundled).is_file():
            return bundled
    return None


def find_test_chromium(playwright=None) -> str | None:
    """The Chromium the tests drive: $CHROMIUM if set; else Debian's
    chromium-headless-shell, the same Blink as chromium without the browser
    around it (a page with axe took about 20 % less time here, on a machine
    where the tests are CPU-bound); else what find_chromium() finds. Builds,
    the editions and `make bench` use find_chromium()."""
    if not os.environ.get("CHROMIUM"):
        shell = shutil.which("chromium-headless-shell")
        if shell:
            return shell
    return find_chromium(playwright)


# Material starts at the reader's first input (overrides/partials/start-on-first-input.html)
# and announces the document on document$; resolves when it has, or fails after 10 s.
MATERIAL_STARTED = """() => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('Material never started on ' + location.href)), 10000);
  const wait = () => window.document$
    ? document$.subscribe(() => { clearTimeout(timer); resolve(true); })
    : setTimeout(wait, 20);
  wait();
})"""


def open_page(page, url: str) -> None:
    """Load `url` the way a reader does, move the mouse (Material's scripts wait
    for a first input) and wait until they have started."""
    # The input comes as soon as the loader listens (the end of <body> is
    # parsed), so the start overlaps the rest of the load as a quick reader's would.
    page.goto(url, wait_until="domcontentloaded")
    start_material(page)
    page.wait_for_load_state("load")


def start_material(page) -> None:
    """A first input, as a reader's mouse makes it, and the wait for Material's start."""
    # A mouse keeps moving until the page answers. One or two synthetic moves are
    # not enough everywhere: in full Chromium the first pointermove after a load
    # reports no movement (the loader ignores it), and close moves may be
    # coalesced into that one event.
    for step in range(20):
        page.mouse.move(1 + step % 2, 1 + step % 2)
        if page.evaluate("() => !!window.document$ || performance.getEntriesByName('material-starting').length > 0"):
            break
        page.wait_for_timeout(25)
    page.evaluate(MATERIAL_STARTED)
