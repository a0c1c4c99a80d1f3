"""Preview latency: time from saving a document to the browser showing the new text.

Runs the real preview server (watchdog, incremental rebuild, server-sent events) and a
real browser (Debian's chromium-headless-shell via Playwright) on a copy of the example
site and on a generated 1,000-document site; prints median, 90th percentile and worst.
Run by hand: .venv/bin/python bench/serve_bench.py [--docs 1000] [--edits 15]
"""
from __future__ import annotations

import argparse
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from corpus import generate  # noqa: E402

from generator.serve import Preview, Watcher, make_handler  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def measure(site: Path, doc_id: str, edits: int) -> list[float]:
    from playwright.sync_api import sync_playwright
    preview = Preview(site)
    preview.rebuild()
    watcher = Watcher(preview)
    watcher.start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(preview))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/documents/{doc_id}/"
    source = site / "content" / "documents" / doc_id / "index.md"
    original = source.read_text(encoding="utf-8")
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium-headless-shell")
                                    or "/usr/bin/chromium-headless-shell", args=ARGS)
        page = browser.new_page()
        page.goto(url)
        for i in range(edits + 2):
            marker = f"保存后看到的新文字{i}号"
            head, sep, body = original.partition("\n---\n")
            start = time.perf_counter()
            wall = time.time()
            source.write_text(head + sep + marker + "\n\n" + body, encoding="utf-8")
            page.wait_for_function(f"!!document.body && document.body.innerText.includes({marker!r})", timeout=30000, polling="raf")
            detected = time.perf_counter() - start
            page.wait_for_load_state("load")
            # When the browser painted the reloaded page (its own clock: the text is in
            # the HTML, so the first paint shows it); the test's detection adds polling.
            origin, paint = page.evaluate(
                "[performance.timeOrigin, (performance.getEntriesByType('paint')"
                ".find(p => p.name === 'first-contentful-paint') || {startTime: NaN}).startTime]")
            painted = (origin + paint) / 1000 - wall
            # the search index follows the pages (the watcher's next step)
            while preview.builder.search_stale or watcher.pending.is_set():
                time.sleep(0.01)
            searched = time.perf_counter() - start
            if i >= 2:                          # the first edits warm up caches and the browser
                times.append((painted, detected, searched))
            time.sleep(0.2)
        browser.close()
    source.write_text(original, encoding="utf-8")
    watcher.stop()
    server.shutdown()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        example.mkdir()
        shutil.copy(REPO / "config.yaml", example)
        shutil.copytree(REPO / "content", example / "content")
        generated = generate(Path(tmp) / f"n{args.docs}", args.docs)
        print("save → new text painted (browser's clock) | save → text seen by the test (polling)"
              " | save → search index up to date")
        print(f"{'site':>16} {'median ms':>10} {'p90 ms':>8} {'worst ms':>9} | {'median ms':>10} {'p90 ms':>8}"
              f" | {'median ms':>10} {'worst ms':>9}  edits")
        for name, site, doc in (("example site", example, "licheng-2024-gkyd"),
                                (f"{args.docs} documents", generated, f"doc-{args.docs // 2:05d}")):
            runs = measure(site, doc, args.edits)
            t = sorted(r[0] for r in runs)
            d = sorted(r[1] for r in runs)
            p90 = t[min(len(t) - 1, int(len(t) * 0.9))]
            d90 = d[min(len(d) - 1, int(len(d) * 0.9))]
            s = sorted(r[2] for r in runs)
            print(f"{name:>16} {statistics.median(t) * 1000:>10.0f} {p90 * 1000:>8.0f} {t[-1] * 1000:>9.0f} | "
                  f"{statistics.median(d) * 1000:>10.0f} {d90 * 1000:>8.0f} | "
                  f"{statistics.median(s) * 1000:>10.0f} {s[-1] * 1000:>9.0f}  {len(t)}")


if __name__ == "__main__":
    main()
