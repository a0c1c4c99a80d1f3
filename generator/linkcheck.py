"""Link checker: every internal link and anchor of a built site must resolve.

Inspectors count unreachable links, and printed QR codes point at our addresses, so a
broken internal link is a defect. The checker reads HTML pages (from the outputs of a
build held in memory, or from a built folder), collects every ``id`` and every link
(``a``/``area``/``link`` ``href``, ``img``/``script``/``source``/``iframe`` ``src``),
resolves each against the page's own address and checks that the target file exists
and, for ``#fragment`` links to HTML pages, that the target page has that id.
``sitemap.xml`` entries are checked too. External links (another host, ``mailto:``,
``tel:``) are not fetched.

``gongkai check`` and ``gongkai build`` report broken links as warnings, or as errors
with ``--strict`` (then a build writes nothing). ``python -m generator.linkcheck
output/`` checks a folder that is already built.
"""
from __future__ import annotations

import argparse
import html as htmlmod
import os
import posixpath
import re
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urlsplit

from .problems import Problems
from .writer import Kept, content_bytes

LINK_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src",), "script": ("src",),
    "source": ("src",), "iframe": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "embed": ("src",), "track": ("src",), "form": ("action",), "object": ("data",),
}
_LOC = re.compile(rb"<loc>([^<]*)</loc>")
SPREAD_PAGES = 5000     # a check of this many pages or more is spread over worker processes…
SPREAD_CHUNK = 1000     # … in chunks of this many (the pages of a folder mostly in one)


@dataclass(frozen=True)
class BrokenLink:
    """A link that does not resolve: on which page and line, where to, and why."""

    page: str           # output path of the page, e.g. documents/a/index.html
    line: int           # line in that page
    href: str           # the link as written in the page
    reason: str         # 页面不存在 / 锚点不存在 / 指向网站之外


# Our pages come from autoescaping templates, Markdown and the sanitiser, whose text
# never holds a raw "<" and whose attributes are always quoted. So two regular
# expressions (link tags, quoted id attributes) read them exactly, several times faster
# than html.parser, which matters for thousands of pages. Comments and the insides of
# script and style elements are blanked first (keeping line numbers).
_HIDDEN_START = re.compile(r"<!--|<(script|style)\b", re.I)
_HIDDEN_END = {"": re.compile(r"-->"), "script": re.compile(r"</script\s*>", re.I),
               "style": re.compile(r"</style\s*>", re.I)}
_LINK_TAG = re.compile(r"<(" + "|".join(LINK_ATTRIBUTES) + r")\s([^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*)>",
                       re.I)
# Tag names are read in any case, as browsers read them; but searched for so, every "<"
# of a page is tried against each name in either case: 110 µs for a page of 17,000
# characters, 42 µs in lower case only. Templates, Markdown and the sanitiser write tags
# in lower case, so a page without a "<" before a capital letter (its own templates may
# have one) is read by the same expressions in lower case.
_CAPITAL_TAG = re.compile(r"<[A-Z]")
# "id" first, then the space before it looked behind for: a pattern that starts with a
# literal is searched for in C; starting with \s, every blank of the page was a try (5x)
_ID = re.compile(r"id(?<=\sid)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# (hidden parts' starts, ids, link tags) for pages in lower case, and in any case
_LOWER_CASE = (re.compile(_HIDDEN_START.pattern), _ID, re.compile(_LINK_TAG.pattern))
_ANY_CASE = (_HIDDEN_START, re.compile(r"[iI][dD](?<=\s[iI][dD])\s*=\s*(?:\"([^\"]*)\"|'([^']*)')"), _LINK_TAG)
# name, "=" if a value follows, then the value double-, single- or un-quoted (read by
# findall, which gives "" for a group that took no part: the "=" tells `href` from `href=""`)
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*(=)\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_WANTED = {tag: frozenset(names) for tag, names in LINK_ATTRIBUTES.items()}
# A tag's attributes -> what the page takes from them: ((value, is a link), ...). The
# pages of a site repeat the same tags (menus, breadcrumbs, footer, a list's pager), so
# most are read once per process. Kept to TAGS_KEPT, then started again.
_TAGS: dict[tuple[str, str], tuple[tuple[str, bool], ...]] = {}
TAGS_KEPT = 10_000
_unescape = htmlmod.unescape


class PageLinks:
    """Ids and links of one HTML page.

    Pickled (from a worker process, into the build cache) as a few strings and an array
    rather than a set and a list of tuples: the links of 10,000 documents' pages are 1.4
    million tuples, 1.6 s to pickle. They are unpacked when first used: an edit's link
    check reads the ids of the pages linked to, and the links only of the pages it checks."""

    __slots__ = ("_ids", "_links", "_packed")

    def __init__(self, ids: set[str], links: list[tuple[str, int]]):
        self._ids: set[str] | None = ids
        self._links: list[tuple[str, int]] | None = links       # (href as written, line)
        self._packed: tuple | None = None

    @property
    def ids(self) -> set[str]:
        if self._ids is None:
            self._unpack()
        return self._ids  # type: ignore[return-value]

    @property
    def links(self) -> list[tuple[str, int]]:
        if self._links is None:
            self._unpack()
        return self._links  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PageLinks) and self.ids == other.ids and self.links == other.links

    def __repr__(self) -> str:
        return f"PageLinks(ids={self.ids!r}, links={self.links!r})"

    def __getstate__(self) -> tuple:
        if self._packed is not None:
            return self._packed
        ids, links = self.ids, self.links
        names, hrefs = "\0".join(sorted(ids)), "\0".join([h for h, _ in links])
        if names.count("\0") != max(len(ids) - 1, 0) or hrefs.count("\0") != max(len(links) - 1, 0):
            return (ids, links)                     # a NUL inside: not worth packing
        return (len(ids), names, len(links), hrefs, array("i", [n for _, n in links]))

    def __setstate__(self, state: tuple) -> None:
        if len(state) == 2:
            self._ids, self._links, self._packed = state[0], state[1], None
        else:
            # Pages of one kind have the same ids, and pages at one depth mostly the same
            # hrefs: one string each rather than 10,000 equal ones (held, and cached).
            count, names, total, hrefs, lines = state
            self._ids = self._links = None
            self._packed = (count, sys.intern(names), total, sys.intern(hrefs), lines)

    def each(self) -> list[tuple[str, int]] | zip:
        """The links, (href, line), without keeping them unpacked: a full build's check
        reads every page's links once, and keeping 1.2 million tuples (10,000
        documents) for that was ~290 MB that the process never gave back."""
        if self._links is not None or self._packed is None:
            return self.links
        _, _, total, hrefs, lines = self._packed
        return zip(hrefs.split("\0"), lines) if total else zip()

    def has_id(self, name: str) -> bool:
        """Whether the page has this id (or <a name>), read from the packed form as is."""
        if self._ids is not None or self._packed is None:
            return name in self.ids
        count, names = self._packed[0], self._packed[1]
        # ids hold no NUL (else the page would not have been packed)
        return bool(count) and "\0" not in name and f"\0{name}\0" in f"\0{names}\0"

    def pack(self) -> None:
        """Keep only the packed form (after a check that unpacked it: the unpacked sets
        and tuples of a big site's pages are hundreds of MB)."""
        if self._packed is not None and self._ids is None and self._links is None:
            return                          # packed already (an edit's check: 22,800 pages)
        state = self.__getstate__()
        if len(state) != 2:
            self.__setstate__(state)        # as a worker's pages come back: strings shared

    def _unpack(self) -> None:
        count, names, total, hrefs, lines = self._packed  # type: ignore[misc]
        self._ids = set(names.split("\0")) if count else set()
        self._links = list(zip(hrefs.split("\0"), lines)) if total else []


def _hide(text: str, opening: re.Pattern = _HIDDEN_START) -> str:
    """Blank comments and script/style contents, keeping a script's opening tag and all line ends."""
    parts: list[str] = []
    pos = 0
    while (m := opening.search(text, pos)) is not None:
        kind = (m.group(1) or "").lower()
        start = m.start()
        if kind:                            # keep <script src=...> itself
            close = text.find(">", m.end())
            start = len(text) if close < 0 else close + 1
        end = _HIDDEN_END[kind].search(text, start)
        stop = end.start() if end else len(text)
        parts.append(text[pos:start])
        parts.append("\n" * text.count("\n", start, stop))
        pos = stop if kind or end is None else end.end()
    parts.append(text[pos:])
    return "".join(parts)


def parse_page(text: str) -> PageLinks:
    """Collect the ids (and <a name>) and the links of one page, with line numbers."""
    hidden, id_attr, link_tag = _ANY_CASE if _CAPITAL_TAG.search(text) else _LOWER_CASE
    text = _hide(text, hidden)
    ids = set()
    for a, b in id_attr.findall(text):
        value = a or b                  # double- or single-quoted
        ids.add(_unescape(value) if "&" in value else value)
    links: list[tuple[str, int]] = []
    line, counted = 1, 0
    tags = _TAGS
    for m in link_tag.finditer(text):
        key = m.group(1, 2)
        found = tags.get(key)
        if found is None:
            if len(tags) >= TAGS_KEPT:
                tags.clear()
            found = tags[key] = _tag_values(*key)
        for value, is_link in found:
            if is_link:
                start = m.start()
                line += text.count("\n", counted, start)
                counted = start
                links.append((value, line))
            else:
                ids.add(value)
    return PageLinks(ids, links)


def _tag_values(tag: str, attrs: str) -> tuple[tuple[str, bool], ...]:
    """What one tag gives the page: (value, True) for a link, (name, False) for <a name>."""
    tag = tag.lower()
    wanted = _WANTED[tag]
    out = []
    for name, has_value, double, single, bare in _ATTR.findall(attrs):
        if has_value:
            name = name.lower()
            if name in wanted or (name == "name" and tag == "a"):
                value = double or single or bare
                out.append((_unescape(value) if "&" in value else value, name in wanted))
    return tuple(out)


def parse_file(content: bytes | Path) -> PageLinks:
    """:func:`parse_page` of an output file given as bytes or as a file (a path, or a
    file of output/ taken over)."""
    return parse_page(content_bytes(content).decode("utf-8", "replace"))


# an href starting so may be a link to the page it is on (after stripping blanks)
_SELF_START = "#? \t\n\r\f\v"


def _page_dir(page: str) -> str:
    return posixpath.dirname(page)


def _join(page: str, path: str, fragment: str) -> tuple[str, str, str]:
    """Resolve a relative path against the page's folder: (site path, fragment, problem)."""
    joined = posixpath.normpath(posixpath.join(_page_dir(page), path))
    if joined == ".." or joined.startswith("../"):
        return "", fragment, "指向网站根目录之外"
    if path.endswith("/") and joined != ".":
        joined += "/"
    return ("" if joined == "." else joined), fragment, ""


def _target(files: Mapping[str, object], path: str) -> str | None:
    """The output file a site-relative path is served from, or None."""
    if path in ("", "."):
        path = "index.html"
    elif path.endswith("/"):
        path += "index.html"
    if path in files:
        return path
    if path + "/index.html" in files:       # a folder address without the slash
        return path + "/index.html"
    return None


def find_broken_links(files: Mapping[str, bytes | Path], base_url: str = "/",
                      known: Mapping[str, PageLinks] | None = None,
                      parsed: dict[str, PageLinks] | None = None,
                      only: set[str] | None = None,
                      anchored: set[str] | None = None, complete: bool = False) -> list[BrokenLink]:
    """Check every link of the HTML pages and sitemap.xml among ``files`` (output path → content).

    ``base_url`` is the site's address (``https://www.example.gov.cn/zwgk/``) or just its
    path: links to it, root-relative (``/zwgk/...``) or absolute, count as internal.
    ``known`` holds pages already parsed (an incremental build's unchanged pages);
    ``parsed``, when given, receives every page's links and ids; with ``only``, the links
    of those pages (and of sitemap.xml when named) are checked and no others.
    ``anchored``, when given, receives the pages that a checked link points into with a
    fragment from another page (those whose losing an anchor can break a link).
    ``complete``: ``known`` holds every HTML page of ``files`` (nothing to parse).
    """
    parts = urlsplit(base_url)
    base_host = parts.netloc.lower()
    base_path = parts.path or "/"
    if not base_path.endswith("/"):
        base_path += "/"
    pages: Mapping[str, PageLinks]
    if complete and known is not None:
        # (sorting the 65,000 names of 10,000 documents' output was 20 ms of an edit)
        pages = known
    else:
        pages = {}
        for name in files:
            if name.endswith((".html", ".htm")):
                pages[name] = known[name] if known is not None and name in known else parse_file(files[name])
    if parsed is not None:
        parsed.update(pages)

    def site_path(page: str, href: str) -> tuple[str | None, str, str]:
        """(site-relative path or None when external, fragment, reason when outside)."""
        href = href.strip()
        if ":" not in href and not href.startswith("/"):
            # the common case, a relative link: no need for the general URL parser
            rest, _, fragment = href.partition("#")
            path = rest.partition("?")[0]
            if path == "":
                return page, fragment, ""
            return _join(page, path, fragment)
        url = urlsplit(href)
        if url.scheme or url.netloc:
            if url.scheme not in ("", "http", "https") or not base_host or url.netloc.lower() != base_host:
                return None, "", ""
            if not (url.path + "/").startswith(base_path):
                return None, "", ""
            return url.path[len(base_path):], url.fragment, ""
        if url.path.startswith("/"):
            if not (url.path + "/").startswith(base_path):
                return "", url.fragment, "指向本站地址之外"
            return url.path[len(base_path):], url.fragment, ""
        if url.path == "":
            return page, url.fragment, ""
        return _join(page, url.path, url.fragment)

    broken: list[BrokenLink] = []
    # Navigation links repeat on every page of a folder: resolve each (folder, href) once.
    resolved: dict[tuple, str] = {}

    def verdict(page: str, href: str) -> str:
        """"" when the link resolves, else the reason."""
        path, fragment, outside = site_path(page, href)
        if path is None:
            return ""
        if outside:
            return outside
        target = page if path == page else _target(files, unquote(path))
        if target is None:
            return "页面不存在"
        if fragment and target in pages:
            # a verdict is shared by the pages of one folder: any link but "#x" may come
            # from another page than the one that asked first
            if anchored is not None and href and href[0] not in _SELF_START:
                anchored.add(target)
            if not pages[target].has_id(unquote(fragment)):
                return "锚点不存在"
        return ""

    def check(page: str, line: int, href: str) -> None:
        # links to the page itself (#p1, "") depend on the page, not only on its folder
        key = (page, href, True) if not href or href[0] in _SELF_START else (_page_dir(page), href)
        reason = resolved.get(key)
        if reason is None:
            reason = resolved[key] = verdict(page, href)
        if reason:
            broken.append(BrokenLink(page, line, href, reason))

    def check_pages(names: list[str], out: list[BrokenLink]) -> None:
        for page in names:
            links = pages[page]
            # check() inlined, and a relative link that goes up first resolved from the
            # folder it goes up to: this loop meets every link of the site (1.2 million
            # at 10,000 documents), and ../../units/a/ from each document's own folder is
            # one question, not 10,000
            folder = _page_dir(page)
            parts = folder.split("/") if folder else []
            for href, line in links.each():
                if not href or href[0] in _SELF_START:
                    key: tuple = (page, href, True)          # may depend on the page itself
                elif href.startswith("../") and ":" not in href:
                    up = 1
                    while href.startswith("../", 3 * up):
                        up += 1
                    rest = href[3 * up:]
                    if up <= len(parts) and rest and rest[0] not in _SELF_START:
                        key = ("/".join(parts[:len(parts) - up]), rest)
                    else:
                        key = (folder, href)
                else:
                    key = (folder, href)
                reason = resolved.get(key)
                if reason is None:
                    # a page in the key's folder (a name no output file has) stands for it
                    where = (page if len(key) == 3 or key[0] == folder
                             else key[0] + "/\0" if key[0] else "\0")
                    reason = resolved[key] = verdict(where, key[1])
                if reason:
                    out.append(BrokenLink(page, line, href, reason))

    # in name order: the forked worker's chunks, and so each process's verdicts, are
    # the same from one build to the next
    names = sorted(pages.keys() & only if only is not None else pages)
    from . import parallel                      # (it imports this module)
    if len(names) >= SPREAD_PAGES and parallel.can_fork(len(names)):
        # A full check comes after the last page, with one CPU idle: the pages are
        # checked in chunks by a forked worker and this process (2.0 s at 10,000
        # documents on one CPU). Each process keeps its own verdicts; the pages a
        # chunk's links point into with a fragment come back with its broken links.
        def work(start: int, stop: int) -> list:
            nonlocal anchored
            whole, anchored = anchored, (set() if anchored is not None else None)
            out: list[BrokenLink] = []
            try:
                check_pages(names[start:stop], out)
                return [(out, anchored)]
            finally:
                anchored = whole
        done, _ = parallel.fork_map(work, len(names), SPREAD_CHUNK)
        for out, marks in done:
            broken += out
            if anchored is not None:
                anchored |= marks
    else:
        check_pages(names, broken)
    if "sitemap.xml" in files and (only is None or "sitemap.xml" in only):
        data = content_bytes(files["sitemap.xml"])
        line, counted = 1, 0
        for m in _LOC.finditer(data):
            loc = m.group(1).decode("utf-8", "replace").replace("&amp;", "&")
            # lines counted from the previous match on (from the start each time was
            # quadratic: 8 s for the 23,000 entries of a 10,000-document site)
            line += data.count(b"\n", counted, m.start())
            counted = m.start()
            check("sitemap.xml", line, loc)
    broken.sort(key=lambda b: (b.page, b.line, b.href))
    return broken


def recheck_links(builder, outputs, output_dir: Path, base_url: str) -> list[BrokenLink]:
    """The broken links of a site built by an incremental ``builder``
    (:class:`generator.incremental.Builder`), re-checking only what an edit can have
    changed; the builder keeps what the next build's check needs.

    Pages taken over unchanged from output/ keep their parsed links. A link that
    resolved still resolves unless a file went, or a page that links from other pages
    point into with a #fragment (``builder.anchored``) lost an anchor. When neither
    happened (a file may have come: a document added; unit pages may have lost the
    anchors of rows that moved to the next page), only the re-rendered pages, sitemap.xml
    when it was made again, and the pages that had a broken link (a new file or anchor
    may mend it) are checked; otherwise every page is."""
    old_links: dict = builder.links
    files = outputs.files
    prefix = str(output_dir) + os.sep
    names = frozenset(files)
    last_names: frozenset = builder.link_files
    # the outputs this build changed, when it is known and the last check was of the
    # build before (a body edit's, see Builder.changed_outputs)
    changed = builder.changed_outputs if builder.checked_build == builder.builds - 1 else None
    pages: dict = {}
    fresh: set[str] = set()
    if changed is not None and names == last_names:
        # every other page is the last check's, with its links (the content of an
        # output not changed is the very object the last check read): 22,800 pages
        # looked at one by one were 40 ms of an edit at 10,000 documents
        pages = dict(old_links)
        fresh = {rel for rel in changed if rel in old_links}
    else:
        # The last build's pages looked at, not every output: at 10,000 documents
        # 22,800 pages among 65,000 files (two passes over the files were 30 ms).
        changed = None
        for rel, page_links in old_links.items():
            content = files.get(rel)
            if content is None:
                continue                                    # no longer an output
            if isinstance(content, Kept) and content.path == prefix + rel:
                pages[rel] = page_links
            else:
                fresh.add(rel)
    # the pages that were not outputs of the last check are among the files it had not
    # (every page it had is in old_links): after an edit, none or a few
    added = names - last_names if last_names else names
    fresh.update(rel for rel in added if rel.endswith((".html", ".htm")) and rel not in old_links)
    # pages rendered by this build were read where they were rendered
    pages.update((rel, outputs.links.get(rel) or parse_file(files[rel])) for rel in fresh)
    parsed: dict = {}
    anchored: set[str] = set()
    # (no file went: the names kept are all the last check's)
    if (last_names and len(names) - len(added) == len(last_names)
            and not any(rel in builder.anchored and not old_links[rel].ids <= pages[rel].ids
                        for rel in fresh if rel in old_links)):
        # every page with a broken link is checked again: its links are the only ones
        # whose verdict a new file or a new anchor can change
        again = fresh | {b.page for b in builder.broken}
        # sitemap.xml only when made again: taken over, its addresses resolve as they did,
        # since no file went (checking its 22,000 at 10,000 documents: 0.1 s of an edit)
        sitemap = files.get("sitemap.xml")
        if not (isinstance(sitemap, Kept) and sitemap.path == prefix + "sitemap.xml"):
            again.add("sitemap.xml")
        broken = find_broken_links(files, base_url, pages, parsed, only=again, anchored=anchored,
                                   complete=True)
        # pages no longer pointed into stay listed: at worst a later edit checks all
        anchored |= builder.anchored
    else:
        broken = find_broken_links(files, base_url, pages, parsed, anchored=anchored, complete=True)
    # (after a body edit only the pages read again are unpacked: the check reads the
    # others' packed form as it is)
    for links in (parsed.values() if changed is None else [parsed[rel] for rel in fresh if rel in parsed]):
        links.pack()
    builder.links, builder.broken, builder.link_files = parsed, broken, names
    builder.checked_build = builder.builds
    builder.anchored = frozenset(anchored)
    return broken


def check_folder(folder: Path, base_url: str | None = None) -> list[BrokenLink]:
    """Check a built site on disk; the base address is read from robots.txt when not given."""
    files: dict[str, bytes | Path] = {p.relative_to(folder).as_posix(): p
                                      for p in sorted(folder.rglob("*")) if p.is_file()}
    if base_url is None:
        base_url = "/"
        robots = folder / "robots.txt"
        if robots.is_file():
            m = re.search(r"^Sitemap:\s*(\S+)sitemap\.xml\s*$", robots.read_text("utf-8", "replace"), re.M)
            if m:
                base_url = m.group(1)
    return find_broken_links(files, base_url)


def _source_line(root: Path, origin: str, href: str) -> int | None:
    """Line of a content source where a broken link is written (body links), if found."""
    path = root / origin
    if not origin.startswith("content/") or not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for needle in (href, href.split("#", 1)[-1] and "#" + href.split("#", 1)[-1]):
        if needle:
            idx = text.find(needle)
            if idx >= 0:
                return text.count("\n", 0, idx) + 1
    return None


def report(broken: list[BrokenLink], origins: Mapping[str, str], problems: Problems,
           strict: bool) -> None:
    """Add one problem per (source, link): a warning, or an error when ``strict``."""
    grouped: dict[tuple[str, str, str], list[BrokenLink]] = {}
    for b in broken:
        origin = origins.get(b.page) or b.page
        grouped.setdefault((origin, b.href, b.reason), []).append(b)
    add = problems.error if strict else problems.warning
    for (origin, href, reason), items in sorted(grouped.items()):
        first = items[0]
        where = f"生成的 {first.page} 第 {first.line} 行"
        if len(items) > 1:
            where += f"，共 {len(items)} 处"
        # A link written in a document's text is reported where it was written; one that
        # comes from a template (or cannot be found in the source) at the generated page.
        line = _source_line(problems.root, origin, href)
        add(origin if line is not None else f"output/{first.page}", line if line is not None else first.line,
            f"链接 “{href}” {reason}（{where}）",
            "改正链接地址：文档内的锚点是 #p1、#p1-2 这样的编号（见文档目录），站内页面用相对地址，"
            "例如 ../other-id/；链接到附件时，附件要在 attachments 中列出。")


def main(argv: list[str] | None = None) -> int:
    """``python -m generator.linkcheck FOLDER``: check a built site; exit 1 on broken links."""
    ap = argparse.ArgumentParser(prog="python -m generator.linkcheck",
                                 description="检查已生成网站中的站内链接和锚点。")
    ap.add_argument("folder", type=Path, help="已生成的网站文件夹，例如 output/")
    ap.add_argument("--base-url", help="网站地址；默认从 robots.txt 读取")
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        print(f"错误: 找不到文件夹 {args.folder}", file=sys.stderr)
        return 2
    broken = check_folder(args.folder, args.base_url)
    for b in broken:
        print(f"{args.folder.as_posix().rstrip('/')}/{b.page}:{b.line}: 错误: 链接 “{b.href}” {b.reason}",
              file=sys.stderr)
    print(f"{'发现 ' + str(len(broken)) + ' 个失效链接' if broken else '没有失效的站内链接'}。")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
