"""Pages: what is written where. Each page owns its URL and output path, computed once.

URLs are site-relative (``documents/laiwu-2024-gkyd/``) and links between pages are
made relative (``../../units/x/``), so the same output works at a domain root, under a
sub-path of ``base_url`` and in the preview server. Only pages served at unknown
addresses (the 404 page) use root-relative links with the base path.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote


def output_path(url: str) -> str:
    """The file a URL is written to: ``a/b/`` → ``a/b/index.html``; ``x.xml`` stays."""
    if url == "" or url.endswith("/"):
        return url + "index.html"
    return url


def relative_url(from_url: str, to_url: str) -> str:
    """Link from the page at ``from_url`` to ``to_url`` (both site-relative)."""
    return _from_climb(_climb(from_url), to_url)


def _from_climb(climb: str, to_url: str) -> str:
    """:func:`relative_url` from a page ``climb`` ("../" each) below the site's root."""
    # "../" is left as it is by quote(): quoting the climb with the path is quoting the path
    if "#" not in to_url:
        return climb + _quoted(to_url) or "./"
    path, _, fragment = to_url.partition("#")
    return (climb + _quoted(path) or "./") + ("#" + fragment if fragment else "")


@lru_cache(maxsize=1 << 16)
def _climb(from_url: str) -> str:
    """"../" for each folder the page at ``from_url`` is in."""
    from_dir = from_url if from_url.endswith("/") or from_url == "" else posixpath.dirname(from_url)
    return "../" * len([p for p in from_dir.split("/") if p])


@lru_cache(maxsize=1 << 16)
def _quoted(path: str) -> str:
    # a page links to the same few hundred addresses as its neighbours (units, lists,
    # assets): a million links at 10,000 documents, each quoted once (1.3 -> 0.4 µs a link)
    return quote(path, safe="/:%._-~")


@dataclass(frozen=True)
class Page:
    """One HTML page: its kind, URL, template, title, the source it comes from and data.

    ``data`` holds the objects the template shows (a document, a unit, a group of
    documents); ``sources`` lists the files whose change alters this page.
    """

    kind: str
    url: str
    template: str
    title: str
    column: str                      # 栏目 name for the ColumnName meta tag and breadcrumbs
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    sources: tuple[Path, ...] = ()
    absolute_links: bool = False     # for pages served at any address (404)

    @cached_property
    def output(self) -> str:
        # read for every page on every rebuild (92,000 times after one edit at 10,000
        # documents): computed once (cached_property writes past the frozen dataclass)
        return output_path(self.url)

    def rel(self, to_url: str, base_path: str = "/") -> str:
        """Link from this page to a site-relative URL."""
        if self.absolute_links:
            return quote(base_path + to_url, safe="/:%._-~#")
        return relative_url(self.url, to_url)

    def linker(self, base_path: str = "/") -> Callable[[str], str]:
        """:meth:`rel` as one function of the URL, for the template's ``rel()``: a page
        makes 40 links or so, a million at 10,000 documents, and each went through three
        calls more (0.4 µs)."""
        if self.absolute_links:
            return lambda to_url: quote(base_path + to_url, safe="/:%._-~#")
        return partial(_from_climb, _climb(self.url))
