"""Every page carries the JSON-LD that overrides/partials/structured-data.html
writes, whole and well formed: on each content page a TechArticle (headline,
description, inLanguage, mainEntityOfPage, publisher, and the three dates when
git has them) with a BreadcrumbList from the home page down to the page; on the
home page a WebSite. It parses, and every address in it is absolute and on the
site.

One template writes all of it, so the check asserts what that template
writes, key by key, rather than validate against the whole of schema.org: a
missing or misspelt key, a string where the template writes an object, a
date without a time zone, a step out of order or an address off the site
each fail, naming the file."""

import json
import re
from datetime import datetime
from pathlib import Path

from checks import html_soup
from tools.sitebuild import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
SITE_NAME = re.search(r"^site_name: (.+)$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M).group(1)
HEADLINE_MAX = 110  # longer headlines are cut in search results
DATES = ("datePublished", "dateCreated", "dateModified")
KEYS = {  # the keys the template writes on each node, dates aside
    "WebSite": {"@context", "@type", "name", "url", "description", "inLanguage", "publisher"},
    "TechArticle": {"@type", "headline", "description", "inLanguage", "mainEntityOfPage", "publisher"},
    "BreadcrumbList": {"@type", "itemListElement"},
}


def _is_datetime(value) -> bool:
    try:
        return isinstance(value, str) and "T" in value and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def node_problems(node: dict, where: str, site_url: str, page_url: str) -> list[str]:
    """What is wrong with one node the template writes; `where` is "file: type"."""
    kind = node["@type"]
    keys = KEYS[kind] | (set(DATES) if kind == "TechArticle" else set())
    problems = [f"{where}: no {key}" for key in sorted(KEYS[kind]) if node.get(key) in (None, "", [])]
    problems += [f"{where}: unexpected key {key}" for key in node if key not in keys]
    if "inLanguage" in node and node["inLanguage"] != "zh-CN":
        problems.append(f"{where}.inLanguage is {node['inLanguage']!r}, expected 'zh-CN'")
    publisher = {"@type": "Organization", "name": SITE_NAME, "url": site_url}
    if "publisher" in node and node["publisher"] != publisher:
        problems.append(f"{where}.publisher is {node['publisher']!r}, expected {publisher!r}")
    if kind == "WebSite" and node.get("url") not in (None, site_url):
        problems.append(f"{where}.url is {node['url']!r}, expected {site_url}")
    if kind == "TechArticle":
        if len(str(node.get("headline", ""))) > HEADLINE_MAX:
            problems.append(f"{where}: headline longer than {HEADLINE_MAX} characters")
        if node.get("mainEntityOfPage") not in (None, page_url):
            problems.append(f"{where}.mainEntityOfPage is {node['mainEntityOfPage']!r}, expected {page_url}")
        dates = [key for key in DATES if key in node]
        if dates and len(dates) < len(DATES):
            problems.append(f"{where}: {', '.join(dates)} without {', '.join(k for k in DATES if k not in dates)}")
        problems += [f"{where}.{key} is {node[key]!r}, not a date and time with a UTC offset (ISO 8601)"
                     for key in dates if not _is_datetime(node[key])]
    if kind == "BreadcrumbList":
        steps = [step if isinstance(step, dict) else {} for step in node.get("itemListElement") or []]
        positions = [step.get("position") for step in steps]
        if positions != list(range(1, len(steps) + 1)):
            problems.append(f"{where}: positions are {positions}, not 1 to {len(steps)} in order")
        for step in steps:
            if step.get("@type") != "ListItem" or not step.get("name") or not step.get("item"):
                problems.append(f"{where}: step {step!r} is not a ListItem with a name and an item (link)")
            elif not str(step["item"]).startswith(site_url):
                problems.append(f"{where}: step {step['name']!r} links to {step['item']!r}, not on {site_url}")
        ends = [steps[0].get("item"), steps[-1].get("item")] if steps else []
        if ends != [site_url, page_url]:
            problems.append(f"{where}: the trail goes from {ends[:1]} to {ends[1:]}, "
                            f"expected from the home page {site_url} to this page {page_url}")
    return problems


def structured_data_problems(site_dir: Path, pages: list[Path], site_url: str) -> list[str]:
    """Problems of the JSON-LD of each built page of `site_dir` served at `site_url`."""
    problems = []
    for html in pages:
        name = html.relative_to(site_dir).as_posix()
        page_url = site_url + name.removesuffix("index.html")
        blocks = html_soup(html).select('script[type="application/ld+json"]')
        if len(blocks) != 1:
            problems.append(f"{name}: {len(blocks)} JSON-LD blocks, expected one")
            continue
        try:
            data = json.loads(blocks[0].string or "")
        except json.JSONDecodeError as err:
            problems.append(f"{name}: JSON-LD does not parse: {err}")
            continue
        if not isinstance(data, dict) or data.get("@context") != "https://schema.org":
            problems.append(f"{name}: JSON-LD is not an object with @context https://schema.org")
            continue
        nodes = data.get("@graph", [data])
        kinds = [node.get("@type") if isinstance(node, dict) else None for node in nodes]
        wanted = ["WebSite"] if page_url == site_url else ["TechArticle", "BreadcrumbList"]
        if kinds != wanted:
            problems.append(f"{name}: JSON-LD describes {kinds}, expected {wanted}")
            continue
        for node in nodes:
            problems += node_problems(node, f"{name}: {node['@type']}", site_url, page_url)
    return problems


def test_every_page_carries_valid_structured_data(site):
    pages = [site.dir / site.url_of(md)[len(site.url):] / "index.html" for md in site.pages()]
    assert structured_data_problems(site.dir, pages, site.url) == []


def test_invalid_structured_data_is_reported_with_its_file():
    site = FIXTURES / "structured-data-site"
    assert structured_data_problems(site, sorted(site.rglob("index.html")), "http://127.0.0.1:8000/") == [
        "article/index.html: TechArticle: no headline",
        "article/index.html: TechArticle: unexpected key dateModifed",
        "article/index.html: TechArticle: unexpected key author",
        "article/index.html: TechArticle.publisher is '虚拟化技术讲解', expected "
        "{'@type': 'Organization', 'name': '虚拟化技术讲解', 'url': 'http://127.0.0.1:8000/'}",
        "article/index.html: TechArticle.mainEntityOfPage is 'http://127.0.0.1:8000/types/full-virtualization/', "
        "expected http://127.0.0.1:8000/article/",
        "article/index.html: TechArticle: dateModified without datePublished, dateCreated",
        "article/index.html: TechArticle.dateModified is '2026年11月24日', "
        "not a date and time with a UTC offset (ISO 8601)",
        "article/index.html: BreadcrumbList: positions are [1, 3], not 1 to 2 in order",
        "article/index.html: BreadcrumbList: step {'@type': 'ListItem', 'position': 1, 'name': '首页'} "
        "is not a ListItem with a name and an item (link)",
        "article/index.html: BreadcrumbList: step '全虚拟化' links to 'https://example.com/article/', "
        "not on http://127.0.0.1:8000/",
        "article/index.html: BreadcrumbList: the trail goes from [None] to ['https://example.com/article/'], "
        "expected from the home page http://127.0.0.1:8000/ to this page http://127.0.0.1:8000/article/",
        "index.html: WebSite: unexpected key sameAs",
        "index.html: WebSite.inLanguage is 'zh', expected 'zh-CN'",
        "index.html: WebSite.url is '/', expected http://127.0.0.1:8000/",
        "unparsable/index.html: JSON-LD does not parse: Expecting property name enclosed in double quotes: "
        "line 1 column 74 (char 73)",
        "wrong-kind/index.html: JSON-LD describes ['TechArticle'], expected ['TechArticle', 'BreadcrumbList']",
    ]
