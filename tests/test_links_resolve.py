"""Every internal link, asset and #anchor in the built site resolves; no link
names another host by accident (//host/), and the 404 page's links work at a
domain root, under a project path and at any depth."""

from checks import link_problems
from conftest import FIXTURES


def test_every_internal_link_and_anchor_resolves(site):
    assert link_problems(site.dir, site.url) == []


def test_a_dead_link_and_a_missing_anchor_are_reported_with_the_file():
    problems = link_problems(FIXTURES / "links-site", "http://127.0.0.1:1/")
    assert problems == [
        "404.html: protocol-relative link '//guide/' leaves the site (it names a host)",
        "404.html: relative link 'guide/' breaks when the page is served at a deeper path",
        "index.html: link 'guide/#no-such-anchor' points at a missing anchor #no-such-anchor",
        "index.html: dead link 'missing/' (no missing/index.html)",
    ]
