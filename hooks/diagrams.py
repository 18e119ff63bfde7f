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
- a diagram that does not parse, whose label holds an <img> or an outside
  URL, that sets a theme of its own, or that is over Mermaid's maxTextSize
  is an error naming the file and line (`mkdocs build --strict`, hence
  `make site`, fails; the rules are hooks/diagram_render.py's);
- a `<` or an entity in a label is kept as text (`a<b` reads "a<b");
- a Chromium that does not start or crashes, or no CJK font for Chinese
  labels, is an error naming the browser or the fonts, not a page
  (hooks/diagram_render.py draws, tools/diagram_cache.py caches);
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
written alone as an SVG file for 查看大图 (hooks/diagram_variants.py), at
assets/diagrams/<the page's path>-<N>.svg: folders kept, so no two pages'
files can share a name.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

from hooks import diagram_variants as variants
from tools.sitebuild import display_name
from hooks.diagram_render import (MERMAID_DIST, MERMAID_ENTRY, Renderer, as_text, log,
                                  source_problems)

ROOT = Path(__file__).resolve().parent.parent

MERMAID_CHUNKS = "chunks/mermaid.esm.min"
MERMAID_URI = "javascripts/vendor/mermaid"

_FENCE = re.compile(r'<pre\s+class="mermaid"><code>(.*?)</code></pre>', re.S)
_MD_FENCE = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*mermaid\b", re.M)
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


def fence_lines(markdown: str) -> list[int]:
    """The line of the file where each ```mermaid fence's source starts."""
    return [markdown.count("\n", 0, m.start()) + 2 for m in _MD_FENCE.finditer(markdown)]


def on_config(config):
    entry = MERMAID_DIST / MERMAID_ENTRY
    if not entry.is_file():
        raise PluginError(
            f"Mermaid is not installed: {entry.relative_to(ROOT)} is missing. "
            "Run `npm ci` in the repository root, then build again.")
    return config


_renderer: Renderer | None = None
_zooms: dict[str, tuple[str, str]] = {}  # site path -> (standalone SVG for 查看大图, the page), written after the build


def on_pre_build(config) -> None:
    global _renderer
    _renderer = Renderer()
    _zooms.clear()
    config.extra["mermaid_fallback"] = False


# Before plugins that collect page HTML (a print page) read it: they see SVG.
@event_priority(50)
def on_page_content(content: str, page, config, files) -> str:
    name = page.file.src_uri
    source_file = display_name(Path(page.file.abs_src_path)) if page.file.abs_src_path else name
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
    starts = fence_lines(page.file.content_string) if page.file.abs_src_path else []
    if len(starts) != len(fences):
        starts = [None] * len(fences)  # a fence from an include: name the diagram, not a line

    def at(fence: int, line: int) -> str:
        return f"{source_file}:{starts[fence] + line - 1}" if starts[fence] else source_file

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
        problems = [f"{at(i, line)}: Mermaid diagram {number} {problem}" for line, problem in source_problems(authored)]
        problems += [f"{at(i + 1, line)}: Mermaid diagram {number} (phone layout) {problem}"
                     for line, problem in source_problems(own_phone or "")]
        if not ("accTitle" in authored and "accDescr" in authored):
            log.error(f"{where} has no text alternative: give it accTitle and accDescr (README, \"Add a diagram\")")
        if problems:
            for problem in problems:
                log.error(problem)
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
        zoom = f"assets/diagrams/{name.removesuffix('.md')}-{number}.svg"  # folders kept: no two pages share one
        try:
            if zoom in _zooms and _zooms[zoom][1] != name:
                raise ValueError(f"{_zooms[zoom][1]} writes {zoom} too")
            _zooms[zoom] = (variants.standalone_svg(svg), name)
        except Exception as error:  # noqa: BLE001 - any parse error of the standalone file
            log.error(f"{where} cannot be written as a standalone SVG (查看大图): {error}")
        width = variants.width_of(svg)
        style = f' style="--diagram-width: {width:.0f}px"' if width else ""
        out.append(variants.figure_html(svg, phone_svg, get_relative_url(zoom, page.url), style))
    out.append(content[last:])
    return "".join(out)


def on_post_build(config) -> None:
    _close()
    for path, (svg, _) in _zooms.items():  # 查看大图: each diagram alone, for the browser to zoom
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
