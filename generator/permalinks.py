"""Permanent addresses: old-address aliases, the permalink ledger and server redirect maps.

Addresses printed as QR codes must keep working for years. Every page's address comes
from its permanent id; ``aliases`` keep old addresses alive as redirect pages (and as
real 301s through the nginx/Apache maps); and ``content/permalinks.lock`` records every
document and interpretation address ever published, so that a build which would drop
one fails and says how to keep it.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .problems import Problems

LEDGER = "permalinks.lock"
LEDGER_HEADER = (
    "# Gongkai 永久地址记录：由 gongkai build 写入，请与内容一起提交（git commit）。\n"
    "# 每一行是一个曾经发布过的地址。不要删除行：地址一旦印在二维码上就要长期有效。\n"
    "# 地址\t类型\t标识\n"
)
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/\-\u4e00-\u9fff]+$")


class LedgerEntry(NamedTuple):
    """One line of the ledger (a tuple: the build cache keeps 10,000 of them)."""

    url: str
    kind: str
    ident: str
    line: int


def normalise_alias(alias: str, base_path: str) -> tuple[str | None, str]:
    """An old address as a site-relative path (``old/a.html`` or ``old/dir/``), or an error."""
    text = alias.strip()
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        text = parts.path          # a full old URL: only its path matters on this site
    elif parts.query or parts.fragment:
        return None, f"旧地址 “{alias}” 带有 ? 或 #，静态网站无法为它生成页面"
    path = unquote(text)
    if path.startswith(base_path):
        path = path[len(base_path):]
    path = path.lstrip("/")
    if not path:
        return None, f"旧地址 “{alias}” 指向网站首页"
    clean = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
    if clean.startswith("..") or "/../" in f"/{clean}/" or not _SAFE_PATH.match(clean):
        return None, f"旧地址 “{alias}” 含有不能用于文件名的字符"
    if not clean.endswith("/") and "." not in posixpath.basename(clean):
        clean += "/"               # an address without extension is served as a folder
    return clean, ""


def read_ledger(content_dir: Path, problems: Problems) -> list[LedgerEntry]:
    """Entries recorded in ``content/permalinks.lock`` (empty when there is none yet)."""
    path = content_dir / LEDGER
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            problems.error(path, number, "永久地址记录的这一行格式不对",
                           "每行是“地址<Tab>类型<Tab>标识”；如果文件损坏，用版本库中的上一版本恢复它。")
            continue
        entries.append(LedgerEntry(fields[0], fields[1], fields[2], number))
    return entries


def ledger_text(entries: dict[str, tuple[str, str]]) -> str:
    """The ledger file for ``{url: (kind, id)}``, sorted so that diffs stay small."""
    lines = [f"{url}\t{kind}\t{ident}\n" for url, (kind, ident) in sorted(entries.items())]
    return LEDGER_HEADER + "".join(lines)


def check_ledger(recorded: list[LedgerEntry], live: set[str], ledger_path: Path,
                 problems: Problems) -> None:
    """Every recorded address must still be served: as a page, a redirect or a withdrawn notice."""
    for entry in recorded:
        if entry.url in live:
            continue
        if entry.kind == "interpretation":
            fix = (f"如果解读改了标识，在新解读的 aliases 中加上 {entry.url}；"
                   f"如果解读已撤销，恢复 content/interpretations/{entry.ident} 并写 withdrawn: 撤销日期。")
        else:
            fix = (f"如果文档改了标识，在新文档的元数据里加上 aliases: [{entry.url}]；"
                   f"如果文档已撤销，恢复 content/documents/{entry.ident}/ 并在元数据写 withdrawn: 撤销日期"
                   "（页面会说明已撤销及撤销时间）。")
        problems.error(ledger_path, entry.line,
                       f"地址 {entry.url} 已经发布过，但这次构建不再生成它（原来是{_KIND.get(entry.kind, entry.kind)} {entry.ident}）",
                       fix + "二维码和旧链接都指向这个地址，不能让它失效。")


_KIND = {"document": "文档", "interpretation": "解读"}


def nginx_map(redirects: dict[str, str], base_path: str) -> str:
    """``location = /old { return 301 /new; }`` blocks for nginx's server block."""
    out = ["# Gongkai 生成：旧地址永久重定向（301）。在 nginx 的 server {} 中 include 本文件。\n"]
    for old, new in sorted(redirects.items()):
        out.append(f"location = {_url(base_path + old)} {{ return 301 {_url(base_path + new)}; }}\n")
    return "".join(out)


def apache_map(redirects: dict[str, str], base_path: str) -> str:
    """``Redirect permanent /old /new`` lines for Apache (httpd.conf or .htaccess)."""
    out = ["# Gongkai 生成：旧地址永久重定向（301）。放入 Apache 配置或 .htaccess（需要 mod_alias）。\n"]
    for old, new in sorted(redirects.items()):
        out.append(f'Redirect permanent "{_url(base_path + old)}" "{_url(base_path + new)}"\n')
    return "".join(out)


def _url(path: str) -> str:
    return quote(path, safe="/:._-~!$&'()*+,;=@%")


@dataclass
class Addresses:
    """Redirects from old addresses and the ledger as it should be after this build."""

    redirects: dict[str, tuple[str, str, Path]]      # old url -> (target url, target title, source)
    ledger: dict[str, tuple[str, str]]               # url -> (kind, id)
    ledger_changed: bool


def resolve_addresses(content_dir: Path, base_path: str, documents, withdrawn, interpretations,
                      problems: Problems, recorded: list[LedgerEntry] | None = None) -> Addresses:
    """Aliases → redirects; check the ledger; compute the ledger after this build.

    ``recorded``: the ledger's entries when the caller has read them (:func:`read_ledger`)."""
    live: dict[str, tuple[str, str]] = {}
    for doc in documents:
        live[doc.url] = ("document", doc.id)
    for doc in withdrawn:
        live[doc.url] = ("document", doc.id)
    for it in interpretations:
        live[it.url] = ("interpretation", it.id)
    redirects: dict[str, tuple[str, str, Path]] = {}
    for item in (*documents, *interpretations, *withdrawn):
        line = item.lines.get("aliases")
        for alias in item.aliases:
            old, why = normalise_alias(alias, base_path)
            if old is None:
                problems.error(item.source, line, why, "旧地址写成站内路径，例如 documents/旧标识/ 或 /art/2024/6/26/art_1.html。")
                continue
            if old in live:
                kind, ident = live[old]
                problems.error(item.source, line, f"旧地址 {old} 是现有{_KIND[kind]} {ident} 的地址",
                               "一个地址只能属于一个页面；删去这个旧地址。")
                continue
            if old in redirects and redirects[old][0] != item.url:
                problems.error(item.source, line, f"旧地址 {old} 同时被两个页面声明",
                               f"它已经重定向到 {redirects[old][0]}；删去其中一个。")
                continue
            redirects[old] = (item.url, item.title, item.source)
    ledger_path = content_dir / LEDGER
    if recorded is None:
        recorded = read_ledger(content_dir, problems)
    served = set(live) | set(redirects)
    check_ledger(recorded, served, ledger_path, problems)
    ledger = {e.url: (e.kind, e.ident) for e in recorded}
    before = dict(ledger)
    for url, value in live.items():
        ledger.setdefault(url, value)
    return Addresses(redirects, ledger, ledger != before or not ledger_path.is_file())


def write_ledger(content_dir: Path, ledger: dict[str, tuple[str, str]]) -> None:
    """Write the ledger atomically (it is a source file the editor commits)."""
    path = content_dir / LEDGER
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(ledger_text(ledger), encoding="utf-8")
    tmp.replace(path)
