"""Render pages in worker processes while this process builds the search index.

Rendering is most of a build and every page renders on its own, so pages are split into
chunks rendered by forked workers (they inherit the loaded :class:`~generator.site.Site`:
nothing is pickled on the way in, only the pages' bytes come back). Meanwhile this
process runs the other big piece of work, the search index. The bytes are the ones a
single process renders; a template error is reported for the first failing page in
page order, as a serial build would.

Workers are used only where forking is safe and pays: on a system with ``fork``, with
more than one CPU, no other thread running (the preview server renders in-process),
and enough pages. ``GONGKAI_WORKERS`` overrides the number (1 = no workers).
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from typing import Callable, TypeVar

from .pages import Page
from .render import TemplateProblem, make_environment, render_page
from .site import Site

T = TypeVar("T")
MIN_PAGES = 200          # below this, starting workers costs more than it saves
CHUNK = 64               # pages per task: small enough to balance, large enough to be cheap

_JOB: tuple[Site, list[Page]] | None = None     # inherited by the forked workers
_ENV = None


def workers() -> int:
    """How many worker processes a build may use."""
    wanted = os.environ.get("GONGKAI_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                     # not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def _render_chunk(bounds: tuple[int, int]) -> list[bytes | TemplateProblem]:
    global _ENV
    assert _JOB is not None
    site, pages = _JOB
    if _ENV is None:
        _ENV = make_environment(site.root)
    out: list[bytes | TemplateProblem] = []
    for page in pages[bounds[0]:bounds[1]]:
        try:
            out.append(render_page(_ENV, site, page))
        except TemplateProblem as t:
            out.append(t)
    return out


def render_pages(site: Site, pages: list[Page], meanwhile: Callable[[], T],
                 env=None) -> tuple[list[bytes], T]:
    """(every page's HTML in order, ``meanwhile()``), the pages rendered in workers when
    that pays. Raises the first page's :class:`TemplateProblem`, in page order."""
    global _JOB
    count = workers()
    if count < 2 or len(pages) < MIN_PAGES or not _can_fork():
        env = env if env is not None else make_environment(site.root)
        htmls = [render_page(env, site, page) for page in pages]
        return htmls, meanwhile()
    _JOB = (site, pages)
    # Objects that exist before the fork are never collected by the workers: freezing them
    # keeps the collector from touching (and so copying) the pages they share. The callers
    # (build_site, Builder.build) unfreeze when their build is over.
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(count) as pool:
            bounds = [(i, min(i + CHUNK, len(pages))) for i in range(0, len(pages), CHUNK)]
            pending = pool.map_async(_render_chunk, bounds, chunksize=1)
            extra = meanwhile()
            results = [html for chunk in pending.get() for html in chunk]
    finally:
        _JOB = None
    for html in results:
        if isinstance(html, TemplateProblem):
            raise html
    return results, extra  # type: ignore[return-value]


__all__ = ["render_pages", "workers"]
