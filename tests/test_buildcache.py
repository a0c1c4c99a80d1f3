"""The build cache (.gongkai-cache/): a cached build writes exactly what a full build
writes, after any edits; a no-op build reads no source; a damaged cache or an output
folder edited by hand never leaks into the site."""
from __future__ import annotations

import random
import shutil
import subprocess
import sys

import pytest

from generator.build import build_site
from generator.problems import BuildFailed
from test_build import tree_digest
from test_incremental import Editor

from conftest import SiteMaker


def both(site: SiteMaker, cached, full, drafts=False):
    """Build with and without the cache; (errors, errors) or trees that must be equal."""
    results = []
    for out, cache in ((cached, True), (full, False)):
        try:
            results.append(build_site(site.root, out, drafts=drafts, cache=cache))
        except BuildFailed as e:
            results.append(sorted(p.format() for p in e.problems.errors))
    return results


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_cached_builds_equal_full_builds(tmp_path, seed):
    # drafts=True: these builds do not keep the permalink ledger, so that documents can be
    # renamed and deleted at random (the ledger has its own test below)
    site = SiteMaker(tmp_path / "site")
    editor = Editor(site, random.Random(seed))
    built = 0
    for _ in range(12):
        step = editor.step()
        cached, full = both(site, tmp_path / "cached", tmp_path / "full", drafts=True)
        if isinstance(full, list):
            assert cached == full, step
            continue
        assert not isinstance(cached, list), (step, cached)
        assert tree_digest(tmp_path / "cached") == tree_digest(tmp_path / "full"), step
        built += 1
    assert built >= 3


def test_noop_edit_and_touch(make_site, tmp_path):
    site = make_site()
    for i in range(4):
        site.document(f"d{i}", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n" if i % 2 else None)
    out = tmp_path / "out"
    first = build_site(site.root, out, cache=True)
    assert first.rendered == first.pages
    again = build_site(site.root, out, cache=True)
    assert again.site is None and again.rendered == 0 and again.pages == first.pages
    # the same bytes saved again: sources are compared by content, nothing is rendered
    path = site.root / "content/documents/d2/index.md"
    path.write_bytes(path.read_bytes())
    touched = build_site(site.root, out, cache=True)
    assert touched.rendered == 0
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    edited = build_site(site.root, out, cache=True)
    assert edited.rendered == 1                       # the document's own page
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")
    assert "补充一段" in (out / "documents/d2/index.html").read_text(encoding="utf-8")


def test_output_edited_by_hand_is_rebuilt(make_site, tmp_path):
    site = make_site()
    site.document("a")
    site.document("b")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    page = out / "documents/a/index.html"
    good = page.read_bytes()
    page.write_bytes(good.replace("文件a".encode(), "篡改".encode()))
    result = build_site(site.root, out, cache=True)     # not a no-op: output/ changed
    assert result.site is not None
    assert page.read_bytes() == good
    # the same after an edit elsewhere, when the cache would take the page over
    page.write_bytes(b"<p>hand-made</p>")
    site.document("b", body="新的正文。\n")
    build_site(site.root, out, cache=True)
    assert page.read_bytes() == good
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_damaged_or_foreign_cache_is_ignored(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    cache = site.root / ".gongkai-cache"
    for name in ("builder.pickle", "inputs.pickle"):
        (cache / name).write_bytes(b"not a pickle")
    site.document("a", body="改过的正文。\n")
    result = build_site(site.root, out, cache=True)
    assert result.rendered == result.pages              # started afresh
    assert "改过的正文" in (out / "documents/a/index.html").read_text(encoding="utf-8")
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_failed_build_leaves_output_and_cache(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    before = tree_digest(out)
    site.write("content/documents/a/index.md", "---\ntitle: [坏的\n---\n")
    with pytest.raises(BuildFailed):
        build_site(site.root, out, cache=True)
    assert tree_digest(out) == before
    site.document("a", body="修好了。\n")
    build_site(site.root, out, cache=True)
    assert "修好了" in (out / "documents/a/index.html").read_text(encoding="utf-8")


def test_ledger_and_renames_through_the_cache(make_site, tmp_path):
    site = make_site()
    site.document("old")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    assert "documents/old/" in (site.root / "content/permalinks.lock").read_text(encoding="utf-8")
    (site.root / "content/documents/old").rename(site.root / "content/documents/new")
    with pytest.raises(BuildFailed) as failed:
        build_site(site.root, out, cache=True)
    assert any("permalinks.lock" in p.path for p in failed.value.problems.errors)
    site.document("new", front="title: 新\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                               "aliases: [documents/old/]\n")
    build_site(site.root, out, cache=True)
    assert (out / "documents/old/index.html").is_file()
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_command_line_says_nothing_changed(make_site):
    site = make_site()
    site.document("a")
    run = [sys.executable, "-m", "generator", "build", "--site", str(site.root)]
    first = subprocess.run(run, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(run, capture_output=True, text=True)
    assert second.returncode == 0 and "没有变化" in second.stdout
    forced = subprocess.run(run + ["--no-cache"], capture_output=True, text=True)
    assert forced.returncode == 0 and "没有变化" not in forced.stdout and "已生成" in forced.stdout


def test_cut_off_update_is_written_afresh(make_site, tmp_path):
    site = make_site()
    site.document("a")
    site.document("b")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    # a power cut during an in-place update: marker left, one page half-updated
    (out / ".gongkai-writing").write_bytes(b"")
    (out / "documents/b/index.html").write_bytes(b"<p>half")
    again = build_site(site.root, out, cache=True)
    assert again.site is not None and not (out / ".gongkai-writing").exists()
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_in_place_update_writes_only_what_changed(make_site, tmp_path):
    site = make_site()
    for i in range(5):
        site.document(f"d{i}")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    inodes = {p: p.stat().st_ino for p in out.rglob("*.html")}
    site.document("d3", body="只改这一篇。\n")
    build_site(site.root, out, cache=True)
    changed = sorted(p.relative_to(out).as_posix() for p, ino in inodes.items() if p.stat().st_ino != ino)
    assert changed == ["documents/d3/index.html"]
    # d4 goes; its address is kept by an alias on d0 (a redirect page replaces the page)
    shutil.rmtree(site.root / "content/documents/d4")
    site.document("d0", front="title: 文件d0\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                              "aliases: [documents/d4/]\n")
    build_site(site.root, out, cache=True)
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_the_example_site_is_a_no_op_the_second_time(tmp_path, monkeypatch):
    # the repository's own site uses the theme folder as its templates/ (one folder, not two)
    from conftest import REPO
    from generator import buildcache
    site = tmp_path / "example"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "config.yaml", site / "config.yaml")
    shutil.copytree(REPO / "templates", site / "templates")
    monkeypatch.setattr(buildcache, "THEME_DIR", site / "templates")
    build_site(site, cache=True)
    again = build_site(site, cache=True)
    assert again.site is None and again.rendered == 0


def test_a_second_build_waits_for_the_first(make_site, tmp_path):
    import fcntl
    import threading
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    site.document("a", body="新的正文。\n")
    lock = site.root / ".gongkai-cache/lock"
    done = threading.Event()
    with open(lock, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)          # another build is running
        worker = threading.Thread(target=lambda: (build_site(site.root, out, cache=True), done.set()))
        worker.start()
        assert not done.wait(1.0)                 # it waits rather than writing output/ too
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(30)
    assert done.is_set()
    assert "新的正文" in (out / "documents/a/index.html").read_text(encoding="utf-8")


def test_unwritable_output_is_a_message_not_a_traceback(make_site, tmp_path):
    site = make_site()
    site.document("a")
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for extra in ([], ["--no-cache"]):
        proc = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root),
                               "--output", str(blocker / "out"), *extra], capture_output=True, text=True)
        assert proc.returncode == 1
        assert "无法写入输出文件夹" in proc.stderr and "提示" in proc.stderr
        assert "Traceback" not in proc.stderr
