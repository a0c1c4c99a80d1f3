"""A rebuild after edits of document bodies only: the last site with the new documents.

A preview or ``gongkai build --watch`` rebuild loads the site again through the load
cache: every source unchanged is the very object it was, but the site is planned again
from them all (addresses, relations, task rows by unit, groups, 22,800 pages at 10,000
documents): 0.35 s of a 0.5 s rebuild, for an edit that most often changes one
paragraph of one document.

When the file watcher's hints name only the ``index.md`` of published documents, and
each re-read document differs from the one it replaces in its body alone (every other
field equal, the same privacy findings) and no problem is reported for it before or
after, the site is the last one with those documents put in its place, and their own
pages planned again (:func:`swap_bodies`). Everything else in the site still holds the
old document objects, whose fields other than the body are the new ones' values; the
pages that show them (lists, unit pages, task tables) read no body field, so they
render the same either way, and the builder compares them so (``same(..., body=False)``).

Anything else (a document with interpretations or replacements, whose other pages read
it; a template that shows bodies in lists; the address ledger written since; a draft or
withheld document; a problem) takes the whole load, as before. The next whole load puts the new objects everywhere.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from . import privacy
from .content.documents import Document, load_document, markdown_converter
from .content.sources import source_encoding
from .pages import Page
from .permalinks import LEDGER
from .problems import Problem, Problems
from .site import CONTENT_DIR, Site

if TYPE_CHECKING:
    from .loadcache import LoadCache


# Pages that hold no document but their own and those related to it (excluded below)
OWN_KINDS = frozenset({"document", "tasks", "interpretation"})


def swap_bodies(site: Site | None, cache: "LoadCache", hints: set[str] | None,
                loaded: list[Problem] | None, problems: Problems, same_but_body,
                templates: dict[str, tuple[str, bool, bool]]) -> Site | None:
    """The last ``site`` with the hinted documents read again, when only their bodies
    changed (see the module); else None, and the caller loads the whole site.

    ``loaded``: the problems the last site's load reported (replayed into ``problems``).
    ``same_but_body(a, b)``: whether two documents are equal but for their bodies.
    ``templates``: the last build's page templates, name → (digest, uses ``site``, may
    read a body), as :func:`generator.incremental.template_closure` gives them.
    The load cache's pass is completed as a whole load would leave it."""
    if site is None or not hints or loaded is None or site.config is None:
        return None
    if not _bodies_read_only_where_swapped(site, templates):
        return None
    ledger = site.root / CONTENT_DIR / LEDGER
    if cache.digests.get(("ledger", ledger)) != cache.stamps.digest([ledger]):
        return None                      # written since (by the watch): read it again
    folder_of = _hinted_folders(site.root, hints)
    if folder_of is None:
        return None
    at = {doc.id: i for i, doc in enumerate(site.documents) if doc.id in folder_of}
    if len(at) != len(folder_of):
        return None                      # not published: a draft, withheld, withdrawn
    folders = {str(site.documents[i].folder) for i in at.values()}
    if any(p.path == f or p.path.startswith(f + os.sep) for p in loaded for f in folders):
        return None                      # its messages would have to change with it
    rel = site.relations
    olds = [site.documents[i] for i in at.values()]
    if _related(rel, olds):
        return None
    config = site.config
    md = markdown_converter(config.raw_html)
    scanner = privacy.site_scanner(config)
    documents = list(site.documents)
    swapped: dict[int, Document] = {}
    with source_encoding(config.source_encoding):
        for doc_id, i in at.items():
            folder = folder_of[doc_id]
            local = Problems(problems.root)
            new = cache.load("document", [folder], local,
                             lambda p, f=folder: load_document(f, p, md, scanner))
            if new is None or local.items or not same_but_body(documents[i], new):
                return None
            swapped[id(documents[i])] = new
            documents[i] = new
    cache.carry_over({("document", folder_of[d]) for d in at})
    problems.items.extend(loaded)
    return dataclasses.replace(site, documents=tuple(documents), problems=problems,
                               pages=_replan(site, swapped, cache))


def _bodies_read_only_where_swapped(site: Site, templates: dict[str, tuple[str, bool, bool]]) -> bool:
    """Whether no page can show a body through an object left in place: no template
    that reads a body is used by a page that may hold other documents (a list showing
    excerpts), or reads ``site`` (whose groups and task rows keep the old objects)."""
    for kind, template in {(page.kind, page.template) for page in site.pages}:
        info = templates.get(template)
        if info is None or not info[0]:
            return False                 # not compiled by the last build: unknown
        _, uses_site, reads_body = info
        if reads_body and (uses_site or kind not in OWN_KINDS):
            return False
    return True


def _hinted_folders(root: Path, hints: set[str]) -> dict[str, Path] | None:
    """Document id → folder for hints that are all ``content/documents/<id>/index.md``."""
    documents = os.path.join(str(root), CONTENT_DIR, "documents")
    out: dict[str, Path] = {}
    for hint in hints:
        folder, name = os.path.split(hint)
        if name != "index.md" or os.path.dirname(folder) != documents:
            return None
        out[os.path.basename(folder)] = Path(folder)
    return out


def _related(rel, docs: list[Document]) -> bool:
    """Whether another page shows any of ``docs`` through the relations (an
    interpretation, a replacement): such a page may read its body."""
    ids = {d.id for d in docs}
    objects = {id(d) for d in docs}
    if any(i in rel.interpretations_of or i in rel.replaces or i in rel.replaced_by or i in rel.current
           for i in ids):
        return True
    shown = [d for d in (*rel.replaced_by.values(), *rel.current.values()) if id(d) in objects]
    return bool(shown) or any(id(d) in objects for docs_ in (*rel.replaces.values(), *rel.documents_of.values())
                              for d in docs_)


def _replan(site: Site, swapped: dict[int, Document], cache: "LoadCache") -> tuple:
    """The site's pages with those of the swapped documents planned again (the very
    plan :func:`generator.plan.plan_pages` makes, through the same memo)."""
    from .plan import document_pages
    pages = list(site.pages)
    cfg_sources = (site.root / "config.yaml",)
    planned: dict[int, dict[str, Page]] = {}       # by the old document: kind → page
    for k, page in enumerate(pages):
        old = page.data.get("document") if page.kind in ("document", "tasks") else None
        if old is None or id(old) not in swapped:
            continue
        if id(old) not in planned:
            made = document_pages(site, swapped[id(old)], cache.derive, None, cfg_sources)
            planned[id(old)] = {p.kind: p for p in made}
        pages[k] = planned[id(old)][page.kind]
    return tuple(pages)


def merge_swaps(known: dict[int, Document] | None, last: Site | None,
                site: Site) -> dict[int, Document] | None:
    """``known`` (the documents swapped in since the search memo was made) with those
    ``site`` swapped into ``last`` (:func:`swap_bodies`: the same
    documents in the same places, but for these). A document swapped before is keyed
    by the memo's object it replaced, which the memo keeps alive."""
    if known is None or last is None or len(last.documents) != len(site.documents):
        return None
    merged = dict(known)
    back = {id(doc): key for key, doc in known.items()}
    for old, new in zip(last.documents, site.documents):
        if old is not new:
            merged[back.get(id(old), id(old))] = new
    return merged


__all__ = ["merge_swaps", "swap_bodies"]
