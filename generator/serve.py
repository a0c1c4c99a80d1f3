"""``gongkai serve``: the preview server. Watch, rebuild what changed, reload the browser.

- The site is built in memory by an incremental :class:`~generator.incremental.Builder`
  and served from that memory: nothing is written to ``output/``, a page is never seen
  half-written, and only the site's own outputs are reachable (no path on disk is ever
  made from a request, so ``..``, encoded slashes and symlinks lead nowhere).
- When the last ``gongkai build`` left its cache and ``output/`` is just as it wrote
  it, the preview starts from that build (:func:`cached_builder`): its unchanged pages
  are served from ``output/`` rather than rendered again (seconds instead of a minute
  for 10,000 documents); what an edit changes is rendered in memory as always.
- watchdog reports saves in ``content/``, ``templates/`` and ``config.yaml``; editor
  temporary files are ignored and bursts of events are coalesced into one rebuild.
  A rebuild probes only the document folders of the files named (all of them after a
  creation, deletion or move); once the editor is idle, every folder is probed once
  and what the watcher missed is rebuilt (:meth:`Watcher._verify`).
- Open pages get a small script (added while serving, never written to ``output/``)
  that listens for rebuilds with server-sent events and reloads; hidden tabs close the
  connection and check again when shown.
- When a rebuild fails, the last good pages stay up and every page shows an accessible
  panel with file, line, message and hint until the next good build.
"""
from __future__ import annotations

import gc
import html
import http.server
import mimetypes
import posixpath
import sys
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from .collector import collect_frozen
from .content.sources import is_editor_temp
from .incremental import Builder
from .problems import BuildFailed, Problem
from .writer import content_bytes

EVENTS = "/__gongkai__/events"
STATE = "/__gongkai__/state"
DEBOUNCE = 0.03                 # seconds of quiet before a rebuild: editors save in bursts
SETTLE = 0.005                  # … after an event that ends a save (close after write, rename)
RELOAD_GRACE = 0.5              # seconds left to the tabs to reload before the search index
TIDY_EVERY = 50                 # builds between two collections of cyclic garbage (see tidy)
IGNORED_NAMES = {"permalinks.lock"}      # written by builds, not by editors
IGNORED_DIRS = {"output", ".git", ".gongkai-cache", "__pycache__", "node_modules", ".venv"}

TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
         ".csv": "text/csv; charset=utf-8", ".xml": "application/xml; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".conf": "text/plain; charset=utf-8",
         ".svg": "image/svg+xml", ".md": "text/plain; charset=utf-8"}

RELOAD_SCRIPT = """<script>/* gongkai serve: live reload (not part of the built site) */
(function(){var v=%(version)d,es=null;function open(){if(es)return;es=new EventSource("%(events)s");
es.onmessage=function(e){if(+e.data!==v)location.reload();};}
function close(){if(es){es.close();es=null;}}
document.addEventListener("visibilitychange",function(){if(document.hidden)close();else{
fetch("%(state)s").then(function(r){return r.text()}).then(function(t){if(+t!==v)location.reload();else open();});}});
if(!document.hidden)open();})();</script>"""


def ignored(path: str, root: Path) -> bool:
    """Editor temporaries, output and version-control files never trigger a rebuild."""
    p = Path(path)
    try:
        rel = p.resolve().relative_to(root)
    except (ValueError, OSError):
        rel = p
    name = p.name
    if any(part in IGNORED_DIRS for part in rel.parts):
        return True
    if name in IGNORED_NAMES or is_editor_temp(name):
        return True
    top = rel.parts[0] if rel.parts else ""
    return top not in ("content", "templates", "config.yaml")


def cached_builder(site_dir: Path, drafts: bool = False) -> Builder | None:
    """The Builder the last ``gongkai build`` kept in ``.gongkai-cache/`` (built with the
    same ``drafts``, into ``output/``), when every file of ``output/`` is still the one
    that build wrote (same size, time and inode): the preview then serves its unchanged
    pages from there. None otherwise: the preview renders the whole site."""
    from .buildcache import BuildCache
    root = site_dir.resolve()
    cache = BuildCache(root, (root / "output").absolute(), (drafts, False))
    known = cache.inputs()
    if known is None or not cache.output_as_written(known):
        return None
    builder = cache.builder()
    if builder is not None:
        # a later ``gongkai build`` may sweep the shelves of segments it no longer
        # keeps while the preview still has them: the preview holds what they hold
        from .segmentshelf import ShelfLost, unshelve
        try:
            unshelve(builder.segments())
        except ShelfLost:
            return None
    return builder


def error_panel(problems: list[Problem]) -> str:
    """The accessible error panel shown over the last good page."""
    items = "".join(
        f"<li><code>{html.escape(p.path)}{':' + str(p.line) if p.line else ''}</code> "
        f"{html.escape(p.message)}{'<br>提示：' + html.escape(p.hint) if p.hint else ''}</li>"
        for p in problems if p.severity == "error")
    return (
        '<section id="gongkai-error" role="alert" aria-labelledby="gongkai-error-title" tabindex="-1" '
        'style="position:relative;z-index:2147483647;margin:0;padding:1rem 1.25rem;background:#fff;'
        'color:#000;border:4px solid #b00000;font:1.05rem/1.6 system-ui,sans-serif;">'
        '<h2 id="gongkai-error-title" style="margin:0 0 .5rem;font-size:1.25rem;color:#900;">'
        '构建失败：下面显示的是上一次成功构建的页面</h2>'
        f'<ol style="margin:0 0 .5rem 1.25rem;padding:0;">{items}</ol>'
        '<p style="margin:0;">改正后保存文件，页面会自动刷新。</p></section>')


class Preview:
    """The state shared by the watcher, the builder and the request handlers."""

    def __init__(self, site_dir: Path, drafts: bool = False, from_cache: bool = True):
        builder = cached_builder(site_dir, drafts) if from_cache else None
        if builder is not None:
            print("从上次构建开始预览：未改动的页面直接取自 output/", file=sys.stderr)
        self.builder = builder or Builder(site_dir, drafts=drafts)
        self.builder.keep_frozen = True       # frozen after each build, collected by tidy()
        self.root = self.builder.site_dir
        self.outputs: dict[str, bytes | Path] = {}
        self.errors: list[Problem] = []
        self.version = 0
        self.changed = threading.Condition()
        self.closed = False                   # the server is stopping: event streams end
        self.last_seconds = 0.0               # the last rebuild's pages
        self.last_search_seconds = 0.0        # the last refresh of the search index
        self.base_path = "/"
        self.untidy = 0                       # builds since the last tidy()
        self.grace = RELOAD_GRACE             # the Watcher's wait between pages and index

    def close(self) -> None:
        """End the pages' event streams (the server is stopping): their threads would
        otherwise wait on, sending keep-alives, for as long as a page stays open."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def rebuild(self, refresh_search: bool = True, hints: set[str] | None = None) -> bool:
        """Build; publish the new outputs (or the errors) and wake the waiting pages.

        The search index, slow on big sites, is brought up to date afterwards; with
        ``refresh_search=False`` the caller does that (:meth:`refresh_search`).
        ``hints``: the files the watcher saw written (see :meth:`Builder.build`)."""
        start = time.perf_counter()
        try:
            # Pages first: the search index (slow on big sites) follows right after.
            problems = self.builder.build(defer_search=True, hints=hints)
            ok, outputs, errors = True, self.builder.outputs, []
            for p in problems.sorted():
                if p.severity == "warning":
                    print(p.format(), file=sys.stderr)
        except BuildFailed as failed:
            ok, outputs, errors = False, self.outputs, [p for p in failed.problems.sorted()]
            for p in errors:
                if p.severity == "error":
                    print(p.format(), file=sys.stderr)
        except Exception as e:  # a bug must not take the preview down; show it in the page
            ok, outputs = False, self.outputs
            errors = [Problem("gongkai", None, "error", f"内部错误：{type(e).__name__}: {e}",
                              "这是 Gongkai 的缺陷，请报告；可先撤销最近的修改。")]
        self.last_seconds = time.perf_counter() - start
        with self.changed:
            self.outputs = outputs
            self.errors = errors
            if ok:
                site = self.builder.site
                self.base_path = site.config.base_path if site else "/"
            self.version += 1
            self.changed.notify_all()
        state = "已更新" if ok else "有错误"
        print(f"第 {self.version} 次生成{state}：重新生成 {self.builder.rendered} 个页面，"
              f"用时 {self.last_seconds * 1000:.0f} 毫秒", file=sys.stderr)
        # A big site holds many objects that live until the next build; leaving them to
        # the cyclic collector made every few rebuilds pause for a full collection
        # (0.25 s on 1,000 documents). Frozen objects are not scanned; the garbage among
        # them is collected by tidy() while the editor is idle, every TIDY_EVERY builds.
        gc.freeze()
        self.untidy += 1
        if ok and refresh_search:
            self.refresh_search()
        return ok

    def idle(self) -> None:
        """What the Watcher does while the editor is idle (every half second)."""
        self.tidy()

    def tidy(self) -> None:
        """Collect cyclic garbage left by earlier builds (call when idle), once every
        TIDY_EVERY builds: a collection walks every object of the site (1.2-1.4 s at
        10,000 documents, the server's threads waiting meanwhile) to free what one edit
        left, about 160 objects."""
        if self.untidy >= TIDY_EVERY:
            collect_frozen()
            self.untidy = 0

    def refresh_search(self, cancel: Callable[[], bool] | None = None) -> bool:
        """Bring the search index up to date after :meth:`rebuild`; False if ``cancel()``
        turned true first (a newer save is waiting: its build comes first)."""
        if not self.builder.search_stale:
            return True
        start = time.perf_counter()
        try:
            outputs = self.builder.refresh_search(cancel)
        except Exception as e:  # noqa: BLE001 - the preview must stay up
            print(f"搜索索引更新失败：{e}", file=sys.stderr)
            return False
        if outputs is None:
            return False
        with self.changed:
            self.outputs = outputs          # no reload: only the search index changed
        self.last_search_seconds = time.perf_counter() - start
        print(f"搜索索引已更新，用时 {self.last_search_seconds * 1000:.0f} 毫秒", file=sys.stderr)
        return True

    def lookup(self, raw_path: str) -> tuple[int, str, bytes | Path | None]:
        """(status, output path, content) for a request path; only known outputs are served."""
        path = urlsplit(raw_path).path
        if "%2f" in path.lower() or "%5c" in path.lower() or "\\" in path or "\0" in path:
            return self._not_found()
        path = unquote(path)
        if self.base_path != "/" and path.startswith(self.base_path):
            path = "/" + path[len(self.base_path):]
        parts = path.split("/")
        if any(part in ("..", ".") for part in parts):
            return self._not_found()
        rel = posixpath.normpath(path).lstrip("/")
        if rel == ".":
            rel = ""
        if rel and not path.endswith("/"):
            if rel in self.outputs:
                return 200, rel, self.outputs[rel]
            if rel + "/index.html" in self.outputs:
                # a folder address without its slash: relative links need the slash
                return 301, self.base_path + rel + "/", None
            return self._not_found()
        key = (rel + "/" if rel else "") + "index.html"
        if key in self.outputs:
            return 200, key, self.outputs[key]
        return self._not_found()

    def _not_found(self) -> tuple[int, str, bytes | Path | None]:
        return 404, "404.html", self.outputs.get("404.html")

    def decorate(self, body: bytes) -> bytes:
        """Add the reload script, and the error panel when the last rebuild failed."""
        text = body.decode("utf-8", "replace")
        extra = RELOAD_SCRIPT % {"version": self.version, "events": EVENTS, "state": STATE}
        if self.errors:
            panel = error_panel(self.errors)
            marker = '<main id="main"'
            if marker in text:
                text = text.replace(marker, panel + marker, 1)
            else:
                text = text.replace("<body>", "<body>" + panel, 1) if "<body>" in text else panel + text
        text = text.replace("</body>", extra + "</body>", 1) if "</body>" in text else text + extra
        return text.encode("utf-8")


def make_handler(preview: Preview):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "gongkai-serve"
        # Headers and body go out in two writes; with Nagle's algorithm the second one
        # waited for the delayed ACK of the first: 40 ms on every style sheet.
        disable_nagle_algorithm = True

        def do_HEAD(self) -> None:  # noqa: N802 (http.server API)
            self._respond(head=True)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == EVENTS:
                return self._events()
            if self.path == STATE:
                return self._send(200, "text/plain; charset=utf-8", str(preview.version).encode())
            self._respond()

        def _respond(self, head: bool = False) -> None:
            status, key, content = preview.lookup(self.path)
            if status == 301:
                self.send_response(301)
                self.send_header("Location", key)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if content is None:
                if preview.errors:
                    body = preview.decorate(b"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                                            b"<title>\xe6\x9e\x84\xe5\xbb\xba\xe5\xa4\xb1\xe8\xb4\xa5</title></head>"
                                            b"<body></body></html>")
                    return self._send(500, TYPES[".html"], body, head)
                return self._send(404, "text/plain; charset=utf-8", "页面未找到".encode(), head)
            try:
                data = content_bytes(content)
            except OSError:
                # a page taken over from output/ (see cached_builder) that was removed or
                # replaced by hand since the preview started
                return self._send(503, "text/plain; charset=utf-8",
                                  "output/ 中的这个文件在预览开始后被删除或改动了；请重新启动 gongkai serve。"
                                  .encode(), head)
            suffix = posixpath.splitext(key)[1].lower()
            ctype = TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
            if suffix == ".html":
                data = preview.decorate(data)
            self._send(status, ctype, data, head)

        def _send(self, status: int, ctype: str, body: bytes, head: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _events(self) -> None:
            """Server-sent events: the build version, sent whenever it changes."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seen = -1
            try:
                while True:
                    with preview.changed:
                        if preview.version == seen and not preview.closed:
                            preview.changed.wait(timeout=15)
                        if preview.closed:
                            return
                        version = preview.version
                    if version != seen:
                        self.wfile.write(f"data: {version}\n\n".encode())
                        seen = version
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    return Handler


class Watcher:
    """watchdog events → one debounced rebuild at a time.

    It drives a :class:`Preview`, or anything with the same few members (``root``,
    ``builder``, ``grace``, ``rebuild``, ``refresh_search``, ``idle``): ``gongkai build
    --watch`` drives a :class:`generator.watchbuild.Publisher`, which writes output/."""

    def __init__(self, preview: Preview, poll: bool = False):
        self.preview = preview
        self.poll = poll
        self.pending = threading.Event()
        self.last_event = 0.0
        self.settle = DEBOUNCE
        self.lock = threading.Lock()
        self.paths: set[str] = set()        # files named by events since the last rebuild
        self.structural = False             # … and whether one created, deleted or moved one
        # Whether a build took the watcher's word for what changed and the folders it
        # did not name have not been checked since (see _loop). True at first: saves
        # made while the first build ran, before the watcher started, had no events.
        self.unverified = True
        self.stopped = threading.Event()

    def start(self) -> None:
        from watchdog import events
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self
        root = self.preview.root

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return      # the file event inside it is what matters
                paths = [event.src_path, getattr(event, "dest_path", "") or ""]
                if all(not p or ignored(p, root) for p in paths):
                    return
                with watcher.lock:
                    if event.is_directory or event.event_type not in ("modified", "closed"):
                        watcher.structural = True        # created, deleted, moved: rebuild
                    watcher.paths.update(p for p in paths if p)
                # a closed-after-write or a rename ends a save: little reason to wait on
                watcher.settle = SETTLE if event.event_type in ("closed", "moved") else DEBOUNCE
                watcher.last_event = time.monotonic()
                watcher.pending.set()

        self.observer = (PollingObserver(timeout=0.25) if self.poll else Observer())
        handler = Handler()
        # Only writes, creations, deletions and moves: without a filter inotify also
        # reports every open and close, and each rebuild's own reading of the sources
        # sent thousands of events through Python (file calls ran 7 times slower).
        kinds = [events.FileModifiedEvent, events.FileCreatedEvent, events.FileDeletedEvent,
                 events.FileMovedEvent, events.FileClosedEvent, events.DirCreatedEvent,
                 events.DirDeletedEvent, events.DirMovedEvent]
        for name in ("content", "templates"):
            if (root / name).is_dir():
                self.observer.schedule(handler, str(root / name), recursive=True, event_filter=kinds)
        self.observer.schedule(handler, str(root), recursive=False, event_filter=kinds)
        self.observer.daemon = True
        self.observer.start()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="gongkai-rebuild")
        self.thread.start()

    def notify(self, paths: set[str], structural: bool = False) -> None:
        """Rebuild as if the watcher had seen ``paths`` written (``structural``: every
        source may have changed)."""
        with self.lock:
            self.paths.update(paths)
            self.structural = self.structural or structural
        self.last_event = time.monotonic()
        self.pending.set()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            if not self.pending.wait(timeout=0.5):
                self._verify()
                self.preview.idle()
                continue
            if self.stopped.is_set():
                break
            # Coalesce a burst of saves (editors write temp files, rename, touch metadata).
            while time.monotonic() - self.last_event < self.settle:
                time.sleep(SETTLE)
            self.pending.clear()
            with self.lock:
                paths, structural = self.paths, self.structural
                self.paths, self.structural = set(), False
            # One save gives several events (truncate, write, close), and some arrive
            # after the rebuild they caused has started: skip a rebuild when every file
            # named has the bytes the last build read.
            if not structural and self.preview.builder.unchanged(paths):
                self.preview.refresh_search(cancel=self._interrupted)
                continue
            # A rebuild probes only the folders of the files named (a folder created,
            # deleted or moved: all of them); _verify() checks the rest once idle.
            self.preview.rebuild(refresh_search=False, hints=None if structural else paths)
            self.unverified = not structural
            # The index follows the pages, once the open tabs have reloaded them (busy
            # with the index, this thread would slow the server's replies); a save
            # arriving meanwhile abandons it and goes first.
            if self.pending.wait(timeout=self.preview.grace):
                continue
            self.preview.refresh_search(cancel=self._interrupted)

    def _verify(self) -> None:
        """Once the editor is idle after builds that trusted the watcher: probe every
        document folder, and rebuild them all if a change was missed (a watcher can
        drop events: a full inotify queue, a folder it could not add a watch for)."""
        if not self.unverified:
            return
        self.unverified = False
        if self.preview.builder.missed():
            print("文件监视漏报了改动：重新检查全部文档", file=sys.stderr)
            with self.lock:
                self.structural = True
            self.pending.set()

    def _interrupted(self) -> bool:
        return self.pending.is_set() or self.stopped.is_set()

    def stop(self) -> None:
        """Stop watching; a rebuild under way is finished first (the site may be about to
        go away, and a half-read site would only print errors)."""
        self.stopped.set()
        self.observer.stop()
        self.pending.set()                 # wake the loop so that it sees the stop
        thread = getattr(self, "thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=60)


def serve(site_dir: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          poll: bool = False, ready: threading.Event | None = None) -> None:
    """Build, watch and serve until interrupted."""
    preview = Preview(site_dir, drafts=drafts)
    preview.rebuild()
    watcher = Watcher(preview, poll=poll)
    watcher.start()
    server = http.server.ThreadingHTTPServer((host, port), make_handler(preview))
    server.daemon_threads = True
    print(f"预览地址：http://{host}:{server.server_address[1]}/  （按 Ctrl+C 停止；保存文件后页面自动刷新）")
    if ready is not None:
        ready.set()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        preview.close()
        watcher.stop()
        server.server_close()
