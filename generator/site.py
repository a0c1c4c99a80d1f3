"""The Site: every source loaded and checked, references resolved, pages planned.

``load_site`` is the first of the two phases. It reads config and content, collects
every problem in one pass, resolves unit names and computes every page's URL once. It
writes nothing. The second phase (:mod:`generator.build`) renders and writes.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from . import privacy
from .collector import no_gc
from .config import Config, load_config
from .content.documents import Document, load_document, markdown_converter
from .content.sources import already_read, source_encoding
from .content.tasks import Task
from .content.interpretations import Interpretation, interpretation_sources, load_interpretation
from .content.units import Unit, UnitRegistry, load_units
from .permalinks import LEDGER, Addresses, read_ledger, resolve_addresses
from .relations import Relations, resolve_relations

if TYPE_CHECKING:
    from .loadcache import LoadCache
from .pages import Page
from .problems import Problems

CONTENT_DIR = "content"


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task with its document and its unit names resolved to registry units.

    Slotted: 100,000 rows at 10,000 documents, each without a dict of its own."""

    document: Document
    task: Task
    units: tuple[Unit, ...]
    lead_units: tuple[Unit, ...]
    # (name as published, unit): pages show the published wording and link to the unit
    unit_refs: tuple[tuple[str, Unit], ...] = ()
    lead_refs: tuple[tuple[str, Unit], ...] = ()

    def __reduce__(self):
        # Pickled (build cache) as its fields in order: the default, a dict of field
        # names and values, is seven more objects per row through the cache store's
        # per-object hook (140,000 rows at 10,000 documents)
        # (read back through __init__, which with slots is faster than setting them one by one)
        return TaskRow, tuple(getattr(self, name) for name in _ROW_FIELDS)


_ROW_FIELDS = tuple(f.name for f in fields(TaskRow))


@dataclass(frozen=True)
class Group:
    """Documents sharing a year, issuer or topic, with the page that lists them."""

    key: str            # the value shown: 2024, 济南市历城区人民政府办公室 …
    slug: str
    documents: tuple[Document, ...]


@dataclass
class Site:
    """Everything the render phase needs; built once by :func:`load_site`."""

    root: Path
    config: Config
    documents: tuple[Document, ...]          # published ones, newest first
    withheld: tuple[str, ...]                # ids of documents not published (no text kept)
    units: UnitRegistry
    task_rows: dict[str, tuple[TaskRow, ...]]    # by document id
    unit_rows: dict[str, tuple[TaskRow, ...]]    # by unit id
    years: tuple[Group, ...]
    issuers: tuple[Group, ...]
    topics: tuple[Group, ...]
    pages: tuple[Page, ...] = ()
    unit_documents: dict[str, int] = field(default_factory=dict)   # by unit id: documents with its rows
    problems: Problems | None = field(default=None, repr=False)
    interpretations: tuple[Interpretation, ...] = ()
    relations: Relations = field(default_factory=Relations)
    withdrawn: tuple[Document, ...] = ()            # withdrawn (撤销): only a notice page
    redirects: dict = field(default_factory=dict)   # old url -> (target url, title, source)
    addresses: Addresses | None = None

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)


def load_site(site_dir: Path, problems: Problems, drafts: bool = False,
              cache: "LoadCache | None" = None) -> Site | None:
    """Load and resolve a whole site; None when any error was reported."""
    config = load_config(site_dir, problems)
    # config.yaml decides how the other sources are decoded (source_encoding). Loading
    # makes the site's long-lived objects: the collector waits (builders also freeze
    # them, see generator.collector).
    with source_encoding(config.source_encoding if config else "utf-8"), no_gc():
        return _load_content(site_dir, config, problems, drafts, cache)


def _load_content(site_dir: Path, config: Config | None, problems: Problems,
                  drafts: bool, cache: "LoadCache | None" = None) -> Site | None:
    content = site_dir / CONTENT_DIR
    if not content.is_dir():
        problems.error(content, None, "找不到 content/ 文件夹",
                       "网站文件夹里需要 content/documents/ 存放文档；可运行 `gongkai new site` 生成示例。")
        return None
    # With a cache (preview server, incremental builds) a source whose bytes did not
    # change is not parsed again; its problems are replayed.
    units = _memo(cache, "units", [content / "units"], problems, lambda p: load_units(content, p))
    md = markdown_converter(config.raw_html if config else "escape")
    # Documents are scanned for personal information as they are parsed (see
    # Document.privacy). A change of config starts every cache afresh, so a parsed
    # document's findings are always this scanner's.
    scanner = privacy.site_scanner(config)
    loaded: list[Document] = []
    doc_root = content / "documents"
    folders, strays = listing(doc_root, cache)
    # Parsed in worker processes when there are many to parse (a first build); the loop
    # below then takes each from there, through the cache, in order.
    from .parallel import load_sources
    first = cache is None or not cache.holds("document")
    if first:
        # Nothing parsed yet (a first build): no folder to probe. The process that parses
        # a folder also digests it for the cache, while the files are at hand: 10,000
        # folders probed here first were a second of one CPU before any worker started.
        todo, stamps = folders, cache.stamps if cache is not None else None
    else:
        todo, stamps = [f for f in folders if not cache.has("document", [f])], None
    def parse(folder: Path, problems: Problems) -> tuple:
        """(the document, its digest and stamps): digested first, and parsed from the bytes
        the digest read (a save in between is then seen by the next build)."""
        if stamps is None:
            return load_document(folder, problems, md, scanner), None
        read: dict[str, bytes] = {}
        probed = stamps.probe([folder], read)
        with already_read(read):
            return load_document(folder, problems, md, scanner), probed

    parsed = load_sources(todo, parse, site_dir)
    for folder, ((doc, probed), items) in parsed.items():
        if probed is not None and cache is not None:
            cache.adopt("document", [folder], *probed)
        if doc is not None:
            doc.decode_body()        # here, once: see Document.decode_body
        parsed[folder] = (doc, items)
    for folder in folders:
        doc = _memo(cache, "document", [folder], problems,
                    (lambda p, f=folder: _replay(parsed.pop(f), p)) if folder in parsed
                    else (lambda p, f=folder: load_document(f, p, md, scanner)))
        if doc is not None:
            loaded.append(doc)
    if strays:
        for stray in strays:
            problems.warning(stray, None, "文件直接放在 content/documents/ 下，不会发布",
                             "每个文档用一个文件夹：content/documents/<标识>/index.md。")
    _check_unique_index_numbers(loaded, problems)

    published: list[Document] = []
    withheld: list[str] = []
    unpublished: dict[str, Document] = {}
    withdrawn: list[Document] = []
    for doc in loaded:
        if doc.draft and not drafts:
            problems.notice(doc.source, doc.lines.get("draft"), "草稿，不发布", "发布时删去 draft: true。")
            unpublished[doc.id] = doc
            continue
        if doc.withdrawn and doc.disclosure == "主动公开":
            # A withdrawn document keeps its address with a notice; its text is not shown.
            withdrawn.append(doc)
            continue
        if doc.disclosure != "主动公开":
            # Only 主动公开 documents are ever rendered; the others are dropped here so that
            # no later step (lists, unit pages, open data) can see their text.
            problems.notice(doc.source, doc.lines.get("disclosure"),
                            f"公开属性为“{doc.disclosure}”，不发布到网站")
            withheld.append(doc.id)
            unpublished[doc.id] = doc
            continue
        published.append(doc)
    published.sort(key=lambda d: (-(d.date.toordinal() if d.date else 0), d.id))

    # Issuer and topic addresses are pinyin initials. pypinyin's tables (55 MB) would be
    # inherited by the render workers forked later, which have no use for them: a first
    # build (two pages or more a document) works the names out in a process of its own
    # while this one goes on. Later builds render few pages, in this process: a new
    # name's address is made when its group is (_known_slug).
    known = cache.slugs if cache is not None else {}
    names = sorted({name for doc in published for name in (doc.issuer, doc.topic)
                    if name and name not in known}) if first else []
    from .parallel import aside
    slugs = aside(lambda: {name: _slug(name) for name in names}, 2 * len(published)) if names else dict

    shared: dict = {}
    task_rows = {doc.id: _derive(cache, "rows", (doc, units), "", problems,
                                 lambda p, d=doc: _resolve_tasks(d, units, p, shared))
                 for doc in published if doc.tasks}
    interpretations = []
    for source in interpretation_sources(content):
        it = _memo(cache, "interpretation", [source.parent if source.name == "index.md" else source],
                   problems, lambda p, s=source: load_interpretation(s, p, md))
        if it is None:
            continue
        if it.draft and not drafts:
            problems.notice(it.source, it.lines.get("draft"), "草稿，不发布", "发布时删去 draft: true。")
            continue
        interpretations.append(it)
    interpretations.sort(key=lambda i: (-i.published.toordinal(), i.id))
    # Only what is published is scanned: a withheld document may hold personal data.
    privacy.scan_site(published, (u.source for u in units.units.values()), config, problems,
                      interpretations)
    relations = resolve_relations(tuple(published), unpublished, tuple(interpretations),
                                  config.interpretation_required_types if config else (), problems)
    # the ledger holds every address ever published: parsed again only when it changes
    recorded = _memo(cache, "ledger", [content / LEDGER], problems, lambda p: read_ledger(content, p))
    addresses = resolve_addresses(content, config.base_path if config else "/", published, withdrawn,
                                  interpretations, problems, recorded)
    known.update(slugs())
    if problems.has_errors() or config is None:
        return None
    unit_rows, unit_documents = _rows_by_unit(task_rows, cache.unit_parts if cache is not None else None)
    slug_of = functools.partial(_known_slug, known)
    site = Site(
        root=site_dir, config=config, documents=tuple(published), withheld=tuple(withheld),
        units=units, task_rows=task_rows,
        unit_rows=unit_rows, unit_documents=unit_documents,
        years=_group(published, lambda d: str(d.year) if d.year else None, lambda k: k),
        issuers=_group(published, lambda d: d.issuer, slug_of),
        topics=_group(published, lambda d: d.topic, slug_of),
        problems=problems, interpretations=tuple(interpretations), relations=relations,
        withdrawn=tuple(withdrawn), redirects=addresses.redirects, addresses=addresses,
    )
    from .plan import plan_pages   # the page plan reads the whole Site
    site.pages = plan_pages(site, cache.derive if cache is not None else None)
    return site


def _rows_by_unit(task_rows: dict[str, tuple[TaskRow, ...]], memo: dict | None = None
                  ) -> tuple[dict[str, tuple[TaskRow, ...]], dict[str, int]]:
    """Every unit's task rows (as a lead or a participant), in document order, and the
    number of documents they come from. Runs on every rebuild: 100,000 rows at 10,000
    documents.

    ``memo`` (a :class:`~generator.loadcache.LoadCache`'s ``unit_parts``, replaced on each
    call) keeps each document's rows split by unit while its rows tuple is the same
    object: a rebuild then joins about 40,000 parts instead of placing 100,000 rows
    (80 ms of a 0.5 s preview rebuild at 10,000 documents)."""
    unit_rows: dict[str, list[TaskRow]] = {}
    documents: dict[str, int] = {}
    # Rows share their unit tuples (see _resolve_tasks): the units a row goes to are
    # found once per pair of tuples, not by hashing Unit objects (a dataclass hash of
    # every field) for every row.
    targets: dict[tuple[int, int], list[str]] = {}
    old = memo.copy() if memo is not None else {}
    if memo is not None:
        memo.clear()
    for rows in task_rows.values():
        entry = old.get(id(rows))
        if entry is None or entry[0] is not rows:
            entry = (rows, _unit_parts(rows, targets))
        if memo is not None:
            memo[id(rows)] = entry
        for uid, part in entry[1]:
            found = unit_rows.get(uid)
            if found is None:
                unit_rows[uid] = list(part)
            else:
                found += part
            documents[uid] = documents.get(uid, 0) + 1
    return {k: tuple(v) for k, v in sorted(unit_rows.items())}, documents


def _unit_parts(rows: tuple[TaskRow, ...], targets: dict[tuple[int, int], list[str]]
                ) -> tuple[tuple[str, tuple[TaskRow, ...]], ...]:
    """One document's rows by unit id: (unit id, its rows in order), units as first met."""
    parts: dict[str, list[TaskRow]] = {}
    for row in rows:
        key = (id(row.units), id(row.lead_units))
        ids = targets.get(key)
        if ids is None:
            ids = targets[key] = list(dict.fromkeys(u.id for u in row.units + row.lead_units))
        for uid in ids:
            part = parts.get(uid)
            if part is None:
                parts[uid] = [row]
            else:
                part.append(row)
    return tuple((uid, tuple(part)) for uid, part in parts.items())


def listing(folder: Path, cache: "LoadCache | None" = None) -> tuple[list[Path], list[Path]]:
    """(sub-folders, files) of ``folder``, sorted; both empty when it does not exist.

    One scandir and the entries' types, not a stat per entry: this runs on every
    preview rebuild of sites with thousands of documents. With a cache, an unchanged
    listing gives the last pass's Path objects: making 10,000 paths took 20 ms, and
    new ones hash and print afresh wherever they key a lookup."""
    try:
        with os.scandir(folder) as it:
            entries = sorted((e.name, e.is_dir(), e.is_file()) for e in it)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    if cache is not None:
        last = cache.listings.get(folder)
        if last is not None and last[0] == entries:
            return last[1], last[2]
    dirs = [folder / name for name, is_dir, _ in entries if is_dir]
    files = [folder / name for name, is_dir, is_file in entries if not is_dir and is_file]
    if cache is not None:
        cache.listings[folder] = (entries, dirs, files)
    return dirs, files


def _memo(cache, kind: str, keys: list[Path], problems: Problems, load):
    """``load(problems)``, through the cache when there is one."""
    if cache is None:
        return load(problems)
    return cache.load(kind, keys, problems, load)


def _replay(loaded: tuple, problems: Problems):
    """A source loaded elsewhere (a worker process): its value, its problems reported here."""
    value, items = loaded
    problems.items.extend(items)
    return value


def _derive(cache, kind: str, inputs: tuple, extra: str, problems: Problems, compute):
    """``compute(problems)``, reused by the cache while ``inputs`` are the same objects."""
    if cache is None:
        return compute(problems)
    return cache.derive(kind, inputs, extra, problems, compute)


def _check_unique_index_numbers(docs: list[Document], problems: Problems) -> None:
    seen: dict[str, Document] = {}
    for doc in docs:
        if not doc.index_no:
            continue
        key = doc.index_no.strip()
        if key in seen:
            other = seen[key]
            problems.error(doc.source, doc.lines.get("index_no"), f"索引号 “{key}” 重复",
                           f"{problems.rel(other.source)}:{other.lines.get('index_no')} 已使用这个索引号；"
                           "索引号在全站必须唯一。")
        else:
            seen[key] = doc


def _resolve_tasks(doc: Document, registry: UnitRegistry, problems: Problems,
                   shared: dict | None = None) -> tuple[TaskRow, ...]:
    """The document's tasks with their units resolved. ``shared`` holds one tuple for
    each distinct (name, unit) pair and tuple of units or pairs, for all the documents
    of a load: 100,000 task rows hold a few thousand distinct ones, and a tuple per row
    was 400,000 objects in memory and in the build cache (keyed by the objects' ids: the
    registry's units and the shared pairs live as long as the table)."""
    assert doc.tasks is not None
    shared = {} if shared is None else shared
    path = doc.tasks.source
    scope = doc.unit_scope
    if scope is None:
        if len(registry.scopes) == 1:
            scope = next(iter(registry.scopes))
        else:
            available = "、".join(sorted(registry.scopes)) or "（没有）"
            problems.error(doc.source, 1, "有任务分工表，但没有写 unit_scope",
                           f"在元数据中写 unit_scope: 单位名册名（content/units/ 下的文件名，可选：{available}）。")
            return ()
    elif scope not in registry.scopes:
        problems.error(doc.source, doc.lines.get("unit_scope"), f"找不到单位范围 “{scope}”",
                       f"content/units/{scope}.yaml 不存在；可选：{'、'.join(sorted(registry.scopes)) or '（没有）'}。")
        return ()
    rows = []
    for task in doc.tasks.tasks:
        # rows name the same few combinations of units again and again: each combination
        # is resolved once (0.5 s for 100,000 rows, on one CPU between loading and rendering)
        key = ("row", scope, tuple(task.units), tuple(task.lead_units))
        known = shared.get(key)
        if known is not None:
            rows.append(TaskRow(doc, task, *known))
            continue
        resolved, refs = [], []
        for names in (task.units, task.lead_units):
            found, named = [], []
            for name in names:
                unit = registry.resolve(scope, name)
                if unit is None:
                    close = registry.suggest(scope, name)
                    problems.error(path, task.line, f"责任单位 “{name}” 不在单位名册 content/units/{scope}.yaml 中",
                                   (f"是不是“{'”“'.join(close)}”？" if close else "")
                                   + f"在 content/units/{scope}.yaml 中加上这个单位，或把它作为别名（aliases）加到已有单位。")
                else:
                    found.append(unit)
                    named.append(shared.setdefault((name, id(unit)), (name, unit)))
            units_of = tuple(dict.fromkeys(found))
            resolved.append(shared.setdefault(tuple(map(id, units_of)), units_of))
            refs.append(shared.setdefault(tuple(map(id, named)), tuple(named)))
        rows.append(TaskRow(doc, task, resolved[0], resolved[1], refs[0], refs[1]))
        if len(refs[0]) == len(task.units) and len(refs[1]) == len(task.lead_units):
            shared[key] = (resolved[0], resolved[1], refs[0], refs[1])   # all found: no message to repeat
    return tuple(rows)


def _slug(text: str) -> str:
    """ASCII address part for a Chinese name: pinyin initials, e.g. 区政府办公室 → qzfbgs."""
    # imported when first needed: its tables take 0.2 s to load, and an incremental
    # build whose names are all known (_known_slug) never needs them
    from pypinyin import Style, lazy_pinyin
    letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()
    letters = re.sub(r"[^a-z0-9]", "", letters)
    return letters[:40] or "x"


def _known_slug(known: dict[str, str], text: str) -> str:
    """:func:`_slug`, through the slugs an earlier build made (``LoadCache.slugs``)."""
    slug = known.get(text)
    if slug is None:
        slug = known[text] = _slug(text)
    return slug


def _group(docs: list[Document], key_of, slug_of) -> tuple[Group, ...]:
    groups: dict[str, list[Document]] = {}
    for doc in docs:
        key = key_of(doc)
        if key:
            groups.setdefault(key, []).append(doc)
    out: list[Group] = []
    used: dict[str, str] = {}
    for key in sorted(groups):
        slug = slug_of(key)
        if slug in used:
            # Two names with the same initials: tell them apart by a short hash of the
            # name itself, so the address does not depend on which name came first.
            slug = f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"
        used[slug] = key
        out.append(Group(key, slug, tuple(groups[key])))
    return tuple(out)
