"""The build cache (.gongkai-cache/): a cached build writes exactly what a full build
writes, after any edits; a no-op build reads no source; a damaged cache or an output
folder edited by hand never leaks into the site."""
from __future__ import annotations

import pickle
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
    # and the record is made again: the next edit is an incremental build, not a full
    # one (it was, for every build after the first hand edit)
    site.document("b", body="又改了正文。\n")
    edited = build_site(site.root, out, cache=True)
    assert edited.rendered == 1
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


def test_an_edit_with_known_words_does_not_load_the_pinyin_tables(make_site):
    # Slugs, vocabulary readings and the homophone table are kept by the cache: an edit
    # that brings no new name, word or character does not import pypinyin (0.2 s).
    site = make_site()
    for doc in ("a", "b"):
        site.document(doc, front=f"title: 文件{doc}\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                      "issuer: 区政府办公室\ntopic: 综合政务\n", body="依申请公开。政务公开。\n")
    # main(), not the command line's run(), which ends the process without returning
    build = ("import sys; from generator.cli import main\n"
             "assert main(['build', '--site', sys.argv[1]]) == 0\n"
             "print('pypinyin' in sys.modules)")
    run = [sys.executable, "-c", build, str(site.root)]
    first = subprocess.run(run, capture_output=True, text=True)
    assert first.returncode == 0 and first.stdout.strip().endswith("True"), first.stderr
    site.document("a", front="title: 文件a\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                  "issuer: 区政府办公室\ntopic: 综合政务\n", body="政务公开。依申请公开。公开。\n")
    edit = subprocess.run(run, capture_output=True, text=True)
    assert edit.returncode == 0 and "已生成" in edit.stdout, edit.stderr
    assert edit.stdout.strip().endswith("False")
    site.document("b", body="新的字：鑫。\n")                     # a new character: loaded
    again = subprocess.run(run, capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout.strip().endswith("True"), again.stderr
    full = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root),
                           "--no-cache", "--output", str(site.root / "full")], capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    assert tree_digest(site.root / "output") == tree_digest(site.root / "full")


def test_a_save_during_a_build_is_built_next_time(make_site, tmp_path, monkeypatch):
    # A source saved after the build read it (while it renders) is not recorded as
    # built: the next build sees the change instead of saying nothing changed.
    from generator.incremental import Builder
    site = make_site()
    site.document("a", body="第一版。\n")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    real = Builder.build

    def build_then_save_again(self, *args, **kwargs):
        found = real(self, *args, **kwargs)
        if not getattr(self, "saved_again", False):
            self.saved_again = True
            site.document("a", body="第三版，在构建时保存。\n")
        return found
    site.document("a", body="第二版。\n")
    monkeypatch.setattr(Builder, "build", build_then_save_again)
    assert "第二版" in _page(build_site(site.root, out, cache=True), "documents/a/index.html")
    monkeypatch.setattr(Builder, "build", real)
    again = build_site(site.root, out, cache=True)
    assert again.rendered and "第三版" in _page(again, "documents/a/index.html")


@pytest.mark.parametrize("cached", [False, True])
def test_a_document_added_during_a_build_is_built_next_time(make_site, tmp_path, monkeypatch, cached):
    # A document folder added while a build runs (after it listed the sources) is not
    # recorded as built: the next build publishes it instead of saying nothing changed.
    # Before, the record was made from a listing taken at the end of the build.
    from generator.incremental import Builder
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    if cached:
        build_site(site.root, out, cache=True)
        site.document("c")                      # something for the cached build to do
    real = Builder.build

    def build_then_add(self, *args, **kwargs):
        found = real(self, *args, **kwargs)
        if not (site.root / "content/documents/b").exists():
            site.document("b", front="title: 构建时加的文件\ndisclosure: 主动公开\npublished: 2024-06-27\n")
        return found
    monkeypatch.setattr(Builder, "build", build_then_add)
    build_site(site.root, out, cache=True)
    assert not (out / "documents/b/index.html").exists()
    monkeypatch.setattr(Builder, "build", real)
    again = build_site(site.root, out, cache=True)
    assert again.site is not None and again.rendered
    assert "构建时加的文件" in (out / "documents/b/index.html").read_text(encoding="utf-8")
    assert build_site(site.root, out, cache=True).site is None          # and then nothing to do


def test_the_ledger_a_build_writes_is_not_a_change(make_site, tmp_path):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    site.document("b")                          # a new address: the build adds it to the ledger
    ledger = site.root / "content/permalinks.lock"
    before = ledger.read_text(encoding="utf-8")
    assert build_site(site.root, out, cache=True).site is not None
    assert ledger.read_text(encoding="utf-8") != before
    assert build_site(site.root, out, cache=True).site is None      # nothing changed


def test_the_command_line_probes_only_the_folders_its_check_found_changed(make_site, tmp_path, monkeypatch):
    # The check that found a change knows which files changed: the build probes their
    # document folders only. A check made against an older record (another build ran
    # in between) is not trusted: the build checks again.
    from generator.buildcache import check_build
    from generator.stamps import Stamps
    site = make_site()
    for doc in ("a", "b", "c"):
        site.document(doc, body=f"{doc}的第一版。\n")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    probed: list = []
    real = Stamps.digest
    monkeypatch.setattr(Stamps, "digest", lambda self, paths, read=None: probed.extend(paths) or real(self, paths, read))

    def folders() -> set[str]:
        return {p.name for p in probed if p.parent.name == "documents"}
    site.document("a", body="a的第二版。\n")
    check = check_build(site.root, out, False, False)
    assert check.changed == {str((site.root / "content/documents/a/index.md").resolve())}
    probed.clear()
    build_site(site.root, out, cache=True, check=check)
    assert folders() == {"a"}
    assert "a的第二版" in (out / "documents/a/index.html").read_text(encoding="utf-8")
    # a stale check: b is built in between, then c is saved
    site.document("a", body="a的第三版。\n")
    stale = check_build(site.root, out, False, False)
    site.document("b", body="b的第二版。\n")
    build_site(site.root, out, cache=True)
    site.document("c", body="c的第二版。\n")
    probed.clear()
    build_site(site.root, out, cache=True, check=stale)
    assert folders() == {"c"}                   # checked again: c changed since the last build
    assert "c的第二版" in (out / "documents/c/index.html").read_text(encoding="utf-8")
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def _page(result, rel: str) -> str:
    return (result.output_dir / rel).read_text(encoding="utf-8")


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
    from generator import sourcelisting
    site = tmp_path / "example"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "config.yaml", site / "config.yaml")
    shutil.copytree(REPO / "templates", site / "templates")
    monkeypatch.setattr(sourcelisting, "THEME_DIR", site / "templates")
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


TASK = "tasks:\n  - requirement: 甲\n    units: [区财政局]\n"


def _store_site(make_site, tmp_path, monkeypatch, growth: float, docs: int = 4):
    """A site of ``docs`` documents with a task each, built through the cache with the
    store rewritten at ``growth``; (site, output folder, store.pickle)."""
    from generator import cachestore
    monkeypatch.setattr(cachestore, "REWRITE_GROWTH", growth)
    site = make_site()
    for i in range(docs):
        site.document(f"d{i}", tasks=TASK)
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    return site, out, site.root / ".gongkai-cache" / cachestore.STORE


def _edits(site: SiteMaker, out, count: int, start: int = 0) -> list[int]:
    """Edit one document's text ``count`` times, building through the cache after each;
    the pages each build rendered."""
    rendered = []
    for n in range(start, start + count):
        site.document("d1", body=f"第{n}次修改的正文。\n", tasks=TASK)
        rendered.append(build_site(site.root, out, cache=True).rendered)
    return rendered


def test_edits_append_to_the_store_and_keep_identity(make_site, tmp_path, monkeypatch):
    # After an edit only the new roots are appended to store.pickle, and objects read
    # back from different batches are still the same objects: each edit renders only
    # the edited document's page, however many batches the store has.
    # (a site this small would be rewritten at once: one edit is a third of it)
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 100.0)
    sizes = [store.stat().st_size]
    inode = store.stat().st_ino
    for n in range(3):
        assert _edits(site, out, 1, start=n) == [1]
        sizes.append(store.stat().st_size)
    assert store.stat().st_ino == inode                    # appended to, not replaced
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_an_edit_walks_only_the_load_cache_entries_it_made(make_site, tmp_path, monkeypatch):
    # Entries stored by an earlier build went in with their whole group: saving after
    # an edit does not walk their trees again (only the edited document's entries).
    from generator import cachestore
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 100.0, docs=8)
    walked = []
    real = cachestore._tree
    monkeypatch.setattr(cachestore, "_tree", lambda value: walked.append(value) or real(value))
    entries = []      # how many values walking every entry's tree would meet

    def groups(builder, *a):
        before = len(walked)
        entries.append(sum(1 for e in builder.cache.entries.values() for _ in real(e[0])))
        del walked[before:]                 # that count walked through the patched _tree too
        return real_groups(builder, *a)
    real_groups = cachestore.root_groups
    monkeypatch.setattr(cachestore, "root_groups", groups)
    assert _edits(site, out, 1) == [1]
    # one document of eight was edited: its entries' trees, and few others, are walked
    assert entries and 0 < len(walked) <= entries[0] // 4, (len(walked), entries)
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_store_written_in_small_pickles_keeps_identity(make_site, tmp_path, monkeypatch):
    # A batch is written as several pickles (the memo cleared between them) and long
    # non-ASCII strings as UTF-8 bytes. With one root per pickle and every such string
    # sent so, objects read back are still the ones other roots hold (a document's
    # tasks are its task rows' tasks): each edit renders only the edited page, on an
    # appended batch and after a rewrite, and the text comes back whole.
    from generator import cachestore
    from generator.buildcache import BuildCache
    monkeypatch.setattr(cachestore, "CHUNK_ROOTS", 1)
    monkeypatch.setattr(cachestore, "TEXT_MIN", 1)
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 100.0)
    assert _edits(site, out, 2) == [1, 1]
    monkeypatch.setattr(cachestore, "REWRITE_GROWTH", 1.0)
    assert _edits(site, out, 2, start=2) == [1, 1]
    builder = BuildCache(site.root.resolve(), out.absolute(), (False, False)).builder()
    docs = {v[0].id: v[0] for k, v in builder.cache.entries.items() if k[0] == "document"}
    assert "<p>第3次修改的正文。</p>" in docs["d1"].body_html
    rows = [row for k, v in builder.cache.entries.items() if k[0] == "rows" for row in v[0][1]]
    assert rows and all(any(row.task is t for t in row.document.tasks.tasks) for row in rows)
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_a_task_row_pickles_as_its_fields(make_site):
    # TaskRow.__reduce__: no dict of field names (fewer objects through the store's hook);
    # the row comes back equal, holding the document and task read back with it
    from generator.problems import Problems
    from generator.site import load_site
    site = make_site()
    site.document("a", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n    lead_units: [区财政局]\n")
    loaded = load_site(site.root, Problems(site.root))
    doc, rows = loaded.document("a"), loaded.task_rows["a"]
    data = pickle.dumps((doc, rows), protocol=pickle.HIGHEST_PROTOCOL)
    assert b"unit_refs" not in data
    doc2, rows2 = pickle.loads(data)
    assert rows2 == rows and rows2[0].lead_units and rows2[0].unit_refs == rows[0].unit_refs
    assert rows2[0].document is doc2 and rows2[0].task is doc2.tasks.tasks[0]


def test_store_is_rewritten_when_dead_roots_pile_up(make_site, tmp_path, monkeypatch):
    from generator import cachestore
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 4 / 3, docs=3)
    first = store.stat().st_size
    monkeypatch.setattr(cachestore, "REWRITE_GROWTH", 1.0)   # rewrite after every append
    tokens = set()
    for n in range(6):
        assert _edits(site, out, 1, start=n) == [1]
        with open(store, "rb") as f:
            tokens.add(pickle.load(f)[1])
    assert len(tokens) >= 3                                 # rewritten every other build
    assert store.stat().st_size < 2 * first                 # dead roots did not pile up
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_store_cut_off_or_replaced(make_site, tmp_path, monkeypatch):
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 100.0, docs=3)
    # a batch written by a build that was stopped before builder.pickle: ignored, and
    # cut off by the next append
    good = store.read_bytes()
    store.write_bytes(good + b"\x80\x05half a batch")
    assert _edits(site, out, 2) == [1, 1]
    assert b"half a batch" not in store.read_bytes()
    # a store that is not the one builder.pickle was written with, or one cut short:
    # a full build
    pages = build_site(site.root, out, cache=True).pages
    index = site.root / ".gongkai-cache" / "builder.pickle"
    ours, saved = index.read_bytes(), store.read_bytes()
    build_site(site.root, tmp_path / "other", cache=True)   # another output: a new store
    assert store.read_bytes()[:64] != saved[:64]
    index.write_bytes(ours)
    assert _edits(site, out, 1, start=2) == [pages]
    store.write_bytes(store.read_bytes()[:-100])
    assert _edits(site, out, 1, start=3) == [pages]
    assert _edits(site, out, 1, start=4) == [1]
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_store_roots_come_back_by_number_and_a_wrong_number_is_no_cache(tmp_path, monkeypatch):
    # Roots refer to roots of earlier pickles by number, and long non-ASCII text goes as
    # UTF-8 bytes. A number that names no root read so far makes the store no store.
    import io
    from generator import cachestore
    monkeypatch.setattr(cachestore, "CHUNK_ROOTS", 1)     # every root a pickle of its own
    first = ("政务公开",)
    second = (first, "工作要点" * 40)
    store = cachestore.Store(tmp_path)
    store.save([[first], [second]])
    again = cachestore.Store(tmp_path)
    assert again.read(store.state())
    back_first, back_second = again.objects
    assert back_first == first and back_second == second and back_second[0] is back_first
    buffer = io.BytesIO()
    again.dump_with(buffer, [back_second, "公开" * 40])
    buffer.seek(0)
    value = again.load_with(buffer)
    assert value[0] is back_second and value[1] == "公开" * 40
    # a pickle naming root 7 of two
    with open(store.path, "ab") as f:
        cachestore._Writer(f, {id(first): 7}).dump([first])
        length = f.tell()
    token, _, count, rewritten = store.state()
    assert not cachestore.Store(tmp_path).read((token, length, count + 1, rewritten))


def _builder_round_trip(make_site, tmp_path, monkeypatch):
    """A stored site's Builder as read from its cache, written and read back by the
    store: (the cache, the Builder, its copy, what went through the per-object hook)."""
    import io
    from generator.buildcache import BuildCache
    from generator import cachestore
    site, out, _ = _store_site(make_site, tmp_path, monkeypatch, 100.0)
    site.document("no-tasks")                  # open data has a piece without rows too
    build_site(site.root, out, cache=True)
    cache = BuildCache(site.root, out, (False, False))
    builder = cache.builder()
    seen: list = []
    hook = cachestore._Writer.persistent_id
    monkeypatch.setattr(cachestore._Writer, "persistent_id", lambda self, obj: seen.append(obj) or hook(self, obj))
    buffer = io.BytesIO()
    cache.store.dump_with(buffer, builder)
    buffer.seek(0)
    return cache, builder, cache.store.load_with(buffer), seen


def test_maps_of_roots_go_as_arrays_of_numbers(make_site, tmp_path, monkeypatch):
    # builder.pickle's maps of pages, parsed sources, open-data pieces, search segments
    # and page links hold stored roots: each map goes as its keys and one array of root
    # numbers (cachestore.Roots), not a reference per entry through the store's slow
    # per-object hook, and comes back keyed alike, to the very stored objects.
    import io
    from generator import cachestore
    cache, builder, back, seen = _builder_round_trip(make_site, tmp_path, monkeypatch)
    stored = {id(obj) for obj in cache.store.objects}
    maps = [(builder.pages, back.pages, lambda v: v[0]), (builder.links, back.links, lambda v: v),
            (builder.cache.entries, back.cache.entries, lambda v: v)]
    for old, new, root in maps:
        assert list(new) == list(old) and len(old) > 10
        assert all(root(a) is root(b) and id(root(a)) in stored for a, b in zip(new.values(), old.values()))
    old, new = builder.search_memo, back.search_memo
    assert old and [id(v) for v in new.values()] == [id(v) for v in old.values()]
    assert list(new) == list(old)               # keyed again by the same objects' ids
    # open data's pieces: not roots themselves, but made of the very documents and rows
    old, new = builder.data_memo, back.data_memo
    assert len(old) > 10 and list(new) == list(old)
    assert any(rows for _, rows, _ in old.values()) and any(not rows for _, rows, _ in old.values())
    for (doc, rows, span), (doc2, rows2, span2) in zip(old.values(), new.values()):
        assert doc2 is doc and id(doc) in stored and span2 == span
        assert rows2 is rows and (id(rows) in stored or rows == ())
    hooked = {id(obj) for obj in seen}
    for values in (builder.cache.entries.values(), builder.links.values(), builder.data_memo.values(),
                   (inputs for inputs, _ in builder.pages.values())):
        assert not any(id(v) in hooked for v in values)
    # a Roots holding an object that is not stored goes as a list, the object copied
    loose = ("不在构建缓存里",)
    buffer = io.BytesIO()
    cache.store.dump_with(buffer, cachestore.Roots([cache.store.objects[0], loose]))
    buffer.seek(0)
    value = cache.store.load_with(buffer)
    assert value[0] is cache.store.objects[0] and value[1] == loose and value[1] is not loose
    # numbers that name no root make the store no store
    first = ("政务公开",)
    for wrong in (7, -1):
        store = cachestore.Store(tmp_path / f"wrong{wrong}")
        store.path.parent.mkdir()
        store.save([[first]])
        with open(store.path, "ab") as f:
            cachestore._Writer(f, {id(first): wrong}).dump([cachestore.Roots([first])])
            length = f.tell()
        token, _, count, rewritten = store.state()
        assert cachestore.Store(store.path.parent).read((token, length, count + 1, rewritten)) is False
        assert cachestore.Store(store.path.parent).read(store.state())


def test_objects_read_back_are_the_cached_ones(make_site, tmp_path, monkeypatch):
    # Every document and task row that a page's inputs, the site summary or the memos
    # hold is the very object of the load cache, also when the store has several batches:
    # a copy would make pages and open data be made again after every edit.
    from generator.buildcache import BuildCache
    from generator.content.documents import Document
    from generator.site import TaskRow
    from generator import cachestore
    monkeypatch.setattr(cachestore, "CHUNK_ROOTS", 1)     # every group a pickle of its own
    site, out, _ = _store_site(make_site, tmp_path, monkeypatch, 100.0)
    _edits(site, out, 2)
    builder = BuildCache(site.root, out, (False, False)).builder()
    entries = builder.cache.entries
    current = [v[0] for k, v in entries.items() if k[0] == "document"]
    current += [row for k, v in entries.items() if k[0] == "rows" for row in v[0][1]]
    cached = {id(obj) for obj in current} | {id(v[0][1]) for k, v in entries.items() if k[0] == "rows"}

    found = []

    def walk(value, depth=0):
        if isinstance(value, (Document, TaskRow)):
            found.append(value)
        elif depth < 6 and isinstance(value, (tuple, list)):
            for item in value:
                walk(item, depth + 1)
        elif depth < 6 and isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)

    walk(builder.site_parts)
    walk([entry[:2] for entry in builder.search_memo.values()])
    assert len(found) >= 16 and all(id(obj) in cached for obj in found)
    # pages not rendered again keep the inputs they were rendered from, and open data
    # its pieces (an edited document's old object, when they do not show its text);
    # none of them holds a copy
    found.clear()
    for inputs, _ in builder.pages.values():
        walk(inputs)
    walk(list(builder.data_memo.values()))
    copies = [obj for obj in found if id(obj) not in cached and any(obj == c for c in current)]
    assert len(found) > 20 and not copies
    rows_tuples = [rows for rows in builder.site_parts[3].values()]
    assert rows_tuples and all(id(rows) in cached for rows in rows_tuples)
    # the search index's list of the last build's segments holds the memo's own
    segments = builder.search_shards["segments"]
    memo = [entry[-1] for entry in builder.search_memo.values()]
    assert memo and all(any(seg is s for s in segments) for seg in memo)


def test_recurring_short_texts_are_one_object(make_site):
    """Unit names, deadlines, field names and heading anchors recur in every document;
    each is held (and written to the build cache) once, not once per document. Equal
    texts in any case: this is about memory and the cache's size."""
    import pickle

    from generator.linkcheck import parse_page
    from generator.problems import Problems
    from generator.site import load_site
    site = make_site()
    for name in ("a", "b"):
        site.document(name, body="一、总体要求\n\n正文。\n\n二、工作任务\n\n正文。\n",
                      tasks="tasks:\n  - requirement: 要求\n    units: [区财政局]\n    deadline: 长期坚持\n")
    loaded = load_site(site.root, Problems(site.root))
    a, b = loaded.documents
    ta, tb = a.tasks.tasks[0], b.tasks.tasks[0]
    assert ta.deadline == "长期坚持" and ta.deadline is tb.deadline
    assert ta.units == ("区财政局",) and ta.units[0] is tb.units[0]
    assert a.heading_rows and a.heading_rows[0][1] is b.heading_rows[0][1]
    assert list(a.lines)[0] is list(b.lines)[0]                        # front matter keys
    # a page's ids and hrefs, packed, come back as one string per distinct value
    html = '<h2 id="p1">甲</h2><a href="../../units/">乙</a>'
    one, two = (pickle.loads(pickle.dumps(parse_page(html))) for _ in range(2))
    assert one._packed[1] == "p1" and one._packed[1] is two._packed[1]
    assert one._packed[3] is two._packed[3]


def _shelf_site(make_site, tmp_path, docs: int = 70):
    """A site of three search segments or so, built through the cache: (site, output
    folder, the cache's shelf folder)."""
    from generator.segmentshelf import SHELF_DIR
    site = make_site()
    for i in range(docs):
        site.document(f"d{i:02d}", body=f"各单位：\n\n第{i}号文件的正文，说明政务公开工作。\n", tasks=TASK)
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    return site, out, site.root / ".gongkai-cache" / SHELF_DIR


def _shelf_names(segments) -> set[str]:
    import os
    return {os.path.basename(shelved[0]) for seg in segments for shelved in (seg.shelf, seg.tables)}


def test_search_segments_text_is_shelved_not_stored(make_site, tmp_path, monkeypatch):
    # The segments' display data and text go to a file each, named by the segment's
    # digest, and their postings to another, named by its size and CRC, not into the
    # store; the store's segments hold none of them, and each file holds what the
    # segment's digest (or the CRC) says.
    from generator import searchfiles
    from generator.buildcache import BuildCache
    site, out, shelf = _shelf_site(make_site, tmp_path)
    cache = BuildCache(site.root, out.absolute(), (False, False))
    builder = cache.builder()
    segments = builder.segments()
    assert len(segments) >= 2
    assert {p.name for p in shelf.iterdir()} == _shelf_names(segments)
    assert {seg.digest for seg in segments} <= _shelf_names(segments)
    assert all(seg.metas is None and seg.text is None and seg.shelf is not None for seg in segments)
    assert all(seg.postings is None and seg.positions is None and seg.tables is not None for seg in segments)
    shown = [seg.display() for seg in segments]
    text = "".join(t for _, t in shown)
    assert all(f"第{i}号文件的正文" in text for i in range(70))
    assert all('"t":"文件d' in metas for metas, _ in shown)
    terms = {term for seg in segments for term, _ in seg.packed()[0].items()}
    assert {"政务", "公开", "正文"} <= terms
    # an edit: the edited segment's new files come, its old ones go
    old = {p.name for p in shelf.iterdir()}
    site.document("d01", body="各单位：\n\n改过的正文。\n", tasks=TASK)
    assert build_site(site.root, out, cache=True).rendered == 1
    now = {p.name for p in shelf.iterdir()}
    assert len(now) == len(old) and len(now - old) == 2
    # a document dated before all others moves every record after it: the m/ files of
    # every segment are made again, from the shelves
    taken = []
    real = searchfiles.take
    monkeypatch.setattr(searchfiles, "take", lambda seg: taken.append(seg.digest) or real(seg))
    site.document("a-first", front="title: 最早的文件\ndisclosure: 主动公开\npublished: 2020-01-02\n")
    edited = build_site(site.root, out, cache=True)
    assert edited.rendered < edited.pages
    assert len(set(taken)) >= len(segments) - 1          # all but the one made anew
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")
    live = BuildCache(site.root, out.absolute(), (False, False)).builder().segments()
    assert {p.name for p in shelf.iterdir()} == _shelf_names(live)
    BuildCache(site.root, out.absolute(), (False, False)).forget()
    assert not shelf.exists()                             # a forgotten cache keeps no shelf


def test_a_segments_text_and_postings_are_let_go_as_soon_as_done_with(make_site, tmp_path, monkeypatch):
    # A segment's display files are made as soon as it is, and a build with a cache
    # shelves its display data and text then: none is held while the postings of the
    # whole site are joined (the largest moment of the index); its postings are shelved
    # once the shards are made, before the vocabulary. The files are those of a build
    # without a cache, which keeps everything in memory.
    from generator import searchfiles
    seen: list[list] = []
    tables: list[list] = []
    real = searchfiles._join
    real_vocabulary = searchfiles.choose_vocabulary

    def joining(parts, keep=None):
        seen.append([seg for seg in searchfiles_made if seg.text is not None])
        return real(parts, keep)

    def vocabulary(*args, **kwargs):
        tables.append([seg for seg in searchfiles_made if seg.postings is not None])
        return real_vocabulary(*args, **kwargs)

    searchfiles_made: list = []
    real_make = searchfiles.make_segment

    def making(records, check=searchfiles._no_check):
        seg = real_make(records, check)
        searchfiles_made.append(seg)
        return seg

    monkeypatch.setattr(searchfiles, "_join", joining)
    monkeypatch.setattr(searchfiles, "make_segment", making)
    monkeypatch.setattr(searchfiles, "choose_vocabulary", vocabulary)
    site, out, shelf = _shelf_site(make_site, tmp_path)
    assert len(searchfiles_made) >= 2 and seen and all(held == [] for held in seen)
    assert tables == [[]]
    searchfiles_made.clear()
    seen.clear()
    tables.clear()
    build_site(site.root, tmp_path / "full")           # no cache: kept in memory
    assert seen and all(len(held) == len(searchfiles_made) for held in seen)
    assert tables == [searchfiles_made]
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_an_edit_reads_the_shelved_postings_one_segment_at_a_time(make_site, tmp_path, monkeypatch):
    # The term files an edit changes are joined from every segment's postings: read back
    # from the shelf and let go one segment at a time, each once (held all at once, the
    # postings of 10,000 documents were 90 MB of an edit's peak). The files are a full
    # build's.
    import weakref
    from generator import search, searchfiles
    from generator.buildcache import BuildCache
    monkeypatch.setattr(search, "MIN_SHARDS", 64)        # a shard count the sizes settle
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 4)
    site, out, _ = _shelf_site(make_site, tmp_path, docs=40)
    read: list[str] = []
    held = [0, 0]                                         # now, most
    real = searchfiles.take_tables

    def let_go() -> None:
        held[0] -= 1

    def taking(seg):
        tables = real(seg)
        read.append(seg.tables[0])
        held[0] += 1
        held[1] = max(held)
        weakref.finalize(tables[0], let_go)
        return tables
    monkeypatch.setattr(searchfiles, "take_tables", taking)
    joins: list[int] = []
    real_join = searchfiles._join_kept
    monkeypatch.setattr(searchfiles, "_join_kept", lambda *a: joins.append(1) or real_join(*a))
    site.document("d05", body="各单位：\n\n第5号文件的正文，说明依申请公开的办理。\n", tasks=TASK)
    build_site(site.root, out, cache=True)
    segments = len(BuildCache(site.root, out.absolute(), (False, False)).builder().segments())
    assert joins == [1] and segments >= 8
    # every shelf once: the segments kept, and the edited one's last version (to tell
    # the changed terms); the new version is held, not read
    assert len(read) == len(set(read)) == segments
    assert held[1] <= 2
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_a_shelf_gone_or_damaged_means_a_full_build(make_site, tmp_path, capsys):
    site, out, shelf = _shelf_site(make_site, tmp_path)
    files = sorted(shelf.iterdir())
    # gone: the cache is not used at all
    files[0].unlink()
    site.document("d01", body="改过的正文。\n", tasks=TASK)
    result = build_site(site.root, out, cache=True)
    assert result.rendered == result.pages
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")
    # damaged in place, the same size: found when read, and the build starts afresh
    capsys.readouterr()
    site.document("z-new", front="title: 新文件\ndisclosure: 主动公开\npublished: 2020-01-02\n")
    for path in shelf.iterdir():
        data = path.read_bytes()
        path.write_bytes(data[:-3] + b"xyz")
    result = build_site(site.root, out, cache=True)
    assert "已损坏，改为完整构建" in capsys.readouterr().err
    assert result.rendered == result.pages
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")
    # and the cache written by that build is whole again
    site.document("d02", body="再改一次。\n", tasks=TASK)
    assert build_site(site.root, out, cache=True).rendered < result.pages
    # the postings' files alone damaged in place: found when the shards read them back
    capsys.readouterr()
    for path in shelf.glob("t-*"):
        data = path.read_bytes()
        path.write_bytes(data[:-3] + bytes(b ^ 1 for b in data[-3:]))
    site.document("d03", body="第三次修改。\n", tasks=TASK)
    result = build_site(site.root, out, cache=True)
    err = capsys.readouterr().err
    assert "已损坏，改为完整构建" in err and f"{shelf}/t-" in err, err
    assert result.rendered == result.pages
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_a_shelf_that_cannot_be_read_back_fails_the_build_cleanly(make_site, tmp_path, monkeypatch):
    # If even the fresh build's own shelves cannot be read back (a failing disk), the
    # build fails with a message naming the file, and output/ stays as it was.
    from generator import searchfiles, segmentshelf
    site, out, shelf = _shelf_site(make_site, tmp_path)
    before = tree_digest(out)

    def unreadable(segments, folder):
        segments = list(segments)
        segmentshelf.shelve(segments, folder)
        for seg in segments:
            raise segmentshelf.ShelfLost(seg.shelf[0])

    monkeypatch.setattr(searchfiles, "shelve", unreadable)
    site.document("d03", body="各单位：\n\n又改了。\n", tasks=TASK)
    with pytest.raises(BuildFailed) as failed:
        build_site(site.root, out, cache=True)
    messages = [p.format() for p in failed.value.problems.errors]
    assert any("刚写入的文件读不回来" in m and "segments" in m for m in messages), messages
    assert tree_digest(out) == before


def test_the_preview_holds_the_text_of_the_segments_it_starts_from(make_site, tmp_path):
    # A later command-line build may sweep shelves the preview still refers to.
    from generator.serve import cached_builder
    site, out, shelf = _shelf_site(make_site, tmp_path)
    shutil.rmtree(site.root / "output", ignore_errors=True)
    build_site(site.root, site.root / "output", cache=True)
    builder = cached_builder(site.root)
    assert builder is not None and builder.shelf is None
    assert all(seg.shelf is None and seg.text for seg in builder.segments())
    assert all(seg.tables is None and seg.postings.count for seg in builder.segments())
    first = sorted(shelf.iterdir())[0]
    first.write_bytes(first.read_bytes().replace("政务".encode(), "公开".encode(), 1))   # same size
    assert cached_builder(site.root) is None


def test_no_parsed_document_shares_a_chunk_with_other_groups(make_site, tmp_path, monkeypatch):
    # The parsed documents and their task rows hold no other group's roots: they are
    # written by pickle's own C code, all of them, not mixed into a chunk with the
    # derived work (task rows resolved, pages planned) that goes through _Writer's hook.
    from generator import cachestore
    from generator.content.documents import Document
    from generator.content.tasks import Task
    hooked: list = []
    real = cachestore._Writer.dump

    def recording(self, obj):
        if isinstance(obj, list):
            hooked.extend(type(root) for root in obj)
        return real(self, obj)

    monkeypatch.setattr(cachestore._Writer, "dump", recording)
    monkeypatch.setattr(cachestore, "CHUNK_ROOTS", 8)        # chunks end inside the documents
    site = make_site()
    for i in range(7):
        site.document(f"d{i}", tasks=TASK)
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    assert hooked                                    # the derived work went through the hook
    assert Document not in hooked and Task not in hooked
    hooked.clear()
    assert _edits(site, out, 2) == [1, 1]            # read back by number, identity kept
    assert Document not in hooked and Task not in hooked
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")


def test_the_builders_plain_state_comes_back_whole_without_the_stores_hook(make_site, tmp_path, monkeypatch):
    # Stamps, digests, output paths and display-file prints hold no stored object: they
    # are pickled apart as bytes (the store's per-object hook is slow), and must come
    # back equal.
    cache, builder, back, seen = _builder_round_trip(make_site, tmp_path, monkeypatch)
    for name in ("link_files", "search_prints", "search_readings"):
        assert getattr(back, name) == getattr(builder, name), name
    # files of output/ taken over (writer.Kept, equal by identity only): by their paths
    assert repr(back.data_outputs) == repr(builder.data_outputs) and builder.data_outputs
    assert back.cache.stamps.entries == builder.cache.stamps.entries and builder.cache.stamps.entries
    assert back.cache.digests == builder.cache.digests and builder.cache.digests
    assert not hasattr(back, "plain") and not hasattr(back.cache, "plain")
    hooked = {id(obj) for obj in seen}
    assert builder.link_files and not any(id(p) in hooked for p in builder.link_files)
    assert not any(id(p) in hooked for p in builder.cache.stamps.entries)


def test_parsed_documents_are_stored_without_the_per_object_hook(make_site, tmp_path, monkeypatch):
    # A parsed document with its tasks (cachestore.Sealed) holds no other group's roots:
    # a pickle of such groups only skips the store's Python hook, and reads back whole,
    # the tasks the very objects the document holds; a pickle that mixes in other groups
    # still goes through the hook (their roots may refer to earlier ones).
    import io
    from generator import cachestore
    from generator.content.documents import Document
    site, out, _ = _store_site(make_site, tmp_path, monkeypatch, 100.0, docs=3)
    from generator.buildcache import BuildCache
    builder = BuildCache(site.root, out, (False, False)).builder()
    docs = [entry for entry in builder.cache.entries.values() if type(entry[0]) is Document]
    others = [entry for entry in builder.cache.entries.values() if type(entry[0]) is not Document]
    assert len(docs) == 3 and others
    seen: list = []
    hook = cachestore._Writer.persistent_id
    monkeypatch.setattr(cachestore._Writer, "persistent_id", lambda self, obj: seen.append(obj) or hook(self, obj))
    store = cachestore.Store(tmp_path / "s")
    buffer = io.BytesIO()
    groups = [g for g in cachestore.root_groups(builder) if g is not cachestore.FLUSH]
    sealed = [g for g in groups if type(g) is cachestore.Sealed]
    # the documents' groups, and one per search segment (a segment holds no other root)
    segments = [entry[-1] for entry in builder.search_memo.values()]
    assert len(sealed) == 3 + len(segments) and segments
    assert [g[0] for g in sealed[3:]] == segments and all(len(g) == 1 for g in sealed[3:])
    store._write(buffer, sealed)
    assert seen == []
    store._write(buffer, [g for g in groups if type(g) is not cachestore.Sealed][:2])
    assert seen
    buffer.seek(0)
    back: list = []
    while buffer.tell() < len(buffer.getvalue()):
        back += cachestore._Reader(buffer, back).load()
    read_docs = [obj for obj in back if type(obj) is Document]
    assert [d.__dict__ for d in read_docs[:3]] == [entry[0].__dict__ for entry in docs]
    for doc in read_docs[:3]:
        held = [obj for obj in back if any(obj is t for t in doc.tasks.tasks)]
        assert len(held) == len(doc.tasks.tasks) > 0


def test_an_edits_link_check_finds_what_a_full_check_finds(make_site, tmp_path, monkeypatch):
    # After an edit only some pages' links are checked again (linkcheck.recheck_links):
    # a page added can mend a link, a page gaining an anchor can mend one, a page
    # losing one or a page removed can break one. Each time the warnings are those of
    # a full build. drafts=True: no permalink ledger, so that a document can go.
    from generator import linkcheck
    from generator.problems import Problems
    checks: list = []
    check = linkcheck.find_broken_links
    monkeypatch.setattr(linkcheck, "find_broken_links",
                        lambda *a, **k: checks.append(k.get("only")) or check(*a, **k))
    site = make_site()
    site.document("a", body="见[乙](../b/)和[乙的第二部分](../b/#p2)。\n")
    site.document("c")
    one = "一、总体要求\n\n正文。\n"
    two = one + "\n二、总体要求\n\n正文。\n"           # no new word: no search file comes or goes
    steps = [("first build: b missing", lambda: None),
             ("b added, one part", lambda: site.document("b", body=one)),
             ("b gains the second part", lambda: site.document("b", body=two)),
             ("c gains a second part", lambda: site.document("c", body=two)),
             ("c loses it, no link points into c", lambda: site.document("c", body=one)),
             ("b loses it", lambda: site.document("b", body=one)),
             ("b gains it again", lambda: site.document("b", body=two)),
             ("b removed", lambda: shutil.rmtree(site.root / "content/documents/b"))]
    seen, whole, mapped = [], [], []
    for step, edit in steps:
        edit()
        found = []
        for out, cache in ((tmp_path / "cached", True), (tmp_path / "full", False)):
            problems = Problems(site.root)
            checks.clear()
            build_site(site.root, out, drafts=True, problems=problems, cache=cache)
            if cache:
                whole.append(checks == [None])
                mapped.append(checks[0] is None or "sitemap.xml" in checks[0])
            found.append(sorted(p.format().split("\n")[0] for p in problems.warnings if "链接" in p.message))
        assert found[0] == found[1], step
        seen.append(len(found[0]))
    assert seen == [2, 1, 0, 0, 0, 1, 0, 2], seen
    # every page checked: the first build, an anchor lost where a link points, a page gone
    assert whole == [True, False, False, False, False, True, False, True], whole
    # sitemap.xml is checked again when it is made again (a page added), not when taken over
    assert mapped == [True, True, False, False, False, True, False, True], mapped


def test_bodies_read_back_from_the_cache_are_decoded_only_when_shown(make_site, tmp_path, monkeypatch):
    # A document read back from the store keeps its body as the UTF-8 bytes it was
    # stored as until something reads it: an edit shows a few bodies, not every one.
    # Pickled again undecoded, it writes the same bytes; read, it is the text itself.
    from generator.buildcache import BuildCache
    from generator.content.documents import Document
    site, out, _ = _store_site(make_site, tmp_path, monkeypatch, 100.0, docs=3)
    builder = BuildCache(site.root, out, (False, False)).builder()
    docs = [entry[0] for entry in builder.cache.entries.values() if type(entry[0]) is Document]
    assert len(docs) == 3
    assert all(type(doc.__dict__["body_html"]) is bytes for doc in docs)
    first = docs[0]
    again = pickle.loads(pickle.dumps(first))
    assert type(again.__dict__["body_html"]) is bytes
    assert again.__dict__["body_html"] == first.__dict__["body_html"]
    text = first.body_html
    assert type(text) is str and "<p>" in text and first.__dict__["body_html"] is text
    assert again == first and type(again.__dict__["body_html"]) is str     # compared as text
    # an edit of one document decodes the bodies of its search segment only (here all
    # three documents share one segment), and none when nothing it indexes changed
    from generator.content import documents

    class Recording(documents._Body):
        def __get__(self, doc, owner=None):
            if doc is not None and type(doc.__dict__["body_html"]) is bytes:
                decoded.append(doc.id)
            return super().__get__(doc, owner)

    decoded: list = []
    monkeypatch.setattr(Document, "body_html", Recording())
    site.document("d1", body="改过的正文。\n", tasks=TASK)
    assert build_site(site.root, out, cache=True).rendered >= 1
    assert sorted(decoded) == ["d0", "d2"]       # d1 was parsed again: a str from the start
    decoded.clear()
    (site.root / "content" / "documents" / "d1" / "index.md").touch()
    assert build_site(site.root, out, cache=True).rendered == 0
    assert decoded == []
    full = tmp_path / "full"
    build_site(site.root, full)
    assert tree_digest(out) == tree_digest(full)


def test_documents_parsed_in_workers_come_back_decoded(make_site, tmp_path, monkeypatch):
    # Parsed in a worker, a document's body comes back as bytes; it is decoded at once,
    # in the process that forks the render workers, so that they share one copy.
    from generator import parallel
    from generator.content import documents
    monkeypatch.setattr(parallel, "MIN_SOURCES", 2)
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    loaded: list = []
    real = documents.Document.decode_body

    def spy(doc):
        real(doc)
        loaded.append(type(doc.__dict__["body_html"]))

    monkeypatch.setattr(documents.Document, "decode_body", spy)
    site = make_site()
    for i in range(4):
        site.document(f"d{i}", tasks=TASK)
    build_site(site.root, tmp_path / "out", cache=True)
    assert loaded == [str] * 4


def test_open_data_pieces_are_found_again_in_the_files_the_last_build_wrote(make_site, tmp_path):
    # The cache keeps where each document's piece of documents.json, tasks.json and
    # tasks.csv is in the file the last build wrote, not the piece itself (92 MB at
    # 10,000 documents): a later build slices the file, once its size and CRC-32 are
    # the ones recorded. A file changed behind the cache's back (here: the same size
    # and time, so that the build takes output/ as written) is not sliced: every piece
    # is made again. Either way the files are a full build's.
    import os
    from generator.buildcache import BuildCache
    site = make_site()
    for i in range(6):
        site.document(f"d{i}", front=f"title: 文件{i}\ndisclosure: 主动公开\npublished: 2024-06-0{i + 1}\n",
                      tasks=f"tasks:\n  - requirement: 要求{i}甲\n    units: [区财政局]\n"
                            f"  - requirement: 要求{i}乙\n    units: [区政府办公室]\n")
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    builder = BuildCache(site.root, out.absolute(), (False, False)).builder()
    spans = [entry[2] for entry in builder.data_memo.values()]
    assert len(spans) == 18 and all(type(s) is tuple and len(s) == 2 for s in spans)
    data = (out / "api/tasks.json").read_bytes()
    pieces = {doc.id: data[a:b] for (kind, _, _), (doc, _, (a, b)) in builder.data_memo.items() if kind == "tasks"}
    assert len(pieces) == 6 and all(piece.startswith(f'{{"document": "{doc}"'.encode()) and
                                    piece.count(b'"document"') == 2 for doc, piece in pieces.items())

    def same_as_full(name: str) -> None:
        build_site(site.root, tmp_path / name)
        for path in ("api/documents.json", "api/tasks.json", "api/tasks.csv"):
            assert (out / path).read_bytes() == (tmp_path / name / path).read_bytes(), path

    site.document("d3", front="title: 改过标题的文件\ndisclosure: 主动公开\npublished: 2024-06-04\n",
                  tasks="tasks:\n  - requirement: 新要求\n    units: [区财政局]\n")
    build_site(site.root, out, cache=True)
    same_as_full("full1")
    # d1's task, changed in place: same size, same time, same inode
    path = out / "api/tasks.json"
    st = path.stat()
    text = path.read_bytes()
    assert b"\\u8981\\u6c421" not in text and "要求1甲".encode() in text
    with open(path, "r+b") as f:
        f.write(text.replace("要求1甲".encode(), "要求9甲".encode()))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    site.document("d4", front="title: 又改了一个\ndisclosure: 主动公开\npublished: 2024-06-05\n",
                  tasks="tasks:\n  - requirement: 要求4甲\n    units: [区财政局]\n")
    build_site(site.root, out, cache=True)
    assert "要求1甲".encode() in path.read_bytes()
    same_as_full("full2")


def test_a_save_begun_while_pages_render_is_dropped_when_the_build_fails(make_site, tmp_path, monkeypatch):
    # The parsed sources are stored while pages render (BuildCache.store_sources, before
    # the link check); a build that then fails (a broken link under --strict) leaves the
    # cache as the last successful build wrote it: no temporary store, no batch that
    # builder.pickle does not know, and the next build still renders only what changed.
    from generator import cachestore
    begun = []
    real_begin = cachestore.Store.begin
    monkeypatch.setattr(cachestore.Store, "begin",
                        lambda self, groups: begun.append(self.path) or real_begin(self, groups))
    site, out, store = _store_site(make_site, tmp_path, monkeypatch, 100.0)
    assert begun                        # the first build began its save early too
    build_site(site.root, out, strict=True, cache=True)    # --strict builds have a cache of their own
    cache_dir = store.parent
    before = (store.read_bytes(), (cache_dir / "builder.pickle").read_bytes())
    site.document("d1", body="第一段。[坏链接](../nowhere/)\n", tasks=TASK)
    begun.clear()
    with pytest.raises(BuildFailed):
        build_site(site.root, out, strict=True, cache=True)
    assert begun and not [p.name for p in cache_dir.iterdir() if ".tmp-" in p.name]
    # store.pickle may hold the abandoned batch past its recorded length; builder.pickle
    # is the last build's, and the store reads back as it recorded it
    assert (cache_dir / "builder.pickle").read_bytes() == before[1]
    assert store.read_bytes().startswith(before[0])
    site.document("d1", body="改好的正文。\n", tasks=TASK)
    assert build_site(site.root, out, strict=True, cache=True).rendered == 1
    build_site(site.root, tmp_path / "full")
    assert tree_digest(out) == tree_digest(tmp_path / "full")
    # and a first build that fails leaves no store at all
    fresh = make_site("fresh")
    fresh.document("a", body="[坏链接](../nowhere/)\n", tasks=TASK)
    begun.clear()
    with pytest.raises(BuildFailed):
        build_site(fresh.root, tmp_path / "fresh-out", strict=True, cache=True)
    assert begun
    left = fresh.root / ".gongkai-cache"
    assert not (left / cachestore.STORE).exists() and not [p for p in left.iterdir() if ".tmp-" in p.name]


def test_a_store_save_in_two_parts_and_one_abandoned(tmp_path):
    # Store.begin writes the first groups, save() the rest; abandon() forgets what
    # begin stored, in an appended store as in a rewritten one, so that the roots it
    # took are stored again by the next save (a build that failed between the two).
    from generator import cachestore
    first, second, third = ("政务公开",), ("工作要点",), ("任务分工",)
    store = cachestore.Store(tmp_path)
    store.begin([[first]])
    assert store.numbers == {}          # let go while pages render, made again when asked
    assert store.holds(first) and not store.path.exists()     # rewritten: a new file
    store.save([[first], [second, (first,)]])
    assert store.path.exists() and len(store.objects) == 3
    state = store.state()
    store.begin([[third]])                                    # appended to
    assert store.holds(third)
    store.abandon()
    assert not store.holds(third) and store.state() == state and len(store.objects) == 3
    store.save([[third]])
    again = cachestore.Store(tmp_path)
    assert again.read(store.state()) and again.objects == [first, second, (first,), third]
    # begun on an empty store and abandoned: nothing left behind, nothing held
    empty = cachestore.Store(tmp_path / "empty")
    empty.path.parent.mkdir()
    empty.begin([[first]])
    empty.abandon()
    assert not empty.holds(first) and list(empty.path.parent.iterdir()) == []


def test_library_versions_are_found_as_importlib_metadata_finds_them(tmp_path, monkeypatch):
    """The cache key names each library's version, read from sys.path's folders without
    importing importlib.metadata (a no-op build's start): the same versions."""
    from importlib import metadata
    from generator import codeversion
    found = codeversion._installed_versions()
    for lib in codeversion.LIBRARIES:
        assert found[codeversion._normal(lib)] == metadata.version(lib), lib
    # the first on sys.path wins, dist-info before egg-info, as importlib.metadata has it
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "Jinja2-9.8.dist-info").mkdir(parents=True)
    (first / "Jinja2-9.8.dist-info" / "METADATA").write_text("Name: Jinja2\nVersion: 9.8\n\nbody\n")
    (first / "nh3-0.0.egg-info").write_text("Name: nh3\nVersion: 0.0\n")
    (second / "jinja2-1.0.dist-info").mkdir(parents=True)
    (second / "jinja2-1.0.dist-info" / "METADATA").write_text("Name: jinja2\nVersion: 1.0\n")
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    found = codeversion._installed_versions()
    assert found["jinja2"] == metadata.version("jinja2") == "9.8"
    assert found["nh3"] == metadata.version("nh3") == "0.0"
    # another version of a library is another cache key
    codeversion.code_version.cache_clear()
    try:
        with_others = codeversion.code_version()
        monkeypatch.undo()
        codeversion.code_version.cache_clear()
        assert codeversion.code_version() != with_others
    finally:
        codeversion.code_version.cache_clear()


def test_files_hashed_again_by_a_check_are_not_hashed_again_next_time(make_site, tmp_path, monkeypatch):
    """A source saved within the file system's time granularity of a build is recorded
    as racy, and a touched one with a new stat: the next check reads it again. What
    that check learns is kept, by a no-op and by an edit build alike, so that later
    checks do not read it again (every source of a site copied just before its first
    build was read by every later no-op: 0.5 s at 10,000 documents)."""
    import time
    from generator import stamps
    site = make_site()
    for doc in ("a", "b", "c"):
        site.document(doc, body=f"{doc}的正文。\n")
    out = tmp_path / "out"
    monkeypatch.setattr(stamps, "GRANULARITY_NS", 300_000_000)      # 0.3 s
    build_site(site.root, out, cache=True)          # every source just written: racy
    reads: list[str] = []
    real_open = open
    monkeypatch.setattr(stamps, "open", lambda path, *a, **k: reads.append(str(path)) or real_open(path, *a, **k),
                        raising=False)

    def noop_reads() -> int:
        reads.clear()
        result = build_site(site.root, out, cache=True)
        assert result.rendered == 0
        return len([r for r in reads if "/content/" in r])
    time.sleep(0.4)
    assert noop_reads() >= 3                        # the racy sources, read to be sure
    assert noop_reads() == 0                        # and then known to be settled
    # a touched file (same bytes, new stat): read once, by the command line's check too
    # (which takes the build lock only if it is free)
    from generator.buildcache import BuildCache, check_build
    path = site.root / "content/documents/b/index.md"
    path.write_bytes(path.read_bytes())
    time.sleep(0.4)

    def check_reads() -> int:
        reads.clear()
        assert check_build(site.root, out, False, False).nothing
        return len([r for r in reads if "/content/" in r])
    with BuildCache(site.root.resolve(), out.absolute(), (False, False)).lock():
        assert check_reads() == 1                   # a build runs: nothing recorded
        assert check_reads() == 1
    assert check_reads() == 1
    assert check_reads() == 0
    assert noop_reads() == 0
    # an edit build keeps what its check learned of the files it did not read
    for doc in ("a", "b"):
        p = site.root / f"content/documents/{doc}/index.md"
        p.write_bytes(p.read_bytes())
    site.document("c", body="c的第二版。\n")
    time.sleep(0.4)
    assert build_site(site.root, out, cache=True).rendered >= 1
    assert noop_reads() == 0


def test_heading_rows_are_packed_and_read_back_as_given():
    """A document holds its headings packed in one string (one object in the build cache
    instead of three per heading) and gives back exactly the rows it was made with,
    after pickling too; rows a separator could confuse are kept as they are."""
    import dataclasses

    from generator.content.documents import Document

    base = dict(id="d", source=None, title="t", index_no=None, doc_no=None, issuer=None,
                topic=None, written=None, published=None, validity=None, disclosure="主动公开",
                doc_type=None, keywords=(), unit_scope=None, attachments=(), tasks_note=None,
                draft=False, body_html="<p>x</p>", tasks=None, lines={})
    cases = [
        (),
        ((2, "t1", "一、总体要求"), (3, "p1-2", "（二）工作任务。"), (9, "x", "")),
        ((2, "a", "甲\x1f乙"), (3, "b", "丙")),          # unit separator in a text
        ((2, "a\x1e", "甲"),),                           # record separator in an anchor
        ((10, "a", "甲"),),                              # level of two digits
    ]
    for rows in cases:
        doc = Document(heading_rows=rows, **base)
        held = doc.__dict__["heading_rows"]
        assert (type(held) is str) == (rows in cases[:2]), rows
        for got in (doc, pickle.loads(pickle.dumps(doc)), dataclasses.replace(doc, title="u")):
            assert got.heading_rows == rows
            assert [(h.level, h.anchor, h.text) for h in got.headings] == list(rows)
