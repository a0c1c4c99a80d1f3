"""The load cache: parsed sources by the digest of their files, and work derived from
them by the identity of the objects it was derived from.

A source (a document folder, the units, an interpretation, the permalink ledger) is
parsed again only when its digest changes (:class:`~generator.stamps.Stamps` keeps the
digests of unchanged files without reading them); its problems are replayed, so that
messages are those of a full build. Work derived from loaded objects (resolving task
rows, the privacy scan, planned pages) is kept while the same objects come back.

With hints (the files a file watcher saw written, or those the command line's check
found changed), a document folder none of them is in keeps the last pass's digest
without being probed.
"""
from __future__ import annotations

import operator
import os
import pickle
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .cachestore import pack_map, unpack_map
from .content.sources import already_read
from .problems import Problem, Problems
from .stamps import Stamps

# Sources whose digest a pass may take from the last pass when the hints name nothing
# in them (see LoadCache.set_hints): the many document folders, not the few others.
HINTED_KINDS = frozenset({"document"})


class LoadCache:
    """Parsed sources by the digest of their files, with the problems they reported."""

    def __init__(self, stamps: Stamps | None = None) -> None:
        self.entries: dict[tuple[str, str], tuple[Any, list[Problem]]] = {}
        self.used: set[tuple[str, str]] = set()
        # content digests of the source files, re-read only when their stat changes
        self.stamps = stamps if stamps is not None else Stamps()
        self._probed: dict[tuple, str] = {}      # digests computed by has() this pass
        # (kind, *keys) -> digest, as the last pass loaded them, and as this pass does
        self.digests: dict[tuple, str] = {}
        self._loaded: dict[tuple, str] = {}
        # Every folder holding a path named by this pass's hints, or None (probe every
        # source): see set_hints.
        self._touched: set[str] | None = None
        self.listings: dict[Path, tuple] = {}    # folder -> its last listing (site.listing)
        self.slugs: dict[str, str] = {}          # issuer or topic -> its address part
        self.unit_parts: dict[int, tuple] = {}   # a document's rows by unit (site._rows_by_unit)

    def load(self, kind: str, keys: list[Path], problems: Problems,
             loader: Callable[[Problems], Any]) -> Any:
        name = (kind, *keys)
        read: dict[str, bytes] = {}         # parsed from the bytes digested (see already_read)
        digest = self._probed.pop(name, None) or self.stamps.digest(keys, read)
        self._loaded[name] = digest
        key = (kind, digest)
        self.used.add(key)
        if key not in self.entries:
            local = Problems(problems.root)
            with already_read(read):
                value = loader(local)
            self.entries[key] = (value, list(local.items))
        value, items = self.entries[key]
        problems.items.extend(items)
        return value

    def has(self, kind: str, keys: list[Path]) -> bool:
        """Whether the sources in ``keys``, as they are now, are loaded already (the
        digest is kept for the :meth:`load` that follows: a folder is read once a pass)."""
        name = (kind, *keys)
        digest = self._trusted(name) or self.stamps.digest(keys)
        self._probed[name] = digest
        return (kind, digest) in self.entries

    def _trusted(self, name: tuple) -> str | None:
        """The last pass's digest of a source the hints name nothing in (see set_hints)."""
        touched = self._touched
        if touched is None or name[0] not in HINTED_KINDS:
            return None
        digest = self.digests.get(name)
        if digest is None or any(str(path) in touched for path in name[1:]):
            return None
        return digest

    def set_hints(self, hints: Iterable[str] | None) -> None:
        """Take the paths known to have changed since the last pass (a file watcher's, or
        the command line's check), or None: probe every source. With hints, a source of
        HINTED_KINDS none of whose paths is named keeps the last pass's digest without
        being looked at: probing 10,000 document folders was a quarter of a preview
        rebuild."""
        # every folder holding a named path: one set lookup per source, not a scan of
        # the hints for each of 10,000 folders
        self._touched = None if hints is None else {parent for h in hints for parent in _ancestors(h)}

    @property
    def hinted(self) -> bool:
        """Whether this pass has hints (so looks at only some files)."""
        return self._touched is not None

    def stale(self, kind: str) -> list[tuple]:
        """The sources of ``kind`` whose files no longer have the digest the last pass
        loaded (probed afresh, stamps left as they are): what a watcher may have missed."""
        stamps = self.stamps
        saved, stamps.seen = stamps.seen, {}
        try:
            return [name for name, digest in self.digests.items()
                    if name[0] == kind and stamps.digest(list(name[1:])) != digest]
        finally:
            stamps.seen = saved

    def holds(self, kind: str) -> bool:
        """Whether any source of this kind was loaded before (else a first build)."""
        return any(key[0] == kind for key in self.entries)

    def adopt(self, kind: str, keys: list[Path], digest: str, stamps: dict) -> None:
        """Take the digest of ``keys`` and the stamps behind it from a worker process
        (:meth:`Stamps.probe`), as :meth:`has` would have found them."""
        self.stamps.seen.update(stamps)
        self._probed[(kind, *keys)] = digest

    def derive(self, kind: str, inputs: tuple, extra: str, problems: Problems,
               compute: Callable[[Problems], Any]) -> Any:
        """``compute(problems)`` for loaded objects; reused while the same objects come back.

        Objects from :meth:`load` are the same objects as long as their sources are
        unchanged, so their identities key work derived from them (resolving a task
        list's units, scanning a document for personal data).

        The key holds a hash of the identities, not the identities: a unit page's are a
        hundred rows', and keys of such tuples, hashed and compared again on each pass,
        made forgetting unused entries take 31 ms of a preview rebuild at 10,000
        documents (14 ms with hashes). The inputs stored with the value decide.
        """
        key = (kind, hash(tuple(map(id, inputs))), extra)
        self.used.add(key)
        entry = self.entries.get(key)
        if entry is None or not _identical(entry[0][0], inputs):
            local = Problems(problems.root)
            value = compute(local)
            # inputs are stored with the value: while it is cached, their ids stay unique
            # (two live input tuples with one hash: the other is computed again when used)
            entry = self.entries[key] = ((inputs, value), list(local.items))
        (_, value), items = entry
        problems.items.extend(items)
        return value

    def __getstate__(self) -> dict:
        # A pass's working state is not kept. The digests are, by path text (a Path is
        # pickled as its parts and parsed again when read): the command line's build
        # takes hints from its check of what changed (buildcache.Check).
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_probed", "_loaded", "digests", "_touched", "listings", "stamps", "unit_parts")}
        # The stamps and digests hold no stored object (only paths, stats and digests):
        # pickled apart by pickle's own C code, as one bytes object, they skip the build
        # cache's per-object hook (340,000 calls at 10,000 documents).
        state["plain"] = pickle.dumps(
            (self.stamps, {(name[0], *map(str, name[1:])): d for name, d in self.digests.items()}),
            protocol=pickle.HIGHEST_PROTOCOL)
        # the entries are stored roots: their keys go apart, the roots as numbers
        # (cachestore.pack_map; 150,000 calls of the store's per-object hook at 10,000 documents)
        state["entries"] = pack_map(self.entries)
        return state

    def __setstate__(self, state: dict) -> None:
        # Derived entries are keyed by a hash of their inputs' ids; after unpickling (the
        # build cache) the same objects live at new addresses: key them again.
        self.stamps, digests = pickle.loads(state.pop("plain"))
        entries = unpack_map(state.pop("entries"))
        self.__dict__.update(state)
        self._probed, self._loaded, self.listings, self.unit_parts = {}, {}, {}, {}
        self.digests = {(name[0], *map(Path, name[1:])): d for name, d in digests.items()}
        self.set_hints(None)
        self.entries = {(_rekey(k, v[0][0]) if len(k) == 3 else k): v for k, v in entries.items()}

    def carry_over(self, loaded: set[tuple]) -> None:
        """End a pass that loaded only the sources ``loaded`` ((kind, *keys), see
        :func:`generator.bodyedit.swap_bodies`) as a whole load would: every other source
        and derived entry of the last pass is used again, with its digest; a source
        loaded afresh lets its last version go."""
        # (an old version saved again with the same bytes is in ``used`` already)
        replaced = {(name[0], self.digests[name]) for name in loaded if name in self.digests}
        # as sets and maps at once, not a key at a time (32,000 entries and 10,000
        # digests at 10,000 documents: 25 ms of an edit)
        self.used |= self.entries.keys() - replaced
        self._loaded = {**self.digests, **self._loaded}

    def forget_unused(self) -> None:
        """Drop entries no source uses any more (deleted or edited files)."""
        # the few unused keys, found by a set difference and deleted: the dict of 32,000
        # entries (10,000 documents) is not rebuilt on every pass
        for key in self.entries.keys() - self.used:
            del self.entries[key]
        self.used = set()
        self._probed = {}
        self.digests, self._loaded = self._loaded, {}
        self.set_hints(None)


def _ancestors(path: str) -> Iterator[str]:
    """``path`` and the folders above it (``/a/b/c`` → ``/a/b/c``, ``/a/b``, ``/a``, ``/``)."""
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _rekey(key: tuple, inputs: tuple) -> tuple:
    return (key[0], hash(tuple(map(id, inputs))), key[2])


def _identical(a: tuple, b: tuple) -> bool:
    """Whether two tuples hold the very same objects."""
    return len(a) == len(b) and all(map(operator.is_, a, b))


__all__ = ["HINTED_KINDS", "LoadCache"]
