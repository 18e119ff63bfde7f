"""Add the addresses a freshly built site publishes to published-urls.txt.

Existing lines are never removed: an address once published stays in the list,
and the tests require it to keep resolving (directly or through a redirect).
Usage: python -m tools.urls [site_dir]   (run by `make urls` after `make site`)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools.addresses import PUBLISHED, current_addresses, published_addresses


def main(site_dir: Path) -> None:
    known = {address for _, address in published_addresses()} if PUBLISHED.exists() else set()
    new = [address for address in current_addresses(site_dir) if address not in known]
    if not PUBLISHED.exists():
        PUBLISHED.write_text("# Every public URL and section anchor this site has published.\n"
                             "# Never delete a line: a moved page needs a redirect instead (mkdocs.yml).\n",
                             encoding="utf-8")
    with PUBLISHED.open("a", encoding="utf-8") as out:
        for address in new:
            out.write(address + "\n")
    print(f"{len(new)} new addresses added to {PUBLISHED.name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "site"))
