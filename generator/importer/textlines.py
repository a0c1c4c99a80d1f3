"""Plain-text copies → :class:`~generator.importer.model.SourceDoc`.

Every line becomes a piece. Two kinds of tables survive copying a page as text and are
turned into grids here:

* tab-indented tables (兖州 2021, 历城 2024): each cell starts on a new line with a tab;
  lines without a tab continue the cell above (a unit on its own line, or text broken
  across lines, sometimes after a blank line); an empty cell (a lone tab) is a merged
  cell. Rows are delimited by the 序号 column when there is one, else by the number of
  header cells, with a lone 一、… cell in the first column as a section row.
* pipe-separated tables (``序号 | 工作任务 | …``), with or without outer pipes and with
  an optional ``|---|`` separator row.

Only tables whose header names task columns (see :mod:`.tasktable`) are taken apart;
other tab or pipe text stays as lines.
"""
from __future__ import annotations

import re

from ..numbering import match_marker
from .model import Grid, Line, Piece, SourceDoc
from .tasktable import header_role, is_task_header

_END_OF_TABLE = re.compile(r"^\s*(抄送|印发|主送|附件|———|——|--)")
_PIPE = re.compile(r"[|｜]")
_PIPE_SEPARATOR = re.compile(r"^[\s|｜:：\-—–=+]+$")


def read_text(text: str) -> SourceDoc:
    """Lines and task tables of a cleaned text file."""
    lines = text.split("\n")
    pieces = [Piece(l, n) for n, l in enumerate(lines, 1)]
    blocks: list[Line | Grid] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("\t") and lines[i].strip():
            grid, end = _tab_table(lines, pieces, i)
            if grid is not None:
                blocks.append(grid)
                i = end
                continue
        if len(_PIPE.findall(lines[i])) >= 2:
            grid, end = _pipe_table(lines, pieces, i)
            if grid is not None:
                blocks.append(grid)
                i = end
                continue
        if lines[i].strip():
            blocks.append(Line(i))
        i += 1
    return SourceDoc(pieces, blocks, "text")


# --- tab-indented tables ------------------------------------------------------------------

def _tab_cells(lines: list[str], start: int) -> tuple[list[list[tuple[int, str]]], list[int], int]:
    """Cells from ``start`` as lists of (line index, text); each cell's first line; the end."""
    cells: list[list[tuple[int, str]]] = []
    firsts: list[int] = []
    blank = 0
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if line.startswith("\t"):
                # a lone tab: an empty (merged) cell
                cells.append([])
                firsts.append(i)
                blank = 0
            else:
                blank += 1
            i += 1
            continue
        if line.startswith("\t"):
            for part in line.split("\t")[1:]:
                cells.append([(i, part.strip())] if part.strip() else [])
                firsts.append(i)
            blank = 0
        else:
            # A line without a tab continues the cell above, even after one blank line
            # (兖州: 区教育和体育局 / blank / 区人力资源和社会保障局); two blank lines or
            # 抄送/印发 end the table.
            if blank >= 2 or not cells or _END_OF_TABLE.match(line):
                break
            cells[-1].append((i, line.strip()))
            blank = 0
        i += 1
    while i > start and not lines[i - 1].strip():
        i -= 1
    return cells, firsts, i


def _tab_table(lines: list[str], pieces: list[Piece], start: int) -> tuple[Grid | None, int]:
    cells, firsts, end = _tab_cells(lines, start)
    # The header: the cells before the first blank line.
    h = 0
    while h < len(cells) and (h == 0 or firsts[h] - firsts[h - 1] <= 1):
        h += 1
    header = cells[:h]
    texts = ["".join(t for _, t in c) for c in header]
    if not is_task_header(texts):
        return None, start
    roles = [header_role(t) for t in texts]
    data = cells[h:]
    rows: list[list[list[tuple[int, str]]]] = []
    if roles and roles[0] == "seq":
        # A row starts at the next number of the 序号 column.
        expected = None
        for cell in data:
            text = "".join(t for _, t in cell)
            if text.isdigit() and (expected is None or int(text) == expected):
                rows.append([])
                expected = int(text) + 1
            if not rows:
                rows.append([])
            rows[-1].append(cell)
    else:
        width = len(header)
        row: list[list[tuple[int, str]]] = []
        for cell in data:
            marker = match_marker("".join(t for _, t in cell))
            if not row and marker and marker[0] == "part" and roles[0] in ("task", None):
                rows.append([cell])        # 一、… alone in the first column: a section row
                continue
            row.append(cell)
            if len(row) == width:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
    # Cell texts become pieces of their own (a line may hold several cells); the line
    # pieces they came from are blanked, the tabs being white space.
    grid: list[list[list[int]]] = []
    for r in [header] + rows:
        out_row = []
        for cell in r:
            refs = []
            for n, text in cell:
                pieces.append(Piece(text, n + 1))
                refs.append(len(pieces) - 1)
                pieces[n].text = ""
            out_row.append(refs)
        grid.append(out_row)
    return Grid(grid, start + 1, "tab"), end


# --- pipe-separated tables ------------------------------------------------------------------

def _split_pipes(line: str) -> list[str]:
    parts = _PIPE.split(line.strip())
    if parts and not parts[0].strip():
        parts = parts[1:]
    if parts and not parts[-1].strip():
        parts = parts[:-1]
    return parts


def _pipe_table(lines: list[str], pieces: list[Piece], start: int) -> tuple[Grid | None, int]:
    """A pipe table from ``start``; a row may continue on the next line(s) until it has
    as many cells as the header (text broken inside a cell)."""
    header = _split_pipes(lines[start])
    if not is_task_header(header):
        return None, start
    width = len(header)
    closed = lines[start].rstrip().endswith(("|", "｜"))
    rows: list[list[int]] = [[start]]
    separators = "".join(_PIPE.findall(lines[start]))
    buf: list[int] = []
    rules: list[int] = []           # |---| lines: blanked only once this is a table
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if not buf:
            if not line.strip():
                nxt = next((l for l in lines[i + 1:] if l.strip()), "")
                if not _PIPE.search(nxt):
                    break
                i += 1
                continue
            if _PIPE_SEPARATOR.match(line) and _PIPE.search(line):
                separators += line.strip()
                rules.append(i)
                i += 1
                continue
            if not _PIPE.search(line):
                break
        buf.append(i)
        text = "\n".join(lines[j] for j in buf)
        if len(_split_pipes(text)) >= width and (not closed or line.rstrip().endswith(("|", "｜"))):
            rows.append(buf)
            buf = []
        i += 1
    if buf:
        rows.append(buf)
    if len(rows) < 2:
        return None, start
    for r in rules:
        pieces[r].text = ""
    # Cells become new pieces (appended, so that line pieces keep their indexes); the
    # line pieces are blanked and the pipes reported as separators.
    grid: list[list[list[int]]] = []
    for row in rows:
        cells: list[list[int]] = [[]]
        for j in row:
            separators += "".join(_PIPE.findall(lines[j])) if j != start else ""
            for n, seg in enumerate(_PIPE.split(lines[j])):
                if n > 0:
                    cells.append([])
                if seg.strip():
                    pieces.append(Piece(seg.strip(), j + 1))
                    cells[-1].append(len(pieces) - 1)
            pieces[j].text = ""
        if cells and not cells[0] and lines[row[0]].lstrip().startswith(("|", "｜")):
            cells = cells[1:]
        if cells and not cells[-1] and lines[row[-1]].rstrip().endswith(("|", "｜")):
            cells = cells[:-1]
        grid.append(cells)
    return Grid(grid, start + 1, "pipe", separator_chars=separators), i
