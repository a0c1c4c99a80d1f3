"""Saved HTML pages → :class:`~generator.importer.model.SourceDoc`.

The page is read with BeautifulSoup and turned into lines the way a browser lays them
out: block elements (p, div, li, h1 …) and ``<br>`` end a line, inline elements join.
Scripts, styles, templates and comments are not document text and are skipped. Every
innermost ``<table>`` becomes a :class:`Grid` with rowspan/colspan expanded; whether it
is a metadata table, a task table, a data table or only page layout is decided later by
the recogniser, which knows the labels.

Elements that portals use for navigation, breadcrumbs, share bars and footers are
marked with the "chrome" zone. The zone is only a hint: a line in such an element that
is recognisably part of the document (its title, a numbered paragraph) is kept.
"""
from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction

from .chrome import is_chrome_element
from .model import ZONE_BODY, ZONE_CHROME, ZONE_HEAD, Grid, Line, Link, Piece, SourceDoc

SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "math", "object", "embed",
             "iframe", "canvas", "audio", "video", "map"}
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
    "main", "menu", "nav", "ol", "option", "p", "pre", "section", "select", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul", "head",
}
_NOT_TEXT = (Comment, Doctype, CData, ProcessingInstruction, Declaration)
# Nesting limits: a hostile or broken page must not exhaust the stack or memory.
MAX_DEPTH = 400
MAX_ROWSPAN, MAX_COLSPAN = 500, 60

_SPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")



class _Emitter:
    """Collects pieces and blocks while walking the tree."""

    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self.blocks: list[Line | Grid] = []
        self._buf: list[str] = []
        self._links: list[Link] = []
        self._line = 1
        self._zone = ZONE_BODY
        self._tag = ""
        self.sink: list[int] | None = None   # while inside a table cell: its pieces

    def add_text(self, text: str, line: int, zone: str, tag: str) -> None:
        if not self._buf:
            self._line, self._zone, self._tag = line, zone, tag
        self._buf.append(text)

    def add_link(self, text: str, href: str) -> None:
        self._links.append(Link(text, href))

    def flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self._buf)).strip(" ")
        if text:
            self.pieces.append(Piece(text, self._line, self._zone, self._tag, self._links))
            index = len(self.pieces) - 1
            if self.sink is not None:
                self.sink.append(index)
            else:
                self.blocks.append(Line(index))
        self._buf, self._links = [], []


def read_html(text: str, path: Path) -> SourceDoc:
    """Parse a saved page into pieces, lines and grids."""
    soup = BeautifulSoup(text, "html.parser")
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = tag.get("name") or tag.get("property") or tag.get("http-equiv")
        content = tag.get("content")
        if isinstance(name, str) and isinstance(content, str) and content.strip():
            meta.setdefault(name.strip().lower(), content.strip())
    out = _Emitter()
    _walk(soup, out, ZONE_BODY, False, 0)
    out.flush()
    return SourceDoc(out.pieces, out.blocks, "html", meta, str(path.parent))


def _walk(node: Tag, out: _Emitter, zone: str, in_article: bool, depth: int) -> None:
    if depth > MAX_DEPTH:
        # Deeper nesting than any real page: keep the text, flattened, rather than recurse.
        out.add_text(node.get_text(" "), node.sourceline or 1, zone, node.name or "")
        out.flush()
        return
    for child in node.children:
        if isinstance(child, _NOT_TEXT):
            continue
        if isinstance(child, NavigableString):
            if str(child).strip():
                tag = node.name if isinstance(node, Tag) else ""
                line = node.sourceline if isinstance(node, Tag) and node.sourceline else 1
                out.add_text(str(child), line, zone, tag or "")
            elif out._buf:
                out.add_text(" ", 0, zone, "")
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in SKIP_TAGS:
            continue
        if name == "head":
            title = child.find("title")
            if title is not None and title.get_text(strip=True):
                out.flush()
                out.add_text(title.get_text(" "), title.sourceline or 1, ZONE_HEAD, "title")
                out.flush()
            continue
        if name == "br":
            out.flush()
            continue
        child_zone = zone
        if zone == ZONE_BODY and is_chrome_element(child, in_article):
            child_zone = ZONE_CHROME
        child_in_article = in_article or name in ("article", "main")
        if name == "table" and child.find("table") is None:
            out.flush()
            _table(child, out, child_zone, child_in_article, depth)
            continue
        block = name in BLOCK_TAGS
        if block:
            out.flush()
        if name == "a" and isinstance(child.get("href"), str):
            out.add_link(child.get_text(" ", strip=True), child["href"].strip())
        _walk(child, out, child_zone, child_in_article, depth + 1)
        if block:
            out.flush()


def _span(value: object, limit: int) -> int:
    match = re.match(r"\s*(\d+)", str(value or ""))
    return max(1, min(limit, int(match.group(1)))) if match else 1


def _table(table: Tag, out: _Emitter, zone: str, in_article: bool, depth: int) -> None:
    """An innermost table: caption as a line, cells into a grid (spans expanded)."""
    caption = table.find("caption")
    if caption is not None:
        _walk(caption, out, zone, in_article, depth + 1)
        out.flush()
    # Text directly inside table/tbody/tr (outside any cell) is invalid HTML that
    # browsers show before the table; keep it so that no text goes missing.
    for stray in table.find_all(string=True):
        if isinstance(stray, _NOT_TEXT) or not stray.strip():
            continue
        parent = stray.parent
        if parent is not None and parent.name in ("table", "tbody", "thead", "tfoot", "tr"):
            out.add_text(str(stray), parent.sourceline or 1, zone, parent.name)
            out.flush()
    cells: dict[tuple[int, int], list[int]] = {}
    spans = 0
    rows = table.find_all("tr")
    for r, tr in enumerate(rows):
        c = 0
        for td in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in cells:
                c += 1
            rowspan = min(_span(td.get("rowspan"), MAX_ROWSPAN), len(rows) - r)
            colspan = _span(td.get("colspan"), MAX_COLSPAN)
            pieces: list[int] = []
            out.sink = pieces
            _walk(td, out, zone, in_article, depth + 1)
            out.flush()
            out.sink = None
            for dr in range(rowspan):
                for dc in range(colspan):
                    cells.setdefault((r + dr, c + dc), pieces)
            spans += rowspan * colspan - 1
            c += colspan
    if not cells:
        return
    height = max(r for r, _ in cells) + 1
    width = max(c for _, c in cells) + 1
    grid = [[cells.get((r, c), []) for c in range(width)] for r in range(height)]
    out.blocks.append(Grid(grid, table.sourceline or 1, "html", spans))
