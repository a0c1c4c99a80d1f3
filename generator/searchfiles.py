"""The search index files, built from segments that are kept from one build to the next.

The format is described in :mod:`generator.search`. The index is built from *segments*:
the records of a run of about SEGMENT_DOCS documents (with their task rows) and
interpretations, oldest first. A segment holds everything about its records that the
files need — postings with record numbers counted from the segment's start, the CJK runs
and characters for the pinyin vocabulary and the homophone table, display data and text
chunks, facet values — so that putting segments together is only renumbering and
joining strings. An incremental build (``memo``) computes again only the segments whose
documents changed: after a one-document edit, one segment of about thirty-two. Where
a segment ends is decided by the ids of the items in it (:func:`_cuts`), not by their
number, so a document added or removed changes only its own segment; and as the
records go oldest first, a new document's records come last and move no others.

The files are byte for byte those of one pass over all records: a posting's record gap
is relative to the term's previous record wherever that is, and the segments' first
gaps are written when they are joined.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from array import array
from pathlib import Path
from typing import Any, Callable

from .postings import Packed, segment_postings
from .searchdisplay import DisplayFiles, chunk_room, json_bytes as _json
from .segmentshelf import content_digest, give_back, shelve, shelve_tables, take, take_tables
from .searchshards import changed_terms as _changed_terms, join as _join, join_kept as _join_kept
from .searchshards import settled_count as _settled_count, shard_json as _shard_json, shard_names as _shard_names
from .searchshards import sizes as _sizes
from .searchtotals import FACET_FIELDS, facet_columns as _facet_columns, totals as _totals
from .termsplice import SpanStore, edited_segments as _edited_segments, file_spans as _file_spans
from .termsplice import shard_bytes as _shard_bytes, splice_shards as _splice_shards
from .writer import content_bytes
from .content.interpretations import Interpretation
from .pinyin import choose_vocabulary, homophones, kept_names, pinyin_shards, release as release_pinyin
from .search import (BLOCK, CHUNK, FORMAT, INDEX_DIR, PACK, Record,
                     _no_check, index_items, item_inputs, item_records,
                     fnv1a, shard_terms)
from .site import Site

SEGMENT_DOCS = 32        # documents per segment, about: what one edit makes us index again
PASS_BYTES = 16_000_000  # postings joined at once, about, when a full build makes the shards…
PASSES = 16              # … in at most this many passes over the segments
TRIM_SHARE = 8           # freed memory is handed back when one segment in this many is new


@dataclass
class Segment:
    """What the index files need from a run of records, numbered from 0."""

    records: int
    # the postings, and the further positions of positional terms: both None once
    # shelved after the index's shards are made (see generator.segmentshelf): packed()
    postings: Packed | None
    positions: Packed | None
    runs: Counter                  # CJK runs, for the pinyin vocabulary
    keep: set                      # names always in the vocabulary
    chars: set                     # CJK characters, for the homophone table
    # display data as a JSON array ("p" and chunk numbers from 0), and the text chunks
    # joined, with where each ends: as lists, the 110,000 little dicts and 340,000 chunks
    # of 10,000 documents were a quarter of the objects of the build cache. Both None
    # once the segment is shelved (see generator.segmentshelf): read with display().
    metas: str | None
    text: str | None
    ends: array
    digest: str                    # of metas, text and ends: names them in file prints
    # (kinds, years, issuers, topics, validities): a column each, one value per record
    # (not a tuple per record: 110,000 objects in the build cache at 10,000 documents)
    facets: tuple[tuple, ...]
    text_chars: int
    text_bytes: int
    shelf: tuple[str, int] | None = None     # (file, size) holding metas and text, once shelved
    tables: tuple[str, int, int] | None = None   # (file, size, CRC-32) holding the postings, ditto
    # (postings, positions): each table's _sizes, kept so that the shard counts of an
    # edit are known without reading every segment's shelved tables back
    sizes: tuple[tuple[int, int, int], ...] = ()

    def display(self) -> tuple[str, str]:
        """(metas, text): as held, or read back from the shelf."""
        if self.shelf is None:
            return self.metas, self.text
        return take(self)

    def packed(self) -> tuple[Packed, Packed]:
        """(postings, positions): as held, or read back from the shelf (not kept)."""
        if self.tables is None:
            return self.postings, self.positions
        return take_tables(self)


def make_segment(records: list[Record], check: Callable[[], None] = _no_check) -> Segment:
    """Everything the files need from ``records`` (numbered from 0, parents too)."""
    runs: Counter = Counter()
    chars: set = set()
    postings, positions = segment_postings(records, (runs, chars), check)
    chunks: list[str] = []
    metas: list[dict] = []
    text_chars = text_bytes = 0
    for r in records:
        meta: dict = {"t": r.title, "u": r.url, "k": r.kind}
        if r.parent is not None:
            meta["p"] = r.parent          # date, issuer and notice are the document's
        else:
            for key, value in (("d", r.date), ("i", r.issuer), ("n", r.notice), ("x", r.context)):
                if value:
                    meta[key] = value
        if r.extra:
            meta["e"] = r.extra
        for f, name in ((1, "h"), (2, "b")):
            text = r.fields[f]
            if text:
                meta[name] = [len(chunks), len(text)]
                chunks += [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
        if r.anchors:
            meta["a"] = [list(a) for a in r.anchors]
        metas.append(meta)
        for text in r.fields:
            text_chars += len(text)
            text_bytes += len(text.encode("utf-8"))
    ends = array("i")
    end = 0
    for chunk in chunks:
        end += len(chunk)
        ends.append(end)
    metas_json, text = json.dumps(metas, ensure_ascii=False, separators=(",", ":")), "".join(chunks)
    digest = content_digest(metas_json.encode("utf-8", "surrogatepass"),
                            text.encode("utf-8", "surrogatepass"), ends)
    return Segment(len(records), postings, positions, runs, kept_names(records),
                   chars, metas_json, text, ends, digest,
                   tuple(tuple(getattr(r, name) for r in records) for name in FACET_FIELDS),
                   text_chars, text_bytes, sizes=(_sizes(postings), _sizes(positions)))


def _bounds() -> tuple[int, int, int]:
    """(least, spread, most): a segment ends after its ``least``-th item or later, at the
    first whose id's hash is 0 modulo ``spread`` (about SEGMENT_DOCS items on average),
    or at ``most``. The spread is kept small: the segment an edit falls in is then about
    SEGMENT_DOCS long (with half as least and half as spread, 39 documents on average
    at 10,000 instead of 32, as the longer segments take more of the documents)."""
    least = max(1, SEGMENT_DOCS * 3 // 4)
    return least, max(1, SEGMENT_DOCS - least + 1), SEGMENT_DOCS * 3


def _cuts(item: Any, spread: int) -> bool:
    """Whether a segment may end after ``item``: decided by its id alone, so that adding,
    removing or moving one document changes only the segment it is in (a segment of a
    fixed number of documents would move every later boundary, and after a new document
    every segment was made again: 10.8 of 36 s when one was added to 10,000)."""
    return zlib.crc32(f"{type(item).__name__}:{item.id}".encode()) % spread == 0


def _item_key(item: Any, extra: Any) -> tuple:
    """What an item's records are made from, as object ids (the memo keeps the objects)."""
    if type(item) is Interpretation:     # extra: the documents it interprets
        return (id(item), tuple(map(id, extra)))
    return (id(item), id(extra))         # extra: the document's task rows


def site_segments(site: Site, check: Callable[[], None] = _no_check,
                  memo: dict | None = None,
                  each: Callable[[Segment], None] = lambda seg: None) -> list[Segment]:
    """The site's segments in record order (:func:`~generator.search.index_items`): runs
    of about SEGMENT_DOCS documents and interpretations, ending where :func:`_cuts` says
    (see :func:`_bounds`). With ``memo`` ({"old": …} from the last build, "new" filled
    in) a run whose objects are the same is not indexed again. ``each(segment)`` is
    called as each comes, in order."""
    old = memo.get("old", {}) if memo is not None else {}
    new: dict = {}
    segments: list[Segment] = []
    least, spread, most = _bounds()
    run: list = []
    extras: list = []

    def close() -> None:
        key = tuple(_item_key(item, extra) for item, extra in zip(run, extras))
        entry = old.get(key)
        if entry is None:
            check()
            records: list[Record] = []
            for item, extra in zip(run, extras):
                records += item_records(item, extra, len(records))
            # the objects are kept with the segment: their ids key the memo
            entry = (tuple(run), tuple(extras), make_segment(records, check))
        new[key] = entry
        segments.append(entry[2])
        each(entry[2])
        run.clear()
        extras.clear()

    swaps = memo.get("swaps") if memo is not None else None
    if swaps is not None and sum(len(entry[0]) for entry in old.values()) == \
            len(site.documents) + len(site.interpretations):
        # Only document bodies changed since the memo was made (generator.bodyedit):
        # its runs are the site's, with the swapped documents in place (the same
        # fields but the body, so the same places and cuts; the same task rows).
        # Walking the site's 10,000 items again to key 324 runs was 45 ms of an edit.
        swapped = swaps.keys()
        for key, entry in old.items():
            if swapped.isdisjoint(map(id, entry[0])):
                new[key] = entry
                segments.append(entry[2])
                each(entry[2])
                continue
            run += [swaps.get(id(item), item) for item in entry[0]]
            extras += [item_inputs(site, item) for item in run]
            close()
    else:
        for item in index_items(site):
            run.append(item)
            extras.append(item_inputs(site, item))
            if len(run) >= most or (len(run) >= least and _cuts(item, spread)):
                close()
        if run:
            close()
    if memo is not None:
        memo["new"] = new
    return segments


def memo_key(entry: tuple) -> tuple:
    """The memo key of an entry (for a memo read back from the build cache)."""
    return tuple(_item_key(item, extra) for item, extra in zip(entry[0], entry[1]))


@dataclass
class SearchIndex:
    """The index files (path under ``search/index/`` → bytes) and figures about them."""

    files: dict[str, bytes | Path]   # or what stands for a file: writer.Staged, writer.Kept
    records: int
    terms: int
    vocabulary: int
    text_chars: int
    text_bytes: int
    # the files made by this build, path → SHA-256 where taken (None: not hashed): the
    # others are the very objects of the memo's "reuse" (the last build's files)
    made: dict[str, str | None] = field(default_factory=dict)

    def size(self, prefix: str = "") -> int:
        return sum(len(v) for k, v in self.files.items() if k.startswith(prefix))


def _shard_of(term: str, count: int) -> int:
    return fnv1a(term) & (count - 1)


def build_index(site: Site, check: Callable[[], None] = _no_check, memo: dict | None = None,
                put: Callable[[str, bytes], Any] | None = None) -> SearchIndex:
    """Build every index file for ``site``; ``check()`` is called now and then and may
    raise :class:`~generator.search.Cancelled`. ``memo``: see :func:`site_segments`; an
    incremental build also passes the last build's display file prints as "prints" (and
    what each segment made as "display", getting this build's in "display_new") and
    its files as "reuse" (:mod:`generator.searchdisplay`), and the pinyin readings of its
    vocabulary as "readings", and gets this build's in "prints_new" and "readings_new".

    ``put(output path, bytes)``, when given, takes each file as soon as it is made and
    returns what stands for it in ``files`` (a full build writes it into the staging
    folder): the bytes of 10,000 documents' index, 315 MB, are then never all held.

    The term and position shards are memoised too ("shards", "shards_new": the last
    build's segments in order, shard counts and file digests): where every segment
    kept its place and size, a shard none of whose terms changed in an edited segment
    is the last build's file (:func:`_changed_terms`). After a one-document edit of
    10,000 documents, 2 of 8,192 shards changed, and encoding and hashing the others
    again was a third of the index's time."""
    last = memo.get("shards", {}) if memo is not None else {}
    reuse = memo.get("reuse", {}) if memo is not None else {}
    shelf = memo.get("shelf") if memo is not None else None
    # A segment's display files are made as soon as it is, and its display data and
    # text then shelved (generator.segmentshelf), not held while the postings are joined.
    display = DisplayFiles(memo.get("prints", {}) if memo is not None else {}, reuse, put,
                           memo.get("display") if memo is not None else None)

    def to_shelf(put_away: Callable[[list, Path], None], segs: list[Segment]) -> None:
        try:
            put_away(segs, shelf)
        except OSError:
            pass        # kept in memory: the cache's save tries again, and says so

    new_segments = 0        # segments made by this build (not the last build's)

    def each(seg: Segment) -> None:
        nonlocal new_segments
        new_segments += seg.shelf is None
        display.add(seg)
        if shelf is not None:
            to_shelf(shelve, [seg])

    segments = site_segments(site, check, memo, each)
    # Memory is handed back only after a build that made many segments: after an
    # edit's one, what was freed is a few MB the next edit reuses, and asking glibc to
    # trim its heap twice was 26 ms of each edit's refresh at 10,000 documents.
    trim = shelf is not None and new_segments * TRIM_SHARE >= len(segments)
    if trim:
        give_back()     # the display data and text shelved meanwhile, before the joins
    offsets, bases, total = display.offsets, display.bases, display.records
    files: dict[str, Any] = {}
    sums: dict[str, str] = {}        # SHA-256 of the files the content hash covers
    # each segment's (postings, positions), read back once where shelved: for the
    # comparison with the last build, and for the shards when they are all made
    read: dict[int, tuple[Packed, Packed]] = {}

    def table(i: int) -> tuple[Packed, Packed]:
        if i not in read:
            read[i] = segments[i].packed()
        return read[i]

    changed = _changed_terms(last.get("segments"), segments, table)

    last_sums: dict[str, str] = last.get("sums", {})

    def take_last(name: str) -> bool:
        """Take the last build's file ``name`` and its digest, when there is one."""
        digest = last_sums.get(name)
        if digest is None or INDEX_DIR + name not in reuse:
            return False
        files[name], sums[name] = reuse[INDEX_DIR + name], digest
        return True

    made_names: list[str] = []      # the files made (see SearchIndex.made)

    def add(name: str, data: bytes) -> None:
        made_names.append(name)
        kept = put(INDEX_DIR + name, data) if put is not None else data
        # a file written by put() carries its SHA-256 (writer.Staged): not hashed twice
        sums[name] = getattr(kept, "digest", None) or hashlib.sha256(data).hexdigest()
        files[name] = kept

    def shard_files(prefix: str, parts: list[tuple[int, Packed]],
                    changed_terms: set[str] | None) -> tuple[int, int]:
        """One postings table as its shard files, each let go once made (the joined
        postings of a big site are hundreds of MB): (shards, terms). A shard none of
        ``changed_terms`` falls in is the last build's file, when there were as many.
        (An edit whose changed shards alone can be joined goes through edited_shards.)"""
        def dirty_shards(count: int) -> set[int] | None:
            if changed_terms is None or last.get(prefix) != count:
                return None
            return {fnv1a(term) & (count - 1) for term in changed_terms}

        count, size = _settled_count([_sizes(p) for _, p in parts], total)
        hashes: dict[str, int] | None = None
        if count is None:
            # a count only the joined table settles (a small site): join it whole
            table = _join(parts)
            count, shards = shard_terms(table)
            terms, passes = len(table), 1
            del table
        else:
            every = set().union(*(p.terms.split("\0") for _, p in parts if p.count))
            hashes = {term: fnv1a(term) & (count - 1) for term in every}
            terms = len(every)
            # The shards are joined a range at a time: the whole table of 10,000
            # documents' postings is 60 MB of strings (and the pieces they are joined
            # from) at the moment the build process is largest, a render worker beside it.
            passes = min(PASSES, max(1, -(-size // PASS_BYTES)))
        dirty = dirty_shards(count)
        for k in range(passes):
            lo, hi = k * count // passes, (k + 1) * count // passes
            if hashes is not None:
                keep = None if passes == 1 else {term for term, h in hashes.items() if lo <= h < hi}
                shards = {i: {} for i in range(lo, hi)}
                for term, p in _join(parts, keep).items():
                    shards[hashes[term]][term] = p
            names = _shard_names(prefix, count)[0]
            for i in range(lo, hi):
                shard = shards.pop(i)
                if not (dirty is not None and i not in dirty and take_last(names[i])):
                    add(names[i], _shard_json(shard))
        return count, terms

    def last_file(name: str) -> dict[str, str] | None:
        """The last build's term file ``name`` (None: not the file it wrote)."""
        data = content_bytes(reuse[INDEX_DIR + name])
        return json.loads(data) if hashlib.sha256(data).hexdigest() == last_sums[name] else None

    def join_traced(keeps: list[set[str]]) -> list[dict[str, tuple[str, Any]]]:
        """The ``keeps`` terms of each table joined from every segment, with their traces."""
        traces: list[dict] = [{}, {}]
        joined = _join_kept(((offset, seg.packed() if i not in read else read.pop(i))
                             for i, (offset, seg) in enumerate(zip(offsets, segments))), keeps, traces)
        return [{term: (p, found[term]) for term, p in one.items()} for one, found in zip(joined, traces)]

    def edited_shards() -> tuple[int, int, int] | None:
        """(shards, terms, position shards) when only the term files an edit changed
        need making (the shard counts follow from the segments' sizes); else None.
        An edit that keeps every segment's place and size splices them (see
        generator.termsplice); any other joins the terms of those files from every
        segment, one segment's tables at a time (held together, those of 10,000
        documents were 90 MB of an edit's peak memory)."""
        nonlocal spans
        if changed is None:         # (then there is a last build, whose memo has "terms")
            return None
        plans = []
        for k, prefix in enumerate(("t", "q")):
            count, _ = _settled_count([seg.sizes[k] for seg in segments], total)
            if count is None or last.get(prefix) != count:
                return None
            names, fulls = _shard_names(prefix, count)
            if not (last_sums.keys() >= set(names) and reuse.keys() >= set(fulls)):
                return None
            plans.append((count, names, {_shard_of(term, count) for term in changed[k]}))
        edits = _edited_segments(last.get("segments"), segments)
        spliced = None
        if edits is not None:
            spliced = _splice_shards(spans, plans, last_sums, changed,
                                     [(j, offsets[j], table(j)) for j in edits], _shard_of, last_file, join_traced)
        made_bytes = spliced is not None
        if spliced is not None:
            spliced, before = spliced
        else:
            helds = []
            for count, names, dirty in plans:
                held: set[str] = set()
                for i in dirty:
                    known = spans.get(names[i], last_sums[names[i]])
                    if known is not None:
                        held.update(known.terms)    # the terms of the file with that digest
                        continue
                    found = last_file(names[i])
                    if found is None:
                        return None             # not the file the last build wrote
                    held.update(found)
                helds.append(held)
            # the kept traces are of the segments' places this edit moved: a new store
            # (not the last one emptied, which a cancelled build would leave so)
            spans = SpanStore()
            before = helds[0]
            keeps = [held | changed[k] for k, held in enumerate(helds)]
            joined = join_traced(keeps) if any(keeps) else [{}, {}]
            spliced = [{i: {} for i in dirty} for _, _, dirty in plans]
            for (count, _, _), table_terms, made in zip(plans, joined, spliced):
                for term, found in table_terms.items():
                    made[_shard_of(term, count)][term] = found
        now: set[str] = set()
        for (count, names, dirty), made in zip(plans, spliced):
            for i in range(count):
                if i not in dirty:
                    take_last(names[i])
                    continue
                shard = {term: p for term, (p, _) in made[i].items()}
                if made is spliced[0]:
                    now.update(shard)
                # (spliced: postings as the bytes of the files, joined as they are)
                data = _shard_bytes(shard) if made_bytes else _shard_json(shard)
                add(names[i], data)
                # the spans (and so the terms) of what an in-memory build (build
                # --watch, preview) wrote, for the next edit
                spans.put(names[i], None if put is not None else
                          _file_spans(sums[names[i]], data, shard, {t: tr for t, (_, tr) in made[i].items()}))
        return plans[0][0], last["terms"] + len(now - before) - len(before - now), plans[1][0]

    # The term files recent edits wrote, their terms and where each term's segments are
    # in them (generator.termsplice): the next edit splices them, or at least need not
    # read back, hash and parse them to learn their terms (an edit that adds text to a
    # document changes some 140 files of common terms: 33 MB at 10,000 documents).
    spans: SpanStore = last.get("spans") or SpanStore()
    check()
    edited = edited_shards()
    if edited is not None:
        shard_total, term_count, pos_count = edited
    else:
        tables = [table(i) for i in range(len(segments))]
        read.clear()
        shard_total, term_count = shard_files("t", [(o, t[0]) for o, t in zip(offsets, tables)],
                                              changed[0] if changed else None)
        pos_count, _ = shard_files("q", [(o, t[1]) for o, t in zip(offsets, tables)],
                                   changed[1] if changed else None)
        del tables
    if shelf is not None:
        # not needed again by this build: the new segments' postings go to the shelf too
        # (at 10,000 documents, 100 MB of the build process while the pages render)
        to_shelf(shelve_tables, segments)
        if trim:
            give_back()
    check()

    totals = _totals(segments, last.get("totals"))
    runs, keep, chars = totals.runs, set(totals.keep), set(totals.chars)
    seen: dict[str, list[str]] = {}
    vocab = choose_vocabulary(runs, keep, check, memo.get("readings") if memo is not None else None, seen)
    if memo is not None:
        memo["readings_new"] = seen
    pshards, split = pinyin_shards(vocab)
    for key, entries in pshards.items():
        add(f"p/{key}.json", _json(entries))
    # the homophone table reads every character's pinyin: kept while the characters are
    if not (last.get("chars") == chars and take_last("py.json")):
        add("py.json", _json(homophones(chars)))
    if memo is not None and memo.get("release_pinyin"):
        release_pinyin()
    if memo is not None:
        memo["shards_new"] = {"segments": segments, "t": shard_total, "q": pos_count, "terms": term_count,
                              "chars": frozenset(chars),
                              "sums": {k: v for k, v in sums.items() if k[:2] in ("t/", "q/") or k == "py.json"},
                              "totals": totals, "spans": spans if edited is not None else None}
    check()

    changes = display.finish_changes()
    shown, prints = display.finish() if changes is None else changes[:2]
    if memo is not None:
        memo["prints_new"], memo["display_new"] = prints, display.runs

    # The content hash: of every file but the display files, which are a function of the
    # segments (their digests) and where each starts (so reused files need not be read)
    digest = hashlib.sha256(f"{CHUNK} {PACK} {BLOCK}\0".encode())
    for path in sorted(sums):
        digest.update(f"{path}\0{sums[path]}\0".encode())
    for seg, offset, base in zip(segments, offsets, bases):
        digest.update(f"{seg.digest} {offset} {base}\0".encode())
    files.update(shown)
    facets, facet_parts = _facet_columns(segments, last, totals.facets)
    if memo is not None:
        memo["shards_new"]["facets"] = facet_parts
    manifest = {
        "format": FORMAT, "hash": digest.hexdigest()[:12], "records": total,
        "shards": shard_total, "positions": pos_count, "chunk": CHUNK, "pack": PACK,
        "block": BLOCK, "facets": facets,
        "pinyin": " ".join(pshards), "split": " ".join(split),
    }
    add("manifest.json", _json(manifest))
    made = {INDEX_DIR + name: sums.get(name) for name in (*made_names, *display.made)}
    if changes is not None and len(files) + changes[2] - len(shown) == len(reuse) and \
            all(map(reuse.__contains__, made)):
        # The last build's names, every file not made taken from it (see take_last and
        # DisplayFiles): its map, in its order, with the files made put in. Sorting the
        # 42,000 names again was 30 ms of an edit at 10,000 documents.
        ordered = dict(reuse)
        cut = len(INDEX_DIR)
        for path in made:
            ordered[path] = files[path[cut:]]
    else:
        if changes is not None:
            files.update(display.finish()[0])
        ordered = {INDEX_DIR + k: files[k] for k in sorted(files)}
    return SearchIndex(ordered, total, term_count,
                       len(vocab), sum(s.text_chars for s in segments), sum(s.text_bytes for s in segments),
                       made)


def index_files(site: Site, check: Callable[[], None] = _no_check, memo: dict | None = None,
                put: Callable[[str, bytes], Any] | None = None) -> list[tuple[str, Any]]:
    """(output path, bytes, or what ``put`` made of them) of every search index file, in
    a fixed order."""
    # build_index gives them sorted already
    return list(build_index(site, check, memo, put).files.items())


__all__ = ["Packed", "SearchIndex", "Segment", "build_index", "chunk_room", "index_files", "make_segment", "memo_key",
           "segment_postings", "site_segments"]
