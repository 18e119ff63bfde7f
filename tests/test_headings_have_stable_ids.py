"""Every heading from h2 down has an explicit English id and a permalink, so
shared section links survive rewording; each page has one h1 and no skipped
heading level."""

from checks import DOCS, heading_id_problems, heading_structure_problems
from conftest import FIXTURES


def test_every_markdown_heading_has_an_explicit_kebab_case_id():
    assert heading_id_problems(DOCS) == []


def test_built_pages_have_one_h1_no_skipped_levels_and_permalinks(site):
    assert heading_structure_problems(site.dir) == []


def test_the_promised_shared_link_still_works(site):
    html = (site.dir / "types" / "paravirtualization" / "index.html").read_text(encoding="utf-8")
    assert 'id="performance"' in html


def test_a_heading_without_id_is_reported_with_file_and_line():
    problems = heading_id_problems(FIXTURES / "headings")
    assert len(problems) == 2
    assert problems[0].startswith("headings/no-id.md:3: heading has no explicit id")
    assert problems[1].startswith("headings/no-id.md:7: heading id #Bad_Id is not ASCII kebab-case")
