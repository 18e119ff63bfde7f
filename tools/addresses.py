"""The addresses the site publishes, and the list that keeps them alive.

Every page URL and section anchor a build publishes is listed in
published-urls.txt; each listed address must keep resolving, directly or
through a redirect (mkdocs-redirects). Used by the build (hooks/build.py fails
a build that drops an address), by `make urls` (tools/urls.py), the benchmark
and the tests. Standard library only: the build needs nothing from tests/.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from tools.sitebuild import display_name

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PUBLISHED = ROOT / "published-urls.txt"
_REFRESH = re.compile(r'http-equiv="refresh"[^>]*content="\d+;\s*url=([^"]+)"', re.I)


def md_url(md: Path, docs: Path = DOCS) -> str:
    """The site path of a Markdown page: types/index.md -> types/, a.md -> a/."""
    rel = md.relative_to(docs).with_suffix("").as_posix()
    if rel == "index" or rel.endswith("/index"):
        return rel[: -len("index")]
    return rel + "/"


# The print page gathers every page into one for the PDF (hooks/editions.py);
# it has its own checks (test_pdf_carries_the_whole_site.py), not a page's.
PRINT_PAGES = ("print-page/index.html", "print-page.html")


def built_pages(site_dir: Path) -> list[Path]:
    """The site's ordinary pages: not Material's assets, not the print page."""
    site_dir = Path(site_dir)
    return sorted(p for p in site_dir.rglob("*.html")
                  if "assets" not in p.parts and p.relative_to(site_dir).as_posix() not in PRINT_PAGES)


class _SectionIds(HTMLParser):
    """The ids of the h2-h6 headings inside <article>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif self.depth and tag in ("h2", "h3", "h4", "h5", "h6"):
            hid = dict(attrs).get("id")
            if hid:
                self.ids.append(hid)

    def handle_endtag(self, tag):
        if tag == "article" and self.depth:
            self.depth -= 1


def current_addresses(site_dir: Path) -> list[str]:
    """Every page URL and section anchor the built site publishes."""
    addresses = []
    for page in built_pages(site_dir):
        rel = page.relative_to(site_dir).as_posix()
        text = page.read_text(encoding="utf-8")
        if rel == "404.html" or _REFRESH.search(text):
            continue
        url = "/" + rel[: -len("index.html")]
        addresses.append(url)
        parser = _SectionIds()
        parser.feed(text)
        addresses += [f"{url}#{hid}" for hid in parser.ids]
    return addresses


def published_addresses(path: Path = PUBLISHED) -> list[tuple[int, str]]:
    """(line number, address) for every address the list holds."""
    return [(n, line.strip()) for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
            if line.strip() and not line.startswith("#")]


def vanished_address_problems(site_dir: Path, listed: Path = PUBLISHED, name: str | None = None) -> list[str]:
    """Every listed address still resolves, directly or through a redirect."""
    name = name or display_name(listed)
    live = set(current_addresses(site_dir))
    problems = []
    for number, address in published_addresses(listed):
        target = address
        path, _, fragment = address.partition("#")
        redirect = Path(site_dir) / path.lstrip("/") / "index.html"
        if redirect.is_file():
            moved = _REFRESH.search(redirect.read_text(encoding="utf-8"))
            if moved:  # mkdocs-redirects keeps the #fragment when it forwards
                new_path = urljoin("http://site" + path, moved.group(1))[len("http://site"):]
                target = new_path + (f"#{fragment}" if fragment else "")
        if target not in live:
            problems.append(f"{name}:{number}: {address} disappeared without a redirect "
                            "(add one under `redirects:` in mkdocs.yml, or restore the page or heading id)")
    return problems


def address_problems(site_dir: Path, listed: Path = PUBLISHED) -> list[str]:
    """Every published address still resolves; every address the site publishes is listed."""
    name = display_name(listed)
    problems = vanished_address_problems(site_dir, listed, name)
    listed_now = {address for _, address in published_addresses(listed)}
    for address in sorted(set(current_addresses(site_dir)) - listed_now):
        problems.append(f"{name}: {address} is published but not listed (run `make urls`)")
    return problems


# ---------------------------------------------------------------- links

class _Links(HTMLParser):
    """Every link, asset reference and id of one built page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []  # (tag, href or src)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag in ("a", "map") else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        if tag == "link" and "alternate" in (attrs.get("rel") or "").split():
            return  # hreflang alternates may point elsewhere by design
        ref = attrs.get("href") if tag in ("a", "link") else attrs.get("src") if tag in ("img", "source", "script") else None
        if ref is not None:
            self.refs.append((tag, ref))

    handle_startendtag = handle_starttag


def link_problems(site_dir: Path, site_url: str, written_later: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(page, reference, problem) for every internal link, asset and #anchor
    of the built site's pages that does not resolve, and every link that would
    leave the site by accident (//host/) or break on the 404 page (which is
    served at any depth, so its links must be absolute). `page` is the built
    file, relative to site_dir; `written_later` names files at the site's root
    that a later step adds (the editions)."""
    from urllib.parse import unquote, urldefrag, urlparse

    site_dir = Path(site_dir)
    parsed: dict[Path, _Links] = {}

    def parse(page: Path) -> _Links:
        if page not in parsed:
            parser = _Links()
            parser.feed(page.read_text(encoding="utf-8"))
            parsed[page] = parser
        return parsed[page]

    origin = urlparse(site_url)
    problems = []
    for page in built_pages(site_dir):
        rel = page.relative_to(site_dir).as_posix()
        page_url = urljoin(site_url, rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        for _, ref in parse(page).refs:
            if ref.strip().startswith("//"):
                problems.append((rel, ref, f"protocol-relative link {ref!r} leaves the site (it names a host)"))
                continue
            if rel == "404.html" and not re.match(r"^\s*(?:/|#|[a-z][a-z0-9+.-]*:)", ref, re.I):
                problems.append((rel, ref, f"relative link {ref!r} breaks when the page is served at a deeper path"))
                continue
            target = urlparse(urljoin(page_url, ref))
            if target.scheme not in ("http", "https") or target.netloc != origin.netloc \
                    or not target.path.startswith(origin.path):
                continue  # another site, mailto:, javascript:: not ours to resolve
            path, fragment = urldefrag(target.geturl())
            local = site_dir / unquote(urlparse(path).path[len(origin.path):])
            if path.endswith("/") or local.is_dir():
                local = local / "index.html"
            if not local.is_file():
                if local.parent == site_dir and local.name in written_later:
                    continue
                problems.append((rel, ref, f"dead link {ref!r} (no {local.relative_to(site_dir).as_posix()})"))
            elif fragment and local.suffix == ".html" and unquote(fragment) not in parse(local).ids:
                problems.append((rel, ref, f"link {ref!r} points at a missing anchor #{unquote(fragment)}"))
    return problems
