"""Open data and machine-readable files: documents.json, tasks.json/csv, sitemap.xml."""
from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape

from .content.documents import Document
from .site import Site

TASK_CSV_HEADER = ["文件标识", "序号", "工作任务（部分）", "工作任务（事项）", "具体要求", "责任单位",
                   "牵头单位", "完成时限", "完成日期", "状态"]


def _date(value) -> str | None:
    return value.isoformat() if value else None


def document_record(site: Site, doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id, "title": doc.title, "index_no": doc.index_no, "doc_no": doc.doc_no,
        "issuer": doc.issuer, "topic": doc.topic, "written": _date(doc.written),
        "published": _date(doc.published), "validity": doc.validity,
        "disclosure": doc.disclosure, "url": site.config.absolute(doc.url),
    }


def _task_record(doc_id: str, row) -> dict[str, Any]:
    t = row.task
    return {
        "document": doc_id, "seq": t.seq, "section": t.section, "item": t.item,
        "requirement": t.requirement, "units": [u.name for u in row.units],
        "lead_units": [u.name for u in row.lead_units], "deadline": t.deadline,
        "deadline_date": _date(t.deadline_date), "status": t.status,
    }


def _csv_row(doc_id: str, row) -> list[str]:
    """A task's row of tasks.csv: the fields of :func:`_task_record`, the units joined."""
    t = row.task
    return [_csv_cell(v) for v in (
        doc_id, t.seq, t.section, t.item, t.requirement, "、".join([u.name for u in row.units]),
        "、".join([u.name for u in row.lead_units]), t.deadline, _date(t.deadline_date), t.status)]


# json.dumps(..., ensure_ascii=False) makes a new encoder at every call: 110,000 calls at
# 10,000 documents
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def task_records(site: Site) -> list[dict[str, Any]]:
    return [_task_record(doc.id, row) for doc in site.documents for row in site.task_rows.get(doc.id, ())]


def _csv_cell(value: Any) -> str:
    text = value if type(value) is str else "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to Excel; prefix it so it stays text.
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def _chunks(site: Site, memo: dict | None, kind: str, make) -> list[bytes]:
    """Per-document pieces of a site-wide file, as UTF-8, reused while the document's rows
    are unchanged. Kept as bytes, not text: the file is bytes, and the build cache reads
    the pieces back without decoding them (92 MB of them at 10,000 documents)."""
    out = []
    old = memo.get("old", {}) if memo is not None else {}
    for doc in site.documents:
        rows = site.task_rows.get(doc.id, ())
        key = (kind, id(doc), id(rows))
        entry = old.get(key)
        if entry is None:
            # the objects are kept: their ids key the memo
            entry = (doc, rows, make(doc, rows).encode("utf-8"))
        if memo is not None:
            memo.setdefault("new", {})[key] = entry
        out.append(entry[2])
    return out


def _json_lines(pieces: list[bytes]) -> bytes:
    pieces = [p for p in pieces if p]
    if not pieces:
        return b"[]\n"
    return b"[\n" + b",\n".join(pieces) + b"\n]\n"


def documents_json(site: Site, memo: dict | None = None) -> bytes:
    # One record per line: readable and diff-friendly. The key order is the documented one.
    return _json_lines(_chunks(site, memo, "doc", lambda d, rows: _to_json(document_record(site, d))))


def tasks_json(site: Site, memo: dict | None = None) -> bytes:
    return _json_lines(_chunks(site, memo, "tasks", lambda d, rows: ",\n".join(
        _to_json(_task_record(d.id, r)) for r in rows)))


def tasks_csv(site: Site, memo: dict | None = None) -> bytes:
    """UTF-8 with BOM and CRLF line ends, so that Excel opens the Chinese text correctly."""
    def rows_csv(doc, rows) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows([_csv_row(doc.id, row) for row in rows])
        return buf.getvalue()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(TASK_CSV_HEADER)
    return ("\ufeff" + buf.getvalue()).encode("utf-8") + b"".join(_chunks(site, memo, "csv", rows_csv))


def sitemap_xml(site: Site) -> bytes:
    lastmod = {d.url: d.date for d in site.documents}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in site.pages:
        if page.kind in ("404", "redirect", "withdrawn"):
            continue
        entry = f"  <url><loc>{escape(site.config.absolute(page.url))}</loc>"
        if lastmod.get(page.url):
            entry += f"<lastmod>{lastmod[page.url].isoformat()}</lastmod>"
        lines.append(entry + "</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(site: Site) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {site.config.absolute('sitemap.xml')}\n".encode()
