"""Build-time tweaks for the site (registered under `hooks:` in mkdocs.yml).

- Serve Mermaid from the site itself: the pinned npm copy in node_modules is
  added to the build as javascripts/vendor/mermaid.min.js. It is never
  committed and never fetched from a CDN.
- Keep diagram source out of the search index: every <pre class="mermaid">
  gets `data-search-exclude`, which Material's search plugin honours. What a
  diagram shows stays findable through its <figcaption>.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
MERMAID_DIST = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URI = "javascripts/vendor/mermaid.min.js"

_MERMAID_PRE = re.compile(r'<pre\s+class="mermaid">')


def on_files(files: Files, config) -> Files:
    if not MERMAID_DIST.is_file():
        raise PluginError(
            f"Mermaid is not installed: {MERMAID_DIST.relative_to(ROOT)} is missing. "
            "Run `npm ci` (or `make node_modules`) in the repository root, then build again."
        )
    files.append(File.generated(config, MERMAID_URI, abs_src_path=str(MERMAID_DIST)))
    return files


def on_page_content(html: str, page, config, files) -> str:
    return _MERMAID_PRE.sub('<pre class="mermaid" data-search-exclude>', html)
