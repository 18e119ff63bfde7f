"""Mermaid diagrams, drawn at build time (registered under `hooks:` in mkdocs.yml).

Each ```mermaid fence stays Mermaid text in the Markdown. At build time it is
rendered to an inline SVG in headless Chromium, with the pinned Mermaid from
node_modules and colours that are Material's CSS variables
(hooks/diagram-theme.css), so the SVG follows the light/dark switch, needs no
JavaScript, and has its size before the page paints (no layout shift).
Rendered SVGs are cached in .cache/diagrams/ by source, theme and Mermaid
version: a warm build starts no browser.

- A diagram that does not parse is logged as an error naming the page
  (so `mkdocs build --strict` fails) and left for the browser, which shows
  Mermaid's error where the diagram would be.
- With no Chromium at build time, every diagram is left as <pre class="mermaid">
  and drawn in the reader's browser by docs/javascripts/mermaid-loader.mjs,
  from the self-hosted ES module build copied here under javascripts/vendor/.
  The loader is then put on every page (extra.mermaid_fallback, read by
  overrides/main.html), so that instant navigation reaches it too; a build
  that rendered every diagram ships no diagram JavaScript at all.
- Diagram source and SVG text are kept out of the search index; the
  <figcaption> is what search finds.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import sys
from pathlib import Path

import mkdocs.plugins
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.browser import LAUNCH_ARGS, find_chromium  # noqa: E402

log = logging.getLogger("mkdocs.hooks.diagrams")

MERMAID = ROOT / "node_modules" / "mermaid"
MERMAID_DIST = MERMAID / "dist"
MERMAID_ENTRY = "mermaid.esm.min.mjs"
MERMAID_CHUNKS = "chunks/mermaid.esm.min"
MERMAID_URI = "javascripts/vendor/mermaid"
THEME = Path(__file__).with_name("diagram-theme.css")
CACHE = ROOT / ".cache" / "diagrams"
FONT = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"  # Material's stack with font: false

# mermaid2's fence writes <pre  class="mermaid"> (an empty id slot, two spaces).
_FENCE = re.compile(r'<pre\s+class="mermaid"><code>(.*?)</code></pre>', re.S)
_ORIGIN = "http://diagrams.invalid/"
_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"')
_SYMBOL = re.compile(r'<symbol\b[^>]*\bid="([^"]+)"[^>]*>.*?</symbol>', re.S)


def without_unused_symbols(svg: str) -> str:
    """Drop the <symbol>s nothing in the SVG uses.

    Mermaid's sequence diagrams always carry its database, computer and clock
    icons (14 KB), used only by participants drawn as those shapes. Without
    them a page's HTML fits in the first round trip of a new connection
    (about 14 KB gzipped), which is worth 150 ms of first paint on a phone."""
    def keep_if_used(match: re.Match) -> str:
        used = re.search(rf'href="#{re.escape(match.group(1))}"|url\(#{re.escape(match.group(1))}\)', svg)
        return match.group(0) if used else ""
    return _SYMBOL.sub(keep_if_used, svg).replace("<defs></defs>", "")


def on_config(config):
    entry = MERMAID_DIST / MERMAID_ENTRY
    if not entry.is_file():
        raise PluginError(
            f"Mermaid is not installed: {entry.relative_to(ROOT)} is missing. "
            "Run `npm ci` in the repository root (`make site` does it for you), then build again.")
    return config


def on_files(files: Files, config) -> Files:
    """Self-host Mermaid's ES module build, for diagrams drawn in the browser."""
    for path in [MERMAID_DIST / MERMAID_ENTRY, *sorted((MERMAID_DIST / MERMAID_CHUNKS).glob("*.mjs"))]:
        files.append(File.generated(config, f"{MERMAID_URI}/{path.relative_to(MERMAID_DIST).as_posix()}",
                                    abs_src_path=str(path)))
    return files


class Renderer:
    """Mermaid in a headless Chromium page, started on the first uncached diagram."""

    def __init__(self):
        self.playwright = self.browser = self.page = None
        self.unavailable = False
        version = json.loads((MERMAID / "package.json").read_text(encoding="utf-8"))["version"]
        self.options = {
            "startOnLoad": False, "theme": "base", "securityLevel": "strict", "fontFamily": FONT,
            "themeCSS": THEME.read_text(encoding="utf-8"),
            "sequence": {"actorFontSize": "16px", "messageFontSize": "16px", "noteFontSize": "16px"},
        }
        self.salt = f"mermaid {version}\n{json.dumps(self.options, sort_keys=True)}\n"

    def _start(self) -> bool:
        executable = find_chromium()
        if executable is None:
            self.unavailable = True
            log.info("No Chromium found: diagrams will be drawn in the browser (see tools/browser.py)")
            return False
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        self.page = self.browser.new_page()
        self.page.route(f"{_ORIGIN}**", self._serve)
        self.page.goto(_ORIGIN + "render.html")
        self.page.wait_for_function("window.renderDiagram !== undefined")
        return True

    def _serve(self, route) -> None:
        path = route.request.url[len(_ORIGIN):]
        if path == "render.html":
            body = (f'<!doctype html><html><body style="font-family: {FONT}"><script type="module">'
                    f'import mermaid from "./{MERMAID_ENTRY}"; mermaid.initialize({json.dumps(self.options)});'
                    'window.renderDiagram = async (id, source) => {'
                    '  try { return {svg: (await mermaid.render(id, source)).svg}; }'
                    '  catch (error) { document.getElementById("d" + id)?.remove(); return {error: String(error.message || error)}; }'
                    '};</script></body></html>')
            route.fulfill(body=body, content_type="text/html")
        elif (MERMAID_DIST / path).is_file():
            route.fulfill(path=str(MERMAID_DIST / path), content_type="application/javascript")
        else:
            route.fulfill(status=404)

    def render(self, source: str) -> tuple[str | None, str | None]:
        """(svg, None) or (None, error message); (None, None) if no browser."""
        key = hashlib.sha256((self.salt + source).encode("utf-8")).hexdigest()
        cached = CACHE / f"{key}.svg"
        if cached.is_file():
            return cached.read_text(encoding="utf-8"), None
        if self.unavailable or (self.page is None and not self._start()):
            return None, None
        result = self.page.evaluate("([id, source]) => window.renderDiagram(id, source)", [f"diagram-{key[:12]}", source])
        if "error" in result:
            return None, result["error"]
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(result["svg"], encoding="utf-8")
        return result["svg"], None

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.playwright.stop()
        self.playwright = self.browser = self.page = None


_renderer: Renderer | None = None


def on_pre_build(config) -> None:
    global _renderer
    _renderer = Renderer()
    config.extra["mermaid_fallback"] = False


@mkdocs.plugins.event_priority(50)  # before plugins that collect page HTML (print-site)
def on_page_content(content: str, page, config, files) -> str:
    number = 0

    def draw(match: re.Match) -> str:
        nonlocal number
        number += 1
        source = html.unescape(match.group(1)).strip()
        svg, error = _renderer.render(source)
        if error:
            log.error(f"{page.file.src_uri}: Mermaid diagram {number} does not parse: {error}")
        if svg is None:  # drawn in the browser instead; its source is not for search
            config.extra["mermaid_fallback"] = True
            return f'<pre class="mermaid" data-search-exclude><code>{match.group(1)}</code></pre>'
        svg = without_unused_symbols(svg)
        width = _VIEWBOX.search(svg)
        style = f' style="--diagram-width: {float(width.group(1)):.0f}px"' if width else ""
        return f'<div class="mermaid-diagram" data-search-exclude{style}>{svg}</div>'

    return _FENCE.sub(draw, content)


def _close() -> None:
    if _renderer is not None:
        _renderer.close()


def on_post_build(config) -> None:
    _close()


def on_build_error(error) -> None:
    _close()
