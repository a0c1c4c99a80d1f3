"""The search index's term files spliced after an edit (generator.termsplice): the same
postings, byte for byte, as joining every segment again."""
from __future__ import annotations

import random
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.postings import Packed
from generator.search import B64
from generator.searchshards import _differ, join_kept, shard_json
from generator.termsplice import file_spans, shard_bytes, spliced_shard

VOCAB = [f"词{i}" for i in range(12)]


def _table(rng: random.Random, records: int) -> Packed:
    """A segment's random postings table over ``records`` records."""
    terms = sorted(rng.sample(VOCAB, rng.randint(0, len(VOCAB))))
    firsts, lasts, entries, rests = array("i"), array("i"), [], []
    for _ in terms:
        first = rng.randrange(records)
        firsts.append(first)
        lasts.append(rng.randint(first, records - 1))
        entries.append("".join(rng.choice(B64) for _ in range(rng.randint(1, 4))))
        rests.append("".join(rng.choice(B64) for _ in range(rng.randint(0, 3))))
    return Packed(len(terms), "\0".join(terms), "\0".join(entries), "\0".join(rests), firsts, lasts)


def _joined(tables: list[Packed], sizes: list[int]) -> tuple[dict[str, str], dict]:
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    traces: list[dict] = [{}]
    joined = join_kept(((o, (t,)) for o, t in zip(offsets, tables)), [set(VOCAB)], traces)[0]
    return joined, traces[0]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_splicing_edited_segments_gives_what_joining_them_all_gives(seed):
    rng = random.Random(seed)
    # segments of up to 40 records: records past 31 (and gaps past 1023) take longer varints
    sizes = [rng.randint(1, 40) for _ in range(rng.randint(1, 7))]
    tables = [_table(rng, n) for n in sizes]
    postings, traces = _joined(tables, sizes)
    for _ in range(4):             # edits in a row, each from the last one's spans
        edited = rng.sample(range(len(sizes)), rng.randint(1, min(2, len(sizes))))
        new = list(tables)
        for j in edited:
            new[j] = _table(rng, sizes[j])
        changed = set().union(*(_differ(tables[j], new[j]) for j in edited))
        # the file as written, read back through its spans
        data = shard_json(postings)
        spans = file_spans("digest", data, postings, traces)
        assert spans is not None and spans.postings() == {t: p.encode() for t, p in postings.items()}
        edits = [(j, sum(sizes[:j]), {t: (f, (e + r).encode(), z) for t, (f, e, r, z) in new[j].items()
                                      if t in changed}) for j in sorted(edited)]
        out = spliced_shard(spans.postings(), spans.traces(), changed, edits)
        assert out is not None
        want, want_traces = _joined(new, sizes)
        assert {t: p.decode() for t, (p, _) in out.items()} == want
        assert shard_bytes({t: p for t, (p, _) in out.items()}) == shard_json(want)
        assert {t: tr for t, (_, tr) in out.items()} == want_traces
        tables, postings, traces = new, want, {t: tr for t, (_, tr) in out.items()}


def test_a_changed_term_whose_trace_is_not_known_is_not_spliced():
    rng = random.Random(7)
    sizes = [5, 5, 5]
    tables = [_table(rng, n) for n in sizes]
    postings, _ = _joined(tables, sizes)
    term = next(iter(postings))
    # a file read back (no traces): its changed term cannot be spliced; a term new to
    # the site can (it has no segments yet)
    postings = {t: p.encode() for t, p in postings.items()}
    assert spliced_shard(postings, {}, {term}, [(1, 5, {})]) is None
    out = spliced_shard(postings, {}, {"新词"}, [(1, 5, {"新词": (0, b"a", 2)})])
    assert out is not None and out["新词"][0] == b"5a" and out[term] == (postings[term], None)
    # nor is a new term JSON would escape
    assert spliced_shard(postings, {}, {'新"词'}, [(1, 5, {'新"词': (0, b"a", 2)})]) is None


def test_spans_are_not_kept_for_a_file_whose_terms_needed_escaping():
    shard = {'a"b': "12", "c": "3"}
    data = shard_json(shard)
    assert file_spans("d", data, shard, {}) is None
    assert file_spans("d", b"{}", {}, {}) is not None
