"""Every chapter of the 深入 section is something a teacher could assign
(issue 11): long enough, with a figure, a source for every section, links back
to the introductory pages and the glossary, a 小结 and a 习题 with answers.

A chapter is any docs/deep/*.md except the landing page index.md, so a chapter
added later is held to the same list without touching this file. What is
counted as body text is defined in checks.body_text; the counts are printed
under "figures".
"""

import posixpath
import re
from pathlib import Path

from checks import DOCS, EXPLICIT_ID, HEADING, display_name, md_blocks
from conftest import FIXTURES

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
    assert f"{name}: no captioned Mermaid figure with accTitle and accDescr" in problems
    assert f"{name}:9: section 「影子页表」 cites no source (an outside link or a link into references.md)" in problems
    assert f"{name}: links to no glossary entry (glossary.md)" in problems
    assert f"{name}: does not end with a 小结 {{#summary}} and a 习题 {{#exercises}} section" in problems
    assert f"{name}: 0 exercises with a collapsed answer (??? note \"答案\"), 3 to 5 expected" in problems
    assert not any("introductory page" in p for p in problems)  # it does link 全虚拟化
    assert all(p.startswith(name) for p in problems)
