"""QR codes for permanent addresses: inline SVG, vector, quiet zone, error correction ≥ M.

segno is used because it is pure Python (no image library), writes compact SVG paths
and picks the smallest version for the data; we only decide the error level (M, or
higher where segno can raise it without growing the symbol) and the quiet zone.

Choosing the data mask is most of segno's time (it scores eight masked copies of the
symbol module by module in Python: 4 of 5 ms per code, a third of rendering a document
page). Here segno draws the symbol with mask 0; :func:`best_mask` scores the eight
candidates by the same rules (ISO/IEC 18004 7.8.3, as segno counts them) on whole rows
at once, the best mask is applied to the rows, and the format information (which names
the mask) is taken from the first symbol segno drew with that version, error level and
mask. :func:`svg_inline` writes the SVG as segno's ``svg_inline`` does with our options.
Symbols and SVG are byte for byte segno's own (tests/test_qr.py compares them on
hundreds of texts, versions 1 to 18): 1.4 ms per code instead of 3.5 ms.

An address (ASCII with a lower-case letter: byte mode) is then encoded here too
(:func:`_byte_mode`): the data and error correction codewords by segno's tables
(``segno.consts``), the Reed-Solomon remainder as one integer shifted a byte at a time,
and the bits placed by one table lookup per version. What surrounds the data (finders,
timing, alignment, version and format information) is copied from the first symbol segno
drew with the same version and error level. symbol() of an address: 1.2 ms -> 0.4 ms.
Anything else (digits only, capitals only, non-ASCII) is still drawn by segno whole.

The eight masks are scored together, each line of each masked copy one 64-bit word of a
numpy array (:func:`_scores`, symbols up to version 9: every address), and the SVG's
runs are found for the whole symbol at once: symbol() of an address 0.44 -> 0.19 ms,
its SVG 0.17 -> 0.06 ms. Larger symbols are scored one mask at a time on integers
holding every row and column (:func:`mask_score`, which the tests hold the words to).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import zip_longest
from operator import itemgetter
from typing import Iterable

import numpy as np
import segno
from segno import consts

QUIET_ZONE = 4          # modules; the QR specification's minimum

# segno's make() options for every code we draw
_OPTIONS = {"error": "m", "micro": False, "boost_error": True}


# A few only: each page has its own address, so a build draws each code once, and 4,096
# kept SVGs (about 4 KB each) were 16 MB of every render process at 10,000 documents.
@lru_cache(maxsize=64)
def qr_svg(url: str, label: str = "本页地址的二维码") -> str:
    """Inline SVG for ``url``: scalable (viewBox, no fixed size), black on white."""
    rows, size = symbol(url)
    svg = svg_inline(rows, size)
    # Give the image an accessible name: screen readers announce "图像, 本页地址的二维码".
    # crispEdges keeps module edges sharp at any size, on screen and in print.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" shape-rendering="crispEdges" ', 1)


# (version, error level, mask) -> the format information modules of such a symbol, per row
_FORMAT: dict[tuple[int, str, int], tuple[int, ...]] = {}
# (version, error level) -> every module but the data modules of such a symbol with mask 0
_FIXED: dict[tuple[int, str], tuple[int, ...]] = {}


def symbol(url: str) -> tuple[list[int], int]:
    """(rows, size) of the symbol segno makes for ``url``, rows as integers with one byte
    per module. The symbol with mask 0 is made here (an address, see :func:`_byte_mode`)
    or by segno; the best mask is applied here, and the format information (which names
    the mask) taken from the first symbol segno drew with the same version, error level
    and mask."""
    fast = _byte_mode(url)
    if fast is not None and (fast[0], fast[1]) in _FIXED:
        version, error, data = fast
        n, keep, masks, column_masks, plain = _layout(version)
        rows = [d ^ m | f for d, m, f in zip(data, masks[0], _FIXED[version, error])]
    else:
        code = segno.make(url, mask=0, **_OPTIONS)
        version, error = code.version, code.error
        rows = [int.from_bytes(r, "big") for r in code.matrix]
        n, keep, masks, column_masks, plain = _layout(version)
        if fast is not None:
            _FIXED[version, error] = tuple(r & ~d for r, d in zip(rows, _data_modules(version)))
    best = _best(rows, n, keep, masks, column_masks)
    if best == 0:
        return rows, n
    key = (version, error, best)
    fmt = _FORMAT.get(key)
    if fmt is None:
        drawn = [int.from_bytes(r, "big") for r in segno.make(url, mask=best, **_OPTIONS).matrix]
        _FORMAT[key] = tuple(r ^ (r & p) for r, p in zip(drawn, plain))
        return drawn, n
    return [((r ^ m0 ^ m) & p) | f for r, m0, m, p, f in zip(rows, masks[0], masks[best], plain, fmt)], n


# ---------------------------------------------------------------------------- byte mode
_ALPHANUMERIC = frozenset(consts.ALPHANUMERIC_CHARS.decode("ascii"))
_LEVEL = consts.ERROR_MAPPING          # "L", "M", "Q", "H" -> segno's table keys
_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _byte_mode(text: str) -> tuple[int, str, list[int]] | None:
    """(version, error level, the data modules' rows before masking) of the symbol segno
    makes for ``text`` when segno would write it as one byte-mode segment (ASCII, not
    all in the alphanumeric set); None otherwise. Version, error level (M raised while
    the version stays) and codewords as segno's encoder makes them."""
    if not text.isascii() or _ALPHANUMERIC.issuperset(text):
        return None
    data = text.encode("ascii")
    version = error = None
    for v in range(1, 41):
        length = 4 + (8 if v < 10 else 16) + 8 * len(data)
        if consts.SYMBOL_CAPACITY[v][_LEVEL["M"]] >= length:
            version, error = v, "M"
            for name in ("Q", "H"):        # boost_error, as segno does
                if consts.SYMBOL_CAPACITY[v][_LEVEL[name]] < length:
                    break
                error = name
            break
    if version is None:
        return None                         # too long: segno says so
    capacity = consts.SYMBOL_CAPACITY[version][_LEVEL[error]]
    # mode (0100), count, data, terminator, zeros to a byte boundary (a whole byte of them
    # on a boundary already: segno's way), then the pad codewords
    value = (4 << (8 if version < 10 else 16)) | len(data)
    value = (value << 8 * len(data)) | int.from_bytes(data, "big")
    bits = length + min(capacity - length, 4)
    value <<= bits - length
    pad = 8 - bits % 8
    value <<= pad
    bits += pad
    pads = capacity // 8 - bits // 8
    message = (value.to_bytes(bits // 8, "big") + (b"\xec\x11" * (pads // 2 + 1))[:max(pads, 0)])[:capacity // 8]
    blocks, ecs = [], []
    start = 0
    for info in consts.ECC[version][_LEVEL[error]]:
        table = _rs_table(info.num_total - info.num_data)
        size = 8 * (info.num_total - info.num_data)
        top, keep_bits = size - 8, (1 << size) - 1
        for _ in range(info.num_blocks):
            block = message[start:start + info.num_data]
            start += info.num_data
            rem = 0
            for byte in block:
                rem = ((rem << 8) & keep_bits) ^ table[byte ^ (rem >> top)]
            blocks.append(block)
            ecs.append(rem.to_bytes(size // 8, "big"))
    codewords = bytes(b for column in zip_longest(*blocks) for b in column if b is not None)
    codewords += bytes(b for column in zip_longest(*ecs) for b in column if b is not None)
    n, place = _placement(version)
    stream = bin(int.from_bytes(codewords, "big") | 1 << 8 * len(codewords))[3:].encode().translate(_BITS)
    flat = bytes(place(stream + b"\x00"))
    return version, error, [int.from_bytes(flat[i:i + n], "big") for i in range(0, n * n, n)]


@lru_cache(maxsize=64)
def _rs_table(count: int) -> tuple[int, ...]:
    """coefficient -> what it adds to the Reed-Solomon remainder (``count`` codewords as one
    integer), by segno's generator polynomials and Galois field tables."""
    gen, exp, log = consts.GEN_POLY[count], consts.GALIOS_EXP, consts.GALIOS_LOG
    return (0,) + tuple(int.from_bytes(bytes(exp[log[c] + g] for g in gen), "big") for c in range(1, 256))


@lru_cache(maxsize=8)
def _data_modules(version: int) -> tuple[int, ...]:
    """Per row, 1 for each data module (where codewords go; masks apply to these only)."""
    return tuple(int.from_bytes(bytes(1 - b for b in row), "big") for row in _function_modules(version)[0])


@lru_cache(maxsize=8)
def _placement(version: int) -> tuple[int, itemgetter]:
    """(size, a getter that takes the codewords' bit stream, one byte per bit and a 0
    after it, to the modules row by row): the data modules in segno's placement order,
    two-module columns alternately upwards and downwards from the right (ISO/IEC 18004
    7.7.3); the remainder bits and every other module take the 0."""
    n = 17 + 4 * version
    function = _function_modules(version)[0]
    # codeword bits: the same at every error level (only the data/correction split differs)
    total = 8 * sum(info.num_blocks * info.num_total for info in consts.ECC[version][_LEVEL["M"]])
    source = [total] * (n * n)
    idx = 0
    for right in range(n - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(n):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (n - 1 - vertical) if upwards else vertical
                if not function[i][j]:
                    if idx < total:
                        source[i * n + j] = idx
                    idx += 1
    return n, itemgetter(*source)


def svg_inline(rows: list[int], n: int) -> str:
    """The SVG segno's ``svg_inline`` writes for these rows with our options: a light
    background and one path of horizontal runs of dark modules, in relative moves."""
    size = n + 2 * QUIET_ZONE
    # the runs of the whole symbol at once: each row between two light modules, the
    # rows one after another; a run starts where the modules go up and ends where they
    # go down, and the next starts in the same row or (dy) rows further
    width = n + 2
    grid = np.zeros((n, width), np.int8)
    grid[:, 1:n + 1] = _grid(rows, n)
    steps = np.diff(grid.ravel())
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    path = ""
    if len(starts):
        y = starts // width
        x1, x2 = starts - y * width + QUIET_ZONE, ends - y * width + QUIET_ZONE
        dx = x1.copy()
        dx[1:] -= x2[:-1]
        # the first run from the origin (half a module down: a stroke is centred on its
        # line), the others from where the one before ended: a few hundred small moves,
        # most of them met before, so each is spelled once
        keys = ((dx[1:] + 512) << 20) | (np.diff(y) << 10) | (x2 - x1)[1:]
        path = (f"M{int(x1[0])} {int(y[0]) + QUIET_ZONE + 0.5}h{int(x2[0] - x1[0])}"
                + "".join(map(_MOVES.__getitem__, keys.tolist())))
    return (f'<svg viewBox="0 0 {size} {size}" class="qr-code"><path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>'
            f'<path stroke="#000" d="{path}"/></svg>')


class _Moves(dict):
    """Key ((dx + 512) << 20 | dy << 10 | length) -> "m{dx} {dy}h{length}" (a symbol is
    at most 177 modules a side), spelled when first asked for."""

    def __missing__(self, key: int) -> str:
        move = f"m{(key >> 20) - 512} {(key >> 10) & 1023}h{key & 1023}"
        if len(self) < 100_000:
            self[key] = move
        return move


_MOVES = _Moves()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# ---------------------------------------------------------------------------- data masks
# Rows are held as integers with one byte per module (0 light, 1 dark): XOR of two such
# integers is the modules' XOR (no carries), and shifting by 8 bits moves by one module.

_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"


def _alignment_centres(version: int) -> list[int]:
    """Row/column coordinates of the alignment pattern centres (ISO/IEC 18004 Annex E)."""
    if version < 2:
        return []
    size = 17 + 4 * version
    count = version // 7 + 2
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return [6] + [size - 7 - k * step for k in range(count - 2, -1, -1)]


def _mark(grid: list[bytearray], rows, cols) -> None:
    for i in rows:
        for j in cols:
            grid[i][j] = 1


@lru_cache(maxsize=8)
def _function_modules(version: int) -> tuple[list[bytearray], list[bytearray]]:
    """(function, blank) grids of a version: 1 for the modules that are not data (finders
    with separators, timing, alignment, format and version information), and 1 for the
    format and version information (blank while masks are scored)."""
    n = 17 + 4 * version
    function = [bytearray(n) for _ in range(n)]        # 1: not data
    blank = [bytearray(n) for _ in range(n)]           # 1: format/version information

    for r0, c0 in ((0, 0), (0, n - 8), (n - 8, 0)):     # finders with separators
        _mark(function, range(r0, r0 + 8), range(c0, c0 + 8))
    _mark(function, [6], range(n))                       # timing patterns
    _mark(function, range(n), [6])
    centres = _alignment_centres(version)
    for r in centres:
        for c in centres:
            if (r, c) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            _mark(function, range(r - 2, r + 3), range(c - 2, c + 3))
    for grid in (function, blank):
        _mark(grid, [8], list(range(9)) + list(range(n - 8, n)))    # format information,
        _mark(grid, list(range(9)) + list(range(n - 8, n)), [8])    # dark module included
        if version >= 7:                                            # version information
            _mark(grid, range(6), range(n - 11, n - 8))
            _mark(grid, range(n - 11, n - 8), range(6))
    # The timing patterns cross the format information's row and column at (6, 8) and
    # (8, 6): those two modules are dark (timing) while masks are scored.
    blank[6][8] = blank[8][6] = 0
    return function, blank


@lru_cache(maxsize=8)
def _layout(version: int) -> tuple[int, tuple[int, ...], tuple[tuple[int, ...], ...],
                                   tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """(size, keep, masks, column masks, plain) of a version, as per-row integers: ``keep``
    selects the modules whose final value is also their value while masks are scored (all
    but the format and version information, which are still blank then); ``masks[k]`` is
    mask k restricted to the data modules (those a mask applies to), by rows and then by
    columns; ``plain`` all modules but the format information (which names the mask)."""
    n = 17 + 4 * version
    function, blank = _function_modules(version)
    keep = tuple(int.from_bytes(bytes(1 - b for b in row), "big") for row in blank)
    fmt = [bytearray(n) for _ in range(n)]
    _mark(fmt, [8], list(range(9)) + list(range(n - 8, n)))
    _mark(fmt, list(range(9)) + list(range(n - 8, n)), [8])
    fmt[6][8] = fmt[8][6] = 0
    plain = tuple(int.from_bytes(bytes(1 - b for b in row), "big") for row in fmt)
    data = [bytes(1 - b for b in row) for row in function]
    masks = tuple(tuple(int.from_bytes(bytes(d & fn(i, j) for j, d in enumerate(data[i])), "big")
                        for i in range(n)) for fn in _MASKS)
    return n, keep, masks, tuple(_transpose(m, n) for m in masks), plain


def _transpose(rows: tuple[int, ...] | list[int], n: int) -> tuple[int, ...]:
    return tuple(int.from_bytes(bytes(c), "big") for c in zip(*(r.to_bytes(n, "big") for r in rows)))


def _finder_like(line: bytes, n: int) -> int:
    """Penalty N3 of one row or column, counted the way segno counts it."""
    score = 0
    idx = line.find(_FINDER_LIKE)
    while idx != -1:
        after = idx + 7
        if idx in (0, n - 7) or not any(line[max(idx - 4, 0):idx]) or not any(line[after:after + 4]):
            score += 40
        else:
            after = idx + 4
        idx = line.find(_FINDER_LIKE, after)
    return score


def _runs(x: int) -> int:
    """Penalty N1 for the runs of 1 bytes in ``x``: 3 + (length − 5) per run of five or
    more, i.e. one per window of five modules in a run plus two per run. Shifting by a
    byte moves by a module; the separators between lines are 0, so no window crosses
    from one line into the next."""
    windows = x & (x >> 8) & (x >> 16) & (x >> 24) & (x >> 32)   # the 5 modules up to here
    starts = windows & ~(windows >> 8)                            # … and not the one before
    return windows.bit_count() + 2 * starts.bit_count()


def _join(lines: Iterable[int], n: int) -> int:
    """Lines of n modules (one byte each) as one integer, a 0 byte between them."""
    return int.from_bytes(b"\x00".join(line.to_bytes(n, "big") for line in lines), "big")


@lru_cache(maxsize=8)
def _scoring(n: int) -> tuple[tuple[int, ...], int, int, int]:
    """(each mask over the rows and columns joined, the separators as 2, 1 for every
    module, 1 for every module of the rows but the first) for symbols of size n."""
    _, _, masks, column_masks, _ = _layout((n - 17) // 4)
    lines = 2 * n
    ones = _join([int.from_bytes(b"\x01" * n, "big")] * lines, n)
    separators = int.from_bytes((b"\x00" * n + b"\x02") * (lines - 1) + b"\x00" * n, "big")
    below_first = _join([0] + [int.from_bytes(b"\x01" * n, "big")] * (n - 1), n)
    return (tuple(_join(m + c, n) for m, c in zip(masks, column_masks)), separators, ones, below_first)


def mask_score(joined: int, n: int) -> int:
    """The penalty score (N1 + N2 + N3 + N4) of a masked symbol given as its rows and
    then its columns, joined (see :func:`_join`)."""
    _, separators, ones, below_first = _scoring(n)
    score = _runs(joined) + _runs(joined ^ ones)             # N1: runs of five or more
    # the lines as bytes, 2 between them: no finder-like pattern spans two lines
    text = (joined | separators).to_bytes(2 * n * (n + 1) - 1, "big")
    idx = text.find(_FINDER_LIKE)                            # N3: finder-like patterns
    while idx != -1:
        line = idx // (n + 1)
        score += _finder_like(text[line * (n + 1):line * (n + 1) + n], n)
        idx = text.find(_FINDER_LIKE, (line + 1) * (n + 1))
    rows = joined >> 8 * n * (n + 1)                         # the rows, first at the top
    above = rows >> 8 * (n + 1)                              # each row beside the one below
    dark = rows & above                                      # N2: 2×2 blocks of one colour
    light = below_first & ~(rows | above)
    score += 3 * ((dark & (dark >> 8)).bit_count() + (light & (light >> 8)).bit_count())
    percent = float(rows.bit_count()) / (n ** 2)             # N4: proportion of dark
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def best_mask(matrix, version: int) -> int:
    """The data mask segno would choose for this symbol, given the symbol as drawn with
    mask 0 (``matrix``: rows of 0/1 modules): the first with the lowest penalty."""
    n, keep, masks, column_masks, _ = _layout(version)
    return _best([int.from_bytes(row, "big") for row in matrix], n, keep, masks, column_masks)


def _best(rows: list[int], n: int, keep, masks, column_masks) -> int:
    # undo mask 0 and blank the format information: the symbol as the masks are scored on
    base = [(row ^ m0) & k for row, m0, k in zip(rows, masks[0], keep)]
    base[6] |= 1 << 8 * (n - 9)            # the timing modules at (6, 8) and (8, 6)
    base[8] |= 1 << 8 * (n - 7)
    if n <= _LINE_MAX:
        scores = _scores(_grid(base, n))
    else:
        joined = _join(base + list(_transpose(base, n)), n)
        scores = [mask_score(joined ^ mask, n) for mask in _scoring(n)[0]]
    return scores.index(min(scores))        # the first with the lowest penalty


# ---------------------------------------------------------------------------- eight at once
# Symbols up to version 9 (57 modules a side: every address, see _byte_mode) are scored
# here, the eight masked copies together: each row and each column of each copy is one
# 64-bit word of a (8, 2n) array, module j at bit n + 3 - j, four light bits beyond each
# end. A rule is then a few shifts, ANDs and bit counts over 8 × 2n words (a few dozen
# numpy operations, 0.12 ms for all eight) where mask_score does them one copy at a time
# on integers of 2n(n + 1) bytes and looks for finder-like patterns with bytes.find
# (0.38 ms). The scores are mask_score's, to the point (tests/test_qr.py).

_LINE_MAX = 56                  # modules a side that fit a word with four bits each side
_U = np.uint64


def _grid(rows: Iterable[int], n: int) -> np.ndarray:
    """Rows as integers with one byte per module, as an (n, n) array of 0/1."""
    return np.frombuffer(b"".join(r.to_bytes(n, "big") for r in rows), np.uint8).reshape(n, n)


def _words(modules: np.ndarray, n: int) -> np.ndarray:
    """Each line of 0/1 bytes (k, n) as one word, module j at bit n + 3 - j."""
    packed = np.zeros((modules.shape[0], 8), np.uint8)
    packed[:, :(n + 7) // 8] = np.packbits(modules, axis=1)
    return packed.view(">u8").ravel().astype(_U) >> _U(64 - n - 4)


@lru_cache(maxsize=16)
def _mask_words(n: int) -> tuple[np.ndarray, np.uint64]:
    """(each mask's rows and then columns as words, (8, 2n); every module's bit)."""
    masks = _layout((n - 17) // 4)[2]
    return (np.stack([np.concatenate([_words(g, n), _words(g.T, n)]) for g in map(_grid, masks, [n] * 8)]),
            _U(((1 << n) - 1) << 4))


def _count(words: np.ndarray) -> np.ndarray:
    """Set bits per mask of an (8, k) array of words."""
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64)


def _scores(base: np.ndarray) -> list[int]:
    """The eight masks' penalty scores (as :func:`mask_score` counts them) of a symbol
    of n ≤ _LINE_MAX modules a side, given as an (n, n) array of 0/1 before masking."""
    n = base.shape[0]
    masks, modules = _mask_words(n)
    dark = np.concatenate([_words(base, n), _words(base.T, n)])[None] ^ masks
    light = dark ^ modules
    # a shift right by k puts, at module j's bit, module j - k of the same line (or a light
    # bit of the border): each rule looks back from the module where a run or pattern ends
    score = np.zeros(8, np.int64)
    for lines in (dark, light):                                  # N1: runs of five or more
        windows = lines & (lines >> _U(1)) & (lines >> _U(2)) & (lines >> _U(3)) & (lines >> _U(4))
        score += _count(windows) + 2 * _count(windows & ~(windows >> _U(1)))
    for rows in (dark[:, :n], light[:, :n]):                     # N2: 2×2 blocks of one colour
        pairs = rows[:, :-1] & rows[:, 1:]
        score += 3 * _count(pairs & (pairs >> _U(1)))
    percent = _count(dark[:, :n]) / (n ** 2)                     # N4: proportion of dark
    score += 10 * (np.abs(percent * 100 - 50) / 5).astype(np.int64)
    # N3: 1011101 ending at a module, counted when the four modules before it or the four
    # after it are light (the border counts as light, as segno's clipped look does)
    found = (dark & (light >> _U(1)) & (dark >> _U(2)) & (dark >> _U(3)) & (dark >> _U(4))
             & (light >> _U(5)) & (dark >> _U(6)))
    before = (dark >> _U(7)) | (dark >> _U(8)) | (dark >> _U(9)) | (dark >> _U(10))
    after = (dark << _U(1)) | (dark << _U(2)) | (dark << _U(3)) | (dark << _U(4))
    counted = found & ~(before & after)
    score += 40 * _count(counted)
    # segno's search goes on 7 modules after a counted pattern, 4 after one not counted:
    # a pattern overlapping a counted one (4 or 6 modules on) is not seen. Rare: such
    # lines are counted again as segno does.
    for mask, line in np.argwhere(found & ((counted >> _U(4)) | (counted >> _U(6)))):
        word = int(dark[mask, line]) >> 4
        text = bytes((word >> (n - 1 - j)) & 1 for j in range(n))
        score[mask] += _finder_like(text, n) - 40 * int(np.bitwise_count(counted[mask, line]))
    return score.tolist()
