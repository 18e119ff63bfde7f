"""The site's vocabulary checks, read from includes/terms.yml.

- `variant_problems`: a variant from terms.yml in a sentence the site writes
  itself, as `file:line`. Exempt: the article's sentences (found as
  tests/checks.py finds them for the lost-sentence check), text quoted in “…”
  or 「…」, code, link targets, and the glossary entry of the term itself.
- `coverage_problems`: a page uses a term or a variant whose glossary id has no
  heading in docs/glossary.md.

Both read Markdown (and the reader-facing lines of mkdocs.yml), so messages
carry the source line; Mermaid fences (labels, accDescr), figure captions and
front matter are Markdown lines too. The rules are documented at the top of
includes/terms.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from checks import DOCS, EXPLICIT_ID, HEADING, ROOT, SOURCE, md_blocks, normalize, source_sentences
from tools.sitebuild import display_name

TERMS = ROOT / "includes" / "terms.yml"
GLOSSARY = DOCS / "glossary.md"
ABBREVIATIONS = ROOT / "includes" / "abbreviations.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
_YAML_TEXT = re.compile(r"^(\s*(?:site_name|site_description):\s*)(.*)$|^(\s*-\s*)([^:#]+?)(:\s*\S+\.md\s*)$")

# An article sentence this short (a heading such as 硬件虚拟化) is exempt only
# as a whole line; a longer one wherever it occurs in a line.
SHORT_SENTENCE = 8

_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+\1")
_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<https?://[^>\s]+>|https?://\S+")
_ATTR_LIST = re.compile(r"\{\s*[#.][^}]*\}\s*$")
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」")


@dataclass(frozen=True)
class Term:
    term: str
    glossary: str
    variants: tuple[str, ...]


def load_terms(path: Path = TERMS) -> list[Term]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Term(str(e["term"]), str(e["glossary"]), tuple(str(v) for v in e.get("variants") or ()))
            for e in entries]


def site_files(docs: Path = DOCS) -> list[Path]:
    """What the site writes: every page, the tooltip expansions, and the site
    name, description and navigation titles of mkdocs.yml."""
    return sorted(docs.rglob("*.md")) + ([ABBREVIATIONS, MKDOCS_YML] if docs == DOCS else [])


def _yaml_lines(path: Path):
    """(line number, line) of mkdocs.yml with everything but its reader-facing
    text blanked: site_name, site_description and nav titles."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _YAML_TEXT.match(line)
        if match:
            start, end = match.span(2) if match.group(2) is not None else match.span(4)
            yield number, " " * start + line[start:end]


def _word(text: str) -> re.Pattern:
    """`text` as a pattern; a Latin edge must not run on into a longer word."""
    left = r"(?<![A-Za-z0-9_-])" if text[:1].isascii() and text[:1].isalnum() else ""
    right = r"(?![A-Za-z0-9_])" if text[-1:].isascii() and text[-1:].isalnum() else ""
    return re.compile(left + re.escape(text) + right)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _blank_all(text: str, pattern: re.Pattern) -> str:
    for match in pattern.finditer(text):
        text = _blank(text, match.start(), match.end())
    return text


def text_lines(md: Path):
    """(line number, line) of a page's text: code blocks other than Mermaid
    dropped; inline code, link targets and URLs blanked (positions kept)."""
    if md.suffix in (".yml", ".yaml"):
        yield from _yaml_lines(md)
        return
    for number, line, lang in md_blocks(md):
        if lang is not None and lang != "mermaid":
            continue
        if lang == "mermaid" and line.strip().startswith(("```", "~~~")):
            continue
        for pattern in (_INLINE_CODE, _LINK_TARGET, _AUTOLINK, _ATTR_LIST):
            line = _blank_all(line, pattern)
        yield number, line


def _normalized_with_positions(line: str) -> tuple[str, list[int]]:
    """normalize(line), and for each of its characters the index it came from."""
    chars, where = [], []
    for i, ch in enumerate(line):
        for kept in normalize(ch):
            chars.append(kept)
            where.append(i)
    return "".join(chars), where


def article_spans(line: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where in `line` the article's own sentences stand, typography aside."""
    norm, where = _normalized_with_positions(line)
    if not norm:
        return []
    spans = []
    for sentence in sentences:
        if len(sentence) < SHORT_SENTENCE:
            if norm == sentence:
                spans.append((0, len(line)))
            continue
        start = norm.find(sentence)
        while start != -1:
            spans.append((where[start], where[start + len(sentence) - 1] + 1))
            start = norm.find(sentence, start + 1)
    return spans


def glossary_sections(glossary: Path = GLOSSARY) -> dict[str, tuple[int, int]]:
    """{id: (first line, last line)} of each glossary entry, heading included."""
    starts = []
    for number, line, lang in md_blocks(glossary):
        match = HEADING.match(line) if lang is None else None
        explicit = EXPLICIT_ID.search(match.group(2)) if match else None
        if explicit:
            starts.append((explicit.group(1), number))
    last = len(glossary.read_text(encoding="utf-8").splitlines())
    return {gid: (start, (starts[i + 1][1] - 1) if i + 1 < len(starts) else last)
            for i, (gid, start) in enumerate(starts)}


def variant_problems(files: list[Path] | None = None, terms: list[Term] | None = None,
                     source: Path = SOURCE, glossary: Path = GLOSSARY, fixes=None) -> list[str]:
    """Every variant the site's own sentences use, as `file:line: …`."""
    terms = load_terms() if terms is None else terms
    files = site_files() if files is None else files
    sentences = [normalize(s) for _, s in source_sentences(source, fixes)]
    sections = glossary_sections(glossary) if glossary.is_file() else {}
    preferred = [_word(t.term) for t in terms]
    checks = [(variant, _word(variant), t) for t in terms for variant in t.variants]
    problems = []
    for md in files:
        name = display_name(md)
        in_glossary = md.resolve() == glossary.resolve()
        for number, line in text_lines(md):
            own = _blank_all(line, _QUOTED)
            for start, end in article_spans(line, sentences):
                own = _blank(own, start, end)
            allowed = [(m.start(), m.end()) for p in preferred for m in p.finditer(line)]
            for variant, pattern, term in checks:
                if in_glossary and term.glossary in sections:
                    first, last = sections[term.glossary]
                    if first <= number <= last:
                        continue
                for match in pattern.finditer(own):
                    # 主机内核 inside 宿主机内核 is allowed: the preferred term runs
                    # past the variant. A preferred term wholly inside the variant
                    # (陷入 inside 陷入再模拟) does not excuse it.
                    if any(s < match.end() and match.start() < e
                           and not (match.start() <= s and e <= match.end()) for s, e in allowed):
                        continue
                    problems.append(f"{name}:{number}: “{variant}” is a variant of “{term.term}”: "
                                    f"write “{term.term}” (includes/terms.yml, glossary #{term.glossary})")
    return problems


def coverage_problems(files: list[Path] | None = None, terms: list[Term] | None = None,
                      glossary: Path = GLOSSARY) -> list[str]:
    """Every term a page uses has its glossary entry."""
    terms = load_terms() if terms is None else terms
    files = sorted(DOCS.rglob("*.md")) if files is None else files
    ids = set(glossary_sections(glossary)) if glossary.is_file() else set()
    gname = display_name(glossary)
    problems = []
    for md in files:
        text = "\n".join(line for _, line in text_lines(md))
        missing: dict[str, list[str]] = {}
        for term in terms:
            if term.glossary in ids:
                continue
            used = [w for w in (term.term, *term.variants) if _word(w).search(text)]
            if used:
                missing.setdefault(term.glossary, []).extend(w for w in used if w not in missing.get(term.glossary, []))
        for gid, words in missing.items():
            problems.append(f"{display_name(md)}: uses {'、'.join(words)}, but {gname} has no entry #{gid} "
                            "(add `## 术语 {#" + gid + "}` with a one- or two-sentence definition)")
    return problems
