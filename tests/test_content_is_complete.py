"""Beyond the article: the comparison table, editor's notes that cite sources,
and the references readers can check."""

from checks import comparison_table_problems, editor_note_problems, editor_notes
from conftest import FIXTURES

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
