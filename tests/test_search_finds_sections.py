"""Search finds what readers type: every query of tests/data/search-queries.tsv
puts its section first when typed into the real search box in Chromium.

Chinese, English, abbreviations, lower case, hyphenated and multi-word queries
are all in the set. Top-1 and top-3 accuracy are printed under "figures".
"""

import json
import re

import pytest

from browsing import PHONE, open_page, search
from checks import QUERIES, SEARCH_INDEX, early_index_problems, search_misses, search_queries

ROWS = search_queries()
HOSTILE = ["-V", "AMD:", "x86~", "*", "^", '"', '"虚拟化', "<script>alert(1)</script>",
           "<img src=x onerror=alert(1)>", "虚拟化" * 100, "🖥️", "💻 虚拟化", "title:", "+", "- -", "~~~"]


@pytest.fixture(scope="session")
def search_page(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_page(page, site.url)
    yield page
    page.close()


@pytest.fixture(scope="session")
def results(search_page):
    return {query: search(search_page, query)["groups"] for _, query, _ in ROWS}


def test_the_query_set_covers_what_readers_type():
    queries = [q for _, q, _ in ROWS]
    assert len(queries) >= 40
    assert any("-" in q for q in queries) and any(" " in q for q in queries)
    assert any(q.islower() for q in queries) and any(q.isupper() for q in queries)
    assert sum(1 for q in queries if any("\u4e00" <= ch <= "\u9fff" for ch in q)) >= 15


def test_every_query_puts_its_section_first(results, figures):
    misses, top1, top3 = search_misses(results, ROWS)
    figures.append(f"search: {len(ROWS)} queries, top-1 {top1:.1%}, top-3 {top3:.1%}")
    assert misses == []


def test_a_wrong_expectation_is_reported_as_a_miss(results):
    wrong = [(7, "AMD-V", "hypervisor/#definition")]
    misses, top1, _ = search_misses(results, wrong)
    assert top1 == 0
    assert len(misses) == 1
    assert misses[0].startswith(f"{QUERIES.relative_to(QUERIES.parents[2]).as_posix()}:7: search 'AMD-V' should put "
                                "hypervisor/#definition first, but 'hardware-virtualization/#amd-v' came first "
                                "(top 3: ['hardware-virtualization/#amd-v'")


def test_diagram_source_is_not_indexed_but_captions_are(site):
    docs = json.loads((site.dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = "".join(doc["title"] + doc["text"] for doc in docs)
    for source_only in ("flowchart", "sequenceDiagram", "accTitle", "accDescr", "-->", "->>", "subgraph"):
        assert source_only not in text
    assert "全虚拟化与Hypervisor示意图" in re.sub(r"[\s\u200b]", "", text)


def test_diagram_source_never_shows_in_results(search_page):
    for query in ("graph TB", "flowchart", "-->", "accDescr", "subgraph"):
        search(search_page, query)
        text = search_page.locator(".md-search-result").inner_text()
        assert "-->" not in text and "graph TB" not in text and "accDescr" not in text


def test_a_diagram_is_findable_through_its_caption(search_page):
    groups = search(search_page, "示意图")["groups"]
    pages = {link.split("#")[0] for group in groups for link in group}
    assert {"types/full-virtualization/", "types/paravirtualization/"} <= pages


def test_a_result_lands_on_its_section_with_the_term_highlighted(site, context):
    page = context.new_page()
    open_page(page, site.url)
    search(page, "Pacifica")
    page.locator('.md-search-result a[href*="#amd-v"]').first.click()
    page.wait_for_url("**/hardware-virtualization/**#amd-v")
    assert "h=pacifica" in page.url
    assert page.locator("article mark").first.inner_text().lower() == "pacifica"


def test_suggest_highlight_and_share_are_on(site):
    html = (site.dir / "index.html").read_text(encoding="utf-8")
    for feature in ("search.suggest", "search.highlight", "search.share"):
        assert f'"{feature}"' in html


def test_hostile_input_never_breaks_the_search_box(site, context):
    page = context.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, site.url)
    for query in HOSTILE:
        state = search(page, query)
        has_results = bool(state["groups"])
        assert has_results or state["meta"] == "没有找到符合条件的结果", (query, state["meta"])
        assert page.locator(".md-search-result img, .md-search-result script").count() == 0, query
        follow_up = search(page, "Hypervisor")["groups"]
        assert follow_up and follow_up[0][0] == "hypervisor/", f"search broken after {query!r}"
    assert errors == [] and dialogs == []


def test_an_index_fetched_at_load_is_reported_with_its_page():
    assert early_index_problems("types.md", ["http://127.0.0.1:1/search/search_index.json"]) == [
        "types.md: fetched http://127.0.0.1:1/search/search_index.json before the reader reached for search"]


@pytest.mark.parametrize("reach", ["hover", "phone button", "shared query"])
def test_reaching_for_search_fetches_the_index_and_search_works(site, browser, reach):
    phone = reach == "phone button"
    page = browser.new_page(viewport=PHONE if phone else {"width": 1280, "height": 900})
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith(SEARCH_INDEX) else None)
    open_page(page, site.url + ("?q=Hypervisor" if reach == "shared query" else "types/"))
    page.wait_for_timeout(300)
    if reach == "hover":
        assert fetched == [], "the index was fetched before the reader reached for search"
        page.locator(".md-search__input").hover()
    elif reach == "phone button":
        assert fetched == [], "the index was fetched before the reader reached for search"
        page.locator('label.md-header__button[for="__search"]').click()
    page.wait_for_function("document.querySelector('.md-search-result__meta') && "
                           "!document.querySelector('.md-search-result__meta').textContent.includes('初始化')",
                           timeout=15000)
    assert len(fetched) == 1
    groups = search(page, "半虚拟化")["groups"]
    assert groups and groups[0][0].startswith("types/paravirtualization/")
    page.close()
