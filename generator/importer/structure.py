"""Recognising the parts of a 政务公开 document in a cleaned :class:`SourceDoc`.

A page is read in three regions:

1. before the document (everything above its first recognisable part: the 索引号
   block, 文号, title, 主送): portal header and navigation, dropped;
2. the document: metadata lines and tables, title and 文号 (the header), then the
   body — 主送, paragraphs as published, 落款 and date, （此件公开发布）, 附件, the
   attached 要点's own title (written as ``## …``), task tables, 抄送 and 印发;
3. after it, from the first footer line on (扫一扫, 版权所有, ICP备 …): dropped, with
   the site facts offered for config.yaml.

Nothing is dropped without a record in the report; a line that fits nowhere is kept
in the body. The final choice of metadata is made in :mod:`.decisions`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..numbering import match_marker
from . import chrome as ch
from .blocks import (ATTACH, ATTACH_ITEM, ATTACH_LABEL, CC, CJK_GAP, DECORATION, FILE, IMAGE, KIND_END,
                     NOTE, NOTE_DISCLOSURE, PRINT, SIGN_ONE_LINE, Item, build_items, docish, grid_texts,
                     is_recipients, simplified, squash)
from .decisions import finish
from .metadata import (is_date_line, is_doc_no, is_org, is_title_like, label_pairs, parse_date_text,
                       record_pairs, set_meta, unlabelled_block)
from .model import ZONE_CHROME, ZONE_HEAD, Candidate, Findings, ImportedDoc, Link, MetaValue, Para, SourceDoc
from .report import Report


class Recogniser:
    """Turns one cleaned source into an :class:`ImportedDoc`, reporting as it goes."""

    def __init__(self, doc: SourceDoc, report: Report, title: str | None = None):
        self.doc, self.report, self.title_override = doc, report, title
        self.found = Findings(portal=doc.kind == "html")
        self.items = build_items(doc, report)
        lines = [it.view if it.kind == "line" else "" for it in self.items]
        self.block = {v.index: v for v in unlabelled_block(lines)}

    def run(self) -> ImportedDoc:
        self._head()
        start = self._start()
        end = self._end(start)
        for it in self.items[:start]:
            self._drop_chrome(it, ch.chrome_reason(it.view) or "网页页眉或导航（在文件开始之前）")
            name = ch.site_name(it.view)
            if name and it is self.items[0]:
                self.report.suggest_config("name", name, it.line)
        for it in self.items[end:]:
            ch.footer_facts(it.view, it.line, self.report.suggest_config)
            self._drop_chrome(it, ch.chrome_reason(it.view) or "网页页脚（在文件结束之后）")
        begin = self._header(start, end)
        self._body(begin, end)
        return finish(self.found, self.report, self.title_override)

    def _drop_chrome(self, it: Item, reason: str) -> None:
        if it.used:
            return
        it.used = True
        self.found.portal = True
        if it.kind == "line":
            self.report.drop(it.text, "chrome", reason, it.line)
        elif it.kind == "meta":
            for pair, label, line in it.pairs:
                self.report.drop(label + pair.value, "chrome", reason, line)
        else:
            assert it.grid is not None
            for text, line in grid_texts(self.doc, it.grid):
                self.report.drop(text, "chrome", reason, line)

    # --- regions ----------------------------------------------------------------------
    def _head(self) -> None:
        """The <title> line and <meta> tags: candidates and config hints, never text."""
        tags = self.doc.meta_tags
        if tags.get("articletitle"):
            self.found.titles.append(Candidate(tags["articletitle"], None, "<meta ArticleTitle>"))
        for key in ("pubdate", "firstpubdate"):
            iso = parse_date_text(tags.get(key, ""))
            if iso and "published" not in self.found.meta:
                self.found.meta["published"] = MetaValue(iso, None, f"<meta {key}>")
        if tags.get("sitename"):
            self.report.suggest_config("name", tags["sitename"], None)
        if tags.get("siteidcode"):
            self.report.suggest_config("site_code", tags["siteidcode"], None)
        for it in self.items:
            if it.zone == ZONE_HEAD:
                parts = [p.strip() for p in re.split(r"\s*[_|｜–—]+\s*|\s+-\s+", it.text) if p.strip()]
                if parts:
                    self.found.titles.append(Candidate(parts[0], it.line, "网页 <title>"))
                for part in parts[1:]:
                    if ch.site_name(part):
                        self.report.suggest_config("name", part, it.line)
                self._drop_chrome(it, "浏览器标签页标题（网页 <title>）")

    def _is_start(self, k: int, it: Item) -> bool:
        """Could the document begin here?"""
        if it.used or it.zone == ZONE_HEAD:
            return False
        if it.kind in ("meta", "tasks"):
            return True
        if it.kind != "line" or ch.tokens_only(it.view):
            return False
        v = it.view
        before, pairs = label_pairs(v)
        if pairs and not before.strip(" 【[") and any(not p.field.startswith("_") for p in pairs):
            return True
        if is_doc_no(v) or NOTE.match(v) or k in self.block:
            return True
        if "关于" in v and is_title_like(v, 120) and not ch.chrome_reason(v):
            return True
        if v.startswith("关于") and k > 0 and is_org(self.items[k - 1].view):
            return True
        if it.tag == "h1" and it.zone != ZONE_CHROME and not ch.chrome_reason(v) and not ch.site_name(v):
            return True           # (an <h1> holding only the site's name is its logo)
        return is_recipients(v) or bool(match_marker(v) and it.zone != ZONE_CHROME)

    def _start(self) -> int:
        for k, it in enumerate(self.items):
            if self._is_start(k, it):
                return k
        rest = [k for k, it in enumerate(self.items) if not it.used and it.kind == "line"
                and not ch.chrome_reason(it.view)]
        if rest:
            self.report.doubt("没有找到文件的开头（标题、文号、索引号或主送），从第一行非页面元素的文字开始。",
                              self.items[rest[0]].line)
            return rest[0]
        return len(self.items)

    def _end(self, start: int) -> int:
        """The first footer line (扫一扫, 版权所有, ICP备 …) after which no document text
        follows; everything from there on is footer. Chrome above it is dropped in the body."""
        last_doc = max((k for k, it in enumerate(self.items) if it.kind in ("tasks", "data")
                        or (it.kind == "line" and it.zone not in (ZONE_HEAD, ZONE_CHROME)
                            and docish(it.view))), default=-1)
        for k in range(max(start, last_doc + 1), len(self.items)):
            it = self.items[k]
            if it.kind == "line" and ch.is_footer_start(it.view):
                return k
        return len(self.items)

    # --- header: metadata, title, 文号 -------------------------------------------------------
    def _header(self, start: int, end: int) -> int:
        begin = start
        while begin < end and not self._is_body_start(self.items[begin]):
            begin += 1
        region = self.items[start:begin]
        for k, it in enumerate(region, start):
            if it.used or it.kind not in ("line", "meta"):
                continue
            if it.kind == "meta":
                record_pairs(self.found, it.pairs, self.report)
                it.used = True
                continue
            before, pairs = label_pairs(it.view, it.text)
            if pairs and not before.strip(" 【[|｜"):
                if before.strip():
                    self.report.drop(before, "decoration", "标签前的括号", it.line)
                record_pairs(self.found, [(p, p.label, it.line) for p in pairs], self.report)
                it.used = True
            elif k in self.block:
                it.used = True
                fld = self.block[k].field
                if fld == "topic":
                    self.report.doubt(f"没有标签的一行“{it.text}”按词语判断为主题分类 topic。", it.line)
                set_meta(self.found, fld, it.text, it.line, "没有标签的元数据块（按格式识别）", self.report)
        self._article_title(region)
        for it in region:
            if it.used or it.kind != "line":
                continue
            v = it.view
            if is_doc_no(v):
                self._set_doc_no(it)
            elif (reason := ch.chrome_reason(v)) and not docish(v):
                self._drop_chrome(it, reason)
            elif it.zone == ZONE_CHROME and not docish(v):
                self._drop_chrome(it, "网页导航或工具栏元素")
            elif self._is_title_dup(v):
                it.used = True
                self.report.drop(it.text, "duplicate", "标题（重复，已写入元数据 title）", it.line)
        for it in region:
            if not it.used and it.kind == "line":
                # not recognised, but inside the document: kept as text, never dropped unseen
                it.used = True
                self.report.doubt(f"标题区中的一行“{it.text}”未能识别，已作为正文保留。", it.line)
                self.found.body.append(Para("p", it.text, it.line))
        return begin

    def _is_body_start(self, it: Item) -> bool:
        if it.kind in ("tasks", "data"):
            return not it.used
        if it.used or it.kind != "line":
            return False
        v = it.view
        if is_recipients(v) or NOTE.match(v) or (match_marker(v) and it.zone != ZONE_CHROME):
            return True
        if is_doc_no(v) or is_date_line(v) or ch.tokens_only(v):
            return False
        before, pairs = label_pairs(v)
        if pairs and not before.strip(" 【[|｜"):
            return False
        return len(v) >= 40 and bool(re.search("[，。；]", v)) and not ch.chrome_reason(v)

    def _article_title(self, region: list[Item]) -> None:
        """The title as the document prints it: 发文机关 line + 关于… line(s).

        A page often shows the title several times (metadata, page heading, the
        document's own heading over two lines); the document's own heading wins and
        the others are dropped as duplicates.
        """
        lines = [it for it in region if it.kind == "line" and not it.used]
        candidates: list[list[Item]] = []
        taken: set[int] = set()
        for n, it in enumerate(lines):
            v = it.view
            if id(it) in taken or not (v.startswith("关于") or ("关于" in v and is_title_like(v, 120))):
                continue
            parts = [it]
            if v.startswith("关于") and n > 0 and is_org(lines[n - 1].view) and id(lines[n - 1]) not in taken:
                parts.insert(0, lines[n - 1])
            k = n + 1
            while not simplified("".join(p.text for p in parts)).endswith(KIND_END) \
                    and k < len(lines) and len(parts) < 5:
                nxt = lines[k].view
                if re.search("[。，；：]", nxt) or is_doc_no(nxt) or is_date_line(nxt) or len(nxt) > 60:
                    break
                parts.append(lines[k])
                k += 1
            taken.update(id(p) for p in parts)
            candidates.append(parts)
        if not candidates:
            # no 关于… heading (a page that is the 要点 or 年报 itself): its heading line
            heading = next((it for it in lines if (it.tag in ("h1", "h2") or is_title_like(it.view))
                            and not ch.chrome_reason(it.view) and it.zone != ZONE_CHROME
                            and not match_marker(it.view)), None)
            if heading is not None and not self._is_title_dup(heading.view):
                heading.used = True
                self.found.titles.insert(0, Candidate(CJK_GAP.sub("", heading.text), heading.line, "正文标题（标题行）"))
            return
        best = max(candidates, key=lambda c: (len(c) > 1 and is_org(c[0].view), -candidates.index(c)))
        text = CJK_GAP.sub("", "".join(p.text for p in best))
        how = "正文标题（发文机关 + 关于…）" if len(best) > 1 else "正文标题"
        self.found.titles.insert(0, Candidate(text, best[0].line, how))
        if len(best) > 1 and is_org(best[0].view):
            self.found.issuers.append(Candidate(best[0].text, best[0].line, "标题中的发文机关"))
        for p in best:
            p.used = True
        for cand in candidates:
            if cand is best:
                continue
            other = squash(simplified("".join(p.text for p in cand)))
            if other in squash(simplified(text)) or squash(simplified(text)) in other:
                for p in cand:
                    p.used = True
                    self.report.drop(p.text, "duplicate", "标题（重复，已写入元数据 title）", p.line)
            else:
                self.found.titles.append(Candidate(CJK_GAP.sub("", "".join(p.text for p in cand)),
                                                   cand[0].line, "另一处标题"))

    def _set_doc_no(self, it: Item) -> None:
        it.used = True
        value = squash(it.text)
        known = self.found.meta.get("doc_no")
        if known is not None:
            if squash(str(known.value)) == value:
                self.report.drop(it.text, "duplicate", "文号（重复）", it.line)
                return
            self.report.doubt(f"另一个文号“{it.text}”与“{known.value}”不同，保留在正文中。", it.line)
            self.found.body.append(Para("p", it.text, it.line))
            return
        self.found.meta["doc_no"] = MetaValue(value, it.line, "文号行")

    def _is_title_dup(self, view: str) -> bool:
        t = squash(view)
        return len(t) >= 8 and any(squash(simplified(c.text)) == t for c in self.found.titles)

    # --- body ----------------------------------------------------------------------------
    def _body(self, begin: int, end: int) -> None:
        body, rep = self.found.body, self.report
        after_sign = False       # after 落款/date/（此件公开发布）: an attached title may follow
        attach_label: Para | None = None
        k = begin
        while k < end:
            it = self.items[k]
            k += 1
            if it.used:
                continue
            it.used = True
            if it.kind == "tasks":
                self._task_grid(it, attach_label)
                attach_label, after_sign = None, False
                continue
            if it.kind == "data":
                body.append(Para("table", "", it.line, it.rows))
                continue
            if it.kind == "meta":
                record_pairs(self.found, it.pairs, rep)
                continue
            v, text = it.view, it.text
            if DECORATION.match(v):
                rep.drop(text, "decoration", "分隔线", it.line)
                continue
            reason = ch.chrome_reason(v)
            if reason and (ch.tokens_only(v) or not docish(v)):
                rep.drop(text, "chrome", reason, it.line)
                self.found.portal = True
                continue
            if it.zone == ZONE_CHROME and not docish(v):
                rep.drop(text, "chrome", "网页导航或工具栏元素", it.line)
                continue
            known = self.found.meta.get("doc_no")
            if is_doc_no(v) and known is not None and squash(str(known.value)) == squash(text):
                rep.drop(text, "duplicate", "文号（重复）", it.line)
                continue
            if self._is_title_dup(v):
                rep.drop(text, "duplicate", "标题（重复，已写入元数据 title）", it.line)
                continue
            if not body and is_recipients(v):
                rep.find("主送", text, it.line)
                body.append(Para("p", text, it.line))
                continue
            m = NOTE.match(v)
            if m:
                rep.find("公开属性说明", text, it.line)
                if "disclosure" not in self.found.meta:
                    self.found.meta["disclosure"] = MetaValue(NOTE_DISCLOSURE[m.group(1)], it.line, text)
                body.append(Para("p", text, it.line))
                after_sign = True
                continue
            if PRINT.match(v):
                rep.find("印发", text, it.line)
                body.append(Para("p", text, it.line))
                continue
            if CC.match(v):
                k = self._joined(k, it, "抄送" if v.lstrip().startswith("抄") else re.sub(r"\s", "", v[:3]))
                continue
            if ATTACH_LABEL.match(v):
                attach_label = Para("p", text, it.line)
                body.append(attach_label)
                after_sign = True
                continue
            if ATTACH.match(v):
                k = self._attachment_lines(k, it)
                continue
            if FILE.search(v) and len(v) <= 120 and "。" not in v:
                self._file_line(it)
                continue
            if self._signature(k, it):
                after_sign = True
                continue
            if after_sign and is_title_like(v, 60) and not match_marker(v):
                nxt = next((x for x in self.items[k:end] if not x.used), None)
                if nxt is not None and nxt.kind == "tasks":
                    it.used = False   # the caption of the table that follows
                    continue
                rep.find("附带文件的标题", text, it.line, "写成 ## 标题")
                body.append(Para("h2", text, it.line))
                after_sign, attach_label = False, None
                continue
            after_sign = False
            k = self._joined(k, it, None)

    def _joined(self, k: int, it: Item, what: str | None) -> int:
        """A paragraph, joined with the lines that continue it (…，/ 区检察院。)."""
        text, lines = it.text, [it.line]
        while re.search("[，、]$", text) and k < len(self.items):
            nxt = self.items[k]
            if nxt.used or nxt.kind != "line" or match_marker(nxt.view) or PRINT.match(nxt.view) \
                    or DECORATION.match(nxt.view) or ch.chrome_reason(nxt.view):
                break
            text += nxt.text
            lines.append(nxt.line)
            nxt.used = True
            k += 1
        if len(lines) > 1:
            self.report.find("合并断行", f"第{lines[0]}–{lines[-1]}行合为一段", lines[0])
        if what:
            self.report.find(what, text, it.line)
        self.found.body.append(Para("p", text, it.line))
        return k

    def _signature(self, k: int, it: Item) -> bool:
        """落款: an office on its own line followed by a date (or both on one line)."""
        v = it.view
        one = SIGN_ONE_LINE.match(it.text)
        if one and is_org(simplified(one.group(1))):
            self._signed(one.group(1), one.group(2), it.line, it.line)
            self.found.body.append(Para("p", it.text, it.line))
            return True
        if not is_org(v):
            return False
        nxt = next((x for x in self.items[k:] if not x.used), None)
        if nxt is None or nxt.kind != "line" or not is_date_line(nxt.view):
            return False
        nxt.used = True
        self._signed(it.text, nxt.text, it.line, nxt.line)
        self.found.body.append(Para("p", it.text, it.line))
        self.found.body.append(Para("p", nxt.text, nxt.line))
        return True

    def _signed(self, org: str, date: str, line: int, date_line: int) -> None:
        self.report.find("落款", f"{org.strip()}　{date.strip()}", line)
        if self.found.signature_date is None:
            iso = parse_date_text(date)
            if iso:
                self.found.signature_date = (iso, date_line)
            self.found.issuers.append(Candidate(org.strip(), line, "落款"))

    # --- attachments and task tables ------------------------------------------------------
    def _attachment_lines(self, k: int, it: Item) -> int:
        """附件：… with its numbered continuation lines (2.…) as one paragraph."""
        m = ATTACH.match(it.view)
        assert m
        first = it.text[len(it.text) - len(m.group(1)):]
        group = [(first, it)]
        while k < len(self.items):
            nxt = self.items[k]
            if nxt.used or nxt.kind != "line" or not ATTACH_ITEM.match(nxt.view) \
                    or "。" in nxt.view or len(nxt.view) > 80:
                break
            nxt.used = True
            group.append((nxt.text, nxt))
            k += 1
        for name, src in group:
            name = re.sub(r"^\d{1,2}\s*[.．、]\s*", "", name).strip()
            entry: dict[str, Any] = {"title": FILE.sub("", name).strip() or name, "_line": src.line}
            for link in src.links:
                if FILE.search(link.href.split("?")[0]):
                    self._link_file(entry, link)
            self.found.attachments.append(entry)
            self.report.find("附件", name, src.line)
        kind = "lines" if len(group) > 1 else "p"
        self.found.body.append(Para(kind, "\n".join(g.text for _, g in group), it.line))
        return k

    def _link_file(self, entry: dict[str, Any], link: Link) -> None:
        """A linked attachment saved next to the page (浏览器“网页，全部”) is copied."""
        url = urlparse(link.href)
        entry["_href"] = link.href
        if url.scheme in ("", "file") and self.doc.base_dir:
            base = Path(self.doc.base_dir)
            for path in (base / unquote(url.path).lstrip("/"), base / Path(unquote(url.path)).name):
                if path.is_file():
                    entry["_copy"] = str(path)
                    return

    def _file_line(self, it: Item) -> None:
        """A line that is only a file name (the image or PDF of an attachment)."""
        self.report.drop(it.text, "file", "附件的文件名", it.line)
        attachments = self.found.attachments
        if attachments:
            last = attachments[-1]
            last.setdefault("_files", []).append(it.text)
            for link in it.links:
                self._link_file(last, link)
            return
        entry: dict[str, Any] = {"title": FILE.sub("", it.text).strip(), "_line": it.line, "_files": [it.text]}
        for link in it.links:
            self._link_file(entry, link)
        if entry.get("_copy") or IMAGE.search(it.view) is None:
            attachments.append(entry)
            self.report.find("附件", it.text, it.line, "文件名")

    def _task_grid(self, it: Item, attach_label: Para | None) -> None:
        table = it.table
        assert table is not None
        prev = self._caption_before(it)        # 2021年…任务分工 just above the table
        if prev is not None:
            if table.caption is None or squash(table.caption) == squash(prev.text):
                if table.caption is not None:
                    self.report.drop(prev.text, "duplicate", "表格标题（重复）", prev.line)
                table.caption = prev.text
            else:
                self.found.body.append(Para("p", prev.text, prev.line))
            prev.used = True
        body = self.found.body
        if attach_label is not None and body and body[-1] is attach_label:
            body.pop()
            self.report.drop(attach_label.text, "label", "任务分工表前的“附件”字样（表格写入 tasks.yaml）",
                             attach_label.line)
        for text, line in table.notes:      # rows above the header other than the caption
            body.append(Para("p", text, line or table.line))
        if self.found.tasks is None:
            self.found.tasks = table
            return
        first = self.found.tasks
        if table.caption:
            if first.caption and squash(first.caption) == squash(table.caption):
                self.report.drop(table.caption, "duplicate", "第二张表的标题（与第一张相同）", table.line)
            else:
                body.append(Para("p", table.caption, table.line))
        if {r.seq for r in table.rows} & {r.seq for r in first.rows}:
            for n, row in enumerate(table.rows, max(r.seq for r in first.rows) + 1):
                row.seq = n
        first.rows.extend(table.rows)
        self.report.doubt("页面上有第二张任务分工表，已接在第一张后面。", table.line)

    def _caption_before(self, table_item: Item) -> Item | None:
        k = self.items.index(table_item)
        for prev in reversed(self.items[:k]):
            if prev.kind != "line":
                return None
            if prev.used:
                if ATTACH_LABEL.match(prev.view):
                    continue
                return None
            return prev if is_title_like(prev.view, 80) and not match_marker(prev.view) else None
        return None


def recognise(doc: SourceDoc, report: Report, title: str | None = None) -> ImportedDoc:
    """Recognise the parts of one document; see the module docstring."""
    return Recogniser(doc, report, title).run()
