"""Reading source files: encoding checks and front matter, with editor-friendly errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..problems import Problems
from ..yamlload import YamlProblem, load_yaml

# Sources far beyond any real document are refused before parsing, so that a stray
# multi-gigabyte file cannot stall a build.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


def read_text(path: Path, problems: Problems) -> str | None:
    """Read a UTF-8 source (BOM and CRLF tolerated); report and return None otherwise."""
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.error(path, None, f"无法读取文件：{e.strerror}", "检查文件是否存在、是否有读取权限。")
        return None
    if len(data) > MAX_SOURCE_BYTES:
        problems.error(path, None, f"文件过大（{len(data) // 1024} KB）",
                       f"源文件不应超过 {MAX_SOURCE_BYTES // 1024 // 1024} MB；附件请放在文档文件夹并在 attachments 中列出。")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        hint = "用编辑器把文件另存为 UTF-8 编码。"
        try:
            data.decode("gb18030")
            hint = "文件似乎是 GBK/GB18030 编码：用编辑器把它另存为 UTF-8 编码。"
        except UnicodeDecodeError:
            pass
        problems.error(path, line, "文件不是有效的 UTF-8 编码", hint)
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
