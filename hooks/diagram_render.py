"""Drawing Mermaid diagrams in headless Chromium (used by hooks/diagrams.py),
and what a diagram's source may hold before Mermaid sees it.

- The Renderer starts Chromium on the first diagram the cache
  (tools/diagram_cache.py) does not hold. If Chromium does not start, or
  crashes while drawing, that is one error naming Chromium, never a page; the
  browser is not started again in that build (the remaining diagrams come from
  the cache or are left for the reader's browser).
- Without a CJK font, Chinese labels would be measured with a fallback font
  and clipped: every build that has such a diagram fails, and nothing drawn
  on that machine goes into the cache (a cached drawing would hide the missing
  font from the next build).
- A cache that cannot be written (full, read-only, a dangling symlink) is
  named once and the build goes on without caching; a warm read-only cache
  is read as usual.
- Source rules, each an error naming the file and line (source_problems): no
  <img> or outside URL in a label; no `%%{init}%%` directive or front-matter
  `config:` that changes the site's theme, colours or fonts (layout settings,
  such as a sequence diagram's spacing, are allowed); no diagram over
  Mermaid's maxTextSize (Mermaid would draw an error box instead).
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import yaml

from tools.browser import LAUNCH_ARGS, chromium_problem, find_chromium
from tools.diagram_cache import DiagramCache, chromium_version, font_fingerprint, has_cjk_font, svg_problems

log = logging.getLogger("mkdocs.hooks.diagrams")

ROOT = Path(__file__).resolve().parent.parent
MERMAID = ROOT / "node_modules" / "mermaid"
MERMAID_DIST = MERMAID / "dist"
MERMAID_ENTRY = "mermaid.esm.min.mjs"
THEME = Path(__file__).with_name("diagram-theme.css")
CACHE = ROOT / ".cache" / "diagrams"
FONT = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"  # Material's stack with font: false
RENDER_TIMEOUT_MS = 60_000
MAX_TEXT_SIZE = 50_000  # Mermaid's default maxTextSize, set explicitly below

_ORIGIN = "http://diagrams.invalid/"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A `<` that would open an HTML tag in a label; Mermaid's arrows (<--, <<, <|)
# and the line break <br> are left alone.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z!?/])(?!/?br\s*/?>)")
_IMG = re.compile(r"<\s*img\b", re.I)
_OUTSIDE_URL = re.compile(r"(?<![\w:])(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>\])]+", re.I)
_DIRECTIVE = re.compile(r"^\s*%%\{\s*(?P<kind>[\w-]+)\s*(?::\s*(?P<body>.*))?\}%%\s*$", re.S)
# Settings of one kind of diagram (its layout); every other key of a
# directive (theme, themeVariables, themeCSS, fontFamily, look, …) would
# replace or bend the site's theme (hooks/diagram-theme.css).
LAYOUT_KEYS = {"flowchart", "sequence", "gantt", "journey", "timeline", "class", "state", "er", "pie",
               "quadrantChart", "xyChart", "requirement", "mindmap", "kanban", "gitGraph", "c4", "sankey",
               "packet", "block", "architecture", "radar", "wrap"}


def as_text(source: str) -> str:
    """The source as Mermaid must see it so labels keep their text: entities
    the author wrote (&lt;) become characters, and a `<` that would open a tag
    becomes Mermaid's entity code #lt; (HTML in a label is dropped by
    Mermaid's sanitiser, and the text with it)."""
    return _TAG_OPEN.sub("#lt;", html.unescape(source))


def _config_problems(config, where: str) -> list[str]:
    if not isinstance(config, dict):
        return [f"{where} is not a mapping of settings"]
    kept_out = sorted(key for key in config if key not in LAYOUT_KEYS)
    return [f"{where} sets {', '.join(kept_out)}, which would replace the site's diagram theme "
            "(hooks/diagram-theme.css); only layout settings such as \"sequence\" or \"flowchart\" may be set"
            ] if kept_out else []


def source_problems(source: str) -> list[tuple[int, str]]:
    """(line within the diagram, problem) for what a diagram's source must not
    hold: an image or an outside URL in a label (each would be fetched by every
    reader's browser), a theme of its own, or more text than Mermaid draws."""
    problems = []
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":  # Mermaid's front matter: `config:` as in a directive
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end is not None:
            try:
                front = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as error:
                problems.append((1, f"front matter does not parse ({str(error).splitlines()[0]})"))
                front = {}
            if isinstance(front, dict) and "config" in front:
                problems += [(1, p) for p in _config_problems(front["config"], "front matter `config:`")]
    for number, line in enumerate(lines, 1):
        directive = _DIRECTIVE.match(line)
        if directive and directive["kind"] in ("init", "initialize"):
            body = directive["body"] or ""
            try:
                config = json.loads(body)
            except ValueError:
                try:
                    config = yaml.safe_load(body)  # Mermaid also reads single quotes and bare keys
                except yaml.YAMLError:
                    config = None
            problems += [(number, p) for p in _config_problems(config, f"%%{{{directive['kind']}}}%%")]
        elif directive and directive["kind"] not in LAYOUT_KEYS:
            problems.append((number, f"the directive %%{{{directive['kind']}}}%% is not one this site allows"))
        elif line.strip().startswith("%%") and not directive:
            continue  # a Mermaid comment: never drawn
        if _IMG.search(line):
            problems.append((number, "puts an <img> in a label"))
        for url in _OUTSIDE_URL.findall(line):
            problems.append((number, f"has an outside URL ({url})"))
    size = len(as_text(source))
    if size > MAX_TEXT_SIZE:
        problems.append((1, f"is {size:,} characters long, over Mermaid's maxTextSize ({MAX_TEXT_SIZE:,}): "
                            "Mermaid would draw an error box instead. Split it into smaller diagrams"))
    return problems


class Renderer:
    """Mermaid in a headless Chromium page, started on the first uncached diagram."""

    def __init__(self):
        self.playwright = self.browser = self.page = None
        self.executable = find_chromium()
        self.unavailable = self.executable is None
        self.cjk: bool | None = None  # whether Chromium has a CJK font; asked on the first Chinese label
        self.cache_broken = False
        version = json.loads((MERMAID / "package.json").read_text(encoding="utf-8"))["version"]
        self.options = {
            "startOnLoad": False, "theme": "base", "securityLevel": "strict", "fontFamily": FONT,
            "maxTextSize": MAX_TEXT_SIZE, "themeCSS": THEME.read_text(encoding="utf-8"),
            "sequence": {"actorFontSize": "16px", "messageFontSize": "16px", "noteFontSize": "16px"},
        }
        self.cache: DiagramCache | None = None
        self.salt = f"mermaid {version}\n{json.dumps(self.options, sort_keys=True)}"
        wrong = chromium_problem()
        if wrong:  # a typo must not pass as "no Chromium here"
            log.error(f"{wrong}. Correct it, or unset CHROMIUM to use the Chromium on PATH (see tools/browser.py); "
                      "until then diagrams are left for the reader's browser.")
        elif self.unavailable:
            log.info("No Chromium found: diagrams will be drawn in the browser (see tools/browser.py)")

    def _cache(self) -> DiagramCache | None:
        """The cache for this Chromium and these fonts; None without a working Chromium."""
        if self.cache is None and not self.unavailable:
            try:
                browser = chromium_version(self.executable)
            except RuntimeError as error:
                self._give_up(str(error))
                return None
            self.cache = DiagramCache(CACHE, f"{self.salt}\n{browser}\n{font_fingerprint()}")
        return self.cache

    def _give_up(self, why: str) -> None:
        self.unavailable = True
        log.error(f"Chromium for diagrams ({self.executable}) is not usable: {why}. "
                  "Fix it, or point CHROMIUM at a working Chromium (see tools/browser.py); "
                  "until then diagrams are left for the reader's browser.")

    def _start(self) -> bool:
        from playwright.sync_api import sync_playwright

        try:
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=self.executable, args=LAUNCH_ARGS)
            self.page = self.browser.new_page()
            self.page.route(f"{_ORIGIN}**", self._serve)
            self.page.goto(_ORIGIN + "render.html")
            self.page.wait_for_function("window.renderDiagram !== undefined", timeout=RENDER_TIMEOUT_MS)
        except Exception as error:  # noqa: BLE001 - any failure here is the browser's, not a page's
            self.close()
            self._give_up(str(error).strip().splitlines()[0])
            return False
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

    def _has_cjk(self) -> bool:
        """Whether Chromium can measure Chinese labels; the error, once a build, when not."""
        if self.cjk is None:
            self.cjk = has_cjk_font() is not False
            if not self.cjk:
                log.error("No CJK font is installed for Chromium: Chinese diagram labels would be measured "
                          "with a fallback font and clipped in readers' browsers. Install one "
                          "(Debian/Ubuntu: apt-get install fonts-noto-cjk), then build again.")
        return self.cjk

    def render(self, source: str) -> tuple[str | None, str | None, str]:
        """(svg, None, key) or (None, error message, key); (None, None, key) if no browser."""
        cache = self._cache()
        if cache is None:
            return None, None, ""
        key = cache.key(source)
        # Asked before the cache: an SVG cached on a machine without CJK fonts
        # must not let the next build there pass.
        trusted = not _HAN.search(source) or self._has_cjk()
        if trusted:
            cached = cache.get(key, log)
            if cached is not None:
                return cached, None, key
        if self.unavailable or (self.page is None and not self._start()):
            return None, None, key
        try:
            result = self.page.evaluate(
                """([id, source, ms]) => Promise.race([window.renderDiagram(id, source),
                     new Promise(done => setTimeout(() => done({error: `no drawing after ${ms} ms`}), ms))])""",
                [f"diagram-{key[:12]}", source, RENDER_TIMEOUT_MS])
        except Exception as error:  # noqa: BLE001 - the browser went away: its failure, not the page's
            self.close()
            self._give_up(f"it stopped while drawing a diagram ({str(error).strip().splitlines()[0]})")
            return None, None, key
        if "error" in result:
            return None, result["error"], key
        unsafe = svg_problems(result["svg"])
        if unsafe:
            return None, "the drawing " + "; ".join(unsafe), key
        if trusted and not self.cache_broken:
            problem = cache.put(key, result["svg"])
            if problem:
                self.cache_broken = True
                log.info(f"{problem}; the diagrams of this build are not cached")
        return result["svg"], None, key

    def close(self) -> None:
        for closing in (self.browser, self.playwright):
            try:
                if closing is self.playwright and closing is not None:
                    closing.stop()
                elif closing is not None:
                    closing.close()
            except Exception:  # noqa: BLE001 - closing a browser that never started, or crashed
                pass
        self.playwright = self.browser = self.page = None
