"""What an import recognised, doubted, dropped and changed — and proof that no text was lost.

The accounting is a character count. Start from the document text of the source (a
text file as decoded; an HTML page's text without scripts, styles and comments), add
every clean-up change (``before`` out, ``after`` in: 區 → 区, ``開(kāi)`` → 開, ",," → "，")
and take out every piece of text the report lists as dropped (portal chrome, repeated
titles, labels of the metadata block). What remains must be found in the files
written: :meth:`Report.unaccounted` returns the characters for which that fails, and
the import prints them if there are any. Whitespace is not counted.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from .textfix import Change

# Clean-up records that explain another record rather than edit text themselves
# (a recovered character inside an already recorded mojibake run).
DETAIL_STEPS = {"mojibake-lost"}

DROP_KINDS = {
    "chrome": "网站页面元素（导航、工具栏、页脚等）",
    "duplicate": "重复（已写入元数据）",
    "label": "标签或表头",
    "metadata": "元数据（没有对应字段，或被更完整的值取代）",
    "decoration": "分隔线和表格符号",
    "file": "附件文件名（文件本身不在导入范围内）",
    "table": "无法归入任务的表格内容",
}

STEP_NAMES = {
    "mojibake": "乱码修复", "pinyin": "删除字后注音", "punct-doubled": "重复标点",
    "punct-width": "标点改为全角", "simplified": "繁体改简体", "units-split": "拆分责任单位",
    "date": "日期格式", "join": "合并断行", "markdown": "Markdown 转义", "mojibake-lost": "乱码中丢失的字",
    "validity": "有效性写法", "disclosure": "公开属性写法", "keywords": "主题词拆分",
    "control": "删除控制字符",
}


@dataclass
class Found:
    """Something recognised: which field or part, its value, where, and how."""

    what: str
    value: str
    line: int | None
    how: str = ""


@dataclass
class Doubt:
    """Something the importer decided but a person should check."""

    message: str
    line: int | None


@dataclass
class Dropped:
    """Source text deliberately left out of the output."""

    text: str
    kind: str
    reason: str
    line: int | None


def _count(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


@dataclass
class Report:
    """Everything one import did, for printing, for ``--report`` JSON and for tests."""

    source: str
    encoding: str = ""
    kind: str = ""
    source_text: str = ""
    found: list[Found] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    config: list[tuple[str, str, int | None]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    units_added: list[str] = field(default_factory=list)
    doc_id: str = ""
    folder: str = ""
    stats: dict[str, object] = field(default_factory=dict)
    output_text: str = ""        # the text of the files written (for the accounting)

    # --- recording -----------------------------------------------------------------
    def find(self, what: str, value: str, line: int | None, how: str = "") -> None:
        self.found.append(Found(what, value, line, how))

    def doubt(self, message: str, line: int | None = None) -> None:
        self.doubts.append(Doubt(message, line))

    def drop(self, text: str, kind: str, reason: str, line: int | None) -> None:
        if text.strip():
            self.dropped.append(Dropped(text, kind, reason, line))

    def change(self, step: str, line: int | None, before: str, after: str,
               certain: bool = True, note: str = "") -> None:
        if before != after:
            self.changes.append(Change(step, line or 0, before, after, certain, note))

    def suggest_config(self, key: str, value: str, line: int | None) -> None:
        if all(k != key for k, _, _ in self.config):
            self.config.append((key, value, line))

    # --- accounting ------------------------------------------------------------------
    def expected(self) -> Counter:
        """Characters that must be in the output: source + changes − dropped."""
        total = _count(self.source_text)
        for c in self.changes:
            if c.step in DETAIL_STEPS:
                continue
            total.subtract(_count(c.before))
            total.update(_count(c.after))
        for d in self.dropped:
            total.subtract(_count(d.text))
        return total

    def unaccounted(self, outputs: Iterable[str] | None = None) -> Counter:
        """Characters of the source that are neither in ``outputs`` nor accounted for."""
        have = _count("\n".join(outputs) if outputs is not None else self.output_text)
        missing = Counter()
        for ch, n in self.expected().items():
            if n > have[ch]:
                missing[ch] = n - have[ch]
        return missing

    def overclaimed(self) -> Counter:
        """Characters the report says were dropped or replaced but the source never had.

        A non-empty result means the report claims more than it should, which would
        let lost text hide behind it.
        """
        return Counter({ch: -n for ch, n in self.expected().items() if n < 0})

    # --- output ----------------------------------------------------------------------
    def config_fragment(self) -> str:
        """The footer facts as a config.yaml fragment (nested keys such as contact.phone)."""
        top: list[str] = []
        nested: dict[str, list[str]] = {}
        for key, value, line in self.config:
            note = f"    # 第{line}行" if line else ""
            if "." in key:
                parent, child = key.split(".", 1)
                nested.setdefault(parent, []).append(f"  {child}: {_scalar(value)}{note}")
            else:
                top.append(f"{key}: {_scalar(value)}{note}")
        for parent, children in nested.items():
            top.append(f"{parent}:")
            top.extend(children)
        return "\n".join(top)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("source_text")
        data.pop("output_text")
        data["unaccounted"] = dict(self.unaccounted())
        return json.dumps(data, ensure_ascii=False, indent=2)

    def format(self, verbose: bool = False) -> str:
        """The report printed after an import (Chinese, for editors)."""
        out: list[str] = []
        where = f" → {self.folder}" if self.folder else ""
        out.append(f"导入 {self.source}{where}")
        out.append(f"  编码：{self.encoding}；格式：{'网页（HTML）' if self.kind == 'html' else '纯文本'}")
        if self.found:
            out.append("  识别到：")
            width = max(len(f.what) for f in self.found)
            # metadata first (title, 文号 …), then the parts of the document in order
            fields = [f for f in self.found if " " in f.what and f.what.split(" ")[1].isascii()]
            for f in fields + [f for f in self.found if f not in fields]:
                value = f.value if len(f.value) <= 70 or verbose else f.value[:68] + "……"
                extra = "；".join(x for x in (_lines(f.line), f.how) if x)
                out.append(f"    {f.what.ljust(width, '　')}  {value}" + (f"（{extra}）" if extra else ""))
        if self.doubts:
            out.append("  不确定，请核对：")
            for d in self.doubts:
                out.append(f"    {_lines(d.line) + '：' if d.line else ''}{d.message}")
        unsure = [c for c in self.changes if not c.certain]
        for c in unsure:
            out.append(f"    第{c.line}行：{STEP_NAMES.get(c.step, c.step)}“{c.before}”→“{c.after}”不确定"
                       + (f"（{c.note}）" if c.note else ""))
        if self.dropped:
            out.append("  删去的内容（不是文件正文）：")
            for d in self.dropped:
                text = d.text if len(d.text) <= 60 or verbose else d.text[:58] + "……"
                out.append(f"    {_lines(d.line) + '：' if d.line else ''}{text}　〔{d.reason}〕")
        counts = Counter(c.step for c in self.changes if c.step not in DETAIL_STEPS)
        if counts:
            parts = [f"{STEP_NAMES.get(k, k)} {n} 处" for k, n in counts.most_common()]
            out.append("  文字修正：" + "，".join(parts) + "（逐条列表见 --report 文件）")
        if self.config:
            out.append("  页脚信息，可放进 config.yaml（请核对后自己合并，本程序不修改 config.yaml）：")
            out.extend("    " + l for l in self.config_fragment().splitlines())
        if self.written:
            out.append("  已写入：" + "，".join(self.written))
        if self.units_added:
            out.append(f"  新增责任单位 {len(self.units_added)} 个：" + "、".join(self.units_added))
        missing = self.unaccounted() if self.output_text else Counter()
        n = sum(_count(self.source_text).values())
        if self.output_text:
            if missing:
                out.append(f"  核对：有 {sum(missing.values())} 个字符既不在输出中，也不在上面的列表中："
                           + "".join(sorted(missing.elements()))[:200] + " —— 这是导入程序的缺陷，请报告。")
            else:
                out.append(f"  核对：源文件的 {n} 个字符（不含空白）都在输出文件中，或在上面列为删去/修正。")
        return "\n".join(out)


def _lines(line: int | None) -> str:
    return f"第{line}行" if line else ""


def _scalar(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_json(report: Report, path: Path) -> None:
    path.write_text(report.to_json() + "\n", encoding="utf-8")
