"""The cache of diagrams rendered at build time (.cache/diagrams/), and what
an SVG must be before it goes into a page.

- A key covers everything that changes the drawing: the Mermaid source and
  options, the Mermaid version, the Chromium version and the fonts Chromium
  measures labels with (a fontconfig fingerprint). An SVG measured without
  CJK fonts is therefore never reused once they are installed.
- Entries are written atomically (a temporary file, then a rename), so a
  build killed mid-write, or two builds sharing the cache, leave no torn SVG.
  A cache that cannot be read or written (a full disk, a read-only folder, a
  dangling symlink or a file where the folder should be) is a cache miss, or
  a problem put() returns naming the path: the build goes on without it.
- Every entry is checked before use (svg_problems): one complete <svg>
  element; no script, event handler or outside URL. Anything else is
  discarded and rendered again, with a message naming the cache file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from tools.sitedir import write_atomically

# HTML void elements: they never close (Mermaid's labels use <br>).
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_FORBIDDEN = {"script", "iframe", "object", "embed", "img", "image", "audio", "video", "link", "meta", "base",
              "frame", "frameset", "form", "input", "button", "textarea", "animate", "set"}
_URL_ATTRS = {"href", "xlink:href", "src", "srcset", "action", "formaction", "data", "poster", "background"}
_OUTSIDE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)
_CSS_OUTSIDE = re.compile(r"url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:|//)|@import", re.I)


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.roots: list[str] = []
        self.problems: list[str] = []
        self.stray_text = False

    def handle_starttag(self, tag, attrs):
        if not self.stack:
            self.roots.append(tag)
        if tag in _FORBIDDEN:
            self.problems.append(f"contains <{tag}>")
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.problems.append(f"has an event handler ({name} on <{tag}>)")
            elif name in _URL_ATTRS and value and _OUTSIDE.match(value):
                self.problems.append(f"points outside the page ({name}={value[:60]!r} on <{tag}>)")
            elif name == "style" and value and _CSS_OUTSIDE.search(value):
                self.problems.append(f"loads something from outside in a style attribute on <{tag}>")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        else:
            self.problems.append(f"has a stray </{tag}>")

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style" and _CSS_OUTSIDE.search(data):
            self.problems.append("loads something from outside in its <style>")
        if not self.stack and data.strip():
            self.stray_text = True


def svg_problems(svg: str) -> list[str]:
    """Why `svg` must not go into a page: [] if it is one complete, inert <svg>."""
    checker = _Checker()
    try:
        checker.feed(svg)
        checker.close()
    except Exception as error:  # noqa: BLE001 - any parser failure means "not an SVG"
        return [f"does not parse ({error})"]
    problems = []
    if checker.roots != ["svg"]:
        problems.append(f"is not exactly one <svg> element (top level: {checker.roots or 'nothing'})")
    if checker.stack:
        problems.append(f"ends inside <{checker.stack[-1]}> (truncated)")
    if checker.stray_text:
        problems.append("has text outside the <svg>")
    return problems + list(dict.fromkeys(checker.problems))


def chromium_version(executable: str) -> str:
    """`chromium --version`; raises RuntimeError, naming the executable, if it does not run."""
    try:
        result = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"{executable} does not run: {error}") from None
    version = result.stdout.strip()
    if result.returncode != 0 or not version:
        detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1][:200]
        raise RuntimeError(f"{executable} --version exited with {result.returncode}: {detail}")
    return version


# The font Chromium finds for each of these is what labels are measured with
# (Material's stack with `font: false`, and the fallback for Chinese).
FONT_PROBES = ("sans-serif:lang=zh-cn", "sans-serif:lang=en", "Helvetica", "Arial")


def font_fingerprint() -> str:
    """Which font files fontconfig gives Chromium for the diagram font stack."""
    if not shutil.which("fc-match"):
        return "no fontconfig"
    found = []
    for probe in FONT_PROBES:
        result = subprocess.run(["fc-match", "-f", "%{family[0]}|%{file}|%{fontversion}", probe],
                                capture_output=True, text=True, timeout=30)
        found.append(f"{probe}={result.stdout.strip()}")
    return "\n".join(found)


def has_cjk_font() -> bool | None:
    """Whether fontconfig knows a font for Chinese; None where there is no fontconfig."""
    if not shutil.which("fc-list"):
        return None
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout.strip())


class DiagramCache:
    def __init__(self, directory: Path, salt: str):
        self.directory = Path(directory)
        self.salt = salt

    def key(self, source: str) -> str:
        return hashlib.sha256((self.salt + "\n" + source).encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.svg"

    def get(self, key: str, log) -> str | None:
        """The cached SVG, or None when there is none or it fails svg_problems."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:  # a file where the folder should be, a loop of symlinks…
            log.info(f"{path}: cannot read the diagram cache ({error.strerror or error}); drawing it again")
            return None
        try:
            svg = data.decode("utf-8")
            problems = svg_problems(svg)
        except UnicodeDecodeError as error:
            problems = [f"is not UTF-8 ({error.reason} at byte {error.start})"]
        if not problems:
            return svg
        unsafe = any(p.startswith(("contains", "has an event", "points outside", "loads")) for p in problems)
        (log.warning if unsafe else log.info)(
            f"{path}: cached diagram discarded and rendered again: it {'; '.join(problems)}")
        return None

    def put(self, key: str, svg: str) -> str | None:
        """Write atomically: readers see the old entry or the whole new one.
        Returns None, or why the cache cannot be written, naming the path
        (nothing half-written is left behind)."""
        error = write_atomically(self.path(key), svg)
        if error is not None:
            return f"{self.directory}: cannot write the diagram cache ({error.strerror or error})"
        return None
