"""Pages rendered in worker processes are byte for byte the pages one process renders,
and a template error is reported the same way."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from generator import parallel
from generator.build import build_site
from generator.incremental import Builder
from generator.problems import BuildFailed
from test_build import tree_digest


def site_with_documents(make_site, n=30):
    site = make_site()
    for i in range(n):
        site.document(f"d{i:02d}", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n" if i % 3 else None)
    return site


def test_workers_write_the_same_site(make_site, tmp_path, monkeypatch):
    site = site_with_documents(make_site)
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    build_site(site.root, tmp_path / "one")
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    monkeypatch.setattr(parallel, "MIN_PAGES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 3)
    log = tmp_path / "pids"
    # the workers inherit this (fork)
    monkeypatch.setattr(parallel, "render_text", logging_pids(log, parallel.render_text))
    build_site(site.root, tmp_path / "two")
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")
    pids = set(log.read_text().split())
    assert pids - {str(os.getpid())}      # a worker rendered pages (this process may too)
    builder = Builder(site.root)
    builder.build()
    assert builder.rendered > 30
    build_site(site.root, tmp_path / "three", cache=True)
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "three")


def test_template_error_in_a_worker_names_the_template(make_site, tmp_path, monkeypatch):
    site = site_with_documents(make_site, 8)
    site.write("templates/document.html", '{% extends "base.html" %}{% block content %}'
                                          '{{ document.no_such_field.x }}{% endblock %}')
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setenv("GONGKAI_WORKERS", workers)
        monkeypatch.setattr(parallel, "MIN_PAGES", 1)
        with pytest.raises(BuildFailed) as failed:
            build_site(site.root, tmp_path / f"out{workers}")
        errors.append([p.format() for p in failed.value.problems.errors])
    assert errors[0] == errors[1]
    assert "templates/document.html" in errors[0][0]
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("cache", [False, True])
def test_pages_written_by_workers_leave_nothing_when_the_build_fails(make_site, tmp_path, monkeypatch, cache):
    """Workers write pages straight into the staging folder; a build that fails after
    rendering (a broken link with --strict) leaves the previous output/ as it was and no
    staging folder behind; the next good build swaps in a complete site."""
    site = site_with_documents(make_site, 12)
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    monkeypatch.setattr(parallel, "MIN_PAGES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    out = tmp_path / "out"
    build_site(site.root, out, cache=cache)
    before = tree_digest(out)
    site.document("d03", body="各单位：\n\n见[别处](../no-such-page/)。\n")
    shutil.rmtree(site.root / ".gongkai-cache", ignore_errors=True)   # a full build: staged pages
    with pytest.raises(BuildFailed) as failed:
        build_site(site.root, out, cache=cache, strict=True)
    assert any("no-such-page" in p.format() for p in failed.value.problems.errors)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"], "no staging folder left"
    site.document("d03", body="各单位：\n\n修好了。\n")
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    build_site(site.root, tmp_path / "serial")
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    shutil.rmtree(site.root / ".gongkai-cache", ignore_errors=True)   # a full build: staged pages
    build_site(site.root, out, cache=cache)
    assert tree_digest(out) == tree_digest(tmp_path / "serial")
    assert "修好了" in (out / "documents/d03/index.html").read_text(encoding="utf-8")


def test_documents_parsed_by_workers_report_what_one_process_reports(make_site, tmp_path, monkeypatch):
    """Documents parsed in worker processes give the same site, and the same errors,
    warnings and notices in the same order, as documents parsed here."""
    site = site_with_documents(make_site, 16)
    site.document("d05", front="title: 甲\ndisclosure: 主动公开\npublished: 2024-06-26\ncolour: 红\n")  # warning
    site.document("d07", front="title: 乙\ndisclosure: 依申请公开\npublished: 2024-06-26\n")   # a notice
    monkeypatch.setattr(parallel, "MIN_SOURCES", 1)
    monkeypatch.setattr(parallel, "SOURCE_CHUNK", 2)
    log = tmp_path / "pids"
    real = parallel.Problems
    main = os.getpid()

    class Logged(real):                     # made in the loading workers (fork) and here
        def __init__(self, root):
            if os.getpid() == main:
                time.sleep(0.01)            # so that the worker parses documents too
            with open(log, "a") as f:
                f.write(f"{os.getpid()}\n")
            super().__init__(root)
    monkeypatch.setattr(parallel, "Problems", Logged)

    def run(workers: str, out: str) -> list[str]:
        monkeypatch.setenv("GONGKAI_WORKERS", workers)
        problems = build_site(site.root, tmp_path / out).site.problems
        return [p.format() for p in problems.items]

    one = run("1", "one")
    assert not log.exists()
    two = run("2", "two")
    assert pids_other_than(log, main)
    assert one == two and any("colour" in p for p in one) and any("依申请公开" in p for p in one)
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")
    # and a document with an error fails the build with the same message
    site.write("content/documents/d09/index.md", "---\ntitle: [坏的\n---\n")
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setenv("GONGKAI_WORKERS", workers)
        with pytest.raises(BuildFailed) as failed:
            build_site(site.root, tmp_path / f"bad{workers}")
        errors.append([p.format() for p in failed.value.problems.items])
    assert errors[0] == errors[1] and any("d09/index.md" in p for p in errors[0])


def test_a_first_cached_build_keeps_what_the_workers_parsed(make_site, tmp_path, monkeypatch):
    """In a first build the processes that parse the documents also digest them for
    the build cache, nothing being probed beforehand: the next build finds every
    document unchanged, an edit parses only the edited one, and nothing is the
    site as a full build writes it."""
    from generator import site as site_module
    site = site_with_documents(make_site, 16)
    monkeypatch.setattr(parallel, "MIN_SOURCES", 1)
    monkeypatch.setattr(parallel, "SOURCE_CHUNK", 2)
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    log, main = tmp_path / "pids", os.getpid()
    monkeypatch.setattr(site_module, "load_document",
                        logging_pids(log, site_module.load_document, lambda folder, *_: folder.name))
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    assert {line.split()[0] for line in log.read_text().splitlines()} - {str(main)}
    log.unlink()
    assert build_site(site.root, out, cache=True).rendered == 0 and not log.exists()
    site.document("d03", body="改过的正文。\n")
    assert build_site(site.root, out, cache=True).rendered >= 1
    assert [line.split()[1] for line in log.read_text().splitlines()] == ["d03"]
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_first_build_parses_what_it_digested_and_reads_each_source_once(make_site, tmp_path,
                                                                          monkeypatch, workers):
    # A document is digested for the cache and then parsed from the bytes the digest
    # read: a save between the two (here: right after the loader ran) is seen by the next
    # build. Parsed first and digested after, the new bytes were recorded as built and
    # the next build said nothing changed. And each source is read once, not twice.
    from pathlib import Path

    from generator import site as site_module
    site = site_with_documents(make_site, 16)
    monkeypatch.setattr(parallel, "MIN_SOURCES", 1)
    monkeypatch.setattr(parallel, "SOURCE_CHUNK", 2)
    monkeypatch.setenv("GONGKAI_WORKERS", workers)
    real_load, real_read, log = site_module.load_document, Path.read_bytes, tmp_path / "reads"

    def load_then_saved(folder, *args):
        doc = real_load(folder, *args)
        if folder.name == "d05":
            source = folder / "index.md"
            source.write_text(source.read_text(encoding="utf-8") + "\n编辑刚刚保存的一句。\n", encoding="utf-8")
        return doc

    def read_bytes(path):
        with open(log, "a", encoding="utf-8") as f:       # from every process
            f.write(f"{path}\n")
        return real_read(path)
    monkeypatch.setattr(site_module, "load_document", load_then_saved)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    sources = [line for line in log.read_text(encoding="utf-8").splitlines()
               if "/content/documents/" in line]
    assert sources == [], sources[:5]
    assert "编辑刚刚保存的一句" not in (out / "documents/d05/index.html").read_text(encoding="utf-8")
    monkeypatch.setattr(site_module, "load_document", real_load)
    assert build_site(site.root, out, cache=True).rendered >= 1
    assert "编辑刚刚保存的一句" in (out / "documents/d05/index.html").read_text(encoding="utf-8")


def logging_pids(log, real, label=lambda *args: ""):
    """``real``, logging the process that calls it (and ``label(*args)``) to ``log``;
    in this process it waits a little first, so that the workers take work too."""
    main = os.getpid()

    def logged(*args):
        if os.getpid() == main:
            time.sleep(0.02)
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {label(*args)}".rstrip() + "\n")
        return real(*args)
    return logged


def pids_other_than(log, pid: int) -> set[str]:
    return set(log.read_text().split()) - {str(pid)}


def test_a_worker_that_dies_costs_time_not_the_site(make_site, tmp_path, monkeypatch):
    """A worker killed mid-build (out of memory, say) does not hang the build or lose
    pages: its chunks are rendered again by this process, with the same bytes."""
    site = site_with_documents(make_site, 12)
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    build_site(site.root, tmp_path / "one")
    monkeypatch.setenv("GONGKAI_WORKERS", "3")
    monkeypatch.setattr(parallel, "MIN_PAGES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    real = parallel.render_text
    main = os.getpid()

    def render_text(env, s, page):
        if os.getpid() != main:
            os._exit(9)                     # as abrupt as the kernel's OOM killer
        return real(env, s, page)
    monkeypatch.setattr(parallel, "render_text", render_text)
    build_site(site.root, tmp_path / "two")
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


_DYING = """
import hashlib, os, sys
from pathlib import Path
from generator import parallel
from generator.build import build_site
site, out = Path(sys.argv[1]), Path(sys.argv[2])
def digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
os.environ["GONGKAI_WORKERS"] = "1"
build_site(site, out / "one")
expected = digest(out / "one")
os.environ["GONGKAI_WORKERS"] = "3"
parallel.MIN_PAGES, parallel.CHUNK = 1, 2
real, main = parallel.render_text, os.getpid()
def render_text(env, s, page):
    if os.getpid() != main:
        os._exit(9)
    return real(env, s, page)
parallel.render_text = render_text
for n in range(int(sys.argv[3])):
    build_site(site, out / str(n))
    assert digest(out / str(n)) == expected, n
print("built", n + 1)
"""


def test_workers_dying_at_any_moment_neither_hang_nor_fail_the_build(make_site, tmp_path):
    # Workers that die while the pool is still being given its tasks (the pool then
    # refuses more: BrokenProcessPool from submit) or while taking a chunk (the pool
    # terminates the others: a worker terminated holding the shared counter's lock hung
    # the build) must cost time only. Timing decides which happens: 30 builds in a
    # process of their own, which a hang fails rather than stalls the suite. Each
    # happened within 60 such builds before the fix.
    import subprocess
    import sys

    from conftest import REPO
    site = site_with_documents(make_site, 12)
    run = subprocess.run([sys.executable, "-c", _DYING, str(site.root), str(tmp_path), "30"], cwd=REPO,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0 and "built 30" in run.stdout, run.stderr[-2000:]


def test_work_aside_is_done_in_another_process_or_here(monkeypatch):
    # aside() forks when render workers would be forked; a process that dies or fails
    # costs time, not the result: the work is then done here.
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    here = os.getpid()
    assert parallel.aside(os.getpid, 1000)() != here
    assert parallel.aside(lambda: os.getpid() == here or os._exit(3), 1000)() is True
    assert parallel.aside(lambda: 1 / (os.getpid() == here), 1000)() == 1.0
    assert parallel.aside(os.getpid, 10)() == here               # too few pages for workers
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    assert parallel.aside(os.getpid, 1000)() == here


_SLUGS = """
import json, sys
from pathlib import Path
from generator import parallel
from generator.problems import Problems
from generator.site import load_site
parallel.MIN_PAGES = 1
site = load_site(Path(sys.argv[1]), Problems(Path(sys.argv[1])))
print(json.dumps({"pypinyin": "pypinyin" in sys.modules,
                  "slugs": sorted((g.key, g.slug) for g in site.issuers + site.topics)}))
"""


def test_issuer_and_topic_addresses_are_worked_out_aside_when_workers_render(make_site):
    # pypinyin's tables (55 MB) would be inherited by the render worker, which has no
    # use for them: a build that forks workers makes the issuer and topic addresses in
    # a process of its own. They are the addresses one process makes.
    import json
    import subprocess
    import sys

    from conftest import REPO
    site = make_site()
    for i, (issuer, topic) in enumerate([("区政府办公室", "政务公开"), ("重庆市人民政府", "行政审批"),
                                         ("区政府办公室", "长期规划"), ("银行业监督管理局", "政务公开")]):
        site.document(f"d{i}", front=f"title: 文件{i}\ndisclosure: 主动公开\npublished: 2024-06-2{i}\n"
                                     f"issuer: {issuer}\ntopic: {topic}\n")
    runs = {}
    for workers in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", _SLUGS, str(site.root)], cwd=REPO, check=True,
                             capture_output=True, text=True, env={**os.environ, "GONGKAI_WORKERS": workers})
        runs[workers] = json.loads(out.stdout)
    assert runs["1"]["pypinyin"] and not runs["2"]["pypinyin"]
    assert runs["2"]["slugs"] == runs["1"]["slugs"]
    assert ["区政府办公室", "qzfbgs"] in runs["1"]["slugs"] and ["重庆市人民政府", "cqsrmzf"] in runs["1"]["slugs"]
