"""The page as the recogniser sees it: a list of :class:`Item` — lines and classified tables.

Tables are classified here, once: a metadata table (label/value cells such as 索引号 |
…), a task table (:func:`~generator.importer.tasktable.parse_grid` accepts it), a data
table (kept in the body as a Markdown table) or page layout (its cells become lines).
The line predicates below (（此件公开发布）, 附件：, 抄送：, …印发, 主送 …) are shared by
the recogniser's passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

from ..numbering import match_marker
from .metadata import Pair, label_field, label_pairs
from .model import Grid, Line, Link, SourceDoc, TaskTable
from .report import Report
from .tasktable import parse_grid

_T2S = opencc.OpenCC("t2s")

NOTE = re.compile(r"^[（(]\s*此件(公开发布|主动公开|依申请公开|不予公开|不公开)\s*[）)]$")
NOTE_DISCLOSURE = {"公开发布": "主动公开", "主动公开": "主动公开", "依申请公开": "依申请公开",
                   "不予公开": "不予公开", "不公开": "不予公开"}
ATTACH = re.compile(r"^附\s*件\s*\d{0,2}\s*[:：]\s*(.+)$")
ATTACH_LABEL = re.compile(r"^附\s*件\s*\d{0,2}\s*[:：]?$")
ATTACH_ITEM = re.compile(r"^\d{1,2}\s*[.．、]\s*\S")
FILE = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|jpe?g|png|gif|bmp|tiff?|txt|csv)$", re.I)
IMAGE = re.compile(r"\.(jpe?g|png|gif|bmp|tiff?)$", re.I)
CC = re.compile(r"^(抄\s*送|主\s*送|报\s*送)\s*[:：]")
PRINT = re.compile(r"^(.+?)\s*(\d{4}年\d{1,2}月\d{1,2}日)\s*印\s*发$")
SIGN_ONE_LINE = re.compile(r"^(.+?)\s+(\d{4}年\d{1,2}月\d{1,2}日)$")
DECORATION = re.compile(r"^[—\-_=─━*＊·•~～]{3,}$")
CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
KIND_END = ("通知", "意见", "方案", "办法", "规定", "决定", "通报", "报告", "要点", "安排", "分工", "函",
            "批复", "公告", "通告", "规划", "计划", "细则", "纲要", "清单", "目录", "指引", "指南", "条例")
# A table cell longer than this is page layout (a whole article in a <td>), not data.
MAX_DATA_CELL = 300


@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """The simplified form of a line, for matching patterns (the text itself is kept)."""
    return _T2S.convert(text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docish(view: str) -> bool:
    """Looks like document text (a numbered part or a sentence) rather than page furniture."""
    v = view.strip()
    return bool(match_marker(v)) or "。" in v or "；" in v


def is_recipients(view: str) -> bool:
    """主送: 各街道办事处，区政府各部门（单位）："""
    v = view.strip()
    return (v.endswith(("：", ":")) and "。" not in v and 4 <= len(v) <= 300
            and bool(re.search("各|单位|部门|政府|委员会|管委会|办事处|局|院|室", v))
            and not re.search(r"^(附件|抄送|主送|索引号|发布|来源|当前位置|您当前的位置|字号)", v))


@dataclass
class Item:
    """A line or table of the page, in order, with what the recogniser decided."""

    text: str
    line: int
    zone: str = ""
    tag: str = ""
    links: list[Link] = field(default_factory=list)
    grid: Grid | None = None
    kind: str = "line"                    # "line", "tasks", "meta", "data"
    table: TaskTable | None = None
    pairs: list[tuple[Pair, str, int]] = field(default_factory=list)   # (pair, label, line)
    rows: list[list[str]] | None = None
    used: bool = False

    @property
    def view(self) -> str:
        return simplified(self.text)


def build_items(doc: SourceDoc, report: Report) -> list[Item]:
    """Lines and tables of ``doc`` in order; layout tables are opened into lines."""
    items: list[Item] = []
    for block in doc.blocks:
        if isinstance(block, Line):
            p = doc.pieces[block.piece]
            if p.text.strip():
                items.append(Item(p.text.strip(), p.line, p.zone, p.tag, p.links))
        else:
            items.extend(_grid_items(doc, block, report))
    return items


def _piece_item(doc: SourceDoc, index: int) -> Item:
    p = doc.pieces[index]
    return Item(p.text.strip(), p.line, p.zone, p.tag, p.links)


def grid_texts(doc: SourceDoc, grid: Grid) -> list[tuple[str, int]]:
    """Every piece of a table once (merged cells are expanded in the grid)."""
    seen: set[int] = set()
    out = []
    for row in grid.rows:
        for cell in row:
            for i in cell:
                if i not in seen:
                    seen.add(i)
                    out.append((doc.text(i), doc.pieces[i].line))
    return out


def _grid_items(doc: SourceDoc, grid: Grid, report: Report) -> list[Item]:
    if grid.separator_chars:
        report.drop(grid.separator_chars, "decoration", "表格分隔符（| 和 ---）", grid.line)
    zone = next((doc.pieces[i].zone for row in grid.rows for c in row for i in c), "")
    cells = [[[doc.text(i) for i in cell] for cell in row] for row in grid.rows]
    pairs, leftovers = _meta_grid(doc, grid, report)
    if len(pairs) >= 2:
        meta = Item("", grid.line, zone, kind="meta", grid=grid, pairs=pairs)
        return [meta] + [_piece_item(doc, i) for i in leftovers]
    # parse_grid reports as it goes; keep its records only if the table is taken
    scratch = Report(report.source)
    row_lines = [next((doc.pieces[i].line for c in row for i in c), None) for row in grid.rows]
    table = parse_grid(cells, grid.kind, grid.line, scratch, row_lines)
    report.doubts.extend(scratch.doubts)
    if table is not None:
        report.found.extend(scratch.found)
        report.dropped.extend(scratch.dropped)
        report.changes.extend(scratch.changes)
        if grid.spans:
            table.filled["rowspan/colspan 展开"] = grid.spans
        return [Item("", grid.line, zone, kind="tasks", grid=grid, table=table)]
    width = max(len(r) for r in grid.rows)
    if (grid.kind == "html" and len(grid.rows) >= 2 and width >= 2
            and all(len("".join(c)) <= MAX_DATA_CELL for row in cells for c in row)):
        rows = [[" ".join(c).strip() for c in row] + [""] * (width - len(row)) for row in cells]
        return [Item("", grid.line, zone, kind="data", grid=grid, rows=rows)]
    seen: set[int] = set()
    out = []
    for row in grid.rows:
        for cell in row:
            for i in cell:
                if i not in seen and doc.text(i).strip():
                    seen.add(i)
                    out.append(_piece_item(doc, i))
    return out


_LABEL_LIKE = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000]{1,7}[:：]?$")


def _unknown_pairs(doc: SourceDoc, grid: Grid, used: set[int]) -> list[tuple[Pair, str, int]]:
    """In a metadata table, a short label-like cell before a value is a label we do not
    know (统一编号, 生效日期 …): reported as metadata without a field, not body text."""
    out = []
    for row in grid.rows:
        for c in range(len(row) - 1):
            label, value = row[c], row[c + 1]
            if not label or set(label) & used or set(value) & used:
                continue
            text = doc.cell_text(label, " ").strip()
            if _LABEL_LIKE.match(text):
                used.update(label)
                used.update(value)
                line = doc.pieces[label[0]].line
                out.append((Pair("_other", text, doc.cell_text(value, " ").strip()), text, line))
    return out


def _meta_grid(doc: SourceDoc, grid: Grid, report: Report) -> tuple[list[tuple[Pair, str, int]], list[int]]:
    """Label/value pairs of a metadata table, and the pieces that are neither."""
    pairs: list[tuple[Pair, str, int]] = []
    used: set[int] = set()
    brackets: list[tuple[str, int]] = []
    for row in grid.rows:
        c = 0
        while c < len(row):
            text = doc.cell_text(row[c], " ").strip()
            fld = label_field(simplified(text)) if text else None
            if fld and c + 1 < len(row) and not label_field(simplified(doc.cell_text(row[c + 1], " "))) \
                    and not set(row[c + 1]) & used:
                value = doc.cell_text(row[c + 1], " ").strip()
                line = doc.pieces[row[c][0]].line
                pairs.append((Pair(fld, text, value), text, line))
                used.update(row[c])
                used.update(row[c + 1])
                c += 2
                continue
            if text and row[c] and row[c][0] not in used:
                before, found = label_pairs(simplified(text), text)
                if found and not before.strip(" 【[|｜"):
                    line = doc.pieces[row[c][0]].line
                    pairs.extend((p, p.label, line) for p in found)
                    if before.strip():
                        brackets.append((before, line))
                    used.update(row[c])
            c += 1
    if len(pairs) >= 2:
        for text, line in brackets:
            report.drop(text, "decoration", "标签前的括号", line)
        pairs += _unknown_pairs(doc, grid, used)
    leftovers: list[int] = []
    for row in grid.rows:
        for cell in row:
            for i in cell:
                if i not in used and i not in leftovers:
                    leftovers.append(i)
    return pairs, leftovers
