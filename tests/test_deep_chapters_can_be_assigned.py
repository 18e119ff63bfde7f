"""Every chapter of the 深入 section is something a teacher could assign
(issue 11): long enough, with a figure, a source for every section, links back
to the introductory pages and the glossary, a 小结 and a 习题 with answers.

A chapter is any docs/deep/*.md except the landing page index.md, so a chapter
added later is held to the same list without touching this file. What is
counted as body text is defined in checks.body_text; the counts are printed
under "figures".
"""

from checks import DOCS, body_text, deep_chapter_problems, deep_chapters, display_name, han_characters
from conftest import FIXTURES

SHORT = FIXTURES / "deep-chapters" / "too-short.md"
COUNTED = FIXTURES / "deep-chapters" / "counted.md"


def test_every_deep_chapter_can_be_assigned(figures):
    chapters = deep_chapters()
    assert {md.name for md in chapters} >= {"cpu-virtualization.md", "memory-virtualization.md", "io-virtualization.md"}
    for md in chapters:
        figures.append(f"{display_name(md)}: {han_characters(md):,} Han characters of body text")
    assert [problem for md in chapters for problem in deep_chapter_problems(md)] == []


def test_the_landing_page_links_every_chapter():
    index = (DOCS / "deep" / "index.md").read_text(encoding="utf-8")
    missing = [md.name for md in deep_chapters() if f"]({md.name})" not in index]
    assert missing == [], f"docs/deep/index.md does not link {missing}"


def test_a_chapter_added_later_is_checked_too(tmp_path):
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "index.md").write_text("# 深入\n", encoding="utf-8")
    (tmp_path / "deep" / "live-migration.md").write_text(SHORT.read_text(encoding="utf-8"), encoding="utf-8")
    chapters = deep_chapters(tmp_path)
    assert [md.name for md in chapters] == ["live-migration.md"]
    assert deep_chapter_problems(chapters[0])


def test_body_text_counts_only_the_prose():
    # 正文一二三四五 and 正文六七八九十: figures, code, headings, the admonition
    # title, link targets and the collapsed answer are all left out.
    assert "不计" not in body_text(COUNTED)
    assert han_characters(COUNTED) == 14


def test_a_short_chapter_without_sources_is_reported_by_name():
    name = "tests/fixtures/deep-chapters/too-short.md"
    problems = deep_chapter_problems(SHORT)
    assert f"{name}: {han_characters(SHORT)} Han characters of body text, at least 1500 expected" in problems
    assert f"{name}: no `description:` in the front matter" in problems
    assert f"{name}:13: heading has no explicit kebab-case id, write it as `## 没有编号的一节 {{#english-id}}`" in problems
    assert f"{name}: no captioned Mermaid figure with accTitle and accDescr" in problems
    assert f"{name}:9: section 「影子页表」 cites no source (an outside link or a link into references.md)" in problems
    assert f"{name}: links to no glossary entry (glossary.md)" in problems
    assert f"{name}: does not end with a 小结 {{#summary}} and a 习题 {{#exercises}} section" in problems
    assert f"{name}: 0 exercises with a collapsed answer (??? note \"答案\"), 3 to 5 expected" in problems
    assert not any("introductory page" in p for p in problems)  # it does link 全虚拟化
    assert all(p.startswith(name) for p in problems)
