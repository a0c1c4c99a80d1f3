"""Documents: ``content/documents/<id>/index.md`` with disclosure metadata and a body.

Loading parses the front matter against :data:`DOCUMENT_SCHEMA`, converts the Markdown
body (numbered parts become headings with stable anchors), and loads the optional
``tasks.yaml``. Nothing here decides what gets published: the site does that.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.treeprocessors import InlineProcessor
from xml.etree import ElementTree as etree

from ..numbering import GongwenExtension, Heading
from ..privacy import ACK_SCHEMA, Scanner, document_findings
from ..problems import Problem, Problems
from ..sanitize import configure_markdown, convert_body, link_problem
from ..schema import ID_HINT, ID_RE, Field, Schema
from .sources import is_editor_temp, read_front_matter
from .tasks import TaskList, load_tasks

DISCLOSURES = ("主动公开", "依申请公开", "不予公开")
PUBLIC = "主动公开"
VALIDITIES = ("有效", "全文有效", "部分失效", "部分废止", "全文失效", "全文废止", "尚未生效",
              "已修改", "失效", "废止")
VALID = ("有效", "全文有效")

ATTACHMENT_SCHEMA = Schema([
    Field("title", required=True, label="附件名称"),
    Field("file", label="附件文件", check=lambda v: link_problem(v) or _bad_file_name(v)),
    Field("note", label="附件说明"),
], what="附件")

DOCUMENT_SCHEMA = Schema([
    Field("title", required=True, label="标题"),
    Field("index_no", label="索引号"),
    Field("doc_no", label="文号"),
    Field("issuer", label="发布机构"),
    Field("topic", label="主题分类"),
    Field("written", kind="date", label="成文日期"),
    Field("published", kind="date", label="发布日期"),
    Field("validity", label="有效性", choices=VALIDITIES),
    Field("disclosure", required=True, label="公开属性", choices=DISCLOSURES,
          hint="写 disclosure: 主动公开（或 依申请公开、不予公开）。只有主动公开的文件会发布到网站。"),
    Field("doc_type", label="文件类型"),
    Field("keywords", kind="list", item="str", label="主题词", default=list),
    Field("unit_scope", kind="id", label="单位范围"),
    Field("attachments", kind="list", item=ATTACHMENT_SCHEMA, label="附件", default=list),
    Field("tasks_note", label="任务分工说明"),
    Field("draft", kind="bool", label="草稿", default=False),
    Field("needs_interpretation", kind="bool", label="需要解读",
          hint="写 true 表示这个文件需要政策解读（三同步）；不写时按 config.yaml 的 interpretation_required_types 判断。"),
    Field("superseded_by", kind="id", label="替代文件", hint="写替代本文件的新文件的标识。"),
    Field("aliases", kind="list", item="str", label="旧地址", default=list,
          hint="本文件以前的地址，例如 aliases: [documents/旧标识/, /art/2024/6/26/art_1.html]。"),
    Field("withdrawn", kind="date", label="撤销日期", hint="文件撤销时写撤销日期；页面只保留撤销说明。"),
    Field("withdrawn_note", label="撤销说明"),
    Field("privacy_ack", kind="list", item=ACK_SCHEMA, label="个人信息确认", default=list),
], what="文档元数据")

# Files a document folder may hold that are not attachments.
SOURCE_FILES = {"index.md", "tasks.yaml"}
IGNORED_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Attachment:
    title: str
    file: str | None
    note: str | None
    line: int

    @property
    def url_name(self) -> str | None:
        return self.file


@dataclass(frozen=True)
class Document:
    """One published or unpublished document, with its metadata, body and task list."""

    id: str
    source: Path
    title: str
    index_no: str | None
    doc_no: str | None
    issuer: str | None
    topic: str | None
    written: dt.date | None
    published: dt.date | None
    validity: str | None
    disclosure: str
    doc_type: str | None
    keywords: tuple[str, ...]
    unit_scope: str | None
    attachments: tuple[Attachment, ...]
    tasks_note: str | None
    draft: bool
    body_html: str
    # (level, anchor, text) per heading, for the one page that shows them (see headings);
    # held packed in one string (see _Headings)
    heading_rows: tuple[tuple[int, str, str], ...]
    tasks: TaskList | None
    lines: dict
    needs_interpretation: bool | None = None
    superseded_by: str | None = None
    aliases: tuple[str, ...] = ()
    withdrawn: dt.date | None = None
    withdrawn_note: str | None = None
    # What the privacy scan found in the sources (reported when the document is
    # published: generator.privacy.scan_site). Scanned by the loader, so that the
    # Markdown source and the front matter are not kept: at 10,000 documents, 45 MB
    # held and 70 MB more in the build cache.
    privacy: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    def __reduce__(self):
        # Pickled (build cache, worker results) as its field values in order, the body
        # as UTF-8 bytes: read back faster than a dict of fields (the build cache's
        # documents at 10,000: 0.70 -> 0.61 s), and a pickler that meets a non-ASCII
        # str keeps a UTF-8 copy of it as long as it lives (the bodies, with the
        # Markdown sources documents then kept: 138 MB). A body still undecoded (see
        # _Body) goes as the bytes it is.
        values = list(map(self.__dict__.__getitem__, _FIELDS))    # not through _Body
        values[_BODY] = _Body.raw(self)
        return _document, (tuple(values),)

    def decode_body(self) -> None:
        """Decode the body now if it came back from a pickle undecoded (see _Body)."""
        self.body_html  # noqa: B018 - the descriptor decodes and keeps it

    @property
    def folder(self) -> Path:
        return self.source.parent

    @property
    def headings(self) -> tuple[Heading, ...]:
        """The body's headings, for the table of contents."""
        return tuple(Heading(*row) for row in self.heading_rows)

    @property
    def url(self) -> str:
        return f"documents/{self.id}/"

    @property
    def tasks_url(self) -> str:
        return f"documents/{self.id}/tasks/"

    @property
    def date(self) -> dt.date | None:
        """The date lists sort and group by: 发布日期, else 成文日期."""
        return self.published or self.written

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    @property
    def is_public(self) -> bool:
        return self.disclosure == PUBLIC and not self.draft

    @property
    def is_valid(self) -> bool:
        return self.validity is None or self.validity in VALID


class _Body:
    """``Document.body_html``, kept as the UTF-8 bytes it was pickled as until first read.

    A one-document edit reads every document back from the build cache but shows the
    bodies of a few only (the changed one, and those of its search segment): decoding all
    26.7 million characters of 10,000 documents' bodies was 0.25 s of the edit's 3 s.
    A document parsed in a worker process is decoded as soon as it is back
    (:meth:`Document.decode_body`), before the render workers are forked: decoded in each
    of them instead, the text would be held once per process."""

    def __get__(self, doc: "Document | None", owner: type | None = None):
        if doc is None:
            return self
        value = doc.__dict__["body_html"]
        if type(value) is bytes:
            value = doc.__dict__["body_html"] = value.decode("utf-8", "surrogatepass")
        return value

    def __set__(self, doc: "Document", value: str) -> None:
        doc.__dict__["body_html"] = value

    @staticmethod
    def raw(doc: "Document") -> bytes:
        """The body as UTF-8 bytes, without decoding one that is still bytes."""
        value = doc.__dict__["body_html"]
        return value if type(value) is bytes else value.encode("utf-8", "surrogatepass")


class _Headings:
    """``Document.heading_rows``, held as one string per document and unpacked when read.

    The table of contents is the only reader, once per document page. As tuples, a big
    site's headings were 510,000 objects (10,000 documents: 171,000 headings, 28 MB in
    each process that touches them) read back from the build cache on every edit;
    packed, they are 10,000 strings of about 6 MB (an edit's peak RSS 20 MB lower, its
    read of the cache 0.04 s shorter). A heading is its level's digit, its anchor, US and its text; headings are
    joined by RS. Rows that could not be told apart so (a separator in a text or an
    anchor, a level outside 1-9) are kept as tuples."""

    def __get__(self, doc: "Document | None", owner: type | None = None):
        if doc is None:
            return self
        value = doc.__dict__["heading_rows"]
        if type(value) is not str:
            return value
        if not value:
            return ()
        # anchors (p1, p2-3 …) recur in every document: one string each
        return tuple((int(row[0]), sys.intern(anchor), text)
                     for row in value.split(_RS) for anchor, text in (row[1:].split(_US, 1),))

    def __set__(self, doc: "Document", rows) -> None:
        doc.__dict__["heading_rows"] = _pack_headings(rows)


_US, _RS = "\x1f", "\x1e"


def _pack_headings(rows):
    """What Document holds for these heading rows (see _Headings)."""
    if type(rows) is str:
        return rows
    rows = tuple(rows)
    for level, anchor, text in rows:
        if (type(level) is not int or not 1 <= level <= 9 or _US in anchor or _RS in anchor
                or _US in text or _RS in text):
            return rows
    return _RS.join(f"{level}{anchor}{_US}{text}" for level, anchor, text in rows)


_FIELDS = tuple(f.name for f in fields(Document))
_BODY = _FIELDS.index("body_html")
# set after @dataclass has read the fields: a descriptor in the class body is a default
Document.body_html = _Body()  # type: ignore[assignment]
Document.heading_rows = _Headings()  # type: ignore[assignment]


def _document(values: tuple) -> Document:
    """A Document from what :meth:`Document.__reduce__` gives (its body still bytes)."""
    doc = object.__new__(Document)
    doc.__dict__.update(zip(_FIELDS, values))
    return doc


def markdown_converter(raw_html: str = "escape") -> markdown.Markdown:
    """A Markdown converter for document bodies; raw HTML by policy (escaped by default).

    See :mod:`generator.sanitize` for the ``escape``/``sanitize``/``reject`` policies.
    """
    md = markdown.Markdown(extensions=["tables", "sane_lists", GongwenExtension()],
                           output_format="html")
    md.treeprocessors.register(QuickInline(md), "inline", 20)     # python-markdown's own place
    md.parser.blockprocessors.register(QuickParagraph(md.parser), "quick_paragraph", 200)
    configure_markdown(md, raw_html)
    return md


# python-markdown's inline patterns, and what each needs in a text to match: a backtick,
# a backslash, "[" (links, images, references), "<" (automatic links, HTML), two spaces
# before a line end (a line break), "&" (entities), "*" or "_" (emphasis)
_INLINE_PATTERNS = ("backtick", "escape", "reference", "link", "image_link", "image_reference",
                    "short_reference", "short_image_ref", "autolink", "automail", "linebreak",
                    "html", "entity", "em_strong")
_INLINE_START = re.compile(r"[`\\\[<&*_]|  \n")


class QuickInline(InlineProcessor):
    """python-markdown's inline processor, which tries each of its patterns on every
    piece of text in turn. A piece holding nothing any pattern needs is left as it is
    without trying them: most paragraphs of official Chinese text (the inline patterns
    were 3.1 of the 7.7 CPU-s that Markdown took in a full build of 10,000 documents).
    When other patterns are registered (another python-markdown, an extension), every
    piece is tried as before."""

    quick = False       # until run() has looked at the patterns

    def run(self, tree, ancestors=None):  # noqa: ANN001 - python-markdown's signature
        patterns = self.inlinePatterns
        # only known patterns (some may have been taken out: raw HTML escaped)
        self.quick = len(patterns) == sum(name in patterns for name in _INLINE_PATTERNS)
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802,N803
        if patternIndex == 0 and self.quick and _INLINE_START.search(data) is None:
            return data
        return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)  # type: ignore[attr-defined]


# The block processors python-markdown (with tables and sane_lists) tries on every
# block, in turn, before the paragraph: each a regular expression over the block.
_BLOCK_PROCESSORS = ("empty", "indent", "code", "table", "hashheader", "setextheader", "hr",
                     "olist", "ulist", "quote", "reference", "paragraph")
# What one of them needs in a block: a line starting with a blank (indented code and
# list items, a blank block), with # (headers), = or - (setext headers, rules, list
# items), * + _ (rules, list items), > (quotes), [ (link references) or a digit, in any
# script, as \d reads it (ordered lists: "１. 甲" is one); or a | anywhere (tables)
_LINE_START = re.compile(r"\n[\s#=\-*+_>\[\d]")
_FIRST = frozenset("#=-*+_>[")


class QuickParagraph(BlockProcessor):
    """A block at the top level that no other block processor can take is made a
    paragraph at once, as python-markdown's paragraph processor makes it, without trying
    the eleven others' expressions on it first. Most blocks of official Chinese text are
    such paragraphs: converting 2,000 generated bodies took 0.72 s, now 0.49 s. When
    other block processors are registered (another python-markdown, an extension),
    every block is tried as before."""

    quick: bool | None = None       # until test() has looked at the processors

    def test(self, parent, block: str) -> bool:  # noqa: ANN001 - python-markdown's signature
        if self.quick is None:
            names = [name for name in self.parser.blockprocessors._data if name != "quick_paragraph"]
            self.quick = sorted(names) == sorted(_BLOCK_PROCESSORS)
        # inside a list item, a block quote or a detabbed block the paragraph processor
        # may do otherwise (a tight list's text): those go the usual way
        if not self.quick or self.parser.state or not block:
            return False
        first = block[0]
        # (isdigit() holds for every character \d matches, and a few more: declining a
        # block is always safe, the paragraph processor takes it in the end)
        return not (first.isspace() or first.isdigit() or first in _FIRST
                    or "|" in block or _LINE_START.search(block))

    def run(self, parent, blocks: list[str]) -> None:  # noqa: ANN001
        # python-markdown's ParagraphProcessor, outside a list: the block is not blank
        # and starts with no blank, so its lstrip() is itself
        p = etree.SubElement(parent, "p")
        p.text = blocks.pop(0)


def render_body(md: markdown.Markdown, text: str) -> tuple[str, tuple[Heading, ...]]:
    """Convert a body without reporting problems; prefer :func:`convert_body`, which reports
    them with path:line. The HTML is made just as safe (raw-HTML policy, dangerous links)."""
    return convert_body(md, text, 1, "", Problems(Path(".")))


def load_document(folder: Path, problems: Problems, md: markdown.Markdown,
                  scanner: Scanner | None = None) -> Document | None:
    """Load one document folder; report every problem; None when it cannot be used.
    With ``scanner`` (:func:`generator.privacy.site_scanner`) the document carries what
    the privacy scan found, for :func:`generator.privacy.scan_site` to report."""
    doc_id = folder.name
    source = folder / "index.md"
    if not ID_RE.match(doc_id):
        problems.error(folder, None, f"文档文件夹名 “{doc_id}” 不是有效的标识",
                       ID_HINT + "文件夹名就是文档的永久地址，确定后不要再改。")
        return None
    if not source.is_file():
        problems.error(folder, None, "文档文件夹里没有 index.md",
                       "每个文档文件夹都需要一个 index.md；可运行 `gongkai new document 标识` 生成。")
        return None
    read = read_front_matter(source, problems, "title: …、disclosure: … 等")
    if read is None:
        return None
    data, body, body_line = read
    if data is None:
        problems.error(source, 1, "元数据是空的", "至少写上 title: 和 disclosure: 两项。")
        return None
    before = len(problems.errors)
    values = DOCUMENT_SCHEMA.check(data, source, problems, 1)
    if values is None:
        return None
    lines = {k: data.line_of(k) for k in data} if hasattr(data, "line_of") else {}
    # (a value of the wrong type was reported and converted to None)
    attachments = tuple(_attachments(folder, values["attachments"] or [], source, problems))
    _warn_unlisted_files(folder, attachments, problems)
    # Errors in the front matter make the document unusable; errors in individual task
    # rows do not, so that unit names in the other rows are still checked in this pass.
    if len(problems.errors) > before or not values["title"] or not values["disclosure"]:
        if (folder / "tasks.yaml").exists():
            load_tasks(folder / "tasks.yaml", problems)
        return None
    tasks = None
    if (folder / "tasks.yaml").exists():
        tasks = load_tasks(folder / "tasks.yaml", problems)
    html, headings = convert_body(md, body, body_line, source, problems)
    if not body.strip():
        problems.warning(source, body_line, "正文是空的", "在第二个 --- 之后写上文件正文。")
    return Document(
        id=doc_id, source=source, title=values["title"], index_no=values["index_no"],
        doc_no=values["doc_no"], issuer=values["issuer"], topic=values["topic"],
        written=values["written"], published=values["published"], validity=values["validity"],
        disclosure=values["disclosure"], doc_type=values["doc_type"],
        keywords=tuple(values["keywords"]), unit_scope=values["unit_scope"],
        attachments=attachments, tasks_note=values["tasks_note"], draft=values["draft"],
        body_html=html, heading_rows=tuple((h.level, h.anchor, h.text) for h in headings),
        tasks=tasks, lines=lines, needs_interpretation=values["needs_interpretation"],
        superseded_by=values["superseded_by"],
        aliases=tuple(values["aliases"]), withdrawn=values["withdrawn"],
        withdrawn_note=values["withdrawn_note"],
        privacy=(document_findings(scanner, source, data, body, body_line,
                                   tasks.source if tasks is not None else None, problems.root)
                 if scanner is not None else ()),
    )


def _bad_file_name(name: str) -> str:
    # A control character or an unpaired surrogate (possible through YAML escapes) in a
    # file name makes the file system calls below fail with an exception.
    if any(not ch.isprintable() for ch in name):
        return "文件名中有不可见的控制字符"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "文件名中有无效的字符"
    return ""


def _attachments(folder: Path, entries: list[dict], source: Path,
                 problems: Problems) -> list[Attachment]:
    out = []
    for entry in entries:
        name = entry.get("file")
        if name is not None:
            if "/" in name or "\\" in name or name.startswith(".") or name in SOURCE_FILES:
                problems.error(source, entry["_line"], f"附件文件名 “{name}” 不可用",
                               "附件放在文档文件夹里，file: 只写文件名，例如 file: 任务分工表.pdf。")
                continue
            if (folder / name).is_symlink():
                # A link could publish any file on the machine (or change after checking).
                problems.error(source, entry["_line"], f"附件 “{name}” 是符号链接，不能发布",
                               "把文件本身复制到文档文件夹里。")
                continue
            if not (folder / name).is_file():
                problems.error(source, entry["_line"], f"找不到附件文件 “{name}”",
                               f"把文件放进 {problems.rel(folder)}/，或改正 file: 的文件名（注意大小写和扩展名）。")
                continue
        if entry.get("title"):
            out.append(Attachment(entry["title"], name, entry.get("note"), entry["_line"]))
    return out


def _warn_unlisted_files(folder: Path, attachments: tuple[Attachment, ...],
                         problems: Problems) -> None:
    # A file dropped into a document folder is not published unless it is listed: that
    # keeps drafts and scans that were never meant for the public off the site.
    listed = {a.file for a in attachments if a.file}
    for path in sorted(folder.iterdir()):
        if (path.name in SOURCE_FILES or path.name in listed or path.name in IGNORED_FILES
                or is_editor_temp(path.name)):
            continue
        if path.is_file():
            problems.warning(path, None, "这个文件没有在 attachments 中列出，不会发布",
                             "要发布它，在 index.md 的 attachments 里加一项 {title: …, file: " + path.name + "}。")
