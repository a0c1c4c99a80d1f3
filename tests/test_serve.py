"""The preview server: watch, rebuild, reload; errors in the page; safe serving."""
from __future__ import annotations

import http.client
import threading
import time

import pytest

from browser import CHROMIUM_ARGS, chromium_path
from generator.serve import Preview, Watcher, ignored, make_handler


class Running:
    def __init__(self, site, drafts=False, poll=False):
        import http.server
        self.preview = Preview(site.root, drafts=drafts)
        self.preview.rebuild()
        self.watcher = Watcher(self.preview, poll=poll)
        self.watcher.start()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.preview))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/"

    def get(self, path: str) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", path)          # raw path: no client-side normalisation
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
        conn.close()
        return r.status, r.getheader("Content-Type") or "", body

    def wait_version(self, after: int, timeout: float = 10) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.preview.version > after:
                return self.preview.version
            time.sleep(0.02)
        raise AssertionError("no rebuild happened")

    def stop(self):
        self.preview.close()
        self.watcher.stop()
        assert not self.watcher.thread.is_alive()      # a rebuild under way was finished
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def running(make_site):
    servers = []

    def start(site, **kw):
        r = Running(site, **kw)
        servers.append(r)
        return r
    yield start
    for r in servers:
        r.stop()


def small_site(make_site):
    site = make_site()
    site.document("a", body="第一版正文。\n")
    (site.root / "content/documents/a/附件.pdf").write_bytes(b"%PDF-1.4")
    site.document("a", front="title: 文件a\ndisclosure: 主动公开\nattachments:\n  - {title: 附件, file: 附件.pdf}\n",
                  body="第一版正文。\n")
    site.document("draft", front="title: 草稿文件\ndisclosure: 主动公开\ndraft: true\n")
    return site


def test_traversal_and_outside_paths_are_refused(make_site, running, tmp_path):
    site = small_site(make_site)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    (site.root / "content/documents/a/link.txt").symlink_to(secret)
    r = running(site)
    for path in ["/../config.yaml", "/documents/../../config.yaml", "/%2e%2e/config.yaml",
                 "/documents/%2e%2e/%2e%2e/content/documents/a/index.md", "/documents%2fa/",
                 "/..%2fconfig.yaml", "//etc/passwd", "/etc/passwd", "/documents/a/link.txt",
                 "/content/documents/a/index.md", "/documents/a/index.md", "/%5c..%5cconfig.yaml",
                 "/documents/a/%00"]:
        status, _, body = r.get(path)
        assert status == 404, path
        assert "SECRET" not in body and "disclosure" not in body
    status, ctype, body = r.get("/nope/")
    assert status == 404 and ctype == "text/html; charset=utf-8" and "页面未找到" in body


def test_content_types_redirects_and_drafts(make_site, running):
    site = small_site(make_site)
    r = running(site)
    assert r.get("/")[1] == "text/html; charset=utf-8"
    assert r.get("/assets/site.css")[1] == "text/css; charset=utf-8"
    assert r.get("/assets/site.js")[1] == "text/javascript; charset=utf-8"
    assert r.get("/api/documents.json")[1] == "application/json; charset=utf-8"
    assert r.get("/sitemap.xml")[1] == "application/xml; charset=utf-8"
    assert r.get("/api/tasks.csv")[1] == "text/csv; charset=utf-8"
    assert r.get("/documents/a/%E9%99%84%E4%BB%B6.pdf")[1] == "application/pdf"
    conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=5)
    conn.request("GET", "/documents/a")
    resp = conn.getresponse()
    assert resp.status == 301 and resp.getheader("Location") == "/documents/a/"
    assert r.get("/documents/draft/")[0] == 404
    # the reload script is added while serving, never written anywhere
    assert "EventSource" in r.get("/documents/a/")[2]
    assert not (site.root / "output").exists()
    with_drafts = running(site, drafts=True)
    assert with_drafts.get("/documents/draft/")[0] == 200


def test_watch_rebuild_and_error_panel(make_site, running):
    site = small_site(make_site)
    r = running(site)
    v = r.preview.version
    site.document("a", body="第二版正文。\n")
    v = r.wait_version(v)
    assert "第二版正文" in r.get("/documents/a/")[2]
    # editor temporary files do not trigger rebuilds
    (site.root / "content/documents/a/.index.md.swp").write_text("x")
    (site.root / "content/documents/a/index.md~").write_text("x")
    (site.root / "content/documents/a/4913").write_text("x")
    time.sleep(0.5)
    assert r.preview.version == v
    # a broken source: the last good page stays, with an accessible error panel
    (site.root / "content/documents/a/index.md").write_text("---\ntitle: 文件a\ndisclosure: 公开\n---\n第三版\n",
                                                            encoding="utf-8")
    v = r.wait_version(v)
    status, _, body = r.get("/documents/a/")
    assert status == 200 and "第二版正文" in body
    assert 'id="gongkai-error" role="alert"' in body
    assert "content/documents/a/index.md:3" in body and "提示" in body
    site.document("a", body="第四版正文。\n")
    v = r.wait_version(v)
    body = r.get("/documents/a/")[2]
    assert "第四版正文" in body and "gongkai-error" not in body


def test_bursts_of_saves_are_coalesced(make_site, running):
    site = small_site(make_site)
    r = running(site)
    v = r.preview.version
    for i in range(10):
        site.document("a", body=f"连续保存 {i}。\n")
    r.wait_version(v)
    time.sleep(0.4)
    assert r.preview.version - v <= 2
    assert "连续保存 9" in r.get("/documents/a/")[2]


def test_polling_observer(make_site, running):
    site = small_site(make_site)
    r = running(site, poll=True)
    v = r.preview.version
    site.document("a", body="轮询发现的修改。\n")
    r.wait_version(v)
    assert "轮询发现的修改" in r.get("/documents/a/")[2]


def test_a_save_the_watcher_missed_is_found_once_idle(make_site, running):
    site = small_site(make_site)
    site.document("b", body="乙的第一版。\n")
    r = running(site)
    v = r.preview.version
    r.watcher.observer.stop()                  # from now on, no events at all
    r.watcher.observer.join(timeout=5)
    a = site.document("a", body="甲的第二版。\n")
    site.document("b", body="乙的第二版。\n")
    # the watcher heard of a only: the rebuild probes a's folder and trusts b's
    with r.watcher.lock:
        r.watcher.paths.add(str(a.resolve()))
    r.watcher.last_event = time.monotonic()
    r.watcher.pending.set()
    v = r.wait_version(v)
    assert "甲的第二版" in r.get("/documents/a/")[2]
    assert "乙的第一版" in r.get("/documents/b/")[2]
    # once the editor is idle, every folder is probed: b's change is found and built
    r.wait_version(v)
    assert "乙的第二版" in r.get("/documents/b/")[2]
    assert not r.watcher.unverified


def test_ignored_paths(tmp_path):
    root = tmp_path
    assert ignored(str(root / "content/documents/a/.index.md.swp"), root)
    assert ignored(str(root / "content/documents/a/#index.md#"), root)
    assert ignored(str(root / "output/index.html"), root)
    assert ignored(str(root / ".git/HEAD"), root)
    assert ignored(str(root / "content/permalinks.lock"), root)
    assert not ignored(str(root / "content/documents/a/index.md"), root)
    assert not ignored(str(root / "config.yaml"), root)
    assert not ignored(str(root / "templates/base.html"), root)


@pytest.mark.browser
def test_browser_sees_edits_and_errors_without_reloading_by_hand(make_site, running):
    from playwright.sync_api import sync_playwright
    site = small_site(make_site)
    r = running(site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(r.base + "documents/a/")
        assert "第一版正文" in page.locator(".doc-body").inner_text()
        site.document("a", front="title: 文件a\ndisclosure: 主动公开\nattachments:\n  - {title: 附件, file: 附件.pdf}\n",
                      body="浏览器里出现的新文字。\n")
        page.wait_for_function("document.querySelector('.doc-body').innerText.includes('浏览器里出现的新文字')",
                               timeout=10000)
        (site.root / "content/documents/a/index.md").write_text("---\ntitle: [坏\n---\n", encoding="utf-8")
        page.wait_for_selector("#gongkai-error", timeout=10000)
        panel = page.locator("#gongkai-error")
        assert panel.get_attribute("role") == "alert"
        assert "content/documents/a/index.md:2" in panel.inner_text()
        assert "浏览器里出现的新文字" in page.locator(".doc-body").inner_text()   # last good version below
        site.document("a", body="修好了。\n")
        page.wait_for_function("!document.getElementById('gongkai-error') && "
                               "document.querySelector('.doc-body').innerText.includes('修好了')", timeout=10000)
        browser.close()


def test_stop_waits_for_the_rebuild_under_way(make_site, running):
    site = make_site()
    site.document("a")
    r = running(site)
    before = r.preview.version
    site.document("a", body="停止前的修改。\n")
    deadline = time.monotonic() + 10
    while not r.watcher.pending.is_set() and r.preview.version == before and time.monotonic() < deadline:
        time.sleep(0.005)
    r.watcher.stop()                                   # while the save is being rebuilt
    assert not r.watcher.thread.is_alive()
    # nothing runs after stop: a later save is not picked up
    version = r.preview.version
    site.document("a", body="停止后的修改。\n")
    time.sleep(0.3)
    assert r.preview.version == version


def test_event_streams_end_when_the_server_stops(make_site, running):
    # An open page keeps an event stream (and its server thread) waiting for rebuilds;
    # stopping the server ends it instead of leaving the thread sending keep-alives.
    site = make_site()
    site.document("a")
    r = running(site)
    conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=5)
    conn.request("GET", "/__gongkai__/events")
    stream = conn.getresponse()
    assert stream.fp.readline().startswith(b"data: ")      # the current build version
    handlers = [t for t in threading.enumerate() if "process_request" in t.name and t.is_alive()]
    assert handlers
    started = time.monotonic()
    r.stop()
    for t in handlers:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in handlers)
    assert time.monotonic() - started < 4                  # not the 15 s keep-alive wait
    conn.close()


def test_preview_starts_from_the_last_build(make_site, running):
    # After a cached `gongkai build`, the preview takes that build's pages over from
    # output/ instead of rendering the site again: nothing is rendered at start, every
    # address answers with the bytes of a preview that renders everything, an edit
    # renders what it renders there, and output/ is left as it was. A page of output/
    # changed by hand, or another drafts setting, and the preview renders everything.
    from generator.build import build_site
    from generator.incremental import outputs_equal
    from test_build import tree_digest
    site = make_site()
    for i in range(3):
        site.document(f"d{i}", body=f"第{i}号文件的正文。\n")
    output = site.root / "output"
    build_site(site.root, output, cache=True)
    before = tree_digest(output)
    fresh = Preview(site.root, from_cache=False)
    fresh.rebuild()
    assert fresh.builder.rendered > 3
    started = running(site)
    assert started.preview.builder.rendered == 0
    assert outputs_equal(started.preview.outputs, fresh.outputs) == []
    status, _, body = started.get("/documents/d1/")
    assert status == 200 and "第1号文件的正文" in body and "/__gongkai__/events" in body
    version = started.preview.version
    site.document("d1", body="改过的正文。\n")
    started.wait_version(version)
    fresh.rebuild()
    assert started.preview.builder.rendered == fresh.builder.rendered >= 1
    assert "改过的正文" in started.get("/documents/d1/")[2]
    deadline = time.monotonic() + 10
    while started.preview.builder.search_stale and time.monotonic() < deadline:
        time.sleep(0.02)
    assert outputs_equal(started.preview.outputs, fresh.outputs) == []
    assert tree_digest(output) == before
    drafts = Preview(site.root, drafts=True)
    drafts.rebuild()
    assert drafts.builder.rendered > 3
    page = output / "documents" / "d0" / "index.html"
    page.write_bytes(page.read_bytes() + b"\n")
    by_hand = Preview(site.root)
    by_hand.rebuild()
    assert by_hand.builder.rendered > 3


def test_idle_collection_runs_every_so_many_builds(make_site, monkeypatch):
    # A full collection walks the whole site (over a second at 10,000 documents, the
    # server waiting) to free the ~160 objects an edit leaves: only every TIDY_EVERY.
    import gc

    import generator.serve as serve
    monkeypatch.setattr(serve, "TIDY_EVERY", 3)
    site = small_site(make_site)
    preview = Preview(site.root)
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or 0)
    for n in range(1, 7):
        preview.rebuild()
        preview.tidy()
        assert len(collections) == n // 3
