"""What a reader's browser does on a page, recorded for the checks.

`visit()` loads a page with every request off 127.0.0.1 blocked, scrolls
through it so lazily drawn diagrams draw, and records console messages,
page errors, failed and outside requests, and the state of each diagram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from tools.browser import open_page

# Material draws each diagram into a *closed* shadow root; reopening it lets
# a test see the SVG. Added to every test page as an init script.
OPEN_SHADOW_ROOTS = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: 'open'}); };"
)

# A diagram is drawn either at build time (inline SVG in .mermaid-diagram) or
# in the browser by Material (SVG in the shadow root of div.mermaid).
# A diagram drawn in a wide and a phone layout shows one of them: take that one.
DIAGRAM_SVG = ("host => host.shadowRoot ? host.shadowRoot.querySelector('svg') : "
               "[...host.querySelectorAll(':scope > svg')].find(svg => svg.getClientRects().length) "
               "|| host.querySelector(':scope > svg')")
DIAGRAM_HOSTS = "document.querySelectorAll('article div.mermaid, article .mermaid-diagram')"

DIAGRAM_STATE = """() => {
  const drawn = [...""" + DIAGRAM_HOSTS + """].map(host => {
    const svg = (""" + DIAGRAM_SVG + """)(host);
    if (!svg) return null;
    const byId = (ids) => (ids || '').split(/\\s+/).map(id => svg.getElementById(id))
        .filter(Boolean).map(el => el.textContent.trim()).join(' ');
    return {
      role: svg.getAttribute('aria-roledescription') || '',
      name: byId(svg.getAttribute('aria-labelledby')),
      description: byId(svg.getAttribute('aria-describedby')),
      error: svg.getAttribute('aria-roledescription') === 'error',
    };
  });
  return {
    drawn: drawn.filter(Boolean),
    pending: document.querySelectorAll('article pre.mermaid').length,
    errorBoxes: [...document.body.children].filter(el => /error/i.test(el.textContent || '') && /mermaid/i.test(el.id || '')).length,
  };
}"""


@dataclass
class Visit:
    url: str
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    diagrams: dict = field(default_factory=dict)
    paint: dict = field(default_factory=dict)
    axe: list = field(default_factory=list)


# When the first contentful paint happened, when the reader's first input asked
# Material to start and when it had, and when each script was requested
# (milliseconds since navigation start).
PAINT_TIMING = """() => ({
  fcp: performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0] ?? null,
  starting: performance.getEntriesByName('material-starting').map(e => e.startTime)[0] ?? null,
  started: performance.getEntriesByName('material-started').map(e => e.startTime)[0] ?? null,
  scripts: performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script')
    .map(e => [new URL(e.name).pathname, e.startTime]),
})"""


# Uncaught errors, counted in the page, so a wait for diagrams ends as soon
# as one is thrown (a diagram that fails to parse never draws).
COUNT_ERRORS = (
    "window.__errors = 0;"
    "addEventListener('error', () => window.__errors++);"
    "addEventListener('unhandledrejection', () => window.__errors++);"
)


def reader_context(browser, **options):
    """A fresh browser profile (1280 x 900 unless told otherwise) with shadow roots open."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    ctx = browser.new_context(**options)
    ctx.add_init_script(OPEN_SHADOW_ROOTS + COUNT_ERRORS)
    return ctx


def record(page, visit: Visit, origin: str) -> None:
    """Attach listeners that fill `visit` for everything `page` does from now on.
    `origin` is the served site's address, or a file:// address for a copy on
    disk; every request elsewhere (but data: and blob:) is refused and noted as
    outside."""
    own = "file:" if origin.startswith("file:") else rf"https?://{re.escape(urlparse(origin).netloc)}/"
    page.on("console", lambda m: visit.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: visit.failed_requests.append(f"{r.url} ({r.failure})")
            if re.match(own, r.url) else None)
    page.on("request", lambda r: visit.requests.append(r.url))

    def refuse(route):
        visit.outside_requests.append(route.request.url)
        route.abort()

    # Only requests that leave `origin` are intercepted: routing every request
    # through Playwright cost more CPU than the pages themselves, and routing
    # file:// requests keeps them from ever finishing.
    page.route(re.compile(rf"^(?!{own}|data:|blob:)"), refuse)


def scroll_through(page) -> None:
    """Scroll to the bottom a screenful at a time, the way a reader does, so
    that everything drawn when it comes into view (a diagram left for the
    browser, `pre.mermaid`) has been in view once. A page without such a
    diagram jumps to its end: the same scroll handlers run, for a fraction of
    the work."""
    page.evaluate("""async () => {
      const frame = () => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 20)));
      if (!document.querySelector('pre.mermaid')) {
        window.scrollTo(0, document.documentElement.scrollHeight);
        await frame();
        return;
      }
      const step = Math.max(400, window.innerHeight);
      for (let y = 0; y < document.documentElement.scrollHeight + step; y += step) {
        window.scrollTo(0, y);
        await frame();
      }
    }""")


def diagram_state(page, expected: int, timeout_ms: int = 15000) -> dict:
    """Wait until `expected` diagrams are drawn, the page throws, or the time
    is up, and report them."""
    try:
        page.wait_for_function(
            f"() => {{ const s = ({DIAGRAM_STATE})(); "
            f"return (s.pending === 0 && s.drawn.length >= {expected}) || window.__errors > 0; }}",
            timeout=timeout_ms)
    except Exception:
        pass
    return page.evaluate(DIAGRAM_STATE)


def read_through(page, url: str, expected_diagrams: int) -> dict:
    """Open `url`, scroll through it as a reader does, and report its diagrams once drawn."""
    open_page(page, url)
    scroll_through(page)
    return diagram_state(page, expected_diagrams)


# How many documents Material has shown in this window (document$ emissions),
# counted from the first call; undefined before Material has started.
COUNT_DOCUMENTS = """() => {
  if (window.document$ && window.__documents === undefined) {
    window.__documents = 0;
    document$.subscribe(() => window.__documents++);
  }
  return window.__documents;
}"""


def load_untouched(page, url: str, wait_ms: int = 0) -> None:
    """Load `url` with no input at all, as Lighthouse and a reader who has not
    touched the page yet see it, wait two frames (the site's own scripts that
    run before Material) and `wait_ms` more. Material waits for a first input
    (overrides/partials/start-on-first-input.html): fails if it started anyway."""
    page.goto(url, wait_until="load")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done))))")
    if wait_ms:
        page.wait_for_timeout(wait_ms)
    assert page.evaluate("!window.document$"), f"Material started on {url} without an input"


def follow_link(page, base_url: str, path: str, within: str = "") -> None:
    """Click the first link to `path` (inside `within`) and wait until the page is there:
    the address, and with instant navigation also Material's swap of the document
    (the address changes first, and a click meanwhile would land on the old page)."""
    shown = page.evaluate(COUNT_DOCUMENTS)
    page.locator(f'{within} a[href$="{path}"]'.strip()).first.evaluate("a => a.click()")
    # Material's navigation.tracking may already have added a section's #anchor
    # (under load, even the previous page's): the page is there all the same.
    page.wait_for_url(lambda url: url.split("#")[0] == base_url + path)
    if shown is not None:  # a full load starts a new window, where the count is gone
        page.wait_for_function("(shown) => window.__documents === undefined || window.__documents > shown", arg=shown)


def visit(context, url: str, expected_diagrams: int, axe: bool = False) -> Visit:
    """Load, read through and record one page; with `axe`, also its axe violations
    as a reader at its end sees it (axe_at_the_end())."""
    page = context.new_page()
    result = Visit(url)
    record(page, result, url)
    result.diagrams = read_through(page, url, expected_diagrams)
    result.paint = page.evaluate(PAINT_TIMING)
    if axe:
        result.axe = axe_at_the_end(page)
    page.wait_for_timeout(200)
    page.close()
    return result


def visit_alone(browser, url: str, expected_diagrams: int = 0) -> Visit:
    """visit() in a fresh profile of its own, for a single page."""
    ctx = reader_context(browser)
    try:
        return visit(ctx, url, expected_diagrams)
    finally:
        ctx.close()


# The colour of every piece of diagram text, and the page background behind it.
DIAGRAM_INK = """() => ({
  background: getComputedStyle(document.body).backgroundColor,
  ink: [...""" + DIAGRAM_HOSTS + """].map(host =>
    // Only the leaves that paint glyphs: <text> or <tspan> without children,
    // and leaf HTML elements of labels in <foreignObject>; not <g> wrappers
    // or a <text> whose <tspan>s carry their own fill.
    [...(""" + DIAGRAM_SVG + """)(host).querySelectorAll('text, tspan, foreignObject *')]
      .filter(el => el.textContent.trim() && !el.children.length)
      .map(el => el instanceof SVGElement ? getComputedStyle(el).fill : getComputedStyle(el).color)),
})"""


def set_scheme(page, scheme: str) -> None:
    """Click Material's palette toggle until the page shows `scheme` (default or slate)."""
    for _ in range(4):
        if page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme:
            return
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_timeout(150)
    raise AssertionError(f"palette toggle never reached the {scheme} scheme")


SEARCH_STATE = """() => ({
  meta: document.querySelector('.md-search-result__meta').textContent.trim(),
  groups: [...document.querySelectorAll('.md-search-result__item')].map(item =>
    [...item.querySelectorAll('a.md-search-result__link')].map(a => a.href)),
  query: document.querySelector('input[data-md-component=search-query]').value,
})"""


# Counts Material's search result renders: each reply of its search worker
# rewrites the status line (.md-search-result__meta) once, even when it reads
# the same as before.
COUNT_RESULT_RENDERS = """() => {
  if (window.__searchRenders === undefined) {
    window.__searchRenders = 0;
    new MutationObserver(() => window.__searchRenders++).observe(
      document.querySelector('.md-search-result__meta'), {childList: true, characterData: true, subtree: true});
  }
  return window.__searchRenders;
}"""
# A render since `before` that is neither "正在初始化搜索引擎" nor the empty box's
# "键入以开始搜索" (focusing the box can make Material render for the old text).
SEARCH_SETTLED = """(before) => window.__searchRenders > before &&
  !/初始化|键入以开始搜索/.test(document.querySelector('.md-search-result__meta').textContent)"""


def search(page, query: str) -> dict:
    """Type `query` into the real search box and return the result list Material renders for it.

    Returns {"meta": the status line, "groups": [[page link, section links…], …]}
    with links relative to the site root and without the ?h= highlight parameter.
    """
    box = page.locator("input[data-md-component=search-query]")
    if not box.is_visible():
        page.locator("label[for=__search]").first.click()
    if box.input_value() != query:  # Material searches only when the text changes
        before = page.evaluate(COUNT_RESULT_RENDERS)
        box.fill(query)  # focuses the box: Material may search at once, or at the next keyup
        box.press("End")
        try:
            page.wait_for_function(SEARCH_SETTLED, arg=before, timeout=15000)
        except Exception as error:  # say what the search box showed instead
            raise AssertionError(f"no results rendered for {query!r} in 15 s on {page.url}: "
                                 f"{page.evaluate(SEARCH_STATE)} ({error.__class__.__name__})") from None
    state = page.evaluate(SEARCH_STATE)
    base = page.evaluate("new URL(JSON.parse(document.getElementById('__config').textContent).base, location.href).href")

    def clean(href: str) -> str:
        path, _, fragment = href.partition("#")
        path = path.split("?")[0]
        return path[len(base):] + (f"#{fragment}" if fragment else "") if path.startswith(base) else href

    return {"meta": state["meta"], "groups": [[clean(h) for h in g] for g in state["groups"]]}


# How far a page scrolls sideways, and what sticks out of the viewport.
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const excess = document.documentElement.scrollWidth - width;
  const culprits = excess <= 0 ? [] : [...document.querySelectorAll('article *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.closest('.md-typeset__scrollwrap, .mermaid, .mermaid-diagram, pre'))
    .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  return {excess, culprits};
}"""


# What a reader's phone is in the phone checks.
PHONE = {"width": 360, "height": 740}

# Each diagram box on the page: does the shown layout fit, and does the box scroll?
DIAGRAM_FIT = """() => [...document.querySelectorAll('article .mermaid-diagram')].map(host => {
  const shown = [...host.querySelectorAll(':scope > svg')].filter(svg => svg.getClientRects().length);
  const box = host.getBoundingClientRect();
  return {
    shown: shown.length,
    overflow: shown.length ? Math.round(shown[0].getBoundingClientRect().right - box.right) : 0,
    scrolls: host.scrollWidth > host.clientWidth,
  };
})"""


def phone_context(browser, **options):
    """A fresh profile on a 360 px touch phone with a 2x screen."""
    return reader_context(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **options)


# WCAG 2.1 A and AA, plus axe's best practices (Lighthouse checks some of
# those too, such as a name for every dialog).
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
              "resultTypes": ["violations"]}


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe
    return Axe().run(page, options=WCAG_21_AA).response["violations"]


# Resolves once no animation or transition is running (checked each frame,
# from the second frame on, so that one a scroll has just set off is seen), or after 2 s.
AT_REST = """() => new Promise(done => {
  setTimeout(done, 2000);
  const check = () => document.getAnimations().some(a => a.playState === 'running')
    ? requestAnimationFrame(check) : done();
  requestAnimationFrame(() => requestAnimationFrame(check));
})"""


def axe_at_the_end(page) -> list[dict]:
    """axe's violations at the end of the page, a little way back up, as a reader
    who has read it sees it: the header and the back-to-top button in their
    scrolled states, once their transitions are over (axe would otherwise
    measure a half-transparent frame of Material's fading back-to-top button)."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.mouse.wheel(0, -200)
    page.evaluate(AT_REST)
    return axe_violations(page)


# The smallest rendered size, in CSS pixels, of the text of each diagram.
DIAGRAM_TEXT_PX = """() => [...document.querySelectorAll('article .mermaid-diagram > svg')]
    .filter(svg => svg.getClientRects().length).map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text, tspan, foreignObject *')]
    .filter(el => el.textContent.trim() && !el.children.length)
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  return Math.min(...sizes) * scale;
})"""


def axe_of_the_404_page(context, site) -> list[str]:
    """axe's violations on the 404 page, opened in `context` (closed afterwards), as problems."""
    from checks import axe_problems
    page = context.new_page()
    open_page(page, site.url + "no-such-page/")
    problems = axe_problems("404.html", axe_at_the_end(page))
    context.close()
    return problems


def visit_from_disk(context, path, expected_diagrams: int = 0, material: bool = True) -> Visit:
    """Open a page of a copy on disk from file:// as a reader does (waiting for
    Material unless `material` is False) and record what it did."""
    page = context.new_page()
    result = Visit(path.as_uri())
    record(page, result, result.url)
    if material:
        open_page(page, result.url)
    else:
        page.goto(result.url, wait_until="load")
    result.diagrams = diagram_state(page, expected_diagrams, timeout_ms=3000)
    page.close()
    return result
