"""Broken sources: every problem is reported in one pass as path:line with a hint,
the exit status is non-zero, and nothing is written."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def messages(problems) -> list[str]:
    return [p.format() for p in problems.sorted()]


def assert_reported(problems, where: str, *fragments: str) -> None:
    lines = [p.format() for p in problems.errors if p.format().startswith(where)]
    assert lines, f"no error at {where}; got: {messages(problems)}"
    assert any(all(f in line for f in fragments) for line in lines), lines


def test_all_errors_collected_in_one_pass(make_site, tmp_path):
    site = make_site()
    site.document("bad-yaml", front="title: 甲\ndisclosure: 主动公开\nissuer: [未闭合\n")
    site.document("no-title", front="disclosure: 主动公开\n")
    site.document("bad-date", front="title: 乙\ndisclosure: 主动公开\nwritten: 2024-02-30\n")
    site.document("bad-choice", front="title: 丙\ndisclosure: 公开\n")
    site.document("dup-a", front="title: 丁\ndisclosure: 主动公开\nindex_no: ABC/2024-1\n")
    site.document("dup-b", front="title: 戊\ndisclosure: 主动公开\n\nindex_no: ABC/2024-1\n")
    site.document("tasked", tasks="""\
        tasks:
          - requirement: 做好公开
            units: [区政府办公室, 区不存在局]
          - requirement: 另一项
            units: [区财政局]
            deadline: 2024年2月30日前
        """)
    out = tmp_path / "out"
    problems = site.build_problems(out)
    assert_reported(problems, "content/documents/bad-yaml/index.md:4:", "YAML 格式错误")
    assert_reported(problems, "content/documents/no-title/index.md:2:", "缺少必填项", "title")
    assert_reported(problems, "content/documents/bad-date/index.md:4:", "2024-02-30", "2月没有30日")
    assert_reported(problems, "content/documents/bad-choice/index.md:3:", "公开属性", "不是允许的值")
    assert_reported(problems, "content/documents/dup-b/index.md:5:", "索引号", "重复",
                    "content/documents/dup-a/index.md:4")
    assert_reported(problems, "content/documents/tasked/tasks.yaml:2:", "区不存在局", "content/units/local.yaml")
    assert_reported(problems, "content/documents/tasked/tasks.yaml:4:", "完成时限", "不是存在的日期")
    assert all(p.hint for p in problems.errors), "every error carries a hint"
    assert len(problems.errors) == 7
    assert not out.exists(), "nothing is written when there are errors"


def test_unknown_unit_suggests_close_names(make_site):
    site = make_site()
    site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政]\n")
    problems = site.build_problems()
    assert "区财政局" in problems.errors[0].hint


def test_the_same_unknown_unit_is_reported_at_every_row_that_names_it(make_site):
    """Rows naming the same units are resolved once; a combination with an unknown unit
    is not taken from there, so each of its rows gets its own message and line."""
    site = make_site()
    rows = ("tasks:\n  - requirement: 甲\n    units: [区财政局, 区不存在局]\n"
            "  - requirement: 乙\n    units: [区财政局]\n"
            "  - requirement: 丙\n    units: [区财政局, 区不存在局]\n")
    site.document("a", tasks=rows)
    site.document("b", tasks=rows)
    problems = site.build_problems()
    where = sorted(f"{p.path}:{p.line}" for p in problems.errors if "区不存在局" in p.message)
    assert where == ["content/documents/a/tasks.yaml:2", "content/documents/a/tasks.yaml:6",
                     "content/documents/b/tasks.yaml:2", "content/documents/b/tasks.yaml:6"]


def test_rows_naming_the_same_units_share_their_resolved_units(make_site, tmp_path):
    site = make_site()
    rows = ("tasks:\n  - {requirement: 甲, units: [区财政局, 区政府办], lead_units: [区财政局]}\n"
            "  - {requirement: 乙, units: [区财政局]}\n"
            "  - {requirement: 丙, units: [区财政局, 区政府办], lead_units: [区财政局]}\n")
    site.document("a", tasks=rows)
    site.document("b", tasks=rows)
    built = site.build(tmp_path / "out").site
    a, b = built.task_rows["a"], built.task_rows["b"]
    assert [u.name for u in a[0].units] == ["区财政局", "区政府办公室"]
    assert [name for name, _ in a[0].unit_refs] == ["区财政局", "区政府办"]
    assert [u.name for u in a[0].lead_units] == ["区财政局"] and a[1].lead_units == ()
    for x, y in ((a[0], a[2]), (a[0], b[0]), (a[1], b[1])):
        assert x.units is y.units and x.unit_refs is y.unit_refs and x.lead_refs is y.lead_refs

def test_duplicate_unit_ids_and_aliases(make_site):
    site = make_site()
    site.write("content/units/other.yaml", """\
        name: 别的区
        units:
          - id: local-bgs
            name: 办公室
        """)
    site.write("content/units/local.yaml", """\
        name: 测试区
        units:
          - id: local-bgs
            name: 区政府办公室
          - id: local-czj
            name: 区财政局
            aliases: [区政府办公室]
        """)
    problems = site.build_problems()
    assert_reported(problems, "content/units/other.yaml:3:", "local-bgs", "重复")
    assert_reported(problems, "content/units/local.yaml:5:", "区政府办公室", "同时属于")


def test_duplicate_task_sequence_and_wrong_types(make_site):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nkeywords: {a: 1}\ndraft: 是\n",
                  tasks="tasks:\n  - seq: 1\n    requirement: 甲\n    units: [区财政局]\n"
                        "  - seq: 1\n    requirement: 乙\n    units: [区财政局]\n")
    problems = site.build_problems()
    assert_reported(problems, "content/documents/a/index.md:4:", "主题词", "列表")
    assert_reported(problems, "content/documents/a/index.md:5:", "草稿", "true 或 false")
    assert_reported(problems, "content/documents/a/tasks.yaml:5:", "序号 1 重复")


def test_config_schema(make_site):
    site = make_site()
    site.write("config.yaml", "name: 测试站\nbase_url: 不是网址\norganizer: [甲]\nsite_code: '1'\n"
                              "icp: x\nfooter_link: []\n")
    problems = site.build_problems()
    assert_reported(problems, "config.yaml:2:", "网站地址", "不是完整的网址")
    assert_reported(problems, "config.yaml:3:", "主办单位", "应当是文字")
    warnings = [p.format() for p in problems.warnings]
    assert any(w.startswith("config.yaml:6:") and "footer_links" in w for w in warnings), warnings

    site.write("config.yaml", "name: 测试站\n")
    problems = site.build_problems()
    missing = sorted(p.message for p in problems.errors)
    assert missing == sorted(f"缺少必填项 {f}" for f in
                             ("网站地址 base_url", "主办单位 organizer", "网站标识码 site_code", "ICP备案号 icp"))


def test_unreadable_sources(make_site):
    site = make_site()
    folder = site.root / "content" / "documents" / "gbk"
    folder.mkdir(parents=True)
    (folder / "index.md").write_bytes("---\ntitle: 政务公开\ndisclosure: 主动公开\n---\n正文\n".encode("gb18030"))
    site.write("content/documents/Bad_Name/index.md", "---\ntitle: x\ndisclosure: 主动公开\n---\n")
    site.write("content/documents/nofront/index.md", "只有正文\n")
    site.write("content/documents/alias/index.md", "---\ntitle: &t 甲\ndisclosure: 主动公开\nissuer: *t\n---\n")
    (site.root / "content/documents/empty").mkdir()
    problems = site.build_problems()
    assert_reported(problems, "content/documents/gbk/index.md:2:", "UTF-8", )
    assert "GBK" in next(p.hint for p in problems.errors if p.path.startswith("content/documents/gbk"))
    assert_reported(problems, "content/documents/Bad_Name", "不是有效的标识")
    assert_reported(problems, "content/documents/nofront/index.md:1:", "front matter")
    assert_reported(problems, "content/documents/alias/index.md:4:", "别名")
    assert_reported(problems, "content/documents/empty", "没有 index.md")


def test_broken_template_override_names_template_file_and_line(make_site):
    site = make_site()
    site.document("a")
    site.write("templates/document.html", "{% extends \"base.html\" %}\n{% block content %}\n{{ document.no_such_field }}\n{% endblock %}\n")
    problems = site.build_problems()
    err = problems.errors[0]
    assert err.path.endswith("templates/document.html") and err.line == 3, err.format()
    site.write("templates/document.html", "{% extends \"base.html\" %}\n{% block content %}\n{% if %}\n")
    err = site.build_problems().errors[0]
    assert err.path.endswith("templates/document.html") and err.line == 3 and "语法" in err.message


def test_cli_exit_status_and_output(make_site, tmp_path):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\npublished: 2024-13-01\n")
    for verb in ("build", "check"):
        proc = subprocess.run([sys.executable, "-m", "generator", verb, "--site", str(site.root)],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 1
        assert "content/documents/a/index.md:4: 错误: 发布日期 published" in proc.stderr
        assert "月份 13 不存在" in proc.stderr and "提示:" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (site.root / "output").exists()


def test_plain_text_fields_checked_as_convert_checks_them(tmp_path):
    # Schema.check takes a text value of a field with no choices and no check straight
    # (stripped); every other value goes through _convert. For every field of every
    # schema and a range of values, the result and the problems are _convert's own.
    from generator import config, privacy
    from generator.content import documents, interpretations, tasks, units
    from generator.problems import Problems
    from generator.schema import Field, Schema, _convert
    from generator.yamlload import LineDict

    schemas = [value for module in (config, privacy, documents, interpretations, tasks, units)
               for name, value in vars(module).items() if name.endswith("_SCHEMA")]
    assert len(schemas) >= 10 and all(type(schema) is Schema for schema in schemas)
    values = ["甲", "  乙 丙 ", " ", "2024-06-26", "laiwu-2024", "Bad ID", "主动公开", "true",
              "12", 12, True, ["甲"], {"a": 1}]
    taken = 0
    for schema in schemas:
        for f in schema.fields:
            for value in values:
                data = LineDict({f.name: value})
                data.line, data.key_lines = 3, {f.name: 7}
                got, want = Problems(tmp_path), Problems(tmp_path)
                out = schema.check(data, "x.yaml", got, 3)
                expected = _convert(f, value, 7, "x.yaml", want)
                assert out is not None and out[f.name] == expected, (f.name, value)
                # less the other fields' 缺少必填项, reported at the mapping's own line
                assert [p.format() for p in got.items if p.line != 3] == [p.format() for p in want.items]
                taken += f.name in schema._plain and type(value) is str
    assert taken > 100
    # a list of texts: each item as _convert takes a single value of the item's kind
    lists = 0
    for schema in schemas:
        for f in schema.fields:
            if f.kind != "list" or isinstance(f.item, Schema):
                continue
            items = ["  甲 ", "", " ", "乙", "主动公开", 5, True]
            one = Field(f.name, f.item or "str", label=f.label, choices=f.choices, hint=f.hint)
            got, want = Problems(tmp_path), Problems(tmp_path)
            expected = [c for c in (_convert(one, i, 7, "x.yaml", want) for i in items) if c is not None and c != ""]
            assert _convert(f, items, 7, "x.yaml", got) == expected, f.name
            assert [p.format() for p in got.items] == [p.format() for p in want.items], f.name
            lists += 1
    assert lists >= 3
