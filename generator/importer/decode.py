"""Reading a source file: size and binary checks, encoding detection, newlines.

Government pages and text copies come in UTF-8 (with or without BOM), GBK/GB2312 or
GB18030, and occasionally UTF-16 from Windows Notepad. Detection is deliberately
simple and deterministic: a BOM decides; otherwise strict UTF-8; otherwise the charset
an HTML page declares; otherwise strict GB18030 (a superset of GB2312 and GBK). Chinese
text that is valid in two of these is practically impossible, so no statistical
detector is needed, and a file that none of them decodes is refused with the line of
the first bad byte rather than decoded with replacement characters (which would lose
text silently).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

# Far beyond any real page; keeps a wrong path (a video, a disk image) from being read.
MAX_BYTES = 16 * 1024 * 1024

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".mht"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<meta|<body|<div|<table|<p[\s>])", re.I)


class SourceError(Exception):
    """A file that cannot be imported; the message names the file and what to do."""

    def __init__(self, path: Path | str, message: str, hint: str = "", line: int | None = None):
        super().__init__(message)
        self.path = str(path)
        self.message = message
        self.hint = hint
        self.line = line

    def format(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: 错误: {self.message}"
        if self.hint:
            text += f"\n    提示: {self.hint}"
        return text


@dataclass(frozen=True)
class Decoded:
    """A decoded file: its text (newlines normalised) and what it was."""

    text: str
    encoding: str          # "UTF-8", "UTF-8 (BOM)", "GB18030" …
    is_html: bool


def _codec_name(declared: str) -> str | None:
    """Python codec for a declared charset; GB2312/GBK are read as their superset."""
    name = declared.lower().replace("_", "-")
    if name in ("gb2312", "gbk", "gb-2312", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"):
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _bad_line(data: bytes, error: UnicodeDecodeError) -> int:
    return data[: error.start].count(b"\n") + 1


def looks_like_html(path: Path, text: str) -> bool:
    return path.suffix.lower() in HTML_SUFFIXES or bool(_HTML_START.match(text[:500]))


def read_source(path: Path, encoding: str | None = None) -> Decoded:
    """Read and decode ``path``; raise :class:`SourceError` with a clear message."""
    try:
        if path.is_dir():
            raise SourceError(path, "这是一个文件夹，不是文件",
                              "给出要导入的文件，例如 gongkai import 下载/通知.html；多个文件用空格隔开。")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(path, f"文件过大（{size // 1024 // 1024} MB），不像是一篇网页或文件正文",
                              "检查文件名是否写错；只导入保存的网页（.html）或复制的文本（.txt）。")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "找不到这个文件", "检查路径和文件名（注意扩展名）。") from None
    except PermissionError:
        raise SourceError(path, "没有读取这个文件的权限", "检查文件权限，或先把文件复制到自己的文件夹。") from None
    except OSError as e:
        raise SourceError(path, f"无法读取文件：{e.strerror}", "检查文件是否存在、是否可读。") from None
    if not data.strip():
        raise SourceError(path, "文件是空的", "检查是否保存了网页内容，或复制的文字是否已粘贴并保存。")
    text, name = _decode(path, data, encoding)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SourceError(path, "文件中有空字符（\\0），不是文本文件或网页", line=line,
                          hint="PDF、Word、图片不能直接导入：先在原网站上打开网页另存为 .html，或复制正文到 .txt。")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text, name, looks_like_html(path, text))


def _decode(path: Path, data: bytes, forced: str | None) -> tuple[str, str]:
    if forced:
        codec = _codec_name(forced)
        if codec is None:
            raise SourceError(path, f"不认识的编码名称 “{forced}”", "常用的有 utf-8、gbk、gb18030。")
        try:
            return data.decode(codec), forced.upper()
        except UnicodeDecodeError as e:
            raise SourceError(path, f"文件不能按 {forced} 解码", line=_bad_line(data, e),
                              hint="去掉 --encoding 让程序自动识别，或换一个编码名称。") from None
    for bom, codec, label in ((codecs.BOM_UTF8, "utf-8", "UTF-8（带 BOM）"),
                              (b"\x84\x31\x95\x33", "gb18030", "GB18030（带 BOM）"),
                              (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE（带 BOM）"),
                              (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE（带 BOM）")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), label
            except UnicodeDecodeError as e:
                raise SourceError(path, f"文件开头标明是 {label}，但内容不是有效的 {codec}",
                                  line=_bad_line(data[len(bom):], e),
                                  hint="用编辑器把文件另存为 UTF-8 后再导入。") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        first_error = utf8_error
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        codec = _codec_name(declared.group(1).decode("ascii", "replace"))
        if codec and codec != "utf-8":
            try:
                label = declared.group(1).decode("ascii").upper()
                return data.decode(codec), f"{label}（网页声明）"
            except UnicodeDecodeError:
                pass
    try:
        return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as e:
        line = max(_bad_line(data, first_error), _bad_line(data, e))
        raise SourceError(path, "无法识别文件的编码：既不是 UTF-8，也不是 GBK/GB18030", line=line,
                          hint="文件可能已损坏，或是其他编码（如 Big5）。用浏览器重新保存网页，"
                               "或用编辑器另存为 UTF-8；知道编码时可用 --encoding 指定。") from None
