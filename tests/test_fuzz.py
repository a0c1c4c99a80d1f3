"""Robustness: random and hostile sources end in a clear error or a valid site, never a
traceback and never a hang.

Hypothesis writes random YAML (as text and as wrongly typed values), random Markdown,
random bytes, invalid UTF-8, GBK, UTF-16, BOMs and CRLF line ends into small sites and
builds them in-process under a hard time limit; explicit cases cover empty, very large
and deeply nested files and the "billion laughs" alias bomb, and a few run through the
command line to check that no Python traceback ever reaches the editor. The number of
cases run is printed at the end (``-s`` or the summary line of ``test_zz_summary``).

``GONGKAI_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py`` runs a deeper search.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_CONFIG, REPO, SiteMaker
from generator.build import build_site
from generator.content.documents import markdown_converter
from generator.content.sources import MAX_SOURCE_BYTES, decode_source, source_encoding
from generator.problems import BuildFailed, Problems
from generator.sanitize import convert_body
from generator.yamlload import YamlProblem, load_yaml

CASES: Counter = Counter()
EXAMPLES = int(os.environ.get("GONGKAI_FUZZ_EXAMPLES", "0")) or None
HARD_LIMIT_S = 30          # a case still running after this is a hang


def fuzz_settings(n: int):
    return settings(max_examples=EXAMPLES or n, deadline=timedelta(seconds=10), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    """Interrupt a case that runs too long (hypothesis' deadline only measures afterwards)."""
    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def assert_clear(problems: Problems) -> None:
    """Every problem names a file and says what is wrong, in words, not a Python error."""
    for p in problems:
        assert p.path and p.message, p
        assert "Traceback" not in p.message and " object at 0x" not in p.message, p.format()
        assert not any(name in p.message for name in ("Error:", "Exception", "errno")), p.format()
        # the built-in theme is correct, so a render error means an internal failure
        assert not p.path.startswith("templates/"), p.format()


def build_case(root: Path, kind: str) -> str:
    """Build in-process; return "built" or "error"; anything else fails the test."""
    CASES[kind] += 1
    out = root.parent / "out"
    with time_limit(HARD_LIMIT_S):
        try:
            result = build_site(root, out)
        except BuildFailed as failed:
            assert failed.problems.errors, "BuildFailed without an error"
            assert_clear(failed.problems)
            assert not out.exists() or (out / ".gongkai-manifest.json").exists()
            return "error"
    assert_clear(result.site.problems)
    assert (out / "index.html").is_file()
    return "built"


@contextlib.contextmanager
def scratch_site():
    with tempfile.TemporaryDirectory() as tmp:
        yield SiteMaker(Path(tmp) / "site")


def write_bytes(site: SiteMaker, rel: str, data: bytes) -> None:
    path = site.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ---------------------------------------------------------------- strategies

YAML_CHARS = list(":-[]{}&*!|>'\"#%@`,?\\\n \t") + list("abcxyz019") + list("甲乙一、（）：")
MD_PIECES = ["一、", "（一）", "(二)", "1.", "1．", "（1）", "- ", "* ", "1) ", "> ", "# ", "## ", "|", "|---|",
             "*", "**", "_", "`", "```", "[", "]", "](", ")", "![", "<", ">", "&", "&amp;", "&#60;", "\\",
             "\n", "\n\n", "    ", "\t", "。", "，", "正文", "标题", "<b>", "</b>", "<div>", "<script>",
             "[链接](https://example.gov.cn/)", "[x](#p1)", "javascript:", "<!--", "-->", "---", "***",
             "13812345678", "a@b.cn", "\r\n", "\u3000", "\ufeff", "\u200b"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["2024-06-26", "2024-02-30", "主动公开", "依申请公开",
                                                           "有效", "推进中", "local", "区财政局", "", " "]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=12)
DOC_KEYS = ["title", "disclosure", "index_no", "doc_no", "issuer", "topic", "written", "published", "validity",
            "doc_type", "keywords", "unit_scope", "attachments", "tasks_note", "draft", "privacy_ack", "other"]
TASK_KEYS = ["seq", "section", "item", "requirement", "units", "units_note", "lead_units", "deadline", "status",
             "progress"]
CONFIG_KEYS = ["name", "base_url", "organizer", "site_code", "icp", "contact", "footer_links", "error_report_url",
               "build_date", "raw_html", "source_encoding", "privacy", "language"]

yaml_text = st.text(alphabet=st.sampled_from(YAML_CHARS), max_size=200)
markdown = st.lists(st.one_of(st.sampled_from(MD_PIECES), st.text(max_size=8)), max_size=60).map("".join)


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def front_with(extra: dict) -> str:
    data = {"title": "文件", "disclosure": "主动公开"}
    data.update(extra)
    return dump(data)


# ---------------------------------------------------------------- property tests: whole builds

@fuzz_settings(150)
@given(front=yaml_text, body=markdown)
def test_random_front_matter_text(front, body):
    with scratch_site() as site:
        site.document("a", front="title: 甲\ndisclosure: 主动公开\n" + front + "\n", body=body)
        build_case(site.root, "front matter as random YAML text")


@fuzz_settings(150)
@given(extra=st.dictionaries(st.sampled_from(DOC_KEYS), values, max_size=6), body=markdown)
def test_wrongly_typed_front_matter(extra, body):
    with scratch_site() as site:
        site.write("content/documents/a/index.md", "---\n" + front_with(extra) + "---\n" + body)
        build_case(site.root, "front matter with random values and types")


@fuzz_settings(120)
@given(rows=st.lists(st.dictionaries(st.sampled_from(TASK_KEYS), values, max_size=6), max_size=5),
       caption=values, raw=st.one_of(st.none(), yaml_text))
def test_random_task_lists(rows, caption, raw):
    with scratch_site() as site:
        site.document("a", tasks=raw if raw is not None else dump({"caption": caption, "tasks": rows}))
        build_case(site.root, "tasks.yaml with random rows")


@fuzz_settings(80)
@given(units=values, raw=st.one_of(st.none(), yaml_text))
def test_random_units_files(units, raw):
    with scratch_site() as site:
        site.write("content/units/local.yaml", raw if raw is not None else dump({"name": "区", "units": units}))
        site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
        build_case(site.root, "units file with random content")


@fuzz_settings(80)
@given(extra=st.dictionaries(st.sampled_from(CONFIG_KEYS), values, max_size=5))
def test_random_config(extra):
    with scratch_site() as site:
        config = yaml.safe_load(MINIMAL_CONFIG)
        config.update(extra)
        site.write("config.yaml", dump(config))
        site.document("a")
        build_case(site.root, "config.yaml with random values")


@fuzz_settings(150)
@given(body=markdown, policy=st.sampled_from(["escape", "sanitize", "reject"]))
def test_random_markdown_under_each_html_policy(body, policy):
    with scratch_site() as site:
        site.write("config.yaml", MINIMAL_CONFIG + f"raw_html: {policy}\n")
        site.document("a", body=body)
        build_case(site.root, "Markdown body (random, each raw_html policy)")


def _plain_markdown(policy: str):
    """A converter as markdown_converter() makes it, with python-markdown's own inline processor."""
    from markdown.treeprocessors import InlineProcessor
    md = markdown_converter(policy)
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    return md


@fuzz_settings(300)
@given(body=st.lists(st.one_of(st.sampled_from(MD_PIECES + ["  \n", "a  \nb", " \n"]), st.text(max_size=8)),
                     max_size=60).map("".join),
       policy=st.sampled_from(["escape", "sanitize", "reject"]))
def test_text_left_alone_by_the_quick_inline_processor_is_what_python_markdown_makes(body, policy):
    # QuickInline skips python-markdown's inline patterns on text that holds nothing any
    # of them needs: the HTML must be python-markdown's own, character for character.
    quick, plain = markdown_converter(policy), _plain_markdown(policy)
    html = quick.convert(body)
    assert html == plain.convert(body)
    assert quick.treeprocessors["inline"].quick or not body.strip()     # python-markdown stops early on blank text
    CASES["Markdown body (quick inline = python-markdown's)"] += 1


@fuzz_settings(300)
@given(body=st.lists(st.one_of(st.sampled_from(MD_PIECES + ["=", "===", "+ ", "_ _ _", "[1]: a/", "2024年", " ", "甲|乙",
                                                          "１. ", "٣. ", "２", "\u3000", "\xa0"]),
                             st.text(max_size=8)), max_size=60).map("".join),
       policy=st.sampled_from(["escape", "sanitize", "reject"]))
def test_blocks_made_paragraphs_by_the_quick_paragraph_processor_are_what_python_markdown_makes(body, policy):
    # QuickParagraph makes a top-level block that no other block processor can take a
    # paragraph without trying them: the HTML must be python-markdown's own.
    quick = markdown_converter(policy)
    plain = markdown_converter(policy)
    plain.parser.blockprocessors.deregister("quick_paragraph")
    assert quick.convert(body) == plain.convert(body)
    assert quick.parser.blockprocessors["quick_paragraph"].quick or not body.strip()
    CASES["Markdown body (quick paragraph = python-markdown's)"] += 1


def test_the_quick_paragraph_processor_makes_the_example_documents_as_python_markdown_does():
    quick = markdown_converter()
    plain = markdown_converter()
    plain.parser.blockprocessors.deregister("quick_paragraph")
    sources = sorted(Path(__file__).resolve().parent.parent.glob("content/**/*.md"))
    assert len(sources) >= 5
    texts = [source.read_text(encoding="utf-8") for source in sources]
    # a digit in any script starts an ordered list ("１. 甲" is one to python-markdown)
    texts += ["１. 项目\n２. 二", "甲\n١. 乙", "段落\n> 引", "标题\n===", "\u3000全角空格起头", "甲|乙\n-|-\n1|2"]
    for text in texts:
        assert quick.reset().convert(text) == plain.reset().convert(text), text[:40]
    assert quick.reset().convert("１. 项目").startswith("<ol")


@pytest.mark.parametrize("policy", ["escape", "sanitize", "reject"])
@pytest.mark.parametrize("text", ["政务`公开`要点", "政务\\#公开", "见[通知](a/)", "见[通知][1]\n\n[1]: a/", "见[通知]",
                                  "![图](a.png)", "<https://www.gov.cn/>", "<ban@gov.cn>", "甲  \n乙", "甲&amp;乙",
                                  "甲&#20844;乙", "*公开*", "_公开_", "**公开**", "__公开__", "甲<b>乙</b>"])
def test_each_inline_pattern_alone_is_still_applied(text, policy):
    # Text whose one special character is what a single pattern needs: the random texts
    # above seldom hold only one, and a character missing from what QuickInline looks
    # for would leave that pattern out. (An entity comes out the same without its
    # pattern: python-markdown's serializer does not escape the & of an entity.)
    assert markdown_converter(policy).convert(text) == _plain_markdown(policy).convert(text)


def test_the_quick_inline_processor_steps_aside_for_patterns_it_does_not_know():
    # An inline pattern it does not know (another python-markdown, an extension) may match
    # anything: then every piece of text is tried, as python-markdown does.
    from markdown.inlinepatterns import SimpleTagInlineProcessor
    md = markdown_converter("escape")
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(公开)(.+?)\1", "mark"), "mark", 5)
    assert md.convert("政务公开要点公开") == "<p>政务<mark>要点</mark></p>"
    assert not md.treeprocessors["inline"].quick
    md = markdown_converter("escape")
    assert md.convert("政务公开要点公开") == "<p>政务公开要点公开</p>" and md.treeprocessors["inline"].quick


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "big5", "latin-1"])


@fuzz_settings(120)
@given(body=st.text(max_size=80), encoding=ENCODINGS, crlf=st.booleans(), cut=st.integers(0, 400),
       target=st.sampled_from(["content/documents/a/index.md", "content/documents/a/tasks.yaml",
                               "content/units/local.yaml", "config.yaml"]),
       policy=st.sampled_from(["utf-8", "auto"]))
def test_encodings_bom_crlf_and_truncation(body, encoding, crlf, cut, target, policy):
    with scratch_site() as site:
        site.write("config.yaml", MINIMAL_CONFIG + f"source_encoding: {policy}\n")
        site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
        original = (site.root / target).read_text(encoding="utf-8")
        text = original.replace("甲", "甲" + body.replace("\n", " ")) if "甲" in original else original + "# " + body
        if crlf:
            text = text.replace("\n", "\r\n")
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode(encoding, "replace")
        if cut and cut < len(data):
            data = data[:-cut] if cut % 2 else data[:cut]
        write_bytes(site, target, data)
        build_case(site.root, "encodings, BOM, CRLF, truncation")


@fuzz_settings(80)
@given(data=st.binary(max_size=300), target=st.sampled_from(["content/documents/a/index.md",
                                                             "content/documents/a/tasks.yaml",
                                                             "content/units/local.yaml", "config.yaml"]))
def test_random_bytes(data, target):
    with scratch_site() as site:
        site.document("a")
        write_bytes(site, target, data)
        build_case(site.root, "random bytes as a source")


# ---------------------------------------------------------------- property tests: loaders alone

@fuzz_settings(300)
@given(text=st.one_of(yaml_text, st.text(max_size=200)))
def test_yaml_loader_alone(text):
    CASES["YAML loader alone"] += 1
    with time_limit(HARD_LIMIT_S):
        try:
            load_yaml(text)
        except YamlProblem as p:
            assert p.message


@fuzz_settings(300)
@given(data=st.binary(max_size=200), policy=st.sampled_from(["utf-8", "auto"]))
def test_decoder_alone(data, policy):
    CASES["source decoder alone"] += 1
    problems = Problems(Path("/"))
    with source_encoding(policy):
        text = decode_source(data, "x.md", problems)
    assert (text is None) == problems.has_errors()
    assert_clear(problems)


@fuzz_settings(300)
@given(body=markdown, policy=st.sampled_from(["escape", "sanitize", "reject"]))
def test_markdown_converter_alone(body, policy):
    CASES["Markdown converter alone"] += 1
    problems = Problems(Path("/"))
    with time_limit(HARD_LIMIT_S):
        html, headings = convert_body(markdown_converter(policy), body, 1, "x.md", problems)
    assert_clear(problems)
    assert "\x02" not in html and all("\x02" not in h.text for h in headings), "Markdown placeholders leaked"
    if policy != "reject" or not problems.has_errors():
        assert "<script" not in html.lower()


# ---------------------------------------------------------------- explicit hostile cases

def _deep(n: int) -> str:
    return "[" * n + "]" * n


BILLION_LAUGHS = textwrap.dedent("""\
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """)

HOSTILE = {
    # name: (file, content as bytes, expected message fragment or None when the site builds)
    "empty index.md": ("content/documents/a/index.md", b"", "front matter"),
    "empty tasks.yaml": ("content/documents/a/tasks.yaml", b"", "空文件"),
    "empty units file": ("content/units/local.yaml", b"", "空文件"),
    "empty config": ("config.yaml", b"", "缺少必填项"),
    "only front matter fences": ("content/documents/a/index.md", b"---\n---\n", "元数据是空的"),
    "BOM and CRLF": ("content/documents/a/index.md",
                     b"\xef\xbb\xbf---\r\ntitle: \xe7\x94\xb2\r\ndisclosure: \xe4\xb8\xbb\xe5\x8a\xa8\xe5\x85\xac\xe5\xbc\x80\r\n---\r\n\xe6\xad\xa3\xe6\x96\x87\r\n", None),
    "GBK document": ("content/documents/a/index.md",
                     "---\ntitle: 政务公开\ndisclosure: 主动公开\n---\n正文\n".encode("gb18030"), "GBK"),
    "UTF-16 document": ("content/documents/a/index.md",
                        "---\ntitle: 政务公开\ndisclosure: 主动公开\n---\n正文\n".encode("utf-16"), "UTF-16"),
    "mixed UTF-8 and GBK": ("content/documents/a/index.md",
                            "---\ntitle: 政务公开\ndisclosure: 主动公开\n---\n正文，".encode() + "政务公开".encode("gbk"),
                            "混用"),
    "invalid UTF-8": ("content/documents/a/index.md", b"---\ntitle: \xff\xfe\xfd\ndisclosure: x\n---\n", "UTF-8"),
    "NUL bytes": ("content/documents/a/index.md", b"---\ntitle: a\x00b\n---\n", "空字符"),
    "billion laughs": ("content/documents/a/tasks.yaml", BILLION_LAUGHS.encode(), "别名"),
    "deep flow nesting": ("content/documents/a/tasks.yaml", _deep(100_000).encode(), "嵌套"),
    "deep block nesting": ("content/units/local.yaml", ("- " * 100_000 + "x").encode(), "嵌套"),
    "deep nesting in front matter": ("content/documents/a/index.md",
                                     ("---\ntitle: " + _deep(50_000) + "\n---\n").encode(), "嵌套"),
    "deep mapping nesting": ("config.yaml", "".join(" " * i + "a:\n" for i in range(1500)).encode(), "嵌套"),
    "too large": ("content/documents/a/index.md", b"---\ntitle: a\ndisclosure: x\n---\n" + b"a" * MAX_SOURCE_BYTES,
                  "文件过大"),
    "large but allowed": ("content/documents/a/index.md",
                          ("---\ntitle: 大文件\ndisclosure: 主动公开\n---\n" + "一、正文段落。\n\n" * 60_000).encode(), None),
    "bracket bomb": ("content/documents/a/index.md",
                     ("---\ntitle: a\ndisclosure: 主动公开\n---\n" + "[" * 300_000).encode(), "Markdown 符号太多"),
    "link-start bomb": ("content/documents/a/index.md",
                        ("---\ntitle: a\ndisclosure: 主动公开\n---\n" + "[a](" * 60_000).encode(), "Markdown 符号太多"),
    "emphasis in one huge paragraph": ("content/documents/a/index.md",
                                       ("---\ntitle: a\ndisclosure: 主动公开\n---\n" + "正文*强调*。" * 120_000).encode(),
                                       "Markdown 符号太多"),
    "one huge run before an @ (scanner worst case)": ("content/documents/a/index.md",
                                                      ("---\ntitle: a\ndisclosure: 主动公开\n---\n" + "a1." * 400_000
                                                       + "@x\n").encode(), None),
    "a million digits (scanner worst case)": ("content/documents/a/index.md",
                                              ("---\ntitle: a\ndisclosure: 主动公开\n---\n" + "1" * 1_000_000
                                               + "\n").encode(), None),
    "deeply nested list": ("content/documents/a/index.md",
                           ("---\ntitle: a\ndisclosure: 主动公开\n---\n"
                            + "".join("    " * i + "- a\n" for i in range(400))).encode(), "嵌套太深"),
    "lone surrogate escape": ("content/documents/a/index.md",
                              b'---\ntitle: "\\ud800"\ndisclosure: \xe4\xb8\xbb\xe5\x8a\xa8\xe5\x85\xac\xe5\xbc\x80\n---\n',
                              "无效的字符"),
    "control characters in a file name": ("content/documents/a/index.md",
                                          '---\ntitle: 甲\ndisclosure: 主动公开\nattachments:\n  - title: x\n    file: "a\\x00b"\n---\n'.encode(),
                                          "控制字符"),
    "index.md is a folder": ("content/documents/a/index.md/x", b"", "没有 index.md"),
    "python tag": ("content/documents/a/tasks.yaml", b"tasks: !!python/object/apply:os.system [\"true\"]\n", "YAML"),
    "binary tag": ("content/documents/a/index.md",
                   b"---\ntitle: !!binary aGVsbG8=\ndisclosure: \xe4\xb8\xbb\xe5\x8a\xa8\xe5\x85\xac\xe5\xbc\x80\n---\n", None),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files(make_site, name):
    rel, data, expected = HOSTILE[name]
    site = make_site()
    site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
    target = site.root / rel
    if target.exists():
        target.unlink()
    if rel.endswith("index.md/x"):
        (site.root / "content/documents/a/index.md").unlink()
    write_bytes(site, rel, data)
    start = time.perf_counter()
    outcome = build_case(site.root, "hostile files (explicit)")
    elapsed = time.perf_counter() - start
    assert elapsed < 20, f"{name} took {elapsed:.1f} s"
    if expected is None:
        assert outcome == "built", name
    else:
        assert outcome == "error", name
        try:
            build_site(site.root, site.root.parent / "out2")
        except BuildFailed as failed:
            text = "\n".join(p.format() for p in failed.problems)
            assert expected in text, text


def test_gbk_is_converted_with_a_warning_when_configured(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", MINIMAL_CONFIG + "source_encoding: auto\n")
    write_bytes(site, "content/documents/a/index.md",
                "---\ntitle: 政务公开工作要点\ndisclosure: 主动公开\n---\n一、总体要求\n\n正文“引号”。\n".encode("gbk"))
    write_bytes(site, "content/documents/a/tasks.yaml",
                "tasks:\r\n  - requirement: 做好公开\r\n    units: [区财政局]\r\n".encode("gb18030"))
    result = site.build(tmp_path / "out")
    assert result.site.documents[0].title == "政务公开工作要点"
    warnings = [p.format() for p in result.site.problems.warnings]
    assert any(w.startswith("content/documents/a/index.md: 警告: 文件是 GBK/GB18030 编码，已自动转换") for w in warnings)
    assert any(w.startswith("content/documents/a/tasks.yaml: 警告: 文件是 GBK") for w in warnings)
    assert "正文“引号”。" in (tmp_path / "out/documents/a/index.html").read_text(encoding="utf-8")


def test_gbk_is_rejected_by_default_with_a_conversion_hint(make_site):
    site = make_site()
    write_bytes(site, "content/documents/a/index.md",
                "---\ntitle: 政务公开\ndisclosure: 主动公开\n---\n正文\n".encode("gbk"))
    problems = site.build_problems()
    err = problems.errors[0]
    assert err.format().startswith("content/documents/a/index.md:2: 错误: 文件是 GBK/GB18030 编码，不是 UTF-8")
    assert "另存为 UTF-8" in err.hint and "iconv -f GB18030 -t UTF-8" in err.hint and "source_encoding: auto" in err.hint


def test_random_binary_is_not_mistaken_for_gbk():
    import random
    rng = random.Random(1)
    mistaken = 0
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(20, 200)))
        problems = Problems(Path("/"))
        with source_encoding("auto"):
            if decode_source(data, "x", problems) is not None and any("GBK" in p.message for p in problems):
                mistaken += 1
    CASES["random binary vs GBK detection"] += 300
    assert mistaken == 0


NASTY_CLI = {
    "deep nesting": ("content/documents/a/tasks.yaml", _deep(100_000).encode()),
    "billion laughs": ("config.yaml", (MINIMAL_CONFIG + "x: &a [1]\ny: *a\n").encode()),
    "random bytes": ("content/documents/a/index.md", bytes(range(256)) * 4),
    "bracket bomb": ("content/documents/a/index.md", b"---\ntitle: a\ndisclosure: x\n---\n" + b"[" * 200_000),
    "surrogate": ("content/units/local.yaml", b'name: "\\udc80"\nunits: []\n'),
}


@pytest.mark.parametrize("name", list(NASTY_CLI))
def test_cli_never_shows_a_traceback(make_site, name):
    rel, data = NASTY_CLI[name]
    site = make_site()
    site.document("a")
    write_bytes(site, rel, data)
    for command in ("check", "build"):
        CASES["command line (subprocess)"] += 1
        proc = subprocess.run([sys.executable, "-m", "generator", command, "--site", str(site.root)],
                              capture_output=True, text=True, cwd=REPO, timeout=60)
        assert proc.returncode == 1, (name, command, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr and "Segmentation" not in proc.stderr, proc.stderr[-2000:]
        assert "错误:" in proc.stderr


def test_zz_summary(capsys):
    total = sum(CASES.values())
    with capsys.disabled():
        print(f"\n[fuzz] {total} cases run, none ended in a traceback or a hang:")
        for kind, n in sorted(CASES.items(), key=lambda kv: -kv[1]):
            print(f"[fuzz]   {n:5d}  {kind}")
    assert total > 0
