"""The search postings defined a term and a record at a time, in plain Python: the
specification that :mod:`generator.postings` computes with arrays, byte for byte.

This was the generator's own code until the array version replaced it (2.9 ms of CPU per
document, the largest piece of a full build); the tests compare the two."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from operator import add, sub
from typing import Callable

from generator.search import B64, CJK, _SMALL, Record, _no_check, fold, varint

# TOKEN as it matches folded text, matched on the text before folding (see field_terms)
_RAW_TOKEN = re.compile(f"([{CJK}]+)|([a-zA-Z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+)")

# term -> (first record, its entry without the gap, the further entries, last record)
Postings = dict[str, tuple[int, str, str, int]]


def field_terms(text: str) -> tuple[dict[str, list[int]], Counter[str], list[str]]:
    """(positions of bigrams and ASCII words, counts of CJK characters, CJK runs) in one
    field.

    Tokens are read from the text as it is and only ASCII words are folded: folding
    changes one character into one, never a CJK character, and turns a character into a
    letter or digit only if it is one (full-width or capital), so that the tokens and
    their positions are those of the folded field."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    runs = []
    for m in _RAW_TOKEN.finditer(text):
        run = m.group(1)
        if run:
            runs.append(run)
            if len(run) > 1:
                for i, gram in enumerate(map(add, run, run[1:]), m.start()):
                    positions[gram].append(i)
        else:
            positions[fold(m.group(2))].append(m.start())
    return positions, Counter("".join(runs)), runs


def segment_postings(records: list[Record], counted: tuple[Counter, set],
                     check: Callable[[], None] = _no_check) -> tuple[Postings, Postings]:
    """(postings, further positions) of these records, records numbered from 0. The
    fields' CJK runs are also counted into ``counted[0]`` and their characters added to
    ``counted[1]`` (the vocabulary's and the homophone table's input, from the same pass
    over the text).

    The postings of a positional term give, per record, each field's count and first
    position: enough to rank, to place a snippet, and to verify a phrase wherever each
    of its bigrams occurs once in a field. The further positions (a second file, fetched
    only to verify phrases of three or more characters) hold the rest."""
    # term -> [last record, first record, its entry, further entries (with their gaps)]:
    # one dictionary lookup per term and record, the innermost step of indexing
    state: dict[str, list] = {}
    rstate: dict[str, list] = {}
    small, masks = _SMALL, B64[:8]
    body_only = masks[4]
    empty: dict = {}
    no_counts: Counter = Counter()

    def put(state: dict[str, list], term: str, rec: int, entry: str) -> None:
        st = state.get(term)
        if st is None:
            state[term] = [rec, rec, entry, []]
        else:
            gap = rec - st[0]
            st[3].append((small[gap] if gap < 4096 else varint(gap)) + entry)
            st[0] = rec

    def gaps(lst: list[int]) -> str:
        return "".join([small[d] if d < 4096 else varint(d) for d in map(sub, lst[1:], lst)])

    for rec, record in enumerate(records):
        if rec % 16 == 0:
            check()
        fields = [field_terms(text) if text else (empty, no_counts, ()) for text in record.fields]
        for _, chars, runs in fields:
            counted[0].update(runs)
            counted[1].update(chars.keys())
        p0, p1, p2 = fields[0][0], fields[1][0], fields[2][0]
        c0, c1, c2 = fields[0][1], fields[1][1], fields[2][1]
        # Most terms occur in the body only (field 2): written without the general case's
        # loop over fields; the bytes are the same.
        shared = p0.keys() | p1.keys()
        for term, lst in p2.items():
            if term in shared:
                continue
            n, p = len(lst), lst[0]
            put(state, term, rec,
                body_only + (small[n] if n < 4096 else varint(n)) + (small[p] if p < 4096 else varint(p)))
            if n > 1:
                put(rstate, term, rec, body_only + gaps(lst))
        for term in shared:
            l0, l1, l2 = p0.get(term), p1.get(term), p2.get(term)
            out = [masks[(1 if l0 else 0) | (2 if l1 else 0) | (4 if l2 else 0)]]
            more_mask = 0
            more = []
            for f, lst in ((0, l0), (1, l1), (2, l2)):
                if lst:
                    n, p = len(lst), lst[0]
                    out.append(small[n] if n < 4096 else varint(n))
                    out.append(small[p] if p < 4096 else varint(p))
                    if n > 1:
                        more_mask |= 1 << f
                        more.append(gaps(lst))
            put(state, term, rec, "".join(out))
            if more_mask:
                put(rstate, term, rec, masks[more_mask] + "".join(more))
        shared = c0.keys() | c1.keys()
        for term, n2 in c2.items():
            if term not in shared:
                put(state, term, rec, body_only + (small[n2] if n2 < 4096 else varint(n2)))
        for term in shared:
            n0, n1, n2 = c0[term], c1[term], c2[term]
            put(state, term, rec, masks[(1 if n0 else 0) | (2 if n1 else 0) | (4 if n2 else 0)]
                + (varint(n0) if n0 else "") + (varint(n1) if n1 else "") + (varint(n2) if n2 else ""))
    return ({t: (first, entry, "".join(rest), final) for t, (final, first, entry, rest) in state.items()},
            {t: (first, entry, "".join(rest), final) for t, (final, first, entry, rest) in rstate.items()})
