"""Task lists (任务分工): ``content/documents/<id>/tasks.yaml``.

Rows keep the text as published; the deadline is kept as written (2024年12月底前,
长期坚持) and also read as a date where the text names one, for sorting and open data.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..problems import Problems
from ..schema import Field, Schema, parse_date
from .sources import read_yaml

STATUSES = ("未开始", "推进中", "已落实")

TASK_SCHEMA = Schema([
    Field("seq", kind="int", label="序号"),
    Field("section", label="工作任务（部分）"),
    Field("item", label="工作任务（事项）"),
    Field("requirement", required=True, label="具体要求"),
    Field("units", kind="list", item="str", required=True, label="责任单位",
          hint="写成列表：units: [区政府办公室, 区财政局]。"),
    Field("units_note", label="责任单位补充"),
    Field("lead_units", kind="list", item="str", label="牵头单位", default=list),
    Field("deadline", label="完成时限"),
    Field("status", label="状态", choices=STATUSES),
    Field("progress", label="推进落实情况"),
], what="任务")

TASKLIST_SCHEMA = Schema([
    Field("caption", label="表格标题"),
    Field("tasks", kind="list", item=TASK_SCHEMA, required=True, label="任务列表"),
], what="任务分工表")

_YMD = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")
_YM_END = re.compile(r"^(\d{4})年(\d{1,2})月(?:底|末|份?底)")
_Y_END = re.compile(r"^(\d{4})年(?:年?底|年末|末)")
_HALF = re.compile(r"^(\d{4})年(上|下)半年")


def deadline_date(text: str | None) -> tuple[dt.date | None, str]:
    """The date a deadline phrase names (end of month/year for 月底/年底), or None.

    Returns (date, problem): problem is a message when the text names an impossible date.
    """
    if not text:
        return None, ""
    t = "".join(text.split())
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", t):
        return parse_date(t)
    m = _YMD.match(t)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            return dt.date(y, mo, d), ""
        except ValueError:
            return None, f"完成时限“{text}”不是存在的日期"
    m = _YM_END.match(t)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            return None, f"完成时限“{text}”中的月份不存在"
        return dt.date(y, mo, calendar.monthrange(y, mo)[1]), ""
    m = _Y_END.match(t)
    if m:
        return dt.date(int(m.group(1)), 12, 31), ""
    m = _HALF.match(t)
    if m:
        y = int(m.group(1))
        return (dt.date(y, 6, 30) if m.group(2) == "上" else dt.date(y, 12, 31)), ""
    return None, ""


@dataclass(frozen=True)
class Task:
    """One row of a task list, as written in the source (unit names not yet resolved)."""

    seq: int
    section: str | None
    item: str | None
    requirement: str
    units: tuple[str, ...]
    units_note: str | None
    lead_units: tuple[str, ...]
    deadline: str | None
    deadline_date: dt.date | None
    status: str | None
    progress: str | None
    line: int


@dataclass(frozen=True)
class TaskList:
    """The task list of one document."""

    source: Path
    caption: str | None
    tasks: tuple[Task, ...]


def load_tasks(path: Path, problems: Problems) -> TaskList | None:
    """Load and check a ``tasks.yaml``; None when it cannot be used at all."""
    data = read_yaml(path, problems)
    if data is None:
        if path.is_file() and path.stat().st_size == 0:
            problems.error(path, None, "任务分工表是空文件", "写上 tasks: 列表，或删除这个文件。")
        return None
    values = TASKLIST_SCHEMA.check(data, path, problems, 1)
    if not values or values["tasks"] is None:
        return None
    tasks: list[Task] = []
    seen: dict[int, int] = {}
    for index, row in enumerate(values["tasks"], start=1):
        line = row["_line"]
        if not row.get("requirement") or row.get("units") is None:
            continue
        seq = row["seq"] if row["seq"] is not None else index
        if seq in seen:
            problems.error(path, line, f"序号 {seq} 重复",
                           f"第 {seen[seq]} 行已用过这个序号；改成不同的序号，或删去 seq 让它自动编号。")
        seen[seq] = line
        if not row["units"]:
            problems.error(path, line, "责任单位 units 是空列表", "至少写一个责任单位。")
        deadline = row["deadline"]
        date, why = deadline_date(deadline)
        if why:
            problems.error(path, line, why, "日期写成 YYYY-MM-DD，或照原文写“2024年12月底前”“长期坚持”。")
        tasks.append(Task(seq, row["section"], row["item"], row["requirement"],
                          tuple(row["units"]), row["units_note"], tuple(row["lead_units"] or ()),
                          deadline, date, row["status"], row["progress"], line))
    return TaskList(path, values["caption"], tuple(tasks))
