"""Open data and machine-readable files: documents.json, tasks.json/csv, sitemap.xml."""
from __future__ import annotations

import csv
import io
import json
import zlib
from typing import Any
from xml.sax.saxutils import escape

from .content.documents import Document
from .site import Site
from .writer import Staged, content_bytes

# The site-wide files made of per-document pieces, by the memo's name for them
PIECED = {"doc": "api/documents.json", "tasks": "api/tasks.json", "csv": "api/tasks.csv"}

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


def _chunks(site: Site, memo: dict | None, kind: str, make) -> tuple[list[bytes | memoryview], list[tuple]]:
    """Per-document pieces of a site-wide file, as UTF-8, and what :func:`_remember`
    needs to find them again; a piece is made again only when the document or its rows
    changed.

    An incremental build's memo keeps no piece itself, only where it is in the file the
    last build wrote (``memo["files"]``, checked against the size and CRC-32 recorded
    then, ``memo["checks"]``): kept as bytes, the pieces of 10,000 documents were 92 MB
    of every edit's memory, read back from the build cache and mostly never used (an
    edit of a document's text reuses the open data whole)."""
    out: list[bytes | memoryview] = []
    keys: list[tuple] = []
    old = memo.get("old", {}) if memo is not None else {}
    last: memoryview | None = None
    for doc in site.documents:
        rows = site.task_rows.get(doc.id, ())
        key = (kind, id(doc), id(rows))
        entry = old.get(key)
        piece = None
        if entry is not None:
            if last is None:
                # views, not copies: the old file and the new are held, not the pieces too
                last = memoryview(_last_file(memo, kind))
            start, stop = entry[2]
            if last and stop <= len(last):
                piece = last[start:stop]
        if piece is None:
            piece = make(doc, rows).encode("utf-8")
        out.append(piece)
        # the objects are kept: their ids key the memo
        keys.append((key, doc, rows))
    return out, keys


def _last_file(memo: dict | None, kind: str) -> bytes:
    """The last build's file of ``kind``, when it is still the one it wrote; else b"" (its
    pieces are then made again)."""
    content = memo.get("files", {}).get(kind) if memo is not None else None
    check = memo.get("checks", {}).get(kind) if memo is not None else None
    if content is None or check is None or isinstance(content, Staged):
        return b""          # a file in a staging folder since moved: not read back
    try:
        data = content_bytes(content)
    except OSError:
        return b""
    return data if (len(data), zlib.crc32(data)) == tuple(check) else b""


def _remember(memo: dict | None, kind: str, keys: list[tuple], spans: list[tuple[int, int]],
              data: bytes) -> bytes:
    """Record where each document's piece is in ``data`` (the file as written) for the
    next build; ``data``."""
    if memo is not None:
        new = memo.setdefault("new", {})
        for (key, doc, rows), span in zip(keys, spans):
            new[key] = (doc, rows, span)
        memo.setdefault("checks_new", {})[kind] = (len(data), zlib.crc32(data))
    return data


def _spans(pieces: list[bytes | memoryview], at: int, between: int) -> list[tuple[int, int]]:
    """Where each piece is in a file that has them from ``at`` on, ``between`` bytes
    between two that are not empty (an empty piece is not written)."""
    spans = []
    for p in pieces:
        spans.append((at, at + len(p)))
        if p:
            at += len(p) + between
    return spans


def _json_lines(pieces: list[bytes | memoryview]) -> tuple[bytes, list[tuple[int, int]]]:
    """The pieces as one JSON array, one per line, the empty ones left out; and where
    each piece is."""
    kept = [p for p in pieces if p]
    data = b"[\n" + b",\n".join(kept) + b"\n]\n" if kept else b"[]\n"
    return data, _spans(pieces, 2, 2)           # after "[\n", ",\n" between


def documents_json(site: Site, memo: dict | None = None) -> bytes:
    # One record per line: readable and diff-friendly. The key order is the documented one.
    pieces, keys = _chunks(site, memo, "doc", lambda d, rows: _to_json(document_record(site, d)))
    data, spans = _json_lines(pieces)
    return _remember(memo, "doc", keys, spans, data)


def tasks_json(site: Site, memo: dict | None = None) -> bytes:
    pieces, keys = _chunks(site, memo, "tasks", lambda d, rows: ",\n".join(
        _to_json(_task_record(d.id, r)) for r in rows))
    data, spans = _json_lines(pieces)
    return _remember(memo, "tasks", keys, spans, data)


def tasks_csv(site: Site, memo: dict | None = None) -> bytes:
    """UTF-8 with BOM and CRLF line ends, so that Excel opens the Chinese text correctly."""
    def rows_csv(doc, rows) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows([_csv_row(doc.id, row) for row in rows])
        return buf.getvalue()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(TASK_CSV_HEADER)
    header = ("\ufeff" + buf.getvalue()).encode("utf-8")
    pieces, keys = _chunks(site, memo, "csv", rows_csv)
    return _remember(memo, "csv", keys, _spans(pieces, len(header), 0), header + b"".join(pieces))


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
