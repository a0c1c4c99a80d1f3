"""Task tables (任务分工) → :class:`~generator.importer.model.TaskTable`.

Offices name their columns differently (工作任务 / 具体要求 or 工作要求 / 责任单位,
牵头单位, 责任科室 / 完成时限 or 时限要求 …); :func:`header_role` maps a header by
meaning. Tables copied as text lose their colspans, so a header may cover two data
columns (历城's 工作任务 spans 一、… and （一）…): :func:`_align` tries the possible
spans and keeps the one the cell contents fit best.

Merged cells arrive either expanded (HTML rowspan) or empty (text copies): an empty
工作任务, 责任单位, 牵头单位 or 完成时限 cell means "same as above" and is filled in, as
docs/content-format.md asks. Unit cells are split into names: one per line in tables
that put each unit on its own line (兖州), at 、 in tables that list them in one line
(历城), with a trailing 等有关部门（单位） kept as ``units_note``.

Older 要点 have no table: each item ends with its units in parentheses (长治);
:func:`tasks_from_paragraphs` builds the task list from those.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..numbering import match_marker
from .model import Para, TaskRow, TaskTable
from .report import Report

ROLE_LABELS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "task": ("工作任务", "重点任务", "主要任务", "任务名称", "工作事项", "重点工作", "工作项目",
             "任务事项", "任务分类", "任务", "类别", "项目", "事项"),
    "requirement": ("具体要求", "工作要求", "任务要求", "具体任务", "具体内容", "工作内容", "主要内容",
                    "工作措施", "具体措施", "任务内容", "落实措施", "工作目标", "要求", "内容", "措施"),
    "lead": ("牵头单位", "牵头部门", "牵头科室", "牵头处室", "牵头"),
    "units": ("责任单位", "责任部门", "责任科室", "责任处室", "责任主体", "承办单位", "落实单位",
              "实施单位", "配合单位", "配合部门", "协办单位", "参与单位", "责任"),
    "deadline": ("完成时限", "时限要求", "完成时间", "时间节点", "办结时限", "完成期限", "进度安排",
                 "时间安排", "时间要求", "时限", "期限"),
    "progress": ("推进落实情况", "落实情况", "进展情况", "推进情况", "完成情况", "工作进展"),
    "status": ("状态", "完成状态", "落实状态"),
    "note": ("备注", "说明"),
}
ROLE_NAMES = {"seq": "seq", "section": "section", "item": "item", "task": "section/item",
              "requirement": "requirement", "lead": "lead_units", "units": "units",
              "deadline": "deadline", "progress": "progress", "status": "status", "note": "（备注）"}
STATUSES = ("未开始", "推进中", "已落实")

# Names of offices end with these; used to tell unit lists from ordinary brackets.
ORG_SUFFIX = re.compile(r"(部门|单位|政府|局|委|办|院|厅|中心|公司|集团|街道|镇|乡|区|县|市|委员会|办公室|"
                        r"管委会|分局|所|站|队|处|科|室|会|组|部|行|社|馆|台|团|署|庭|支队|大队)(（[^（）]{1,6}）)?$")
ORG_PREFIX = re.compile(r"^(区|市|县|省|各|镇|乡|街道|州|旗|国家|中共|共青团)")
_UNIT_NOTE = re.compile(r"^(.*?)(等(?:有关|相关|其他|其它|各)?[\u4e00-\u9fff]{0,6}(?:部门|单位|机构)(?:（[^（）]*）)?)$")
_LEAD = re.compile(r"[（(]牵头[）)]$|牵头$")
_SEQ = re.compile(r"^\d{1,3}$")
_DEADLINE = re.compile(r"年|月|日|前|底|长期|持续|常态|季度|每年|每月|随时|及时|完成")
_SPLIT = "、，,；;"
_MAX_HEADER = 12


def _norm_header(text: str) -> str:
    return re.sub(r"[\s:：*＊]", "", text)


def header_role(text: str) -> str | None:
    """The field a column header means, or None (序号 → seq, 时限要求 → deadline …)."""
    t = _norm_header(text)
    if not t or len(t) > _MAX_HEADER:
        return None
    for role, labels in ROLE_LABELS.items():
        if t in labels:
            return role
    best: tuple[int, str] | None = None
    for role, labels in ROLE_LABELS.items():
        for label in labels:
            if len(label) >= 2 and label in t and (best is None or len(label) > best[0]):
                best = (len(label), role)
    return best[1] if best else None


def is_task_header(cells: list[str]) -> bool:
    roles = [header_role(c) for c in cells if c.strip()]
    found = {r for r in roles if r}
    return len([r for r in roles if r]) >= 2 and bool(found & {"requirement", "units", "lead"})


# --- joining broken cell text and splitting units -------------------------------------

def join_fragments(lines: list[str]) -> str:
    """Cell text broken across lines, joined: no space between Chinese, one between ASCII."""
    out = ""
    for piece in (l.strip() for l in lines):
        if not piece:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            out += " "
        out += piece
    return out


def _join_unit_lines(lines: list[str]) -> str:
    """Join the lines of a 、-separated unit cell; a line break between two whole
    names (…局 / 区…) counts as a separator, one inside a name (区住房城乡 / 建设局) not."""
    out = ""
    for piece in (l.strip() for l in lines):
        if not piece:
            continue
        if out and out[-1] not in _SPLIT and ORG_SUFFIX.search(out) and ORG_PREFIX.match(piece):
            out += "、"
        out += piece
    return out


def _split_top(text: str) -> list[str]:
    """Split at 、，； outside brackets (各街道(镇)办事处 stays whole)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "（(【[":
            depth += 1
        elif ch in "）)】]":
            depth = max(0, depth - 1)
        if ch in _SPLIT and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


@dataclass
class Units:
    names: list[str]
    lead: list[str]
    note: str | None


def split_units(lines: list[str], style: str) -> Units:
    """Unit names of one cell. ``style`` "lines": one unit per line; "delimited": 、."""
    if style == "lines":
        raw = [l.strip().strip("、，,；;。") for l in lines]
    else:
        raw = [p.strip() for p in _split_top(_join_unit_lines(lines))]
        merged: list[str] = []
        for p in raw:
            # 区政府各部门、单位 is one name: a bare 单位/部门 continues the name before it
            if p in ("单位", "部门") and merged and merged[-1].endswith(("部门", "单位")):
                merged[-1] += "、" + p
            else:
                merged.append(p)
        raw = merged
    names, lead, note = [], [], None
    for i, name in enumerate(n for n in raw if n):
        if _LEAD.search(name):
            name = _LEAD.sub("", name).strip()
            if name:
                lead.append(name)
        m = _UNIT_NOTE.match(name)
        if m and i == len([n for n in raw if n]) - 1:
            name, note = m.group(1).strip(), m.group(2)
        if name:
            names.append(name)
    return Units(names, lead, note)


def unit_style(cells: list[list[str]]) -> str:
    """Whether a table's unit cells list one unit per line or separate them with 、."""
    multi = delimited = 0
    for lines in cells:
        filled = [l for l in lines if l.strip()]
        if len(filled) > 1:
            multi += 1
        elif len(filled) == 1 and any(ch in filled[0] for ch in _SPLIT):
            delimited += 1
    return "delimited" if delimited > multi else "lines"


# --- aligning columns ------------------------------------------------------------------

def _content_fit(role: str | None, values: list[str]) -> float:
    """How well a column's cells fit a role (0..1); empty cells are neutral."""
    filled = [v for v in values if v]
    if not filled:
        return 0.5
    def share(pred) -> float:
        return sum(1 for v in filled if pred(v)) / len(filled)
    if role == "seq":
        return share(lambda v: bool(_SEQ.match(v)))
    if role == "section":
        return share(lambda v: (match_marker(v) or ("", 0))[0] == "part")
    if role == "item":
        return share(lambda v: (match_marker(v) or ("", 0))[0] in ("item", "sub"))
    if role == "deadline":
        return share(lambda v: len(v) <= 20 and bool(_DEADLINE.search(v)))
    if role in ("units", "lead"):
        return share(lambda v: all(ORG_SUFFIX.search(p.strip()) or not p.strip()
                                   for p in _split_top(v.replace("\n", "、"))))
    if role == "requirement":
        return share(lambda v: len(v) >= 15)
    if role == "task":
        return share(lambda v: len(v) <= 60)
    return 0.3


def _expand(roles: list[str | None], at: int, extra: int) -> tuple[list[str | None], list[int]]:
    """Header ``at`` covers ``extra`` more data columns: (roles, header index per column)."""
    role = roles[at]
    cover: list[str | None] = ["section", "item"] if role == "task" and extra == 1 else [role] * (extra + 1)
    owners = list(range(at)) + [at] * (extra + 1) + list(range(at + 1, len(roles)))
    return roles[:at] + cover + roles[at + 1:], owners


def _align(roles: list[str | None], columns: list[list[str]]) -> tuple[list[str | None], list[int]]:
    """Roles for the data columns when there are more of them than headers."""
    width = len(columns)
    if len(roles) >= width:
        return roles[:width], list(range(width))
    extra = width - len(roles)
    best: tuple[float, list[str | None], list[int]] | None = None
    for at in range(len(roles)):
        cand, owners = _expand(roles, at, extra)
        score = sum(_content_fit(r, col) for r, col in zip(cand, columns))
        if best is None or score > best[0]:
            best = (score, cand, owners)
    assert best is not None
    return best[1], best[2]


# --- grid → rows -------------------------------------------------------------------------

def find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row among the first few rows, or None."""
    for i, row in enumerate(rows[:4]):
        if is_task_header(row):
            return i
    return None


def parse_grid(rows: list[list[list[str]]], source: str, line: int | None,
               report: Report, row_lines: list[int | None] | None = None) -> TaskTable | None:
    """Task rows from a table of cells (each cell a list of its lines).

    Returns None when the table is not a task table or when its rows cannot all be
    written (a row without units and nothing above to fill from): the caller then
    keeps the table in the body, so nothing is lost.
    """
    flat = [[join_fragments(c) for c in row] for row in rows]
    head = find_header(flat)
    if head is None:
        return None
    header = flat[head]
    caption, notes = None, []
    for r, above in enumerate(flat[:head]):
        texts = list(dict.fromkeys(t for t in above if t))     # a spanning cell repeats
        if caption is None and len(texts) == 1:
            caption = texts[0]                                   # 2024年…任务分工 over the table
        else:
            notes.extend((t, (row_lines or [None] * len(rows))[r]) for t in texts)
    data = rows[head + 1:]
    data_flat = flat[head + 1:]
    lines_of = (row_lines or [None] * len(rows))[head + 1:]
    width = max((len(r) for r in data), default=len(header))
    roles0 = [header_role(h) for h in header]
    # HTML colspans are already expanded: a spanning header repeats, so two equal
    # 工作任务 headers become section + item by content, as for text copies.
    columns = [[r[c] if c < len(r) else "" for r in data_flat] for c in range(width)]
    roles, owners = _align(roles0, columns)
    roles = _split_repeated_task(roles, columns)
    if "requirement" not in roles and "task" in roles:
        roles = ["requirement" if r == "task" else r for r in roles]
    if "requirement" not in roles or not ({"units", "lead"} & set(roles)):
        report.doubt(f"表格有表头（{'、'.join(h for h in header if h)}），但缺少具体要求或责任单位列，"
                     "未作为任务分工表导入，按普通表格保留在正文中。", line)
        return None
    unit_cols = [c for c, r in enumerate(roles) if r in ("units", "lead")]
    style = unit_style([row[c] for row in data for c in unit_cols if c < len(row)])
    for h in header:
        if h:
            report.drop(h, "label", "任务分工表的表头（列名已对应到 tasks.yaml 的字段）", line)
    colnames = [f"{header[o] if o < len(header) and header[o] else '（无表头）'}→{ROLE_NAMES.get(r or '', '（未用）')}"
                for o, r in zip(owners, roles)]
    table = TaskTable([], caption, source, line, colnames, {}, notes)
    heads = [header[o] if o < len(header) else "" for o in owners]
    state: dict[str, object] = {"section": None, "item": None, "units": None, "lead": None,
                                "deadline": None, "seqs": [], "groups": [], "heads": heads}
    for r, (cells, texts) in enumerate(zip(data, data_flat)):
        where = lines_of[r] if r < len(lines_of) else line
        if not _row(table, roles, cells, texts, state, style, where, report):
            return None
    if not table.rows:
        return None
    _number(table, roles, state["seqs"], report)  # type: ignore[arg-type]
    used = {t for row in table.rows for t in (row.section, row.item) if t}
    for text, where in state["groups"]:  # type: ignore[attr-defined]
        if text not in used:
            # a 一、… row at the end of the table with no task under it
            report.drop(text, "table", "表格中没有任务的分组标题", where)
            report.doubt(f"表格中的“{text}”下面没有任务，没有写入 tasks.yaml。", where)
    return table


def _split_repeated_task(roles: list[str | None], columns: list[list[str]]) -> list[str | None]:
    out = list(roles)
    idx = [i for i, r in enumerate(out) if r == "task"]
    if len(idx) == 2:
        a, b = idx
        if _content_fit("section", columns[a]) >= _content_fit("section", columns[b]):
            out[a], out[b] = "section", "item"
        else:
            out[a], out[b] = "item", "section"
    return out


def _row(table: TaskTable, roles: list[str | None], cells: list[list[str]], texts: list[str],
         state: dict, style: str, line: int | None, report: Report) -> bool:
    values: dict[str, str] = {}
    unit_cells: dict[str, list[list[str]]] = {"units": [], "lead": []}
    extra: list[str] = []
    for role, cell, text, head in zip(roles, cells, texts, state["heads"] + [""] * len(texts)):
        if not text:
            continue
        if not role:
            # a column with no field (or no header): kept with the requirement
            extra.append(f"（{head}：{text}）" if head else f"（{text}）")
            continue
        if role in unit_cells:
            unit_cells[role].append(cell)
        elif role in values:
            values[role] = values[role] + text
        else:
            values[role] = text
    filled = [t for t in texts if t]
    if len(filled) > 1 and len(set(filled)) == 1:
        # one cell across the whole row (expanded colspan): a group heading
        values = {"section": filled[0]} if (match_marker(filled[0]) or ("",))[0] != "item" else {"item": filled[0]}
    task_text = values.pop("task", None)
    if task_text:
        style_of = (match_marker(task_text) or ("", 0))[0]
        values["section" if style_of == "part" else "item"] = task_text
    if values.get("section") and values["section"] != state["section"]:
        state["section"], state["item"] = values["section"], None
        state["groups"].append((values["section"], line))
    if values.get("item"):
        if values["item"] != state["item"]:
            state["groups"].append((values["item"], line))
        state["item"] = values["item"]
    requirement = values.get("requirement", "")
    if extra and requirement:
        requirement += "".join(extra)
        report.doubt("表格中有没有对应字段的列，内容已附在具体要求后：" + "".join(extra), line)
    if values.get("note"):
        requirement += f"（备注：{values['note']}）"
        report.doubt(f"备注列“{values['note']}”没有对应字段，已附在具体要求后。", line)
    if not requirement:
        rest = [t for t, role in zip(texts, roles) if t and role not in ("section", "item", "task")]
        if rest:
            report.doubt("表格中这一行没有具体要求，其他单元格保留在报告中：" + " / ".join(rest), line)
            for t in rest:
                report.drop(t, "table", "没有具体要求的表格行", line)
        return True
    # Text copies lose rowspans, so there an empty cell is a merged one ("same as
    # above"); an HTML table states its merges (rowspan, already expanded), so there an
    # empty cell is empty.
    merged = table.source != "html"
    parsed = _row_units(table, unit_cells, state, style, merged, line, report)
    if values.get("deadline") or not merged:
        state["deadline"] = values.get("deadline")
    elif state["deadline"] is not None and "deadline" in roles:
        table.filled["deadline"] = table.filled.get("deadline", 0) + 1
    units = parsed.get("units")
    lead = parsed.get("lead")
    names = list(units.names) if units else []
    lead_names = list(lead.names) if lead else []
    lead_names += [n for n in (units.lead if units else []) if n not in lead_names]
    if not names and lead_names:
        names = list(lead_names)       # only a 牵头单位: it is also the responsible unit
    if not names and not merged and state["units"] is not None:
        names = list(state["units"].names)  # type: ignore[attr-defined]
        report.doubt("这一行的责任单位是空的，沿用了上一行的责任单位，请核对。", line)
    if not names:
        report.doubt("任务分工表中有一行没有责任单位，也没有可以沿用的上一行；"
                     "整张表按普通表格保留在正文中。", line)
        return False
    status, progress = values.get("status"), values.get("progress")
    if status and status not in STATUSES:
        progress = f"{progress}；{status}" if progress else status
        report.doubt(f"状态“{status}”不是 未开始/推进中/已落实 之一，已写入推进落实情况。", line)
        status = None
    table.rows.append(TaskRow(
        seq=len(table.rows) + 1, requirement=requirement, units=names,
        section=state["section"], item=state["item"],
        units_note=(units.note if units else None) or (lead.note if lead else None),
        lead_units=lead_names, deadline=state["deadline"] if "deadline" in roles else None,
        progress=progress, status=status, line=line))
    state["seqs"].append(values.get("seq"))
    return True


def _row_units(table: TaskTable, unit_cells: dict[str, list[list[str]]], state: dict, style: str,
               merged: bool, line: int | None, report: Report) -> dict[str, Units]:
    """The 责任单位 and 牵头单位 of a row, split into names (or filled from above)."""
    parsed: dict[str, Units] = {}
    for key, cells_of in unit_cells.items():
        lines = [l for c in cells_of for l in c]
        if any(l.strip() for l in lines):
            # separate columns (责任单位 + 配合单位) are separate lists, never one name
            joined: list[str] = []
            for c in cells_of:
                if joined and style == "delimited":
                    joined.append("、")
                joined.extend(c)
            units = split_units(joined, style)
            after = "".join(units.names) + "".join(units.lead) + (units.note or "")
            report.change("units-split", line, "".join(lines), after)
            parsed[key] = units
            state[key] = units
        elif state[key] is not None and merged:
            parsed[key] = state[key]
            table.filled[ROLE_NAMES[key]] = table.filled.get(ROLE_NAMES[key], 0) + 1
    return parsed


def _number(table: TaskTable, roles: list[str | None], given: list[str | None], report: Report) -> None:
    """Use the table's own 序号 when they are whole numbers without repeats."""
    if "seq" not in roles:
        return
    why = ""
    if not all(g and _SEQ.match(g) for g in given):
        why = "序号列不全是整数"
    elif len({int(g) for g in given}) != len(given):  # type: ignore[arg-type]
        why = "序号有重复"
    if why:
        report.doubt(f"{why}，序号按行的顺序重新编排；原来的序号列在报告中。", table.line)
        for g, row in zip(given, table.rows):
            if g:
                report.drop(g, "table", "原来的序号（已按行的顺序重新编号）", row.line)
        return
    numbers = [int(g) for g in given]  # type: ignore[arg-type]
    for row, n in zip(table.rows, numbers):
        row.seq = n


# --- units in parentheses at the end of items (长治 2021) --------------------------------

_TRAILING = re.compile(r"（([^（）]{2,200})）$")


def trailing_units(text: str) -> tuple[str, list[str]] | None:
    """(text without it, unit names) when a paragraph ends with a parenthesised unit list."""
    m = _TRAILING.search(text.strip())
    if not m:
        return None
    names = [p.strip() for p in _split_top(m.group(1)) if p.strip()]
    if not names or not all(ORG_SUFFIX.search(n) and len(n) <= 30 for n in names):
        return None
    return text.strip()[: m.start()].rstrip(), names


def tasks_from_paragraphs(paras: list[Para], report: Report) -> TaskTable | None:
    """Task rows from body items that end with their responsible units in parentheses."""
    candidates = [p for p in paras if p.kind == "p" and trailing_units(p.text)]
    if len(candidates) < 3:
        return None
    heading = next((p.text for p in paras if p.kind == "h2"), None)
    rows: list[TaskRow] = []
    section: str | None = None
    for para in paras:
        if para.kind == "h2":
            section = None
            continue
        if para.kind != "p":
            continue
        found = match_marker(para.text)
        if found and found[0] == "part":
            stop = para.text.find("。")
            section = para.text if stop < 0 else para.text[:stop]
        parsed = trailing_units(para.text)
        if not parsed:
            continue
        text, names = parsed
        item = None
        requirement = text
        if found and found[0] in ("item", "sub", "point"):
            stop = text.find("。")
            if 0 < stop <= 60 and text[stop + 1:].strip():
                item, requirement = text[:stop], text[stop + 1:].strip()
        elif found and found[0] == "part":
            stop = text.find("。")
            requirement = text[stop + 1:].strip() if 0 <= stop < len(text) - 1 else text
        units = split_units(["、".join(names)], "delimited")
        rows.append(TaskRow(len(rows) + 1, requirement, units.names, section, item,
                            units.note, units.lead, None, line=para.line))
    caption = (heading or "") + "任务分工（据各项要点括注的责任单位整理）"
    report.find("任务分工表", f"{len(rows)} 项，取自各项要点末尾括注的责任单位", rows[0].line,
                "正文保持原样；tasks.yaml 中的标题是导入程序写的说明")
    return TaskTable(rows, caption, "parentheses", rows[0].line,
                     ["要点编号→section/item", "要点正文→requirement", "括注单位→units"], {})
