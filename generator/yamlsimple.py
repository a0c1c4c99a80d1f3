"""A fast reader for the plain YAML that sources are written in, beside PyYAML.

Task lists, front matter and unit files are block mappings and lists of short
one-line values. libyaml parses them quickly, but then calls Python for every node,
mark and tag: 0.45 ms for a task list of ten rows, about 7 % of a cold build's CPU at
10,000 documents. :func:`load_simple` reads that plain subset line by line, with the
same result as :func:`generator.yamlload.load_yaml` (values, types, lines, shared
strings), and gives up, returning :data:`NOT_SIMPLE`, on anything else: quoting with
escapes, block scalars, comments after values, multi-line values, anchors, tags, flow
mappings, tabs, duplicate keys, values PyYAML would read as something other than a
string, a simple integer, a boolean or null. The caller then parses the text with
PyYAML as before, so every message about a mistake still comes from there.

The subset is kept narrow on purpose: a text is taken only where every line has one
of a few exact shapes. ``tests/test_yamlsimple.py`` compares both readers on the
example site, the benchmark corpus and generated texts full of YAML's traps.
"""
from __future__ import annotations

import re
import sys
from typing import Any

from .yamlload import MAX_DEPTH, SHARE_MAX, LineDict, LineList, _Loader, _shared

NOT_SIMPLE: Any = object()      # "not taken: parse with PyYAML"


class _NotSimple(Exception):
    pass


# Anything that makes a YAML stream more than lines of text: tabs, carriage returns
# and YAML's other line breaks (\x85, \u2028, \u2029), a byte-order mark,
# characters PyYAML refuses; and the escapes, anchors, aliases, tags and flow mappings
# this reader does not take on (a backslash is kept out so that load_yaml's check for
# \u escapes has nothing to look at). One character class: a search with
# alternatives took 60 microseconds for a task list.
_UNSUPPORTED = re.compile(
    r"[^\n\x20\x22-\x25\x27-\x29\x2b-\x5b\x5d-\x7a\x7c\x7e"
    r"\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# Characters a plain value may not begin with (YAML's indicators; "-", "?" and ":"
# may begin one when not followed by a space, but are left to PyYAML).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESOLVERS = _Loader.yaml_implicit_resolvers
_NONE: list = []
# Keys and short values recur in every source: each is checked once per process.
# Bounded, so that a process that reads many sites does not grow without end.
_KEYS: dict[str, str] = {}      # key as written -> the shared key
_WORDS: dict[str, Any] = {}     # short value as written (not a list) -> its value
_MISSING = object()
_FLOW_UNSUPPORTED = re.compile(r"[\[\]'\"#:?]")   # PyYAML ends a plain word in [...] at ?
CACHE_MAX = 50_000
KEY_MAX = 1000          # PyYAML refuses a key longer than 1,024 characters
_BOOL = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_BOOL_TAG, _INT_TAG, _NULL_TAG = ("tag:yaml.org,2002:" + t for t in ("bool", "int", "null"))


def load_simple(text: str, line_offset: int = 0) -> Any:
    """The data of ``text`` as :func:`generator.yamlload.load_yaml` reads it, or
    :data:`NOT_SIMPLE` when the text is outside the plain subset."""
    if (_UNSUPPORTED.search(text) is not None or " #" in text
            or text.startswith(("---", "...")) or "\n---" in text or "\n..." in text):
        return NOT_SIMPLE
    lines: list[tuple[int, int, str]] = []       # (1-based line, indent, text after it)
    for number, line in enumerate(text.split("\n"), 1 + line_offset):
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue                              # blank, or a comment line
        lines.append((number, len(line) - len(stripped), stripped.rstrip(" ")))
    if not lines:
        return None
    reader = _Reader(lines)
    try:
        value = reader.block(0, lines[0][1], 0)
    except (_NotSimple, IndexError):
        return NOT_SIMPLE
    return value if reader.at == len(lines) else NOT_SIMPLE


class _Reader:
    """Recursive descent over the non-blank lines; ``at`` is the next line to read."""

    def __init__(self, lines: list[tuple[int, int, str]]):
        self.lines = lines
        self.at = 0

    def block(self, i: int, indent: int, depth: int) -> Any:
        """The mapping or list that starts at line ``i`` with this indent."""
        if depth > MAX_DEPTH:
            raise _NotSimple
        text = self.lines[i][2]
        if text[0] == "-":
            return self.sequence(i, indent, depth)
        return self.mapping(i, indent, depth)

    def mapping(self, i: int, indent: int, depth: int) -> LineDict:
        lines, n = self.lines, len(self.lines)
        result = LineDict()
        result.line = lines[i][0]
        result.key_lines = key_lines = {}
        while True:
            number, _, text = lines[i]
            colon = text.find(": ")
            if colon < 0:
                if text[-1] != ":":
                    raise _NotSimple          # a scalar line, or "key:value"
                colon = len(text) - 1
            key = _KEYS.get(text[:colon]) or _key(text[:colon])
            if key in result:
                raise _NotSimple              # PyYAML's message names the line
            rest = text[colon + 1:].lstrip(" ")
            i += 1
            if rest:
                value = _WORDS.get(rest, _MISSING)
                if value is _MISSING:
                    value = _shared(_value(rest, number))
                    if type(value) is not LineList and len(rest) <= SHARE_MAX and len(_WORDS) < CACHE_MAX:
                        _WORDS[rest] = value
            elif i < n and (lines[i][1] > indent or (lines[i][1] == indent and lines[i][2][0] == "-")):
                value = self.block(i, lines[i][1], depth + 1)
                i = self.at
            else:
                value = None
            result[key] = value
            key_lines[key] = number
            if i == n:
                break
            _, next_indent, next_text = lines[i]
            if next_indent != indent or next_text[0] == "-":
                # deeper: a value that goes on; a list at this indent ends a mapping in
                # a list item only, and the caller decides
                if next_indent > indent:
                    raise _NotSimple
                break
        self.at = i
        return result

    def sequence(self, i: int, indent: int, depth: int) -> LineList:
        lines, n = self.lines, len(self.lines)
        result = LineList()
        result.line = lines[i][0]
        result.item_lines = item_lines = []
        while True:
            number, _, text = lines[i]
            if text[:2] != "- ":
                raise _NotSimple              # "-" alone, "-x"
            rest = text[2:].lstrip(" ")
            column = indent + len(text) - len(rest)
            if rest[0] == "-" or (rest.find(": ") > 0 or rest[-1] == ":") and rest[0] not in "'\"[":
                # a list or mapping that begins on the item's line: read it as if the
                # line began at its column
                lines[i] = (number, column, rest)
                value = self.block(i, column, depth + 1)
                i = self.at
            else:
                value = _value(rest, number)
                i += 1
            result.append(_shared(value))
            item_lines.append(number)
            if i == n or lines[i][1] < indent:
                break
            if lines[i][1] > indent:
                raise _NotSimple
            if lines[i][2][0] != "-":
                break                         # the mapping this list is a value of goes on
        self.at = i
        return result


def _key(text: str) -> str:
    """A key as written, checked (a plain word that PyYAML reads as text) and shared."""
    if (not text or len(text) > KEY_MAX or ":" in text or text[-1] == " "
            or type(_scalar(text)) is not str):        # (_scalar refuses YAML's indicators)
        raise _NotSimple
    key = sys.intern(text)
    if len(_KEYS) < CACHE_MAX:
        _KEYS[text] = key
    return key


def _value(text: str, number: int) -> Any:
    """A one-line value: plain, quoted without escapes, or a flow list of plain words."""
    first = text[0]
    if first == "[":
        if text[-1] != "]":
            raise _NotSimple
        inner = text[1:-1]
        if _FLOW_UNSUPPORTED.search(inner) is not None:
            raise _NotSimple
        result = LineList()
        result.line = number
        if not inner.strip(" "):
            result.item_lines = []
            return result
        items = [item.strip(" ") for item in inner.split(",")]
        if items[-1] == "" and len(items) > 1:
            items.pop()                       # [a, b, ] is [a, b]
        for item in items:
            value = _WORDS.get(item, _MISSING)
            if value is _MISSING:
                if not item:
                    raise _NotSimple
                value = _shared(_scalar(item))
                if len(item) <= SHARE_MAX and len(_WORDS) < CACHE_MAX:
                    _WORDS[item] = value   # the same text means the same in a block
            result.append(value)
        result.item_lines = [number] * len(items)
        return result
    if first == '"':
        if len(text) < 2 or text[-1] != '"' or '"' in text[1:-1]:
            raise _NotSimple
        return text[1:-1]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotSimple
        return inner.replace("''", "'")
    if ": " in text or text[-1] == ":":               # (_scalar refuses YAML's indicators)
        raise _NotSimple
    return _scalar(text)


def _scalar(text: str) -> Any:
    """A plain value as PyYAML resolves it: text, unless one of its implicit resolvers
    (timestamps left out, as in yamlload) takes it; of those, only simple integers,
    booleans and null are read here."""
    if text[0] in _INDICATORS:
        raise _NotSimple
    for tag, pattern in _RESOLVERS.get(text[0], _NONE):
        if pattern.match(text):
            if tag == _INT_TAG and _INT.match(text):
                return int(text)
            if tag == _BOOL_TAG:
                return _BOOL[text.lower()]
            if tag == _NULL_TAG:
                return None
            raise _NotSimple
    return text


__all__ = ["NOT_SIMPLE", "load_simple"]
