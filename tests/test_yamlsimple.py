"""The fast reader of plain YAML (generator.yamlsimple) must give what PyYAML gives,
lines included, and leave everything else to PyYAML."""
from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import yamlload
from generator.content.sources import split_front_matter
from generator.yamlload import YamlProblem, load_yaml
from generator.yamlsimple import NOT_SIMPLE, load_simple

from test_yamlload import shape

ROOT = Path(__file__).resolve().parent.parent


def by_pyyaml(text: str, line_offset: int = 0):
    """What load_yaml gives without the fast reader: both of PyYAML's parsers, which
    must agree (libyaml's, taken first, and the pure-Python one, the fallback)."""
    careful = yamlload._load_careful(text, line_offset)
    if yaml.__with_libyaml__:
        loader = yamlload._FastLoader(text)
        loader.line_offset = line_offset
        try:
            assert shape(loader.get_single_data()) == shape(careful)
        finally:
            loader.dispose()
    return careful


def same_or_declined(text: str, line_offset: int = 0) -> bool:
    """True when the fast reader took ``text`` (and gave PyYAML's result), False when it
    left it to PyYAML."""
    fast = load_simple(text, line_offset)
    if fast is NOT_SIMPLE:
        return False
    try:
        expected = by_pyyaml(text, line_offset)
    except YamlProblem as p:
        raise AssertionError(f"fast reader took a text PyYAML refuses ({p.message}): {text!r}") from None
    assert shape(fast) == shape(expected), text
    # the same strings are shared (keys always, short values): the build cache counts on it
    for key in getattr(fast, "keys", lambda: ())():
        assert sys.intern(key) is key
    return True


def sources(root: Path) -> list[tuple[str, str, int]]:
    """(name, YAML text, line offset) of every YAML file and front matter under root."""
    out = []
    for path in sorted(root.rglob("*.yaml")):
        out.append((str(path), path.read_text(encoding="utf-8"), 0))
    for path in sorted(root.rglob("*.md")):
        split = split_front_matter(path.read_text(encoding="utf-8"))
        if split is not None:
            out.append((str(path), split[0], 1))
    return out


def test_the_example_site_is_read_by_the_fast_reader_as_pyyaml_reads_it():
    found = sources(ROOT / "content")
    assert len(found) >= 10
    taken = [name for name, text, offset in found if same_or_declined(text, offset)]
    # all of the example's content is plain YAML: the fast reader must take it, or it
    # saves nothing where it counts (one source per document and task list)
    assert len(taken) == len(found), sorted({n for n, _, _ in found} - set(taken))
    # the configuration has comments after its values: PyYAML reads it, as it is read once
    assert not same_or_declined((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_the_benchmark_corpus_is_read_by_the_fast_reader_as_pyyaml_reads_it(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    corpus.generate(tmp_path / "site", 40)
    found = sources(tmp_path / "site")
    assert len(found) == 40 * 2 + 2          # with config.yaml and the units file
    assert all(same_or_declined(text, offset) for _, text, offset in found)


# Lines built from YAML's traps: values other than text, indicators, quotes, comments,
# flow collections, indentation that goes wrong.
KEYS = ["title", "标题", "seq", "units", "a b", "yes", "1", "null", "a:b", "a#b", "-a", "?a", "<<", "'q'",
        "a ", "~", "x"]
VALUES = ["", "通知", "公开 工作", "yes", "No", "ON", "off", "~", "null", "Null", "0", "7", "00", "012", "0x1f",
          "1_000", "1:20", "1.5", ".inf", ".", "-1", "+1", "2024-01-01", "2024-13-45", "<<", "=", "a: b", "a:b",
          "a #b", "a#b", "#a", "'q'", "'it''s'", "'a'b'", '"q"', '"a"b"', '""', "''", "[a, b]", "[a,b,]", "[ ]",
          "[]", "[a, [b]]", "[a, , b]", "[, a]", "[yes, 1, ~, 1.5]", "[a: b]", "{a: 1}", "&a x", "*a", "!!str 1",
          "|", ">", "- x", "-x", "?x", ":x", "%x", "@x", "`x`", "（一）做好", "100%", "a|b", "a>b", "x:", "a, b",
          "\u3000全角", "a\u00a0", "😀", "C#", "12:30", "见[附件]", "a]b", "1e3", "True", "[a?, b]", "[Y?]", "a?b", "[？, x]"]
INDENTS = ["", " ", "  ", "    "]
LINE = st.one_of(
    st.builds(lambda i, k, v: f"{i}{k}: {v}", st.sampled_from(INDENTS), st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda i, k: f"{i}{k}:", st.sampled_from(INDENTS), st.sampled_from(KEYS)),
    st.builds(lambda i, v: f"{i}- {v}", st.sampled_from(INDENTS), st.sampled_from(VALUES)),
    st.builds(lambda i, k, v: f"{i}- {k}: {v}", st.sampled_from(INDENTS), st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda i, v: f"{i}- - {v}", st.sampled_from(INDENTS), st.sampled_from(VALUES)),
    st.sampled_from(["", "# 注释", "  # 注释", "-", "---", "...", "key:value", "\t- a", "a:\tb", "a: b   ",
                     "a: b # 注释", "a:  b", "a: 'x", "  续行文字", "a: x\\u4e2d", "a: \ufeffb"]),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=12).map("\n".join), st.integers(0, 3))
@example("tasks:\n  - seq: 1\n    units: [甲, 乙]\n    deadline: 2024-06-30\n  - seq: 2\n", 0)
@example("a:\n- x\n- y\nb: 1\n", 0)
@example("a:\n  - x\n  b: 1\n", 0)
@example("- a: 1\n  b:\n  - x\n  c: 2\n- - p\n  - q\n", 2)
@example("a: 1\na: 2\n", 0)
@example("  a: 1\nb: 2\n", 0)
def test_generated_texts_are_read_as_pyyaml_reads_them_or_left_to_it(text, offset):
    same_or_declined(text, offset)


def test_the_generated_lines_reach_both_readers():
    """The strategy above is worth something only if it makes texts of both kinds."""
    rng = random.Random(7)
    taken = declined = 0
    for _ in range(2000):
        lines = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.randrange(3)
            key, value, indent = rng.choice(KEYS), rng.choice(VALUES), rng.choice(INDENTS[:3])
            lines.append(f"{indent}{key}: {value}" if kind == 0 else f"{indent}- {value}" if kind == 1
                         else f"{indent}- {key}: {value}")
        if same_or_declined("\n".join(lines)):
            taken += 1
        else:
            declined += 1
    assert taken >= 100 and declined >= 100, (taken, declined)


@pytest.mark.parametrize("text", [
    "a: 1.5\n", "a: 012\n", "a: 0x1f\n", "a: 1:20\n", "a: b # c\n", "a: |\n  x\n", "a: >\n  x\n",
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: {b: 1}\n", 'a: "x\\ny"\n', "a: x\n  y\n", "a:\tb\n",
    "a: b\r\nc: d\r\n", "---\na: 1\n", "a: 1\n...\n", "1: a\n", "yes: a\n", "a: 1\na: 2\n", "a: [b, [c]]\n",
    "- \n", "-\n  a: 1\n", "a: 'x\n", "a: b\u2028c\n", "\ufeffa: 1\n", "a: -1\n", "a: [b?]\n",
    "k" * 1025 + ": v\n", "- " + "键" * 1025 + ": v\n",
])
def test_texts_outside_the_plain_subset_are_left_to_pyyaml(text):
    assert load_simple(text) is NOT_SIMPLE


def test_mistakes_are_still_reported_by_pyyaml_with_their_line():
    """A duplicate key, a value that goes on, a bad indent: the fast reader steps aside
    and load_yaml's message and line are PyYAML's, as before."""
    cases = [("title: 甲\nseq: 1\ntitle: 乙\n", 3, "重复"),
             ("tasks:\n  - seq: 1\n     item: 错位\n", 3, "YAML 格式错误"),
             ("a: b: c\n", 1, "YAML 格式错误")]
    for text, line, words in cases:
        assert load_simple(text) is NOT_SIMPLE
        with pytest.raises(YamlProblem) as caught:
            load_yaml(text)
        assert caught.value.line == line and words in caught.value.message, (text, caught.value)


def test_what_the_fast_reader_gives():
    """The plain subset with its lines, written out once by hand."""
    text = "# 任务\ntitle: 通知\ndraft: false\nempty:\nunits: [甲, 乙 丙]\ntasks:\n  - seq: 1\n    q: 'it''s'\n\n  - - x\n"
    data = load_simple(text, 10)
    assert data == {"title": "通知", "draft": False, "empty": None, "units": ["甲", "乙 丙"],
                    "tasks": [{"seq": 1, "q": "it's"}, ["x"]]}
    assert (data.line, data.key_lines) == (12, {"title": 12, "draft": 13, "empty": 14, "units": 15, "tasks": 16})
    tasks = data["tasks"]
    assert (tasks.line, tasks.item_lines) == (17, [17, 20])
    assert (tasks[0].line, tasks[0].key_lines) == (17, {"seq": 17, "q": 18})
    assert data["units"].item_lines == [15, 15]
    assert type(data["tasks"][0]["seq"]) is int and type(data["draft"]) is bool
    assert load_simple("") is None and load_simple("# 只有注释\n\n") is None
