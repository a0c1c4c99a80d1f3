"""``gongkai build --watch``: keep ``output/`` up to date as files are saved.

A one-off ``gongkai build`` after an edit starts a process and reads the build cache
back before it does anything (at 10,000 documents, 2 of an edit's 5 s). A process that
stays up keeps the :class:`~generator.incremental.Builder` in memory, as the preview
server does, and after each save writes to ``output/`` only what changed:

- The first build is the command line's, through the build cache (nothing to do when
  nothing changed). Its Builder is kept; later builds are the preview server's
  incremental ones, driven by the same :class:`~generator.serve.Watcher`, with the same
  checks as the command line's build (every problem with file and line, the link check,
  ``--strict``). A build with errors writes nothing: ``output/`` stays as it was.
- What is written is found by comparing each output with what this process last wrote
  or found in ``output/`` (:meth:`Publisher._publish`): by identity first, then by
  SHA-256, so an unchanged page is neither read nor written. Each file is replaced
  atomically, under the same ``.gongkai-writing`` marker and manifest as the command
  line's in-place update, so a process killed while writing leaves a folder that the
  next build rewrites whole.
- The search index follows the pages at once (no browser tab waits here).
- The build cache is saved once the editor is idle (and on Ctrl+C), so that a later
  ``gongkai build`` has nothing to do; until then it would simply build what changed.
- The site's cache lock is held while it runs: a ``gongkai build`` beside it stops with
  a message instead of waiting (:class:`~generator.buildcache.Busy`).
"""
from __future__ import annotations

import gc
import hashlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import jinja2

from .build import build_site, check_links
from .buildcache import BuildCache, Inputs, read_manifest
from .collector import collect_frozen, no_gc
from .incremental import Builder
from .linkcheck import recheck_links
from .permalinks import LEDGER, write_ledger
from .problems import BuildFailed, Problem, Problems
from .segmentshelf import SHELF_DIR, give_back
from .serve import TIDY_EVERY, Watcher
from .sourcelisting import Listing, input_files, stat_key, template_folders
from .writer import (MANIFEST, WRITING, Kept, ManifestText, StaleOutput, content_bytes, remove_output,
                     replace_file, write_manifest)

SAVE_AFTER = 1.0        # seconds without a save before the build cache is written


class Publisher:
    """Builds what the :class:`~generator.serve.Watcher` reports into ``output/``."""

    def __init__(self, site_dir: Path, output_dir: Path | None = None, drafts: bool = False,
                 strict: bool = False, verbose: bool = False):
        self.root = site_dir.resolve()
        self.output_dir = (output_dir or self.root / "output").absolute()
        self.drafts, self.strict, self.verbose = drafts, strict, verbose
        self.cache = BuildCache(self.root, self.output_dir, (drafts, strict))
        # A Builder that has built nothing: the watcher asks it what changed (always
        # "everything") until the first good build through the cache replaces it.
        self.builder = Builder(self.root, drafts=drafts)
        self.through_cache = True          # the next build goes through the cache
        self.known: Inputs | None = None   # the cache's record as last read or saved
        self.manifest: dict[str, str] = {}                 # output/'s manifest, as written
        self.text: ManifestText | None = None               # … with its lines (see _publish)
        self.published: dict | None = None  # the outputs the last publish wrote, all shown
        self.written: dict[str, tuple[int, int, int]] = {}  # … its files' stats
        self.shown: dict[str, object] = {}  # output path → the content last written or found
        self.problems: list[Problem] = []  # the last good build's messages
        self.ours: set[str] = set()        # sources written by the builds (the ledger)
        self.unsaved = 0                   # time_ns a build not in the cache began (0: none)
        self.version = 0                   # builds tried
        self.last_seconds = 0.0            # the last build's pages, until written
        self.last_search_seconds = 0.0     # the last search index, until written
        self.last_written = 0              # files the last build or index wrote
        self.last_end = 0.0                # monotonic time the last build ended
        self.grace = 0.0                   # no browser tab to wait for (see Watcher)
        self.marked = False                # output/ holds the .gongkai-writing marker
        self.held = False                  # the builder's last build failed its checks
        self.untidy = 0

    # ------------------------------------------------------------ builds
    def rebuild(self, refresh_search: bool = True, hints: set[str] | None = None) -> bool:
        """Build and write what changed; print the problems, or what was written.
        ``hints``: the files the watcher saw written (see :meth:`Builder.build`)."""
        start = time.perf_counter()
        began = time.time_ns()
        self.version += 1
        problems = Problems(self.root)
        summary = None
        try:
            if self.through_cache:
                summary = self._build_through_cache(problems)
            else:
                try:
                    self._update(problems, hints)
                    self.unsaved = began
                except StaleOutput:
                    # a file where a folder must now go, or the reverse: written afresh
                    problems = Problems(self.root)
                    summary = self._build_through_cache(problems)
        except BuildFailed as failed:
            self._failed(failed.problems)
            return False
        except OSError as e:
            print(f"{e.filename or self.output_dir}: 错误: 无法写入输出文件夹：{e.strerror or e}\n"
                  "    提示: 检查磁盘空间和这个文件夹的写入权限；保存任一文件后重试"
                  "（中断的更新会整体重写）。", file=sys.stderr)
            self.through_cache = True
            return False
        finally:
            self.last_end = time.monotonic()
        self.problems = list(problems.items)
        self.last_seconds = time.perf_counter() - start
        self._print(problems)
        if summary is None:
            summary = (f"第 {self.version} 次生成：重新生成 {self.builder.rendered} 个页面，"
                       f"写入 {self.last_written} 个文件，用时 {self.last_seconds * 1000:.0f} 毫秒")
        print(summary, file=sys.stderr)
        # as the preview does: what the build made lives until the next one (see Preview.rebuild)
        gc.freeze()
        self.untidy += 1
        if refresh_search:
            self.refresh_search()
        return True

    def _build_through_cache(self, problems: Problems) -> str:
        """The command line's build; then its Builder, or the cache's when nothing
        changed, is kept, pointing at output/. Returns what the command line says."""
        keep: list = []
        result = build_site(self.root, self.output_dir, drafts=self.drafts, problems=problems,
                            strict=self.strict, cache=True, keep=keep)
        builder = None
        if keep:
            builder, cache = keep[-1]
            builder = self.cache.point_at_output(builder)
            self.cache.store = cache.store          # saved to next: appended to, not rewritten
        known = self.cache.inputs()
        if builder is None and known is not None:
            builder = self.cache.builder()          # nothing to build: the record's own
        if result.site is None:
            said = f"没有变化：网站仍是上次生成的 {known.figures[0] if known else 0} 个页面"
        else:
            again = ("" if result.rendered is None or result.rendered == result.pages
                     else f"（重新生成 {result.rendered} 个）")
            said = f"已生成 {result.pages} 个页面{again}、{result.files} 个文件"
        said = f"第 {self.version} 次生成：{said}，用时 {result.seconds:.2f} 秒"
        if builder is None or known is None or known.manifest != stat_key(self.output_dir / MANIFEST):
            # the cache could not be written (a message said so) or is not this output/'s:
            # every build goes through the command line's path until it can be
            self.through_cache = True
            return said
        builder.keep_frozen, builder.once, builder.stage = True, False, None
        builder.shelf = self.cache.dir / SHELF_DIR
        self.builder, self.known, self.through_cache = builder, known, False
        self.manifest, self.written = read_manifest(self.output_dir), dict(known.written)
        self.shown, self.ours, self.unsaved, self.marked, self.held = {}, set(), 0, False, False
        self.published = None
        self._warm_up()
        return said

    def _warm_up(self) -> None:
        """A rebuild that takes nothing as changed, and the templates compiled: what a
        first edit after the cache is read would do once (1.35 s against 0.6 s at
        10,000 documents: the site planned and compared, output paths checked for
        conflicts, links unpacked, every output looked at once) is done before the
        watcher starts. Saves made meanwhile are found then (see watch)."""
        try:
            self._update(Problems(self.root), hints=set())
            env = self.builder.env
            if env is not None:
                # every template, with those the pages' templates extend and include
                for name in env.list_templates(filter_func=lambda n: not n.endswith(".css")):
                    env.get_template(name)
        except (BuildFailed, OSError, StaleOutput, jinja2.TemplateError):
            pass                 # the first real save's build says what is wrong
        finally:
            self.held = False

    def changed_since_build(self) -> set[str] | None:
        """The source files changed since the first build's record (saves made while it
        ran, before the watcher started); None: look at every source."""
        if self.through_cache or self.known is None:
            return None
        return self.cache.changes(self.known, input_files(self.root, template_folders(self.root)))

    def _update(self, problems: Problems, hints: set[str] | None) -> None:
        """An incremental build of what changed, checked as the command line checks it,
        its pages written (the search index follows: :meth:`refresh_search`)."""
        builder = self.builder
        # a build whose outputs are the ones written but for those it changed (a body
        # edit's pages): only those are looked at (65,000 outputs compared: 20-40 ms)
        shown_before = builder.outputs is self.published
        found = builder.build(defer_search=True, hints=hints)
        changed = builder.changed_outputs if shown_before else None
        problems.items.extend(found.items)
        site, outputs = builder.site, builder.last_outputs
        assert site is not None and outputs is not None
        if not self.strict:
            # a broken link is a warning: the pages go out first (0.06 s sooner at
            # 10,000 documents), the warnings are printed with the build's others
            self.last_written = self._publish(builder.outputs, final=not builder.search_stale, changed=changed)
        broken = recheck_links(builder, outputs, self.output_dir, site.config.base_url)
        check_links(site, outputs, problems, self.strict, broken)
        if problems.has_errors():
            # Nothing is written. The builder has moved on, but what is written is found
            # by comparing with self.shown, so the next good build writes these pages
            # too; until then its outputs are not written, not even its search index.
            self.held = True
            raise BuildFailed(problems)
        if self.strict:
            self.last_written = self._publish(builder.outputs, final=not builder.search_stale, changed=changed)
        self.held = False
        if site.addresses is not None and site.addresses.ledger_changed and not self.drafts:
            write_ledger(site.root / "content", site.addresses.ledger)
            # our own write, recorded as it is when the cache is saved (BuildCache.save)
            ledger = str(site.root / "content" / LEDGER)
            self.ours.add(ledger)
            builder.cache.stamps.entries.pop(ledger, None)

    def refresh_search(self, cancel: Callable[[], bool] | None = None) -> bool:
        """Bring the search index up to date and write it; False if ``cancel()`` turned
        true first (a newer save is waiting)."""
        builder = self.builder
        if self.through_cache or self.held or not builder.search_stale:
            return True
        start = time.perf_counter()
        # the outputs the refresh starts from, when they are what the last publish wrote
        base = self.published if builder.outputs is self.published else None
        outputs = builder.refresh_search(cancel)
        if outputs is None:
            return False
        # then only the index's files that are not the very objects written are looked
        # at, rather than all 65,000 outputs (10,000 documents): those the refresh made
        # (the others it took from the outputs it started from), with the SHA-256 it
        # took of them (hashing the term files' 33 MB again was 20 ms of an edit)
        made = builder.search_made or {}
        changed = None if base is None else list(made)
        try:
            written = self._publish(outputs, changed=changed, digests=made.get)
        except (OSError, StaleOutput) as e:
            print(f"{self.output_dir}: 错误: 搜索索引没有写入：{e}；保存任一文件后重试。", file=sys.stderr)
            self.through_cache = True
            return False
        self.last_search_seconds = time.perf_counter() - start
        print(f"搜索索引已更新：写入 {written} 个文件，用时 {self.last_search_seconds * 1000:.0f} 毫秒",
              file=sys.stderr)
        return True

    # ------------------------------------------------------------ writing
    def _publish(self, files: dict, final: bool = True, changed: list[str] | None = None,
                 digests: Callable[[str], str | None] = lambda rel: None) -> int:
        """Make output/ hold ``files``; returns how many files were written or removed.
        An output is looked at only when its content is not the very object last
        written (or found in output/), and written only when its bytes differ.
        ``changed``: when ``files`` is what the last publish wrote but for these paths,
        only they are looked at. ``digests(path)``: the SHA-256 of a file's bytes, when
        known already (else None: it is hashed here).

        Not ``final`` (the pages, with the search index to follow): the manifest is
        written, and the ``.gongkai-writing`` marker removed, only by the publish that
        follows; the manifest of 65,000 files takes 0.05 s to write, a tenth of an
        edit. A process stopped between the two leaves the marker, and the next build
        writes output/ afresh. The manifest is kept with its lines (ManifestText): only
        the changed files' are made again."""
        out = self.output_dir
        prefix = os.path.join(out, "")
        shown, written = self.shown, self.written
        self.published = None                 # until every file of ``files`` is shown
        if self.text is None or self.text.entries is not self.manifest:
            self.text = ManifestText(self.manifest)
        text, manifest = self.text, self.manifest
        # 65,000 outputs, nearly all the very objects last shown: picked out in one
        # comprehension, and the few left looked at (0.03 s a publish in a loop)
        seen = shown.get
        todo = []
        looked = ([rel for rel in changed if seen(rel) is not files[rel]] if changed is not None
                  else [rel for rel, content in files.items() if seen(rel) is not content])
        for rel in looked:
            content = files[rel]
            if (isinstance(content, Kept) and content.path == prefix + rel and rel in written
                    and rel in manifest):
                shown[rel] = content            # the file output/ holds, as recorded
                continue
            todo.append(rel)
        # What is shown is in the manifest, so every output is in it or is new: none of
        # the manifest's is gone when the counts say so (the set difference of 65,000
        # paths was 7 ms)
        new = sum(rel not in manifest for rel in todo)
        gone = manifest.keys() - files.keys() if len(manifest) != len(files) - new else ()
        marker = out / WRITING
        if not todo and not gone and (not final or not self.marked):
            self.published = files
            return 0
        if not self.marked:
            marker.write_bytes(b"gongkai build --watch is updating this folder\n")
            self.marked = True
        count = 0
        try:
            for rel in sorted(todo):
                content = files[rel]
                data = content_bytes(content)
                digest = digests(rel) or hashlib.sha256(data).hexdigest()
                if manifest.get(rel) != digest or rel not in written:
                    written[rel] = replace_file(prefix + rel, data)
                    text.set(rel, digest)
                    count += 1
                shown[rel] = content
            for rel in sorted(gone):
                remove_output(out, rel)
                text.remove(rel)
                written.pop(rel, None)
                shown.pop(rel, None)
                count += 1
            if final:
                write_manifest(out, text)
        except (IsADirectoryError, NotADirectoryError, FileExistsError) as e:
            raise StaleOutput(str(e)) from None
        if final:
            marker.unlink()
            self.marked = False
        # The pages written need not be held: the builder finds them in output/ now
        # (as pages read back from the cache are), so a long session stays its size.
        # ``files`` is the builder's outputs, which its next build may start from (see
        # Builder._build): they point at output/ too.
        pages = self.builder.pages
        for rel in todo:
            entry = pages.get(rel)
            if entry is not None and not isinstance(entry[1], Kept):
                kept = Kept(prefix + rel)
                pages[rel] = (entry[0], kept)
                shown[rel] = kept
                if files.get(rel) is entry[1]:
                    files[rel] = kept
        self.published = files
        return count

    # ------------------------------------------------------------ idle
    def idle(self) -> None:
        """While the editor is idle: save the build cache once the last build is a
        second old (and its search index written), and collect garbage now and then."""
        if time.monotonic() - self.last_end >= SAVE_AFTER:
            self.save()                  # when there is something to save (see there)
        if self.untidy >= TIDY_EVERY:
            collect_frozen()
            self.untidy = 0

    def save(self) -> None:
        """Record the builds since the last save in the build cache, as the command
        line's build records its own: a later ``gongkai build`` then has nothing to do."""
        builder = self.builder
        if (not self.unsaved or self.through_cache or self.held or builder.site is None
                or builder.search_stale):
            return
        # BuildCache.save strips what it saves of all a re-render does not need: a twin
        # sharing the builder's state is stripped, and the builder goes on as it is
        twin = object.__new__(Builder)
        twin.__dict__.update(builder.__dict__)
        size = sum(st[0] for st in self.written.values())
        figures = (len(builder.site.pages), len(self.manifest), size)
        # files the builds did not read are recorded if unchanged since the last began
        listed = Listing(None, self.unsaved, template_folders(self.root))
        with no_gc():          # the collector would walk the whole site meanwhile
            self.cache.save(twin, list(self.problems), figures, dict(self.written), listed,
                            self.known, frozenset(self.ours))
        self.known = self.cache.inputs()
        self.unsaved, self.ours = 0, set()
        # what the edits' search refreshes freed (they no longer trim the heap: 26 ms
        # each) and what the save freed, handed back while the editor is idle: the idle
        # watcher of 10,000 documents was 52 MB larger without it
        give_back()

    def finish(self) -> None:
        """Before the process ends: the search index written and the cache saved."""
        if not self.through_cache and not self.held and self.builder.search_stale:
            self.refresh_search()
        self.save()

    # ------------------------------------------------------------ messages
    def _print(self, problems: Problems) -> None:
        for p in problems.sorted():
            if p.severity != "notice" or self.verbose:
                print(p.format(), file=sys.stderr)

    def _failed(self, problems: Problems) -> None:
        self._print(problems)
        print(f"第 {self.version} 次生成失败：{len(problems.errors)} 个错误，{len(problems.warnings)} 个警告。"
              "没有写入任何文件，output/ 保持上次生成的样子；改正后保存，会自动重新生成。", file=sys.stderr)


def watch(site_dir: Path, output_dir: Path | None = None, drafts: bool = False, strict: bool = False,
          verbose: bool = False, poll: bool = False, ready: threading.Event | None = None,
          stop: threading.Event | None = None) -> Publisher:
    """Build, then watch and write each save's changes until ``stop`` is set (or Ctrl+C);
    the cache is saved before returning. Raises :class:`~generator.buildcache.Busy`
    when another ``build --watch`` holds the site."""
    publisher = Publisher(site_dir, output_dir, drafts=drafts, strict=strict, verbose=verbose)
    stop = stop if stop is not None else threading.Event()
    with publisher.cache.lock(holder="watch"):
        publisher.rebuild()
        watcher = Watcher(publisher, poll=poll)
        watcher.start()
        # saves made while the first build ran had no watcher to hear them
        if not publisher.through_cache:
            changed = publisher.changed_since_build()
            if changed is None or changed:
                watcher.notify(changed or set(), structural=changed is None)
        print(f"网站在：{publisher.output_dir}\n正在监视 content/、templates/ 和 config.yaml："
              "保存后自动更新 output/（按 Ctrl+C 停止）")
        if ready is not None:
            ready.set()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            watcher.stop()
            publisher.finish()
    return publisher


__all__ = ["Publisher", "watch"]
