"""Incremental rebuilds: parse only changed sources, render only pages whose inputs changed.

The preview server keeps one :class:`Builder` per site. Each rebuild runs the same two
phases as a full build, but

- sources whose bytes are unchanged come from a :class:`LoadCache` (their problems are
  replayed, so messages are the same as in a full build), and work derived from them
  (resolving units, the privacy scan) is reused while the same objects come back;
- a page is re-rendered only when its inputs differ from last time (:func:`same`): its
  identity, its templates (with everything they extend or include), and its data, in
  which cached documents, interpretations, units and task rows compare by identity.

The data a template shows is exactly the page's data plus ``config`` (and ``site`` for
the few templates that use it), so the comparison is complete by construction rather
than by a hand-kept list of dependencies; a change of config starts afresh. The property
test in tests/test_incremental.py checks the result against a full build after random
edits, additions, renames and deletions.
"""
from __future__ import annotations

import dataclasses
import datetime
import gc
import hashlib
import pickle
import time
from pathlib import Path
from typing import Any, Callable

import jinja2
from jinja2 import meta, nodes

from .build import DATA_OUTPUTS, Outputs, after_pages, collect_outputs
from .bodyedit import merge_swaps, swap_bodies
from .cachestore import Roots, pack_map, unpack_map
from .collector import no_gc
from .content.documents import Document
from .content.interpretations import Interpretation
from .content.units import Unit
from .problems import BuildFailed, Problems
from . import opendata, parallel, search, searchfiles
from .pages import Page
from .render import TemplateProblem, make_environment, template_dirs
from .loadcache import LoadCache
from .site import Site, TaskRow, listing, load_site
from .writer import Staged, content_bytes, stager

# Per-site working files (never published, never sources): see generator/stamps.py.
CACHE_DIR = ".gongkai-cache"

# Document fields that only a document's own page shows. A page whose templates never
# name one of them is not re-rendered when only a document's text changed.
# (headings is a property of heading_rows: a template names the one, a document holds the other)
BODY_FIELDS = frozenset({"body_html", "headings", "heading_rows"})


def _reads_body(ast: nodes.Template) -> bool:
    """Whether a template may read a body field: it names one (as an attribute, a key or
    any string, e.g. ``map(attribute=…)``), or looks something up by a computed key."""
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Const)):
        if isinstance(node, nodes.Getattr) and node.attr in BODY_FIELDS:
            return True
        if isinstance(node, nodes.Getitem) and not _arithmetic(node.arg):
            return True
        if isinstance(node, nodes.Const) and node.value in BODY_FIELDS:
            return True
    return False


def _arithmetic(node: nodes.Node) -> bool:
    """A subscript that can only be a number (``pages[n - 1]``), never a field name."""
    if isinstance(node, nodes.Const):
        return not isinstance(node.value, str)
    if isinstance(node, (nodes.Sub, nodes.Div, nodes.FloorDiv)):
        return _arithmetic(node.left) or _arithmetic(node.right)   # never a string
    if isinstance(node, (nodes.Add, nodes.Mul, nodes.Mod)):        # "a" + "b", "a" * 1, "%s" % x
        return _arithmetic(node.left) and _arithmetic(node.right)
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        return True
    return False


def template_closure(env: jinja2.Environment, name: str,
                     parsed: dict[str, tuple] | None = None) -> tuple[str, bool, bool]:
    """Digest of a template and everything it extends or includes; whether it uses
    ``site``; whether it may read a document's body (:data:`BODY_FIELDS`).

    ``parsed``: templates already read and parsed, shared by the calls of one build.
    Every page template extends base.html: parsed again for each of eleven templates,
    it was 0.2 s of a first build, while no other process had work."""
    parsed = {} if parsed is None else parsed

    def read(t: str) -> tuple:
        """(source, file name, templates it names, uses site, reads a body)"""
        if t not in parsed:
            source, filename, _ = env.loader.get_source(env, t)
            ast = env.parse(source)
            parsed[t] = (source, filename, [r for r in meta.find_referenced_templates(ast) if r],
                         "site" in meta.find_undeclared_variables(ast), _reads_body(ast))
        return parsed[t]

    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(read(current)[2])
    h = hashlib.blake2b(digest_size=16)
    uses_site = reads_body = False
    for t in sorted(seen):
        source, filename, _, site, body = read(t)
        h.update(f"{t}\0{filename}\0".encode() + source.encode())
        uses_site, reads_body = uses_site or site, reads_body or body
    return h.hexdigest(), uses_site, reads_body


def _plain(value: Any) -> bytes:
    """``value`` pickled by pickle's own C code: for what holds no stored object."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _pack_pieces(memo: dict) -> tuple[bytes, Roots, Roots]:
    """opendata's memo (``(kind, id, id) → (document, rows, span)``) for pickling: the
    kinds and spans by pickle's own C code, the documents and (non-empty) rows, which
    are stored roots, as two arrays of numbers. As 30,000 little tuples of roots, each
    a root of its own, they were 0.54 s of a 10,000-document build's save, and new ones
    went into the store after every edit of a title."""
    values = memo.values()
    return (_plain([(kind, span, bool(rows)) for (kind, _, _), (_, rows, span) in memo.items()]),
            Roots([doc for doc, _, _ in values]), Roots([rows for _, rows, _ in values if rows]))


def _unpack_pieces(packed: tuple[bytes, list, list]) -> list[tuple]:
    """(kind, document, rows, span) of each piece :func:`_pack_pieces` packed."""
    plain, docs, rows = packed
    more = iter(rows)
    return [(kind, doc, next(more) if has_rows else (), span)
            for (kind, span, has_rows), doc in zip(pickle.loads(plain), docs)]


def same(a: Any, b: Any, body: bool = True) -> bool:
    """Whether two page inputs are certainly equal, cheaply.

    Documents, interpretations, units and task rows come from the load cache and are
    the very same objects while their sources are unchanged, so for them identity is
    the test; everything else (tuples, dicts, groups, strings, dates) compares by value.
    With ``body=False`` (the page's templates never read a body field) a re-read
    document equals the old one when every field but :data:`BODY_FIELDS` is equal, and
    task rows compare by their fields.
    """
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _SCALARS:
        return a == b
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return False
        # long lists of cached objects: most elements are identical, and most others are
        # strings and numbers made again by the planner; both are tested inline (most of
        # a big site's comparisons: a call for each cost a second at 10,000 documents)
        for x, y in zip(a, b):
            if x is not y and not (type(y) is type(x) and x == y if type(x) in _SCALARS else same(x, y, body)):
                return False
        return True
    if isinstance(a, dict):
        if list(a) != list(b):
            return False
        for k, x in a.items():
            y = b[k]
            if x is not y and not (type(y) is type(x) and x == y if type(x) in _SCALARS else same(x, y, body)):
                return False
        return True
    if isinstance(a, Document):
        return not body and all(getattr(a, f) == getattr(b, f) for f in _DOC_COMPARED)
    if isinstance(a, TaskRow):
        # units are the registry's objects: tuples of them compare by identity first
        return (not body and a.task == b.task and a.units == b.units and a.lead_units == b.lead_units
                and a.unit_refs == b.unit_refs and a.lead_refs == b.lead_refs
                and same(a.document, b.document, body))
    if isinstance(a, (Interpretation, Unit)):
        return False
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name), body) for f in dataclasses.fields(a))
    return a == b


def _same_but_body(a: Document, b: Document) -> bool:
    """Whether two documents are equal in every field but the body ones."""
    return a is b or same(a, b, body=False)


# values compared by ==, without looking further
_SCALARS = frozenset({str, int, float, bool, type(None), bytes, datetime.date, datetime.datetime})


# every field of a document but the body ones (front matter is compared through the
# values read from it)
_DOC_COMPARED = tuple(f.name for f in dataclasses.fields(Document) if f.name not in BODY_FIELDS)


def _site_parts(site: Site) -> tuple:
    """What a template can read through ``site``."""
    return (site.documents, site.interpretations, site.withdrawn, site.task_rows, site.redirects)


class Builder:
    """Keeps the last good outputs of a site and rebuilds only what changed."""

    def __init__(self, site_dir: Path, drafts: bool = False):
        self.site_dir = site_dir.resolve()
        self.drafts = drafts
        self.cache = LoadCache()
        self.pages: dict[str, tuple[tuple, bytes]] = {}   # output path -> (inputs, html)
        self.outputs: dict[str, bytes | Path] = {}
        self.rendered = 0                                  # pages rendered by the last build
        # a full build's staging folder: pages are written there as they are rendered
        self.stage: Path | None = None
        self.config_key = ""
        self.templates_key = ""
        self.template_digests: dict[str, tuple[str, bool]] = {}
        self.site_parts: tuple | None = None
        self.data_outputs: dict[str, bytes | Path] = {}
        self.data_memo: dict = {}
        self.data_checks: dict = {}     # size and CRC-32 of the files the memo's pieces are in
        self.search_memo: dict = {}          # search index segments (see searchfiles)
        self.search_prints: dict = {}        # what the display files were made from (ditto)
        self.search_display: list = []       # … segment by segment (searchdisplay, _replay)
        self.search_readings: dict = {}      # pinyin readings of the search vocabulary (ditto)
        self.search_shards: dict = {}        # its segments, shard counts and digests (ditto)
        # where new segments' display data, text and postings go once the index has
        # used them (the build cache's; see generator.segmentshelf): None keeps them
        self.shelf: Path | None = None
        # the process ends after this build (the command line): what it will not need
        # again is let go as soon as it is done with (pypinyin's tables)
        self.once = False
        self.site: Site | None = None
        self.env: jinja2.Environment | None = None
        self.last_outputs = None            # the last build's Outputs (with their origins)
        self.links: dict = {}               # output path -> links and ids (see buildcache)
        self.broken: list = []              # the broken links found by the last build
        self.link_files: frozenset = frozenset()
        self.anchored: frozenset = frozenset()  # pages that links point into with a #fragment
        self.search_stale = False
        self.search_made: dict[str, str | None] | None = None   # see SearchIndex.made
        # the outputs the last build changed (None: not known); builds made, and the one
        # whose links linkcheck.recheck_links checked last
        self.changed_outputs: list[str] | None = None
        self.builds, self.checked_build = 0, -1
        # data_outputs["search"] as that refresh also gave it, by path (see _search_memo)
        self.search_by_path: tuple[list, dict] | None = None
        # the documents swapped in (bodyedit) since the search memo was made: the id of
        # the memo's document → the site's (None: some other change, or not known)
        self.search_swaps: dict[int, Any] | None = None
        self.keep_frozen = False
        self.hints: set[str] | None = None      # this build's (see build)
        self.load_problems: list | None = None  # what loading self.site reported (see bodyedit)

    def build(self, defer_search: bool = False, hints: set[str] | None = None,
              meanwhile: Callable[["Builder", list], None] | None = None) -> Problems:
        """Rebuild; on success replace ``outputs``. Raises :class:`BuildFailed`.

        With ``defer_search`` the previous search index is kept for now (the preview
        shows edited pages first) and :meth:`refresh_search` brings it up to date.
        ``hints``: the files known to have changed since the last build, none created,
        deleted or moved (a file watcher's, or the command line's check); document
        folders outside them are taken to be as the last build read them
        (:meth:`LoadCache.set_hints`; :meth:`missed` checks them).
        ``meanwhile(builder, segments)``: work for this process once the search index
        and the open data are made, while workers may still render pages (the build
        cache stores the parsed sources and ``segments``, the search memo's entries).
        """
        self.cache.set_hints(hints)
        self.hints = hints
        # The sources read stay until the next build: freezing them after loading keeps
        # the cyclic collector from walking millions of objects again and again. Callers
        # that manage frozen objects themselves (preview server, build cache) set
        # ``keep_frozen``; otherwise they are unfrozen when the build is over.
        try:
            return self._build(defer_search, meanwhile)
        finally:
            if not self.keep_frozen:
                gc.unfreeze()

    def _build(self, defer_search: bool,
               meanwhile: Callable[["Builder", list], None] | None = None) -> Problems:
        stamps = self.cache.stamps
        stamps.begin(self.site_dir / CACHE_DIR / "clock")
        config_key = stamps.digest([self.site_dir / "config.yaml"])
        if config_key != self.config_key:
            # Config decides how sources are read and shown (encoding, raw HTML, privacy
            # allowlist, base URL): start afresh.
            self.cache, self.pages, self.site_parts, self.data_memo = LoadCache(stamps), {}, None, {}
            self.data_checks = {}
            self.search_memo, self.search_prints, self.search_readings = {}, {}, {}
            self.search_display = []
            self.search_shards = {}
        problems = Problems(self.site_dir)
        with no_gc(freeze=True):
            # an edit of document bodies only: the last site with the new documents
            swapped = swap_bodies(self.site, self.cache, self.hints, self.load_problems, problems,
                                  _same_but_body, self.template_digests) if config_key == self.config_key else None
            site = swapped if swapped is not None else load_site(self.site_dir, problems, drafts=self.drafts,
                                                                 cache=self.cache)
        loaded = list(problems.items)
        swaps = merge_swaps(self.search_swaps, self.site, site) if swapped is not None else None
        templates = stamps.digest(sorted(p for d in template_dirs(self.site_dir)
                                         for p in d.rglob("*") if p.is_file() and p.suffix != ".css"))
        # a hinted pass looked at few files: the stamps of the others still hold
        stamps.end(keep_unseen=self.cache.hinted)
        self.cache.forget_unused()
        if site is None or problems.has_errors():
            raise BuildFailed(problems)
        templates_same = templates == self.templates_key
        if not templates_same:
            self.templates_key, self.template_digests = templates, {}
            self.env = None
        if self.env is None:
            # Compiled templates are kept while no template file changes (after the build
            # cache is read, only the environment is made again: the digests still hold).
            self.env = make_environment(self.site_dir)
        env = self.env
        parts = _site_parts(site)
        if swapped is not None and self.site_parts is not None:
            # swap_bodies compared the swapped documents but for their bodies, and kept
            # every other object: no need to walk the whole site twice (40 ms at 10,000
            # documents). A body saved unchanged counts as changed: only more work.
            site_same, site_same_but_bodies = False, True
        else:
            site_same = self.site_parts is not None and same(parts, self.site_parts)
            site_same_but_bodies = site_same or (self.site_parts is not None
                                                 and same(parts, self.site_parts, body=False))
        pages: dict[str, tuple[tuple, bytes | Path] | None] = {}
        todo: list[tuple[Page, tuple]] = []
        parsed: dict[str, tuple] = {}
        planned = site.pages
        last = self.site
        if (swapped is not None and templates_same and last is not None and self.pages
                and len(last.pages) == len(planned)):
            # The last site's plan with the swapped documents' pages planned again
            # (bodyedit._replan): every other page is the very Page of the last build,
            # which the loop below keeps as it was (same data, same templates, none of
            # them reads a body through the site: see swap_bodies). Only the new pages
            # are looked at; the loop over 22,800 pages was 80 ms of an edit.
            pages = dict(self.pages)
            planned = [page for page, was in zip(planned, last.pages) if page is not was]
            if any(page.output not in pages for page in planned):
                pages, planned = {}, site.pages         # a page at a new address: all of them
        for page in planned:
            try:
                if page.template not in self.template_digests:
                    self.template_digests[page.template] = template_closure(env, page.template, parsed)
                template_digest, uses_site, reads_body = self.template_digests[page.template]
            except jinja2.TemplateError:
                template_digest, uses_site, reads_body = "", True, True   # rendering reports it
            inputs = (page.kind, page.url, page.template, page.title, page.column,
                      page.absolute_links, template_digest, page.data)
            old = self.pages.get(page.output)
            if (old is not None and template_digest
                    and (not uses_site or (site_same if reads_body else site_same_but_bodies))
                    # a page the plan kept (its data is the very dict): no walk needed
                    and ((old[0][-1] is page.data and old[0][:-1] == inputs[:-1])
                         or same(old[0], inputs, reads_body))):
                # kept with this build's inputs: equal, and the next build then finds the
                # very dict (after a whole load, 800 list pages of 10,000 documents were
                # walked again on every later edit: 40 ms each)
                pages[page.output] = old if old[0][-1] is page.data else (inputs, old[1])
                continue
            pages[page.output] = None                       # rendered below, in page order
            todo.append((page, inputs))
        # Open data and the sitemap depend on the whole site: reuse them when nothing changed.
        reuse = self.data_outputs if site_same else None
        if reuse is None and site_same_but_bodies:
            # open data and sitemap.xml hold metadata and addresses, never body text
            reuse = {k: v for k, v in self.data_outputs.items() if k != "search"}
        stale = False
        if not site_same and defer_search and self.data_outputs.get("search"):
            reuse, stale = {**(reuse or {}), "search": self.data_outputs["search"]}, True
        need_index = reuse is None or "search" not in reuse
        # (its "reuse" walks the index's 42,000 files at 10,000 documents: only when needed)
        search_memo = self._search_memo(swaps) if need_index else {}
        # the pieces of the open data are looked up in the files the last build wrote
        memo = {"old": self.data_memo, "checks": self.data_checks,
                "files": {kind: self.data_outputs.get(path) for kind, path in opendata.PIECED.items()}}
        links: dict = {}

        def make_index():
            return (searchfiles.index_files(site, memo=search_memo, put=stager(self.stage))
                    if need_index else None)

        def then() -> None:
            assert meanwhile is not None
            meanwhile(self, list(search_memo.get("new", self.search_memo).values()))

        try:
            htmls, (index, made) = parallel.render_pages(
                site, [page for page, _ in todo],
                lambda: after_pages(site, make_index, reuse, memo, self.stage, then if meanwhile else None),
                env=env, links=links, stage=self.stage)
        except TemplateProblem as t:
            problems.error(t.path, t.line, t.message, t.hint)
            raise BuildFailed(problems) from None
        for (page, inputs), html in zip(todo, htmls):
            pages[page.output] = (inputs, html)
        rendered = len(todo)
        reuse = {**(reuse or {}), **made}
        if index is not None:
            reuse["search"] = index
        if (swapped is not None and not made and index is None and self.last_outputs is not None
                and all(page.output in self.outputs for page, _ in todo)):
            # Only the swapped documents' own pages are new, at paths they had: the last
            # outputs (as written since: see watchbuild) with those pages in place. No
            # path comes or goes, so none can conflict; the open data, the deferred
            # search index, assets and attachments are as they were (collect_outputs
            # looked at 65,000 outputs again: 50 ms of an edit at 10,000 documents).
            outputs = Outputs(problems)
            outputs.files = dict(self.outputs)
            outputs.files.update((page.output, html) for (page, _), html in zip(todo, htmls))
            outputs.origin.raw = self.last_outputs.origin.raw       # read only
            changed: list[str] | None = [page.output for page, _ in todo]
        else:
            changed = None
            checked = self.last_outputs.files.keys() if self.last_outputs is not None else None
            outputs = collect_outputs(site, problems, rendered_pages={k: v[1] for k, v in pages.items()},
                                      data_outputs=reuse, memo=memo, stage=self.stage, checked=checked)
        if problems.has_errors():
            raise BuildFailed(problems)
        outputs.links = links
        self.config_key = config_key
        self.site_parts = parts
        self.data_outputs = {k: outputs.files[k] for k in DATA_OUTPUTS if k in outputs.files}
        # as collect_outputs added them (a path taken twice is an error, raised above);
        # a deferred index's very list, which _search_memo may know by path already
        search_files = reuse["search"]
        self.data_outputs["search"] = search_files if type(search_files) is list else list(search_files)
        if "new" in memo:
            self.data_memo, self.data_checks = memo["new"], memo["checks_new"]
        self.search_swaps = swaps
        if "new" in search_memo:
            self._keep_search(search_memo)
        self.search_stale = stale
        self.pages = pages
        self.site = site
        self.load_problems = loaded
        self.last_outputs = outputs
        # the last outputs but for these (None: not known), for a caller that wrote them
        self.changed_outputs = changed
        self.builds += 1
        self.outputs = dict(outputs.files)
        self.rendered = rendered
        return problems


    def segments(self) -> list:
        """The search segments the last build kept."""
        return [entry[2] for entry in self.search_memo.values()]

    def unchanged(self, paths: set[str]) -> bool:
        """Whether the last build read every one of these files with their present bytes."""
        if self.site is None:
            return False
        stamps = self.cache.stamps
        for path in paths:
            old = stamps.entries.get(path)
            if old is None:
                return False
            try:
                if stamps.file_digest(path, record=False) != old[1]:
                    return False
            except OSError:
                return False                   # deleted since
        return True

    def missed(self) -> bool:
        """Whether a document folder was added, removed or changed since the last build
        without the build hearing of it (hints that left something out): the preview
        checks once the editor is idle after a hinted build."""
        if self.site is None:
            return False
        folders = set(listing(self.site_dir / "content" / "documents")[0])
        known = {name[1] for name in self.cache.digests if name[0] == "document"}
        return folders != known or bool(self.cache.stale("document"))

    # What the build cache keeps of a Builder that holds no stored object (output paths,
    # display-file prints, pinyin readings): pickled apart as one bytes object, it skips
    # the cache's per-object hook (see cachestore._Writer), 150,000 calls at 10,000
    # documents.
    _PLAIN = ("link_files", "anchored", "search_prints", "search_readings", "data_outputs", "data_checks")

    def __getstate__(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in self._PLAIN}
        state["shelf"], state["once"] = None, False     # set by whoever reads it back (BuildCache)
        # made again by the next index build: 29,000 file names at 10,000 documents
        state["search_display"] = []
        state["search_made"] = state["search_by_path"] = state["search_swaps"] = None
        state["changed_outputs"] = None
        # the search's running totals are summed again by the next build: kept, the
        # site's CJK runs would be 100,000s of objects more in the cache
        # (and the spans of the files edits wrote: this process's, for its next edit;
        # they point into the written files' bytes)
        state["search_shards"] = {k: v for k, v in self.search_shards.items() if k not in ("totals", "spans")}
        # The maps whose values are stored roots go as their keys, pickled apart, and
        # the roots in one array of numbers (cachestore.pack_map). Ids in keys name
        # objects that come back elsewhere: those maps are keyed again on reading.
        state["pages"] = (pack_map({k: inputs for k, (inputs, _) in self.pages.items()}),
                          _plain([html for _, html in self.pages.values()]))
        state["data_memo"] = _pack_pieces(self.data_memo)
        state["search_memo"] = Roots(self.search_memo.values())
        state["links"] = pack_map(self.links)
        state["plain"] = _plain({k: self.__dict__[k] for k in self._PLAIN if k in self.__dict__})
        return state

    def __setstate__(self, state: dict) -> None:
        plain = state.pop("plain")
        inputs, htmls = state.pop("pages")
        data = _unpack_pieces(state.pop("data_memo"))
        self.__dict__.update(state)
        self.__dict__.update(pickle.loads(plain))
        inputs = unpack_map(inputs)
        self.pages = dict(zip(inputs, zip(inputs.values(), pickle.loads(htmls))))
        self.links = unpack_map(self.links)
        # opendata's per-document pieces are keyed by the ids of the document and its rows
        self.data_memo = {(kind, id(doc), id(rows)): (doc, rows, span) for kind, doc, rows, span in data}
        self.search_memo = {searchfiles.memo_key(v): v for v in self.search_memo}

    def _search_memo(self, swaps: dict[int, Any] | None = None) -> dict:
        """What the search index keeps from the last build: its segments, and its display
        files with what they were made from (see :mod:`generator.searchdisplay`);
        ``swaps``: the documents swapped in since (see :func:`~generator.bodyedit.merge_swaps`)."""
        files = self.data_outputs.get("search", ())
        kept = self.search_by_path
        # the map a refresh made of the very same list: the list made into a map again
        # was 17 ms of an edit's refresh at 10,000 documents
        reuse = kept[1] if kept is not None and kept[0] is files else \
            {path: content for path, content in files if not isinstance(content, Staged)}
        return {"old": self.search_memo, "prints": self.search_prints, "display": self.search_display,
                "readings": self.search_readings,
                "shards": self.search_shards, "shelf": self.shelf, "release_pinyin": self.once,
                "reuse": reuse, "swaps": swaps}

    def _keep_search(self, memo: dict) -> None:
        self.search_swaps = {}              # the memo is of this site now
        self.search_memo, self.search_prints = memo["new"], memo["prints_new"]
        self.search_display = memo["display_new"]
        self.search_readings, self.search_shards = memo["readings_new"], memo["shards_new"]

    def refresh_search(self, cancel: Callable[[], bool] | None = None) -> dict[str, bytes | Path] | None:
        """Bring a deferred search index up to date; returns the new outputs.

        ``cancel()`` is polled while the index is built; when it turns true the work is
        abandoned (None is returned, the index stays stale) so that a newer save is not
        kept waiting behind an index that would be out of date anyway.
        """
        self.search_made = None
        if not self.search_stale or self.site is None:
            return self.outputs

        def check() -> None:
            if cancel is not None and cancel():
                raise search.Cancelled
            # let the server's threads answer requests between slices of this work
            time.sleep(0)
        memo = self._search_memo(self.search_swaps)
        try:
            index = searchfiles.build_index(self.site, check, memo)
        except search.Cancelled:
            return None
        files = list(index.files.items())
        self.search_made = index.made
        if "new" in memo:
            self._keep_search(memo)
        # The outputs copied whole, the index's files put in, and the last index's files
        # that are gone deleted, looked for only when the counts say some are: none is
        # when the paths added are as many as the index grew by (a comprehension over
        # 65,000 outputs was a tenth of an edit's refresh at 10,000 documents).
        old = self.outputs
        before = self.data_outputs.get("search", ())
        outputs = dict(old)
        outputs.update(index.files)
        if len(outputs) - len(old) != len(files) - len(before):
            for path in {path for path, _ in before}.difference(path for path, _ in files):
                del outputs[path]
        self.data_outputs["search"] = files
        # (made without ``put``: no file is a writer.Staged)
        self.search_by_path = (files, index.files)
        self.outputs, self.search_stale = outputs, False
        return outputs


def outputs_equal(a: dict[str, bytes | Path], b: dict[str, bytes | Path]) -> list[str]:
    """Paths whose content differs between two output sets (for tests)."""
    return sorted(p for p in set(a) | set(b)
                  if p not in a or p not in b or content_bytes(a[p]) != content_bytes(b[p]))


__all__ = ["Builder", "LoadCache", "outputs_equal", "same", "template_closure"]
