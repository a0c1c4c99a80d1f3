"""``gongkai serve``: build, then serve ``output/`` on 127.0.0.1 for previewing.

This is the plain preview: it builds once and serves the result with the site's 404
page. Watching sources, rebuilding and reloading the browser are not implemented yet
(tracked as the preview-server issue); rerun ``gongkai build`` and reload by hand.
"""
from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the output folder; unknown paths get the site's 404 page."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                      ".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
                      ".csv": "text/csv; charset=utf-8", ".xml": "application/xml; charset=utf-8",
                      ".txt": "text/plain; charset=utf-8"}

    def send_error(self, code, message=None, explain=None):  # noqa: D102 (stdlib API)
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        sys.stderr.write("  %s\n" % (format % args))


def serve(output_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``output_dir`` until interrupted."""
    handler = functools.partial(_Handler, directory=str(output_dir))
    with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
        print(f"预览地址：http://{host}:{port}/  （按 Ctrl+C 停止）")
        httpd.serve_forever()
