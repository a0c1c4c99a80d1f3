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


def task_records(site: Site) -> list[dict[str, Any]]:
    out = []
    for doc in site.documents:
        for row in site.task_rows.get(doc.id, ()):
            t = row.task
            out.append({
                "document": doc.id, "seq": t.seq, "section": t.section, "item": t.item,
                "requirement": t.requirement, "units": [u.name for u in row.units],
                "lead_units": [u.name for u in row.lead_units], "deadline": t.deadline,
                "deadline_date": _date(t.deadline_date), "status": t.status,
            })
    return out


def _json(data: Any) -> bytes:
    # Sorted keys are not used: the key order is the documented one, and fixed.
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def documents_json(site: Site) -> bytes:
    return _json([document_record(site, d) for d in site.documents])


def tasks_json(site: Site) -> bytes:
    return _json(task_records(site))


def tasks_csv(site: Site) -> bytes:
    """UTF-8 with BOM and CRLF line ends, so that Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(TASK_CSV_HEADER)
    for r in task_records(site):
        writer.writerow([r["document"], r["seq"], r["section"] or "", r["item"] or "",
                         r["requirement"], "、".join(r["units"]), "、".join(r["lead_units"]),
                         r["deadline"] or "", r["deadline_date"] or "", r["status"] or ""])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


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
