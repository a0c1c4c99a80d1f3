"""Data passed between the importer's stages.

A source file (saved HTML page or copied text) becomes a :class:`SourceDoc`: the
document text as an ordered list of :class:`Piece` (every piece of text of the page,
once), lines that refer to those pieces, and tables (:class:`Grid`) whose cells refer
to them. Clean-up rewrites the pieces in place; recognition reads lines and grids and
produces an :class:`ImportedDoc` (front matter, body paragraphs, task rows) for the
writer. Keeping every character in exactly one piece is what makes the "no text lost"
accounting in :mod:`generator.importer.report` possible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where a line sits on a page, from the HTML structure (plain text has only "body").
ZONE_BODY = "body"
ZONE_HEAD = "head"          # <title> in <head>: the browser tab, never document text
ZONE_CHROME = "chrome"      # inside <nav>, <footer>, a breadcrumb or share bar …


@dataclass
class Link:
    """A hyperlink inside a piece of text: its text and target (for attachments)."""

    text: str
    href: str


@dataclass
class Piece:
    """One run of source text: a line of a text file, an HTML block or table cell line."""

    text: str
    line: int               # 1-based line in the source file
    zone: str = ZONE_BODY
    tag: str = ""           # HTML tag of the block (h1, p, li, td …), "" for text files
    links: list[Link] = field(default_factory=list)


@dataclass
class Line:
    """A line of text outside tables; ``piece`` indexes :attr:`SourceDoc.pieces`."""

    piece: int


@dataclass
class Grid:
    """A table: rows of cells, each cell a list of piece indexes (its lines).

    HTML rowspan/colspan are already expanded, so a merged cell's pieces appear in
    every row and column it covers; ``spans`` records how many cells were filled so.
    """

    rows: list[list[list[int]]]
    line: int
    kind: str = "text"        # "html", "tab" (tab-indented text) or "pipe"
    spans: int = 0
    separator_chars: str = ""  # "|" and "---" of a pipe table: dropped, but counted


@dataclass
class SourceDoc:
    """Everything read from one file, in document order."""

    pieces: list[Piece]
    blocks: list[Line | Grid]
    kind: str                                 # "html" or "text"
    meta_tags: dict[str, str] = field(default_factory=dict)  # <meta name=… content=…>
    base_dir: str = ""                        # folder of the file (for linked attachments)

    def text(self, index: int) -> str:
        return self.pieces[index].text

    def line_text(self, line: Line) -> str:
        return self.pieces[line.piece].text

    def all_text(self) -> str:
        """Every piece once, one per line: the document text the accounting starts from."""
        return "\n".join(p.text for p in self.pieces)

    def cell_text(self, cell: list[int], sep: str = "\n") -> str:
        return sep.join(self.pieces[i].text for i in cell)


@dataclass
class Para:
    """A body paragraph as it will be written: ``kind`` is "p", "h2", "table" or "lines"."""

    kind: str
    text: str
    line: int | None = None
    rows: list[list[str]] | None = None      # for kind == "table"


@dataclass
class TaskRow:
    """One task as written to tasks.yaml (field names of docs/content-format.md)."""

    seq: int
    requirement: str
    units: list[str]
    section: str | None = None
    item: str | None = None
    units_note: str | None = None
    lead_units: list[str] = field(default_factory=list)
    deadline: str | None = None
    progress: str | None = None
    status: str | None = None
    line: int | None = None

    def as_yaml_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq}
        for key in ("section", "item", "requirement", "units", "units_note", "lead_units",
                    "deadline", "status", "progress"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


@dataclass
class TaskTable:
    """The task list found in a document, with how it was found (for the report)."""

    rows: list[TaskRow]
    caption: str | None
    source: str                      # "html", "tab", "pipe" or "parentheses"
    line: int | None
    columns: list[str] = field(default_factory=list)   # "序号→seq" …, for the report
    filled: dict[str, int] = field(default_factory=dict)  # merged cells filled per field
    notes: list[tuple[str, int | None]] = field(default_factory=list)  # rows above the header


@dataclass
class ImportedDoc:
    """What the recogniser produced for the writer."""

    meta: dict[str, Any]
    body: list[Para]
    tasks: TaskTable | None = None
    scope_name: str | None = None      # jurisdiction for a new units file (济南市历城区)
    attachment_files: list[tuple[str, str]] = field(default_factory=list)  # (src path, name)


@dataclass
class MetaValue:
    """A metadata value as found: normalised value, source line and how it was found."""

    value: Any
    line: int | None
    how: str


@dataclass
class Candidate:
    """One reading of the title or issuer; ``standalone`` when its text appears
    nowhere else in the output (a metadata value), so that it must be reported as
    dropped if another reading is chosen."""

    text: str
    line: int | None
    how: str
    standalone: bool = False


@dataclass
class Findings:
    """What the recogniser has found so far; :mod:`.decisions` turns it into metadata."""

    meta: dict[str, MetaValue] = field(default_factory=dict)
    titles: list[Candidate] = field(default_factory=list)
    issuers: list[Candidate] = field(default_factory=list)
    body: list[Para] = field(default_factory=list)
    tasks: TaskTable | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    signature_date: tuple[str, int] | None = None
    portal: bool = False               # the page showed portal chrome
