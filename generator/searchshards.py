"""The index's term files: segments' postings joined, a range of shards at a time.

Each search segment (:mod:`generator.searchfiles`) holds its own postings as two
:class:`~generator.postings.Packed` tables, the records numbered from 0. A term file
(``t/<hex>.json``, ``q/<hex>.json`` for further positions) holds every term whose
FNV-1a hash falls in it, with its postings over the whole site: the segments' entries
joined in record order, each segment's first entry after its gap from the term's last
record before it. Here: the joining, the shard count that bounds on the tables' sizes
settle without joining anything, and which terms an edit changed (so that the other
shard files are the last build's).
"""
from __future__ import annotations

import functools
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .postings import Packed
from .search import INDEX_DIR, shard_count, varint
from .searchdisplay import JSON_ESCAPED as _ESCAPED, json_bytes
from .termsplice import finish, new_trace

if TYPE_CHECKING:
    from .searchfiles import Segment


def join(parts: list[tuple[int, Packed]], keep: set[str] | None = None) -> dict[str, str]:
    """Segments' postings (with their record offsets) as one term → postings map; with
    ``keep``, of those terms only."""
    joined: defaultdict[str, list[str]] = defaultdict(list)
    last: dict[str, int] = {}
    for offset, postings in parts:
        _join_one(joined, last, offset, postings, keep)
    return {t: "".join(p) for t, p in joined.items()}


def shard_json(shard: dict[str, str]) -> bytes:
    """A term file's bytes: exactly :func:`~generator.searchdisplay.json_bytes` of
    ``shard`` (term → postings), joined directly. Terms (CJK text, folded letters and
    digits) and postings (the varint alphabet) hold nothing JSON escapes, so the
    encoder's scan of every character is not needed: 100 MB of term files at 10,000
    documents took 0.47 s through ``json.dumps``, 0.22 s so, and an edit that adds text
    to a document writes 33 MB of them. A shard whose terms would need escaping goes
    through ``json.dumps``, as does one whose postings hold a quote or a backslash.
    Postings are varints (:func:`~generator.search.varint`), never control characters:
    not looked for, as a scan of every character would cost what json.dumps does."""
    terms = sorted(shard)
    if _ESCAPED.search("".join(terms)):
        return json_bytes(shard)
    parts = [f'"{term}":"{shard[term]}"' for term in terms]
    text = "{" + ",".join(parts) + "}"
    if text.count('"') != 4 * len(terms) or "\\" in text:
        return json_bytes(shard)
    return text.encode("utf-8")


def join_kept(parts: Iterable[tuple[int, tuple[Packed, ...]]], keeps: list[set[str]],
              traces: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """:func:`join` of several tables at once (``keeps[k]``: the terms kept of table
    ``k``), taking each segment's tables as they come: a generator that reads them back
    from the shelf one segment at a time never holds them all. With ``traces``, each
    kept term's :func:`~generator.termsplice.finish`-ed trace goes into ``traces[k]``
    (so that the next edit can splice: see :mod:`generator.termsplice`)."""
    joined: list[defaultdict[str, list[str]]] = [defaultdict(list) for _ in keeps]
    lasts: list[dict[str, int]] = [{} for _ in keeps]
    made: list[defaultdict[str, Any]] | None = (None if traces is None
                                                else [defaultdict(new_trace) for _ in keeps])
    for index, (offset, tables) in enumerate(parts):
        for k, (out, last, postings, keep) in enumerate(zip(joined, lasts, tables, keeps)):
            _join_one(out, last, offset, postings, keep,
                      None if made is None else (index, made[k]))
    if traces is not None and made is not None:
        for found, one, out in zip(traces, made, joined):
            found.update((term, finish(trace)) for term, trace in one.items())
    return [{t: "".join(p) for t, p in one.items()} for one in joined]


def _join_one(joined: defaultdict[str, list[str]], last: dict[str, int], offset: int, postings: Packed,
              keep: set[str] | None, trace: tuple[int, defaultdict[str, Any]] | None = None) -> None:
    """Add one segment's postings (of the ``keep`` terms, when given) to ``joined``
    (``trace``: the segment's place, and where to note each term's part)."""
    if keep is None:
        items: Any = postings.items()
    else:
        # a segment none of whose terms is kept is not split at all (its further
        # entries are most of a big site's postings)
        terms = postings.terms.split("\0") if postings.count else []
        # most segments hold none of an edit's few terms: looked at in C first
        if keep.isdisjoint(terms):
            return
        wanted = [i for i, term in enumerate(terms) if term in keep]
        entries, rests = postings.entries.split("\0"), postings.rests.split("\0")
        items = [(terms[i], (postings.firsts[i], entries[i], rests[i], postings.lasts[i])) for i in wanted]
    if trace is None:
        for term, (first, entry, rest, final) in items:
            joined[term].append(varint(offset + first - last.get(term, 0)) + entry + rest)
            last[term] = offset + final
        return
    index, made = trace
    for term, (first, entry, rest, final) in items:
        part = varint(offset + first - last.get(term, 0)) + entry + rest
        joined[term].append(part)
        last[term] = offset + final
        segs, lengths, lasts = made[term]
        segs.append(index)
        lengths.append(len(part))
        lasts.append(offset + final)


def shard_name(prefix: str, i: int, count: int) -> str:
    """The file of shard ``i`` of ``count``: its number in hex, as wide as the largest."""
    return f"{prefix}/{i:0{len(f'{count - 1:x}')}x}.json"


@functools.lru_cache(maxsize=8)
def shard_names(prefix: str, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every shard's file name (:func:`shard_name`), and its output path: spelled once,
    not three times a shard for each of an edit's 8,192 shards."""
    names = tuple(shard_name(prefix, i, count) for i in range(count))
    return names, tuple(INDEX_DIR + name for name in names)


def sizes(p: Packed) -> tuple[int, int, int]:
    """What :func:`settled_count` needs of a table: its terms, the characters of its
    entries and further entries, and those of its terms, each joined by NUL."""
    return p.count, len(p.entries) + len(p.rests), len(p.terms)


def settled_count(sizes: Iterable[tuple[int, int, int]], records: int) -> tuple[int | None, int]:
    """(the shard count of the joined postings (:func:`~generator.search.shard_count`)
    when bounds on their size settle it without joining them, else None; the lower
    bound of that size in bytes).

    A joined term's postings are its segments' entries, each after a record gap of 1 to
    ``len(varint(records))`` characters; the term itself adds its UTF-8 bytes (at most 3
    a character) and 6. A big site's tables are far above MAX_SHARDS × SHARD_TARGET, and
    its count is then the same for both bounds."""
    low = high = 0
    widest = len(varint(max(records, 1)))
    for count, characters, spelled in sizes:
        if count:
            entries = characters - 2 * (count - 1)      # less the NULs
            low += entries + count
            high += entries + count * (widest + 6) + 3 * spelled
    count = shard_count(low)
    return (count if shard_count(high) == count else None), low


# ---------------------------------------------------------------------------- files


def changed_terms(old: list[Segment] | None, new: list[Segment],
                   new_table: Callable[[int], tuple[Packed, Packed]]) -> tuple[set[str], set[str]] | None:
    """(terms, positional terms) whose postings differ between the last build's segments
    and these (``new_table(i)``: :meth:`Segment.packed` of ``new[i]``, asked for the
    segments that changed only); None when they cannot be told apart cheaply (every
    shard is made again).

    Segments that kept their place and number of records are compared one by one. From
    the first that did not on, every record may have moved: the postings of the rest,
    joined, are compared, when the rest is short (a document added, the newest, is in
    the last segment or a new one after it, and moves no other record)."""
    if old is None:
        return None
    same = 0
    while same < min(len(old), len(new)) and old[same].records == new[same].records:
        same += 1
    rest = max(len(old), len(new)) - same
    if rest > max(2, len(new) // 8):
        return None
    terms: set[str] = set()
    positional: set[str] = set()
    for i, (a, b) in enumerate(zip(old[:same], new[:same])):
        if a is not b:
            a_terms, a_positions = a.packed()
            b_terms, b_positions = new_table(i)
            terms |= _differ(a_terms, b_terms)
            positional |= _differ(a_positions, b_positions)
    if rest:
        # an old segment still in use is one of the new: its shelf is not read again
        tables = {id(seg): new_table(same + j) for j, seg in enumerate(new[same:])}
        tables.update({id(seg): seg.packed() for seg in old[same:] if id(seg) not in tables})
        for k, found in ((0, terms), (1, positional)):
            tails = []
            for segs in (old[same:], new[same:]):
                parts, offset = [], 0
                for seg in segs:
                    parts.append((offset, tables[id(seg)][k]))
                    offset += seg.records
                tails.append(join(parts))
            a, b = tails
            found |= {term for term in a.keys() | b.keys() if a.get(term) != b.get(term)}
    return terms, positional


def _differ(a: Packed, b: Packed) -> set[str]:
    """Terms whose entries (gaps and last record included) differ between two segments."""
    old, new = dict(a.items()), dict(b.items())
    return {term for term in old.keys() | new.keys() if old.get(term) != new.get(term)}


__all__ = ["changed_terms", "join", "join_kept", "settled_count", "shard_name", "shard_names", "sizes"]
