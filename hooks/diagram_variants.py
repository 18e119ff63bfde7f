"""Phone layouts and full-size views of diagrams (used by hooks/diagrams.py).

Every diagram is drawn twice at build time: as written (the wide layout, shown
above Material's phone breakpoint) and re-laid for a 328 px phone column (the
phone layout). CSS media queries pick one (overrides/partials/extra.css), so no
JavaScript runs and nothing shifts; the other one is `display: none`, which also
keeps a screen reader from hearing the text alternative twice.

- The phone layout is derived from the source: flowcharts run top to bottom
  with tighter spacing and labels wrapped at 84 px; sequence diagrams wrap
  their messages and pack their participants closer. An author can write the
  phone layout by hand instead: a second fence in the same figure whose first
  line is `%% phone` replaces the derived one.
- A layout that is still too wide to read is a build warning naming the page
  (`mkdocs build --strict` fails on it): on a phone its text would be scaled
  below MIN_TEXT_PX.
- Each diagram is also written as a standalone SVG file (查看大图), with its
  colours resolved for the light and the dark scheme (diagram-standalone.css,
  chosen by prefers-color-scheme), so the browser can show it alone and
  pinch-zoom it, without a script or any request.

Pure functions only: no MkDocs, no browser. Nothing here depends on Material
except the measured column widths and the colour values in
diagram-standalone.css, which tests/test_diagrams_read_on_phones.py compares
with the built site.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.dom import minidom

FONT_PX = 16            # Mermaid's label size here (see the Renderer options)
MIN_TEXT_PX = 11        # the smallest label text a reader should get
PHONE_COLUMN_PX = 328   # the article column at a 360 px viewport (Material 9.8)
WIDE_COLUMN_PX = 686    # the narrowest article column above the phone breakpoint (720 px)
PHONE_MAX_PX = PHONE_COLUMN_PX * FONT_PX // MIN_TEXT_PX   # 477: wider shrinks text below 11 px
WIDE_MAX_PX = WIDE_COLUMN_PX * FONT_PX // MIN_TEXT_PX     # 997

PHONE_MARK = "%% phone"
STANDALONE_CSS = Path(__file__).with_name("diagram-standalone.css")

_FLOW_INIT = ('%%{init: {"flowchart": {"nodeSpacing": 12, "rankSpacing": 28, "padding": 8, "subGraphTitleMargin": {"top": 4, "bottom": 6}, '
              '"wrappingWidth": 84, "diagramPadding": 4}}}%%')
_SEQUENCE_INIT = ('%%{init: {"sequence": {"actorMargin": 8, "width": 90, "wrap": true, "messageMargin": 20, '
                  '"boxMargin": 4, "noteMargin": 4, "diagramMarginX": 4}}}%%')
_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"')
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def is_phone_layout(source: str) -> bool:
    """An author's own phone layout starts with the line `%% phone`."""
    return source.lstrip().startswith(PHONE_MARK)


def phone_source(source: str) -> str | None:
    """The diagram re-laid for a phone, or None where its layout has no narrower form."""
    lines = source.strip().splitlines()
    header = next((i for i, line in enumerate(lines) if line.strip() and not line.strip().startswith("%%")), None)
    if header is None:
        return None
    kind = lines[header].split()[0]
    if kind in ("flowchart", "graph"):
        lines[header] = re.sub(r"\b(LR|RL)\b", "TB", lines[header])
        lines = [re.sub(r"^(\s*)direction\s+(LR|RL)\s*$", r"\1direction TB", line) for line in lines]
        return _FLOW_INIT + "\n" + "\n".join(lines)
    if kind == "sequenceDiagram":
        return _SEQUENCE_INIT + "\n" + "\n".join(lines)
    return None


def width_of(svg: str) -> float | None:
    """The natural width of a rendered diagram, from its viewBox."""
    match = _VIEWBOX.search(svg)
    return float(match.group(1)) if match else None


def layout_problems(name: str, number: int, wide: str, phone: str | None) -> list[str]:
    """A layout too wide to read where it is shown, as `page: diagram N: …`."""
    problems = []
    shown_on_phones = phone or wide
    for layout, svg, limit, column in (("phone", shown_on_phones, PHONE_MAX_PX, PHONE_COLUMN_PX),
                                       ("wide", wide, WIDE_MAX_PX, WIDE_COLUMN_PX)):
        width = width_of(svg)
        if width and width > limit:
            problems.append(
                f"{name}: diagram {number} is {width:.0f} px wide in its {layout} layout; in a {column} px column "
                f"its text would be drawn at {FONT_PX * column / width:.1f} px, below {MIN_TEXT_PX} px. "
                f"Shorten its labels, split it, or write a phone layout (a second fence starting with "
                f"'{PHONE_MARK}', see README.md)")
    return problems


def figure_html(wide: str, phone: str | None, zoom_href: str, style: str = "") -> str:
    """The diagram's box: both layouts (CSS shows one) and the 查看大图 link."""
    if phone is None:
        body = wide
        classes = "mermaid-diagram"
    else:
        body = _with_class(wide, "diagram-wide") + _with_class(phone, "diagram-phone")
        classes = "mermaid-diagram has-phone-layout"
    return (f'<div class="{classes}" data-search-exclude{style}>{body}</div>'
            f'<p class="diagram-zoom"><a href="{zoom_href}">查看大图</a></p>')


def _with_class(svg: str, name: str) -> str:
    tag = _SVG_OPEN.search(svg)
    opening = tag.group(0)
    if ' class="' in opening:
        opening = opening.replace(' class="', f' class="{name} ', 1)
    else:
        opening = opening[:-1] + f' class="{name}">'
    return svg[:tag.start()] + opening + svg[tag.end():]


def standalone_svg(svg: str) -> str:
    """The diagram as an SVG file of its own, coloured for both schemes.

    Raises ValueError if the result is not well-formed XML."""
    tag = _SVG_OPEN.search(svg)
    if tag is None:
        raise ValueError("no <svg> element")
    style = f"<style>{STANDALONE_CSS.read_text(encoding='utf-8')}</style>"
    document = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                + svg[:tag.end()] + style + svg[tag.end():])
    minidom.parseString(document.encode("utf-8"))  # raises on malformed XML
    return document


# Smaller SVGs: every page's HTML must arrive in the first round trip (about
# 14 KB gzipped), and a diagram now comes in two layouts.
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_ATTRIBUTE = re.compile(r'(\s[\w:-]+=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


def _top_level_blocks(css: str):
    """(prelude, body) for each top-level rule or @-block of flat CSS."""
    i = 0
    while i < len(css):
        start = css.find("{", i)
        if start < 0:
            return
        depth, j = 1, start + 1
        while j < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        yield css[i:start].strip(), css[start + 1:j - 1]
        i = j


def without_unused_rules(svg: str) -> str:
    """Drop the CSS rules of Mermaid's <style> that match nothing in the SVG
    (a selector naming a class no element has cannot match), the @keyframes no
    remaining rule animates with, and digits past 1/100 px in attribute values."""
    match = _STYLE.search(svg)
    if match:
        classes = {name for value in re.findall(r'class="([^"]*)"', svg) for name in value.split()}
        rules, at_rules = [], []
        for prelude, body in _top_level_blocks(match.group(1)):
            if prelude.startswith("@"):
                at_rules.append((prelude, body))
                continue
            selectors = [s for s in prelude.split(",")
                         if all(name in classes for name in re.findall(r"\.(-?[A-Za-z_][\w-]*)", s))]
            if selectors:
                rules.append(f"{','.join(selectors)}{{{body}}}")
        kept = "".join(rules)
        animated = "".join(f"{p}{{{b}}}" for p, b in at_rules
                           if not p.startswith("@keyframes") or re.search(rf"\b{re.escape(p.split()[-1])}\b", kept))
        svg = svg[:match.start()] + f"<style>{animated}{kept}</style>" + svg[match.end():]
    return _ATTRIBUTE.sub(lambda m: m.group(1) + _LONG_DECIMAL.sub(r"\1", m.group(2)) + m.group(3), svg)
