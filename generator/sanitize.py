"""Markup safety for document bodies: raw-HTML policy, link schemes and parser limits.

A body is Markdown that editors paste from portals and word processors, so it must be
treated as untrusted. :func:`convert_body` turns it into HTML and enforces, with
``path:line`` problems:

* the raw-HTML policy of ``config.yaml`` (``raw_html``): ``escape`` (default: HTML is
  shown as text), ``sanitize`` (an allowlist applied by nh3, the Ammonia sanitiser) or
  ``reject`` (any HTML tag is an error);
* links and images: ``javascript:``, ``vbscript:`` and ``data:`` addresses are errors,
  however they are disguised (case, white space, control characters, HTML entities,
  percent-encoding, full-width letters);
* limits that keep Python-Markdown from pathological slowness or deep recursion.

:func:`link_problem` is the same scheme check for single values (config links,
attachment file names).
"""
from __future__ import annotations

import html as htmlmod
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import markdown
import nh3

from .numbering import Heading
from .problems import Problems

RAW_HTML_POLICIES = ("escape", "sanitize", "reject")
DANGEROUS_SCHEMES = ("javascript", "vbscript", "data")
SAFE_SCHEMES = ("http", "https", "mailto", "tel", "ftp", "ftps", "sms")

# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = frozenset({
    "href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "background",
    "cite", "longdesc", "data", "lowsrc", "dynsrc", "codebase", "archive", "ping",
    "manifest", "icon", "profile", "usemap", "classid", "itemtype",
})
# Attributes that may carry a URL inside other text (url(...), 0;url=...).
EMBEDDING_ATTRIBUTES = frozenset({"style", "content"})
# Most bodies have no link at all: only HTML where one of these attributes may start
# (after white space, "/" or a quote, as html.parser reads them) is parsed in full.
_MAYBE_URL_ATTRIBUTE = re.compile(
    r"[\s/\"'](?:" + "|".join(map(re.escape, sorted(URL_ATTRIBUTES | EMBEDDING_ATTRIBUTES, key=len, reverse=True)))
    + r"|on\w+)\s*=", re.I)

# What ``raw_html: sanitize`` keeps: the elements Markdown itself produces plus harmless
# inline and table markup. No scripts, styles, forms, frames, media or SVG; no event
# handlers; style only for text-align (Markdown tables use it); ids only on headings and
# paragraphs (the numbering anchors).
SANITIZE_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
})
SANITIZE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type"},
    **{f"h{i}": {"id"} for i in range(1, 7)},
    "p": {"id"},
}

# Python-Markdown's inline parser rescans the rest of a paragraph for every "[" that
# does not close, and re-slices the text for every emphasis or code match: time grows
# with (paragraph length × such characters). 20,000 "[" in one paragraph take a minute.
# Real paragraphs cost under 10^6 units; the limit allows about two seconds.
_BRACKET_WEIGHT = 100
MAX_BLOCK_COST = 4_000_000_000
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_SPECIALS = re.compile(r"[*_`<&!]")

_STASH = re.compile("\x02wzxhzdk:(\\d{1,9})\x03")
_ESCAPED = re.compile("\x02(\\d{1,7})\x03")       # a backslash-escaped character, by code point
_ENTITY = re.compile(r"^&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);$")
_TAG_NAME = re.compile(r"<\s*/?\s*([a-zA-Z][\w:-]*)")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# Characters a browser ignores inside or around a URL (tab, newline, other controls),
# and invisible format characters that would hide a scheme from a reader.
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def configure_markdown(md: markdown.Markdown, policy: str) -> None:
    """Set up ``md`` for a raw-HTML policy (see the module docs)."""
    if policy not in RAW_HTML_POLICIES:
        policy = "escape"
    md.gongkai_raw_html = policy  # type: ignore[attr-defined]
    if policy == "escape":
        # Raw HTML is escaped rather than passed through: editors paste text from
        # portals, and a pasted <script> must never reach readers.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


# ---------------------------------------------------------------- link schemes

def normalise_url(url: str) -> str:
    """A URL as a browser would read its scheme: decoded, invisible characters removed, lower case.

    Decoding is repeated (entities and percent-escapes can be nested, ``&amp;#106;``), and
    full-width letters are folded, so that no spelling of ``javascript:`` survives.
    """
    text = url
    for _ in range(4):
        decoded = unquote(htmlmod.unescape(text))
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    return text.lower()


def url_scheme(url: str) -> str | None:
    """The scheme of ``url`` after normalisation (``javascript``), or None for a relative URL."""
    m = _SCHEME.match(normalise_url(url))
    return m.group(1) if m else None


def is_dangerous(url: str) -> bool:
    return url_scheme(url) in DANGEROUS_SCHEMES


def link_problem(value: str) -> str:
    """Schema check for a single link value: an error message, or "" when it is safe."""
    scheme = url_scheme(value)
    if scheme in DANGEROUS_SCHEMES:
        return f"链接 “{_short(value)}” 使用了不允许的 {scheme}: 协议"
    return ""


def _short(text: str, limit: int = 60) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _embedded_dangerous(value: str) -> str | None:
    norm = normalise_url(value)
    for scheme in DANGEROUS_SCHEMES:
        if re.search(rf"(?:^|[^a-z0-9+.\-]){scheme}:", norm):
            return scheme
    return None


class _UrlCollector(HTMLParser):
    """Every URL-bearing attribute value in a fragment, entity-decoded as browsers do."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []      # (tag, attribute, value)
        self.tags: list[tuple[str, list[str]]] = []      # (tag, attribute names)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [name for name, _ in attrs]))
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                parts = value.split(",") if name == "srcset" else [value]
                for part in parts:
                    self.urls.append((tag, name, part.strip().split(" ")[0] if name == "srcset" else part))
            elif name in EMBEDDING_ATTRIBUTES or name.startswith("on"):
                self.urls.append((tag, name, value))

    handle_startendtag = handle_starttag


def dangerous_links(fragment: str) -> list[tuple[str, str, str, str]]:
    """(tag, attribute, value, scheme) for every dangerous address in an HTML fragment."""
    if not _MAYBE_URL_ATTRIBUTE.search(fragment):
        return []
    parser = _UrlCollector()
    parser.feed(fragment)
    parser.close()
    found = []
    for tag, name, value in parser.urls:
        if name in URL_ATTRIBUTES:
            scheme = url_scheme(value)
            if scheme in DANGEROUS_SCHEMES:
                found.append((tag, name, value, scheme))
        else:
            scheme = _embedded_dangerous(value)
            if scheme:
                found.append((tag, name, value, scheme))
    return found


# ---------------------------------------------------------------- body conversion

def _line_of(body: str, body_line: int, needles: list[str]) -> int:
    """Line of the first needle found in the body, else the body's first line."""
    for needle in needles:
        if needle:
            idx = body.find(needle)
            if idx >= 0:
                return body_line + body.count("\n", 0, idx)
    return body_line


def _line_of_scheme(body: str, body_line: int, value: str, scheme: str) -> int:
    """Where a disguised link is: its raw text, else the first line that reads as the scheme."""
    for raw in (value, value[:40]):
        idx = body.find(raw) if raw else -1
        if idx >= 0:
            return body_line + body.count("\n", 0, idx)
    for i, line in enumerate(body.split("\n")):
        if f"{scheme}:" in normalise_url(line):
            return body_line + i
    return body_line


def check_cost(body: str, body_line: int) -> tuple[int, str, str] | None:
    """(line, message, hint) when a paragraph would make Markdown pathologically slow."""
    pos, line = 0, body_line
    worst: tuple[int, int, int, int] | None = None      # (cost, line, brackets, specials)
    for m in [*_BLOCK_SPLIT.finditer(body), None]:
        end = m.start() if m else len(body)
        block = body[pos:end]
        brackets = block.count("[") - block.count("\\[")
        specials = len(_SPECIALS.findall(block)) if len(block) > 2000 else 0
        cost = len(block) * (brackets * _BRACKET_WEIGHT + specials)
        if worst is None or cost > worst[0]:
            worst = (cost, line, brackets, specials)
        if m:
            line += body.count("\n", pos, m.end())
            pos = m.end()
    if worst and worst[0] > MAX_BLOCK_COST:
        _, at, brackets, specials = worst
        return (at, f"这一段太长且 Markdown 符号太多（{brackets} 个 [，{specials} 个 * _ ` < & ! 等），无法在合理时间内处理",
                "用空行把长段落分开；普通文字中的方括号请用全角【】或〔〕，或在 [ 、* 前加反斜杠 \\。")
    return None


def _unstash(text: str, md: markdown.Markdown) -> str:
    """Heading text with Markdown's placeholders replaced by what they stand for (as text).

    The numbering extension reads heading text before Python-Markdown puts back raw HTML,
    entities (&amp;) and backslash escapes (\\( ), so the table of contents would show
    the placeholders' control characters.
    """
    blocks = md.htmlStash.rawHtmlBlocks

    def put_back(m: re.Match) -> str:
        i = int(m.group(1))
        raw = blocks[i] if i < len(blocks) and isinstance(blocks[i], str) else ""
        return htmlmod.unescape(re.sub(r"<[^>]*>", "", raw))
    text = _STASH.sub(put_back, text)
    return _ESCAPED.sub(lambda m: chr(int(m.group(1))) if int(m.group(1)) < 0x110000 else "", text)


def _raw_html(md: markdown.Markdown) -> list[str]:
    """The raw HTML Markdown passed through (entities such as &amp; are not HTML)."""
    return [b for b in md.htmlStash.rawHtmlBlocks
            if isinstance(b, str) and not _ENTITY.match(b.strip())]


def sanitize_html(fragment: str) -> str:
    """Apply the ``raw_html: sanitize`` allowlist with nh3."""
    return nh3.clean(
        fragment, tags=set(SANITIZE_TAGS), clean_content_tags={"script", "style"},
        attributes=SANITIZE_ATTRIBUTES, url_schemes=set(SAFE_SCHEMES), link_rel=None,
        strip_comments=True, filter_style_properties={"text-align"},
    )


def _report_removed(raw_blocks: list[str], body: str, body_line: int, path: Path | str,
                    problems: Problems) -> None:
    """Tell the editor which pasted tags and attributes the sanitiser removed."""
    seen: set[str] = set()
    for block in raw_blocks:
        parser = _UrlCollector()
        try:
            parser.feed(block)
            parser.close()
        except Exception:      # html.parser is lenient; this is only for the message
            continue
        for tag, attrs in parser.tags:
            allowed = SANITIZE_ATTRIBUTES.get(tag, set()) | SANITIZE_ATTRIBUTES["*"]
            removed = [f"<{tag}>"] if tag not in SANITIZE_TAGS else []
            removed += [f"<{tag} {a}>" for a in attrs if tag in SANITIZE_TAGS and a not in allowed]
            for what in removed:
                if what in seen:
                    continue
                seen.add(what)
                problems.warning(path, _line_of(body, body_line, [f"<{tag}", block.strip()[:40]]),
                                 f"正文中的 HTML {what} 不被允许，发布时已删除",
                                 "删去它或改用 Markdown；只允许段落、标题、列表、表格、链接、图片、加粗等基本标记。")


def convert_body(md: markdown.Markdown, body: str, body_line: int, path: Path | str,
                 problems: Problems) -> tuple[str, tuple[Heading, ...]]:
    """Markdown body → safe HTML and headings; every problem is reported with its line."""
    policy = getattr(md, "gongkai_raw_html", "escape")
    too_costly = check_cost(body, body_line)
    if too_costly:
        problems.error(path, *too_costly)
        return "", ()
    md.reset()
    try:
        html = md.convert(body)
    except RecursionError:
        problems.error(path, body_line, "正文的列表或引用嵌套太深，无法处理",
                       "检查行首的缩进、“- ”“1. ”和“> ”：正文不需要几十层嵌套。")
        return "", ()
    headings = tuple(Heading(h.level, h.anchor, _unstash(h.text, md))
                     for h in getattr(md, "gongwen_headings", ()))
    raw_blocks = _raw_html(md) if policy != "escape" else []
    if policy == "reject":
        reported: set[int] = set()
        for block in raw_blocks:
            line = _line_of(body, body_line, [block.strip().split("\n")[0], block.strip()[:20]])
            if line in reported:          # <b> and </b> on one line: one message
                continue
            reported.add(line)
            m = _TAG_NAME.search(block)
            shown = f"<{m.group(1)}>" if m else _short(block.strip(), 20)
            problems.error(path, line,
                           f"正文中有 HTML 标记 {shown}，本站不接受正文中的 HTML（raw_html: reject）",
                           "删去 HTML 标记，改用 Markdown（空行分段、**加粗**、[文字](地址)、Markdown 表格）；"
                           "如确需 HTML，请网站管理员在 config.yaml 中把 raw_html 改为 sanitize。")
    dangerous = dangerous_links(html)
    for tag, name, value, scheme in dangerous:
        problems.error(path, _line_of_scheme(body, body_line, value, scheme),
                       f"链接 “{_short(value)}” 使用了不允许的 {scheme}: 协议（<{tag} {name}>）",
                       "正文中的链接只能是网址（https://…）、邮箱（mailto:…）或站内地址；"
                       "图片请作为文件放进文档文件夹，并在 attachments 中列出。")
    if policy == "sanitize" and raw_blocks:
        _report_removed(raw_blocks, body, body_line, path, problems)
    # The errors above stop the build; the HTML kept in memory is made safe all the same.
    if policy == "sanitize" or dangerous or raw_blocks:
        html = sanitize_html(html)
    return html, headings
