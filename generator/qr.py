"""QR codes for permanent addresses: inline SVG, vector, quiet zone, error correction ≥ M.

segno is used because it is pure Python (no image library), writes compact SVG paths
and picks the smallest version for the data; we only decide the error level (M, or
higher where segno can raise it without growing the symbol) and the quiet zone.
"""
from __future__ import annotations

from functools import lru_cache

import segno

QUIET_ZONE = 4          # modules; the QR specification's minimum


@lru_cache(maxsize=4096)
def qr_svg(url: str, label: str = "本页地址的二维码") -> str:
    """Inline SVG for ``url``: scalable (viewBox, no fixed size), black on white."""
    code = segno.make(url, error="m", micro=False, boost_error=True)
    svg = code.svg_inline(scale=1, border=QUIET_ZONE, dark="#000", light="#fff",
                          omitsize=True, svgclass="qr-code", lineclass=None)
    # Give the image an accessible name: screen readers announce "图像, 本页地址的二维码".
    # crispEdges keeps module edges sharp at any size, on screen and in print.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" shape-rendering="crispEdges" ', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
