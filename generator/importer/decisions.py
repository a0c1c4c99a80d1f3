"""Choosing the front matter from what the recogniser found.

A page often states a value more than once, in different forms: the title in the
metadata block, as the page heading and as the document's own two-line heading; the
issuer as 区政府办公室 in the block and as 济南市莱芜区人民政府办公室 in the title and
落款. The rules here pick one reading and report the others:

* title — the document's own heading, then a labelled 标题, then other headings; with
  none, the attached 要点's title or a short first paragraph, reported as unsure;
* issuer — the first full name (starting with a place) among labelled metadata, the
  title's 发文机关 line and the 落款;
* 成文日期 — labelled, else the 落款 date; 发布日期 — labelled or <meta PubDate>;
* 公开属性 — labelled, else （此件公开发布）, else 主动公开 for a portal page (reported),
  else 主动公开 reported as unsure.

Nothing is guessed beyond these rules; every choice between readings is in the report.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..numbering import match_marker
from .blocks import CJK_GAP, IMAGE, simplified, squash
from .decode import SourceError
from .metadata import FIELD_NAMES
from .model import Findings, ImportedDoc, MetaValue
from .report import Report
from .tasktable import tasks_from_paragraphs
from .unitfile import jurisdiction, title_place

_PLACE = re.compile(r"^.{2,}?(省|自治区|市|州|盟|地区|县|区|旗)")
_TITLE_ORDER = ("正文标题", "元数据标签")
_PAGE_ONLY = ("网页 <title>", "<meta ArticleTitle>")


def finish(found: Findings, report: Report, title_override: str | None = None) -> ImportedDoc:
    """The front matter, body and task list of the imported document."""
    title = choose_title(found, report, title_override)
    if found.tasks is None:
        found.tasks = tasks_from_paragraphs(found.body, report)
    meta: dict[str, Any] = {"title": title}
    for fld in ("index_no", "doc_no"):
        if fld in found.meta:
            meta[fld] = found.meta[fld].value
    issuer = choose_issuer(found, report)
    if issuer:
        meta["issuer"] = issuer
    if "topic" in found.meta:
        meta["topic"] = found.meta["topic"].value
    choose_dates(found, report, meta)
    if "validity" in found.meta:
        meta["validity"] = found.meta["validity"].value
    meta["disclosure"] = choose_disclosure(found, report)
    for fld in ("doc_type", "keywords"):
        if fld in found.meta:
            meta[fld] = found.meta[fld].value
    files = attachments_meta(found, report, meta)
    for fld in ("index_no", "doc_no", "topic", "validity", "doc_type", "keywords"):
        if fld in meta and fld in found.meta:
            m = found.meta[fld]
            value = "、".join(meta[fld]) if isinstance(meta[fld], list) else str(meta[fld])
            report.find(FIELD_NAMES[fld], value, m.line, m.how)
    if not [p for p in found.body if p.kind != "h2"] and found.tasks is None:
        raise SourceError(report.source, "没有识别出文件内容（正文为空）",
                          "检查是否保存了完整的网页（浏览器“另存为 → 网页，全部”），或复制了正文文字。")
    body_stats(found, report)
    scope_name = jurisdiction(issuer) or jurisdiction(title) or title_place(title)
    return ImportedDoc(meta, found.body, found.tasks, scope_name, files)


def choose_title(found: Findings, report: Report, override: str | None) -> str:
    if override:
        report.find(FIELD_NAMES["title"], override, None, "--title")
        return override
    ranked = [c for how in _TITLE_ORDER for c in found.titles if c.how.startswith(how)]
    ranked += [c for c in found.titles if c not in ranked]
    if ranked:
        best = ranked[0]
        text = CJK_GAP.sub("", best.text.strip())
        others = {squash(simplified(c.text)) for c in ranked[1:] if c.how not in _PAGE_ONLY}
        others -= {squash(simplified(text))}
        if others and best.how not in _PAGE_ONLY:
            report.doubt("页面上还有其他写法的标题：" + "；".join(sorted(others)), best.line)
        if best.how in _PAGE_ONLY:
            report.doubt(f"标题取自{best.how}，正文中没有找到标题。", best.line)
        report.find(FIELD_NAMES["title"], text, best.line, best.how)
        return text
    heading = next((p for p in found.body if p.kind == "h2"), None)
    if heading is not None:
        report.find(FIELD_NAMES["title"], heading.text, heading.line, "附带文件的标题")
        report.doubt("源文件中没有通知的标题，标题取自附带文件（要点）的标题；如有原标题请用 --title 指定。",
                     heading.line)
        return heading.text
    first = next((p for p in found.body if p.kind == "p" and len(p.text) <= 60
                  and not re.search("[。，；]", p.text)), None)
    if first is not None:
        report.doubt("没有找到标题，暂用第一段短文字作标题；请用 --title 指定正确的标题。", first.line)
        report.find(FIELD_NAMES["title"], first.text, first.line, "第一段短文字（不确定）")
        return first.text
    raise SourceError(report.source, "没有找到文件标题", "用 --title \"标题\" 指定标题后再导入。")


def choose_issuer(found: Findings, report: Report) -> str | None:
    cands = found.issuers
    if not cands:
        return None
    order = ("元数据标签", "标题中的发文机关", "落款")
    ranked = [c for how in order for c in cands if c.how == how] + [c for c in cands if c.how not in order]
    full = [c for c in ranked if _PLACE.match(simplified(c.text))]
    chosen = (full or ranked)[0]
    value = CJK_GAP.sub("", chosen.text.strip())
    report.find(FIELD_NAMES["issuer"], value, chosen.line, chosen.how)
    for other in cands:
        if other is chosen:
            continue
        if squash(other.text) == squash(value):
            if other.standalone:
                report.drop(other.text, "duplicate", "发布机构（重复）", other.line)
            continue
        if other.standalone:
            report.drop(other.text, "metadata", f"发布机构的另一写法（采用了“{value}”）", other.line)
        report.doubt(f"发布机构有不同写法：“{other.text}”（{other.how}）；采用了“{value}”（{chosen.how}）。",
                     other.line)
    return value


def choose_dates(found: Findings, report: Report, meta: dict[str, Any]) -> None:
    written = found.meta.get("written")
    published = found.meta.get("published")
    sign = found.signature_date
    unlabelled = (written is not None and written.how.startswith("没有标签"))
    if unlabelled and published is not None and published.how.startswith("没有标签") \
            and written.value != published.value:
        report.doubt("没有标签的两个日期按门户网站元数据块的常见顺序取为成文日期和发布日期，请核对。", written.line)
    if unlabelled and published is None and sign and sign[0] != written.value:
        # one unlabelled date that is not the signing date: it is the publishing date
        published, written = MetaValue(written.value, written.line, written.how), None
    if sign is not None:
        if written is not None and written.value != sign[0]:
            report.doubt(f"成文日期 {written.value} 与落款日期 {sign[0]} 不同，采用元数据中的成文日期。", written.line)
        elif written is None:
            written = MetaValue(sign[0], sign[1], "落款日期")
    if written is not None:
        meta["written"] = written.value
        report.find(FIELD_NAMES["written"], written.value, written.line, written.how)
    if published is not None:
        meta["published"] = published.value
        report.find(FIELD_NAMES["published"], published.value, published.line, published.how)


def choose_disclosure(found: Findings, report: Report) -> str:
    d = found.meta.get("disclosure")
    if d is not None:
        report.find(FIELD_NAMES["disclosure"], d.value, d.line, d.how)
        return d.value
    if found.portal:
        report.find(FIELD_NAMES["disclosure"], "主动公开", None, "来自政府网站的公开页面")
        report.doubt("源文件没有写明公开属性；因为它来自政府网站的公开页面，写为“主动公开”。")
        return "主动公开"
    report.find(FIELD_NAMES["disclosure"], "主动公开", None, "未写明（默认）")
    report.doubt("源文件没有写明公开属性，写为“主动公开”；如果不是主动公开，请改正后再发布。")
    return "主动公开"


def attachments_meta(found: Findings, report: Report, meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The attachments list; returns the files to copy as (source path, name)."""
    out, files = [], []
    used_names: set[str] = set()
    tasks = found.tasks
    for entry in found.attachments:
        title = entry["title"]
        if tasks is not None and tasks.source != "parentheses" and tasks.caption and (
                squash(title) in squash(tasks.caption) or squash(tasks.caption) in squash(title)):
            report.find("附件（任务分工表）", title, entry["_line"], "内容写入 tasks.yaml")
            continue
        item: dict[str, Any] = {"title": title}
        if entry.get("_copy"):
            name = safe_name(Path(entry["_copy"]).name, used_names)
            used_names.add(name)
            item["file"] = name
            files.append((entry["_copy"], name))
        elif entry.get("_files") and any(IMAGE.search(f) for f in entry["_files"]):
            item["note"] = "原网站仅以图片形式发布此附件，本站未收录。"
            report.doubt(f"附件“{title}”在原网站上只有图片（{entry['_files'][0]}），没有导入；"
                         "如有文字版或 PDF，请放进文档文件夹并在 attachments 中写 file:。", entry["_line"])
            if "任务" in title and tasks is None:
                meta["tasks_note"] = "本文件的任务分工表（附件）在原网站上仅以图片形式发布，本站未收录。"
        else:
            item["note"] = "原网站的附件，本站未收录其内容。"
            where = f"（链接 {entry['_href']}）" if entry.get("_href") else ""
            report.doubt(f"附件“{title}”的内容不在源文件中{where}；如有文件，请放进文档文件夹并在 "
                         "attachments 中写 file:。", entry["_line"])
        out.append(item)
    if out:
        meta["attachments"] = out
    return files


def body_stats(found: Findings, report: Report) -> None:
    counts = {"part": 0, "item": 0, "sub": 0, "point": 0}
    for p in found.body:
        if p.kind == "p":
            m = match_marker(p.text)
            if m:
                counts[m[0]] += 1
    h2 = sum(1 for p in found.body if p.kind == "h2")
    paras = sum(1 for p in found.body if p.kind in ("p", "lines"))
    tables = sum(1 for p in found.body if p.kind == "table")
    report.stats.update(paragraphs=paras, numbered=counts, headings=h2, tables=tables)
    report.find("正文", f"{paras} 段；编号 一、×{counts['part']} （一）×{counts['item']} "
                f"1.×{counts['sub']} （1）×{counts['point']}；## 标题 ×{h2}"
                + (f"；表格 ×{tables}" if tables else ""), None)
    t = found.tasks
    if t is not None and t.source != "parentheses":
        filled = "，".join(f"{k}×{v}" for k, v in t.filled.items())
        kind = {"html": "网页表格", "tab": "制表符分隔的文字", "pipe": "竖线分隔的文字"}.get(t.source, t.source)
        report.find("任务分工表", f"{len(t.rows)} 行", t.line, f"{kind}；列：{'，'.join(t.columns)}"
                    + (f"；补齐合并单元格：{filled}" if filled else ""))


def safe_name(name: str, used: set[str]) -> str:
    """A file name that is allowed in a document folder and not yet taken."""
    name = "".join("_" if ch in '\\/:*?"<>|' or not ch.isprintable() else ch for ch in name)
    name = name.lstrip(".") or "attachment"
    if name in ("index.md", "tasks.yaml"):
        name = "_" + name
    base, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{base}-{n}.{ext}" if dot else f"{name}-{n}"
        n += 1
    return candidate
