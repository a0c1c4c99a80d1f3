"""The build cache's object store: what a build keeps is written once, and an edit
appends only what it made new.

The cache (:mod:`generator.buildcache`) used to be one pickle of the whole
:class:`~generator.incremental.Builder`: at 10,000 documents, 570 MB and five million
objects written again after every one-document edit (3–5 s of the edit's 13 s). Almost
all of it is *roots*: parsed documents, task rows, search segments, page links and page
inputs (:func:`root_groups`), objects that never change once made and
that later builds reuse by identity (see :func:`generator.incremental.same`).

``store.pickle`` holds the roots: a header, then batches, each a pickle of the roots
that were new when it was written; a root refers to a root of an earlier batch by its
number (pickle's persistent ids), so each is written once and identity survives.
``builder.pickle`` holds the rest of the Builder, with every root as a number: small,
written whole each time. A root no longer used stays in the store until the store has
grown by a third since it was last rewritten; then it is rewritten with the live roots
only. ``builder.pickle`` records the store's token (new at each rewrite), length and
root count, so a store cut off or replaced behind its back is read as "no cache".

Identity matters only for speed: an object that is not a root is pickled with the
Builder as a copy, and a copy compares unequal by identity, so its pages are rendered
again, never wrongly taken over.

Memory: pickle's memo holds every object it has written until the pickle is done (16
bytes or more each, and a copy of the table while it grows), and writing a non-ASCII
string makes Python keep its UTF-8 form beside it for as long as the string lives:
at 10,000 documents, 390 MB of Chinese text encoded again, at the very end of a full
build when the process is at its largest. So a batch is written as several pickles
of about CHUNK_ROOTS roots each, the memo cleared between them (a root is never split
from the objects it holds: see :func:`root_groups`), and a long non-ASCII string is
written as its UTF-8 bytes through a persistent id, not as a string.
"""
from __future__ import annotations

import os
import pickle
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from .content.documents import Document
from .content.units import UnitRegistry
from .pages import Page

STORE = "store.pickle"
MAGIC = "gongkai-store-2"
REWRITE_GROWTH = 4 / 3       # rewrite when dead roots may be a quarter of the store
CHUNK_ROOTS = 20_000         # roots per pickle of a batch: the memo is cleared between them
TEXT_MIN = 64                # a non-ASCII string this long goes as UTF-8 bytes
FLUSH: list = []             # a group that ends the chunk (see root_groups)


def root_groups(builder: Any, stored: Callable[[Any], bool] = lambda obj: False) -> Iterator[list]:
    """The objects of a Builder that are stored once and kept by identity, in groups
    that hold every root that shares objects with another (a document and its tasks,
    which its task rows also hold): a group is never split between two pickles.

    ``stored(obj)``: whether a root is in the store already (:meth:`Store.holds`). A
    load-cache entry already stored went in with its whole group, and nothing in it
    has changed since: its tree is not walked again (after an edit of 10,000
    documents, walking every entry's tree to find the few new roots took 0.4 s)."""
    yield from source_groups(builder.cache.entries.values(), builder.search_memo.values(), stored)
    # (opendata's pieces are not roots: see incremental._pack_pieces)
    for value in builder.links.values():
        yield [value]
    for inputs, _ in builder.pages.values():
        yield [inputs]


def source_groups(entries: Iterable[tuple], segments: Iterable[tuple],
                  stored: Callable[[Any], bool] = lambda obj: False) -> Iterator[list]:
    """The groups of :func:`root_groups` known before pages are rendered: the load
    cache's ``entries`` and the search index's memo entries (``segments``), which a
    build can store while workers render (see :meth:`Store.begin`)."""
    # The parsed documents first, all of them: their chunks are then written by pickle's
    # C code (see Sealed). Taken in the load cache's order, a third of them shared a
    # chunk with derived work and went through _Writer's per-object hook (saving the
    # store of 10,000 documents: 4.6 s, 3.9 s so). The derived work that follows
    # refers to them by number.
    entries = list(entries)
    for sealed in (True, False):
        for entry in entries:
            if (type(entry[0]) is Document) is not sealed or stored(entry):
                continue
            group: list = Sealed() if sealed else []
            for value in _tree(entry[0]):   # a source's value, or (inputs, value) of derived work
                if isinstance(value, Document) and value.tasks is not None:
                    group += value.tasks.tasks      # the rows (derived later) hold them too
                group.append(value)
            group.append(entry)
            yield group
        if sealed:
            yield FLUSH             # the last chunk of documents is not mixed either
    # The segment is a root of its own: the last build's list of segments (search_shards)
    # holds it too, and must get the same object back. Its display text and postings are
    # not in the store but shelved (generator.segmentshelf). It holds no other root, so
    # the segments go first, in chunks of their own written by pickle's C code rather
    # than through _Writer's per-object hook; the entries that hold them follow.
    segments = list(segments)
    yield FLUSH
    for entry in segments:
        yield Sealed([entry[-1]])
    yield FLUSH
    for entry in segments:
        yield [entry]


class Sealed(list):
    """A group that holds no other group's roots: a parsed document with its tasks. A
    pickle of such groups only is written by pickle's own C code, without
    :class:`_Writer`'s per-object hook (at 10,000 documents, 6 of the 11.3 million calls
    of a full build's save). The document's bodies go as bytes (Document.__reduce__);
    its tasks' texts, shorter, go as they are, and Python keeps their UTF-8 form beside
    them: a few tens of MB at the end of a full build of 10,000 documents, below the
    peak while pages are rendered."""


def _tree(value: Any) -> Iterator[Any]:
    """``value`` and, through tuples, what it holds: task rows are shown one by one, a
    document's rows as a tuple, derived work is keyed by its inputs."""
    yield value
    if type(value) is tuple:
        for item in value:
            yield from _tree(item)
    elif isinstance(value, UnitRegistry):
        yield from value.units.values()
    elif isinstance(value, Page):
        # planned pages kept by the load cache: their data is also a page's recorded
        # inputs, and must come back as one object for the two to compare by identity
        yield value.data


class Roots(list):
    """Stored roots, in order, that the store pickles as one array of their numbers.

    builder.pickle maps pages, parsed sources, open-data pieces and page links to their
    roots: one reference each was one call of :class:`_Writer`'s per-object hook and one
    of :class:`_Reader`'s (at 10,000 documents 530,000 calls, 0.3 s of writing the
    cache after an edit). A Roots of which an object is not stored, or pickled by any
    other pickler, is pickled as a list; it reads back as a plain list either way."""


def pack_map(mapping: dict) -> tuple[bytes, Roots]:
    """A map whose values are stored roots, for pickling: its keys (which hold no stored
    object) pickled by pickle's own C code, its values as :class:`Roots`."""
    return pickle.dumps(list(mapping), protocol=pickle.HIGHEST_PROTOCOL), Roots(mapping.values())


def unpack_map(packed: tuple[bytes, list]) -> dict:
    """The map :func:`pack_map` packed."""
    keys, values = packed
    return dict(zip(pickle.loads(keys), values))


class _Writer(pickle.Pickler):
    def __init__(self, file: BinaryIO, known: dict[int, int]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.known = known

    def persistent_id(self, obj: Any) -> int | tuple | None:
        number = self.known.get(id(obj))
        if number is not None:
            return number
        if type(obj) is Roots:
            numbers = list(map(self.known.get, map(id, obj)))
            return None if None in numbers else ("r", array("q", numbers))
        if type(obj) is str and len(obj) >= TEXT_MIN and not obj.isascii():
            # bytes made now and let go with the memo, not kept beside the string
            return ("u", obj.encode("utf-8", "surrogatepass"))
        return None


class _Reader(pickle.Unpickler):
    def __init__(self, file: BinaryIO, objects: list):
        super().__init__(file)
        self.objects = objects

    def persistent_load(self, pid: Any) -> Any:
        # a root's number first: nearly all of the million calls of reading a big store
        if type(pid) is int and 0 <= pid < len(self.objects):
            return self.objects[pid]
        if type(pid) is tuple and len(pid) == 2:
            kind, value = pid
            if kind == "u" and type(value) is bytes:
                return value.decode("utf-8", "surrogatepass")
            if kind == "r" and type(value) is array and (
                    not value or (0 <= min(value) and max(value) < len(self.objects))):
                return list(map(self.objects.__getitem__, value))
        raise pickle.UnpicklingError(f"no root {pid!r}")


@dataclass
class _Pending:
    """A save :meth:`Store.begin` started: the file written to (``tmp`` when the store
    is rewritten, with its new token), and what to go back to if it is abandoned."""

    file: BinaryIO
    tmp: Path | None
    token: str
    objects: list               # a rewritten store's roots before (numbered again if need be)
    count: int                  # roots stored before it


class Store:
    """The roots of one site's cache, as read from and written to ``store.pickle``."""

    def __init__(self, folder: Path):
        self.path = folder / STORE
        self.objects: list = []
        self.numbers: dict[int, int] = {}     # id(root) -> its number; objects keeps them alive
        self.token = ""
        self.length = 0                       # bytes of the store that builder.pickle covers
        self.rewritten = 0                    # its length when last rewritten
        self._pending: _Pending | None = None # a save begun (see begin)
        self._lean = False                    # numbers let go until needed (see begin)

    def holds(self, obj: Any) -> bool:
        """Whether ``obj`` is one of the stored roots (by identity)."""
        return id(obj) in self._numbered()

    def _numbered(self) -> dict[int, int]:
        """The map id(root) -> number, made again if :meth:`begin` let it go."""
        if self._lean:
            self.numbers = {id(o): n for n, o in enumerate(self.objects)}
            self._lean = False
        return self.numbers

    def state(self) -> tuple[str, int, int, int]:
        """What builder.pickle records about the store it was written with."""
        return (self.token, self.length, len(self.objects), self.rewritten)

    def read(self, state: tuple) -> bool:
        """Read the store as ``state`` describes it; False when it is not that store."""
        token, length, count, rewritten = state
        objects: list = []
        try:
            with open(self.path, "rb") as f:
                if pickle.load(f) != (MAGIC, token):
                    return False
                while f.tell() < length:
                    objects += _Reader(f, objects).load()
                if f.tell() != length:
                    return False
        except Exception:  # noqa: BLE001 - damaged or foreign: no cache
            return False
        if len(objects) != count:
            return False
        self.objects, self.token, self.length, self.rewritten = objects, token, length, rewritten
        self.numbers, self._lean = {id(o): n for n, o in enumerate(objects)}, False
        return True

    def begin(self, groups: Iterable[list]) -> None:
        """Start a save with the roots in ``groups`` (the first of :func:`root_groups`,
        see :func:`source_groups`); :meth:`save` finishes it with the rest, or
        :meth:`abandon` drops it. A full build stores its parsed sources so while
        workers still render (at 10,000 documents, 2 of the 2.3 s of storing roots,
        otherwise done on one CPU after the last page)."""
        f = self._open()
        try:
            self._write(f, groups)
        except BaseException:
            self.abandon()
            raise
        # Pages still render meanwhile, with the workers at their largest: the map from
        # the roots' ids to their numbers (30 MB at 10,000 documents) is made again, in
        # 0.04 s, when the save goes on.
        self.numbers, self._lean = {}, True

    def _open(self) -> BinaryIO:
        """Open the file a save writes to: the store, to append to, or a new one."""
        self.abandon()
        if self.token and self.length <= REWRITE_GROWTH * self.rewritten:
            f = open(self.path, "r+b")
            # anything past the recorded length is a batch whose builder.pickle was
            # never written (a build cut off while saving)
            f.seek(self.length)
            f.truncate()
            self._pending = _Pending(f, None, "", self.objects, len(self.objects))
        else:
            # rewritten: into a new file, swapped in by save()
            tmp = self.path.with_name(f".{STORE}.tmp-{os.getpid()}")
            f = open(tmp, "wb")
            self._pending = _Pending(f, tmp, os.urandom(8).hex(), self.objects, 0)
            self.objects, self.numbers, self._lean = [], {}, False
            try:
                pickle.dump((MAGIC, self._pending.token), f, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                self.abandon()
                raise
        return f

    def save(self, groups: Iterable[list]) -> None:
        """Store the roots in ``groups`` (the Builder's, see :func:`root_groups`; those
        a :meth:`begin` stored are skipped): the new ones appended as a batch, or, when
        dead roots may have piled up, the store written afresh with these only."""
        if self._pending is None:
            self._open()
        pending = self._pending
        assert pending is not None
        try:
            self._write(pending.file, groups)
            length = pending.file.tell()
            pending.file.close()
            if pending.tmp is not None:
                pending.tmp.replace(self.path)
                self.token, self.rewritten = pending.token, length
            self.length = length
            self._pending = None
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        """Drop a save :meth:`begin` started and :meth:`save` did not finish (the build
        failed): the store is again the one builder.pickle records."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        pending.file.close()
        if pending.tmp is not None:
            pending.tmp.unlink(missing_ok=True)
            self.objects = pending.objects
        else:
            # appended: the bytes past self.length are cut off by the next save
            del self.objects[pending.count:]
        self.numbers, self._lean = {}, True

    def _write(self, f: BinaryIO, groups: Iterable[list]) -> None:
        """The roots of ``groups`` not stored yet, as pickles of about CHUNK_ROOTS roots."""
        writer = _Writer(f, self._numbered())
        chunk: dict[int, Any] = {}
        sealed = True                   # every group in the chunk is (see Sealed)

        def flush() -> None:
            nonlocal sealed
            if sealed:
                pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(list(chunk.values()))
            else:
                writer.dump(list(chunk.values()))
                writer.clear_memo()
            for obj in chunk.values():
                self.numbers[id(obj)] = len(self.objects)
                self.objects.append(obj)
            chunk.clear()
            sealed = True

        for group in groups:
            if group is FLUSH:
                if chunk:
                    flush()
                continue
            size = len(chunk)
            for obj in group:
                if id(obj) not in self.numbers:
                    chunk.setdefault(id(obj), obj)
            if len(chunk) > size and type(group) is not Sealed:
                sealed = False
            if len(chunk) >= CHUNK_ROOTS:
                flush()
        if chunk:
            flush()

    def dump_with(self, file: BinaryIO, value: Any) -> None:
        """Pickle ``value`` into ``file`` with every stored root as its number."""
        _Writer(file, self._numbered()).dump(value)

    def load_with(self, file: BinaryIO) -> Any:
        """Unpickle what :meth:`dump_with` wrote."""
        return _Reader(file, self.objects).load()


__all__ = ["Roots", "Sealed", "Store", "pack_map", "root_groups", "source_groups", "unpack_map"]
