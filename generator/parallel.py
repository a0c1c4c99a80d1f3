"""Work spread over forked worker processes: loading sources and rendering pages.

Loading documents and rendering pages are most of a build, and each document or page is
done on its own, so they are cut into chunks that forked workers take one at a time
(they inherit the loaded state: nothing is pickled on the way in, only results come
back). This process does the one big piece of work that is not cut up, the search
index (``meanwhile``), and then takes chunks too, so that every CPU is busy until the
last chunk is done. Results are in input order and are those of one process; a
template error is reported for the first failing page in page order, as a serial build
would.

Workers are used only where forking is safe and pays: on a system with ``fork``, with
more than one CPU, no other thread running (the preview server renders in-process),
and enough work. ``GONGKAI_WORKERS`` overrides the number of processes (1 = none).
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, TypeVar

from .linkcheck import PageLinks, parse_page
from .problems import Problem, Problems
from .render import TemplateProblem, make_environment, render_text
from .writer import Staged, stage_or_keep

if TYPE_CHECKING:
    from .pages import Page
    from .site import Site

T = TypeVar("T")
P = TypeVar("P", bound=Hashable)
MIN_PAGES = 200          # below this, starting workers costs more than it saves
CHUNK = 64               # pages per task: small enough to balance, large enough to be cheap
MIN_SOURCES = 100        # the same for loading sources…
SOURCE_CHUNK = 16        # … in chunks of this many

# What the forked workers inherit: the work function, the chunks, and the read end of a
# pipe holding the chunk numbers (see _take).
_TASK: tuple[Callable[[int, int], list], list[tuple[int, int]], int] | None = None
_NUMBER = 4              # bytes per chunk number in the pipe
MAX_CHUNKS = 4096        # numbers a pipe holds before anyone reads (16 KB: macOS's least)


def workers() -> int:
    """How many processes (this one included) a build may use."""
    wanted = os.environ.get("GONGKAI_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                     # not Linux
        return os.cpu_count() or 1


def can_fork(items: int, minimum: int | None = None) -> bool:
    """Whether ``items`` pieces of work (at least ``minimum``, MIN_PAGES unless given)
    are worth, and safe for, worker processes."""
    return (workers() >= 2 and items >= (MIN_PAGES if minimum is None else minimum)
            and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def _take() -> tuple[int, list] | None:
    """Take the next chunk and do it: (chunk number, results), or None when none is left.

    A worker runs one of these per task, so each chunk's results go back as soon as
    they are made: a worker that kept them until the end held its share of a big
    site's parsed documents or page links, and then pickled it all at once (the render
    worker of 10,000 documents grew from 395 to 682 MB)."""
    assert _TASK is not None
    work, bounds, numbers = _TASK
    # The chunk numbers were all written into a pipe before the workers were forked,
    # and each read takes one whole number (the kernel reads a pipe under its lock).
    # Nothing is left locked by a process killed while taking one: the pool terminates
    # every worker when one dies, and a shared counter under a lock hung the build when
    # a worker was terminated holding the lock.
    taken = os.read(numbers, _NUMBER)
    if len(taken) < _NUMBER:            # none left: the write end is closed
        return None
    number = int.from_bytes(taken, "little")
    return number, work(*bounds[number])


def _drain() -> list[tuple[int, list]]:
    """Take chunks until none is left: (chunk number, results) of each."""
    done = []
    while (one := _take()) is not None:
        done.append(one)
    return done


def fork_map(work: Callable[[int, int], list], count: int, chunk: int,
             meanwhile: Callable[[], T] = lambda: None) -> tuple[list, T]:
    """(``work(start, stop)`` for chunks of ``range(count)``, joined in order;
    ``meanwhile()``), the chunks done by forked workers and by this process once
    ``meanwhile`` returns. The caller checks :func:`can_fork` first."""
    global _TASK
    ctx = multiprocessing.get_context("fork")
    chunk = max(chunk, -(-count // MAX_CHUNKS))
    bounds = [(i, min(i + chunk, count)) for i in range(0, count, chunk)]
    numbers, into = os.pipe()
    try:
        try:
            data = memoryview(b"".join(n.to_bytes(_NUMBER, "little") for n in range(len(bounds))))
            while data:
                data = data[os.write(into, data):]
        finally:
            os.close(into)              # before the fork: a reader then sees the end
        _TASK = (work, bounds, numbers)
        # Objects that exist before the fork are never collected by the workers: freezing
        # them keeps the collector from touching (and so copying) the pages they share.
        # The callers (build_site, Builder.build) unfreeze when their build is over.
        gc.freeze()
        helpers = workers() - 1
        with ProcessPoolExecutor(helpers, mp_context=ctx) as pool:
            # a task per chunk, each taking whichever chunk is next (this process takes
            # chunks too once meanwhile() is done): the ones left over return None
            pending = []
            try:
                for _ in bounds:
                    pending.append(pool.submit(_take))
            except BrokenProcessPool:
                pass        # a worker died already: the chunks left are done here
            extra = meanwhile()
            done = _drain()
            for future in pending:
                try:
                    one = future.result()
                except BrokenProcessPool:
                    # A worker died (killed for memory, say): its chunks are done again
                    # here below; the work is deterministic, so the result is the same.
                    continue
                if one is not None:
                    done.append(one)
        finished = {number for number, _ in done}
        for number, (start, stop) in enumerate(bounds):
            if number not in finished:
                done.append((number, work(start, stop)))
    finally:
        _TASK = None
        os.close(numbers)
    done.sort(key=lambda d: d[0])
    return [result for _, results in done for result in results], extra


def render_pages(site: "Site", pages: "list[Page]", meanwhile: Callable[[], T], env=None,
                 links: dict[str, PageLinks] | None = None,
                 stage: Path | None = None) -> tuple[list[bytes | Staged], T]:
    """(every page's HTML in order, ``meanwhile()``), the pages rendered in workers when
    that pays. Raises the first page's :class:`TemplateProblem`, in page order.

    ``links``, when given, receives each page's links and ids (output path →
    :class:`~generator.linkcheck.PageLinks`), read where the page was rendered. With
    ``stage`` (a full build's staging folder) each page is written there by the process
    that rendered it and comes back as :class:`~generator.writer.Staged`: a big site's
    pages are never all held in memory, and are written by every CPU at once."""
    # compiled once here; forked workers inherit it with the rest of the closure
    env = env if env is not None else make_environment(site.root)

    def render(start: int, stop: int) -> list:
        out: list = []
        for page in pages[start:stop]:
            try:
                text = render_text(env, site, page)
            except TemplateProblem as t:
                out.append((t, None))
                continue
            # the links are read from the text as rendered, not decoded again from the bytes
            read = parse_page(text) if links is not None else None
            if read is not None:
                # packed as a worker's come back pickled: this process's own pages'
                # links, unpacked, were 70 MB more at 10,000 documents
                read.pack()
            out.append((stage_or_keep(stage, page.output, text.encode("utf-8")), read))
        return out

    if can_fork(len(pages)):
        results, extra = fork_map(render, len(pages), CHUNK, meanwhile)
    else:
        results, extra = render(0, len(pages)), meanwhile()
    htmls = []
    for page, (html, read) in zip(pages, results):
        if isinstance(html, TemplateProblem):
            raise html
        htmls.append(html)
        if links is not None:
            links[page.output] = read
    return htmls, extra


def load_sources(keys: list[P], load: Callable[[P, Problems], Any],
                 root: Path) -> dict[P, tuple[Any, list[Problem]]]:
    """``key → (load(key, problems), the problems it reported)`` for every key, loaded in
    worker processes (the caller replays them in its own order), or {} when workers do
    not pay. ``root``: the site folder, for the problems' paths."""
    if not can_fork(len(keys), MIN_SOURCES):
        return {}

    def work(start: int, stop: int) -> list:
        out = []
        for key in keys[start:stop]:
            local = Problems(root)
            out.append((load(key, local), local.items))
        return out

    results, _ = fork_map(work, len(keys), SOURCE_CHUNK)
    return dict(zip(keys, results))


def aside(work: Callable[[], T], pages: int) -> Callable[[], T]:
    """Start ``work()`` in a forked process while this one goes on; the function returned
    waits for its result. For work whose memory the render workers forked later would
    otherwise inherit (the result comes back pickled), so only where ``pages`` are
    enough for render workers (see :func:`can_fork`). Elsewhere, or when the process
    fails, ``work()`` is done here: the result is the same either way."""
    if not can_fork(pages):
        return work
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_send, args=(work, writer), daemon=True)
    try:
        process.start()
    except OSError:                            # no memory or no process left to fork
        return work
    finally:
        writer.close()

    def result() -> T:
        try:
            ok, value = reader.recv()
        except (EOFError, OSError):          # the process died before it could answer
            ok = False
        finally:
            reader.close()
            process.join()
        return value if ok else work()
    return result


def _send(work: Callable[[], Any], writer: Any) -> None:
    try:
        writer.send((True, work()))
    except BaseException:        # noqa: BLE001 - reported when done again in the parent
        writer.send((False, None))
    finally:
        writer.close()


__all__ = ["aside", "can_fork", "fork_map", "load_sources", "render_pages", "workers"]
