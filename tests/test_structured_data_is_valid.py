"""Every page carries JSON-LD that parses and is valid schema.org: a
TechArticle (headline, description, inLanguage, dates from git, publisher)
with its BreadcrumbList, and a WebSite on the home page. The validator and
what it checks: tests/structured_data.py."""

from pathlib import Path

from structured_data import structured_data_problems

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_page_carries_valid_structured_data(site):
    pages = [site.dir / site.url_of(md)[len(site.url):] / "index.html" for md in site.pages()]
    assert structured_data_problems(site.dir, pages) == []


def test_invalid_structured_data_is_reported_with_its_file():
    site = FIXTURES / "structured-data-site"
    assert structured_data_problems(site, sorted(site.rglob("index.html"))) == [
        "article/index.html: TechArticle: no headline",
        "article/index.html: TechArticle.publisher is '虚拟化技术讲解', expected Organization or Person",
        "article/index.html: TechArticle: dateModifed is not a property of schema.org/TechArticle",
        "article/index.html: TechArticle.dateModified is '2026年11月24日', expected Date or DateTime",
        "article/index.html: TechArticle.author is a ListItem, schema.org expects Organization or Person",
        "article/index.html: BreadcrumbList: breadcrumb positions are [1, 3], not 1 to 2 in order",
        "article/index.html: BreadcrumbList: breadcrumb step '首页' links nowhere (item)",
        "unparsable/index.html: JSON-LD does not parse: Expecting property name enclosed in double quotes: "
        "line 1 column 74 (char 73)",
    ]
