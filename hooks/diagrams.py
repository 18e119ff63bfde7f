"""Mermaid diagrams, drawn at build time (registered under `hooks:` in mkdocs.yml).

Each ```mermaid fence stays Mermaid text in the Markdown (formatted by
pymdownx.superfences' fence_code_format, as Material documents). At build
time it is rendered to an inline SVG in headless Chromium, with the pinned
Mermaid from node_modules and colours that are Material's CSS variables
(hooks/diagram-theme.css), so the SVG follows the light/dark switch, needs no
JavaScript, and has its size before the page paints (no layout shift).
Rendered SVGs are cached in .cache/diagrams/ (tools/diagram_cache.py: the key
covers Chromium's version and fonts; entries are written atomically and
checked before use). A warm build starts no browser.

Loud, not silent; every message names the file:
- a diagram that does not parse, or whose label holds an <img> or an
  outside URL, is an error naming the page and the diagram's number
  (`mkdocs build --strict`, hence `make site`, fails);
- a `<` or an entity in a label is kept as text (`a<b` reads "a<b");
- a Chromium that does not start, or no CJK font for Chinese labels, is an
  error naming the browser or the fonts, not a page;
- with REQUIRE_PRERENDERED_DIAGRAMS=1 (CI), a diagram that would be left for
  the reader's browser is an error.
Otherwise, with no Chromium at build time, every diagram is left as
<pre class="mermaid"> and drawn in the reader's browser by
docs/javascripts/mermaid-loader.mjs (put on every page through
extra.mermaid_fallback, read by overrides/main.html, so instant navigation
reaches it too), from the ES module build copied under javascripts/vendor/
only then. A build that rendered every diagram ships no diagram JavaScript.
Diagram source and SVG text are kept out of the search index; the
<figcaption> is what search finds.

Each diagram is drawn in a wide and, where it needs one, a phone layout, and
written alone as an SVG file for 查看大图 (hooks/diagram_variants.py).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.browser import LAUNCH_ARGS, find_chromium  # noqa: E402
from tools.diagram_cache import DiagramCache, chromium_version, font_fingerprint, has_cjk_font, svg_problems  # noqa: E402
from hooks import diagram_variants as variants  # noqa: E402

log = logging.getLogger("mkdocs.hooks.diagrams")

MERMAID = ROOT / "node_modules" / "mermaid"
MERMAID_DIST = MERMAID / "dist"
MERMAID_ENTRY = "mermaid.esm.min.mjs"
MERMAID_CHUNKS = "chunks/mermaid.esm.min"
MERMAID_URI = "javascripts/vendor/mermaid"
THEME = Path(__file__).with_name("diagram-theme.css")
CACHE = ROOT / ".cache" / "diagrams"
FONT = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"  # Material's stack with font: false
RENDER_TIMEOUT_MS = 60_000

_FENCE = re.compile(r'<pre\s+class="mermaid"><code>(.*?)</code></pre>', re.S)
_ORIGIN = "http://diagrams.invalid/"
_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"')
_SYMBOL = re.compile(r'<symbol\b[^>]*\bid="([^"]+)"[^>]*>.*?</symbol>', re.S)
# A `<` that would open an HTML tag in a label; Mermaid's arrows (<--, <<, <|)
# and the line break <br> are left alone.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z!?/])(?!/?br\s*/?>)")
_IMG = re.compile(r"<\s*img\b", re.I)
_OUTSIDE_URL = re.compile(r"(?<![\w:])(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>\])]+", re.I)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


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


def label_problems(source: str) -> list[str]:
    """What a diagram's labels must not hold: an image, or an outside URL
    (each would be fetched by every reader's browser)."""
    problems = []
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip().startswith("%%"):
            continue  # a Mermaid comment
        if _IMG.search(line):
            problems.append(f"line {number} puts an <img> in a label")
        for url in _OUTSIDE_URL.findall(line):
            problems.append(f"line {number} has an outside URL ({url})")
    return problems


def as_text(source: str) -> str:
    """The source as Mermaid must see it so labels keep their text: entities
    the author wrote (&lt;) become characters, and a `<` that would open a tag
    becomes Mermaid's entity code #lt; (HTML in a label is dropped by
    Mermaid's sanitiser, and the text with it)."""
    return _TAG_OPEN.sub("#lt;", html.unescape(source))


def on_config(config):
    entry = MERMAID_DIST / MERMAID_ENTRY
    if not entry.is_file():
        raise PluginError(
            f"Mermaid is not installed: {entry.relative_to(ROOT)} is missing. "
            "Run `npm ci` in the repository root, then build again.")
    return config


class Renderer:
    """Mermaid in a headless Chromium page, started on the first uncached diagram."""

    def __init__(self):
        self.playwright = self.browser = self.page = None
        self.executable = find_chromium()
        self.unavailable = self.executable is None
        self.cjk_checked = False
        version = json.loads((MERMAID / "package.json").read_text(encoding="utf-8"))["version"]
        self.options = {
            "startOnLoad": False, "theme": "base", "securityLevel": "strict", "fontFamily": FONT,
            "themeCSS": THEME.read_text(encoding="utf-8"),
            "sequence": {"actorFontSize": "16px", "messageFontSize": "16px", "noteFontSize": "16px"},
        }
        self.cache: DiagramCache | None = None
        self.salt = f"mermaid {version}\n{json.dumps(self.options, sort_keys=True)}"
        if self.unavailable:
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

    def render(self, source: str) -> tuple[str | None, str | None, str]:
        """(svg, None, key) or (None, error message, key); (None, None, key) if no browser."""
        cache = self._cache()
        if cache is None:
            return None, None, ""
        key = cache.key(source)
        cached = cache.get(key, log)
        if cached is not None:
            return cached, None, key
        if not self.cjk_checked and _HAN.search(source):
            self.cjk_checked = True
            if has_cjk_font() is False:
                log.error("No CJK font is installed for Chromium: Chinese diagram labels would be measured "
                          "with a fallback font and clipped in readers' browsers. Install one "
                          "(Debian/Ubuntu: apt-get install fonts-noto-cjk), then build again.")
        if self.page is None and not self._start():
            return None, None, key
        result = self.page.evaluate(
            """([id, source, ms]) => Promise.race([window.renderDiagram(id, source),
                 new Promise(done => setTimeout(() => done({error: `no drawing after ${ms} ms`}), ms))])""",
            [f"diagram-{key[:12]}", source, RENDER_TIMEOUT_MS])
        if "error" in result:
            return None, result["error"], key
        unsafe = svg_problems(result["svg"])
        if unsafe:
            return None, "the drawing " + "; ".join(unsafe), key
        cache.put(key, result["svg"])
        return result["svg"], None, key

    def close(self) -> None:
        for closing in (self.browser, self.playwright):
            try:
                if closing is self.playwright and closing is not None:
                    closing.stop()
                elif closing is not None:
                    closing.close()
            except Exception:  # noqa: BLE001 - closing a browser that never started
                pass
        self.playwright = self.browser = self.page = None


_renderer: Renderer | None = None
_zooms: dict[str, str] = {}  # site path -> standalone SVG (查看大图), written after the build


def on_pre_build(config) -> None:
    global _renderer
    _renderer = Renderer()
    _zooms.clear()
    config.extra["mermaid_fallback"] = False


# Before plugins that collect page HTML (a print page) read it: they see SVG.
@event_priority(50)
def on_page_content(content: str, page, config, files) -> str:
    name = page.file.src_uri
    required = os.environ.get("REQUIRE_PRERENDERED_DIAGRAMS", "") not in ("", "0")
    seen: dict[str, int] = {}

    def drawing(source: str, where: str) -> tuple[str | None, str | None]:
        """(svg, None), or (None, why) when the browser must draw it or it failed."""
        svg, error, key = _renderer.render(as_text(source))
        if error:
            log.error(f"{where} does not parse: {error}")
        if svg is None:
            return None, error
        svg = variants.without_unused_rules(without_unused_symbols(svg))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:  # the same diagram twice on a page: ids stay unique
            svg = svg.replace(f"diagram-{key[:12]}", f"diagram-{key[:12]}-{seen[key]}")
        return svg, None

    fences = list(_FENCE.finditer(content))
    out, last, number = [], 0, 0
    for i, match in enumerate(fences):
        out.append(content[last:match.start()])
        last = match.end()
        authored = html.unescape(match.group(1)).strip()
        if variants.is_phone_layout(authored):
            continue  # drawn with the diagram before it
        number += 1
        where = f"{name}: Mermaid diagram {number}"
        following = fences[i + 1] if i + 1 < len(fences) else None
        own_phone = html.unescape(following.group(1)).strip() if following else ""
        own_phone = own_phone if variants.is_phone_layout(own_phone) else None
        problems = label_problems(authored) + label_problems(own_phone or "")
        if not ("accTitle" in authored and "accDescr" in authored):
            log.error(f"{where} has no text alternative: give it accTitle and accDescr (README, \"Add a diagram\")")
        if problems:
            log.error(f"{where}: {'; '.join(problems)}: readers' browsers would fetch it from another host")
            out.append('<div class="mermaid-diagram" data-search-exclude></div>')
            continue
        svg, error = drawing(authored, where)
        if svg is None:  # drawn in the browser instead; its source is not for search
            if required and not error:
                log.error(f"{where} would be drawn in the reader's browser: no working Chromium at build time "
                          "(REQUIRE_PRERENDERED_DIAGRAMS is set)")
            config.extra["mermaid_fallback"] = True
            out.append(f'<pre class="mermaid" data-search-exclude><code>{html.escape(as_text(authored))}</code></pre>')
            continue
        # A second layout for phones, unless the diagram already reads in a phone's column.
        phone = variants.phone_source(own_phone or authored)
        if own_phone is None and (variants.width_of(svg) or 0) <= variants.PHONE_MAX_PX:
            phone = None
        phone_svg = drawing(phone, f"{where} (phone layout)")[0] if phone else None
        for problem in variants.layout_problems(name, number, svg, phone_svg):
            log.warning(problem)
        zoom = f"assets/diagrams/{name.removesuffix('.md').replace('/', '-')}-{number}.svg"
        try:
            _zooms[zoom] = variants.standalone_svg(svg)
        except Exception as error:  # noqa: BLE001 - any parse error of the standalone file
            log.error(f"{where} cannot be written as a standalone SVG (查看大图): {error}")
        width = variants.width_of(svg)
        style = f' style="--diagram-width: {width:.0f}px"' if width else ""
        out.append(variants.figure_html(svg, phone_svg, get_relative_url(zoom, page.url), style))
    out.append(content[last:])
    return "".join(out)


def on_post_build(config) -> None:
    _close()
    for path, svg in _zooms.items():  # 查看大图: each diagram alone, for the browser to zoom
        target = Path(config.site_dir) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, encoding="utf-8")
    if config.extra.get("mermaid_fallback"):
        # Mermaid's ES module build, self-hosted for the diagrams left to the browser.
        target = Path(config.site_dir) / MERMAID_URI
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MERMAID_DIST / MERMAID_ENTRY, target / MERMAID_ENTRY)
        shutil.copytree(MERMAID_DIST / MERMAID_CHUNKS, target / MERMAID_CHUNKS, dirs_exist_ok=True,
                        ignore=lambda _, names: [n for n in names if not n.endswith(".mjs")])


def _close() -> None:
    if _renderer is not None:
        _renderer.close()


def on_build_error(error) -> None:
    _close()
