"""``gongkai import``: one source file in, one document folder out, with a report.

read (encoding) → pages/lines and tables → clean-up (textfix) → recognise → choose ids
→ write index.md, tasks.yaml, the units file and copied attachments. Nothing is written
until everything has been worked out, an existing document folder is never touched,
and the report's accounting is checked against the text actually written.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import ID_HINT, ID_RE
from ..yamlload import YamlProblem, load_yaml
from .decode import SourceError, read_source
from .htmlpage import read_html
from .model import ImportedDoc, SourceDoc
from .report import Report
from .blocks import simplified
from .structure import recognise
from .textfix import clean_text
from .textlines import read_text
from .unitfile import UnitsFileError, initials, plan_units, scope_id
from .writer import index_md, markup_changes, tasks_yaml, write_atomic, write_document


@dataclass
class ImportOptions:
    """Command-line choices; see ``gongkai import --help``."""

    into: Path
    doc_id: str | None = None
    scope: str | None = None
    title: str | None = None
    keep_traditional: bool = False
    encoding: str | None = None
    dry_run: bool = False


@dataclass
class Outcome:
    """The result of importing one file: its report and where it went (or the error)."""

    path: Path
    report: Report
    folder: Path | None = None
    error: SourceError | None = None
    seconds: float = 0.0
    texts: dict[str, str] = field(default_factory=dict)   # file name → text written


def read_and_clean(path: Path, report: Report, keep_traditional: bool = False,
                   encoding: str | None = None) -> SourceDoc:
    """Decode, split into pieces/lines/tables, and clean every piece (recording changes)."""
    decoded = read_source(path, encoding)
    report.encoding = decoded.encoding
    if decoded.is_html:
        doc = read_html(decoded.text, path)
        report.kind = "html"
        report.source_text = doc.all_text()
        for piece in doc.pieces:
            if not piece.text.strip():
                continue
            fixed = clean_text(piece.text, keep_traditional)
            if fixed.text != piece.text or fixed.changes:
                for c in fixed.changes:
                    report.changes.append(type(c)(c.step, piece.line + c.line - 1, c.before, c.after,
                                                  c.certain, c.note))
                piece.text = fixed.text
        return doc
    report.kind = "text"
    report.source_text = decoded.text
    fixed = clean_text(decoded.text, keep_traditional)
    report.changes.extend(fixed.changes)
    return read_text(fixed.text)


def _year(meta: dict) -> str | None:
    for key in ("written", "published"):
        if meta.get(key):
            return str(meta[key])[:4]
    for key in ("doc_no", "title"):
        m = re.search(r"(19|20)\d{2}", str(meta.get(key, "")))
        if m:
            return m.group(0)
    return None


def derive_doc_id(meta: dict, scope: str | None) -> str:
    """laiwu-2024-gzyd: scope, year and the initials of the kind of document."""
    title = simplified(str(meta.get("title", "")))
    core = re.findall(r"《([^《》]+)》", title)
    name = core[-1] if core else re.sub(r"^.*?印发|的通知$", "", title)
    chinese = re.sub(r"[^\u4e00-\u9fff]", "", name)
    kind = initials(chinese[-4:]) if chinese else ""
    year = _year(meta)
    parts = [p for p in (scope, year, kind) if p]
    if not scope and meta.get("doc_no"):
        m = re.match(r"^(.*?)[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d+)", simplified(str(meta["doc_no"])))
        if m:
            parts = [initials(m.group(1)), m.group(2), m.group(3)]
    if not parts or not parts[0] or not parts[0][0].isalpha():
        digest = hashlib.sha1(str(meta.get("title", "")).encode()).hexdigest()[:6]
        parts = ["doc"] + [p for p in (year, kind or digest) if p]
    doc_id = "-".join(parts).lower()
    return re.sub(r"[^a-z0-9-]", "", doc_id)[:60].strip("-")


def _choose_scope(doc: ImportedDoc, options: ImportOptions, report: Report) -> tuple[str | None, str | None]:
    """The unit scope (and its jurisdiction name for a new file)."""
    content = options.into
    place = doc.scope_name
    if options.scope:
        if not ID_RE.match(options.scope):
            raise SourceError(options.scope, f"--scope “{options.scope}” 不是有效的标识", ID_HINT)
        return options.scope, place
    sid = scope_id(place) if place else None
    if sid:
        # Two places can share a pinyin (济南市历城区 and 莆田市荔城区 are both licheng):
        # never add one jurisdiction's units to another's file.
        existing = _scope_name(content / "units" / f"{sid}.yaml")
        if existing and place and existing not in place and place not in existing:
            raise SourceError(content / "units" / f"{sid}.yaml",
                              f"单位名册 {sid}.yaml 属于“{existing}”，而这个文件来自“{place}”",
                              f"用 --scope 为“{place}”指定另一个范围标识，例如 --scope {sid}2。")
        return sid, place
    existing = sorted(p.stem for p in (content / "units").glob("*.yaml")) if (content / "units").is_dir() else []
    if len(existing) == 1:
        report.doubt(f"无法从发布机构推断单位范围，使用网站唯一的单位名册 {existing[0]}。")
        return existing[0], None
    return None, place


def _scope_name(path: Path) -> str | None:
    """The jurisdiction named by an existing units file (its ``name:``), if readable."""
    if not path.is_file():
        return None
    try:
        data = load_yaml(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YamlProblem):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return simplified(name) if isinstance(name, str) else None


def import_file(path: Path, options: ImportOptions) -> Outcome:
    """Import one file; raises :class:`SourceError` with a clear message on failure."""
    started = time.perf_counter()
    report = Report(str(path))
    doc = read_and_clean(path, report, options.keep_traditional, options.encoding)
    imported = recognise(doc, report, options.title)
    meta = dict(imported.meta)
    scope = scope_place = None
    if imported.tasks is not None:
        scope, scope_place = _choose_scope(imported, options, report)
        if scope is None:
            raise SourceError(path, "找到了任务分工表，但无法确定单位范围（content/units/ 下的名册）",
                              "用 --scope 指定，例如 --scope licheng（会写入或扩充 content/units/licheng.yaml）。")
        meta["unit_scope"] = scope
    doc_id = options.doc_id or derive_doc_id(meta, scope if scope else
                                            scope_id(imported.scope_name) if imported.scope_name else None)
    if not ID_RE.match(doc_id):
        raise SourceError(path, f"文档标识 “{doc_id}” 无效", ID_HINT + "用 --id 指定。")
    folder = options.into / "documents" / doc_id
    if folder.exists():
        raise SourceError(path, f"文档文件夹 {folder} 已存在，没有覆盖它",
                          "用 --id 换一个标识；如确实要重新导入，先删除或改名那个文件夹。")
    texts = {"index.md": index_md(meta, imported.body)}
    for para in imported.body:      # "<" and "&…;" are written as character references
        cells = [c for row in para.rows or [] for c in row] if para.kind == "table" else [para.text]
        for text in cells:
            for before, after in markup_changes(text):
                report.change("markdown", para.line, before, after)
    if imported.tasks is not None:
        texts["tasks.yaml"] = tasks_yaml(imported.tasks)
    plan = None
    names: list[str] = []
    if imported.tasks is not None and scope:
        names = [n for row in imported.tasks.rows for n in [*row.units, *row.lead_units]]
        try:
            plan = plan_units(options.into, scope, scope_place, names)
        except UnitsFileError as e:
            raise SourceError(e.path, e.message, e.hint) from None
    report.doc_id = doc_id
    report.folder = str(folder)
    report.output_text = "\n".join(texts.values())
    outcome = Outcome(path, report, folder, texts=texts)
    if not options.dry_run:
        for written in write_document(folder, texts, imported.attachment_files):
            report.written.append(str(written))
        if plan is not None and plan.text is not None:
            write_atomic(plan.path, plan.text)
            report.written.append(f"{plan.path}（新增 {len(plan.added)} 个单位）")
    if plan is not None:
        report.units_added = plan.added
        report.find("责任单位", f"{len(set(names))} 个名称；"
                    f"单位名册 {plan.path.name} 新增 {len(plan.added)} 个", None,
                    "scope " + (scope or ""))
    outcome.seconds = time.perf_counter() - started
    report.stats["seconds"] = round(outcome.seconds, 3)
    return outcome


def import_files(paths: list[Path], options: ImportOptions) -> list[Outcome]:
    """Import each file; a failure is recorded and the others still run."""
    outcomes = []
    for path in paths:
        try:
            outcomes.append(import_file(path, options))
        except SourceError as e:
            outcomes.append(Outcome(path, Report(str(path)), error=e))
        except OSError as e:
            where = e.filename or path
            outcomes.append(Outcome(path, Report(str(path)), error=SourceError(
                where, f"无法写入：{e.strerror or e}", "检查 --into 文件夹是否存在、是否有写入权限、磁盘是否已满。")))
        except Exception as e:  # noqa: BLE001 — a defect must still be a message, not a traceback
            outcomes.append(Outcome(path, Report(str(path)), error=SourceError(
                path, f"导入时出现意外错误（{type(e).__name__}: {e}）",
                "这是 Gongkai 的缺陷：请把这个文件和这条信息报告给维护者。其他文件不受影响。")))
    return outcomes
