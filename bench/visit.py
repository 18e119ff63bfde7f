"""The whole visit on a phone: a page's load, then a tap on the search button
and a typed query, with the CPU slowed down four times as Lighthouse's phone
is. Lighthouse scores only the load; a reader pays for the rest too.

For each page it prints, from the browser's own Long Tasks and Event Timing
APIs:
- load blocking: main-thread time over 50 ms in each long task before the tap
  (what Lighthouse's Total Blocking Time approximates);
- after the tap: the same, from the tap until the results have been shown
  and the page is quiet again;
- the slowest tap or key event: the longest Event Timing duration of the visit,
  from the input until the next paint (what Interaction to Next Paint reports;
  at most 200 ms is "good").

`python -m bench.visit` measures this site twice: as built (Material's scripts
start at the reader's first input, overrides/partials/start-on-first-input.html),
and built with Material starting as it ships, at load (the template's scripts
block left to Material; search still fetched on demand). `--compare DIR` adds
another built site, served here the same way, e.g. a peer built locally, in
the same run: figures from different runs of a busy machine do not compare.
It judges nothing: the figures are for the README and for deciding.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from tools.browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium
from tools.server import free_port, start
from tools.sitebuild import ROOT, build, project_copy

PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 2.625, "is_mobile": True, "has_touch": True}
PAGES = ("", "hypervisor/", "types/paravirtualization/", "deep/cpu-virtualization/", "labs/minimal-vm/", "glossary/", "404.html")
QUERY = "linux"  # a word both this site and a Linux course have
SEARCH_BUTTON = "label.md-header__button[for='__search']"
RESULTS = ".md-search-result__item"

# Collects long tasks and input events from the very start of the page.
OBSERVE = """
window.__visit = {tasks: [], events: []};
new PerformanceObserver(list => { for (const e of list.getEntries()) __visit.tasks.push([e.startTime, e.duration]); })
  .observe({type: 'longtask', buffered: true});
new PerformanceObserver(list => { for (const e of list.getEntries()) __visit.events.push([e.name, e.startTime, e.duration]); })
  .observe({type: 'event', buffered: true, durationThreshold: 16});
"""


def blocking(tasks, since: float, until: float) -> float:
    return sum(max(0.0, duration - 50) for start_time, duration in tasks if since <= start_time < until)


def one_visit(browser, url: str, query: str = QUERY) -> dict:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.add_init_script(OBSERVE)
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(url, wait_until="load")
    page.wait_for_timeout(3000)  # what the load starts has finished
    tapped = page.evaluate("performance.now()")
    page.tap(SEARCH_BUTTON)
    page.wait_for_timeout(300)
    page.keyboard.type(query, delay=120)
    try:
        page.wait_for_selector(RESULTS, timeout=30000)
    except Exception:  # a site without a hit for the query, or a search that never answers: measured all the same
        print(f"  no search results on {url} within 30 s", file=sys.stderr)
    page.wait_for_timeout(3000)
    visit = page.evaluate("window.__visit")
    context.close()
    events = [duration for name, start_time, duration in visit["events"]
              if name in ("pointerdown", "pointerup", "click", "keydown", "keyup", "keypress", "input", "beforeinput")]
    return {"load": blocking(visit["tasks"], 0, tapped), "after": blocking(visit["tasks"], tapped, float("inf")),
            "slowest": max(events, default=0.0)}


def measure(chromium: str, sites: dict[str, tuple[str, tuple[str, ...]]], runs: int = 3) -> dict[str, dict[str, dict]]:
    """{site: {page: median figures over `runs` visits}}. `sites` maps a name to
    (base URL, pages). Visits alternate between the sites, page by page, so a
    busy moment of the machine falls on all of them alike."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, dict[str, list[dict]]] = {name: {} for name in sites}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for _ in range(runs):
            for name, (base, pages) in sites.items():
                for path in pages:
                    seen[name].setdefault("/" + path, []).append(one_visit(browser, base + path))
                    print(f"  visit {name} /{path}: {seen[name]['/' + path][-1]}", file=sys.stderr, flush=True)
        browser.close()
    rows = {name: {page: {key: statistics.median(v[key] for v in visits) for key in visits[0]}
                   for page, visits in pages.items()} for name, pages in seen.items()}
    return rows


def started_at_load(tmp: Path) -> Path:
    """A copy of the project whose pages start Material as it ships: the
    scripts block left to Material, search still fetched on demand."""
    main = (ROOT / "overrides" / "main.html").read_text(encoding="utf-8")
    head, _, _ = main.partition("{% block scripts %}")
    plain = head + ("{% block scripts %}\n  {{ super() }}\n  {{ compacted(\"partials/a11y.html\") }}\n"
                    "  {{ compacted(\"partials/search-on-demand.html\") }}\n{% endblock %}\n")
    return project_copy(tmp / "at-load", {"overrides/main.html": plain})


def table(sites: dict[str, dict[str, dict]]) -> str:
    lines = ["| site | page | load blocking ms | after the tap ms | whole visit ms | slowest tap/key ms |", "|---|---|---|---|---|---|"]
    for site, rows in sites.items():
        for page, r in rows.items():
            lines.append(f"| {site} | {page} | {r['load']:.0f} | {r['after']:.0f} | {r['load'] + r['after']:.0f} | {r['slowest']:.0f} |")
    for site, rows in sites.items():
        whole = [r["load"] + r["after"] for r in rows.values()]
        slowest = [r["slowest"] for r in rows.values()]
        lines.append(f"| {site} | **median of {len(rows)} pages** | {statistics.median(r['load'] for r in rows.values()):.0f} "
                     f"| {statistics.median(r['after'] for r in rows.values()):.0f} | {statistics.median(whole):.0f} "
                     f"| {statistics.median(slowest):.0f} (max {max(slowest):.0f}) |")
    return "\n".join(lines)


def whole_visit(chromium: str, runs: int = 3, compare: Path | None = None, compare_pages=None) -> str:
    sites, servers = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, project in (("this site", ROOT), ("this site, Material at load", started_at_load(tmp))):
            port = free_port()
            url = f"http://127.0.0.1:{port}/"
            site_dir = tmp / f"site-{port}"
            result = build(project, site_dir, url)
            if result.returncode:
                sys.exit(f"build failed:\n{result.stderr[-3000:]}")
            servers.append(start(site_dir, port))
            sites[name] = (url, PAGES)
        if compare:
            port = free_port()
            servers.append(start(compare, port))
            sites[compare.name] = (f"http://127.0.0.1:{port}/", tuple(compare_pages or ("",)))
        rows = measure(chromium, sites, runs)
        for server in servers:
            server.shutdown()
    return (f"The whole visit on a phone (412 px, CPU slowed 4x): load, a tap on the search button, "
            f"`{QUERY}` typed; median of {runs} visits per page:\n" + table(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another built site's folder, served and measured the same way")
    parser.add_argument("--compare-pages", nargs="*", default=None, help="paths under --compare (default: its home page)")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit(INSTALL_HINT)
    print(whole_visit(chromium, args.runs, args.compare, args.compare_pages))


if __name__ == "__main__":
    main()
