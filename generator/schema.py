"""Declared schemas for config and content, checked in one pass with line numbers.

A :class:`Schema` is a list of :class:`Field` declarations. ``Schema.check`` turns a
:class:`~generator.yamlload.LineDict` into a plain dict of typed values, reporting every
missing key, wrong type, impossible date or unknown key (with a "did you mean" hint) to
a :class:`~generator.problems.Problems`. It never raises on bad input.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .problems import Problems
from .yamlload import LineDict, LineList

DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
ID_RE = re.compile(r"^[a-z][a-z0-9-]{0,59}$")
ID_HINT = "标识只能用小写英文字母、数字和连字符，以字母开头，最长 60 个字符，例如 laiwu-2024-gkyd。"

_TYPE_NAMES = {
    "str": "文字", "date": "日期（YYYY-MM-DD）", "int": "整数", "bool": "true 或 false",
    "list": "列表", "map": "键值表", "id": "标识",
}


def parse_date(value: Any) -> tuple[dt.date | None, str]:
    """Parse ``YYYY-MM-DD``; return (date, "") or (None, reason in Chinese)."""
    if isinstance(value, dt.date):
        return value, ""
    text = str(value).strip()
    m = DATE_RE.match(text)
    if not m:
        return None, f"“{text}” 不是 YYYY-MM-DD 格式的日期"
    year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day), ""
    except ValueError:
        if not 1 <= month <= 12:
            return None, f"“{text}” 中的月份 {month} 不存在"
        return None, f"“{text}” 是不存在的日期：{year}年{month}月没有{day}日"


@dataclass
class Field:
    """One key of a mapping: its type, whether required, and its Chinese label."""

    name: str
    kind: str = "str"              # str, date, int, bool, list, map, id
    required: bool = False
    label: str = ""
    choices: tuple[str, ...] = ()
    item: "Schema | str | None" = None   # for lists: schema of mapping items, or item kind
    schema: "Schema | None" = None       # for maps
    default: Any = None
    hint: str = ""
    check: Callable[[Any], str] | None = None  # extra check: returns an error message or ""

    @property
    def title(self) -> str:
        return f"{self.label} {self.name}" if self.label else self.name

    @property
    def plain_text(self) -> bool:
        """Whether a text value needs only stripping: no choices, no extra check."""
        return self.kind == "str" and not self.choices and self.check is None


@dataclass
class Schema:
    """An ordered set of fields; unknown keys are warned about, not silently dropped."""

    fields: list[Field]
    what: str = ""                  # what the mapping is, for messages ("文档元数据")
    allow_unknown: bool = False
    by_name: dict[str, Field] = field(init=False)
    _plain: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {f.name: f for f in self.fields}
        # fields whose text needs no conversion or check: a text value is only stripped
        # (1 million values at 10,000 documents, most of them task-list cells)
        self._plain = frozenset(f.name for f in self.fields if f.plain_text)

    def check(self, data: Any, path: Path | str, problems: Problems,
              line: int | None = None) -> dict[str, Any] | None:
        """Validate ``data``; return typed values (defaults filled) or None if not a mapping."""
        if not isinstance(data, dict):
            problems.error(path, getattr(data, "line", None) or line,
                           f"{self.what or '内容'}应当是“键: 值”的键值表，而不是{_describe(data)}",
                           "参照文档格式说明，每行写一个“键: 值”。")
            return None
        lines = data if isinstance(data, LineDict) else None
        at = (lambda k: lines.line_of(k)) if lines is not None else (lambda k: line)
        out: dict[str, Any] = {}
        plain = self._plain
        for f in self.fields:
            name = f.name
            value = data.get(name)
            if value is None or value == "":
                if f.required:
                    problems.error(path, getattr(data, "line", None) or line,
                                   f"缺少必填项 {f.title}",
                                   f.hint or f"加上一行 `{name}: …`。")
                out[name] = f.default() if callable(f.default) else f.default
            elif type(value) is str and name in plain:
                out[name] = value.strip()          # what _convert gives, without its line
            else:
                out[name] = _convert(f, value, at(name), path, problems)
        if not self.allow_unknown:
            for key in data:
                if key not in self.by_name:
                    close = difflib.get_close_matches(str(key), list(self.by_name), n=1)
                    hint = (f"是不是想写 `{close[0]}`？" if close else
                            "可用的键：" + "、".join(self.by_name)) + "未知的键会被忽略。"
                    problems.warning(path, at(key), f"未知的键 “{key}”", hint)
        return out


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "列表"
    if isinstance(value, str):
        return f"文字“{value[:20]}”"
    if value is None:
        return "空内容"
    return f"值“{value}”"


def _convert(f: Field, value: Any, line: int | None, path: Path | str,
             problems: Problems) -> Any:
    """Convert one value to the field's kind, reporting a problem and returning None."""
    def bad(message: str, hint: str = "") -> None:
        problems.error(path, line, f"{f.title}：{message}", hint or f.hint)
        return None

    kind = f.kind
    if kind in ("str", "id"):
        if isinstance(value, (dict, list)):
            return bad(f"应当是{_TYPE_NAMES[kind]}，而不是{_describe(value)}")
        text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
        if kind == "id" and not ID_RE.match(text):
            return bad(f"“{text}” 不是有效的标识", ID_HINT)
        if f.choices and text not in f.choices:
            close = difflib.get_close_matches(text, f.choices, n=1, cutoff=0.3)
            return bad(f"“{text}” 不是允许的值",
                       (f"是不是“{close[0]}”？" if close else "") + "可选：" + "、".join(f.choices))
        if f.check:
            msg = f.check(text)
            if msg:
                return bad(msg)
        return text
    if kind == "date":
        if isinstance(value, (dict, list, bool)):
            return bad(f"应当是日期（YYYY-MM-DD），而不是{_describe(value)}")
        date, reason = parse_date(value)
        if date is None:
            return bad(reason, f.hint or "日期写成 YYYY-MM-DD，例如 2024-06-26。")
        return date
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                return int(value.strip())
            return bad(f"应当是整数，而不是{_describe(value)}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            return bad(f"应当是 true 或 false，而不是{_describe(value)}")
        return value
    if kind == "map":
        assert f.schema is not None
        return f.schema.check(value, path, problems, line)
    if kind == "list":
        if not isinstance(value, list):
            if isinstance(f.item, str) and isinstance(value, (str, int)) and not isinstance(value, bool):
                value = [value]     # a single value where a list is expected: accept it
            else:
                return bad(f"应当是列表，而不是{_describe(value)}",
                           "列表的每一项单独一行，以“- ”开头；或写成 [甲, 乙]。")
        items = []
        # one Field for the items, not one per item (200,000 unit names at 10,000 documents)
        sub = None if isinstance(f.item, Schema) else Field(f.name, f.item or "str", label=f.label,
                                                           choices=f.choices, hint=f.hint)
        plain = sub is not None and sub.plain_text
        for i, item in enumerate(value):
            if plain and type(item) is str:
                item = item.strip()         # what _convert gives (unit names: 200,000)
                if item:
                    items.append(item)
                continue
            item_line = value.line_of(i) if isinstance(value, LineList) else line
            if isinstance(f.item, Schema):
                checked = f.item.check(item, path, problems, item_line)
                if checked is not None:
                    checked["_line"] = item_line
                    items.append(checked)
            else:
                assert sub is not None
                converted = _convert(sub, item, item_line, path, problems)
                if converted is not None and converted != "":
                    items.append(converted)
        return items
    raise AssertionError(f"unknown field kind {kind}")
