"""Material starts at the reader's first input, and exactly once: a page that
is only looked at runs none of its scripts; a mouse move, the wheel, a key, a
touch that scrolls, or a shared search (?q=) starts it, and a tap on a link
does not (the browser follows the link). One document$ emission on a direct
load, one more per instant navigation, and still one if a future Material
emits it itself. What a reader does before the start is not lost: the search
box and the palette toggle show at first paint, a dark system gets the dark
scheme from the first paint, and a `/` pressed then opens search
(overrides/partials/start-on-first-input.html)."""

import re

from browsing import PHONE, follow_link, load_untouched, phone_context, reader_context
from tools.browser import MATERIAL_STARTED, open_page, start_material

# Counts document$ emissions from the moment Material creates it; with
# window.__selfStart set it also emits at once, as a Material that starts
# itself would.
COUNT_STARTS = """(() => {
  window.__emits = 0;
  let subject;
  Object.defineProperty(window, 'document$', {configurable: true, get: () => subject, set(value) {
    subject = value;
    const next = value.next.bind(value);
    value.next = (doc) => { window.__emits++; return next(doc); };
    if (window.__selfStart) value.next(document);
  }});
})();"""
FIRST_PAINT = "performance.getEntriesByName('first-contentful-paint').length > 0"
BUNDLE = re.compile(r".*/assets/javascripts/bundle\.[0-9a-f]+\.min\.js$")


def _loaded_and_left_alone(page, url: str, ms: int = 1000) -> list[str]:
    """Load `url`, wait `ms` after the load event without any input; the bundle requests seen."""
    requests = []
    page.on("request", lambda r: requests.append(r.url) if BUNDLE.match(r.url) else None)
    load_untouched(page, url, ms)
    return requests


def test_a_page_that_is_only_looked_at_runs_none_of_materials_scripts(site, browser):
    for make_context in (reader_context, phone_context):
        ctx = make_context(browser)
        page = ctx.new_page()
        assert _loaded_and_left_alone(page, site.url + "hypervisor/") == []
        assert page.evaluate("!window.document$ && !performance.getEntriesByName('material-starting').length")
        ctx.close()


def _touch(page, x: float, y: float, moves: int = 0) -> None:
    """A finger down at (x, y), then `moves` steps upwards (a scroll), as a touch screen reports it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, moves + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 40 * step}]})


def test_each_kind_of_first_input_starts_material(site, browser):
    inputs = {
        # A real mouse sends several moves; in full Chromium the first pointermove after a load
        # reports no movement (the loader ignores such a move), so one synthetic move is not one.
        "mouse move": lambda page: page.mouse.move(200, 400, steps=4),
        "wheel": lambda page: page.mouse.wheel(0, 300),
        "key": lambda page: page.keyboard.press("ArrowDown"),
        "touch scroll": lambda page: _touch(page, 180, 500, moves=5),
    }
    for name, act in inputs.items():
        ctx = phone_context(browser) if name.startswith("touch") else reader_context(browser)
        page = ctx.new_page()
        assert _loaded_and_left_alone(page, site.url + "types/", 300) == [], name
        act(page)
        assert page.evaluate(MATERIAL_STARTED), name
        ctx.close()


def test_a_tap_on_a_link_is_followed_without_starting_material(site, browser):
    ctx = phone_context(browser)
    page = ctx.new_page()
    requests = _loaded_and_left_alone(page, site.url, 300)
    box = page.locator("article a[href^='types/']").first.bounding_box()
    _touch(page, box["x"] + 4, box["y"] + box["height"] / 2)
    page.wait_for_timeout(500)
    assert requests == [] and page.evaluate("!window.document$")
    ctx.close()


def test_a_shared_search_address_starts_material_without_an_input(site, browser):
    ctx = reader_context(browser)
    page = ctx.new_page()
    page.goto(site.url + "?q=Hypervisor", wait_until="load")
    assert page.evaluate(MATERIAL_STARTED)
    page.locator(".md-search-result__item").first.wait_for(timeout=10000)
    ctx.close()


def _page(browser, self_start: bool = False):
    ctx = reader_context(browser)
    ctx.add_init_script(("window.__selfStart = true;" if self_start else "") + COUNT_STARTS)
    return ctx, ctx.new_page()


def test_material_starts_once_on_a_direct_load_and_once_per_instant_navigation(site, browser):
    ctx, page = _page(browser)
    open_page(page, site.url)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__emits") == 1
    page.evaluate("window.__sameDocument = true")
    follow_link(page, site.url, "types/")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sameDocument === true"), "the click reloaded the page"
    assert page.evaluate("window.__emits") == 2
    ctx.close()


def test_a_material_that_starts_itself_is_not_started_twice(site, browser):
    ctx, page = _page(browser, self_start=True)
    open_page(page, site.url + "types/")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__emits") == 1
    assert page.locator(".md-typeset__scrollwrap .md-typeset__scrollwrap").count() == 0
    ctx.close()


def _before_the_start(browser, url: str, **context):
    """A page caught at first paint, with Material's bundle held back until
    release() is called."""
    ctx = reader_context(browser, **context)
    page = ctx.new_page()
    held = []
    released = []

    def hold(route):
        # The loader asks for the bundle only at the first input, which may be
        # release()'s own: then the request goes on at once.
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route(BUNDLE, hold, times=1)
    page.goto(url, wait_until="commit")
    # First paint, and the end of <body> parsed (on a loaded machine a check
    # can run between the two); Material's bundle is still held back.
    page.wait_for_function(FIRST_PAINT + " && document.querySelector('.md-header.md-starting')", polling=10)
    assert page.evaluate("!window.document$"), "Material had started before the test could act"

    def release():
        """Let the bundle through (and make a first input, if the test made none)."""
        released.append(True)
        for route in held:
            route.continue_()
        start_material(page)
        page.wait_for_function("!document.querySelector('.md-header.md-starting')")

    return ctx, page, release


def test_the_search_box_and_palette_toggle_show_at_first_paint(site, browser):
    ctx, page, _ = _before_the_start(browser, site.url)
    assert page.locator(".md-search__input").is_visible()
    assert page.locator("form[data-md-component=palette] label:not([hidden])").count() == 1
    ctx.close()
    ctx, page, _ = _before_the_start(browser, site.url, viewport=PHONE)
    assert page.locator('label.md-header__button[for="__search"]').is_visible()
    ctx.close()


def test_a_dark_system_gets_the_dark_scheme_at_first_paint(site, browser):
    ctx, page, release = _before_the_start(browser, site.url, color_scheme="dark")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    release()
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    ctx.close()


def test_a_slash_pressed_at_first_paint_opens_search(site, browser):
    ctx, page, release = _before_the_start(browser, site.url)
    page.keyboard.press("/")
    release()
    page.wait_for_function("document.getElementById('__search').checked", timeout=5000)
    assert page.evaluate("document.activeElement.matches('[data-md-component=search-query]')")
    page.keyboard.type("Pacifica")
    page.keyboard.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=10000)
    ctx.close()


def test_a_palette_click_before_the_start_switches_the_scheme(site, browser):
    # The first option follows the system; one click moves on to the second.
    ctx, page, release = _before_the_start(browser, site.url, color_scheme="light")
    page.locator("form[data-md-component=palette] label:not([hidden])").click()
    release()
    page.wait_for_function("(__md_get('__palette') || {}).index === 1", timeout=5000)
    assert page.locator('form[data-md-component=palette] label:not([hidden])').get_attribute("for") == "__palette_2"
    ctx.close()
