"""Every sentence of the source article is on the site (typography aside)."""

from pathlib import Path

from bs4 import BeautifulSoup
from checks import SOURCE, missing_sentences, source_sentences
from conftest import FIXTURES

from tools.sitebuild import display_name


def page_text(html: str) -> str:
    """The reading text of a built page: the article, without diagram source."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article") or soup
    for el in article.select("pre.mermaid, script, style"):
        el.decompose()
    return article.get_text("")


def lost_sentence_problems(site_dir: Path, source: Path = SOURCE, fixes=None) -> list[str]:
    """Every source sentence is somewhere in the built pages."""
    site_text = "".join(page_text(p.read_text(encoding="utf-8")) for p in sorted(site_dir.rglob("*.html")))
    name = display_name(source)
    return [f"{name}:{number}: sentence not found in any page: 「{sentence}」"
            for number, sentence in missing_sentences(site_text, source, fixes)]


def test_the_check_reads_the_whole_article():
    assert len(source_sentences()) >= 50


def test_every_source_sentence_is_on_the_site(site):
    assert lost_sentence_problems(site.dir) == []


def test_a_lost_sentence_is_reported_with_file_and_line(site):
    problems = lost_sentence_problems(site.dir, source=FIXTURES / "lost-sentence.md", fixes=[])
    assert problems == ["tests/fixtures/lost-sentence.md:5: sentence not found in any page: "
                        "「这一句话在站点的任何页面上都找不到。」"]
