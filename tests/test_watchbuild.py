"""``gongkai build --watch``: each save is written to output/ exactly as a full build
writes the site, only what changed is written, a save with errors writes nothing, and
the cache it leaves makes the next ``gongkai build`` a no-op."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from generator.build import build_site
from generator.buildcache import Busy
from generator.watchbuild import Publisher, watch
from generator.writer import WRITING, Kept
from test_build import tree_digest
from test_incremental import Editor

from conftest import REPO, SiteMaker


def _full(site: SiteMaker, out, drafts: bool = False) -> dict[str, str]:
    build_site(site.root, out, drafts=drafts)
    return tree_digest(out)


@pytest.mark.parametrize("seed", [1, 2])
def test_every_save_is_written_as_a_full_build_writes_the_site(tmp_path, seed):
    # drafts: documents are renamed and deleted at random (see test_buildcache)
    site = SiteMaker(tmp_path / "site")
    site.document("d0")
    out = tmp_path / "out"
    publisher = Publisher(site.root, out, drafts=True)
    assert publisher.rebuild()
    editor = Editor(site, random.Random(seed))
    written = 0
    for _ in range(14):
        step = editor.step()
        before = tree_digest(out)
        if publisher.rebuild():
            assert not (out / WRITING).exists(), step
            assert tree_digest(out) == _full(site, tmp_path / "full", drafts=True), step
            written += 1
        else:
            assert tree_digest(out) == before, step     # nothing written
    assert written >= 8
    # the cache saved at the end: the command line has nothing left to do
    publisher.finish()
    again = build_site(site.root, out, drafts=True, cache=True)
    assert again.site is None and again.rendered == 0


def test_only_what_changed_is_written_and_pages_are_not_held(make_site, tmp_path):
    site = make_site()
    for i in range(5):
        site.document(f"d{i}")
    out = tmp_path / "out"
    publisher = Publisher(site.root, out)
    assert publisher.rebuild()
    inodes = {p: p.stat().st_ino for p in out.rglob("*.html")}
    page = site.document("d3", body="只改这一篇。\n")
    assert publisher.rebuild(hints={str(page)})
    changed = sorted(p.relative_to(out).as_posix() for p, ino in inodes.items() if p.stat().st_ino != ino)
    assert changed == ["documents/d3/index.html"]
    assert publisher.builder.rendered == 1 and publisher.last_written >= 1
    # the page written is found in output/ from now on, not kept in memory
    assert isinstance(publisher.builder.pages["documents/d3/index.html"][1], Kept)
    assert tree_digest(out) == _full(site, tmp_path / "full")
    # a save of the same bytes writes nothing
    page.write_bytes(page.read_bytes())
    assert publisher.rebuild(hints={str(page)})
    assert publisher.builder.rendered == 0 and publisher.last_written == 0


def test_a_save_with_errors_writes_nothing_and_says_where(make_site, tmp_path, capsys):
    site = make_site()
    site.document("a")
    site.document("b")
    out = tmp_path / "out"
    publisher = Publisher(site.root, out)
    assert publisher.rebuild()
    before = tree_digest(out)
    bad = site.write("content/documents/b/index.md", "---\ntitle: [坏的\n---\n")
    assert not publisher.rebuild(hints={str(bad)})
    err = capsys.readouterr().err
    assert "content/documents/b/index.md:2" in err and "没有写入任何文件" in err
    assert tree_digest(out) == before
    site.document("b", body="改好了。\n")
    assert publisher.rebuild(hints={str(bad)})
    assert "改好了" in (out / "documents/b/index.html").read_text(encoding="utf-8")
    assert tree_digest(out) == _full(site, tmp_path / "full")


def test_a_broken_link_under_strict_writes_nothing_not_even_the_search_index(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    publisher = Publisher(site.root, out, strict=True)
    assert publisher.rebuild()
    before = tree_digest(out)
    path = site.document("a", body="见[别处](/nowhere/)。\n")
    assert not publisher.rebuild(hints={str(path)})
    assert publisher.refresh_search()          # nothing to bring out while the build is held
    publisher.idle()
    assert tree_digest(out) == before
    site.document("a", body="见[首页](/)。\n")
    assert publisher.rebuild(hints={str(path)})
    assert tree_digest(out) == _full(site, tmp_path / "full")


def test_a_build_beside_the_watch_stops_with_a_message(make_site, tmp_path, capsys):
    from generator.cli import main
    site = make_site()
    site.document("a")
    build_site(site.root, cache=True)
    site.document("a", body="新的正文。\n")
    # another process's lock, as a running watch holds it
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from pathlib import Path\n"
        "from generator.buildcache import BuildCache\n"
        "c = BuildCache(Path(%r), Path(%r), (False, False))\n"
        "with c.lock(holder='watch'):\n"
        "    print('held', flush=True); time.sleep(30)\n") % (str(REPO), str(site.root), str(site.root / "output"))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy) as busy:
            build_site(site.root, cache=True)
        assert busy.value.pid == str(holder.pid)
        assert main(["build", "--site", str(site.root)]) == 1
        err = capsys.readouterr().err
        assert "gongkai build --watch" in err and f"进程 {holder.pid}" in err and "Ctrl+C" in err
    finally:
        holder.kill()
        holder.wait()
    # free again: the build goes ahead
    build_site(site.root, cache=True)
    assert "新的正文" in (site.root / "output/documents/a/index.html").read_text(encoding="utf-8")


def test_watch_and_no_cache_do_not_go_together(make_site, capsys):
    from generator.cli import main
    site = make_site()
    assert main(["build", "--watch", "--no-cache", "--site", str(site.root)]) == 2
    assert "--no-cache" in capsys.readouterr().err


def test_watch_writes_saves_heard_by_the_watcher(make_site, tmp_path):
    site = make_site()
    site.document("a")
    site.document("b")
    out = tmp_path / "out"
    ready, stop = threading.Event(), threading.Event()
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "p", watch(site.root, out, ready=ready, stop=stop)), daemon=True)
    thread.start()
    assert ready.wait(60)
    page = out / "documents/a/index.html"
    for n in range(3):
        site.document("a", body=f"第{n}次保存的正文。\n")
        deadline = time.monotonic() + 30
        while f"第{n}次保存" not in page.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, f"save {n} was not written"
            time.sleep(0.02)
    stop.set()
    thread.join(60)
    assert not thread.is_alive()
    # stopped: search index written, cache saved, output/ as a full build writes it
    assert not (out / WRITING).exists()
    assert tree_digest(out) == _full(site, tmp_path / "full")
    assert build_site(site.root, out, cache=True).site is None


def test_the_command_line_watch_stops_on_ctrl_c_and_leaves_nothing_to_do(make_site, tmp_path):
    site = make_site()
    site.document("a")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "--watch", "--site", str(site.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if "正在监视" in line:
                break
        page = site.root / "output/documents/a/index.html"
        assert page.is_file()
        site.document("a", body="命令行监视下保存。\n")
        deadline = time.monotonic() + 30
        while "命令行监视下保存" not in page.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "重新生成 1 个页面" in err and "已停止监视" in err
    again = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root)],
                           capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0 and "没有变化" in again.stdout


def test_a_save_made_while_the_first_build_ran_is_written(make_site, tmp_path, monkeypatch):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    first = Publisher._build_through_cache

    def saved_meanwhile(self, problems):
        said = first(self, problems)
        # saved after the build read it, before the watcher listens: no event for it
        site.document("a", body="构建进行时保存的。\n")
        return said

    monkeypatch.setattr(Publisher, "_build_through_cache", saved_meanwhile)
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=watch, args=(site.root, out), kwargs=dict(ready=ready, stop=stop),
                              daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        page = out / "documents/a/index.html"
        deadline = time.monotonic() + 20
        while "构建进行时保存的" not in page.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, "the save made during the first build was never written"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(60)


def test_body_edits_in_a_row_start_from_the_outputs_written(make_site, tmp_path, monkeypatch):
    # A body-only edit takes the last outputs, as written since, with the document's
    # own pages in place (no collect_outputs): output/ stays what a full build writes,
    # whether the search index was refreshed between the edits or not, and pages
    # written are not held in memory by the outputs the next edit starts from.
    import generator.incremental as incremental
    from test_incremental import _body_site
    site = _body_site(make_site)
    out = tmp_path / "out"
    publisher = Publisher(site.root, out)
    assert publisher.rebuild()
    collected = []
    real = incremental.collect_outputs
    monkeypatch.setattr(incremental, "collect_outputs", lambda *a, **k: collected.append(1) or real(*a, **k))
    front = "title: 文件{}\ndisclosure: 主动公开\npublished: 2024-06-{}\nissuer: 区政府办公室\nunit_scope: local\n"
    edits = [("b", 12, True), ("c", 13, False), ("b", 12, False), ("a", 11, True)]
    for k, (name, day, search) in enumerate(edits):
        path = site.document(name, front=front.format(name, day), body=f"{name}的正文，第{k}次改。\n\n## 一、要求\n\n内容。\n")
        assert publisher.rebuild(refresh_search=search, hints={str(path.resolve())})
        assert publisher.builder.rendered == 1 and collected == [], k
        assert f"第{k}次改" in (out / f"documents/{name}/index.html").read_text(encoding="utf-8")
        for written in {f"documents/{n}/index.html" for n, _, _ in edits[:k]} - {f"documents/{name}/index.html"}:
            assert isinstance(publisher.builder.outputs[written], Kept), (k, written)
    publisher.refresh_search()
    assert tree_digest(out) == _full(site, tmp_path / "full")


def test_a_body_edits_link_check_finds_what_a_full_check_finds(make_site, tmp_path, monkeypatch):
    # A body edit's build names the pages it changed; the link check right after it
    # then takes every other page's links from the last check and checks again only
    # those pages and the pages with a broken link, unless a page pointed into lost an
    # anchor (then every page). Each time the broken links are those of a full check
    # of the same outputs, and the cache's next check (a command-line build) agrees.
    from generator import linkcheck
    checks: list = []
    real = linkcheck.find_broken_links
    monkeypatch.setattr(linkcheck, "find_broken_links",
                        lambda *a, **k: checks.append(k.get("only")) or real(*a, **k))
    front = "title: 文件{}\ndisclosure: 主动公开\npublished: 2024-06-{}\n"
    site = make_site()
    one = "一、总体要求\n\n正文。\n"
    two = one + "\n二、总体要求\n\n正文。\n"
    site.document("a", front=front.format("a", 11), body="见[乙](../b/)和[乙的第二部分](../b/#p2)。\n")
    site.document("b", front=front.format("b", 12), body=one)
    site.document("c", front=front.format("c", 13), body=one)
    out = tmp_path / "out"
    publisher = Publisher(site.root, out)
    assert publisher.rebuild()
    steps = [("b gains the second part", "b", two, False),
             ("c gains a second part", "c", two, False),
             ("b loses it", "b", one, True),
             ("a links to a page that is not there", "a", "见[丙](../zz/)和[乙](../b/#p2)。\n", False),
             ("a mends it", "a", "见[乙](../b/)。\n", False)]
    seen, whole = [], []
    for step, name, body, _ in steps:
        path = site.document(name, front=front.format(name, {"a": 11, "b": 12, "c": 13}[name]), body=body)
        checks.clear()
        assert publisher.rebuild(hints={str(path.resolve())}), step
        builder = publisher.builder
        assert builder.changed_outputs is not None, step          # a body edit's build
        assert builder.checked_build == builder.builds, step      # checked right after it
        found = sorted((b.page, b.href) for b in builder.broken)
        full = sorted((b.page, b.href) for b in real(builder.last_outputs.files, "/"))
        assert found == full, step
        whole.append(checks == [None])
        seen.append(len(found))
    assert seen == [0, 0, 1, 2, 0], seen
    assert whole == [want for *_, want in steps], whole
