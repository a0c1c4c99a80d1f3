"""Build behaviour: deterministic, atomic, overridable templates, safe output folders."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, page_soup
from generator.problems import BuildFailed


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical_across_hash_seeds(tmp_path):
    digests = []
    for seed in ("0", "12345"):
        out = tmp_path / f"out{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed, TZ="Pacific/Auckland" if seed == "0" else "UTC",
                   LC_ALL="C")
        subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(REPO),
                        "--output", str(out)], check=True, env=env, capture_output=True, cwd=REPO)
        digests.append(tree_digest(out))
    assert digests[0] == digests[1]
    assert len(digests[0]) > 50


def test_failed_build_leaves_previous_output_untouched(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    site.build(out)
    before = tree_digest(out)
    site.document("b", front="title: 乙\ndisclosure: 主动公开\npublished: 2024-02-31\n")
    with pytest.raises(BuildFailed):
        site.build(out)
    assert tree_digest(out) == before
    # and a template that fails while rendering (after loading succeeded) too
    site.document("b")
    site.write("templates/list.html", "{{ nope }}")
    with pytest.raises(BuildFailed):
        site.build(out)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"], "no temporary folders left"


def test_rebuild_replaces_the_old_site_and_removes_it(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    site.build(out)
    (out / "stray.html").write_text("left by hand", encoding="utf-8")
    # a replaced site left behind by a build killed while removing it (no such process)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".out.old-{dead}"
    (stale / "documents").mkdir(parents=True)
    (stale / "documents" / "index.html").write_text("old", encoding="utf-8")
    site.document("b")
    site.build(out)                     # a full build: the old site is swapped out, then removed
    assert (out / "documents" / "b" / "index.html").exists()
    assert not (out / "stray.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"], "old sites removed"


def test_site_templates_override_the_theme_file_by_file(make_site, tmp_path):
    site = make_site()
    site.document("a")
    site.write("templates/home.html", '{% extends "base.html" %}{% block content %}<h1>本站首页</h1>{% endblock %}')
    site.write("templates/assets/extra.css", "body{}")
    out = tmp_path / "out"
    site.build(out)
    assert page_soup(out, "").h1.get_text() == "本站首页"
    assert page_soup(out, "documents/a/").h1.get_text() == "文件a"   # theme template still used
    assert (out / "assets" / "extra.css").exists() and (out / "assets" / "site.css").exists()


def test_a_site_task_template_reads_merged_cells_by_attribute_or_by_key(make_site, tmp_path):
    """merge_cells gives objects (faster for Jinja than dicts); a site's own template
    written for the dicts, cell["row"], keeps working, and a wrong key still fails."""
    site = make_site()
    site.document("a", tasks="tasks:\n"
                             "  - {section: 一、甲类, requirement: 要求一, units: [区财政局]}\n"
                             "  - {section: 一、甲类, requirement: 要求二, units: [区财政局]}\n"
                             "  - {section: 二、乙类, requirement: 要求三, units: [区财政局]}\n")
    site.write("templates/tasks.html", '{% extends "base.html" %}{% block content %}<ol>'
               '{% for cell in merge_cells(rows) %}<li data-span="{{ cell["section_span"] }}">'
               '{{ cell.row.task.requirement }}/{{ cell["row"].task.section }}/{{ cell.item_span }}</li>'
               '{% endfor %}</ol>{% endblock %}')
    out = tmp_path / "out"
    site.build(out)
    items = page_soup(out, "documents/a/tasks/").select("li[data-span]")
    assert [(li["data-span"], li.get_text()) for li in items] == [
        ("2", "要求一/一、甲类/2"), ("0", "要求二/一、甲类/0"), ("1", "要求三/二、乙类/1")]
    site.write("templates/tasks.html", '{% extends "base.html" %}{% block content %}'
               '{% for cell in merge_cells(rows) %}{{ cell["rowspan"] }}{% endfor %}{% endblock %}')
    problems = site.build_problems(tmp_path / "out2")
    assert any("rowspan" in p.message for p in problems.errors)


def test_a_pages_linker_makes_the_links_its_rel_makes():
    """Templates get Page.linker(base_path), one function per page; Page.rel is the rule."""
    from generator.pages import Page
    targets = ["", "documents/", "documents/a/#p1", "#top", "a/b/#", "文件/甲/", "assets/site.css",
               "units/x/#task-2", "q?x=1#y", "a#b#c", "a b/"]
    for url in ["", "documents/", "documents/a/", "a/b/c.html", "404.html", "x.xml"]:
        for absolute in (False, True):
            page = Page("k", url, "t.html", "T", "C", absolute_links=absolute)
            for base in ("/", "/zwgk/"):
                link = page.linker(base)
                assert [link(t) for t in targets] == [page.rel(t, base) for t in targets]
    assert Page("k", "documents/a/", "t.html", "T", "C").linker()("documents/a/#p1") == "../../documents/a/#p1"
    assert Page("k", "documents/a/", "t.html", "T", "C").linker()("文件/") == "../../%E6%96%87%E4%BB%B6/"


def test_templates_escape_every_kind_of_value_as_jinja_and_markupsafe_do(tmp_path):
    """Our environment's templates escape with a quicker function (render._quick_escape);
    the text must be what Jinja's own autoescape makes, for every kind of value."""
    import jinja2
    from markupsafe import Markup, escape
    from generator.render import make_environment

    class Html:
        def __html__(self):
            return "<b>已是 HTML</b>"

    class Plain:
        def __str__(self):
            return "<对象> & \"引号\""

    values = ["<a href='x'>&\"", "", "纯文本", "甲&乙", 42, 3.5, None, True, Markup("<i>标记</i>"), Html(), Plain()]
    source = ("{% for v in values %}[{{ v }}|{{ v ~ '<' }}|{{ '&' ~ v }}|{{ v | e }}|{{ v | safe }}]"
              "<p title=\"{{ v }}\">{{ v }}</p>{% endfor %}")
    ours = make_environment(tmp_path).from_string(source)
    quick = ours.root_render_func.__globals__["escape"]
    assert quick.__name__ == "_quick_escape"
    assert [(type(quick(v)), quick(v)) for v in values] == [(type(escape(v)), escape(v)) for v in values]
    assert ours.render(values=values) == jinja2.Environment(autoescape=True).from_string(source).render(values=values)


def test_templates_call_every_kind_of_callable_as_jinja_does(tmp_path):
    """Our environment's Context calls plain functions and partials at once
    (render._Context); what a template gets must be what Jinja's own Context gives:
    the context or environment passed where a callable is marked for it (on itself, a
    partial of it, or its __call__), loop variables seen, StopIteration made undefined."""
    import functools
    import jinja2
    from generator.render import _Context, make_environment

    @jinja2.pass_context
    def with_context(ctx, x):
        return f"{x}:{ctx.get('k', '-')}:{ctx['name']}"

    @jinja2.pass_environment
    def with_env(env, x):
        return f"{x}:{type(env).__name__}"

    def plain(x, sep="/"):
        return f"<{x}{sep}>"

    def stops(x):
        raise StopIteration

    def eval_ctx(ectx, x, sep):
        return f"{x}{sep}{ectx.autoescape}"

    marked = functools.partial(eval_ctx, sep="|")
    marked.jinja_pass_arg = jinja2.utils._PassArg.eval_context

    class Calls:
        @jinja2.pass_context
        def __call__(self, ctx, x):
            return f"obj {x} {ctx['name']}"

        @jinja2.pass_context
        def method(self, ctx, x):
            return f"{x}:{ctx.get('k', '-')}:{ctx['name']}"

    funcs = {"with_context": with_context, "with_env": with_env, "plain": plain, "stops": stops,
             "part": functools.partial(plain, sep="#"), "part_ctx": Calls().method,
             "marked": marked, "obj": Calls(), "name": "甲"}
    source = ("{{ plain(1) }}{{ plain(2, sep='-') }}{{ part(3) }}{{ with_env(4) }}{{ obj(5) }}"
              "{{ stops(6) is undefined }}{{ marked(7) }}"
              "{% for i in [8, 9] %}{% set k = i %}{{ with_context(i) }}{{ part_ctx('p') }}{{ plain(i) }}{% endfor %}"
              "{% macro m(v) %}[{{ plain(v) }}]{% endmacro %}{{ m(10) }}")
    ours = make_environment(tmp_path)
    assert ours.context_class is _Context
    got = ours.from_string(source).render(funcs)
    jinjas = make_environment(tmp_path)
    jinjas.context_class = jinja2.runtime.Context
    assert got == jinjas.from_string(source).render(funcs)
    assert "8:8:甲" in got and "p:9:甲" in got and "obj 5 甲" in got and "7|True" in got and "True" in got


def test_links_work_under_a_sub_path(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", (site.root / "config.yaml").read_text(encoding="utf-8").replace(
        "https://test.example.gov.cn/", "https://www.example.gov.cn/zwgk/"))
    site.document("a")
    out = tmp_path / "out"
    site.build(out)
    doc = page_soup(out, "documents/a/")
    assert doc.find("link", rel="canonical")["href"] == "https://www.example.gov.cn/zwgk/documents/a/"
    assert doc.find("a", string="首页")["href"] == "../../"
    notfound = page_soup(out, "404.html")
    assert notfound.find("a", string="返回首页")["href"] == "/zwgk/"
    assert notfound.find("link", rel="stylesheet")["href"] == "/zwgk/assets/site.css"


def test_only_public_non_draft_documents_are_published(make_site, tmp_path):
    site = make_site()
    site.document("open", body="公开的正文\n")
    site.document("onrequest", front="title: 依申请的文件标题\ndisclosure: 依申请公开\n", body="机密正文甲\n")
    site.document("draft", front="title: 草稿标题\ndisclosure: 主动公开\ndraft: true\n", body="草稿正文乙\n")
    out = tmp_path / "out"
    result = site.build(out)
    assert [d.id for d in result.site.documents] == ["open"]
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes().decode("utf-8", "ignore")
            for secret in ("依申请的文件标题", "机密正文甲", "草稿标题", "草稿正文乙", "onrequest"):
                assert secret not in data, (secret, path)


def test_attachments_are_copied_and_unlisted_files_are_not(make_site, tmp_path):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nattachments:\n  - title: 任务分工表\n    file: 分工表.pdf\n")
    (site.root / "content/documents/a/分工表.pdf").write_bytes(b"%PDF-1.4 test")
    (site.root / "content/documents/a/内部草稿.docx").write_bytes(b"secret")
    out = tmp_path / "out"
    result = site.build(out)
    assert (out / "documents/a/分工表.pdf").read_bytes() == b"%PDF-1.4 test"
    assert not (out / "documents/a/内部草稿.docx").exists()
    assert any("内部草稿.docx" in p.path for p in result.site.problems.warnings)
    link = page_soup(out, "documents/a/").select_one(".attachments a")
    assert link.get_text() == "任务分工表" and link["href"].endswith("%E5%88%86%E5%B7%A5%E8%A1%A8.pdf")


def test_output_folder_safety(make_site, tmp_path):
    site = make_site()
    site.document("a")
    for bad in (site.root, site.root / "content" / "out", tmp_path):
        with pytest.raises(BuildFailed):
            site.build(bad)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(BuildFailed) as info:
        site.build(foreign)
    assert "不是 gongkai 生成的" in info.value.problems.errors[0].message
    assert (foreign / "keep.txt").read_text() == "mine"
    assert (site.root / "content/documents/a/index.md").exists()


def test_duplicate_output_is_an_error(make_site):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nattachments:\n  - title: 冲突\n    file: tasks\n",
                  tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
    (site.root / "content/documents/a/tasks").write_text("x")
    problems = site.build_problems()
    assert any("冲突" in p.message for p in problems.errors), [p.format() for p in problems]


def test_new_site_and_new_document_build(tmp_path):
    cli = [sys.executable, "-m", "generator"]
    subprocess.run(cli + ["new", "site", str(tmp_path / "s")], check=True, cwd=REPO, capture_output=True)
    subprocess.run(cli + ["new", "document", "licheng-2025-gkyd", "--title", "2025年要点: 示例",
                          "--site", str(tmp_path / "s")], check=True, cwd=REPO, capture_output=True)
    proc = subprocess.run(cli + ["build", "--drafts", "--site", str(tmp_path / "s")], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "s/output/documents/licheng-2025-gkyd/index.html").exists()
    # build products stay out of version control; the cache is beside config.yaml
    assert (tmp_path / "s/.gitignore").read_text(encoding="utf-8").split() == ["/output/", "/.gongkai-cache/"]
    assert (tmp_path / "s/.gongkai-cache/inputs.pickle").is_file()
    again = subprocess.run(cli + ["new", "document", "licheng-2025-gkyd", "--site", str(tmp_path / "s")],
                           cwd=REPO, capture_output=True, text=True)
    assert again.returncode == 1 and "已存在" in again.stderr
    # without --drafts the scaffolded drafts are not published
    proc = subprocess.run(cli + ["build", "--site", str(tmp_path / "s")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0
    assert not (tmp_path / "s/output/documents/licheng-2025-gkyd").exists()


def test_the_command_line_exits_without_freeing_the_build(make_site, monkeypatch, capsys):
    # cli.run (gongkai, python -m generator) keeps the Builder and the build's result
    # until the process ends with os._exit, its messages flushed first, its exit code
    # main()'s: freeing a big site's objects one by one only to exit cost 0.2-0.3 s.
    from generator import buildcache, cli
    from generator.build import BuildResult
    from generator.incremental import Builder
    site = make_site()
    site.document("a", body="见[不存在的页面](../missing/)。\n")
    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    monkeypatch.setattr(buildcache, "KEEP_UNTIL_EXIT", None)
    for argv, code in ((["build"], 0), (["build", "--strict"], 1)):
        monkeypatch.setattr(sys, "argv", ["gongkai", *argv, "--site", str(site.root)])
        with pytest.raises(SystemExit):
            cli.run()
        assert exits[-1] == code
        out, err = capsys.readouterr()
        assert "链接" in err and ("网站在" in out if code == 0 else "构建失败" in err), (out, err)
        kept = buildcache.KEEP_UNTIL_EXIT
        assert any(isinstance(k, Builder) for k in kept)
        assert any(isinstance(k, BuildResult) for k in kept) == (code == 0)
    # a build in a process that goes on (tests, the preview server) keeps nothing
    monkeypatch.setattr(buildcache, "KEEP_UNTIL_EXIT", None)
    assert cli.main(["build", "--site", str(site.root)]) == 0
    assert buildcache.KEEP_UNTIL_EXIT is None


def test_the_command_line_lets_pypinyin_go_once_its_index_is_made(make_site, tmp_path, monkeypatch):
    # A build in a process that ends after it (cli.run) lets pypinyin's tables go once
    # the search vocabulary and homophone table are made (49 of 55 MB back to the system
    # while the pages render); a process that goes on keeps them. The site is the same.
    from generator import buildcache
    from generator.build import build_site
    site = make_site()
    site.document("a", body="各单位：\n\n做好政务公开工作，依申请公开。\n")
    import pypinyin                                     # noqa: F401 - loaded before the build
    monkeypatch.setattr(buildcache, "KEEP_UNTIL_EXIT", [])
    build_site(site.root, tmp_path / "once", cache=True)
    assert "pypinyin" not in sys.modules and not any(m.startswith("pypinyin.") for m in sys.modules)
    monkeypatch.setattr(buildcache, "KEEP_UNTIL_EXIT", None)
    build_site(site.root, tmp_path / "goes-on", cache=True)
    assert "pypinyin" in sys.modules
    assert tree_digest(tmp_path / "once") == tree_digest(tmp_path / "goes-on")


def test_help_is_for_editors():
    proc = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0 and "gongkai build" in proc.stdout and "提示" in proc.stdout


def test_task_rows_share_their_unit_tuples(make_site):
    """Rows naming the same units, in any document, hold one tuple of those units and
    one of their (name, unit) pairs: a big site's 100,000 rows hold a few thousand
    distinct ones. The units are still the registry's own."""
    from generator.site import load_site
    from generator.problems import Problems
    site = make_site()
    same = "tasks:\n  - requirement: 甲\n    units: [区财政局]\n  - requirement: 乙\n    units: [区财政局]\n"
    for doc_id in ("a", "b"):
        site.document(doc_id, tasks=same)
    site.document("c", tasks="tasks:\n  - requirement: 丙\n    units: [区政府办]\n")
    problems = Problems(site.root)
    loaded = load_site(site.root, problems)
    assert loaded is not None and not problems.has_errors(), [p.format() for p in problems]
    rows = [row for doc_id in ("a", "b") for row in loaded.task_rows[doc_id]]
    assert len(rows) == 4
    assert all(r.units is rows[0].units and r.unit_refs is rows[0].unit_refs for r in rows)
    other = loaded.task_rows["c"][0]
    assert other.units != rows[0].units and other.unit_refs[0][0] == "区政府办"   # an alias, as published
    assert other.unit_refs[0][1].name == "区政府办公室"
    (name, unit), = rows[0].unit_refs
    assert name == "区财政局" and unit is rows[0].units[0]
    assert any(u is unit for u in loaded.units.units.values())
    site.build()
    assert "区财政局" in (site.root / "output/documents/a/tasks/index.html").read_text(encoding="utf-8")


def test_table_of_contents_links_to_the_body_headings(make_site):
    """A document with three or more headings gets a table of contents: one entry per
    heading, in order, each a link to the heading's anchor in the body."""
    from bs4 import BeautifulSoup
    site = make_site()
    site.document("toc", body="各单位：\n\n一、总体要求\n\n正文。\n\n二、重点任务\n\n（一）公开目录\n\n正文。\n\n"
                              "三、保障措施\n\n正文。\n")
    site.document("short", body="各单位：\n\n一、总体要求\n\n正文。\n")
    site.build()
    soup = BeautifulSoup((site.root / "output/documents/toc/index.html").read_text(encoding="utf-8"), "html.parser")
    links = soup.select("nav.toc a")
    assert [a.get_text(strip=True) for a in links] == ["一、总体要求", "二、重点任务", "（一）公开目录", "三、保障措施"]
    for a in links:
        target = soup.find(id=a["href"][1:])
        assert target is not None and target.name in ("h2", "h3", "h4") and target.get_text(strip=True) == a.get_text(strip=True)
    classes = [li["class"] for li in soup.select("nav.toc li")]
    assert classes[2] != classes[1]                       # （一） sits a level below 二、
    short = (site.root / "output/documents/short/index.html").read_text(encoding="utf-8")
    assert 'class="toc"' not in short


def test_full_build_writes_open_data_as_it_is_made(make_site, tmp_path):
    # 94 MB of open data at 10,000 documents is written into the new site's folder
    # when made, not held until the end; sitemap.xml stays in memory for the link check.
    from generator.build import collect_outputs
    from generator.problems import Problems
    from generator.site import load_site
    from generator.writer import Staged
    site = make_site()
    site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
    loaded = load_site(site.root, Problems(site.root))
    stage = tmp_path / "stage"
    stage.mkdir()
    staged = collect_outputs(loaded, Problems(site.root), stage=stage).files
    plain = collect_outputs(loaded, Problems(site.root)).files
    for path in ("api/documents.json", "api/tasks.json", "api/tasks.csv"):
        assert isinstance(staged[path], Staged)
        assert (stage / path).read_bytes() == plain[path]
    assert isinstance(staged["sitemap.xml"], bytes) and staged["sitemap.xml"] == plain["sitemap.xml"]


def test_tasks_csv_cells_that_excel_would_run_as_formulas_stay_text(make_site, tmp_path):
    # A cell that starts with = + - @ (or a tab or CR) is a formula to Excel: tasks.csv
    # prefixes it with ' ; tasks.json keeps the text as written. Each CSV row has the
    # JSON record's fields, the units joined by 、.
    import csv
    import io
    import json

    from generator.build import build_site
    site = make_site()
    site.document("a", tasks=(
        "tasks:\n"
        "  - requirement: \"=HYPERLINK(\\\"http://x\\\")\"\n    units: [区财政局, 区政府办公室]\n"
        "    deadline: \"+1\"\n"
        "  - requirement: \"@SUM(A1)\"\n    section: \"-一、总体要求\"\n    units: [区财政局]\n"
        "  - requirement: 正常的要求\n    units: [区政府办公室]\n    deadline: 2024年6月底前\n"))
    out = tmp_path / "out"
    build_site(site.root, out)
    records = json.loads((out / "api" / "tasks.json").read_text(encoding="utf-8"))
    table = list(csv.reader(io.StringIO((out / "api" / "tasks.csv").read_bytes().decode("utf-8-sig"))))
    assert len(table) == 4 and len(records) == 3
    assert [r["requirement"] for r in records] == ['=HYPERLINK("http://x")', "@SUM(A1)", "正常的要求"]
    assert [row[4] for row in table[1:]] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "正常的要求"]
    assert table[1][5] == "区财政局、区政府办公室" and table[1][7] == "'+1" and table[2][2] == "'-一、总体要求"
    assert table[3][7] == "2024年6月底前" and table[3][0] == "a" and table[3][1] == "3"


def test_staging_a_file_after_its_staging_folder_was_removed(tmp_path):
    # stage_file remembers the folders it made (asking the file system for each of a
    # full build's 65,000 files was 2.4 CPU-seconds); a staging folder removed after a
    # failed build and made again under the same name must not trip it.
    import hashlib
    import shutil

    from generator.writer import stage_file
    stage = tmp_path / "stage"
    stage.mkdir()
    first = stage_file(stage, "documents/a/index.html", b"<p>1</p>")
    assert first is not None and first.digest == hashlib.sha256(b"<p>1</p>").hexdigest()
    shutil.rmtree(stage)
    stage.mkdir()
    again = stage_file(stage, "documents/a/index.html", b"<p>2</p>")
    assert again is not None and (stage / "documents/a/index.html").read_bytes() == b"<p>2</p>"
    assert again.stat[0] == 8 and again.size == 8
    # a file where a folder must go: None, the conflict is reported by the build
    assert stage_file(stage, "documents/a/index.html/x.html", b"x") is None


def test_two_sources_of_one_output_file_are_both_named(make_site):
    # an attachment called index.html would overwrite the document's own page
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nattachments:\n  - title: 页面\n    file: index.html\n")
    (site.root / "content/documents/a/index.html").write_text("<p>x</p>", encoding="utf-8")
    problems = site.build_problems()
    messages = [p.message for p in problems.errors]
    assert any("documents/a/index.html 有两个来源" in m for m in messages), messages



def test_a_task_table_has_the_optional_columns_some_row_fills_in(make_site, tmp_path):
    site = make_site()
    site.document("some", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n    deadline: 2024-12-31\n"
                                "  - requirement: 乙\n    units: [区财政局]\n    progress: 已完成\n")
    site.document("none", tasks="tasks:\n  - requirement: 丙\n    units: [区财政局]\n")
    out = tmp_path / "out"
    site.build(out)
    headers = {}
    for doc in ("some", "none"):
        soup = page_soup(out, f"documents/{doc}/tasks/")
        headers[doc] = [th.get_text(strip=True) for th in soup.select("table.task-table thead th")]
    # deadline filled in one row and progress in the other; section, item and status in none
    assert headers["some"] == ["序号", "具体要求", "责任单位", "完成时限", "推进落实情况"]
    assert headers["none"] == ["序号", "具体要求", "责任单位"]
