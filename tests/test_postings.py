"""The array-at-a-time postings (generator.postings) against their definition, a term
and a record at a time (tests/search_reference.py), byte for byte."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import search_reference as reference
from generator import postings, search
from generator.search import Record

# Pieces of text that meet every rule: CJK runs (the supplementary plane too, and 〇),
# ASCII and full-width letters and digits (folded), punctuation and spaces between, the
# newline that parts fields inside generator.postings, a lone surrogate.
PIECES = ["依申请", "公开", "政务", "公", "开", "Ａ", "ｂ", "Ｚ", "ｚ", "０", "９", "Q", "x", "7", "，", "。",
          "（", "）", "\u3000", " ", "-", "〇", "\uf900", "：", "ＡＢＣ", "abc", "ﾟ", "＠", "｀", "［",
          "\U00020000", "\U0003134f", "𠀀公", "\n", "\ud800", "2024", "年"]

field = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
record = st.tuples(field, field, field)


def records_of(fields: list[tuple[str, str, str]]) -> list[Record]:
    return [Record(0, "t", "u", f) for f in fields]


def assert_same(records: list[Record]) -> None:
    got_runs: tuple[Counter, set] = (Counter(), set())
    want_runs: tuple[Counter, set] = (Counter(), set())
    got = postings.segment_postings(records, got_runs)
    want = reference.segment_postings(records, want_runs)
    for packed, table in zip(got, want):
        assert packed.count == len(table)
        assert dict(packed.items()) == table
    assert got_runs[0] == want_runs[0]
    assert list(got_runs[0]) == list(want_runs[0])      # first seen first, as the vocabulary reads them
    assert got_runs[1] == want_runs[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, max_size=12))
def test_postings_match_the_reference(fields):
    assert_same(records_of(fields))


def test_postings_match_the_reference_at_scale():
    """Positions past 4,096 and 32,768 (three- and four-character varints), record gaps
    past 32, a term in every record and terms in one."""
    rng = random.Random(3)
    fields = []
    for r in range(300):
        body = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 5, 50, 400])))
        if r % 97 == 5:
            body = "政务公开" * 9000 + body       # 36,000 characters: four-character positions
        fields.append((rng.choice(["", "公开", "通知"]), rng.choice(["", "2024", "依申请公开"]), body))
    records = records_of(fields)
    assert_same(records)
    assert max(len(f[2]) for f in fields) > 32_768


def test_long_text_is_sorted_by_two_keys(monkeypatch):
    """Text too long to share one integer with the term key is sorted by two keys."""
    monkeypatch.setattr(postings, "_PLACE", 4)
    rng = random.Random(5)
    fields = [tuple("".join(rng.choice(PIECES) for _ in range(30)) for _ in range(3)) for _ in range(20)]
    assert_same(records_of(fields))


def test_no_text_no_postings():
    runs: tuple[Counter, set] = (Counter(), set())
    assert postings.segment_postings(records_of([("", "", ""), ("，", " ", "。")]), runs) == (
        postings.EMPTY, postings.EMPTY)
    assert postings.segment_postings([], runs) == (postings.EMPTY, postings.EMPTY)
    assert not runs[0] and not runs[1]


@pytest.mark.parametrize("n", [0, 31, 32, 1023, 1024, 4095, 4096, 32767, 32768, 2**20, 2**25 + 3, 2**31 - 1])
def test_varints_are_those_of_search(n):
    values = np.array([n], np.int64)
    lengths = postings._varint_lengths(values)
    out = np.zeros(int(lengths[0]), np.uint8)
    postings._put_varints(out, np.array([0]), values, lengths)
    assert out.tobytes().decode() == search.varint(n)


def test_reference_terms_are_those_of_the_folded_text():
    """The definition tokenises fields as they are and folds only ASCII words: the terms,
    their positions, the character counts and the CJK runs must be those of the folded
    field."""
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        folded = search.fold(text)
        positions: dict[str, list[int]] = {}
        runs = []
        for m in search.TOKEN.finditer(folded):
            if m.group(1):
                runs.append(m.group(1))
                for i in range(len(m.group(1)) - 1):
                    positions.setdefault(m.group(1)[i:i + 2], []).append(m.start() + i)
            else:
                positions.setdefault(m.group(2), []).append(m.start())
        got_positions, got_counts, got_runs = reference.field_terms(text)
        assert dict(got_positions) == positions, text
        assert got_counts == Counter("".join(runs)), text
        assert list(got_runs) == runs, text
    terms = reference.field_terms("ＧＯＶ公开Ｃn２０２４年")[0]
    assert set(terms) == {"gov", "公开", "cn2024"}
