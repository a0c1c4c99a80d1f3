"""The page plan: which HTML pages a site has, each with its URL and template."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from .pages import Page
from .problems import Problems
from .site import Group, Site

# Long lists are split into pages, so that a page's size (and the cost of re-rendering
# it after an edit) does not grow with the site.
DOCS_PER_PAGE = 50
ROWS_PER_PAGE = 100
HOME_LATEST = 20

LIST_KINDS = {
    # kind: (URL folder, 栏目 name, page title of the index)
    "years": ("years", "按年份", "按年份浏览"),
    "issuers": ("issuers", "按发布机构", "按发布机构浏览"),
    "topics": ("topics", "按主题分类", "按主题分类浏览"),
}


def plan_pages(site: Site, derive: Callable | None = None) -> tuple[Page, ...]:
    """Every HTML page of the site, in a stable order.

    ``derive`` (:meth:`generator.loadcache.LoadCache.derive`) keeps a page of a unit's
    task rows while its unit and rows are the same objects. A unit holds rows of many
    documents, so after a one-document edit most of its pages are then the last build's
    own, and compare unchanged by identity instead of row by row (at 10,000 documents,
    grouping and comparing 100,000 rows was a third of a preview rebuild)."""
    cfg_sources = (site.root / "config.yaml",)
    all_sources = tuple(d.source for d in site.documents) + cfg_sources
    pages: list[Page] = [
        Page("home", "", "home.html", site.config.name, "首页",
             {"latest": site.documents[:HOME_LATEST], "total": len(site.documents)}, all_sources),
    ]
    pages += _paged("documents", "documents/", "list.html", "全部文件", "政府文件", site.documents,
                    DOCS_PER_PAGE, lambda chunk: {"documents": chunk, "heading": "全部文件"}, all_sources,
                    totals={"total": len(site.documents)})
    rel = site.relations
    problems = Problems(site.root)         # planning reports nothing: for derive's sake
    for doc in site.documents:
        pages += document_pages(site, doc, derive, problems, cfg_sources)
    units = [site.units.units[uid] for uid in site.unit_rows]
    scopes: dict[str, list] = {}
    for unit in sorted(units, key=lambda u: (u.scope, u.id)):
        scopes.setdefault(unit.scope, []).append((unit, len(site.unit_rows[unit.id])))
    pages.append(Page("units", "units/", "units.html", "责任单位", "责任单位",
                      {"scopes": tuple((scope, entries[0][0].scope_name, tuple(entries))
                                       for scope, entries in scopes.items())}, all_sources))
    for unit in units:
        rows = site.unit_rows[unit.id]
        keep = None
        if derive is not None:
            # a page is its unit, its rows, its place among the unit's pages, and the
            # unit's totals: nothing else that a later build could change
            keep = (lambda chunk, where, make, u=unit: derive(
                "unit-page", (u, *chunk), where, problems, lambda _: make()))
        pages += _unit_pages(unit, rows, site.unit_documents[unit.id], cfg_sources, keep)
    for kind, groups in (("years", tuple(reversed(site.years))), ("issuers", site.issuers),
                         ("topics", site.topics)):
        folder, column, title = LIST_KINDS[kind]
        undated = tuple(d for d in site.documents if d.year is None) if kind == "years" else ()
        pages.append(Page("groups", f"{folder}/", "groups.html", title, column,
                          {"groups": groups, "folder": folder, "undated": undated}, all_sources))
        for group in groups:
            pages += _group_pages(kind, folder, column, group, cfg_sources)
    pages.append(Page("interpretations", "interpretations/", "interpretations.html", "政策解读", "政策解读",
                      {"interpretations": site.interpretations},
                      tuple(i.source for i in site.interpretations) + cfg_sources))
    for it in site.interpretations:
        docs = rel.documents_of.get(it.id, ())
        pages.append(Page("interpretation", it.url, "interpretation.html", it.title, "政策解读",
                          {"interpretation": it, "documents": docs},
                          (it.source,) + tuple(d.source for d in docs) + cfg_sources))
    for doc in site.withdrawn:
        pages.append(Page("withdrawn", doc.url, "withdrawn.html", doc.title, "政府文件",
                          {"what": "文件", "withdrawn": doc.withdrawn, "note": doc.withdrawn_note},
                          (doc.source,) + cfg_sources))
    for old, (target, title, source) in sorted(site.redirects.items()):
        pages.append(Page("redirect", old, "redirect.html", title, "页面已迁移",
                          {"target_url": target, "target_title": title}, (source,) + cfg_sources))
    pages.append(Page("sitemap", "sitemap/", "sitemap.html", "网站地图", "网站地图", {}, all_sources))
    # 站内搜索: a static page whose program queries the index the build writes (search.py).
    pages.append(Page("search", "search/", "search.html", "站内搜索", "站内搜索", {}, cfg_sources))
    pages.append(Page("404", "404.html", "404.html", "页面未找到", "页面未找到", {}, cfg_sources,
                      absolute_links=True))
    return tuple(pages)


def document_pages(site: Site, doc, derive: Callable | None = None, problems: Problems | None = None,
                   cfg_sources: tuple | None = None) -> tuple[Page, ...]:
    """A document's pages (:func:`_document_pages`), through ``derive`` when given."""
    rel = site.relations
    cfg_sources = cfg_sources if cfg_sources is not None else (site.root / "config.yaml",)
    interps = rel.interpretations_of.get(doc.id, ())
    replaces = rel.replaces.get(doc.id, ())
    rows = site.task_rows.get(doc.id)
    if derive is None:
        return _document_pages(doc, rows, interps, replaces, rel, cfg_sources)
    # A document's pages are its objects' (the very ones while their sources are
    # unchanged): kept, they compare unchanged by identity (see Builder._build).
    inputs = (doc, rows, rel.replaced_by.get(doc.id), rel.current.get(doc.id), *interps, *replaces)
    return derive("document-pages", inputs, f"{len(interps)}|{len(replaces)}",
                  problems if problems is not None else Problems(site.root),
                  lambda _: _document_pages(doc, rows, interps, replaces, rel, cfg_sources))


def _document_pages(doc, rows: tuple | None, interps: tuple, replaces: tuple, rel,
                    cfg_sources: tuple) -> tuple[Page, ...]:
    """A document's page and, when it has a task list, its task table's page."""
    page = Page("document", doc.url, "document.html", doc.title, "政府文件",
                {"document": doc, "rows": rows or (), "interpretations": interps,
                 "replaced_by": rel.replaced_by.get(doc.id), "current": rel.current.get(doc.id),
                 "replaces": replaces},
                (doc.source,) + tuple(i.source for i in interps) + tuple(d.source for d in replaces)
                + cfg_sources)
    if rows is None:
        return (page,)
    caption = (doc.tasks.caption if doc.tasks and doc.tasks.caption else f"{doc.title}任务分工")
    tasks_sources = (doc.source,) + ((doc.tasks.source,) if doc.tasks else ()) + cfg_sources
    return (page, Page("tasks", doc.tasks_url, "tasks.html", caption, "任务分工",
                       {"document": doc, "rows": rows, "caption": caption}, tasks_sources))


def _unit_pages(unit, rows: tuple, docs: int, cfg_sources: tuple, keep=None) -> list[Page]:
    """A unit's pages: its task rows (from ``docs`` documents) grouped by document,
    ROWS_PER_PAGE rows a page."""
    return _paged("unit", unit.url, "unit.html", unit.full_name, "责任单位", rows, ROWS_PER_PAGE,
                  lambda chunk: {"unit": unit, "groups": ByDocument(chunk)},
                  (unit.source,) + cfg_sources, keep=keep, totals={"total": len(rows), "documents": docs})


def _group_pages(kind: str, folder: str, column: str, group: Group, cfg_sources) -> list[Page]:
    label = {"years": f"{group.key}年", "issuers": group.key, "topics": group.key}[kind]
    parent = (f"{folder}/", LIST_KINDS[kind][2])
    return _paged("list", f"{folder}/{group.slug}/", "list.html", f"{label}的文件", column, group.documents,
                  DOCS_PER_PAGE, lambda chunk: {"documents": chunk, "heading": f"{label}的文件", "parent": parent},
                  cfg_sources, totals={"total": len(group.documents)})


def page_bounds(count: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each page of ``count`` items listed newest first, ``size`` a page.

    The bounds are counted from the oldest item: every page but the first holds
    ``size`` items, and the first holds the newest size/2 to 1.5 × size. An item added
    at the newest end (a new document, the usual case) then changes the first page
    only, and every other page keeps its items; only when the first page would pass
    1.5 × size does it give a page's worth to a new second page, which moves the later
    pages down by one (once in ``size`` additions). Counted from the newest item, as
    lists used to be, every addition moved one item across every page boundary: adding
    a document to 10,000 rendered and wrote again 2,300 pages of lists and units."""
    rest = count % size
    first = rest if 2 * rest >= size else rest + size
    if first >= count:
        return [(0, count)]
    return [(0, first)] + [(start, start + size) for start in range(first, count, size)]


def pager_window(number: int, count: int) -> tuple[int | None, ...]:
    """The page numbers a pager shows on page ``number`` of ``count``, None for an
    ellipsis: the first and last pages and two on each side of this one, "…" for a gap
    after the first or before the last. Made here, a few numbers per page: the template
    went through every page number on every page, which grows with the square of a
    list's length (40,000 steps for the 200 pages of 10,000 documents, 4 million for
    100,000)."""
    shown = set(range(max(1, number - 2), min(count, number + 2) + 1)) | {1, count}
    gaps = {n for n in (2, count - 1) if 1 <= n <= count} - shown
    return tuple(n if n in shown else None for n in sorted(shown | gaps))


def _paged(kind: str, url: str, template: str, title: str, column: str, items: tuple, size: int,
           data, sources, keep: Callable | None = None, totals: dict | None = None) -> list[Page]:
    """Pages of ``items`` (newest first) by :func:`page_bounds`: ``url`` for the first,
    ``url + page/N/`` for the rest. ``data(chunk)`` is a page's data. ``totals`` change
    with every item added: they are on the first page only (None on the others), or
    every page would change with them.

    ``keep(chunk, where, make)`` may return an earlier build's page for the same chunk
    (``where``: its number, the number of pages and, on the first page, the totals)
    instead of ``make()``."""
    totals = totals or {}
    chunks = [items[start:end] for start, end in page_bounds(len(items), size)]
    urls = [url] + [f"{url}page/{n}/" for n in range(2, len(chunks) + 1)]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        def make(number: int = number, chunk: tuple = chunk) -> Page:
            # prev/next given, not looked up by a computed key: see incremental._reads_body
            pager = ({"number": number, "count": len(chunks), "urls": tuple(urls),
                      "window": pager_window(number, len(chunks)),
                      "prev": urls[number - 2] if number > 1 else None,
                      "next": urls[number] if number < len(chunks) else None} if len(chunks) > 1 else None)
            page_title = title if number == 1 else f"{title}（第{number}页）"
            return Page(kind, urls[number - 1], template, page_title, column,
                        {**data(chunk), **(totals if number == 1 else dict.fromkeys(totals)),
                         "pager": pager}, sources)
        where = f"{number}/{len(chunks)}"
        if number == 1:
            where += "".join(f"|{value}" for value in totals.values())
        pages.append(make() if keep is None else keep(chunk, where, make))
    return pages


@dataclass(frozen=True)
class ByDocument:
    """Rows grouped by their document, keeping the order: a sequence of (document,
    rows) pairs, as a unit page's template reads ``groups``.

    The grouping is made when a template reads it, and only the rows are kept (and
    written to the build cache): a unit page's pairs were 90 tuples, 180,000 objects
    at 10,000 documents, on pages that are mostly not rendered again. The rows compare
    as any page data does (see :func:`generator.incremental.same`)."""

    rows: tuple

    def _groups(self) -> tuple:
        groups: dict[str, list] = {}
        for row in self.rows:
            groups.setdefault(row.document.id, []).append(row)
        return tuple((rs[0].document, tuple(rs)) for rs in groups.values())

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._groups())

    def __len__(self) -> int:
        return len(self._groups())

    def __getitem__(self, index: int) -> tuple:
        return self._groups()[index]

