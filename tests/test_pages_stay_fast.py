"""Cheap, deterministic performance guarantees (the figures come from
`make bench`): nothing but CSS blocks the first paint, diagrams are SVG with
their space reserved, and every page stays within a byte budget."""

import gzip
import re
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup

from checks import built_pages, mermaid_fences

BUDGET_KB = 120          # HTML + CSS + JS of one page, gzipped
INDEX_BUDGET_KB = 40     # the search index, gzipped


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def page_weight(site, page) -> int:
    """Gzipped bytes of a page's HTML and of the stylesheets and scripts it loads."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    rel = page.relative_to(site.dir).as_posix()
    base = urljoin(site.url, rel)
    total = _gz(page.read_bytes())
    for el in soup.select('link[rel="stylesheet"][href], script[src]'):
        path = urlparse(urljoin(base, el.get("href") or el["src"])).path
        total += _gz((site.dir / path.lstrip("/")).read_bytes())
    return total


def test_no_script_blocks_the_first_paint(site):
    blocking = [f"{p.relative_to(site.dir)}: {s['src']}" for p in built_pages(site.dir)
                for s in BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").select("script[src]")
                if not s.has_attr("defer") and not s.has_attr("async")]
    assert blocking == []


def test_diagrams_are_svg_with_their_space_reserved(site):
    for md in mermaid_fences(site.root / "docs"):
        html = (site.dir / site.url_of(md)[len(site.url):] / "index.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        svgs = soup.select("figure.diagram .mermaid-diagram > svg")
        # html.parser lowercases attribute names; browsers read viewbox as viewBox in HTML
        assert svgs and all(re.fullmatch(r"[\d.\s-]+", svg.get("viewbox", "x")) for svg in svgs), md.name
        assert not soup.select("pre.mermaid"), f"{md.name}: a diagram is left for the browser"


def test_every_page_stays_within_its_byte_budget(site, figures):
    fences = {site.url_of(md)[len(site.url):] for md in mermaid_fences(site.root / "docs")}
    weights = {p.relative_to(site.dir).as_posix(): page_weight(site, p) for p in built_pages(site.dir)}
    with_diagram = weights["types/full-virtualization/index.html"]
    without = weights["glossary/index.html"]
    assert "types/full-virtualization/" in fences
    figures.append(f"page weight, HTML+CSS+JS gzipped: {with_diagram:,} bytes ({with_diagram / 1024:.1f} KB) with "
                   f"diagrams (types/full-virtualization/), {without:,} bytes ({without / 1024:.1f} KB) without "
                   f"(glossary/), largest {max(weights.values()) / 1024:.1f} KB ({max(weights, key=weights.get)})")
    over = {page: round(size / 1024, 1) for page, size in weights.items() if size > BUDGET_KB * 1024}
    assert over == {}


def test_the_search_index_stays_small(site, figures):
    index = (site.dir / "search" / "search_index.json").read_bytes()
    figures.append(f"search index: {len(index) / 1024:.1f} KB raw, {_gz(index) / 1024:.1f} KB gzipped")
    assert _gz(index) < INDEX_BUDGET_KB * 1024
