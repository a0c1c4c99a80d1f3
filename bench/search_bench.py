"""Search index benchmark: index size against the site's text, build time, and the bytes
a browser fetches for typical queries.

    .venv/bin/python bench/search_bench.py            # example site and 1,000 documents
    .venv/bin/python bench/search_bench.py --docs 1000 5000 --no-browser

"Text" is what the index covers: titles, headings, bodies, and task rows (section, item,
units, deadline, requirement), in UTF-8. Sizes are given raw and gzip-compressed (what a
server with gzip on sends). Query fetches are measured in Chromium (when installed): each
query in a fresh browser profile, so nothing comes from the cache, summing the sizes on
disk of the index files it requested.
"""
from __future__ import annotations

import argparse
import gzip
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))
from corpus import generate  # noqa: E402

from generator import search, searchfiles  # noqa: E402
from generator.build import build_site  # noqa: E402
from generator.problems import Problems  # noqa: E402
from generator.site import load_site  # noqa: E402

QUERIES = ["依申请公开", "政务公开", "公开", "区财政局", "yishenqing", "ysq", "zwgk", "yhyshj", "yishengqing",
           "依申清公开"]
PARTS = (("t/", "postings"), ("q/", "positions"), ("p/", "pinyin"), ("py.json", "homophones"),
         ("m/", "display"), ("c/", "snippet text"), ("manifest.json", "manifest"))


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.2f} MB"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def index_figures(root: Path, label: str) -> None:
    problems = Problems(root)
    site = load_site(root, problems)
    assert site is not None, problems
    times = []
    for _ in range(3):
        t = time.perf_counter()
        index = searchfiles.build_index(site)
        times.append(time.perf_counter() - t)
    total = index.size()
    total_gz = sum(gz(v) for v in index.files.values())
    print(f"\n## {label}: {len(site.documents)} documents, {index.records} records "
          f"({sum(len(r) for r in site.task_rows.values())} task rows, {len(site.interpretations)} interpretations)")
    print(f"text indexed: {kb(index.text_bytes)} ({index.text_chars:,} characters); "
          f"{index.terms:,} terms; pinyin vocabulary {index.vocabulary:,} words")
    print(f"index build: {min(times):.2f} s (best of 3)")
    print(f"{'part':<14}{'files':>7}{'raw':>13}{'gzip':>13}{'raw/text':>10}")
    for prefix, name in PARTS:
        files = {k: v for k, v in index.files.items() if k.startswith(search.INDEX_DIR + prefix)}
        raw = sum(len(v) for v in files.values())
        print(f"{name:<14}{len(files):>7}{kb(raw):>13}{kb(sum(gz(v) for v in files.values())):>13}"
              f"{raw / index.text_bytes:>10.2f}")
    print(f"{'total':<14}{len(index.files):>7}{kb(total):>13}{kb(total_gz):>13}{total / index.text_bytes:>10.2f}")
    search_only = total - index.size(search.INDEX_DIR + "c/") - index.size(search.INDEX_DIR + "m/")
    print(f"without display data and snippet text: {kb(search_only)} = "
          f"{search_only / index.text_bytes:.2f} × text")


def query_fetches(output: Path, queries: list[str]) -> None:
    try:
        from browser import CHROMIUM_ARGS, chromium_path, serve_folder
        from playwright.sync_api import sync_playwright
        executable = chromium_path()
    except BaseException as e:  # noqa: BLE001 - pytest.fail raises a BaseException
        print(f"(no browser: {e}; query fetches not measured)")
        return
    server, base = serve_folder(output)
    print(f"{'query':<14}{'results':>8}{'files':>7}{'raw':>12}{'gzip':>12}  first result")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for q in queries:
                context = browser.new_context()
                page = context.new_page()
                paths: list[str] = []
                page.on("request", lambda r: paths.append(r.url.split("/search/index/", 1)[1].split("?")[0])
                        if "/search/index/" in r.url else None)
                page.goto(base + "search/")
                page.fill("#search-q", q)
                page.press("#search-q", "Enter")
                page.wait_for_function("(() => { const t = document.getElementById('search-status').textContent;"
                                       " return t && !t.startsWith('正在'); })()", timeout=60000)
                count = page.locator(".search-result").count()
                total = page.evaluate("document.getElementById('search-status').textContent")
                first = page.locator(".search-result h3").first.inner_text() if count else "—"
                files = [output / "search" / "index" / f for f in dict.fromkeys(paths)]
                raw = sum(f.stat().st_size for f in files)
                zipped = sum(gz(f.read_bytes()) for f in files)
                m = re.search(r"找到 (\d+) 条", total)
                found = m.group(1) if m else "0"
                print(f"{q:<14}{found:>8}{len(files):>7}{kb(raw):>12}{kb(zipped):>12}  {first[:30]}")
                context.close()
            browser.close()
    finally:
        server.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, nargs="*", default=[1000])
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "example"
        t = time.perf_counter()
        result = build_site(REPO, out)
        print(f"example site: full build {time.perf_counter() - t:.2f} s, {result.pages} pages, "
              f"output {kb(result.bytes)}")
        index_figures(REPO, "example site")
        if not args.no_browser:
            query_fetches(out, QUERIES)
        for n in args.docs:
            root = HERE / ".corpus" / f"n{n}"
            generate(root, n)
            t = time.perf_counter()
            result = build_site(root, Path(tmp) / f"n{n}")
            print(f"\n{n} documents: full build {time.perf_counter() - t:.2f} s, {result.pages} pages, "
                  f"output {kb(result.bytes)}")
            index_figures(root, f"{n} generated documents")
            if not args.no_browser:
                query_fetches(Path(tmp) / f"n{n}", QUERIES)
            shutil.rmtree(Path(tmp) / f"n{n}", ignore_errors=True)


if __name__ == "__main__":
    main()
