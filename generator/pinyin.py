"""The search index's pinyin: the site's own vocabulary with its readings, and the
homophone table (see :mod:`generator.search` for the files they go into).

A reader types 依申请 as ``yishenqing``, ``ysq`` or ``yishenq``; the browser turns the
pinyin into the site's own words, found here without a word list: runs of Chinese
characters that occur at least twice between varying neighbours. Readings come from
pypinyin, in context (银行 yin hang) and character by character, with the place names
it reads wrong put right (:data:`PLACE_READINGS`).
"""
from __future__ import annotations

import heapq
import re
import sys
from collections import Counter
from typing import Callable

from .search import CJK_RUN, Record, _no_check

NGRAM_MIN, NGRAM_MAX = 2, 6
MAX_VOCAB = 40_000     # pinyin vocabulary entries kept (most frequent first)
PINYIN_SPLIT = 12_000  # a pinyin file larger than this is split by three letters
DOMINANT = 0.9         # a neighbour this frequent makes a run part of a longer word
FEW = 8                # runs seen this often or less: their pieces counted one by one, in C
KEY_NAME_MAX = 12      # unit names, issuers, topics up to this length are always in the vocabulary
PINYIN_SYLLABLE = re.compile(r"^[a-z]+$")

# Place names that pypinyin reads wrong in context: it takes 长 as zhang (grow, chief)
# where the name says chang (long), and 单县 as dan. Readers look these places up by
# their real names (changzhi, not zhangzhi). 长子县 is zhang zi, as pypinyin reads it.
PLACE_READINGS = {
    "长治": "chang zhi", "长清": "chang qing", "长宁": "chang ning", "长葛": "chang ge",
    "长垣": "chang yuan", "长岭": "chang ling", "长丰": "chang feng", "长阳": "chang yang",
    "长武": "chang wu", "长海": "chang hai", "长顺": "chang shun", "长泰": "chang tai",
    "长白": "chang bai", "长岛": "chang dao", "单县": "shan xian",
}
_PLACE = re.compile("|".join(sorted(PLACE_READINGS, key=lambda k: (-len(k), k))))


def _reading(text: str) -> list[str] | None:
    # imported when first needed: an incremental build that meets no new word or
    # character (readings and homophones kept) does not load pypinyin's tables (0.2 s)
    from pypinyin import lazy_pinyin
    syllables = lazy_pinyin(text)
    if len(syllables) != len(text) or not all(PINYIN_SYLLABLE.match(s) for s in syllables):
        return None
    for place in _PLACE.finditer(text):
        syllables[place.start():place.end()] = PLACE_READINGS[place.group()].split()
    return syllables


_CHAR_READING: dict[str, str | None] = {}


def release() -> None:
    """Let pypinyin's tables go, in a process that will not read pinyin again (the
    command line's build, once its search vocabulary and homophone table are made):
    49 of their 55 MB go back to the system, while the pages still render. Nothing of
    ours holds pypinyin's modules (they are imported where used), so a later call
    imports them afresh."""
    for name in [name for name in sys.modules if name == "pypinyin" or name.startswith("pypinyin.")]:
        del sys.modules[name]


def char_reading(ch: str) -> str | None:
    """The common reading of one character, without tone (ü written v), or None."""
    if ch not in _CHAR_READING:
        r = _reading(ch)
        _CHAR_READING[ch] = r[0] if r else None
    return _CHAR_READING[ch]


def readings(word: str) -> list[str]:
    """Ways to read ``word``: in context (pypinyin's phrase data: 银行 yin hang) and, where
    it differs, character by character with each character's common reading."""
    out = []
    context = _reading(word)
    if context:
        out.append(" ".join(context))
    chars = [char_reading(ch) for ch in word]
    if all(chars):
        plain = " ".join(chars)             # type: ignore[arg-type]
        if plain not in out:
            out.append(plain)
    return out


def typing_keys(syllables: list[str]) -> tuple[set[str], set[str]]:
    """How the start of these syllables may be typed: (3-letter beginnings, 2-letter queries).

    Each syllable is typed in full or by a beginning of it (its initial: y, zh; or more:
    shen → she), and a query may stop after any syllable from the second on (ysq finds
    依申请 in 依申请公开)."""
    three: set[str] = set()
    two: set[str] = set()

    def walk(i: int, typed: str) -> None:
        if len(typed) == 2 and i >= 2:
            two.add(typed)
        if len(typed) >= 3:
            three.add(typed[:3])
            return
        if i == len(syllables):
            return
        s = syllables[i]
        for o in {s[:k] for k in range(1, len(s) + 1)}:
            walk(i + 1, typed + o)

    walk(0, "")
    return three, two


def vocabulary_counts(records: list[Record], check: Callable[[], None] = _no_check
                      ) -> tuple[Counter[str], set[str]]:
    """(CJK runs with their counts, names always kept): what :func:`choose_vocabulary`
    needs, counted per part of the site and added up."""
    runs: Counter[str] = Counter()
    for n, record in enumerate(records):
        if n % 64 == 0:
            check()
        for text in record.fields:
            runs.update(CJK_RUN.findall(text))      # folding leaves CJK runs as they are
    return runs, kept_names(records)


def kept_names(records: list[Record]) -> set[str]:
    """The CJK runs of the records' unit names, issuers and topics that are always in the
    vocabulary (up to KEY_NAME_MAX characters)."""
    keep: set[str] = set()
    for record in records:
        for name in (record.issuer, record.topic, *record.names):
            if name:
                keep.update(r for r in CJK_RUN.findall(name) if 2 <= len(r) <= KEY_NAME_MAX)
    return keep


def build_vocabulary(records: list[Record],
                     check: Callable[[], None] = _no_check) -> list[tuple[str, list[str]]]:
    """The site's words and phrases with their readings, most frequent first (see
    :func:`choose_vocabulary`)."""
    runs, keep = vocabulary_counts(records, check)
    return choose_vocabulary(runs, keep, check)


def choose_vocabulary(runs: Counter[str], keep: set[str], check: Callable[[], None] = _no_check,
                      known: dict[str, list[str]] | None = None,
                      seen: dict[str, list[str]] | None = None) -> list[tuple[str, list[str]]]:
    """The site's words and phrases with their readings, most frequent first.

    A run of 2–6 characters is kept when it occurs at least twice and is not (nearly)
    always preceded or followed by the same character (依申请公 always continues as
    依申请公开, so only the longer one is kept; the browser accepts the beginning of an
    entry, so ysq still finds 依申请 in 依申请公开).
    No word list is needed, and the site's own phrases are found however a dictionary
    would cut them. Unit names, issuers and topics are always in.

    ``known``: readings found by an earlier build (word → readings); pypinyin takes
    about 25 µs a word, a second for a full vocabulary. ``seen`` receives the readings
    of every word chosen now, for the next build."""
    check()
    # Every 2–7-character piece of every run, counted with its run's count: a loop over
    # every position of every distinct run (seconds for a big site of real text). Runs
    # seen a few times are counted by Counter's C loop, once per time; the few frequent
    # ones by hand, with their count.
    top = NGRAM_MAX + 1                 # one longer than kept: the neighbours' counts
    grams: Counter[str] = Counter()
    few = [(run, n) for run, n in runs.items() if n <= FEW]
    for length in range(NGRAM_MIN, top + 1):
        grams.update(run[i:i + length] for run, n in few for _ in range(n)
                     for i in range(len(run) - length + 1))
    get = grams.get
    for run, n in runs.items():
        if n > FEW:
            size = len(run)
            for length in range(NGRAM_MIN, min(top, size) + 1):
                for i in range(size - length + 1):
                    g = run[i:i + length]
                    grams[g] = get(g, 0) + n
    check()
    # Only pieces seen at least twice can be chosen, and a neighbour seen once never
    # rules one out (1 <= DOMINANT * 2): the rest of the work is over those only.
    frequent = {g: c for g, c in grams.items() if c >= 2}
    # how often a run is preceded (followed) by its most frequent neighbour: the count of
    # the one-character-longer run
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for g, c in frequent.items():
        if len(g) > NGRAM_MIN:
            if c > before.get(g[1:], 0):
                before[g[1:]] = c
            if c > after.get(g[:-1], 0):
                after[g[:-1]] = c
    # a word-like run stands between varying neighbours (accessor variety): 政务公开 is
    # kept, 务公开 (nearly always after 政) and 依申请公 (always before 开) are not
    chosen = [(g, c) for g, c in frequent.items()
              if len(g) <= NGRAM_MAX and before.get(g, 0) <= DOMINANT * c and after.get(g, 0) <= DOMINANT * c]

    def order(gc: tuple[str, int]) -> tuple:
        return (-gc[1], len(gc[0]), gc[0])
    chosen = (heapq.nsmallest(MAX_VOCAB, chosen, key=order) if len(chosen) > MAX_VOCAB
              else sorted(chosen, key=order))
    have = {g for g, _ in chosen}
    chosen += sorted((k, grams.get(k, 1)) for k in keep if k not in have)
    check()
    vocab = []
    known = known if known is not None else {}
    for word, _count in chosen:
        rs = known.get(word)
        if rs is None:
            rs = readings(word)
        if seen is not None:
            seen[word] = rs
        if rs:
            vocab.append((word, rs))
    return vocab


def pinyin_shards(vocab: list[tuple[str, list[str]]]) -> tuple[dict[str, list[str]], list[str]]:
    """(key → entries, split prefixes). An entry is ``word|reading|reading``.

    Entries are filed under the first two letters of the ways to type them; a file that
    would exceed PINYIN_SPLIT bytes is split by the first three letters (the 2-letter file
    then keeps only what a 2-letter query needs). Entries stay most frequent first."""
    by3: dict[str, list[str]] = {}
    by2: dict[str, list[str]] = {}
    exact2: dict[str, list[str]] = {}
    for word, rs in vocab:
        three: set[str] = set()
        two: set[str] = set()
        for r in rs:
            t3, t2 = typing_keys(r.split())
            three |= t3
            two |= t2
        entry = "|".join([word, *rs])
        for k in sorted(three):
            by3.setdefault(k, []).append(entry)
        for k in sorted({k[:2] for k in three} | two):
            by2.setdefault(k, []).append(entry)
        for k in sorted(two):
            exact2.setdefault(k, []).append(entry)
    shards: dict[str, list[str]] = {}
    split: list[str] = []
    for k, entries in sorted(by2.items()):
        if sum(len(e.encode()) + 3 for e in entries) > PINYIN_SPLIT:
            split.append(k)
            if k in exact2:
                shards[k] = exact2[k]
            for k3, e3 in by3.items():
                if k3.startswith(k):
                    shards[k3] = e3
        else:
            shards[k] = entries
    return dict(sorted(shards.items())), split


def _common_characters() -> str:
    """The 3,755 characters of GB 2312 level 1 (the common ones)."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def homophones(chars: set[str]) -> dict[str, str]:
    """reading → characters, for the common characters and ``chars``."""
    chars = set(_common_characters()) | chars
    table: dict[str, list[str]] = {}
    for ch in sorted(chars):
        r = char_reading(ch)
        if r:
            table.setdefault(r, []).append(ch)
    return {k: "".join(v) for k, v in sorted(table.items())}
