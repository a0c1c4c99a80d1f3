"""The persistent build cache (``.gongkai-cache/``): rebuild only what changed.

``gongkai build`` keeps, beside the site, what the last successful build knew:

``inputs.pickle``
    every source file (content, templates, config) with its ``stat`` and digest
    (:class:`~generator.stamps.Stamps`), the output manifest's ``stat``, the problems
    reported and the figures printed. When no source changed and the output is as we
    left it, the build stops there: a no-op build reads no source and renders nothing.
``builder.pickle`` and ``store.pickle``
    the :class:`~generator.incremental.Builder`: parsed sources by content digest, and
    for every page the inputs it was rendered from. Rendered pages themselves are not
    stored: an unchanged page stays in ``output/`` as the last build wrote it. The bulk
    of it (parsed sources, search segments, page inputs) is in ``store.pickle``, which a
    later build appends to rather than rewrites (:mod:`generator.cachestore`).

Both are keyed by the code version (Gongkai's own files, Python and library versions),
the output folder and the options; anything else, a missing or unreadable cache
included, means a full build. The cache never decides what a page contains, only
whether it must be rendered again, and ``--no-cache`` builds without it; the tests
check that both give byte-identical sites.
"""
from __future__ import annotations

import gc
import os
import pickle
import shutil
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .codeversion import code_version
from .collector import no_gc
from .problems import Problem
from .sourcelisting import Listing, input_files, stat_key, template_folders
from .stamps import Stamps

CACHE_DIR = ".gongkai-cache"
MANIFEST = ".gongkai-manifest.json"      # written into output/ by every build
SEARCH_INDEX = "search/index/"           # generator.search.INDEX_DIR
# Set to a list by a command that ends its process as soon as the build is over
# (cli.run): the Builder is put there instead of freed. Freeing its millions of
# objects one by one only to exit took 0.1-0.2 s of an edit at 10,000 documents.
KEEP_UNTIL_EXIT: list | None = None
# The cache folders whose lock a ``gongkai build --watch`` in this process holds, for
# as long as it runs: its own builds go on under it.
_WATCHED: set[str] = set()


class Busy(Exception):
    """The site's output/ is kept up to date by a ``gongkai build --watch`` (process
    ``pid``): a build beside it would wait for as long as it runs."""

    def __init__(self, pid: str):
        super().__init__(pid)
        self.pid = pid


@dataclass
class Inputs:
    """What ``inputs.pickle`` holds."""

    key: tuple
    files: dict[str, tuple] = field(default_factory=dict)     # Stamps entries
    manifest: tuple[int, int, int] | None = None
    written: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # output file stats
    problems: list[Problem] = field(default_factory=list)
    figures: tuple[int, int, int] = (0, 0, 0)                 # pages, files, bytes


class BuildCache:
    """Reads and writes one site's cache; every failure to read means "no cache"."""

    def __init__(self, site_dir: Path, output_dir: Path, options: tuple):
        self.dir = site_dir / CACHE_DIR
        self.site_dir = site_dir
        self.output_dir = output_dir
        self.key = (code_version(), str(output_dir), options)
        self.store = None            # the cachestore.Store read with the last Builder
        self.inputs_stat = None      # inputs.pickle's stat when inputs() read it

    @contextmanager
    def lock(self, wait: bool = True, holder: str = "build"):
        """One build at a time per site: a second ``gongkai build`` waits for the first
        (cached builds update output/ in place). Yields whether this process holds the
        lock: without ``wait``, only if it was free (see :meth:`settle`). The lock file
        names its holder (process and ``holder``): a build does not wait behind a
        ``gongkai build --watch``, which holds the lock until stopped, but raises
        :class:`Busy`. Taken again in the process of a watch that holds it, it is simply
        held (the watch's own builds)."""
        try:
            import fcntl
        except ImportError:                   # not POSIX: no lock (a build goes on anyway)
            yield wait
            return
        key = str(self.dir)
        if key in _WATCHED:
            yield True
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "lock", "a+b") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if not wait:
                    yield False
                    return
                f.seek(0)
                who = f.read(100).decode("ascii", "replace").split()
                if who[1:2] == ["watch"]:
                    raise Busy(who[0]) from None
                print("（另一个构建正在进行，等它结束……）", file=sys.stderr)
                fcntl.flock(f, fcntl.LOCK_EX)
            f.truncate(0)
            f.write(f"{os.getpid()} {holder}\n".encode("ascii"))
            f.flush()
            if holder == "watch":
                _WATCHED.add(key)
            try:
                yield True
            finally:
                _WATCHED.discard(key)
                f.truncate(0)
                fcntl.flock(f, fcntl.LOCK_UN)

    # ---------------------------------------------------------------- reading
    def _load(self, name: str):
        try:
            with open(self.dir / name, "rb") as f, no_gc(freeze=True):   # see builder()
                value = pickle.load(f)
        except Exception:  # noqa: BLE001 - a damaged or foreign cache is no cache
            return None
        return value

    def inputs(self) -> Inputs | None:
        self.inputs_stat = stat_key(self.dir / "inputs.pickle")     # the record as read (see settle)
        value = self._load("inputs.pickle")
        return value if isinstance(value, Inputs) and value.key == self.key else None

    def changes(self, known: Inputs, files: dict[str, os.stat_result],
                taken: dict | None = None) -> set[str] | None:
        """The source files whose bytes changed since the recorded build (empty: nothing
        to do), when ``output/`` is as that build left it and no source was added or
        removed; None otherwise (the build then probes every source). ``files``: the
        input files as they are now, with their stats (:func:`input_files`). ``taken``
        receives every file's stamp as this check took it, when it read any file again
        (racy or touched): kept, later checks need not read those again."""
        if known.manifest is None or stat_key(self.output_dir / MANIFEST) != known.manifest:
            return None
        # a page of output/ edited or removed by hand: build, so the site is ours again.
        # The search index's files (three quarters of a big site's files) are not looked
        # at here: any build that does something compares them with what it produces.
        if not self.output_as_written(known, search_index=False):
            return None
        if len(files) != len(known.files):
            return None
        stamps = Stamps(dict(known.files))
        stamps.begin(self.dir / "clock")
        changed: set[str] = set()
        for path, st in files.items():
            old = known.files.get(path)
            try:
                if old is None:
                    return None
                if stamps.file_digest(path, st) != old[1]:
                    changed.add(path)
            except OSError:
                return None
        if taken is not None and stamps.hashed:
            taken.update(stamps.seen)
        return changed

    def output_as_written(self, known: Inputs, search_index: bool = True) -> bool:
        """Whether ``output/`` holds the files the recorded build wrote, each with its
        size, time and inode, and no update was cut off there; the search index's files
        only with ``search_index``."""
        if (self.output_dir / ".gongkai-writing").exists():
            return False
        prefix = str(self.output_dir) + os.sep
        stat = os.stat
        try:
            for rel, (size, mtime, ino) in known.written.items():
                if not search_index and rel.startswith(SEARCH_INDEX):
                    continue
                st = stat(prefix + rel)
                if st.st_mtime_ns != mtime or st.st_size != size or st.st_ino != ino:
                    return False
        except OSError:
            return False
        return True

    def builder(self):
        """The last build's Builder, its pages pointing at the files in ``output/``."""
        from .cachestore import Store
        from .incremental import Builder
        from .segmentshelf import SHELF_DIR, present
        store = Store(self.dir)
        try:
            # the collector stays off the millions of objects read (build_with_cache
            # unfreezes them when the build is over)
            with open(self.dir / "builder.pickle", "rb") as f, no_gc(freeze=True):
                header = pickle.load(f)
                if not (isinstance(header, tuple) and len(header) == 2 and header[0] == self.key
                        and store.read(header[1])):
                    return None
                builder = store.load_with(f)
        except Exception:  # noqa: BLE001 - a damaged or foreign cache is no cache
            return None
        if not isinstance(builder, Builder):
            return None
        # the search segments' shelved text and postings (generator.segmentshelf) are
        # read when needed: a shelf gone or cut short now means no cache, not a failed
        # build later
        if not present(builder.segments(), self.dir / SHELF_DIR):
            return None
        self.store = store
        return self.point_at_output(builder)

    def point_at_output(self, builder):
        """``builder`` as :meth:`save` left it (what decides a re-render only), its pages
        and data files pointing at the files in ``output/``."""
        from .writer import Kept
        # the folder joined once, not for each of 22,800 pages (34 ms -> 11 ms)
        prefix = os.path.join(self.output_dir, "")
        builder.pages = {k: (inputs, Kept(prefix + k)) for k, (inputs, _) in builder.pages.items()}
        builder.data_outputs = {k: (Kept(prefix + k) if k != "search" else [(p, Kept(prefix + p)) for p in v])
                                for k, v in builder.data_outputs.items()}
        return builder

    # ---------------------------------------------------------------- writing
    def store_sources(self, builder, entries: list) -> None:
        """Begin the save of a build's roots with those known before its pages are
        rendered: the parsed sources and ``entries``, the search memo's (see
        :meth:`cachestore.Store.begin`); :meth:`save` finishes it once the build has
        succeeded. Best effort: a failure here is met again, and reported, by save."""
        from .cachestore import Store, source_groups
        from .segmentshelf import SHELF_DIR, shelve, shelve_tables
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            segments = [entry[-1] for entry in entries]
            shelve(segments, self.dir / SHELF_DIR)
            shelve_tables(segments, self.dir / SHELF_DIR)
            if self.store is None:
                self.store = Store(self.dir)
            with no_gc():
                self.store.begin(source_groups(builder.cache.entries.values(), entries, self.store.holds))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            if self.store is not None:
                self.store.abandon()

    def save(self, builder, problems: list[Problem], figures: tuple[int, int, int],
             written: dict[str, tuple[int, int, int]], listed: "Listing",
             known: Inputs | None = None, ours: frozenset[str] = frozenset()) -> None:
        """Record a successful build (best effort: a cache that cannot be written is skipped).
        ``listed``: the input files as the command line's check listed them before the
        build, or, for a build without a check, the time it started (:class:`Listing`);
        ``ours``: files the build itself wrote (the address ledger), recorded as they are."""
        from .cachestore import Store, root_groups
        from .segmentshelf import SHELF_DIR, shelve, shelve_tables, sweep
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            # the store holds segments without their text and postings (see
            # generator.segmentshelf)
            segments = builder.segments()
            shelve(segments, self.dir / SHELF_DIR)
            shelve_tables(segments, self.dir / SHELF_DIR)
            # the pages' bytes are in output/ now: keep only what decides a re-render
            builder.pages = {k: (inputs, None) for k, (inputs, _) in builder.pages.items()}
            builder.data_outputs = {k: (None if k != "search" else [p for p, _ in v])
                                    for k, v in builder.data_outputs.items()}
            builder.outputs, builder.env, builder.last_outputs = {}, None, None
            # the next build plans its own Site; the pages and groups need not be kept
            builder.site = builder.load_problems = None
            # the roots (parsed sources, search segments …) go to the store, where an
            # edit only appends; builder.pickle holds the rest, with the roots as numbers
            if self.store is None:
                self.store = Store(self.dir)
            store = self.store
            tmp = self.dir / f".builder.pickle.tmp-{os.getpid()}"
            try:
                with no_gc():
                    store.save(root_groups(builder, store.holds))
                    with open(tmp, "wb") as f:
                        pickle.dump((self.key, store.state()), f, protocol=pickle.HIGHEST_PROTOCOL)
                        store.dump_with(f, builder)
                tmp.replace(self.dir / "builder.pickle")
            finally:
                tmp.unlink(missing_ok=True)
            sweep(self.dir / SHELF_DIR, segments)
            # A source this build read is recorded as it read it (stat and digest), even
            # if it was saved again since: the next build then sees it changed. Taking
            # its digest now recorded the new bytes as built, and the next build said
            # nothing changed. A file the build did not read (an attachment, a style
            # sheet, a document folder added while it ran) is recorded only if it has
            # not changed since the build started: while its stat is the one the check
            # listed, ctime included (which no copying tool sets back), or, without a
            # check (a first build, listed now), while its ctime is older than the
            # build. Otherwise the next build finds it missing from the record and
            # looks at every source. (A document added during a build was recorded as
            # built, and no later build published it while nothing else changed.)
            if listed.files is None:
                # listed at the end, not at the start: the listing also brings the
                # folders back into the kernel's caches for the next build's check
                # (right after a full build of 10,000 documents, 0.7 s cold, 0.15 s warm)
                listed = Listing(input_files(self.site_dir, listed.dirs), listed.since)
            files = listed.files
            read = builder.cache.stamps.entries
            stamps = Stamps({**(known.files if known is not None else {}), **read})
            stamps.begin(self.dir / "clock")
            for path in [*files, *(ours - files.keys())]:
                if path in read:
                    # the check's stamp of the same bytes, if it took one: a racy stamp
                    # or an old stat the builder carried over is not kept to be read again
                    taken = listed.taken.get(path)
                    entry = read[path]
                    stamps.seen[path] = taken if taken is not None and taken[1] == entry[1] else entry
                    continue
                try:
                    st = os.stat(path)
                except OSError:
                    continue                     # removed meanwhile
                if path not in ours and not listed.unchanged(path, st):
                    continue
                stamps.file_digest(path, st)
            stamps.end()
            self._dump("inputs.pickle", Inputs(self.key, stamps.entries, stat_key(self.output_dir / MANIFEST),
                                               written, problems, figures))
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as e:
            # the site is out already; without a cache the next build is a full one
            self.forget()
            print(f"（构建缓存没有写入：{e}；下次构建会慢一些，网站不受影响）", file=sys.stderr)

    def settle(self, known: Inputs, taken: dict, locked: bool) -> None:
        """Record the stamps a check that found nothing to build took, when the record
        is still ``known`` (as :meth:`inputs` read it) and no build runs (``locked``: this
        process holds the lock; else it is taken only if free). Best effort."""
        try:
            with nullcontext(True) if locked else self.lock(wait=False) as held:
                if held and stat_key(self.dir / "inputs.pickle") == self.inputs_stat:
                    self._dump("inputs.pickle", replace(known, files=taken))
        except (OSError, pickle.PicklingError):
            pass                              # not writable: read again next time

    def _dump(self, name: str, value) -> None:
        tmp = self.dir / f".{name}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f, no_gc():
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.dir / name)

    def forget(self) -> None:
        """Drop the cache (after a build that found it inconsistent with output/)."""
        if self.store is not None:
            self.store.abandon()
        self.store = None
        for name in ("inputs.pickle", "builder.pickle", "store.pickle"):
            try:
                (self.dir / name).unlink()
            except OSError:
                pass
        from .segmentshelf import SHELF_DIR
        shutil.rmtree(self.dir / SHELF_DIR, ignore_errors=True)


@dataclass
class Check:
    """What changed since the last build, as the command line finds it before building."""

    known: Inputs | None               # the last build's record (None: no cache)
    changed: set[str] | None           # see BuildCache.changes
    listed: Listing | None = None      # the files it looked at (None: no record to check)

    @property
    def nothing(self) -> bool:
        """Whether there is nothing to build."""
        return self.known is not None and self.changed == set()


def check_build(site_dir: Path, output_dir: Path, drafts: bool, strict: bool) -> Check:
    """What changed since the last build (no heavy import on this path)."""
    cache = BuildCache(site_dir.resolve(), output_dir.absolute(), (drafts, strict))
    dirs = template_folders(site_dir.resolve())
    return _check(cache, cache.inputs(), site_dir.resolve(), dirs)


def _check(cache: BuildCache, known: Inputs | None, site_dir: Path, dirs: list[Path],
           locked: bool = False) -> Check:
    if known is None:
        return Check(None, None)
    listed = Listing.now(site_dir, dirs)
    check = Check(known, cache.changes(known, listed.files, listed.taken), listed)
    if check.nothing and listed.taken:
        # sources read again (racy or touched) are recorded as found: not read next time
        cache.settle(known, listed.taken, locked)
    return check


def build_with_cache(site_dir: Path, output_dir: Path, drafts: bool, problems, strict: bool,
                     start: float, check: Check | None = None, keep: list | None = None):
    """:func:`generator.build.build_site` through the cache (the command line's build);
    ``check``: what the caller has just found changed (:func:`check_build`); ``keep``
    receives (Builder, BuildCache) of a build that ran, the Builder as the save left it
    and the cache holding the store it was saved to (``build --watch``)."""
    cache = BuildCache(site_dir, output_dir, (drafts, strict))
    with cache.lock():
        return _cached(cache, site_dir, output_dir, drafts, problems, strict, start, check, keep)


def _cached(cache: BuildCache, site_dir: Path, output_dir: Path, drafts: bool, problems,
            strict: bool, start: float, check: Check | None, keep: list | None = None):
    from .build import BuildResult
    from .incremental import Builder
    from .problems import BuildFailed
    from .segmentshelf import SHELF_DIR, ShelfLost
    from .writer import WRITING, StaleOutput, start_staging

    def ready(builder: Builder | None) -> Builder:
        """``builder`` (None: a new one, writing output/ afresh) set up for this build."""
        if builder is None:
            builder = Builder(site_dir, drafts=drafts)
            builder.stage = start_staging(output_dir)
        builder.keep_frozen = True
        builder.shelf = cache.dir / SHELF_DIR
        builder.once = KEEP_UNTIL_EXIT is not None      # see cli.run
        return builder

    dirs = template_folders(site_dir)
    before = len(problems.items)          # what the caller found (a failed try's are dropped)
    known = cache.inputs()
    if (check is None or check.known is None or known is None
            or check.known.manifest != known.manifest or check.known.files != known.files):
        # not checked, or against another record (a build ran meanwhile): check now
        check = _check(cache, known, site_dir, dirs, locked=True)
    if check.nothing:
        # Nothing to do; the messages are the last build's, as a full build would print.
        problems.items.extend(known.problems)
        if strict and problems.has_errors():
            raise BuildFailed(problems)
        return BuildResult(None, output_dir, *known.figures, time.perf_counter() - start, rendered=0)
    # What is read back lives for the whole build: the collector need not look at it
    # again (unfrozen at the end, for callers that build many times in one process).
    try:
        builder = None
        if known is not None and not (output_dir / WRITING).exists():
            builder = cache.builder()
        previous = read_manifest(output_dir) if builder is not None else {}
        builder = ready(builder if builder is not None and previous else None)
        gc.freeze()
        # what the record will hold: the files the check listed, or for a first build
        # those older than its start (see BuildCache.save)
        listed = check.listed if check.listed is not None else Listing(None, time.time_ns(), dirs)
        try:
            # the files changed since the record the builder was saved with: the other
            # document folders are as it read them (see LoadCache.set_hints)
            return _build(cache, builder, known, previous, site_dir, output_dir, drafts, problems,
                          strict, start, listed, check.changed)
        except StaleOutput:
            # output/ was changed by hand since the record: the whole folder is written
            # afresh, through the cache so that the record is made again. (Built without
            # the cache, the record stayed stale and every later build was a full one.)
            del problems.items[before:]
            print("（output/ 在上次构建后被改动过，这次完整构建）", file=sys.stderr)
            builder = ready(None)
            return _build(cache, builder, None, {}, site_dir, output_dir, drafts, problems,
                          strict, start, listed)
        except ShelfLost as lost:
            # a shelf file changed in place since the cache was read (one gone or cut
            # short is found on reading): nothing is written yet, so build afresh
            print(f"（构建缓存中的 {lost.path} 已损坏，改为完整构建；网站不受影响）", file=sys.stderr)
            cache.forget()
            builder = ready(None)
            try:
                return _build(cache, builder, None, {}, site_dir, output_dir, drafts, problems,
                              strict, start, listed)
            except ShelfLost as again:
                # a file this very build wrote cannot be read back: the disk, not the cache
                problems.error(again.path, None, "构建缓存中刚写入的文件读不回来",
                               "检查磁盘空间和文件夹权限，或用 --no-cache 构建。")
                raise BuildFailed(problems) from None
    finally:
        gc.unfreeze()
        if KEEP_UNTIL_EXIT is not None:
            KEEP_UNTIL_EXIT.append(builder)
        if keep is not None and builder is not None:
            keep.append((builder, cache))
        if builder is not None and builder.stage is not None:
            shutil.rmtree(builder.stage, ignore_errors=True)    # left only when the build failed
            builder.stage = None


def _build(cache, builder, known, previous, site_dir, output_dir, drafts, problems, strict,
           start, listed: Listing, hints: set[str] | None = None):
    try:
        return _build_and_save(cache, builder, known, previous, output_dir, drafts, problems, strict,
                               start, listed, hints)
    finally:
        if cache.store is not None:
            cache.store.abandon()       # a save begun while pages rendered, for a build that failed


def _build_and_save(cache, builder, known, previous, output_dir, drafts, problems, strict,
                    start, listed: Listing, hints: set[str] | None):
    from .build import BuildResult, check_links
    from .linkcheck import recheck_links
    from .permalinks import LEDGER, write_ledger
    from .problems import BuildFailed
    from .writer import wait_discarded, write_atomic, write_changes
    try:
        # the parsed sources are stored while workers render (see BuildCache.store_sources)
        found = builder.build(hints=hints, meanwhile=cache.store_sources)
    except BuildFailed as failed:
        problems.items.extend(failed.problems.items)
        raise BuildFailed(problems) from None
    problems.items.extend(found.items)
    outputs = builder.last_outputs
    site = builder.site
    broken = recheck_links(builder, outputs, output_dir, site.config.base_url)
    check_links(site, outputs, problems, strict, broken)
    if problems.has_errors():
        raise BuildFailed(problems)
    manifest_out: dict[str, str] = {}
    written: dict[str, tuple[int, int, int]] = {}
    if previous:
        size = write_changes(output_dir, outputs, previous, known.written, manifest_out, written)
    else:
        size = write_atomic(output_dir, outputs, manifest_out, written)
        builder.stage = None            # swapped in as output/: nothing left to remove
    ours: frozenset[str] = frozenset()
    if site.addresses is not None and site.addresses.ledger_changed and not drafts:
        write_ledger(site.root / "content", site.addresses.ledger)
        # our own write, not an editor's: recorded as it is now (see save), not as read
        ledger = str(site.root / "content" / LEDGER)
        ours = frozenset({ledger})
        builder.cache.stamps.entries.pop(ledger, None)
    figures = (len(site.pages), len(outputs.files), size)
    rendered = builder.rendered
    try:
        # the site replaced by write_atomic is being removed meanwhile
        cache.save(builder, list(problems.items), figures, written, listed, known, ours)
    finally:
        wait_discarded()
    return BuildResult(site, output_dir, *figures, time.perf_counter() - start, rendered=rendered)


def read_manifest(output_dir: Path) -> dict[str, str]:
    import json

    try:
        data = json.loads((output_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


__all__ = ["BuildCache", "Busy", "CACHE_DIR", "Inputs", "build_with_cache", "check_build", "code_version",
           "read_manifest"]
