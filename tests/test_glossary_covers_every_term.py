"""The glossary covers every term the pages use: each term of
includes/terms.yml that a page writes (preferred or variant) has its entry in
docs/glossary.md, and the entries link to the pages that explain them."""

from conftest import FIXTURES
from vocabulary import coverage_problems, glossary_sections, load_terms


def test_every_term_a_page_uses_has_a_glossary_entry():
    assert coverage_problems() == []


def test_the_terms_every_page_needs_are_in_the_glossary():
    ids = set(glossary_sections())
    for gid in ("host", "guest", "guest-os", "sensitive-instructions", "virtio", "qemu", "vmcs-and-vmcb", "lxc",
                "connection-broker", "remote-display-protocol", "native-virtualization", "hypervisor"):
        assert gid in ids, gid
    used = {t.glossary for t in load_terms()} - {"shadow-page-tables", "live-migration"}  # chapters to come
    assert used <= ids, used - ids


def test_a_page_using_a_term_without_an_entry_is_named():
    page = FIXTURES / "vocabulary" / "page.md"
    problems = coverage_problems([page], glossary=FIXTURES / "vocabulary" / "glossary.md")
    assert ("tests/fixtures/vocabulary/page.md: uses 客户机, but tests/fixtures/vocabulary/glossary.md has no "
            "entry #guest (add `## 术语 {#guest}` with a one- or two-sentence definition)") in problems
    assert not any("#host" in p for p in problems)
