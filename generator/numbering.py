"""Chinese official-document numbering (一、/（一）/1./（1）) as headings with stable anchors.

A python-markdown extension. Editors paste paragraphs as published; a paragraph that
starts with a number becomes a heading (or a heading for its lead sentence followed by
the rest of the paragraph), nested by the order in which the number styles appear, and
gets an anchor built from its numbers (``一、`` → ``p1``, its ``（三）`` → ``p1-3``) that
stays the same when the wording changes.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "一二三四五六七八九十百零〇两"

# (style name, pattern); the style decides nesting, the number the anchor.
MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(rf"^([{_CN}]{{1,4}})、")),
    ("item", re.compile(rf"^[（(]([{_CN}]{{1,4}})[）)]")),
    ("sub", re.compile(r"^(\d{1,2})[.．、](?![\d])")),
    ("point", re.compile(r"^[（(](\d{1,2})[）)]")),
]

# A heading-only paragraph is short; a long paragraph without a full stop stays a
# paragraph (with an anchor) rather than becoming a 200-character heading.
MAX_HEADING_CHARS = 60


def chinese_number(text: str) -> int:
    """Value of a Chinese numeral up to 九百九十九 (十六 → 16, 二十 → 20, 一百零五 → 105)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS.get(ch, 0)
    return total + current


def match_marker(text: str) -> tuple[str, int] | None:
    """(style, number) when ``text`` starts with a numbering marker, else None."""
    for style, pattern in MARKERS:
        m = pattern.match(text)
        if m:
            return style, chinese_number(m.group(1))
    return None


@dataclass(frozen=True)
class Heading:
    """A heading of the document body, for the table of contents."""

    level: int
    anchor: str
    text: str


class _NumberingProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        headings: list[Heading] = []
        used: dict[str, int] = {}
        base = 1                       # level of the latest explicit heading
        styles: list[str] = []         # open number styles, outermost first
        numbers: list[int] = []
        explicit = 0
        last_level = 1

        def unique(anchor: str) -> str:
            n = used.get(anchor, 0) + 1
            used[anchor] = n
            return anchor if n == 1 else f"{anchor}-x{n}"

        new_children: list[etree.Element] = []
        for el in list(root):
            tag = el.tag
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                explicit += 1
                # The page title is the only h1, and a heading may go at most one level
                # deeper than the one before it (screen readers navigate by level).
                level = max(2, min(int(tag[1]), last_level + 1))
                el.tag = f"h{level}"
                base, styles, numbers = level, [], []
                anchor = unique(f"t{explicit}")
                el.set("id", anchor)
                headings.append(Heading(level, anchor, _text(el)))
                new_children.append(el)
                last_level = level
                continue
            if tag != "p" or not (el.text or "").strip():
                new_children.append(el)
                continue
            found = match_marker(el.text.lstrip())
            if not found:
                new_children.append(el)
                continue
            style, number = found
            if style in styles:
                cut = styles.index(style)
                del styles[cut:], numbers[cut:]
            styles.append(style)
            numbers.append(number)
            level = min(6, base + len(styles))
            anchor = unique("p" + "-".join(str(n) for n in numbers))
            parts = self._split(el, level, anchor, headings)
            if parts[0].tag != "p":
                last_level = level
            new_children.extend(parts)
        for child in list(root):
            root.remove(child)
        root.extend(new_children)
        self.md.gongwen_headings = headings  # type: ignore[attr-defined]

    @staticmethod
    def _split(p: etree.Element, level: int, anchor: str,
               headings: list[Heading]) -> list[etree.Element]:
        """Turn a numbered paragraph into a heading, or a lead-sentence heading + paragraph."""
        text = p.text.strip()
        stop = text.find("。")
        has_children = len(p) > 0
        if stop == -1 or (stop == len(text) - 1 and not has_children):
            if len(text) <= MAX_HEADING_CHARS and not has_children:
                h = etree.Element(f"h{level}", {"id": anchor})
                h.text, h.tail = text, "\n"
                headings.append(Heading(level, anchor, text))
                return [h]
            p.set("id", anchor)
            return [p]
        lead, rest = text[: stop + 1], text[stop + 1:]
        if len(lead) > MAX_HEADING_CHARS:
            p.set("id", anchor)
            return [p]
        h = etree.Element(f"h{level}", {"id": anchor})
        h.text, h.tail = lead, "\n"
        headings.append(Heading(level, anchor, lead))
        p.text = rest
        return [h, p]


def _text(el: etree.Element) -> str:
    return "".join(el.itertext()).strip()


class GongwenExtension(Extension):
    """Register the numbering processor after the inline patterns have run."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (python-markdown API)
        md.treeprocessors.register(_NumberingProcessor(md), "gongwen_numbering", 5)
        md.registerExtension(self)

    def reset(self) -> None:
        pass
