"""Beyond the article: the comparison table, editor's notes that cite sources,
and the references readers can check."""

from pathlib import Path

from checks import html_soup
from conftest import FIXTURES

from tools.addresses import built_pages
from tools.sitebuild import display_name

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

REFERENCES = {
    "51cto.com/art/201703/536043": "the original article",
    "10.1145/361011.361073": "Popek & Goldberg 1974",
    "10.1145/945445.945462": "Xen, SOSP 2003",
    "ols2007v1-pages-225-230": "KVM, OLS 2007",
    "intel-sdm": "Intel SDM",
    "24593.pdf": "AMD APM Vol. 2",
    "namespaces.7": "Linux namespaces",
    "cgroup-v2": "Linux cgroups",
}


def test_the_comparison_table_compares_four_columns_on_five_aspects_with_sources(site):
    assert comparison_table_problems(site.dir / "types" / "index.html") == []


def test_a_comparison_table_missing_a_row_a_column_or_a_source_is_reported():
    problems = comparison_table_problems(FIXTURES / "comparison-missing-row.html")
    assert "tests/fixtures/comparison-missing-row.html: no column for 全虚拟化（硬件辅助）" in problems
    assert "tests/fixtures/comparison-missing-row.html: column 半虚拟化 cites no source (出处 with a link)" in problems
    assert "tests/fixtures/comparison-missing-row.html: no row for isolation (隔离)" in problems
    assert "tests/fixtures/comparison-missing-row.html: examples lack KVM" in problems


def test_every_editors_note_cites_a_source(site):
    assert editor_note_problems(site.dir) == []
    titles = " ".join(title for _, title, _ in editor_notes(site.dir))
    for topic in ("IVT", "无需重新编译", "同一个内核", "独立的主题"):
        assert topic in titles


def test_an_editors_note_without_a_source_is_reported():
    assert editor_note_problems(FIXTURES / "notes-site") == ["index.html: 编者注：没有出处 cites no source (出处 with a link)"]


def test_the_references_page_lists_the_primary_sources(site):
    html = (site.dir / "references" / "index.html").read_text(encoding="utf-8")
    missing = [name for needle, name in REFERENCES.items() if needle not in html]
    assert missing == []


def test_the_home_page_credits_the_source_article(site):
    html = (site.dir / "index.html").read_text(encoding="utf-8")
    assert 'href="https://zhuanlan.51cto.com/art/201703/536043.htm"' in html
