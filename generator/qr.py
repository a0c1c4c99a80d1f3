"""QR codes for permanent addresses: inline SVG, vector, quiet zone, error correction ≥ M.

segno is used because it is pure Python (no image library), writes compact SVG paths
and picks the smallest version for the data; we only decide the error level (M, or
higher where segno can raise it without growing the symbol) and the quiet zone.

Choosing the data mask is most of segno's time (it scores eight masked copies of the
symbol module by module in Python: 4 of 5 ms per code, a third of rendering a document
page). :func:`best_mask` scores the same eight candidates by the same rules (ISO/IEC
18004 7.8.3, as segno counts them) on whole rows at once, and segno is then told which
mask to use: the symbol is byte for byte the one segno would choose by itself
(tests/test_qr.py compares the choice on hundreds of addresses).
"""
from __future__ import annotations

from functools import lru_cache

import segno

QUIET_ZONE = 4          # modules; the QR specification's minimum

# segno's make() options for every code we draw
_OPTIONS = {"error": "m", "micro": False, "boost_error": True}


@lru_cache(maxsize=4096)
def qr_svg(url: str, label: str = "本页地址的二维码") -> str:
    """Inline SVG for ``url``: scalable (viewBox, no fixed size), black on white."""
    code = segno.make(url, mask=0, **_OPTIONS)
    best = best_mask(code.matrix, code.version)
    if best != 0:
        code = segno.make(url, mask=best, **_OPTIONS)
    svg = code.svg_inline(scale=1, border=QUIET_ZONE, dark="#000", light="#fff",
                          omitsize=True, svgclass="qr-code", lineclass=None)
    # Give the image an accessible name: screen readers announce "图像, 本页地址的二维码".
    # crispEdges keeps module edges sharp at any size, on screen and in print.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" shape-rendering="crispEdges" ', 1)


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
_DARK = bytes.maketrans(b"\x00\x01\x02", b"\x00\x01\x00")
_LIGHT = bytes.maketrans(b"\x00\x01\x02", b"\x01\x00\x00")
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"


def _alignment_centres(version: int) -> list[int]:
    """Row/column coordinates of the alignment pattern centres (ISO/IEC 18004 Annex E)."""
    if version < 2:
        return []
    size = 17 + 4 * version
    count = version // 7 + 2
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return [6] + [size - 7 - k * step for k in range(count - 2, -1, -1)]


@lru_cache(maxsize=8)
def _layout(version: int) -> tuple[int, tuple[int, ...], tuple[tuple[int, ...], ...],
                                   tuple[tuple[int, ...], ...]]:
    """(size, keep, masks, column masks) of a version, as per-row integers: ``keep``
    selects the modules whose final value is also their value while masks are scored (all
    but the format and version information, which are still blank then); ``masks[k]`` is
    mask k restricted to the data modules (those a mask applies to), by rows and then by
    columns."""
    n = 17 + 4 * version
    function = [bytearray(n) for _ in range(n)]        # 1: not data
    blank = [bytearray(n) for _ in range(n)]           # 1: format/version information

    def mark(grid, rows, cols):
        for i in rows:
            for j in cols:
                grid[i][j] = 1

    for r0, c0 in ((0, 0), (0, n - 8), (n - 8, 0)):     # finders with separators
        mark(function, range(r0, r0 + 8), range(c0, c0 + 8))
    mark(function, [6], range(n))                       # timing patterns
    mark(function, range(n), [6])
    centres = _alignment_centres(version)
    for r in centres:
        for c in centres:
            if (r, c) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            mark(function, range(r - 2, r + 3), range(c - 2, c + 3))
    for grid in (function, blank):
        mark(grid, [8], list(range(9)) + list(range(n - 8, n)))    # format information,
        mark(grid, list(range(9)) + list(range(n - 8, n)), [8])    # dark module included
        if version >= 7:                                            # version information
            mark(grid, range(6), range(n - 11, n - 8))
            mark(grid, range(n - 11, n - 8), range(6))
    # The timing patterns cross the format information's row and column at (6, 8) and
    # (8, 6): those two modules are dark (timing) while masks are scored.
    blank[6][8] = blank[8][6] = 0
    keep = tuple(int.from_bytes(bytes(1 - b for b in row), "big") for row in blank)
    data = [bytes(1 - b for b in row) for row in function]
    masks = tuple(tuple(int.from_bytes(bytes(d & fn(i, j) for j, d in enumerate(data[i])), "big")
                        for i in range(n)) for fn in _MASKS)
    return n, keep, masks, tuple(_transpose(m, n) for m in masks)


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


def _runs(joined: bytes, colour: bytes) -> int:
    """Penalty N1 for runs of ``colour`` (a translation table to 1 for it, 0 otherwise):
    3 + (length − 5) per run of five or more, i.e. one per window of five modules in a
    run plus two per run. Shifting by a byte moves by a module; the separators between
    lines are 0, so no window crosses from one line into the next."""
    x = int.from_bytes(joined.translate(colour), "big")
    windows = x & (x >> 8) & (x >> 16) & (x >> 24) & (x >> 32)   # the 5 modules up to here
    starts = windows & ~(windows >> 8)                            # … and not the one before
    return windows.bit_count() + 2 * starts.bit_count()


def mask_score(rows: list[int], columns: list[int], n: int) -> int:
    """The penalty score (N1 + N2 + N3 + N4) of a masked symbol given as row and column
    integers."""
    lines = [r.to_bytes(n, "big") for r in rows] + [c.to_bytes(n, "big") for c in columns]
    # every row and column in one string, 2 between them: one regular-expression pass
    joined = b"\x02".join(lines)
    score = _runs(joined, _DARK) + _runs(joined, _LIGHT)    # N1: runs of five or more
    idx = joined.find(_FINDER_LIKE)                          # N3: finder-like patterns
    while idx != -1:
        line = idx // (n + 1)
        score += _finder_like(lines[line], n)
        idx = joined.find(_FINDER_LIKE, (line + 1) * (n + 1))
    ones = int.from_bytes(b"\x01" * n, "big")
    for a, b in zip(rows, rows[1:]):                         # N2: 2×2 blocks of one colour
        dark = a & b
        light = (a | b) ^ ones
        score += 3 * ((dark & (dark >> 8)).bit_count() + (light & (light >> 8)).bit_count())
    dark_modules = sum(r.bit_count() for r in rows)
    percent = float(dark_modules) / (n ** 2)                 # N4: proportion of dark
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def best_mask(matrix, version: int) -> int:
    """The data mask segno would choose for this symbol, given the symbol as drawn with
    mask 0 (``matrix``: rows of 0/1 modules): the first with the lowest penalty."""
    n, keep, masks, column_masks = _layout(version)
    # undo mask 0 and blank the format information: the symbol as the masks are scored on
    base = [(int.from_bytes(row, "big") ^ m0) & k for row, m0, k in zip(matrix, masks[0], keep)]
    base[6] |= 1 << 8 * (n - 9)            # the timing modules at (6, 8) and (8, 6)
    base[8] |= 1 << 8 * (n - 7)
    columns = _transpose(base, n)
    best, best_score = 0, None
    for number, (mask, column_mask) in enumerate(zip(masks, column_masks)):
        score = mask_score([b ^ m for b, m in zip(base, mask)], [c ^ m for c, m in zip(columns, column_mask)], n)
        if best_score is None or score < best_score:
            best, best_score = number, score
    return best
