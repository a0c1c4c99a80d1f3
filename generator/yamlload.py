"""Safe YAML loading that remembers line numbers and refuses what editors never need.

Values come back as plain Python types, but mappings are :class:`LineDict` and lists are
:class:`LineList`, which know the line of every key and item, so that schema errors can
name ``path:line``. Dates stay strings (the schema checks them and can say what is wrong
with 2024-02-30). Anchors and aliases are refused: editors have no use for them and they
are the vehicle of the "billion laughs" memory bomb.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Keys and short values (units, deadlines, issuers, 有效) recur in every document: one
# string object each, instead of one per occurrence. At 10,000 documents the build
# cache held 1.46 million strings of which 418,000 distinct; every copy is an object
# to write and read back, 50-100 bytes each.
SHARE_MAX = 32

_STR, _MAP, _SEQ = ("tag:yaml.org,2002:" + t for t in ("str", "map", "seq"))


def _shared(value: Any) -> Any:
    return sys.intern(value) if type(value) is str and len(value) <= SHARE_MAX else value


# Limits that no real source comes near; they keep a mistaken or hostile file from
# exhausting memory or time.
MAX_DEPTH = 50


class LineDict(dict):
    """A dict that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass
class YamlProblem(Exception):
    """A YAML file that could not be read: message and 1-based line (offset applied)."""

    message: str
    line: int | None
    hint: str = ""


class _Loader(yaml.SafeLoader):
    """SafeLoader without timestamps and aliases, building LineDict/LineList."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise YamlProblem("YAML 别名（*引用）不被支持", event.start_mark.line + 1,
                              "把被引用的内容直接写出来；不要使用 & 和 *。")
        self._depth = getattr(self, "_depth", 0) + 1
        if self._depth > MAX_DEPTH:
            raise YamlProblem(f"YAML 嵌套超过 {MAX_DEPTH} 层", self.peek_event().start_mark.line + 1,
                              "检查缩进：内容不需要这么深的层次。")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        return node

    line_offset = 0

    def construct_value(self, node: Node) -> Any:
        """``construct_object(node, deep=True)``, with text, mappings and lists built
        straight away: without aliases (refused) no node is reached twice, so PyYAML's
        bookkeeping of what it has built is not needed (a fifth of the time of loading
        the YAML of documents and their task lists)."""
        kind = node.__class__
        if kind is ScalarNode and node.tag == _STR:
            return node.value
        if kind is MappingNode and node.tag == _MAP:
            return self.construct_line_mapping(node)
        if kind is SequenceNode and node.tag == _SEQ:
            return self.construct_line_sequence(node)
        return self.construct_object(node, deep=True)

    def construct_line_mapping(self, node: MappingNode) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1 + self.line_offset
        result.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_value(key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem("键必须是简单的文字", key_node.start_mark.line + 1,
                                  "键写成 `名称: 值` 的形式。")
            key = sys.intern(str(key))
            if key in result:
                raise YamlProblem(f"键 “{key}” 重复出现", key_node.start_mark.line + 1,
                                  "每个键只写一次；删除或合并重复的那一行。")
            result[key] = _shared(self.construct_value(value_node))
            result.key_lines[key] = key_node.start_mark.line + 1 + self.line_offset
        return result

    def construct_line_sequence(self, node: SequenceNode) -> LineList:
        result = LineList(_shared(self.construct_value(child)) for child in node.value)
        result.line = node.start_mark.line + 1 + self.line_offset
        result.item_lines = [child.start_mark.line + 1 + self.line_offset for child in node.value]
        return result


# Keep dates as text: the schema parses them and can explain an impossible date.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_line_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_line_sequence)

_TAB_INDENT = re.compile(r"^( *)\t", re.M)

# libyaml parses about ten times faster than the pure-Python parser, which matters with
# thousands of sources. Its composer is C code we cannot hook, so a file that might use
# anchors or aliases (an & or * where a YAML token can start) takes the careful path,
# whose composer refuses them with a clear message.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:?-])[&*]\S")

# libyaml's composer recurses in C with no depth limit: some 30,000 nested brackets
# overflow the C stack and kill the process (a segfault, which no except clause sees).
# Nesting depth is at most the number of flow brackets plus about twice the longest
# run of indentation and "- ", "? " indicators at a line start, so text under both
# bounds is safe for libyaml; anything else takes the careful path, whose composer
# stops at MAX_DEPTH.
_FAST_MAX_BRACKETS = 2000
_DEEP_BLOCK = re.compile(r"^[ \t?:-]{1000}", re.M)


def _may_nest_deeply(text: str) -> bool:
    return (text.count("[") + text.count("{") > _FAST_MAX_BRACKETS
            or _DEEP_BLOCK.search(text) is not None)

if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader):
        """libyaml-backed loader with the same constructors as :class:`_Loader`."""

        line_offset = 0
        construct_value = _Loader.construct_value
        construct_line_mapping = _Loader.construct_line_mapping
        construct_line_sequence = _Loader.construct_line_sequence

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.add_constructor("tag:yaml.org,2002:map", _FastLoader.construct_line_mapping)
    _FastLoader.add_constructor("tag:yaml.org,2002:seq", _FastLoader.construct_line_sequence)
else:  # pragma: no cover - PyYAML without libyaml
    _FastLoader = _Loader


def load_yaml(text: str, line_offset: int = 0) -> Any:
    """Parse one YAML document; raise :class:`YamlProblem` with a 1-based line."""
    data = _load(text, line_offset)
    if "\\u" in text or "\\U" in text:
        _refuse_surrogates(data, 1 + line_offset)
    return data


def _load(text: str, line_offset: int) -> Any:
    data = yamlsimple.load_simple(text, line_offset)
    if data is not yamlsimple.NOT_SIMPLE:
        return data
    if not _MAYBE_ALIAS.search(text) and not _may_nest_deeply(text) and _FastLoader is not _Loader:
        try:
            loader = _FastLoader(text)
            loader.line_offset = line_offset
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()
        except (yaml.YAMLError, YamlProblem, RecursionError, ValueError, TypeError, IndexError, OverflowError):
            pass   # parse again below: the pure-Python parser's messages name better lines
    return _load_careful(text, line_offset)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(data: Any, line: int) -> None:
    """A "\\ud800" escape yields a lone surrogate, which no page or file can hold."""
    if isinstance(data, str):
        if _SURROGATE.search(data):
            raise YamlProblem("YAML 文字中有无效的字符（由 \\u 转义写出的单独代理项，如 \\ud800）", line,
                              "删去这个 \\u 转义，直接写出要表达的文字。")
    elif isinstance(data, dict):
        for key, value in data.items():
            at = data.line_of(key) if isinstance(data, LineDict) else line
            _refuse_surrogates(key, at)
            _refuse_surrogates(value, at)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _refuse_surrogates(item, data.line_of(i) if isinstance(data, LineList) else line)


def _load_careful(text: str, line_offset: int) -> Any:
    m = _TAB_INDENT.search(text)
    try:
        loader = _Loader(text)
        loader.line_offset = line_offset
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except YamlProblem as p:
        if p.line is not None:
            p.line += line_offset
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        # An unclosed bracket or quote is only noticed at the end of the text; the line
        # where it was opened is the one the editor has to fix.
        if e.context_mark and mark and "stream" in (e.problem or ""):
            mark = e.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        hint = "检查这一行及上一行的缩进、冒号和引号；含有冒号或 # 的文字请用引号括起来。"
        if m is not None:
            hint = "YAML 不能用 Tab 缩进，请改用空格。"
        problem = (e.problem or str(e)).strip()
        raise YamlProblem(f"YAML 格式错误：{problem}", line, hint) from None
    except yaml.YAMLError as e:
        raise YamlProblem(f"YAML 格式错误：{e}", None,
                          "检查文件的缩进、冒号和引号。") from None
    except RecursionError:
        raise YamlProblem("YAML 嵌套过深", None, "检查缩进。") from None
    except (ValueError, TypeError, IndexError, OverflowError):
        # PyYAML's constructors fail so on a value an explicit tag cannot take (!!int with
        # no digits, !!binary that is not base64 …), without saying where
        found = _failing_value(text)
        if found is None:
            raise YamlProblem("YAML 的值无法读取", None, "检查文件的缩进、冒号和引号。") from None
        tag, line = found
        raise YamlProblem(f"YAML 的值与类型标签 {tag} 不符", line + line_offset,
                          "去掉 ! 或 !! 开头的类型标签，直接写出值（文字需要时用引号括起来）。") from None
    return data


def _failing_value(text: str) -> tuple[str, int] | None:
    """(tag as written, 1-based line) of the first value its constructor cannot build:
    each value of the composed document is built on its own (the first ``!`` of the text
    may be in a value, or name a tag that fits)."""
    loader = _Loader(text)
    try:
        pending = [loader.get_single_node()]
        while pending:
            node = pending.pop()
            if isinstance(node, ScalarNode):
                try:
                    loader.construct_object(node)
                except (ValueError, TypeError, IndexError, OverflowError, yaml.YAMLError):
                    tag = node.tag
                    if tag.startswith("tag:yaml.org,2002:"):
                        tag = "!!" + tag[len("tag:yaml.org,2002:"):]
                    return tag, node.start_mark.line + 1
            elif isinstance(node, MappingNode):
                pending += [n for pair in reversed(node.value) for n in reversed(pair)]
            elif isinstance(node, SequenceNode):
                pending += reversed(node.value)
    except (yaml.YAMLError, YamlProblem, RecursionError):
        return None
    finally:
        loader.dispose()
    return None


# last, as a module: the fast reader builds the LineDicts and LineLists defined above
from . import yamlsimple  # noqa: E402
