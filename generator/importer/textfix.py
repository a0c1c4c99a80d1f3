"""Text clean-up for imported 政务公开 documents.

Every public function takes a str and returns a ``Fixed`` (the new text plus a list of
``Change`` records), so that ``gongkai import`` can print what was changed and show
that no text was lost.  ``clean_text`` runs all steps in order:

1. ``repair_shifted_gbk``   – byte-shifted GBK mojibake (needs the pinyin, so first)
2. ``strip_inline_pinyin``  – 開(kāi) → 開
3. ``collapse_doubled_punctuation`` – ",、" → "、", ",," → "，"
4. ``normalise_punctuation`` – ASCII , ; : ? ! ( ) in Chinese text → full width
5. ``to_simplified``        – OpenCC t2s (skipped with keep_traditional=True)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import opencc
from pypinyin import Style, pinyin

# Shown where a lost character cannot be recovered with certainty.  U+3013 GETA MARK
# is the typesetters' "missing character" sign; it is not "?" so it cannot be
# mistaken for a question mark or for more mojibake.
MARKER = "〓"


@dataclass(frozen=True)
class Change:
    """One edit: which step made it, on which input line, what became what."""

    step: str
    line: int
    before: str
    after: str
    certain: bool = True
    note: str = ""


@dataclass
class Fixed:
    """Result of a clean-up step: the new text and the edits that produced it."""

    text: str
    changes: list[Change] = field(default_factory=list)

    @property
    def unsure(self) -> list[Change]:
        """Edits the importer should show to a person (markers, guesses)."""
        return [c for c in self.changes if not c.certain]


# --- character classes -------------------------------------------------------------

_T2S = opencc.OpenCC("t2s")
TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_CHARS = "a-zü" + TONE_VOWELS
_TONE_RE = re.compile(f"[{TONE_VOWELS}]")


def is_ideograph(ch: str) -> bool:
    """CJK unified/compatibility ideograph (any plane)."""
    o = ord(ch)
    return (0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF)


def is_cjk(ch: str) -> bool:
    """Ideograph or punctuation that only occurs in Chinese text."""
    o = ord(ch)
    return (is_ideograph(ch) or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF
            or ch in "“”‘’…—·《》")


@lru_cache(maxsize=None)
def is_traditional(ch: str) -> bool:
    """True if OpenCC t2s would change this single character."""
    return _T2S.convert(ch) != ch


@lru_cache(maxsize=None)
def _char_score(ch: str) -> int:
    """Plausibility of one character in a Chinese government text.

    Shifted decoding of GBK produces private-use characters, kana, bopomofo, box
    drawing, pinyin letters and rare ideographs; real text is common ideographs and
    Chinese punctuation.  Only relative values matter (see _score).
    """
    o = ord(ch)
    if 0x4E00 <= o <= 0x9FFF:
        if is_traditional(ch):
            return 2
        try:  # GB2312 level 1 (lead B0-D7) holds the common characters
            return 2 if ch.encode("gb2312")[0] < 0xD8 else 1
        except UnicodeEncodeError:
            return -2
    if ch in "，。、；：？！（）“”《》〔〕…—·　,;:!()":
        return 1  # ASCII and full-width forms score alike: no bias either way
    if ch == MARKER:
        return -5
    if ch.isascii():
        return -5 if ch == "?" else (0 if ch.isdigit() or ch.isspace() else -1)
    if (0xE000 <= o <= 0xF8FF or ch == "\ufffd" or 0x3040 <= o <= 0x312F
            or 0x2E80 <= o <= 0x2FFF or 0xFE10 <= o <= 0xFE6F):
        return -5  # private use, kana, bopomofo, radicals, vertical/small forms
    return -3  # box drawing, Greek, Cyrillic, pinyin letters, ext-A, symbols …


def _score(text: str) -> int:
    return sum(_char_score(c) for c in text)


# --- 1. byte-shifted GBK --------------------------------------------------------------
#
# How the damage looks (seed 003): the page was GBK.  At "　（一）圍繞" = A1 A1 | A3 A8 |
# D2 BB | A3 A9 | 87 FA | C0 40 the decoder turned one byte into "?" and then paired
# every trail byte with the next lead byte: A1 A3 "。", A8 D2 "ㄒ", BB A3 "唬", …,
# FA C0 (private use), until a trail byte in the ASCII range (40 "@") stood alone and
# put it back in step.  Re-encoding the garbled characters and decoding them one byte
# later gives the text back.  A scraper later narrowed full-width forms (（ → "(",
# Ｕ → "U"), so ASCII inside a run may stand for A3 xx.

def _pua_table() -> dict[str, bytes]:
    """Two-byte GBK codes for private-use characters the garbling produced but which
    Python's gb18030 (GB18030-2005) encodes as four bytes.  Under GBK/GB18030-2000
    these code points were plain two-byte codes (e.g. U+E848 = FE 84)."""
    table = {"\ue76c": b"\xa2\xe3", "\ue7c8": b"\xa8\xbf"}
    for i in range(13):  # U+E7E7..E7F3 = A9 89..A9 95
        table[chr(0xE7E7 + i)] = bytes([0xA9, 0x89 + i])
    trails = [t for t in range(0x50, 0xA1) if t != 0x7F]  # FE50..FEA0 = U+E815..E864
    for i, t in enumerate(trails):
        table[chr(0xE815 + i)] = bytes([0xFE, t])
    return {c: b for c, b in table.items() if len(c.encode("gb18030")) == 4}


_PUA_GBK = _pua_table()
# What the garbling decoder wrote for a byte it could not place.
LOST = "?\ufffd"
_LOST_PINYIN_RE = re.compile(f"([{_PINYIN_CHARS}]{{1,7}})\\)")


def _encode_gbk(ch: str) -> bytes | None:
    """The two bytes a garbled (non-ASCII) character was decoded from, or None."""
    if ch in _PUA_GBK:
        return _PUA_GBK[ch]
    for codec in ("gb18030", "gbk"):
        try:
            b = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        if len(b) == 2:
            return b
    return None


def _parse(data: bytes) -> tuple[str, int | None]:
    """Decode GBK bytes pairwise; return the text and a dangling final lead byte."""
    out, i = [], 0
    while i < len(data):
        if data[i] < 0x80:
            out.append(chr(data[i]))
            i += 1
        elif i + 1 == len(data):
            return "".join(out), data[i]
        else:
            try:
                out.append(data[i:i + 2].decode("gb18030"))
            except UnicodeDecodeError:
                out.append("\ufffd")
            i += 2
    return "".join(out), None


@lru_cache(maxsize=None)
def lead_byte_candidates(lead: int, reading: str) -> tuple[str, ...]:
    """Characters whose GBK code starts with ``lead`` and that can be read ``reading``."""
    found = []
    for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
        try:
            ch = bytes([lead, trail]).decode("gb18030")
        except UnicodeDecodeError:
            continue
        if is_ideograph(ch) and reading in pinyin(ch, style=Style.TONE, heteronym=True)[0]:
            found.append(ch)
    return tuple(found)


def _recover(lead: int, reading: str | None) -> tuple[str, bool, str]:
    """Character whose trail byte was lost, from its lead byte and its pinyin."""
    if reading is None:
        return MARKER, False, f"lead byte {lead:02X}; trail byte lost, no pinyin after it"
    found = lead_byte_candidates(lead, reading)
    cands = found
    if len(cands) > 1:
        # The documents are traditional: one traditional candidate is still clear
        # (91 + zhàn gives 戦 (Japanese form) and 戰).
        cands = tuple(c for c in cands if is_traditional(c)) or cands
    note = f"lead byte {lead:02X} + {reading}: candidates {''.join(found) or 'none'}"
    if len(cands) == 1:
        return cands[0], True, note
    return MARKER, False, note


@dataclass
class _Option:
    end: int            # index in the line just after the consumed garbled text
    text: str           # the repaired text
    notes: list[tuple[str, bool, str]]  # (char, certain, note) for recovered chars
    narrowed: int       # ASCII characters read as narrowed full-width forms
    confirmed: int = 0  # lost characters recovered and confirmed by their pinyin


def _options(line: str, q: int) -> list[_Option]:
    """All readings of the garbled run that starts after the '?' at ``line[q]``.

    The '?' stands for one lost byte (a lead byte); the bytes of the following
    characters, taken one byte later, are the original text.  The run ends at
    resynchronisation: either an ASCII character that is really the trail byte of the
    last character ("繞" = C0 40 shows up as "…@"), or a '?' that swallowed a trail
    byte together with the "(" of the following pinyin ("戰(zhàn)" → "髴?zhàn)").
    ASCII characters inside the run may also be full-width forms (Ｕ = A3 D5) that a
    scraper narrowed, so both readings are tried and the scores decide.
    """
    prefix_blank = not line[:q].strip()
    data = bytearray()
    narrowed = 0
    opts: list[_Option] = []

    def finish(end: int, tail: bytes = b"", reading: str | None = None,
               lost: bool = False) -> None:
        stream = bytes(data) + tail
        if not stream:
            return
        notes = []
        if prefix_blank and stream[0] == 0xA1:
            first = "\u3000"  # 　 (A1 A1) indenting the paragraph
            notes.append((first, True, "lost lead byte before A1 at line start: 　"))
        else:
            first = MARKER
            notes.append((first, False, f"lost lead byte before trail {stream[0]:02X}"))
        text, dangling = _parse(stream[1:])
        confirmed = 0
        if lost:  # a trail byte (and maybe one ASCII byte) vanished into the '?'
            if dangling is None:
                return
            ch, ok, note = _recover(dangling, reading)
            notes.append((ch, ok, note))
            confirmed = int(ok)
            text += ch + (f"({reading})" if reading else "")
        elif tail and _parse(stream[1:-1])[1] is None:
            return  # the ASCII byte must be the trail of a character, not stand alone
        elif dangling is not None:
            notes.append((MARKER, False, f"run ends with lone lead byte {dangling:02X}"))
            text += MARKER
        opts.append(_Option(end, first + text, notes, narrowed, confirmed))

    k = q + 1
    while k < len(line) and k - q < 400:
        ch = line[k]
        if ch in LOST:
            m = _LOST_PINYIN_RE.match(line, k + 1)
            if m:
                finish(m.end(), reading=m.group(1), lost=True)
            else:
                finish(k + 1, lost=True)
            return opts
        if ch.isascii():
            if 0x40 <= ord(ch) <= 0x7E:
                finish(k + 1, tail=ch.encode())
            if ch == " ":
                data += b"\xa1\xa1"
            elif 0x21 <= ord(ch) <= 0x7E:
                data += bytes([0xA3, ord(ch) + 0x80])  # ！..～ = A3 A1..A3 FE
                narrowed += 1
            else:
                break
        else:
            b = _encode_gbk(ch)
            if b is None:
                break
            data += b
        k += 1
    finish(k)
    return opts


def _find_lost(line: str, start: int) -> int:
    hits = [i for i in (line.find(c, start) for c in LOST) if i >= 0]
    return min(hits, default=-1)


def repair_shifted_gbk(text: str) -> Fixed:
    """Repair GBK text that was decoded one byte off after a lost byte ('?')."""
    out_lines, changes = [], []
    for n, line in enumerate(text.split("\n"), 1):
        out, i = [], 0
        while (q := _find_lost(line, i)) >= 0:
            out.append(line[i:q])
            best = None
            base = _score(line[q + 1:])  # the '?' itself is not counted against it
            for opt in _options(line, q):
                # Reading ASCII as narrowed full-width forms is the exception: A3 xx
                # pairs shifted by one byte give plausible ideographs (埃福常…), so
                # digits would otherwise look like mojibake.
                # A lost character that its pinyin confirms is strong evidence.
                s = _score(opt.text + line[opt.end:]) - 4 * opt.narrowed + 6 * opt.confirmed
                if best is None or s > best[0]:
                    best = (s, opt)
            if best is None or best[0] < base + 3:
                out.append(line[q])  # a real question mark, or not repairable
                i = q + 1
                continue
            opt = best[1]
            out.append(opt.text)
            ok = all(c for _, c, _ in opt.notes)
            changes.append(Change("mojibake", n, line[q:opt.end], opt.text, ok,
                                  "" if ok else f"contains {MARKER}"))
            for ch, certain, note in opt.notes:
                changes.append(Change("mojibake-lost", n, "?", ch, certain, note))
            i = opt.end
        out.append(line[i:])
        out_lines.append("".join(out))
    return Fixed("\n".join(out_lines), changes)


# --- 2. inline pinyin -----------------------------------------------------------------

_INLINE_PINYIN_RE = re.compile(f"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]([{_PINYIN_CHARS}]{{1,7}})[)）]")


def strip_inline_pinyin(text: str) -> Fixed:
    """Remove a pinyin reading inserted after a character: 區(qū) → 區, 開（kāi） → 開.

    Only a single syllable right after an ideograph is removed, and only if it has a
    tone mark or is a reading of that character, so "(計劃)" or "(pdf)" stay.
    """
    changes: list[Change] = []

    def fix(m: re.Match[str], n: int) -> str:
        ch, syl = m.string[m.start() - 1], m.group(1)
        readings = pinyin(ch, style=Style.TONE, heteronym=True)[0]
        if syl not in readings and not _TONE_RE.search(syl):
            return m.group(0)
        note = "" if syl in readings else f"not a known reading of {ch}"
        changes.append(Change("pinyin", n, ch + m.group(0), ch, True, note))
        return ""

    lines = [_INLINE_PINYIN_RE.sub(lambda m: fix(m, n), line)
             for n, line in enumerate(text.split("\n"), 1)]
    return Fixed("\n".join(lines), changes)


# --- 3. doubled punctuation -------------------------------------------------------------

# Runs of two or more marks.  Scraped pages add a stray comma in front of another mark
# (",、" ",。" ",;") or double the comma itself (",,").
_PUNCT_RUN_RE = re.compile(r"[,，、。；：？！;:?!]{2,}")


def _collapse_run(run: str, before: str, after: str) -> str:
    marks = [c for c in run if c not in ",，"]
    if not marks:  # only commas: keep one, Chinese unless it sits in ASCII text
        return "," if before.isascii() and after.isascii() else "，"
    out: list[str] = []
    for c in marks:  # "、、" → "、", but "？！" stays
        if not (out and out[-1] == c and c in "、。；，"):
            out.append(c)
    return "".join(out)


def collapse_doubled_punctuation(text: str) -> Fixed:
    """Drop stray doubled punctuation: ",、" → "、", ",," → "，", ",。" → "。"."""
    changes: list[Change] = []

    def fix(m: re.Match[str], n: int) -> str:
        line = m.string
        before = line[m.start() - 1] if m.start() else ""
        after = line[m.end()] if m.end() < len(line) else ""
        new = _collapse_run(m.group(0), before, after)
        if new != m.group(0):
            changes.append(Change("punct-doubled", n, m.group(0), new))
        return new

    lines = [_PUNCT_RUN_RE.sub(lambda m: fix(m, n), line)
             for n, line in enumerate(text.split("\n"), 1)]
    return Fixed("\n".join(lines), changes)


# --- 4. half-width punctuation in Chinese text ------------------------------------------

_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def normalise_punctuation(text: str) -> Fixed:
    """Make ASCII , ; : ? ! ( ) full width where Chinese text is next to them.

    A mark is converted when a neighbouring character is Chinese; a bracket pair also
    when it encloses Chinese.  Marks between ASCII characters (0839-3262313, 1.5,
    http://…, "a, b") are left alone.
    """
    changes: list[Change] = []
    out_lines = []
    for n, line in enumerate(text.split("\n"), 1):
        chars = list(line)
        convert: set[int] = set()
        stack: list[int] = []
        for i, ch in enumerate(chars):
            if ch == "(":
                stack.append(i)
            elif ch == ")" and stack:
                j = stack.pop()
                outer = (j and is_cjk(chars[j - 1])) or (i + 1 < len(chars) and is_cjk(chars[i + 1]))
                if outer or any(is_cjk(c) for c in chars[j + 1:i]):
                    convert.update((i, j))
        for i, ch in enumerate(chars):
            if ch in _FULL and i not in convert:
                prev = chars[i - 1] if i else ""
                nxt = chars[i + 1] if i + 1 < len(chars) else ""
                if (prev and is_cjk(prev)) or (nxt and is_cjk(nxt)):
                    convert.add(i)
        for i in sorted(convert):
            changes.append(Change("punct-width", n, chars[i], _FULL[chars[i]]))
            chars[i] = _FULL[chars[i]]
        out_lines.append("".join(chars))
    return Fixed("\n".join(out_lines), changes)


# --- 5. traditional → simplified --------------------------------------------------------

def to_simplified(text: str) -> Fixed:
    """Convert traditional characters to simplified with OpenCC t2s."""
    changes: list[Change] = []
    out_lines = []
    for n, line in enumerate(text.split("\n"), 1):
        new = _T2S.convert(line)
        sm = difflib.SequenceMatcher(None, line, new, autojunk=False)
        for op, a1, a2, b1, b2 in sm.get_opcodes():
            if op != "equal":
                changes.append(Change("simplified", n, line[a1:a2], new[b1:b2]))
        out_lines.append(new)
    return Fixed("\n".join(out_lines), changes)


# --- 0. control characters --------------------------------------------------------------

# C0 and C1 controls that are not whitespace (ESC, NUL, BEL …): stray bytes of a copy or
# a terminal, never text. Kept, one would end up in a YAML file as an escape ("\x1b")
# that no editor can read.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def strip_control_characters(text: str) -> Fixed:
    """Remove control characters that are not whitespace, recording each removal."""
    if not _CONTROL_RE.search(text):
        return Fixed(text)
    changes: list[Change] = []
    out_lines = []
    for n, line in enumerate(text.split("\n"), 1):
        changes += [Change("control", n, m.group(0), "") for m in _CONTROL_RE.finditer(line)]
        out_lines.append(_CONTROL_RE.sub("", line))
    return Fixed("\n".join(out_lines), changes)


# --- all together -----------------------------------------------------------------------

def clean_text(text: str, keep_traditional: bool = False) -> Fixed:
    """Run every step in order; the mojibake repair first because it needs the pinyin."""
    steps = [strip_control_characters, repair_shifted_gbk, strip_inline_pinyin,
             collapse_doubled_punctuation, normalise_punctuation]
    if not keep_traditional:
        steps.append(to_simplified)
    result = Fixed(text)
    for step in steps:
        fixed = step(result.text)
        result = Fixed(fixed.text, result.changes + fixed.changes)
    return result
