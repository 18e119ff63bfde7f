"""The site's checks, as functions that return problems.

Each problem is a line that starts with the file it is about. The tests run
every check on the real site (expecting no problems) and on a broken fixture
(expecting the problem, named). Nothing here starts a build or a browser.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bs4 import BeautifulSoup

from tools.sitebuild import display_name

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCE = ROOT / "source" / "virtualization.md"
CORRECTIONS = ROOT / "source" / "corrections.tsv"

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


def missing_sentences(text: str, source: Path = SOURCE, fixes=None) -> list[tuple[int, str]]:
    """(line number, sentence) of every source sentence that `text` lacks, typography aside."""
    found = normalize(text)
    return [(number, sentence) for number, sentence in source_sentences(source, fixes)
            if normalize(sentence) not in found]


# ---------------------------------------------------------------- built HTML

def html_soup(path: Path) -> BeautifulSoup:
    """A built HTML file, parsed."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def script_tags(soup: BeautifulSoup) -> list:
    """Every <script src>, including those held in a <template> until the reader's
    first input (overrides/partials/start-on-first-input.html): CSS selectors never look
    inside a template, find_all does."""
    return soup.find_all("script", src=True)


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


# ---------------------------------------------------------------- reader extras


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


# ---------------------------------------------------------------- editions (PDF and offline copy)































