"""Reading source files: encoding checks and front matter, with editor-friendly errors.

Sources are UTF-8 (a BOM and CRLF line ends are tolerated). Files saved as GBK/GB18030
(Windows "ANSI" on a Chinese system) or UTF-16 ("Unicode" in Notepad) are recognised:
by default they are refused with a message saying how to convert them; with
``source_encoding: auto`` in config.yaml they are converted while reading, with a
warning. The policy is set for the duration of one load with :func:`source_encoding`.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator

from ..problems import Problems
from ..yamlload import YamlProblem, load_yaml

# Sources far beyond any real document are refused before parsing, so that a stray
# huge file cannot stall a build. The largest real sources are about 30 KB; the
# Markdown and YAML parsers need seconds per megabyte in their slow paths.
MAX_SOURCE_BYTES = 2 * 1024 * 1024

ENCODING_POLICIES = ("utf-8", "auto")
# A context variable rather than a parameter: every loader reads through read_text, and
# the policy is a property of the site being loaded, not of each call.
_POLICY: ContextVar[str] = ContextVar("gongkai_source_encoding", default="utf-8")

CONVERT_HINT = ("用编辑器把它另存为 UTF-8：记事本选“另存为”，编码选 UTF-8；WPS 或 VS Code 选"
                "“以编码保存/另存为 UTF-8”；命令行可用 iconv -f GB18030 -t UTF-8 原文件 > 新文件。"
                "也可以在 config.yaml 中写 source_encoding: auto，由 gongkai 自动转换。")

# Characters that make up real Chinese text decoded from GB18030: CJK ideographs and
# punctuation, full-width forms, general punctuation (“”…—), pinyin with tone marks, and the symbols GB2312
# carries (①, Ⅰ, ■, №, ℃, Greek, Cyrillic, kana). Random bytes that happen to decode
# land mostly elsewhere (rare extension ideographs, private use, four-byte codes).
_PLAUSIBLE = re.compile(
    "[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f\u00a0-\u02ff\u2100-\u22ff"
    "\u2460-\u27bf\u0391-\u03c9\u0401-\u0451\u3040-\u30ff\u3200-\u32ff\ufe30-\ufe4f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Three Chinese characters (or CJK punctuation / full-width forms) in UTF-8 in a row.
_UTF8_RUN = re.compile(rb"(?:[\xe3-\xe9][\x80-\xbf]{2}|\xef[\xbc-\xbd][\x80-\xbf]){3}")
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f]")


@contextmanager
def source_encoding(policy: str) -> Iterator[None]:
    """Read sources with ``policy`` ("utf-8" or "auto") inside the ``with`` block."""
    token = _POLICY.set(policy if policy in ENCODING_POLICIES else "utf-8")
    try:
        yield
    finally:
        _POLICY.reset(token)


# Files whose bytes were read for their digest just before they are parsed: parsed from
# those bytes, so that what is parsed is what the digest says (a save in between is seen
# by the next build) and a first build reads each source once, not twice.
_READ: ContextVar[dict[str, bytes] | None] = ContextVar("gongkai_sources_read", default=None)


@contextmanager
def already_read(files: dict[str, bytes]) -> Iterator[None]:
    """Inside the ``with`` block, :func:`read_text` takes a file named in ``files`` (path as
    a string → bytes) from there instead of reading it again."""
    token = _READ.set(files)
    try:
        yield
    finally:
        _READ.reset(token)


def _read_bytes(path: Path) -> bytes:
    read = _READ.get()
    data = read.get(str(path)) if read else None
    return data if data is not None else path.read_bytes()


def _line_at(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def classify_non_utf8(data: bytes) -> tuple[str, str | None]:
    """What a file that is not valid UTF-8 is: ("gbk", text), ("mixed", None) or ("unknown", None)."""
    # A paste from a UTF-8 page into a GBK file (or the reverse) leaves both encodings in
    # one file; converting it would silently turn one part into mojibake. GBK text forms
    # a valid three-byte UTF-8 character now and then by chance, but not three in a row.
    if _UTF8_RUN.search(data):
        return "mixed", None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return "unknown", None
    if _CONTROL.search(text):
        return "unknown", None
    non_ascii = len(_NON_ASCII_TEXT.findall(text))
    plausible = len(_PLAUSIBLE.findall(text))
    if non_ascii and plausible >= 0.95 * non_ascii:
        return "gbk", text
    return "unknown", None


def decode_source(data: bytes, path: Path | str, problems: Problems) -> str | None:
    """Decode a source's bytes by the current policy; report and return None when refused."""
    policy = _POLICY.get()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Notepad's "Unicode". 0xFF never starts a GBK or UTF-8 character, so this is sure.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            problems.error(path, None, "文件以 UTF-16 标记开头，但内容无法按 UTF-16 读取",
                           "用编辑器把文件另存为 UTF-8 编码。")
            return None
        if policy != "auto":
            problems.error(path, None, "文件是 UTF-16 编码（记事本的“Unicode”），不是 UTF-8", CONVERT_HINT)
            return None
        problems.warning(path, None, "文件是 UTF-16 编码，已自动转换读取",
                         "建议另存为 UTF-8，以免其他工具读错。")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _line_at(data, e.start)
        kind, text = classify_non_utf8(data)
    if kind == "gbk":
        if policy == "auto":
            problems.warning(path, None, "文件是 GBK/GB18030 编码，已自动转换为 UTF-8 读取",
                             "建议用编辑器另存为 UTF-8，以免其他工具读错。")
            return text
        problems.error(path, line, "文件是 GBK/GB18030 编码，不是 UTF-8",
                       "文件似乎是 GBK/GB18030 编码：" + CONVERT_HINT)
        return None
    if kind == "mixed":
        problems.error(path, line, "文件混用了 UTF-8 和另一种编码（如 GBK），不能自动转换",
                       "从这一行起的文字是用另一种编码粘贴进来的：在编辑器中找到乱码处，重新输入或粘贴，"
                       "然后把整个文件另存为 UTF-8。")
        return None
    problems.error(path, line, "文件不是有效的 UTF-8 编码",
                   "用编辑器把文件另存为 UTF-8 编码；Word、PDF、图片等文件请作为附件放在文档文件夹，"
                   "并在 attachments 中列出。")
    return None


def read_text(path: Path, problems: Problems) -> str | None:
    """Read a text source (see the module docs for encodings); report and return None otherwise."""
    try:
        data = _read_bytes(path)
    except OSError as e:
        problems.error(path, None, f"无法读取文件：{e.strerror or e}", "检查文件是否存在、是否有读取权限。")
        return None
    if len(data) > MAX_SOURCE_BYTES:
        problems.error(path, None, f"文件过大（{len(data) // 1024} KB）",
                       f"源文件不应超过 {MAX_SOURCE_BYTES // 1024 // 1024} MB；大的表格或附件请作为附件文件"
                       "放在文档文件夹，并在 attachments 中列出。")
        return None
    text = decode_source(data, path, problems)
    if text is None:
        return None
    if "\x00" in text:
        problems.error(path, text[: text.index("\x00")].count("\n") + 1,
                       "文件中有空字符（\\0），不是文本文件", "检查是否误把二进制文件放进了 content/。")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_yaml(path: Path, problems: Problems) -> Any:
    """Read a YAML source; report problems and return None when unreadable."""
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        return load_yaml(text)
    except YamlProblem as p:
        problems.error(path, p.line, p.message, p.hint)
        return None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split ``---`` front matter from the body: (yaml, body, body's first line number)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    return None


EDITOR_TEMP_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload", "~", ".bak", ".orig")


def is_editor_temp(name: str) -> bool:
    """Files editors and operating systems leave beside the ones being edited."""
    return (name.startswith((".", "~$", ".#")) or name.endswith(EDITOR_TEMP_SUFFIXES)
            or (name.startswith("#") and name.endswith("#")) or name == "4913"
            or name in ("Thumbs.db", "desktop.ini"))


def read_front_matter(source: Path, problems: Problems, keys_hint: str) -> tuple[Any, str, int] | None:
    """Read a Markdown source with ``---`` front matter: (metadata, body, body's first line).

    Reports unreadable files, missing front matter and YAML errors (with their line);
    ``keys_hint`` names the keys the editor should write, for the messages.
    """
    text = read_text(source, problems)
    if text is None:
        return None
    parts = split_front_matter(text)
    if parts is None:
        problems.error(source, 1, "缺少元数据（front matter）",
                       f"文件第一行写 ---，接着写元数据（{keys_hint}），再写一行 --- 结束，然后是正文。")
        return None
    front, body, body_line = parts
    try:
        data = load_yaml(front, line_offset=1)
    except YamlProblem as p:
        problems.error(source, p.line, p.message, p.hint)
        return None
    return data, body, body_line
