"""Offline search: an index the browser queries without a server.

The build writes ``search/index/``; the search page's program (``templates/_search.js``,
written into ``search/index.html``) reads it. A query fetches the small manifest, then
only the files its terms need:

``manifest.json``
    record count, shard counts, facet labels and one facet column per facet (a fixed
    width code per record), the keys of the pinyin files and a content hash (added to
    every other file's address, so that a new build is never mixed with cached files).
``t/<hex>.json``
    term shards (``{term: postings}``), a term's shard being FNV-1a of its UTF-16 code
    units modulo the shard count. Terms are CJK bigrams and ASCII words and numbers
    (each field's count and first position), and single CJK characters (counts only).
    The fields are: title; headings (with 文号, 索引号, 主题词, 附件; for a task its
    section, item, units as published and as named in the register, deadline); body.
``q/<hex>.json``
    the further positions of bigrams that occur more than once in a field, fetched only
    to verify a phrase of three or more characters: 依申请公开 matches only where its
    bigrams 依申 申请 请公 公开 stand at consecutive positions, never characters
    scattered over a page.
``p/<key>.json``
    the pinyin vocabulary: the site's words and phrases with their readings, filed under
    the first two (or, for a large file, three) letters of each way to type them: full
    pinyin ``yishenqing``, initials ``ysq``, mixtures ``yishenq``. The browser turns a
    pinyin word into the site's own words (依申请), corrects small typos by edit distance
    within the file, and searches those words.
``py.json``
    the common reading of the common characters, loaded only when a Chinese query finds
    nothing, to correct a homophone (依申清公开 → 依申请公开).
``m/<n>.json``, ``c/<n>.json``
    display data (title, address, date, issuer, section anchors) of BLOCK records per
    file, and the text of headings and bodies in chunks of CHUNK characters, PACK chunks
    per file: fetched only for the results shown, for their highlighted snippets.

Postings are compact strings: numbers are written in a base-64 alphabet, five bits per
character, the high bit of a character saying that more follow. A term's postings list,
for each record in increasing order, the gap from the previous record, a 3-bit field
mask and, per field present, the count and (positional terms) the first position; the
further positions list the record gap, a mask of the fields and the position gaps.

Only what the :class:`~generator.site.Site` publishes is indexed: 主动公开, non-draft
documents (withdrawn ones are not among them), their task rows and the
interpretations. The output is deterministic: records, terms and keys are written in
a fixed order and nothing depends on the clock or on hash seeds.
"""
from __future__ import annotations

import functools
import heapq
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Callable, Iterable

from .content.interpretations import Interpretation
from .site import Site

INDEX_DIR = "search/index/"
FORMAT = 1
CHUNK = 100            # characters (code points) of field text per chunk
PACK = 16              # chunks per c/<n>.json (~4 KB: one fetch per snippet, fewer files)
BLOCK = 16             # records per m/<n>.json (~4 KB)
SHARD_TARGET = 4_000   # average bytes of postings per term shard
MIN_SHARDS, MAX_SHARDS = 8, 4096

TYPES = ("文件", "政策解读", "任务分工")
FACETS = (("type", "内容类型"), ("year", "年份"), ("issuer", "发布机构"), ("topic", "主题分类"),
          ("validity", "有效性"))
NO_VALIDITY = "未注明"

B64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_RUN = re.compile(f"[{CJK}]+")
TOKEN = re.compile(f"([{CJK}]+)|([a-z0-9]+)")

# One character in, one character out, so that positions in folded text are positions in
# the stored text: full-width ASCII to ASCII, ideographic space to space, A-Z to a-z.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
for _c in range(ord("A"), ord("Z") + 1):
    _FOLD[_c] = _c + 32
    _FOLD[_c + 0xFEE0] = _c + 32


def fold(text: str) -> str:
    """Text as the index sees it (same length as ``text``)."""
    return text.translate(_FOLD)


def _varint(n: int) -> str:
    out = B64[n & 31]
    n >>= 5
    while n:
        out = B64[32 + (n & 31)] + out
        n >>= 5
    return out


_SMALL = [_varint(i) for i in range(4096)]


def varint(n: int) -> str:
    """A non-negative integer in the postings alphabet (1 char below 32, 2 below 1024 …)."""
    return _SMALL[n] if n < 4096 else _varint(n)


@functools.lru_cache(maxsize=1 << 17)
def fnv1a(term: str) -> int:
    """FNV-1a over UTF-16 code units: what the search page computes with ``charCodeAt``.
    Kept for the terms met (an edit of 10,000 documents finds the shard of each of the
    site's 20,000 terms: 22 ms computed, 3 ms kept)."""
    h = 0x811C9DC5
    data = term.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def is_positional(term: str) -> bool:
    """Single CJK characters keep counts only; bigrams and ASCII words keep positions."""
    return not (len(term) == 1 and CJK_RUN.fullmatch(term))


# ---------------------------------------------------------------------------- records

@dataclass
class Record:
    """One searchable item: a document, an interpretation or a task row."""

    kind: int                       # index into TYPES
    title: str                      # shown as the result's heading
    url: str                        # site-relative, may carry a #fragment
    fields: tuple[str, str, str]    # searched text: title, headings, body
    date: str | None = None
    issuer: str | None = None
    year: str | None = None
    topic: str | None = None
    validity: str | None = None     # facet value; None: not applicable
    notice: str | None = None       # shown beside the date (有效性 when not 有效)
    context: str | None = None      # one line under the heading (task: its document)
    extra: str | None = None        # a second line (task: units and deadline)
    anchors: list[tuple[int, int, str]] = field(default_factory=list)   # (body offset, heads offset, id)
    names: tuple[str, ...] = ()     # unit names: always in the pinyin vocabulary
    parent: int | None = None       # task: the record of its document


_SPACES = re.compile(r"\s+")


class _BodyText(HTMLParser):
    """Plain text of a rendered body; headings (with their ids) are kept apart."""

    BLOCKS = {"p", "div", "li", "tr", "br", "ul", "ol", "table", "blockquote", "pre", "dt", "dd",
              "section", "figure", "figcaption", "hr", "caption"}
    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.body: list[str] = []
        self.length = 0
        self.last = "\n"
        self.heads: list[str] = []
        self.heads_length = 0
        self.anchors: list[tuple[int, int, str]] = []
        self.heading: list[str] | None = None
        self.heading_id = ""
        self.skip = 0

    def _add(self, text: str) -> None:
        if not text:
            return
        if text[0] in " \n" and self.last in " \n":
            text = text[1:]
            if not text:
                return
        self.body.append(text)
        self.length += len(text)
        self.last = text[-1]

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag in self.HEADINGS:
            self._add("\n")
            self.heading = []
            self.heading_id = dict(attrs).get("id") or ""
        elif tag in self.BLOCKS:
            self._add("\n")
        elif tag in ("td", "th"):
            self._add(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.handle_data(alt)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.HEADINGS and self.heading is not None:
            text = " ".join("".join(self.heading).split())
            if text:
                self.anchors.append((self.length, self.heads_length, self.heading_id))
                self.heads.append(text)
                self.heads_length += len(text) + 1
            self.heading = None
            self._add("\n")
        elif tag in self.BLOCKS:
            self._add("\n")

    def handle_data(self, data):
        if self.skip:
            return
        if self.heading is not None:
            self.heading.append(data)
            return
        self._add(_SPACES.sub(" ", data))

    def text(self) -> str:
        return "".join(self.body).rstrip()


# The HTML our Markdown and sanitizer write: lower-case tags, attribute values in double
# quotes, no comments; every "<" in text escaped. Read with two regular expressions, it
# gives the parser the same calls in half the time of HTMLParser's own reading (which
# took 3.3 s of CPU at 10,000 documents); anything else (raw HTML an editor may pass
# through) is read by HTMLParser itself.
_SIMPLE_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:\s+[a-z_:][-a-z0-9_:.]*(?:\s*=\s*"[^"]*")?)*)\s*(/?)>')
_SIMPLE_ATTR = re.compile(r'([a-z_:][-a-z0-9_:.]*)(?:\s*=\s*"([^"]*)")?')
# elements whose content HTMLParser does not read as markup (or may not, by version)
_RAW_CONTENT = frozenset({"script", "style", "template", "textarea", "title", "xmp", "iframe", "noembed",
                          "noframes", "noscript", "plaintext"})


def _read_simple(parser: _BodyText, html: str) -> bool:
    """Give ``parser`` the calls HTMLParser would for ``html`` when it is such simple HTML;
    False (and a parser to throw away) when it is not."""
    pos = 0
    for m in _SIMPLE_TAG.finditer(html):
        start = m.start()
        if start > pos:
            data = html[pos:start]
            if "<" in data:
                return False
            parser.handle_data(unescape(data))
        closing, tag, attrs, empty = m.groups()
        if tag in _RAW_CONTENT:
            return False
        if closing:
            if attrs or empty:
                return False
            parser.handle_endtag(tag)
        else:
            # only headings' ids and images' alt texts are read (see _BodyText)
            parser.handle_starttag(tag, [(a.group(1), unescape(a.group(2)) if a.group(2) is not None else None)
                                         for a in _SIMPLE_ATTR.finditer(attrs)]
                                   if attrs and (tag in _BodyText.HEADINGS or tag == "img") else [])
            if empty:
                parser.handle_endtag(tag)
        pos = m.end()
    if pos < len(html):
        if "<" in html[pos:]:
            return False
        parser.handle_data(unescape(html[pos:]))
    return True


def body_text(html: str) -> tuple[str, list[str], list[tuple[int, int, str]]]:
    """(body text without headings, heading texts, anchors) of rendered HTML."""
    parser = _BodyText()
    if not _read_simple(parser, html or ""):
        parser = _BodyText()
        parser.feed(html or "")
        parser.close()
    text = parser.text()
    anchors = parser.anchors
    if anchors:
        # where the last section ends: headings are followed by 文号, 主题词 … in the field
        anchors = anchors + [(len(text), parser.heads_length, "")]
    return text, parser.heads, anchors


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(" ".join(p.split()) for p in parts if p and p.strip())


class Cancelled(Exception):
    """Raised by a ``check`` callback to abandon an index build (the preview server does
    when a newer save arrives: that build's index would be stale anyway)."""


def _no_check() -> None:
    return None


def index_items(site: Site) -> list:
    """What the index holds, in record order: documents and interpretations together,
    oldest first (by date; on one date documents first, then the reverse of the site's
    order). A new document or interpretation, usually the newest, comes last: no record
    before it moves, so an index file that holds none of its terms stays the same file
    (the search page still shows the newest first among equal results: it orders them by
    record number, highest first)."""
    docs = ((d.date.toordinal() if d.date else 0, 0, d) for d in reversed(site.documents))
    its = ((it.published.toordinal(), 1, it) for it in reversed(site.interpretations))
    return [item for _, _, item in heapq.merge(docs, its, key=lambda t: (t[0], t[1]))]


def collect_records(site: Site, check: Callable[[], None] = _no_check) -> list[Record]:
    """Every searchable item, in a fixed order (:func:`index_items`): each document's
    task rows, last first, then the document (so that a task's display data sits beside
    its document's), and the interpretations among them."""
    records: list[Record] = []
    for item in index_items(site):
        check()
        records += item_records(item, item_inputs(site, item), len(records))
    return records


def item_inputs(site: Site, item) -> tuple:
    """What an index item's records are made from besides the item itself: a document's
    task rows; the documents an interpretation interprets (all of them published: the
    relations know no other). The search index's memo keeps a segment while its items
    and their inputs are the same objects."""
    if type(item) is Interpretation:
        return site.relations.documents_of.get(item.id, ())
    return site.task_rows.get(item.id, ())


def item_records(item, inputs: tuple, start: int = 0) -> list[Record]:
    """The records of an index item, numbered from ``start`` (see :func:`item_inputs`)."""
    if type(item) is Interpretation:
        return [interpretation_record(item, inputs)]
    return document_records(item, inputs, start)


def document_records(doc, rows: tuple, start: int = 0) -> list[Record]:
    """A document's task rows' records, the last row first, then the document's record
    (``start``: the first one's number): read from the end, the site's order.

    Only the document and its rows are read: the search index keeps these per document."""
    records: list[Record] = []
    body, heads, anchors = body_text(doc.body_html)
    extra = [doc.doc_no, doc.index_no, doc.doc_type, *doc.keywords,
             *(a.title for a in doc.attachments), doc.tasks_note]
    date = doc.date.isoformat() if doc.date else None
    year = str(doc.year) if doc.year else None
    validity = doc.validity or NO_VALIDITY
    notice = None if doc.is_valid else doc.validity
    parent = start + len(rows)
    for row in reversed(rows):
        t = row.task
        units = "、".join(name for name, _ in row.unit_refs)
        canonical = [u.name for name, u in row.unit_refs if u.name != name]
        lead = "、".join(name for name, _ in row.lead_refs)
        heading = " ".join((t.item or t.section or t.requirement).split())
        if len(heading) > 40:
            heading = heading[:40] + "…"
        line = "责任单位：" + units + (t.units_note or "")
        if lead:
            line += "；牵头单位：" + lead
        if t.deadline:
            line += "；完成时限：" + t.deadline
        refs = row.unit_refs + row.lead_refs
        records.append(Record(
            2, f"第{t.seq}项 {heading}", f"{doc.tasks_url}#task-{t.seq}",
            ("", _join([t.section, t.item, units, *canonical, t.units_note, lead, t.deadline, t.status]),
             _join([t.requirement, t.progress])),
            date, doc.issuer, year, doc.topic, validity, notice, extra=line, parent=parent,
            names=tuple(dict.fromkeys([n for n, _ in refs] + [u.name for _, u in refs]))))
    records.append(Record(0, doc.title, doc.url, (doc.title, _join(heads + extra), body), date,
                          doc.issuer, year, doc.topic, validity, notice, anchors=anchors))
    return records


def interpretation_record(it, docs: tuple) -> Record:
    """An interpretation's record: ``docs``, the documents it interprets; its topic is
    the first of them that has one."""
    body, heads, anchors = body_text(it.body_html)
    transcript = body_text(it.transcript_html)[0] if it.transcript_html else ""
    image_alt = it.image.get("alt") if it.image else None
    topic = next((d.topic for d in docs if d.topic), None)
    return Record(
        1, it.title, it.url, (it.title, _join(heads + [it.form, image_alt]), _join([body, transcript])),
        it.published.isoformat(), it.issuer, str(it.published.year), topic, None, None,
        ("解读：" + "、".join(f"《{d.title}》" for d in docs)) if docs else it.form, anchors=anchors)


# ---------------------------------------------------------------------------- postings

def shard_count(total: int) -> int:
    """How many term shards a postings table of ``total`` bytes (as :func:`shard_terms`
    counts them) is cut into: a power of two, about SHARD_TARGET bytes each."""
    count = MIN_SHARDS
    while count < MAX_SHARDS and total / count > SHARD_TARGET:
        count *= 2
    return count


def shard_terms(postings: dict[str, str]) -> tuple[int, dict[int, dict[str, str]]]:
    """(shard count, shard → {term: postings}); a power of two, about SHARD_TARGET bytes each."""
    count = shard_count(sum(len(t.encode()) + len(p) + 6 for t, p in postings.items()))
    shards: dict[int, dict[str, str]] = {i: {} for i in range(count)}
    for term, p in postings.items():
        shards[fnv1a(term) & (count - 1)][term] = p
    return count, shards
