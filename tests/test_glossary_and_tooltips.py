"""The glossary defines every term readers meet, with links to the sections
that use it; abbreviations show their expansion on hover and tap everywhere,
from one source of truth (includes/abbreviations.md)."""

import re
from pathlib import Path

from browsing import load_untouched, open_page, phone_context
from checks import html_soup
from conftest import FIXTURES

from hooks.build import load_abbreviations
from tools.addresses import built_pages
from tools.sitebuild import display_name


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
        # Drawings carry no tooltips, and nor does the glossary's abbreviation table,
        # which shows each expansion beside its abbreviation (hooks/build.py).
        for el in article.select("abbr, code, pre, a, svg, #abbreviations ~ .md-typeset__scrollwrap, #abbreviations ~ table"):
            el.decompose()
        text = article.get_text(" ")
        for term in required:
            if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text):
                problems.append(f"{name}: {term} appears without a tooltip")
    problems += [f"{site_dir.name}: no tooltip for {term} anywhere" for term in required if term not in seen]
    return problems

REQUIRED_TERMS = ["Hypervisor", "VMM", "全虚拟化", "半虚拟化", "操作系统层虚拟化", "容器", "Type 1", "Type 2",
                  "超级调用", "二进制翻译", "陷入", "Intel VT-x", "AMD-V", "VT-d", "IOMMU", "桌面虚拟化", "VDI", "瘦客户机"]
TOOLTIPS = ["VMM", "IVT", "AMD-V", "VT-x", "VDI", "IOMMU", "VMCS", "VMCB", "LXC"]


def test_the_glossary_defines_every_required_term_with_links(site):
    assert glossary_problems(site.dir / "glossary" / "index.html", REQUIRED_TERMS) == []


def test_every_glossary_link_points_at_a_section(site):
    from bs4 import BeautifulSoup
    article = BeautifulSoup((site.dir / "glossary" / "index.html").read_text(encoding="utf-8"), "html.parser").article
    links = [a["href"] for a in article.select("p a[href]") if not a["href"].startswith("http")]
    assert len(links) >= 15 and all("#" in href for href in links)


def test_a_thin_glossary_is_reported():
    problems = glossary_problems(FIXTURES / "glossary-thin.html", ["Hypervisor", "AMD-V"])
    assert "tests/fixtures/glossary-thin.html: 2 terms, at least 15 expected" in problems
    assert "tests/fixtures/glossary-thin.html: no entry for AMD-V" in problems
    assert "tests/fixtures/glossary-thin.html: 陷入 links to no section" in problems


def test_abbreviations_have_tooltips_everywhere_from_one_source(site):
    expansions = load_abbreviations()
    assert set(TOOLTIPS) <= set(expansions)
    assert tooltip_problems(site.dir, TOOLTIPS, expansions) == []


def test_every_abbreviation_a_page_uses_has_its_tooltip(site):
    expansions = load_abbreviations()
    problems = tooltip_problems(site.dir, list(expansions), expansions)
    assert [p for p in problems if not p.endswith("anywhere")] == []


def test_the_glossary_table_and_the_tooltips_read_the_same_file(site):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup((site.dir / "glossary" / "index.html").read_text(encoding="utf-8"), "html.parser")
    rows = {tr.find_all("td")[0].get_text(): tr.find_all("td")[1].get_text()
            for tr in soup.select("#abbreviations ~ .md-typeset__scrollwrap tbody tr, #abbreviations ~ table tbody tr")}
    assert rows == load_abbreviations()


def test_a_missing_or_wrong_tooltip_is_reported():
    problems = tooltip_problems(FIXTURES / "tooltip-site", ["VMM", "IOMMU"], load_abbreviations())
    assert "index.html: VMM appears without a tooltip" in problems
    assert "index.html: <abbr>VDI</abbr> has a title other than its expansion" in problems
    assert "tooltip-site: no tooltip for IOMMU anywhere" in problems


def test_a_tooltip_opens_on_hover(site, context):
    page = context.new_page()
    open_page(page, site.url + "hardware-virtualization/")
    page.locator("article abbr", has_text="AMD-V").first.hover()
    tooltip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text="AMD Virtualization").first
    tooltip.wait_for(state="visible", timeout=5000)


def test_a_first_tap_on_an_abbreviation_opens_its_tooltip_on_a_phone(site, browser):
    # The tap is the page's first input: it starts Material
    # (partials/start-on-first-input.html), and the tooltip still opens.
    ctx = phone_context(browser)
    page = ctx.new_page()
    load_untouched(page, site.url + "hypervisor/")
    # The first abbreviation on the first screen: tapping it needs no scroll (a scroll would start Material).
    first = page.evaluate("""() => { const a = [...document.querySelectorAll('article abbr')]
        .find(a => { const r = a.getBoundingClientRect(); return r.top > 60 && r.bottom < innerHeight; });
      if (!a) return null; const r = a.getBoundingClientRect();
      return {x: r.left + r.width / 2, y: r.top + r.height / 2, title: a.title}; }""")
    assert first, "no abbreviation on the first screen of hypervisor/ at 360 px"
    page.touchscreen.tap(first["x"], first["y"])
    tooltip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text=first["title"]).first
    tooltip.wait_for(state="visible", timeout=10000)
    ctx.close()
