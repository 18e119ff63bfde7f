"""One vocabulary: the site's own sentences use the preferred terms of
includes/terms.yml, never a listed variant. Article sentences, quotations,
code and each term's own glossary entry are exempt (the rules are at the top
of includes/terms.yml)."""

from conftest import FIXTURES
from vocabulary import GLOSSARY, load_terms, site_files, variant_problems

PAGE = FIXTURES / "vocabulary" / "page.md"


def test_the_terms_file_names_the_ideas_the_site_must_keep_apart():
    terms = {t.term: t for t in load_terms()}
    for term in ("宿主机", "宿主操作系统", "客户机", "客户操作系统", "虚拟机监视器", "敏感指令", "特权指令", "硬件辅助虚拟化"):
        assert term in terms, term
    assert {"虚拟机监控器", "虚拟机监控程序", "虚拟机管理程序"} <= set(terms["虚拟机监视器"].variants)
    variants = [v for t in load_terms() for v in t.variants]
    assert len(variants) == len(set(variants)), "a variant listed under two terms"


def test_the_glossary_and_tooltips_use_only_preferred_terms():
    own = [GLOSSARY, *(f for f in site_files() if f.suffix == ".md" and f.parent.name == "includes")]
    assert variant_problems(own) == []


def test_no_page_uses_a_variant_in_its_own_sentences(figures):
    problems = variant_problems()
    figures.append(f"vocabulary: {len(site_files())} files, {len(problems)} variants in the site's own sentences")
    assert problems == [], "\n".join(problems)


def test_a_variant_is_reported_with_file_and_line_and_exemptions_hold():
    problems = variant_problems([PAGE], glossary=FIXTURES / "vocabulary" / "glossary.md")
    name = "tests/fixtures/vocabulary/page.md"
    assert problems == [
        f"{name}:2: “主机操作系统” is a variant of “宿主操作系统”: write “宿主操作系统” "
        "(includes/terms.yml, glossary #host)",
        f"{name}:7: “主机操作系统” is a variant of “宿主操作系统”: write “宿主操作系统” "
        "(includes/terms.yml, glossary #host)",
        f"{name}:18: “主机操作系统” is a variant of “宿主操作系统”: write “宿主操作系统” "
        "(includes/terms.yml, glossary #host)",
        f"{name}:19: “VM Exit” is a variant of “VM exit”: write “VM exit” "
        "(includes/terms.yml, glossary #vm-entry-and-exit)",
    ]


def test_a_variant_in_its_own_glossary_entry_is_allowed_but_not_elsewhere_in_the_glossary():
    glossary = FIXTURES / "vocabulary" / "glossary.md"
    assert variant_problems([glossary], glossary=glossary) == []
    assert variant_problems([glossary], glossary=PAGE) == [
        "tests/fixtures/vocabulary/glossary.md:9: “主机操作系统” is a variant of “宿主操作系统”: "
        "write “宿主操作系统” (includes/terms.yml, glossary #host)"]


def test_the_site_description_is_checked_and_a_nav_title_that_is_an_article_heading_is_not():
    problems = variant_problems([FIXTURES / "vocabulary" / "mkdocs.yml"])
    assert problems == [
        "tests/fixtures/vocabulary/mkdocs.yml:2: “硬件虚拟化” is a variant of “硬件辅助虚拟化”: "
        "write “硬件辅助虚拟化” (includes/terms.yml, glossary #hardware-assisted-virtualization)"]


def test_a_variant_that_contains_a_preferred_term_is_still_reported():
    # 陷入再模拟 contains the preferred term 陷入; 主机内核 inside 宿主机内核 stays allowed.
    page = FIXTURES / "vocabulary" / "variant-holds-a-term.md"
    problems = variant_problems([page], glossary=FIXTURES / "vocabulary" / "glossary.md")
    assert problems == [
        "tests/fixtures/vocabulary/variant-holds-a-term.md:3: “陷入再模拟” is a variant of “陷入并模拟”: "
        "write “陷入并模拟” (includes/terms.yml, glossary #trap)"]
