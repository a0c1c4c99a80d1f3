"""The search index's display files, made segment by segment as the segments come.

``m/<n>.json`` holds the display data of BLOCK records, ``c/<n>.json`` PACK text chunks
(see :mod:`generator.search`), with record and chunk numbers made site-wide. Both are
made from the segments' display data and text (:class:`~generator.searchfiles.Segment`
``metas`` and ``text``), and a segment's files depend only on the segments before it
(where its records and chunks start), so they are made as soon as the segment is: its
display data and text can then be let go (shelved by a build with a cache, see
:mod:`generator.segmentshelf`) instead of being held while the index's postings are
joined. At 10,000 documents that was about 200 MB of the build process at its largest.

A file's *print* names what it is made from; a file whose print is the last build's
is the last build's file, taken from ``reuse`` (output path → content) rather than made
again. An m/ file is made from the segments its records are in and where each starts;
a c/ file from one segment's chunks, from the file's first. After an edit only the
edited segment's files are made again (and the m/ files of the segments after it, when
its records changed in number or its chunks outgrew their room: :func:`chunk_room`).
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any, Callable

from .search import BLOCK, INDEX_DIR, PACK


def chunk_room(chunks: int) -> int:
    """The chunk numbers a segment of ``chunks`` text chunks takes: whole c/ files (so
    that no file holds two segments' chunks), their count rounded up to two
    significant bits, and to 4 at least (41 files take 48, 3 files 4).

    Numbered one after another, a segment that gained or lost a chunk moved every later
    segment's chunks, and so every later c/ and m/ file was made and written again:
    half the site's display files for an edit on average, 2.7 s of writing after a
    paragraph added to one of 10,000 documents. With room to spare, an edit changes
    the room of its segment (and so the numbers after it) only when its file count
    crosses a step: for a one-chunk change, about once in 16 × 16 edits (a segment of
    32 documents of 2,000 characters has some 40 files, in steps of 16)."""
    files = -(-chunks // PACK)
    step = max(4, 1 << max(0, files.bit_length() - 2))
    return -(-files // step) * step * PACK


# what JSON writes escaped (ensure_ascii=False): quotes, backslashes, control characters
JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def json_bytes(data) -> bytes:
    """``data`` as the index's files hold it: compact UTF-8 JSON, keys sorted."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


class DisplayFiles:
    """The display files of segments given in record order (:meth:`add`), then
    :meth:`finish`. ``old_prints``: the last build's prints; ``reuse``: its files;
    ``put(output path, bytes)``: takes each file made (see
    :func:`generator.searchfiles.build_index`)."""

    def __init__(self, old_prints: dict[str, str], reuse: dict[str, Any],
                 put: Callable[[str, bytes], Any] | None = None, last_runs: list | None = None):
        self.old_prints, self.reuse, self.put = old_prints, reuse, put
        # what each add() of the last build made (see _replay), and of this one
        self.last_runs: list = last_runs or []
        self.runs: list = []
        self.files: dict[str, Any] = {}
        self.made: list[str] = []         # the files made, not taken from ``reuse``
        self.prints: dict[str, str] = {}
        # runs of the last build replayed whole: their files are not put into ``files``
        # and ``prints`` unless asked for (see finish_changes)
        self.replayed: list = []
        self.segments: list = []
        self.offsets: list[int] = []      # each segment's first record number
        self.bases: list[int] = []        # each segment's first chunk number, a multiple of PACK
        self.places: list[str] = []
        self.records = 0                  # records so far
        self.chunks = 0                   # chunk numbers taken so far
        self.block = 0                    # the next m/ file
        # display data decoded for the m/ files, of the segments a file still to be made
        # may reach into (kept for every segment, 10,000 documents' of it were 139 MB)
        self.decoded: dict[int, list[dict]] = {}

    def add(self, seg: Any) -> None:
        """Make the c/ files of ``seg`` and the m/ files its records complete."""
        i = len(self.segments)
        self.segments.append(seg)
        self.offsets.append(self.records)
        self.bases.append(self.chunks)
        self.places.append(f"{seg.digest}:{self.records}:{self.chunks}")
        block = self.block
        self.records += seg.records
        self.chunks += chunk_room(len(seg.ends))
        if self._replay(i, block):
            return
        self._text_files(seg, self.bases[i])
        self._meta_files(final=False)
        if seg.shelf is None and seg.records and self.block * BLOCK < self.records:
            # the next file reaches back into this segment: its display data decoded now,
            # while held (a build with a cache shelves the segment once this returns)
            self._metas(i)
        self._record(i, block)

    def _record(self, i: int, block: int) -> None:
        """Keep what add() made for segment ``i``, for the next build's :meth:`_replay`."""
        first = _last_at_or_before(self.offsets, block * BLOCK) if self.block > block else i
        names = [f"c/{self.bases[i] // PACK + j}.json" for j in range(-(-len(self.segments[i].ends) // PACK))]
        names += [f"m/{b}.json" for b in range(block, self.block)]
        self.runs.append((self.segments[i], self.offsets[i], self.bases[i], block, self.block, tuple(names),
                          tuple(map(self.prints.__getitem__, names)), tuple(INDEX_DIR + n for n in names),
                          tuple(self.places[first:i + 1])))

    def _replay(self, i: int, block: int) -> bool:
        """Take what the last build's add() made for the same segment at the same place,
        when every segment its m/ files reach into is as it was then, and its files are
        at hand. After a one-document edit of 10,000 documents, the 323 other segments
        spelled and compared 29,000 file names and prints again: 0.07 s of the index."""
        last = self.last_runs[i] if i < len(self.last_runs) else None
        if (last is None or last[0] is not self.segments[i] or last[1] != self.offsets[i]
                or last[2] != self.bases[i] or last[3] != block
                or tuple(self.places[i + 1 - len(last[8]):i + 1]) != last[8]
                or not all(map(self.reuse.__contains__, last[7]))):
            return False
        self.replayed.append(last)
        self.block = last[4]
        self.runs.append(last)
        return True

    def finish(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(the files, their prints), the last m/ file made."""
        self._meta_files(final=True)
        self.decoded.clear()
        reuse = self.reuse
        for last in self.replayed:
            self.prints.update(zip(last[5], last[6]))
            self.files.update(zip(last[5], map(reuse.__getitem__, last[7])))
        self.replayed = []
        return self.files, self.prints

    def finish_changes(self) -> tuple[dict[str, Any], dict[str, str], int] | None:
        """When the files have the last build's names: (the files that are not of a
        run replayed whole, every file's print, how many files there are); else None,
        and :meth:`finish` gives them all. After a one-document edit of 10,000
        documents, putting the 323 replayed runs' 34,000 files and prints into the maps
        again was 40 ms."""
        self._meta_files(final=True)
        self.decoded.clear()
        old = self.old_prints
        count = len(self.files) + sum(len(last[5]) for last in self.replayed)
        # every name is the last build's but those made (the others were taken from it)
        if count != len(old) or not all(map(old.__contains__, self.made)):
            return None
        prints = dict(old)
        prints.update(self.prints)
        return self.files, prints, count

    def _make(self, name: str, stamp: str, items: Callable[[], list]) -> None:
        self.prints[name] = stamp
        if self.old_prints.get(name) == stamp and INDEX_DIR + name in self.reuse:
            self.files[name] = self.reuse[INDEX_DIR + name]
            return
        data = json_bytes(items())
        self.files[name] = self.put(INDEX_DIR + name, data) if self.put is not None else data
        self.made.append(name)

    def _metas(self, i: int) -> list[dict]:
        if i not in self.decoded:
            decoded = self.decoded[i] = json.loads(self.segments[i].display()[0])
            for meta in decoded:
                if "p" in meta:
                    meta["p"] += self.offsets[i]
                for name in ("h", "b"):
                    if name in meta:
                        meta[name][0] += self.bases[i]
        return self.decoded[i]

    def _meta_files(self, final: bool) -> None:
        """The m/ files whose records have all come (with ``final``, the last one too).
        A segment still to come starts at or after the records so far, so a file whose
        records have come holds what it would hold made after every segment."""
        offsets, total = self.offsets, self.records
        while self.block * BLOCK < total and (final or (self.block + 1) * BLOCK <= total):
            lo = self.block * BLOCK
            hi = min(lo + BLOCK, total)
            parts = [i for i in range(max(0, _last_at_or_before(offsets, lo)), _last_at_or_before(offsets, hi - 1) + 1)
                     if self.segments[i].records]
            self._make(f"m/{self.block}.json", " ".join([self.places[i] for i in parts]),
                       lambda: [meta for i in parts for meta in self._metas(i)[
                           max(lo - offsets[i], 0):min(hi - offsets[i], self.segments[i].records)]])
            # files go in record order: only the last segment of this file can reach
            # into the next
            if parts:
                for i in [i for i in self.decoded if i < parts[-1]]:
                    del self.decoded[i]
            self.block += 1

    def _text_files(self, seg: Any, base: int) -> None:
        ends, digest = seg.ends, seg.digest
        first = base // PACK
        names = [f"c/{first + j}.json" for j in range(-(-len(ends) // PACK))]
        stamps = [f"{digest}:{j * PACK}" for j in range(len(names))]
        # A segment whose first file has its print had all its files made from it (the
        # same digest: the same chunks; the same first file: the same numbers), and they
        # are taken together: one by one, an edit's 27,000 c/ files were 55 ms at 10,000
        # documents.
        if names and self.old_prints.get(names[0]) == stamps[0]:
            fulls = [INDEX_DIR + name for name in names]
            if all(map(self.reuse.__contains__, fulls)):
                self.prints.update(zip(names, stamps))
                self.files.update(zip(names, map(self.reuse.__getitem__, fulls)))
                return
        text = seg.display()[1]     # read back from its shelf only when a file is made
        for name, stamp, k in zip(names, stamps, range(0, len(ends), PACK)):
            self._make(name, stamp,
                       lambda: [text[ends[j - 1] if j else 0:ends[j]] for j in range(k, min(k + PACK, len(ends)))])


def _last_at_or_before(offsets: list[int], record: int) -> int:
    """The index of the last segment starting at or before ``record``."""
    return bisect_right(offsets, record) - 1


def display_files(segments: list, old_prints: dict[str, str], reuse: dict[str, Any],
                  put: Callable[[str, bytes], Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The display files of ``segments`` (in record order) and their prints."""
    files = DisplayFiles(old_prints, reuse, put)
    for seg in segments:
        files.add(seg)
    return files.finish()


__all__ = ["DisplayFiles", "chunk_room", "display_files", "json_bytes"]
