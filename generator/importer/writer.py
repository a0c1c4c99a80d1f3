"""Writing an imported document: index.md (front matter + Markdown body) and tasks.yaml.

The body is written as published, one paragraph per blank-line-separated block, and
made safe for Markdown: a paragraph must not turn into a list, quote, heading or code
block by accident (a leading ``#``, ``-``, ``>``, ``1. ``), and ``*``, ``_``, `` ` ``,
``[`` must not start emphasis, code or links. Numbered paragraphs keep their number at
the start with no space after ``1.``, so that the generator's numbering extension
(:mod:`generator.numbering`) makes them headings with stable anchors.

YAML scalars are written plain when that reads back as the same text and double-quoted
(JSON-style escapes, valid YAML) otherwise; the result is read back with the
generator's own loader in the tests.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..yamlload import YamlProblem, load_yaml
from .model import Para, TaskTable

FRONT_ORDER = ("title", "index_no", "doc_no", "issuer", "topic", "written", "published", "validity",
               "disclosure", "doc_type", "keywords", "unit_scope", "attachments", "tasks_note")
_INLINE = re.compile(r"([\\`*_\[\]])")
_BLOCK_START = re.compile(r"^([#>+\-*=]|\d+[.)]\s)")
_NUMBER_SPACE = re.compile(r"^(\d{1,2}[.．])[ \t\u3000]+(?=\S)")
_EDGE_SPACE = " \t\u3000\xa0"


# Characters PyYAML does not accept unescaped, and the YAML line breaks (NEL, LS, PS),
# which a double-quoted scalar would fold into spaces.
_YAML_ESCAPE = re.compile("[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_char(m: re.Match[str]) -> str:
    o = ord(m.group(0))
    return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(o) or (
        f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar for any text."""
    return '"' + _YAML_ESCAPE.sub(_escape_char, text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def yaml_scalar(value: Any) -> str:
    """One YAML scalar that reads back (with generator.yamlload) as ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text and text == text.strip() and "\n" not in text and not re.search(r"[#:]\s|\s#|[:]$", text) \
            and text[0] not in "-?:,[]{}#&*!|>'\"%@`~" and not text.endswith(":"):
        try:
            if load_yaml(f"k: {text}\n").get("k") == text:
                return text
        except YamlProblem:
            pass
    return yaml_quoted(text)


def _mapping(data: dict[str, Any], indent: str, first_prefix: str | None = None) -> list[str]:
    out: list[str] = []
    for n, (key, value) in enumerate(data.items()):
        lead = first_prefix if (n == 0 and first_prefix is not None) else indent
        if isinstance(value, list):
            out.append(f"{lead}{key}:")
            for item in value:
                if isinstance(item, dict):
                    out.extend(_mapping(item, indent + "    ", indent + "  - "))
                else:
                    out.append(f"{indent}  - {yaml_scalar(item)}")
        else:
            out.append(f"{lead}{key}: {yaml_scalar(value)}")
    return out


def front_matter(meta: dict[str, Any]) -> str:
    ordered = {k: meta[k] for k in FRONT_ORDER if k in meta and meta[k] not in (None, "", [])}
    return "---\n" + "\n".join(_mapping(ordered, "")) + "\n---\n"


def tasks_yaml(table: TaskTable) -> str:
    head: dict[str, Any] = {}
    if table.caption:
        head["caption"] = table.caption
    lines = _mapping(head, "") if head else []
    lines.append("tasks:")
    for row in table.rows:
        lines.extend(_mapping(row.as_yaml_dict(), "    ", "  - "))
    return "\n".join(lines) + "\n"


# "<" would be raw HTML (rejected or sanitised under some raw_html policies, an autolink
# in <http://…>) and "&amp;"-like text would be read as an entity: both are written as
# character references, so that the page shows exactly the source text.
_MARKUP = re.compile(r"<|&(?=#?[0-9A-Za-z]+;)")
_REFERENCES = {"<": "&lt;", "&": "&amp;"}


def markup_changes(text: str) -> list[tuple[str, str]]:
    """The (before, after) replacements :func:`escape_paragraph` makes for markup."""
    return [(m.group(0), _REFERENCES[m.group(0)]) for m in _MARKUP.finditer(text)]


def escape_paragraph(text: str) -> str:
    """A paragraph made safe for Markdown (see the module docstring)."""
    t = text.strip(_EDGE_SPACE)
    t = re.sub(r"\s*\n\s*", " ", t)
    t = _NUMBER_SPACE.sub(r"\1", t)
    t = _INLINE.sub(r"\\\1", t)
    t = _MARKUP.sub(lambda m: _REFERENCES[m.group(0)], t)
    if _BLOCK_START.match(t):
        # "1. xx" (3+ digits) or "# xx": escape the character that starts the block
        m = re.match(r"^(\d+)([.)])", t)
        t = f"{m.group(1)}\\{t[len(m.group(1)):]}" if m else "\\" + t
    return t


def _table(rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return escape_paragraph(text).replace("|", "\\|") or " "
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    out = ["| " + " | ".join(cell(c) for c in rows[0]) + " |",
           "|" + "|".join(" --- " for _ in range(width)) + "|"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(out)


def markdown_body(paras: list[Para]) -> str:
    blocks: list[str] = []
    for p in paras:
        if p.kind == "h2":
            blocks.append("## " + escape_paragraph(p.text))
        elif p.kind == "table" and p.rows:
            blocks.append(_table(p.rows))
        elif p.kind == "lines":
            # several lines in one paragraph (附件：1.… / 2.…): hard line breaks keep the
            # later lines from being read as numbered parts
            blocks.append("  \n".join(escape_paragraph(l) for l in p.text.split("\n") if l.strip()))
        elif p.text.strip(_EDGE_SPACE):
            blocks.append(escape_paragraph(p.text))
    return "\n\n".join(b for b in blocks if b) + "\n"


def index_md(meta: dict[str, Any], paras: list[Para]) -> str:
    return front_matter(meta) + markdown_body(paras)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gongkai-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_document(folder: Path, texts: dict[str, str], files: list[tuple[str, str]]) -> list[Path]:
    """Create the document folder (it must not exist) and write its files."""
    folder.mkdir(parents=True)
    written = []
    for name, text in texts.items():
        write_atomic(folder / name, text)
        written.append(folder / name)
    for src, name in files:
        shutil.copyfile(src, folder / name)
        written.append(folder / name)
    return written
