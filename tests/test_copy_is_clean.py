"""Chinese copy and Markdown structure are lint-clean (autocorrect-py and
pymarkdownlnt); code, URLs and Mermaid source are exempt."""

from conftest import FIXTURES
from tools.lint import DOCS, copy_findings, markdown_files, markdown_findings


def test_docs_copy_follows_chinese_typography(figures):
    files = markdown_files(DOCS)
    findings = copy_findings(files)
    figures.append(f"lint: autocorrect {len(files)} files, {len(findings)} findings")
    assert findings == []


def test_docs_markdown_structure_is_clean(figures):
    findings = markdown_findings(DOCS)
    figures.append(f"lint: pymarkdownlnt {len(markdown_files(DOCS))} files, {len(findings)} findings")
    assert findings == []


def test_missing_spaces_are_reported_but_code_and_urls_are_exempt():
    findings = copy_findings([FIXTURES / "lint" / "no-spaces.md"])
    assert findings == ["tests/fixtures/lint/no-spaces.md:3:1: copy: '本站使用MkDocs构建。' should be '本站使用 MkDocs 构建。'"]


def test_make_fix_repairs_the_copy_and_leaves_urls_alone(tmp_path):
    from tools.lint import fix
    md = tmp_path / "no-spaces.md"
    md.write_text((FIXTURES / "lint" / "no-spaces.md").read_text(encoding="utf-8"), encoding="utf-8")
    fix(md)
    text = md.read_text(encoding="utf-8")
    assert "本站使用 MkDocs 构建。" in text
    assert "<https://example.org/使用MkDocs构建>" in text and 'a["使用MkDocs构建"]' in text


def test_broken_markdown_structure_is_reported():
    findings = markdown_findings(FIXTURES / "lint" / "bad-structure.md")
    assert findings and findings[0].startswith("tests/fixtures/lint/bad-structure.md:7:1: markdown: MD001 Heading levels should only increment by one level")
