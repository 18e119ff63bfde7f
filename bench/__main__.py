"""`make bench`: performance figures for the built site. It judges nothing.

1. Build time: a clean project copy with jieba's cache removed, then warm.
2. Search: index size (raw, gzipped) and time from the keystroke to results;
   Material's start-up, paid at the reader's first input, at 4x CPU slowdown.
3. Lighthouse 12.8 (npm, pinned), mobile preset with simulated throttling, on
   every page, served by tools.server the way a static host serves it (gzip,
   year-long cache for fingerprinted assets). Simulated timings vary from run
   to run on a busy or small machine, so each page runs --runs times (default
   3) and the run with the median performance score is reported, with the
   range of scores seen.

Prints a table and writes it, with the raw Lighthouse reports, to bench/results/.
Usage: python -m bench [--only PATH ...] [--runs N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.addresses import md_url
from tools.browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium, open_page
from tools.server import free_port, start
from tools.sitebuild import ROOT, build, project_copy

RESULTS = ROOT / "bench" / "results"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
JIEBA_CACHE = Path(tempfile.gettempdir()) / "jieba.cache"


def timed_build(project: Path, site_dir: Path, url: str) -> float:
    start_time = time.perf_counter()
    result = build(project, site_dir, url)
    if result.returncode:
        sys.exit(f"build failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start_time


def build_times(url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp) / "project")
        JIEBA_CACHE.unlink(missing_ok=True)
        clean = timed_build(project, Path(tmp) / "site", url)
        warm = timed_build(project, Path(tmp) / "site", url)
    return {"clean": clean, "warm": warm}


def search_timing(chromium: str, url: str, queries=("Hypervisor", "半虚拟化", "AMD-V", "虚拟机监视器", "VT-x")) -> dict:
    """Milliseconds from the keystroke to the result list, cold (first query) and warm."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        page = browser.new_page()
        open_page(page, url)
        box = page.locator("input[data-md-component=search-query]")
        times = []
        for query in queries:
            box.fill("")
            page.wait_for_timeout(300)
            box.fill(query)
            started = page.evaluate("performance.now()")
            box.press("End")
            page.wait_for_function(
                "() => document.querySelectorAll('.md-search-result__item').length > 0", timeout=10000)
            times.append(page.evaluate("performance.now()") - started)
        browser.close()
    return {"cold_ms": times[0], "warm_ms": statistics.median(times[1:])}


def start_cost(chromium: str, url: str, paths=("", "hypervisor/", "glossary/", "labs/minimal-vm/", "references/")) -> dict:
    """Milliseconds from the reader's first input (a mouse move) to Material's
    start (the "material-started" mark), with the CPU slowed down four times as
    Lighthouse's phone is: what a reader pays at the first input instead of at
    page load (overrides/partials/start-on-first-input.html). Median over `paths`."""
    from playwright.sync_api import sync_playwright

    costs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for path in paths:
            page = browser.new_page(viewport={"width": 412, "height": 823})
            page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
            page.goto(url + path, wait_until="load")
            page.wait_for_timeout(500)
            before = page.evaluate("performance.now()")
            page.mouse.move(100, 300)
            page.mouse.move(120, 320)
            page.wait_for_function("performance.getEntriesByName('material-started').length > 0", timeout=20000)
            costs.append(page.evaluate("performance.getEntriesByName('material-started')[0].startTime") - before)
            page.close()
        browser.close()
    return {"median_ms": statistics.median(costs), "min_ms": min(costs), "max_ms": max(costs), "pages": len(costs)}


def lighthouse(url: str, chromium: str, out: Path) -> dict:
    flags = " ".join(["--headless=new", *LAUNCH_ARGS])
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
           "--only-categories=performance,accessibility,best-practices,seo", f"--chrome-flags={flags}"]
    subprocess.run(cmd, check=True, env=dict(os.environ, CHROME_PATH=chromium))
    lhr = json.loads(out.read_text(encoding="utf-8"))
    audits = lhr["audits"]
    summary = {item["resourceType"]: item for item in audits["resource-summary"]["details"]["items"]}
    return {
        "perf": round(lhr["categories"]["performance"]["score"] * 100),
        "a11y": round(lhr["categories"]["accessibility"]["score"] * 100),
        "bp": round(lhr["categories"]["best-practices"]["score"] * 100),
        "seo": round(lhr["categories"]["seo"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "bytes": summary["total"]["transferSize"],
        "js": summary.get("script", {}).get("transferSize", 0),
        "requests": summary["total"]["requestCount"],
    }


def median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda r: (r["perf"], -r["tbt"]))
    chosen = dict(ordered[len(ordered) // 2])
    chosen["range"] = f"{ordered[0]['perf']}–{ordered[-1]['perf']}" if len(runs) > 1 else str(chosen["perf"])
    return chosen


def table(rows: dict[str, dict]) -> str:
    head = "| page | perf (range) | a11y | best pr. | SEO | FCP ms | LCP ms | TBT ms | CLS | KB total | KB JS | requests |"
    lines = [head, "|" + "---|" * 12]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['perf']} ({r['range']}) | {r['a11y']} | {r['bp']} | {r['seo']} | {r['fcp']:.0f} | {r['lcp']:.0f} "
                     f"| {r['tbt']:.0f} | {r['cls']:.3f} | {r['bytes'] / 1024:.1f} | {r['js'] / 1024:.1f} | {r['requests']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="site paths to run Lighthouse on (default: every page)")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page; the median is reported")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit(INSTALL_HINT)
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"

    times = build_times(url)
    site_dir = Path(tempfile.mkdtemp(prefix="bench-site-"))
    timed_build(ROOT, site_dir, url)
    server = start(site_dir, port)
    index = (site_dir / "search" / "search_index.json").read_bytes()
    search = search_timing(chromium, url)
    start_up = start_cost(chromium, url)

    # The 404 page is what a mistyped or outdated link shows: scored like any page (Lighthouse
    # refuses a 404 status, so it reads the file itself, served with status 200).
    pages = args.only or [md_url(md, ROOT / "docs") for md in sorted((ROOT / "docs").rglob("*.md"))] + ["404.html"]
    rows = {}
    for path in pages:
        report = RESULTS / f"lighthouse-{path.strip('/').replace('/', '-') or 'home'}.json"
        rows["/" + path] = median_run([lighthouse(url + path, chromium, report) for _ in range(args.runs)])
        print(f"  lighthouse /{path}: {rows['/' + path]['perf']} ({rows['/' + path]['range']})", file=sys.stderr)
    server.shutdown()

    report = "\n".join([
        f"build: clean {times['clean']:.2f} s, warm {times['warm']:.2f} s",
        f"search index: {len(index) / 1024:.1f} KB raw, {len(gzip.compress(index, 6)) / 1024:.1f} KB gzipped",
        f"search: keystroke to results {search['cold_ms']:.0f} ms cold (first query), {search['warm_ms']:.0f} ms warm (median)",
        f"Material's start at the first input, CPU slowed 4x: {start_up['median_ms']:.0f} ms (median of {start_up['pages']} pages, "
        f"{start_up['min_ms']:.0f}–{start_up['max_ms']:.0f} ms)",
        "",
        f"Lighthouse 12.8, mobile preset, simulated throttling, served with gzip; median of {args.runs} runs:",
        table(rows),
    ])
    print(report)
    (RESULTS / "report.md").write_text(report + "\n", encoding="utf-8")
    (RESULTS / "lighthouse.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
