"""Serve a built site on 127.0.0.1 the way a static host does.

- gzip for text responses when the client accepts it;
- a year-long immutable cache for fingerprinted assets (name.1234abcd.min.js),
  revalidation for everything else;
- the site's own 404.html, with status 404, for a missing path.

Used by the tests (once per session), the benchmark and `python -m tools.server`.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import threading
from functools import partial
from io import BytesIO
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Material's bundles (name.1234abcd.min.js) and Mermaid's chunks (name-ABCD1234.mjs).
FINGERPRINTED = re.compile(r"(?:\.[0-9a-f]{8,}\.min\.(?:js|css)|-[0-9A-Z]{8}\.mjs)$")
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript", ".mjs": "application/javascript",
                      ".json": "application/json", ".xml": "application/xml", ".svg": "image/svg+xml"}

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        try:
            path.stat()
        except (OSError, ValueError):  # missing, or a name the file system refuses (too long, NUL): the 404 page
            path = Path(self.directory) / "404.missing"
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # redirect to the slash form
            path = path / "index.html"
        status = 200
        if not path.is_file():
            path, status = Path(self.directory) / "404.html", 404
            if not path.is_file():
                self.send_error(404)
                return None
        body = path.read_bytes()
        ctype = self.guess_type(str(path))
        gzipped = "gzip" in self.headers.get("Accept-Encoding", "") and ctype.startswith(COMPRESSIBLE)
        if gzipped:
            body = gzip.compress(body, 6)
        self.send_response(status)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        if FINGERPRINTED.search(path.name):
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return BytesIO(body)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    # Four test workers share one server: with socketserver's default backlog
    # of 5, connections beyond it wait for a SYN retransmit (1 s and more).
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # A browser that cancels a request (a prefetch, a navigation) closes
        # the connection mid-response; a static host shrugs that off.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def start(site_dir: Path, port: int = 0) -> ThreadingHTTPServer:
    """Serve `site_dir` on 127.0.0.1 in a daemon thread; port 0 picks a free one."""
    server = SiteServer(("127.0.0.1", port), partial(SiteHandler, directory=str(site_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SiteHandler)
    port = server.server_address[1]
    server.server_close()
    return port


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve a built site like a static host.")
    parser.add_argument("site_dir", nargs="?", default="site")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server = start(Path(args.site_dir), args.port)
    print(f"Serving {args.site_dir} at http://127.0.0.1:{server.server_address[1]}/")
    threading.Event().wait()
