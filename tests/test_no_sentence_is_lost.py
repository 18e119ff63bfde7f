"""Every sentence of the source article is on the site (typography aside)."""

from checks import lost_sentence_problems, source_sentences
from conftest import FIXTURES


def test_the_check_reads_the_whole_article():
    assert len(source_sentences()) >= 50


def test_every_source_sentence_is_on_the_site(site):
    assert lost_sentence_problems(site.dir) == []


def test_a_lost_sentence_is_reported_with_file_and_line(site):
    problems = lost_sentence_problems(site.dir, source=FIXTURES / "lost-sentence.md", fixes=[])
    assert problems == ["tests/fixtures/lost-sentence.md:5: sentence not found in any page: "
                        "「这一句话在站点的任何页面上都找不到。」"]
