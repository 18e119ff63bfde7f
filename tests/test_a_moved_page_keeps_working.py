"""A page moved with a redirect keeps every published address, and the site
built for a project path (/virtualization-docs/) keeps its links and its 404
page working (the `moved_site` build, made once per run: this module is the
only one that reads it)."""

from tools.addresses import PUBLISHED, address_problems


def test_a_moved_page_with_a_redirect_keeps_its_addresses(moved_site):
    problems = address_problems(moved_site.dir, PUBLISHED)
    assert [p for p in problems if "disappeared" in p] == []


def test_links_and_the_404_page_work_under_a_project_path(moved_site):
    # The strict build checked every link (hooks/build.py); the 404 page's are absolute, under the path.
    assert 'href="/virtualization-docs/hypervisor/"' in (moved_site.dir / "404.html").read_text(encoding="utf-8")
