"""An edit's term files spliced: the edited segment's part put into each term's postings
where it was, instead of every segment's postings joined again.

A term's postings in a term file (:mod:`generator.searchshards`) are its segments'
parts in segment order, each part the segment's entries after the gap from the term's
last record before it. An edit that adds text to one document moves the positions of
every later word in it, so some 800 terms change, and their files (33 MB at 10,000
documents) hold common terms found in nearly every segment: joining them again read
and split every segment's shelved tables, 0.28 s of an edit's 0.85 s search refresh.

Here, for the term files an edit writes, what is needed to change one segment's part
later is kept (:class:`Spans`): the file's bytes (the very object the build's outputs
hold), where each term's postings start in them, and for each term the segments
holding it, where each one's part ends and the last record it holds. The next edit of
a segment that keeps its number of records then needs only that segment's tables: the
part is replaced, and the gap of the next segment holding the term written again when
the last record before it moved. A changed file with no spans kept is read back: its
terms new to the site have no segments yet, and only its changed terms that were there
are joined from every segment. A store of spans is passed from one edit to the next
only while every segment keeps its place and size (the traces are of those places);
an edit that moves records goes through the join, which gives the spans of what it
writes to a new store.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .search import B64, varint
from .searchdisplay import JSON_ESCAPED as _ESCAPED

if TYPE_CHECKING:
    from .postings import Packed
    from .searchfiles import Segment

HELD_BYTES = 96_000_000   # term files whose spans are kept, at most (their bytes are the outputs')

_DIGIT = {ord(c): i for i, c in enumerate(B64)}   # a postings byte's value

# A term's trace: (segments holding it, where each one's part ends in its postings,
# the last record of the term in each, counted over the whole site)
Trace = tuple[array, array, array]


@dataclass
class Spans:
    """A term file as written, and where each of its terms' postings are in it."""

    digest: str                            # the file's SHA-256, as the index records it
    data: bytes
    # term → (where its postings start and stop in data, its trace: None when not known,
    # for a term of a file read back whose postings this edit did not change)
    terms: dict[str, tuple[int, int, Trace | None]]

    def postings(self) -> dict[str, bytes]:
        """Every term's postings, as the file holds them (ASCII)."""
        data = self.data
        return {term: data[start:stop] for term, (start, stop, _) in self.terms.items()}

    def traces(self) -> dict[str, Trace | None]:
        """Every term's trace (None where not known)."""
        return {term: trace for term, (_, _, trace) in self.terms.items()}


def new_trace() -> tuple[list[int], list[int], list[int]]:
    """An empty trace being made (lists: segments, part lengths, last records)."""
    return [], [], []


def finish(made: tuple[list[int], list[int], list[int]]) -> Trace:
    """A trace made by the join (part lengths summed into where each part ends)."""
    segs, lengths, lasts = made
    ends, end = array("q"), 0
    for length in lengths:
        end += length
        ends.append(end)
    return array("i", segs), ends, array("q", lasts)


def file_spans(digest: str, data: bytes, shard: dict[str, str] | dict[str, bytes],
               traces: dict[str, Trace | None]) -> Spans | None:
    """The spans of a term file ``data`` made by :func:`~generator.searchshards.shard_json`
    from ``shard`` without escaping (``{"term":"postings",…}``, terms sorted); None
    for any other (a term that needed escaping: such a file is joined again)."""
    if not shard:
        return Spans(digest, data, {}) if data == b"{}" else None
    terms: dict[str, tuple[int, int, Trace | None]] = {}
    at = 1
    for term in sorted(shard):
        at += len(term.encode("utf-8")) + 4          # "term":"
        stop = at + len(shard[term])
        terms[term] = (at, stop, traces.get(term))
        at = stop + 2                                # ",
    if at != len(data):
        return None
    return Spans(digest, data, terms)


def splice(old: bytes, trace: Trace, j: int, offset: int,
           new: tuple[int, bytes, int] | None) -> tuple[bytes, Trace]:
    """A term's postings (ASCII) and trace with segment ``j`` (starting at record
    ``offset``) holding ``new`` (first record, entries, last record, numbered from the
    segment's start; None: the term is not in it)."""
    segs, ends, lasts = trace
    i = bisect_left(segs, j)
    had = i < len(segs) and segs[i] == j
    if new is None and not had:
        return old, trace
    start = ends[i - 1] if i else 0
    stop = ends[i] if had else start
    before = lasts[i - 1] if i else 0              # the term's last record before j
    if new is not None:
        first, entries, final = new
        part = varint(offset + first - before).encode() + entries
        after = offset + final
    else:
        part, after = b"", before
    k = i + 1 if had else i                        # the next segment holding the term
    tail = old[stop:]
    if k < len(segs):
        was = lasts[i] if had else before
        if after != was:
            # its first gap counts from the term's last record before it, which moved
            width = 1
            while _DIGIT[old[stop + width - 1]] >= 32:
                width += 1
            gap = 0
            for c in old[stop:stop + width]:
                gap = (gap << 5) | (_DIGIT[c] & 31)
            tail = varint(was + gap - after).encode() + old[stop + width:]
    text = old[:start] + part + tail
    shift = len(text) - len(old)
    mid_segs, mid_ends, mid_lasts = ((array("i", [j]), array("q", [start + len(part)]), array("q", [after]))
                                     if new is not None else (array("i"), array("q"), array("q")))
    return text, (segs[:i] + mid_segs + segs[k:],
                  ends[:i] + mid_ends + array("q", [e + shift for e in ends[k:]]),
                  lasts[:i] + mid_lasts + lasts[k:])


def edited_segments(old: list[Segment] | None, new: list[Segment]) -> list[int] | None:
    """The places of the segments an edit changed, when it kept every segment's place
    and size (the record numbers are then the same); else None."""
    if old is None or len(old) != len(new):
        return None
    edited = [i for i, (a, b) in enumerate(zip(old, new)) if a is not b]
    if any(old[i].records != new[i].records for i in edited):
        return None
    return edited


def spliced_shard(postings: dict[str, bytes], traces: dict[str, Trace | None], terms: set[str],
                  edits: list[tuple[int, int, dict]],
                  joined: dict[str, tuple[str, Trace]] | None = None) -> dict[str, tuple[bytes, Trace | None]] | None:
    """A term file's terms with their postings and traces after ``edits`` ((segment,
    its first record, term → its new entry there, for the changed terms)), from the
    file's ``postings`` and ``traces``; ``terms``: the changed terms falling in the
    file (the others are as they were). A term none of whose segments holds it any
    more is left out. A changed term whose trace is not known is taken from
    ``joined`` (its postings and trace joined from every segment; absent: gone from
    the site); without ``joined``, None is returned for it. A term the file did not
    hold is new to the site (its trace is empty). None too when a new term would need
    escaping in JSON."""
    out: dict[str, tuple[bytes, Trace | None]] = {term: (text, traces.get(term))
                                                  for term, text in postings.items() if term not in terms}
    for term in terms:
        if term in postings:
            text, trace = postings[term], traces.get(term)
            if trace is None:
                if joined is None:
                    return None
                if term in joined:
                    found, trace = joined[term]
                    out[term] = (found.encode("ascii"), trace)
                continue
        elif _ESCAPED.search(term):
            return None
        else:
            text, trace = b"", (array("i"), array("q"), array("q"))
        for j, offset, entries in edits:
            text, trace = splice(text, trace, j, offset, entries.get(term))
        if text:
            out[term] = (text, trace)
    return out


def shard_bytes(shard: dict[str, bytes]) -> bytes:
    """A term file's bytes from postings held as bytes: what
    :func:`~generator.searchshards.shard_json` makes of them as text (the terms and
    postings are known to need no escaping)."""
    pieces = []
    for term in sorted(shard):
        pieces += (b'"', term.encode("utf-8"), b'":"', shard[term], b'",')
    if pieces:
        pieces[-1] = b'"'
    return b"".join([b"{", *pieces, b"}"])


def _entries(table: Packed, terms: set[str]) -> dict[str, tuple[int, bytes, int]] | None:
    """A segment's entries of ``terms`` (first record, the entries as ASCII, last
    record); None when one holds what JSON would escape (postings never do)."""
    out = {}
    for term, (first, entry, rest, final) in table.items():
        if term in terms:
            text = entry + rest
            if not text.isascii() or '"' in text or "\\" in text:
                return None
            out[term] = (first, text.encode("ascii"), final)
    return out


def splice_shards(store: SpanStore, plans: list[tuple[int, tuple[str, ...], set[int]]],
                  sums: dict[str, str], changed: tuple[set[str], ...],
                  edits: list[tuple[int, int, tuple[Packed, ...]]],
                  shard_of: Callable[[str, int], int],
                  read: Callable[[str], dict[str, str] | None],
                  join: Callable[[list[set[str]]], list[dict[str, tuple[str, Trace]]]]
                  ) -> tuple[list[dict[int, dict[str, tuple[bytes, Trace | None]]]], set[str]] | None:
    """For each table's plan (shard count, file names, changed shards): each changed
    shard's terms with their postings and traces, spliced (``edits``: each edited
    segment's place, first record and new tables), and the terms the table's changed
    files held before. A changed file whose spans are not kept (as ``sums`` has it) is
    ``read(name)`` back (None: not the file the last build wrote). The changed terms
    whose traces are not known (those of files read back) are ``join``-ed from every
    segment, they alone: a document's first edit in a session reads every segment's
    tables but splits only those holding its rarer terms. None when an entry or term
    would need escaping."""
    files: list[dict[int, tuple[dict[str, bytes], dict[str, Trace | None], set[str]]]] = []
    entries: list[list[tuple[int, int, dict]]] = []
    missing: list[set[str]] = []
    before: set[str] = set()
    for k, (count, names, dirty) in enumerate(plans):
        found_entries = [(j, offset, _entries(tables[k], changed[k])) for j, offset, tables in edits]
        if any(found is None for _, _, found in found_entries):
            return None
        entries.append(found_entries)       # type: ignore[arg-type]
        terms: dict[int, set[str]] = {i: set() for i in dirty}
        for term in changed[k]:
            terms[shard_of(term, count)].add(term)
        one: dict[int, tuple[dict[str, bytes], dict[str, Trace | None], set[str]]] = {}
        unknown: set[str] = set()
        for i in dirty:
            spans = store.get(names[i], sums.get(names[i]))
            if spans is not None:
                postings, traces = spans.postings(), spans.traces()
            else:
                found = read(names[i])
                if found is None or any(not p.isascii() for p in found.values()):
                    return None
                postings, traces = {term: p.encode("ascii") for term, p in found.items()}, {}
            if k == 0:
                before.update(postings)
            unknown.update(t for t in terms[i] if t in postings and traces.get(t) is None)
            one[i] = (postings, traces, terms[i])
        files.append(one)
        missing.append(unknown)
    joined = join(missing) if any(missing) else [{} for _ in plans]
    out = []
    for one, found_entries, table_joined in zip(files, entries, joined):
        made = {}
        for i, (postings, traces, terms_i) in one.items():
            spliced = spliced_shard(postings, traces, terms_i, found_entries, table_joined)
            if spliced is None:
                return None
            made[i] = spliced
        out.append(made)
    return out, before


class SpanStore:
    """The spans of the term files recent edits wrote, oldest first, at most
    HELD_BYTES of files (see the module for when a store is valid)."""

    def __init__(self) -> None:
        self.files: dict[str, Spans] = {}
        self.bytes = 0

    def get(self, name: str, digest: str | None) -> Spans | None:
        """The spans of file ``name`` when it is the file with ``digest``."""
        spans = self.files.get(name)
        return spans if spans is not None and spans.digest == digest else None

    def put(self, name: str, spans: Spans | None) -> None:
        """Keep ``spans`` for file ``name`` (None: forget what was kept)."""
        gone = self.files.pop(name, None)
        if gone is not None:
            self.bytes -= len(gone.data)
        if spans is None:
            return
        self.files[name] = spans
        self.bytes += len(spans.data)
        while self.bytes > HELD_BYTES:
            oldest = next(iter(self.files))
            self.bytes -= len(self.files.pop(oldest).data)


__all__ = ["HELD_BYTES", "SpanStore", "Spans", "Trace", "edited_segments", "file_spans", "finish",
           "new_trace", "shard_bytes", "splice", "splice_shards", "spliced_shard"]
