"""What the search index sums over all its segments: the totals the pinyin vocabulary
and the homophone table are made from, and the facet columns of the manifest.

Both are kept from one build to the next (in memory: the build cache drops the
totals) and changed by the segments that came and went, not summed again: after a
one-document edit of 10,000 documents, one segment of 324 is new.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .search import B64, FACETS, TYPES

FACET_FIELDS = ("kind", "year", "issuer", "topic", "validity")      # Record fields, FACETS' order


def facet_columns(segments: list, last: dict | None = None,
                  present_values: list[Counter] | None = None) -> tuple[list[dict], list]:
    """One column per facet: a fixed-width code per record (0: none); and each facet's
    (values, code strings by segment), for the next build's ``last``.
    ``present_values``: per facet, the values the records hold (:class:`Totals`), else
    found here.

    ``last``: the last build's shards memo, with its segments in order and their code
    strings: a segment at the same place, the very same object, with the facet's values
    unchanged, gives the same codes (an edit of 10,000 documents spelled 550,000 codes
    again, 35 ms of its index)."""
    last = last or {}
    last_segments: list = last.get("segments") or []
    last_parts: list = last.get("facets") or []
    columns, parts = [], []
    for n, (key, label) in enumerate(FACETS):
        if key == "type":
            values = list(TYPES)
        else:
            if present_values is not None:
                present = present_values[n].keys()
            else:
                present = set()
                for seg in segments:
                    present.update(seg.facets[n])
            values = sorted(v for v in present if v)
            if key == "year":
                values.sort(reverse=True)
        width = 1
        while 64 ** width <= len(values):
            width += 1
        spelled = [_varint_fixed(c, width) for c in range(len(values) + 1)]   # a handful of codes
        # a record's type is already a number (its place in TYPES); the others are values
        index = {i: i + 1 for i in range(len(values))} if key == "type" else \
            {v: i + 1 for i, v in enumerate(values)}
        # the last build's pieces, one per segment of last_segments
        old = last_parts[n][1] if n < len(last_parts) and last_parts[n][0] == values else None
        pieces = []
        for i, seg in enumerate(segments):
            if old is not None and i < len(old) and last_segments[i] is seg:
                pieces.append(old[i])
            else:
                pieces.append("".join([spelled[index.get(v, 0)] for v in seg.facets[n]]))
        parts.append((values, pieces))
        columns.append({"key": key, "label": label, "values": values, "width": width, "col": "".join(pieces)})
    return columns, parts


def _varint_fixed(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        out = B64[n & 63] + out
        n >>= 6
    return out


@dataclass
class Totals:
    """What the vocabulary and the homophone table are made from, summed over segments:
    CJK runs with their counts, and the names always kept and the CJK characters, each
    with the number of segments holding it (so that a segment can be taken out again);
    and per facet, the records holding each value (the facet columns' values: found
    in the 110,000 records of 10,000 documents again, 15 ms of an edit)."""

    segments: list             # the Segments summed, in order
    runs: Counter
    keep: Counter
    chars: Counter
    facets: list[Counter]


def totals(segments: list, last: Totals | None) -> Totals:
    """The :class:`Totals` of ``segments``: the last build's, less the segments gone and
    plus those new, when few changed (summing 300 segments' runs again was 20 ms of a
    one-document edit of 10,000 documents)."""
    runs, keep, chars = Counter(), Counter(), Counter()
    facets = [Counter() for _ in FACETS]
    adding: list = segments
    if last is not None:
        before = {id(seg) for seg in last.segments}
        now = {id(seg) for seg in segments}
        gone = [seg for seg in last.segments if id(seg) not in now]
        came = [seg for seg in segments if id(seg) not in before]
        if len(gone) + len(came) <= max(2, len(segments) // 8):
            runs, keep, chars = last.runs.copy(), last.keep.copy(), last.chars.copy()
            facets = [counts.copy() for counts in last.facets]
            for seg in gone:
                for total, part in ((runs, seg.runs), (keep, seg.keep), (chars, seg.chars),
                                    *((counts, Counter(values)) for counts, values in zip(facets, seg.facets))):
                    total.subtract(part)
                    for key in part:
                        if total[key] <= 0:
                            del total[key]
            adding = came
    for seg in adding:
        runs.update(seg.runs)
        keep.update(seg.keep)
        chars.update(seg.chars)
        for counts, values in zip(facets, seg.facets):
            counts.update(values)
    return Totals(list(segments), runs, keep, chars, facets)


__all__ = ["FACET_FIELDS", "Totals", "facet_columns", "totals"]
