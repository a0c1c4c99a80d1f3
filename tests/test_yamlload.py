"""The YAML loader builds text, mappings and lists straight from the nodes
(yamlload._Loader.construct_value); the result must be PyYAML's own construction's."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import yamlload, yamlsimple
from generator.yamlload import LineDict, LineList, YamlProblem, load_yaml

# PyYAML's construction, node by node: what the loaders did before construct_value
_BY_PYYAML = {loader: type("ByPyYAML", (loader,), {"construct_value": lambda self, node: self.construct_object(node, deep=True)})
              for loader in {yamlload._Loader, yamlload._FastLoader}}


def by_pyyaml(text: str):
    # PyYAML only: the fast reader of plain YAML (generator.yamlsimple) stands aside
    saved = yamlload._Loader, yamlload._FastLoader, yamlsimple.load_simple
    yamlload._Loader, yamlload._FastLoader = _BY_PYYAML[saved[0]], _BY_PYYAML[saved[1]]
    yamlsimple.load_simple = lambda text, line_offset=0: yamlsimple.NOT_SIMPLE
    try:
        return load_yaml(text)
    finally:
        yamlload._Loader, yamlload._FastLoader, yamlsimple.load_simple = saved


def shape(value):
    """Everything load_yaml gives: types, values, lines of keys and items."""
    if isinstance(value, LineDict):
        return ("map", value.line, value.key_lines, [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, LineList):
        return ("seq", value.line, value.item_lines, [shape(v) for v in value])
    return (type(value).__name__, value)


def outcome(load, text: str):
    try:
        return shape(load(text))
    except YamlProblem as p:
        return ("problem", p.message, p.line)


PIECES = ["a", "标题", ":", ": ", "\n", "  ", "- ", "[", "]", "{", "}", ",", "'", '"', "1", "1.5", "true",
          "null", "~", "2024-01-01", "!!str ", "!!int ", "!!binary aGk=", "<<: ", "#", "&x ", "*x", "? ", "|\n  ", ">\n  "]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
@example("title: 通知\nunits: [甲, 乙]\ntasks:\n  - requirement: 公开\n    deadline: 2024-06-30\n    seq: 3\n")
@example("a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: 2024-01-01\n'3': !!str 4\nk: !!binary aGk=\n<<: {m: 1}\n")
@example("- 1\n- - a\n  - b\n- {}\n- []\n- 0x1f\n- .inf\n- 1e3\n- yes\n? [1]\n")
@example("x: &a 1\ny: *a\n")
def test_yaml_is_built_as_pyyaml_builds_it(text):
    assert outcome(load_yaml, text) == outcome(by_pyyaml, text)


def test_explicit_tags_and_merge_keys_still_read():
    text = "n: !!str 4\nb: !!binary aGk=\n<<: {m: 1}\nd: 2024-01-01\n"
    data = load_yaml(text)
    assert data == {"n": "4", "b": b"hi", "m": 1, "d": "2024-01-01"}
    assert data.line_of("b") == 2
    # both parsers read it alike: the pure-Python one, and libyaml's (the fast path)
    careful = yamlload._load_careful(text, 0)
    assert careful == data and careful.line_of("b") == 2
    if yaml.__with_libyaml__:
        assert yamlload._FastLoader is not yamlload._Loader
        loader = yamlload._FastLoader(text)
        try:
            fast = loader.get_single_data()
        finally:
            loader.dispose()
        assert fast == data and fast.line_of("b") == 2


def test_a_value_its_tag_cannot_take_is_a_problem_with_its_line():
    """PyYAML's constructors raise IndexError or ValueError here: a message, not a traceback."""
    # The line and tag are those of the value that fails, not of the first "!" of the
    # text (in a value, or a tag that fits).
    for text, line, tag in (("!!int ", 1, "!!int"), ("a: 1\nc: !!float x\n", 2, "!!float"),
                            ("a: 1\nb: !!int\n", 2, "!!int"),
                            ("title: 注意!重要\nn: !!str 1\nitems:\n  - 1\n  - !!int 二\n", 5, "!!int")):
        try:
            load_yaml(text)
        except YamlProblem as p:
            assert p.line == line and f"类型标签 {tag} 不符" in p.message, (text, p)
        else:
            raise AssertionError(text)
