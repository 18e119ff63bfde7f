"""Lint the Chinese copy and the Markdown structure of docs/.

- autocorrect-py: a space between Chinese and Latin words or numbers, and
  full-width punctuation in Chinese sentences. It leaves code, fenced blocks
  (so Mermaid source), link targets and bare URLs alone; an autolink <url> it
  would rewrite, so it is shown one as [url](url) and given back unchanged.
- pymarkdownlnt: Markdown structure, configured in .pymarkdown.yml.

`python -m tools.lint` prints findings (file:line:col) and exits 1 if any;
`python -m tools.lint --fix` applies both tools' automatic fixes (`make fix`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import autocorrect_py
from pymarkdown.api import PyMarkdownApi

from tools.sitebuild import display_name

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG = ROOT / ".pymarkdown.yml"


_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_SHIELDED = re.compile(r"\[(https?://[^\]\s]+)\]\(\1\)")


def _shield_urls(text: str) -> str:
    return _AUTOLINK.sub(r"[\1](\1)", text)


def _unshield_urls(text: str) -> str:
    return _SHIELDED.sub(r"<\1>", text)


def copy_findings(files: list[Path]) -> list[str]:
    """autocorrect's findings: spacing and punctuation of the Chinese copy."""
    findings = []
    for md in files:
        for line in autocorrect_py.lint_for(_shield_urls(md.read_text(encoding="utf-8")), str(md)).lines:
            findings.append(f"{display_name(md)}:{line.line}:{line.col}: copy: {line.old.strip()!r} should be {line.new.strip()!r}")
    return findings


def markdown_findings(target: Path) -> list[str]:
    """pymarkdownlnt's findings for a file or a folder of Markdown."""
    api = PyMarkdownApi().configuration_file_path(str(CONFIG))
    result = api.scan_path(str(target), recurse_if_directory=True)
    return [f"{display_name(f.scan_file)}:{f.line_number}:{f.column_number}: markdown: {f.rule_id} {f.rule_description}"
            + (f" [{f.extra_error_information}]" if f.extra_error_information else "")
            for f in result.scan_failures]


def markdown_files(target: Path) -> list[Path]:
    return [target] if target.is_file() else sorted(target.rglob("*.md"))


def fix(target: Path) -> None:
    for md in markdown_files(target):
        text = md.read_text(encoding="utf-8")
        fixed = _unshield_urls(autocorrect_py.format_for(_shield_urls(text), str(md)))
        if fixed != text:
            md.write_text(fixed, encoding="utf-8")
            print(f"fixed copy: {display_name(md)}")
    PyMarkdownApi().configuration_file_path(str(CONFIG)).fix_path(str(target), recurse_if_directory=True)


def main(argv: list[str]) -> int:
    target = Path(next((a for a in argv if not a.startswith("-")), DOCS))
    if "--fix" in argv:
        fix(target)
    findings = copy_findings(markdown_files(target)) + markdown_findings(target)
    for finding in findings:
        print(finding)
    print(f"{len(markdown_files(target))} files, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
