"""Look at the site the way readers do: `make screenshots` writes PNGs of the
views that matter to bench/results/screenshots/ (open them in any viewer).

A diagram page in light and dark, a page at 360 px, the glossary in dark, the
comparison table on a phone, an abbreviation tooltip, and the 404 page. The
site is built for the address it is served at, as the tests do, so the 404
page's absolute links and Material's scripts work.
Usage: python -m tools.screenshots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tools.browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium, open_page
from tools.sitebuild import ROOT, serve_build

OUT = ROOT / "bench" / "results" / "screenshots"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# name, page, context options, colour scheme, what to bring into view, what to hover
VIEWS = [
    ("diagram-light", "types/full-virtualization/", DESKTOP, "light", "figure.diagram", None),
    ("diagram-dark", "types/full-virtualization/", DESKTOP, "dark", "figure.diagram", None),
    ("phone-360", "types/paravirtualization/", PHONE, "light", None, None),
    ("glossary-dark", "glossary/", DESKTOP, "dark", None, None),
    ("table-phone", "types/", PHONE, "light", "article table", None),
    ("tooltip", "hardware-virtualization/", DESKTOP, "light", "#amd-v", 'article abbr:text-is("AMD-V")'),
    ("404", "no-such-page/", DESKTOP, "light", None, None),
]


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        sys.exit(INSTALL_HINT)
    OUT.mkdir(parents=True, exist_ok=True)
    url, result, server = serve_build(ROOT, Path(tempfile.mkdtemp(prefix="screenshots-site-")))
    if server is None:
        sys.exit(f"build failed:\n{result.stderr[-3000:]}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for name, path, options, scheme, target, hover in VIEWS:
            page = browser.new_context(**options, color_scheme=scheme).new_page()
            open_page(page, url + path)
            if target:
                page.locator(target).first.evaluate("el => el.scrollIntoView({block: 'center'})")
            if hover:
                page.locator(hover).first.hover()
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / f"{name}.png"))
            page.context.close()
            print(OUT / f"{name}.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
