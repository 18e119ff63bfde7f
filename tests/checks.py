"""The site's checks, as functions that return problems.

Each problem is a line that starts with the file it is about. The tests run
every check on the real site (expecting no problems) and on a broken fixture
(expecting the problem, named). Nothing here starts a build or a browser.
"""

from __future__ import annotations

import functools
import gzip
import posixpath
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

from bs4 import BeautifulSoup

from tools.addresses import (PUBLISHED, address_problems, built_pages, current_addresses,  # noqa: F401
                            md_url, published_addresses)
from tools.editions import OFFLINE_NAME, PDF_NAME
from tools.sitebuild import display_name

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCE = ROOT / "source" / "virtualization.md"
CORRECTIONS = ROOT / "source" / "corrections.tsv"

KEBAB_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FENCE = re.compile(r"^(```+|~~~+)\s*([\w-]*)")
HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*$")
EXPLICIT_ID = re.compile(r"\{\s*#([^\s}]+)[^}]*\}$")


# ---------------------------------------------------------------- Markdown

def md_blocks(md: Path):
    """Yield (line number, line, fence language or None) for each line of a page."""
    fence, lang = None, None
    for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence, lang = match.group(1), match.group(2)
            yield number, line, lang
            continue
        if fence is not None and line.strip().startswith(fence) and line.strip() == line.strip()[0] * len(line.strip()):
            yield number, line, lang
            fence, lang = None, None
            continue
        yield number, line, lang if fence is not None else None


def mermaid_fences(docs: Path = DOCS) -> dict[Path, list[str]]:
    """Every ```mermaid fence, by page."""
    found: dict[Path, list[str]] = {}
    for md in sorted(docs.rglob("*.md")):
        current: list[str] | None = None
        for _, line, lang in md_blocks(md):
            if lang == "mermaid":
                if current is None:
                    current = []
                else:
                    current.append(line)
            elif current is not None:
                source = "\n".join(current[:-1])
                if not source.lstrip().startswith("%% phone"):  # a phone layout draws no diagram of its own
                    found.setdefault(md, []).append(source)
                current = None
        if current is not None:
            found.setdefault(md, []).append("\n".join(current))
    return found


def heading_id_problems(docs: Path = DOCS) -> list[str]:
    """Every h2-h6 heading in the Markdown carries an explicit kebab-case id."""
    problems = []
    for md in sorted(docs.rglob("*.md")):
        name = md.relative_to(docs.parent).as_posix()
        for number, line, lang in md_blocks(md):
            match = HEADING.match(line) if lang is None else None
            if not match:
                continue
            explicit = EXPLICIT_ID.search(match.group(2))
            if not explicit:
                problems.append(f"{name}:{number}: heading has no explicit id, write it as "
                                f"`{match.group(1)} {match.group(2)} {{#english-id}}`")
            elif not KEBAB_ID.match(explicit.group(1)):
                problems.append(f"{name}:{number}: heading id #{explicit.group(1)} is not ASCII kebab-case")
    return problems


# ---------------------------------------------------------------- sentences

def normalize(text: str) -> str:
    """Only the words: no spacing, punctuation, emphasis marks or letter case."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def corrections(path: Path = CORRECTIONS) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            original, corrected, *_ = line.split("\t")
            pairs.append((original, corrected))
    return pairs


def source_sentences(source: Path = SOURCE, fixes: list[tuple[str, str]] | None = None) -> list[tuple[int, str]]:
    """(line number, sentence) for every sentence and heading of the article."""
    text = source.read_text(encoding="utf-8")
    for original, corrected in fixes if fixes is not None else corrections():
        text = text.replace(original, corrected)
    sentences = []
    for number, line in enumerate(text.splitlines(), 1):
        line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links and images keep their text
        line = line.lstrip("#").replace("`", "")
        for sentence in re.split(r"(?<=[。！？?!])", line):
            if len(normalize(sentence)) >= 2:
                sentences.append((number, sentence.strip()))
    return sentences


def page_text(html: str) -> str:
    """The reading text of a built page: the article, without diagram source."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article") or soup
    for el in article.select("pre.mermaid, script, style"):
        el.decompose()
    return article.get_text("")


def missing_sentences(text: str, source: Path = SOURCE, fixes=None) -> list[tuple[int, str]]:
    """(line number, sentence) of every source sentence that `text` lacks, typography aside."""
    found = normalize(text)
    return [(number, sentence) for number, sentence in source_sentences(source, fixes)
            if normalize(sentence) not in found]


def lost_sentence_problems(site_dir: Path, source: Path = SOURCE, fixes=None) -> list[str]:
    """Every source sentence is somewhere in the built pages."""
    site_text = "".join(page_text(p.read_text(encoding="utf-8")) for p in sorted(site_dir.rglob("*.html")))
    name = display_name(source)
    return [f"{name}:{number}: sentence not found in any page: 「{sentence}」"
            for number, sentence in missing_sentences(site_text, source, fixes)]


# ---------------------------------------------------------------- built HTML

def html_soup(path: Path) -> BeautifulSoup:
    """A built HTML file, parsed."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def script_tags(soup: BeautifulSoup) -> list:
    """Every <script src>, including those held in a <template> until the reader's
    first input (overrides/partials/start-on-first-input.html): CSS selectors never look
    inside a template, find_all does."""
    return soup.find_all("script", src=True)


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


def round_trip_problems(site_dir: Path, limit: int = TWO_ROUND_TRIPS_BYTES) -> list[str]:
    """Every page's HTML, gzipped, arrives within two round trips of a new
    connection; one byte more costs another round trip before the first paint."""
    problems = []
    for page in built_pages(site_dir):
        size = gzipped_size(page.read_bytes())
        if size > limit:
            problems.append(f"{page.relative_to(site_dir).as_posix()}: HTML is {size:,} bytes gzipped, "
                            f"over the {limit:,} that arrive in "
                            f"{'the first round trip' if limit <= FIRST_ROUND_TRIP_BYTES else 'two round trips'}")
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


def early_script_problems(name: str, timing: dict) -> list[str]:
    """No script of page `name` was requested before its first contentful paint,
    nor before the reader's first input (the "material-starting" mark; pages
    that start at first paint, partials/start-on-first-input.html, are not swept).

    `timing` is what browsing.PAINT_TIMING reports for the page."""
    if timing["fcp"] is None:
        return [f"{name}: never painted any content"]
    problems = []
    for url, start in timing["scripts"]:
        if start < timing["fcp"]:
            problems.append(f"{name}: {url} requested {timing['fcp'] - start:.0f} ms before the first contentful paint")
        elif timing.get("starting") is None or start < timing["starting"]:
            problems.append(f"{name}: {url} requested before the reader's first input")
    return problems


SEARCH_INDEX = "search/search_index.json"


def early_index_problems(name: str, requests: list[str]) -> list[str]:
    """Page `name` did not fetch the search index before the reader reached for
    search (overrides/partials/search-on-demand.html): `requests` is every URL
    it requested while loading and being read."""
    return [f"{name}: fetched {url} before the reader reached for search"
            for url in requests if url.split("?")[0].endswith(SEARCH_INDEX)]


def heading_structure_problems(site_dir: Path) -> list[str]:
    """One h1; no skipped levels; h2-h6 ids are explicit, kebab-case, unique, with a permalink."""
    problems = []
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        article = html_soup(page).select_one("article")
        if article is None:
            continue
        headings = article.find_all(re.compile(r"^h[1-6]$"))
        h1s = [h for h in headings if h.name == "h1"]
        if len(h1s) != 1:
            problems.append(f"{name}: {len(h1s)} h1 headings, expected exactly one")
        level, seen = 1, set()
        for h in headings:
            this = int(h.name[1])
            title = h.get_text("").rstrip("¶").strip()
            if this > level + 1:
                problems.append(f"{name}: heading level skipped before <{h.name}> {title}")
            level = this
            if this == 1:
                continue
            hid = h.get("id", "")
            if not KEBAB_ID.match(hid):
                problems.append(f"{name}: <{h.name}> {title} has id {hid!r}, not an explicit ASCII kebab-case id")
            if hid in seen:
                problems.append(f"{name}: id #{hid} is used twice")
            seen.add(hid)
            if not h.select_one(f'a.headerlink[href="#{hid}"]'):
                problems.append(f"{name}: <{h.name}> {title} shows no permalink")
    return problems


def link_problems(site_dir: Path, site_url: str) -> list[str]:
    """Every internal link, asset and #anchor in the built site resolves."""
    ids: dict[Path, set[str]] = {}

    def anchors(page: Path) -> set[str]:
        if page not in ids:
            soup = html_soup(page)
            ids[page] = {el["id"] for el in soup.select("[id]")} | {el["name"] for el in soup.select("[name]")}
        return ids[page]

    origin = urlparse(site_url)
    problems = []
    for page in built_pages(site_dir):
        rel = page.relative_to(site_dir).as_posix()
        page_url = urljoin(site_url, rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        soup = html_soup(page)
        for el in soup.select("a[href], link[href], img[src], source[src]") + script_tags(soup):
            ref = el.get("href") or el.get("src")
            if ref.strip().startswith("//"):
                problems.append(f"{rel}: protocol-relative link {ref!r} leaves the site (it names a host)")
                continue
            if rel == "404.html" and not re.match(r"^\s*(?:/|#|[a-z][a-z0-9+.-]*:)", ref, re.I):
                problems.append(f"{rel}: relative link {ref!r} breaks when the page is served at a deeper path")
                continue
            if el.name == "link" and el.get("rel") and set(el["rel"]) & {"alternate"}:
                continue  # hreflang alternates may point elsewhere by design
            target = urljoin(page_url, ref)
            parsed = urlparse(target)
            if parsed.scheme not in ("http", "https") or parsed.netloc != origin.netloc:
                continue  # external, mailto:, javascript: — not ours to resolve
            path, fragment = urldefrag(target)
            local = site_dir / unquote(urlparse(path).path[len(origin.path):])
            if path.endswith("/") or local.is_dir():
                local = local / "index.html"
            if not local.is_file() and local.parent == site_dir and local.name in (PDF_NAME, OFFLINE_NAME):
                continue  # the PDF and the offline zip: tools/editions.py writes them after mkdocs (make site)
            if not local.is_file():
                problems.append(f"{rel}: dead link {ref!r} (no {local.relative_to(site_dir).as_posix()})")
            elif fragment and local.suffix == ".html" and unquote(fragment) not in anchors(local):
                problems.append(f"{rel}: link {ref!r} points at a missing anchor #{fragment}")
    return problems


# ---------------------------------------------------------------- browser records

def diagram_problems(name: str, expected: int, state: dict, page_errors: list[str] = ()) -> list[str]:
    """Every Mermaid fence of page `name` is drawn as an SVG, without a Mermaid error."""
    problems = []
    good = [d for d in state["drawn"] if not d["error"]]
    if len(good) < expected or state["pending"]:
        detail = "; ".join(page_errors) or "no page error reported"
        problems.append(f"{name}: {len(good)} of {expected} Mermaid diagrams drawn "
                        f"({state['pending']} left as source): {detail}")
    if any(d["error"] for d in state["drawn"]) or state["errorBoxes"]:
        problems.append(f"{name}: Mermaid drew an error diagram")
    for i, d in enumerate(good, 1):
        if not d["name"] or not d["description"]:
            problems.append(f"{name}: diagram {i} has no text alternative (accTitle and accDescr)")
    return problems


def _rgb(css: str, behind: str | None = None) -> tuple[float, ...]:
    """An rgb()/rgba() colour as opaque RGB, blended over `behind` if translucent."""
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    alpha = values[3] if len(values) > 3 else 1.0
    if alpha >= 1 or behind is None:
        return tuple(values[:3])
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(values[:3], _rgb(behind), strict=True))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of CSS colour `a` (blended over `b`) against opaque `b`."""
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    hi, lo = sorted((luminance(_rgb(a, b)), luminance(_rgb(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def diagram_contrast_problems(name: str, ink: dict, minimum: float = 4.5) -> list[str]:
    """Diagram text stands out from the page background."""
    problems = []
    for i, colours in enumerate(ink["ink"], 1):
        worst = min((contrast_ratio(c, ink["background"]) for c in colours), default=0)
        if worst < minimum:
            problems.append(f"{name}: diagram {i} text contrast {worst:.2f}:1 against the page, below {minimum}:1")
    return problems


# ---------------------------------------------------------------- search

QUERIES = ROOT / "tests" / "data" / "search-queries.tsv"


def search_queries(path: Path = QUERIES) -> list[tuple[int, str, str]]:
    """(line number, query, expected section) from the query set."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            query, expected = line.split("\t")
            rows.append((number, query, expected.strip()))
    return rows


def ranked_sections(groups: list[list[str]]) -> list[str]:
    """Results in reading order, a section per entry.

    Material shows each matching page as a group: the page link first, then its
    matching sections. A group counts by its sections; a page with no matching
    section counts as the page itself.
    """
    ranked = []
    for links in groups:
        sections = [link for link in links[1:] if "#" in link]
        ranked += sections or links[:1]
    return ranked


def is_hit(entry: str, expected: str) -> bool:
    """`page/#id` must be that section; `page/` accepts any section of the page."""
    return entry == expected if "#" in expected else entry.split("#")[0] == expected


def search_misses(results: dict[str, list[list[str]]], rows, source: Path = QUERIES) -> tuple[list[str], float, float]:
    """Misses (query not answered first by its section), top-1 and top-3 accuracy."""
    misses, top1, top3 = [], 0, 0
    name = display_name(source)
    for number, query, expected in rows:
        ranked = ranked_sections(results[query])
        first = ranked[0] if ranked else "no result"
        top1 += bool(ranked) and is_hit(ranked[0], expected)
        top3 += any(is_hit(entry, expected) for entry in ranked[:3])
        if not (ranked and is_hit(ranked[0], expected)):
            misses.append(f"{name}:{number}: search {query!r} should put {expected} first, "
                          f"but {first!r} came first (top 3: {ranked[:3]})")
    return misses, top1 / len(rows), top3 / len(rows)


# ---------------------------------------------------------------- published addresses

# current_addresses, published_addresses, address_problems: tools/addresses.py


# ---------------------------------------------------------------- reader extras

def glossary_problems(page: Path, required: list[str], minimum: int = 15) -> list[str]:
    """At least `minimum` terms, each defined in a sentence or two with a link to a section."""
    name = display_name(page)
    article = html_soup(page).select_one("article")
    terms = [h for h in article.find_all("h2") if h.get("id") != "abbreviations"]
    problems = [] if len(terms) >= minimum else [f"{name}: {len(terms)} terms, at least {minimum} expected"]
    titles = " ".join(h.get_text("") for h in terms)
    problems += [f"{name}: no entry for {term}" for term in required if term not in titles]
    for h in terms:
        body = h.find_next_sibling()
        text = body.get_text("") if body is not None and body.name == "p" else ""
        sentences = len(re.findall(r"[。！？]", text))
        if not text or sentences > 2:
            problems.append(f"{name}: {h.get_text('').rstrip('¶')} needs a one- or two-sentence definition")
        links = [a for a in (body.find_all("a") if body is not None else []) if "#" in a.get("href", "")]
        if not links:
            problems.append(f"{name}: {h.get_text('').rstrip('¶')} links to no section")
    return problems


def tooltip_problems(site_dir: Path, required: list[str], expansions: dict[str, str]) -> list[str]:
    """Each required abbreviation has a tooltip wherever it appears, with the shared expansion."""
    problems, seen = [], set()
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        article = html_soup(page).select_one("article")
        if article is None:
            continue
        for abbr in article.select("abbr"):
            seen.add(abbr.get_text())
            if abbr.get("title") != expansions.get(abbr.get_text()):
                problems.append(f"{name}: <abbr>{abbr.get_text()}</abbr> has a title other than its expansion")
        for el in article.select("abbr, code, pre, a, svg"):  # drawings carry no tooltips
            el.decompose()
        text = article.get_text(" ")
        for term in required:
            if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text):
                problems.append(f"{name}: {term} appears without a tooltip")
    problems += [f"{site_dir.name}: no tooltip for {term} anywhere" for term in required if term not in seen]
    return problems


# Columns of the comparison table: three kinds, full virtualization in its two implementations.
COMPARED_KINDS = ("全虚拟化（二进制翻译）", "全虚拟化（硬件辅助）", "半虚拟化", "操作系统层虚拟化")


def comparison_table_problems(page: Path) -> list[str]:
    """The 虚拟化分类 page compares the three kinds, full virtualization in its two
    implementations, on the five aspects, with examples and a source for every column."""
    name = display_name(page)
    table = html_soup(page).select_one("article table")
    if table is None:
        return [f"{name}: no comparison table"]
    header = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = {tr.find("td").get_text(strip=True): tr.get_text(" ", strip=True) for tr in table.select("tbody tr")}
    problems = [f"{name}: no column for {kind}" for kind in COMPARED_KINDS if kind not in header]
    aspects = {"修改": "guest OS modification", "性能": "performance", "隔离": "isolation",
               "不同的客户操作系统": "different guest OSes", "例子": "typical examples"}
    for key, aspect in aspects.items():
        if not any(key in row for row in rows):
            problems.append(f"{name}: no row for {aspect} ({key})")
    examples = next((text for row, text in rows.items() if "例子" in row), "")
    problems += [f"{name}: examples lack {product}" for product in ("VMware ESXi", "KVM", "Xen", "Docker", "LXC")
                 if product not in examples]
    sources = next((tr for tr in table.select("tbody tr") if "出处" in tr.find("td").get_text()), None)
    if sources is None:
        return problems + [f"{name}: no row of sources (出处)"]
    cells = sources.find_all("td")[1:]
    problems += [f"{name}: column {kind} cites no source (出处 with a link)"
                 for kind, cell in zip(header[1:], cells + [None] * len(header))
                 if cell is None or not cell.select('a[href^="http"]')]
    return problems


def editor_note_problems(site_dir: Path) -> list[str]:
    """Every 编者注 is an admonition set apart from the text, citing a checkable source."""
    problems = []
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        for note in html_soup(page).select("article .admonition"):
            title = note.select_one(".admonition-title")
            if not title or not title.get_text().startswith("编者注"):
                continue
            if not note.select('a[href^="http"]') or "出处" not in note.get_text():
                problems.append(f"{name}: {title.get_text()} cites no source (出处 with a link)")
    return problems


def editor_notes(site_dir: Path) -> list[tuple[str, str, list[str]]]:
    """(page, note title, source links) of every editor's note, for the closing report."""
    found = []
    for page in built_pages(site_dir):
        for note in html_soup(page).select("article .admonition"):
            title = note.select_one(".admonition-title")
            if title and title.get_text().startswith("编者注"):
                found.append((page.relative_to(site_dir).as_posix(), title.get_text(),
                              [a["href"] for a in note.select('a[href^="http"]')]))
    return found


def preview_problems(site_dir: Path) -> list[str]:
    """Every page has its own description, og:title, og:description, og:url and canonical link."""
    problems, owners = [], {}
    for page in built_pages(site_dir):
        name = page.relative_to(site_dir).as_posix()
        head = html_soup(page).head
        description = head.select_one('meta[name="description"]')
        content = description.get("content", "").strip() if description else ""
        if not content:
            problems.append(f"{name}: no <meta name=\"description\">")
        elif content in owners:
            problems.append(f"{name}: same description as {owners[content]}")
        owners.setdefault(content, name)
        for prop in ("og:title", "og:description"):
            if not head.select_one(f'meta[property="{prop}"]'):
                problems.append(f"{name}: no {prop}")
        if name != "404.html":
            canonical = head.select_one('link[rel="canonical"]')
            og_url = head.select_one('meta[property="og:url"]')
            if not canonical or not og_url or canonical["href"] != og_url["content"]:
                problems.append(f"{name}: canonical link and og:url missing or different")
    return problems


def sideways_problems(name: str, measured: dict) -> list[str]:
    """A page never scrolls sideways on a phone."""
    if measured["excess"] <= 0:
        return []
    return [f"{name}: scrolls {measured['excess']} px sideways at phone width ({', '.join(measured['culprits'])})"]


def axe_problems(name: str, violations: list[dict]) -> list[str]:
    """Every axe violation, as `page: rule: where`."""
    return [f"{name}: {v['id']}: {', '.join(str(n['target'][0]) for n in v['nodes'][:3])} — {v['help']}"
            for v in violations]


def console_problems(name: str, visit) -> list[str]:
    """No JavaScript error or warning, page error, or failed request."""
    return ([f"{name}: console {line}" for line in visit.console]
            + [f"{name}: page error: {line}" for line in visit.page_errors]
            + [f"{name}: failed request: {line}" for line in visit.failed_requests])


def diagram_text_problems(name: str, sizes: list[float], minimum: float = 11) -> list[str]:
    """Diagram text is never scaled below `minimum` CSS pixels."""
    return [f"{name}: diagram {i} text is drawn at {size:.1f} px, below {minimum} px"
            for i, size in enumerate(sizes, 1) if size < minimum]


# ---------------------------------------------------------------- 深入 chapters

DEEP = DOCS / "deep"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
INTRO_PAGES = ("what-is-virtualization.md", "hypervisor.md", "types/index.md", "types/full-virtualization.md",
               "types/paravirtualization.md", "types/os-level-virtualization.md", "desktop-virtualization.md",
               "hardware-virtualization.md")
_MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
_EXERCISE_ANSWER = re.compile(r'^\s*\?\?\?\+?\s+\w+\s+"答案"')


def deep_chapters(docs: Path = DOCS) -> list[Path]:
    """Every chapter of the 深入 section: docs/deep/*.md except its landing page."""
    return sorted(md for md in (docs / "deep").glob("*.md") if md.name != "index.md")


def _front_matter(text: str) -> tuple[dict[str, str], list[str]]:
    """(front matter fields, the lines after it)."""
    lines = text.splitlines()
    fields: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if value and not line.startswith(" "):
                fields[key.strip()] = value.strip()
        return fields, [""] * (end + 1) + lines[end + 1:]
    return fields, lines


def body_text(md: Path) -> str:
    """The prose of a chapter, as a reader reads it: what `han_characters` counts.

    Kept: paragraphs, list items, table cells and admonition bodies, with link
    text but not link targets. Left out: the front matter; headings; figures
    (everything from <figure> to </figure>, Mermaid source and caption); fenced
    and inline code; admonition and details titles (the `!!! note "…"` and
    `??? note "…"` lines); the collapsed answers to the exercises (the body of
    every `??? note "答案"` block); HTML tags and `{#id}` attributes.
    """
    _, lines = _front_matter(md.read_text(encoding="utf-8"))
    kept, in_figure, answer_indent = [], False, None
    fenced = {number for number, _, lang in md_blocks(md) if lang is not None}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if answer_indent is not None:
            if not stripped or indent > answer_indent:
                continue
            answer_indent = None
        if number in fenced:
            continue
        if stripped.startswith("<figure"):
            in_figure = True
        if in_figure:
            in_figure = "</figure>" not in stripped
            continue
        if _EXERCISE_ANSWER.match(line):
            answer_indent = indent
            continue
        if stripped.startswith(("!!!", "???", "#")):
            continue
        line = re.sub(r"`[^`]*`", "", line)
        line = re.sub(r"\]\([^)]*\)", "]", line)
        line = re.sub(r"<[^>]*>|\{[#:.][^}]*\}", "", line)
        kept.append(line)
    return "\n".join(kept)


def han_characters(md: Path) -> int:
    """How many Han characters the chapter's body text holds (see body_text)."""
    return len(HAN.findall(body_text(md)))


def _h2_sections(md: Path) -> list[tuple[int, str, str, str]]:
    """(line number, title, id, text) of each h2 section of a page."""
    sections: list[list] = []
    for number, line, lang in md_blocks(md):
        match = HEADING.match(line) if lang is None else None
        if match and len(match.group(1)) == 2:
            explicit = EXPLICIT_ID.search(match.group(2))
            title = EXPLICIT_ID.sub("", match.group(2)).strip()
            sections.append([number, title, explicit.group(1) if explicit else "", []])
        elif sections:
            sections[-1][3].append(line)
    return [(number, title, hid, "\n".join(text)) for number, title, hid, text in sections]


def _link_targets(text: str) -> list[str]:
    """Where each Markdown link of a chapter in docs/deep/ points, relative to docs/."""
    targets = []
    for target in _MD_LINK.findall(text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            targets.append(target)
        else:
            path, _, fragment = target.partition("#")
            resolved = posixpath.normpath(posixpath.join("deep", path))
            targets.append(resolved + (f"#{fragment}" if fragment else ""))
    return targets


def deep_chapter_problems(md: Path, minimum: int = 1500) -> list[str]:
    """A 深入 chapter is something a teacher could assign (issue 11):

    - at least `minimum` Han characters of body text (see body_text);
    - a `description:` in its front matter;
    - an explicit ASCII kebab-case id on every heading from ## down;
    - at least one captioned Mermaid figure with accTitle and accDescr;
    - every h2 section, except 小结 (#summary) and 习题 (#exercises), cites a
      source: an outside link or a link into references.md;
    - a link to at least one introductory page and one to glossary.md;
    - a 小结 (#summary) and a 习题 (#exercises) section, in that order at the
      end, the exercises with 3 to 5 collapsed answers (`??? note "答案"`).
    """
    name = display_name(md)
    text = md.read_text(encoding="utf-8")
    problems = []
    count = han_characters(md)
    if count < minimum:
        problems.append(f"{name}: {count} Han characters of body text, at least {minimum} expected")
    fields, _ = _front_matter(text)
    if not fields.get("description"):
        problems.append(f"{name}: no `description:` in the front matter")
    for number, line, lang in md_blocks(md):
        match = HEADING.match(line) if lang is None else None
        if match:
            explicit = EXPLICIT_ID.search(match.group(2))
            if not explicit or not KEBAB_ID.match(explicit.group(1)):
                problems.append(f"{name}:{number}: heading has no explicit kebab-case id, write it as "
                                f"`{match.group(1)} {EXPLICIT_ID.sub('', match.group(2)).strip()} {{#english-id}}`")
    figures = re.findall(r"<figure class=\"diagram\".*?</figure>", text, re.S)
    if not any("```mermaid" in f and re.search(r"^\s*accTitle:\s*\S", f, re.M)
               and re.search(r"^\s*accDescr:\s*\S", f, re.M) and "<figcaption" in f for f in figures):
        problems.append(f"{name}: no captioned Mermaid figure with accTitle and accDescr")
    sections = _h2_sections(md)
    for number, title, hid, body in sections:
        if hid in ("summary", "exercises"):
            continue
        targets = _link_targets(body)
        if not any(t.startswith(("http://", "https://")) or t.split("#")[0] == "references.md" for t in targets):
            problems.append(f"{name}:{number}: section 「{title}」 cites no source "
                            "(an outside link or a link into references.md)")
    targets = [t.split("#")[0] for t in _link_targets(text)]
    if not any(t in INTRO_PAGES for t in targets):
        problems.append(f"{name}: links to no introductory page ({', '.join(INTRO_PAGES)})")
    if "glossary.md" not in targets:
        problems.append(f"{name}: links to no glossary entry (glossary.md)")
    ids = [hid for _, _, hid, _ in sections]
    if ids[-2:] != ["summary", "exercises"]:
        problems.append(f"{name}: does not end with a 小结 {{#summary}} and a 习题 {{#exercises}} section")
    exercises = next((body for _, _, hid, body in sections if hid == "exercises"), "")
    answers = sum(1 for line in exercises.splitlines() if _EXERCISE_ANSWER.match(line))
    if not 3 <= answers <= 5:
        problems.append(f"{name}: {answers} exercises with a collapsed answer (??? note \"答案\"), 3 to 5 expected")
    return problems


# ---------------------------------------------------------------- editions (PDF and offline copy)

def site_headings(site_dir: Path) -> list[tuple[str, int, str]]:
    """(page, level, title) of every h1 and h2 of the site's pages, in page order."""
    found = []
    for page in built_pages(site_dir):
        article = html_soup(page).select_one("article")
        name = page.relative_to(site_dir).as_posix()
        if article is None or name == "404.html":
            continue
        found += [(name, int(h.name[1]), h.get_text("").rstrip("¶").strip()) for h in article.find_all(["h1", "h2"])]
    return found


def diagram_captions(site_dir: Path) -> list[tuple[str, str]]:
    """(page, caption without its 图： label) of every diagram on the site's pages."""
    return [(page.relative_to(site_dir).as_posix(), re.sub(r"^图\s*\d*\s*[：:]", "", cap.get_text(" ", strip=True)))
            for page in built_pages(site_dir) for cap in html_soup(page).select("article figure.diagram figcaption")]


@functools.lru_cache(maxsize=8)
def _pdf(pdf: Path, stamp: int):
    from pypdf import PdfReader
    return PdfReader(pdf)


def pdf_reader(pdf: Path):
    """pypdf's reader of `pdf` (a test dependency), opened once while the file stays the same."""
    return _pdf(Path(pdf), Path(pdf).stat().st_mtime_ns)


def pdf_pages_text(pdf: Path) -> list[str]:
    """The text of each page of `pdf` in content order (poppler's pdftotext, which
    reads the 22-page edition in a fraction of a second; pypdf takes 15 s)."""
    import shutil
    import subprocess
    if shutil.which("pdftotext") is None:
        raise RuntimeError("pdftotext not found: sudo apt-get install poppler-utils")
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if "\f" in text else [text]


def pdf_text_problems(pdf: Path, headings, source: Path = SOURCE, fixes=None) -> list[str]:
    """The PDF's text has every page's h1 and every sentence of the article."""
    name, text = display_name(pdf), "".join(pdf_pages_text(pdf))
    found = normalize(text)
    problems = [f"{name}: no chapter 「{title}」 (the h1 of {page})"
                for page, level, title in headings if level == 1 and normalize(title) not in found]
    return problems + [f"{name}: sentence {display_name(source)}:{number} is missing: 「{sentence}」"
                       for number, sentence in missing_sentences(text, source, fixes)]


def pdf_outline(pdf: Path) -> list[tuple[int, str]]:
    """(depth, title) of every bookmark, depth 1 at the top."""

    def walk(items, depth):
        for item in items:
            yield from walk(item, depth + 1) if isinstance(item, list) else [(depth, item.title)]
    return list(walk(pdf_reader(pdf).outline, 1))


def pdf_outline_problems(pdf: Path, headings) -> list[str]:
    """A bookmark for every h1 and h2 of the site."""
    titles = {normalize(title) for _, title in pdf_outline(pdf)}
    return [f"{display_name(pdf)}: no bookmark for the <h{level}> 「{title}」 of {page}"
            for page, level, title in headings if normalize(title) not in titles]


def _cmap_targets(cmap: str) -> list[int]:
    """The first code point of every target of a ToUnicode CMap."""
    targets = []
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        targets += re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        targets += re.findall(r"<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block)
    return [int(t[:4], 16) for t in targets if len(t) >= 4]


def pdf_fonts(pdf: Path) -> list[dict]:
    """Every font of the PDF: name, type, whether its glyphs are embedded, whether it draws CJK."""
    fonts = {}
    for page in pdf_reader(pdf).pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources else None
        for ref in (font_dict.get_object().values() if font_dict else []):
            font = ref.get_object()
            key = getattr(ref, "idnum", id(font))
            if key in fonts:
                continue
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = (font.get("/Subtype") == "/Type3" and "/CharProcs" in font) or any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            cmap = font.get("/ToUnicode")
            targets = _cmap_targets(cmap.get_object().get_data().decode("latin-1")) if cmap else []
            fonts[key] = {"name": str(font.get("/BaseFont", "(Type 3)")), "type": str(font.get("/Subtype")),
                          "embedded": embedded, "cjk": any(0x4E00 <= t <= 0x9FFF for t in targets),
                          "radicals": [t for t in targets if 0x2E80 <= t <= 0x2FDF]}
    return list(fonts.values())


def pdf_font_problems(pdf: Path) -> list[str]:
    """Every font is embedded, one of them draws Chinese, and no character's text
    is a radical (⽤ for 用): a reader's search and copy would miss it. pdftotext
    hides that (it folds radicals into characters); a viewer's search does not."""
    name, fonts = display_name(pdf), pdf_fonts(pdf)
    problems = [f"{name}: font {f['name']} is not embedded" for f in fonts if not f["embedded"]]
    radicals = sorted({r for f in fonts for r in f["radicals"]})
    if radicals:
        problems.append(f"{name}: the text of {len(radicals)} characters reads as radicals, such as "
                        f"{''.join(chr(r) for r in radicals[:5])} (see tools/editions.py fix_text_layer)")
    if not any(f["embedded"] and f["cjk"] for f in fonts):
        problems.append(f"{name}: no embedded font draws Chinese text ({len(fonts)} fonts)")
    return problems


def _images(resources, seen=None) -> int:
    """Raster images a page's resources draw, inside form XObjects too."""
    seen = set() if seen is None else seen
    xobjects = resources.get_object().get("/XObject") if resources else None
    count = 0
    for ref in (xobjects.get_object().values() if xobjects else []):
        if getattr(ref, "idnum", None) in seen:
            continue
        seen.add(getattr(ref, "idnum", None))
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif xobject.get("/Subtype") == "/Form":
            count += _images(xobject.get("/Resources"), seen)
    return count


def pdf_diagram_problems(pdf: Path, captions) -> list[str]:
    """Every diagram is in the PDF (its caption), and the page it is on draws no raster image."""
    name, pages = display_name(pdf), pdf_reader(pdf).pages
    texts = [normalize(t) for t in pdf_pages_text(pdf)]
    problems = []
    for page, caption in captions:
        where = [i for i, text in enumerate(texts) if normalize(caption) in text]
        if not where:
            problems.append(f"{name}: no diagram captioned 「{caption}」 (from {page})")
        for i in where:
            images = _images(pages[i].get("/Resources"))
            if images:
                problems.append(f"{name}: page {i + 1} has {images} raster image(s) where the diagram "
                                f"「{caption}」 should be vector graphics")
    return problems


def print_leak_problems(site_dir: Path) -> list[str]:
    """No ordinary page loads the print page's stylesheets or script or carries its CSS."""
    problems = []
    for page in built_pages(site_dir):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(site_dir).as_posix()
        problems += [f"{name}: carries the print page's {what}" for what, marker in
                     (("script", "print-site.js"), ("stylesheets", "print-site"), ("CSS", ".print-cover"))
                     if marker in text]
    return problems


def offline_path(md: Path, docs: Path = DOCS) -> str:
    """Where a Markdown page is in the offline copy (.html URLs): types/index.md -> types/index.html."""
    return md.relative_to(docs).with_suffix(".html").as_posix()


def print_page_problems(page: Path, diagrams: int) -> list[str]:
    """The print page has its cover (build date, source commit) and 目录, every
    in-page link lands, every diagram is an inline SVG with a 图 N： label, every
    folded block (an exercise's answer) is open, and it runs no print-site script (that would start before the site's held-back
    scripts, overrides/partials/start-on-first-input.html)."""
    name = display_name(page)
    soup = html_soup(page)
    problems = []
    cover = soup.select_one(".print-cover")
    if cover is None or "构建日期" not in cover.get_text() or "源码提交" not in cover.get_text():
        problems.append(f"{name}: no cover with the build date and the source commit")
    if soup.select_one("nav.print-toc") is None:
        problems.append(f"{name}: no 目录")
    ids = {el["id"] for el in soup.select("[id]")}
    problems += [f"{name}: link {a['href']} lands nowhere" for a in soup.select('a[href^="#"]')
                 if a["href"] != "#" and unquote(a["href"][1:]) not in ids]
    svgs = len(soup.select(".mermaid-diagram > svg"))
    if svgs != diagrams:
        problems.append(f"{name}: {svgs} of {diagrams} diagrams are inline SVG")
    if soup.select("pre.mermaid"):
        problems.append(f"{name}: {len(soup.select('pre.mermaid'))} diagram(s) left as Mermaid source")
    problems += [f"{name}: figure caption 「{cap.get_text(strip=True)}」 has no 图 N： label"
                 for cap in soup.select("figure figcaption") if not re.match(r"图 \d+：", cap.get_text(strip=True))]
    folded = [d for d in soup.select("details") if not d.has_attr("open")]
    if folded:
        problems.append(f"{name}: {len(folded)} answer(s) folded shut in <details>, which the PDF prints as a bare "
                        f"「{folded[0].summary.get_text(strip=True) if folded[0].summary else ''}」")
    if any("print-site" in s["src"] for s in script_tags(soup)) or "DOMContentLoaded" in "".join(
            s.get_text() for s in soup.find_all("script") if "remove_material_navigation" in s.get_text()):
        problems.append(f"{name}: runs print-site's script, which needs DOMContentLoaded, before Material has started")
    return problems


def offline_reference_problems(copy: Path) -> list[str]:
    """No page of the offline copy loads a stylesheet, script, image or frame from off the disk."""
    problems = []
    for page in sorted(copy.rglob("*.html")):
        soup = html_soup(page)
        for el in soup.select("link[href], img[src], iframe[src], source[src]") + script_tags(soup):
            if el.name == "link" and set(el.get("rel", [])) & {"canonical", "alternate"}:
                continue  # addresses, not loaded
            ref = el.get("href") or el.get("src")
            if urlparse(ref).scheme not in ("", "data", "blob", "file"):
                problems.append(f"{page.relative_to(copy).as_posix()}: <{el.name}> loads {ref} from off the disk")
    return problems


def offline_expected(expected: str, docs: Path = DOCS) -> str:
    """A search expectation (`page/` or `page/#id`) at the offline copy's .html address."""
    path, _, fragment = expected.partition("#")
    if path == "" or (docs / path / "index.md").is_file():
        path += "index.html"
    elif path.endswith("/"):
        path = path[:-1] + ".html"
    return path + (f"#{fragment}" if fragment else "")


def pdf_link_problems(pdf: Path, minimum: int) -> list[str]:
    """At least `minimum` clickable internal links (the 目录 has one per chapter and
    section), each landing on a named place."""
    reader = pdf_reader(pdf)
    name, places = display_name(pdf), set(reader.named_destinations)
    internal, problems = 0, []
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            action = link.get("/A")
            action = action.get_object() if action is not None else {}
            if link.get("/Subtype") != "/Link":
                continue
            destination = link.get("/Dest") or (action.get("/D") if action.get("/S") == "/GoTo" else None)
            if destination is not None:
                internal += 1
                if isinstance(destination, str) and destination not in places:
                    problems.append(f"{name}: page {number} links to {destination}, which is nowhere in the PDF")
    if internal < minimum:
        problems.append(f"{name}: {internal} clickable internal links, at least {minimum} expected")
    return problems
