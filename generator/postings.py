"""A segment's postings, computed over all its records at once with numpy.

Indexing is the biggest piece of a full build. Done a term and a record at a time in
Python (a dictionary entry per bigram occurrence, a string per term and record), it took
2.9 ms per document: 29 s of CPU for 10,000 documents. Here the text of a whole segment
is one array of code points; bigrams, words and characters become arrays of (term key,
field, position) that one sort groups by term, record and field; and the varints of the
postings are written straight into one byte array per string. The bytes are exactly those
of the term-at-a-time definition, which ``tests/search_reference.py`` keeps as the
specification (see ``test_postings_match_the_reference``).

What a term's postings hold is described in :mod:`generator.search`: per record, a mask
of the fields the term is in, then for each of them the count and (positional terms) the
first position; the further positions go to a second table. Records after a term's first
are written with their gap from the term's previous record.
"""
from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from .search import B64, CJK_RUN, Record, _no_check, fold

# ASCII letters and digits, full-width too: folded, these are the index's words
_WORD = re.compile("[a-zA-Z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
_CODES = np.frombuffer(B64.encode("ascii"), np.uint8)
_LOW = 18                    # bits of a bigram's second code point in its key (U+3134F < 2**18)
_WORDS = np.int64(1 << 36)   # word keys start here, above every bigram key
_PLACE = 26                  # bits of a place in the text beside a key below 2**37 (see _sorted)


@dataclass
class Packed:
    """A segment's postings in a handful of objects: terms, entries and further entries
    each joined by NUL (none of them can hold one), first and last records as arrays.

    Held as a dict of tuples, the segments of 10,000 documents are some 15 million small
    objects: seconds to pickle into the build cache and back, and hundreds of MB. The order
    of the terms carries no meaning (every file is written with its keys sorted)."""

    count: int
    terms: str
    entries: str
    rests: str
    firsts: array
    lasts: array

    def items(self) -> Iterator[tuple[str, tuple[int, str, str, int]]]:
        """(term, (first record, entry, further entries, last record)) in term order."""
        if not self.count:
            return iter(())
        return zip(self.terms.split("\0"),
                   zip(self.firsts, self.entries.split("\0"), self.rests.split("\0"), self.lasts))

    def __add__(self, other: "Packed") -> "Packed":
        """Both tables' terms (which must not overlap), this one's first."""
        if not other.count:
            return self
        if not self.count:
            return other
        return Packed(self.count + other.count, self.terms + "\0" + other.terms,
                      self.entries + "\0" + other.entries, self.rests + "\0" + other.rests,
                      self.firsts + other.firsts, self.lasts + other.lasts)


EMPTY = Packed(0, "", "", "", array("i"), array("i"))


# ---------------------------------------------------------------------------- varints

def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each of a run of pieces of these lengths starts."""
    out = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=out[1:])
    return out


def _varint_lengths(values: np.ndarray) -> np.ndarray:
    """Characters of each value as :func:`generator.search.varint` writes it: 5 bits each."""
    lengths = np.ones(len(values), np.int64)
    top = int(values.max(initial=0))
    for bits in range(5, 40, 5):
        if top < 1 << bits:             # no value has more characters: no pass over them all
            break
        lengths += values >= (1 << bits)
    return lengths


def _put_varints(out: np.ndarray, at: np.ndarray, values: np.ndarray, lengths: np.ndarray) -> None:
    """Write each value's varint into ``out`` from ``at``: most significant 5 bits first,
    every character but the last from the upper half of the alphabet.

    Written from the last character back: every value has one, so the commonest case
    (counts, gaps and positions below 32) selects nothing (three times faster than
    selecting the values long enough at each character from the first)."""
    end = at + lengths - 1
    out[end] = _CODES[values & 31]
    back = 1
    while len(some := np.flatnonzero(lengths > back)):
        out[end[some] - back] = _CODES[((values[some] >> (5 * back)) & 31) + 32]
        back += 1


def _encode(groups: int, unit_group: np.ndarray, lead: np.ndarray | None, mask: np.ndarray,
            item_unit: np.ndarray, items: np.ndarray) -> str:
    """``groups`` strings joined by NUL: group g is its units in order (``unit_group``
    ascending), each its ``lead`` varint (when given), its ``mask`` character and the
    varints of its ``items`` (``item_unit`` ascending, one item at least per unit). A
    group without units is the empty string."""
    if not groups:
        return ""
    units = len(unit_group)
    item_len = _varint_lengths(items)
    lead_len = _varint_lengths(lead) if lead is not None else np.zeros(units, np.int64)
    unit_len = lead_len + 1 + np.bincount(item_unit, weights=item_len, minlength=units).astype(np.int64)
    # the NULs between groups are the zeros that nothing is written over
    unit_at = _starts(unit_len) + unit_group
    out = np.zeros(int(unit_len.sum()) + groups - 1, np.uint8)
    if lead is not None:
        _put_varints(out, unit_at, lead, lead_len)
    mask_at = unit_at + lead_len
    out[mask_at] = _CODES[mask]
    # an item goes after its unit's mask and the items of its unit before it
    item_at = _starts(item_len)
    unit_items_at = item_at[np.minimum(_starts(np.bincount(item_unit, minlength=units)), len(items) - 1)]
    _put_varints(out, item_at - unit_items_at[item_unit] + mask_at[item_unit] + 1, items, item_len)
    return out.tobytes().decode("ascii")


def _table(unit_key: np.ndarray, rec: np.ndarray, mask: np.ndarray, item_unit: np.ndarray,
           items: np.ndarray, spell: Callable[[np.ndarray], str]) -> Packed:
    """A Packed of units: a term's entry in one record, the units of a term together
    (``unit_key`` names the term) in record order (``rec``), with their masks and items.
    ``spell(keys)`` is the terms of these keys joined by NUL."""
    if not len(unit_key):
        return EMPTY
    first = np.ones(len(unit_key), bool)
    first[1:] = unit_key[1:] != unit_key[:-1]
    last = np.ones(len(unit_key), bool)
    last[:-1] = first[1:]
    term = np.cumsum(first) - 1                     # of each unit
    count = int(term[-1]) + 1
    # each term's first entry, without a gap …
    in_first = first[item_unit]
    entries = _encode(count, np.arange(count), None, mask[first], term[item_unit][in_first], items[in_first])
    # … and its others, each after its record's gap from the one before
    later = np.flatnonzero(~first)
    in_later = ~in_first
    gaps = rec[later] - rec[later - 1]
    rests = _encode(count, term[later], gaps, mask[later], (np.cumsum(~first) - 1)[item_unit[in_later]],
                    items[in_later])
    return Packed(count, spell(unit_key[first]), entries, rests, array("i", rec[first].tolist()),
                  array("i", rec[last].tolist()))


def _spell_chars(keys: np.ndarray) -> str:
    """Code points as one-character terms joined by NUL."""
    codes = np.zeros((len(keys), 2), np.uint32)
    codes[:, 0] = keys
    return codes.ravel()[:-1].tobytes().decode("utf-32-le")


# ---------------------------------------------------------------------------- postings

def _sorted(key: np.ndarray, place: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, places) sorted by key and then place (keys below 2**37, places distinct).

    Both go into one integer when they fit (a segment's text below 2**26 characters):
    sorting that is several times faster than sorting by two keys."""
    if not len(key):
        return key, place
    if int(place.max()) < 1 << _PLACE:
        both = np.sort((key << _PLACE) | place)
        return both >> _PLACE, both & ((1 << _PLACE) - 1)
    order = np.lexsort((place, key))
    return key[order], place[order]


def _is_cjk(cp: np.ndarray) -> np.ndarray:
    """Which code points are CJK as :data:`generator.search.CJK` lists them."""
    return (((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0x3400) & (cp <= 0x4DBF)) | (cp == 0x3007)
            | ((cp >= 0xF900) & (cp <= 0xFAFF)) | ((cp >= 0x20000) & (cp <= 0x3134F)))


def segment_postings(records: list[Record], counted: tuple[Counter, set],
                     check: Callable[[], None] = _no_check) -> tuple[Packed, Packed]:
    """(postings, further positions) of these records, records numbered from 0. The
    fields' CJK runs are also counted into ``counted[0]`` and their characters added to
    ``counted[1]`` (the vocabulary's and the homophone table's input).

    The postings of a positional term (a CJK bigram or a folded ASCII word) give, per
    record, each field's count and first position: enough to rank, to place a snippet,
    and to verify a phrase wherever each of its bigrams occurs once in a field. Single
    CJK characters keep counts only. The further positions (a second file, fetched only
    to verify phrases of three or more characters) hold the rest, as gaps."""
    check()
    pieces: list[str] = []
    piece_rec: list[int] = []
    piece_field: list[int] = []
    for r, record in enumerate(records):
        for f, text in enumerate(record.fields):
            if text:
                pieces += (text,)
                piece_rec += (r,)
                piece_field += (f,)
    if not pieces:
        return EMPTY, EMPTY
    # One text, the fields apart by a newline (neither CJK nor a word character, so no
    # token crosses it); a field's characters are told by the piece they fall in.
    full = "\n".join(pieces)
    counted[0].update(CJK_RUN.findall(full))
    cp = np.frombuffer(full.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)
    lengths = np.fromiter(map(len, pieces), np.int64, len(pieces)) + 1
    starts = _starts(lengths)
    piece = np.repeat(np.arange(len(pieces)), lengths)[:len(cp)]
    recs = np.array(piece_rec, np.int64)
    fields = np.array(piece_field, np.int64)
    cjk = _is_cjk(cp)

    # positional terms: bigrams, then words (their keys above every bigram's)
    at = np.flatnonzero(cjk[:-1] & cjk[1:])
    keys = [(cp[at] << _LOW) | cp[at + 1]]
    where = [at]
    words: dict[str, int] = {}
    found = [(m.start(), m.group()) for m in _WORD.finditer(full)]
    if found:
        keys.append(np.array([_WORDS + words.setdefault(fold(w), len(words)) for _, w in found], np.int64))
        where.append(np.array([s for s, _ in found], np.int64))
    key, offset = _sorted(np.concatenate(keys), np.concatenate(where))
    occ_piece = piece[offset]
    pos = offset - starts[occ_piece]
    spelled = list(words)

    def spell(keys: np.ndarray) -> str:
        # a bigram's key is its two code points; a word is spelled from its number
        bigram = keys[keys < _WORDS]
        codes = np.zeros((len(bigram), 3), np.uint32)
        codes[:, 0], codes[:, 1] = bigram >> _LOW, bigram & ((1 << _LOW) - 1)
        parts = [codes.ravel()[:-1].tobytes().decode("utf-32-le")] if len(bigram) else []
        return "\0".join(parts + [spelled[int(k - _WORDS)] for k in keys[keys >= _WORDS]])

    postings, positions = _positional(key, recs[occ_piece], fields[occ_piece], occ_piece, pos, spell)

    # single CJK characters: counts only
    at = np.flatnonzero(cjk)
    ch, at = _sorted(cp[at], at)
    ch_piece = piece[at]
    new_char = np.ones(len(ch), bool)
    new_char[1:] = ch[1:] != ch[:-1]
    counted[1].update(_spell_chars(ch[new_char]).replace("\0", ""))
    new_part = new_char.copy()
    new_part[1:] |= ch_piece[1:] != ch_piece[:-1]
    part = np.flatnonzero(new_part)
    part_key, part_rec, part_field = ch[part], recs[ch_piece[part]], fields[ch_piece[part]]
    new_unit = np.ones(len(part), bool)
    new_unit[1:] = (part_key[1:] != part_key[:-1]) | (part_rec[1:] != part_rec[:-1])
    unit = np.flatnonzero(new_unit)
    counts = _table(part_key[unit], part_rec[unit], np.bitwise_or.reduceat(1 << part_field, unit),
                    np.cumsum(new_unit) - 1, np.diff(np.append(part, len(ch))), _spell_chars)
    return postings + counts, positions


def _positional(key: np.ndarray, rec: np.ndarray, field: np.ndarray, piece: np.ndarray,
                pos: np.ndarray, spell: Callable[[np.ndarray], str]) -> tuple[Packed, Packed]:
    """(postings, further positions) of positional occurrences sorted by key and place.

    A *unit* is a term's occurrences in one record, a *part* those in one field."""
    n = len(key)
    if not n:
        return EMPTY, EMPTY
    new_unit = np.ones(n, bool)
    new_unit[1:] = (key[1:] != key[:-1]) | (rec[1:] != rec[:-1])
    new_part = new_unit.copy()
    new_part[1:] |= piece[1:] != piece[:-1]
    part = np.flatnonzero(new_part)
    part_n = np.diff(np.append(part, n))
    unit = np.flatnonzero(new_unit)
    unit_parts = np.flatnonzero(new_unit[part])      # each unit's first part
    bit = 1 << field[part]
    # items: each part's count and first position, in field order
    items = np.empty(2 * len(part), np.int64)
    items[0::2], items[1::2] = part_n, pos[part]
    postings = _table(key[unit], rec[unit], np.bitwise_or.reduceat(bit, unit_parts),
                      np.repeat(np.cumsum(new_unit[part]) - 1, 2), items, spell)

    # further positions: each occurrence after a part's first, as the gap from the one
    # before, in the units where some field holds the term more than once
    more = np.flatnonzero(~new_part)
    if not len(more):
        return postings, EMPTY
    more_unit = (np.cumsum(new_unit) - 1)[more]
    new_kept = np.ones(len(more), bool)
    new_kept[1:] = more_unit[1:] != more_unit[:-1]
    kept = more_unit[new_kept]                       # the units with further positions
    more_mask = np.bitwise_or.reduceat(np.where(part_n > 1, bit, 0), unit_parts)[kept]
    positions = _table(key[unit][kept], rec[unit][kept], more_mask, np.cumsum(new_kept) - 1,
                       pos[more] - pos[more - 1], spell)
    return postings, positions


__all__ = ["EMPTY", "Packed", "segment_postings"]
