"""Incremental rebuilds equal full builds, byte for byte, after any sequence of edits,
additions, renames and deletions; and only the pages an edit affects are re-rendered."""
from __future__ import annotations

import json
import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import UNITS_YAML
from generator.build import collect_outputs
from generator.incremental import Builder, outputs_equal
from generator.problems import BuildFailed, Problems
from generator.site import load_site
from generator.writer import content_bytes

TITLES = ["关于印发政务公开工作要点的通知", "政务公开重点工作任务分工", "关于做好政策解读工作的通知", "年度报告"]
BODIES = ["各单位：\n\n一、总体要求\n\n（一）公开。内容甲。\n", "正文乙。\n\n二、保障措施\n\n1.聚焦。内容。\n",
          "（一）立足实施。正文丙。\n", "简短正文。\n"]
UNITS = ["区政府办公室", "区财政局", "区政府办"]


def full_build(root):
    problems = Problems(root)
    site = load_site(root, problems)
    if site is None or problems.has_errors():
        return None, sorted(p.format() for p in problems.errors)
    outputs = collect_outputs(site, problems)
    if problems.has_errors():
        return None, sorted(p.format() for p in problems.errors)
    return outputs.files, []


def incremental(builder, hints=None):
    try:
        builder.build(hints=hints)
    except BuildFailed as e:
        return None, sorted(p.format() for p in e.problems.errors)
    return builder.outputs, []


def sources(root) -> dict[str, bytes]:
    """Every file the preview server watches, by absolute path (as watchdog names them)."""
    root = root.resolve()
    files = [root / "config.yaml"] + [f for d in ("content", "templates") for f in (root / d).rglob("*")]
    return {str(f): f.read_bytes() for f in files if f.is_file()}


def watcher_hints(before: dict[str, bytes], after: dict[str, bytes]) -> set[str] | None:
    """What the preview's watcher passes for a change: the files written, or None when
    one was created, deleted or moved (every folder is probed then)."""
    if before.keys() != after.keys():
        return None
    return {path for path in after if after[path] != before[path]}


class Editor:
    """Random but valid (and sometimes invalid) editorial changes to a small site."""

    def __init__(self, site, rng: random.Random):
        self.site, self.rng = site, rng
        self.ids: list[str] = []
        self.counter = 0
        self.broken: str | None = None
        self.withheld: set[str] = set()
        self.interp_target: str | None = None

    def front(self, title, year, extra=""):
        return f"title: {title}\ndisclosure: 主动公开\npublished: {year}-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}\n" \
               f"issuer: {self.rng.choice(['区政府办公室', '市政府办公室'])}\ntopic: {self.rng.choice(['综合政务', '城乡建设'])}\n{extra}"

    def tasks(self):
        rows = ["tasks:"]
        for i in range(self.rng.randint(1, 4)):
            rows += [f"  - section: 一、部分{self.rng.randint(1, 2)}", f"    item: （{'一二'[self.rng.randint(0, 1)]}）事项",
                     f"    requirement: 要求{self.rng.randint(0, 99)}",
                     f"    units: [{', '.join(self.rng.sample(UNITS, self.rng.randint(1, 2)))}]",
                     f"    deadline: {self.rng.choice(['长期坚持', '2024年12月底前'])}"]
        return "\n".join(rows) + "\n"

    def step(self):
        ops = ["add", "edit_body", "edit_title", "edit_tasks", "delete", "rename", "units", "template",
               "interpretation", "broken", "config", "withhold"]
        op = self.rng.choice(ops if self.ids else ["add"])
        doc = self.rng.choice(self.ids) if self.ids else None
        if self.broken in self.ids:
            # an editor fixes a mistake after seeing the error: repair it in the next step
            op, doc, self.broken = "edit_title", self.broken, None
        root = self.site.root
        if op == "add" or (op in ("delete", "rename") and len(self.ids) < 2):
            self.counter += 1
            new = f"d{self.counter}"
            self.site.document(new, front=self.front(self.rng.choice(TITLES), self.rng.choice([2023, 2024])),
                               body=self.rng.choice(BODIES), tasks=self.tasks() if self.rng.random() < 0.7 else None)
            self.ids.append(new)
        elif op == "edit_body":
            path = root / f"content/documents/{doc}/index.md"
            path.write_text(path.read_text(encoding="utf-8") + f"\n新增段落{self.rng.randint(0, 999)}。\n", encoding="utf-8")
        elif op == "edit_title":
            self.withheld.discard(doc)
            self.site.document(doc, front=self.front(self.rng.choice(TITLES) + str(self.rng.randint(0, 9)), 2024),
                               body=self.rng.choice(BODIES))
        elif op == "edit_tasks":
            self.site.write(f"content/documents/{doc}/tasks.yaml", self.tasks())
        elif op == "delete":
            shutil.rmtree(root / f"content/documents/{doc}")
            self.ids.remove(doc)
            self.withheld.discard(doc)
        elif op == "rename":
            self.counter += 1
            new = f"r{self.counter}"
            (root / f"content/documents/{doc}").rename(root / f"content/documents/{new}")
            self.ids[self.ids.index(doc)] = new
        elif op == "units":
            self.site.write("content/units/local.yaml", UNITS_YAML + f"    note: 说明{self.rng.randint(0, 9)}\n")
        elif op == "template":
            if self.rng.random() < 0.3:
                # a list that shows something of each body: body edits must re-render it
                self.site.write("templates/list.html", '{% extends "base.html" %}{% block content %}<h1>'
                                '{{ page.title }}</h1>{% for d in documents %}<p>{{ d.headings | length }}'
                                '{{ d.body_html | length }}</p>{% endfor %}{% endblock %}')
            elif self.rng.random() < 0.5:
                self.site.write("templates/list.html", '{% extends "base.html" %}{% block content %}<h1>'
                                f'{{{{ page.title }}}}{self.rng.randint(0, 9)}</h1>{{% endblock %}}')
            else:
                shutil.rmtree(root / "templates", ignore_errors=True)
        elif op == "interpretation":
            public = [d for d in self.ids if d not in self.withheld]
            if not public:
                return op
            doc = self.rng.choice(public)
            self.interp_target = doc
            self.site.write("content/interpretations/jd.md", f"---\ntitle: 解读{self.rng.randint(0, 9)}\n"
                            f"interprets: [{doc}]\nform: {self.rng.choice(['文字解读', '简明问答'])}\n"
                            "published: 2024-01-01\ncontact: 电话\n---\n解读正文。\n")
        elif op == "broken":
            path = root / f"content/documents/{doc}/index.md"
            path.write_text("---\ntitle: [坏的\n---\n", encoding="utf-8")
            self.broken = doc
        elif op == "config":
            cfg = (root / "config.yaml").read_text(encoding="utf-8")
            cfg = cfg.replace("测试站", "测试站二") if "测试站二" not in cfg else cfg.replace("测试站二", "测试站")
            (root / "config.yaml").write_text(cfg, encoding="utf-8")
        elif op == "withhold":
            self.site.document(doc, front=self.front("不公开的文件", 2024).replace("主动公开", "依申请公开"))
            self.withheld.add(doc)
        if self.interp_target and (self.interp_target not in self.ids or self.interp_target in self.withheld):
            # the editor removes an interpretation whose document went away (the build said so)
            (root / "content/interpretations/jd.md").unlink(missing_ok=True)
            self.interp_target = None
        return op


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_incremental_equals_full_build(make_site, seed, tmp_path_factory):
    root = tmp_path_factory.mktemp("inc")
    from conftest import SiteMaker
    site = SiteMaker(root / "site")
    rng = random.Random(seed)
    editor = Editor(site, rng)
    builder = Builder(site.root)
    # a second builder as the preview server runs it: told which files were written
    hinted = Builder(site.root)
    steps = []
    built = 0
    files = sources(site.root)
    for _ in range(14):
        steps.append(editor.step())
        inc_out, inc_err = incremental(builder)
        files, before = sources(site.root), files
        hint_out, hint_err = incremental(hinted, watcher_hints(before, files))
        full_out, full_err = full_build(site.root)
        assert inc_err == full_err, (steps, inc_err, full_err)
        assert hint_err == full_err, (steps, hint_err, full_err)
        if full_out is not None:
            assert outputs_equal(inc_out, full_out) == [], steps
            assert outputs_equal(hint_out, full_out) == [], steps
            built += 1
    assert built >= 3, steps      # most sequences mostly build: the comparison must happen


def test_only_affected_pages_are_rendered(make_site):
    site = make_site()
    for i in range(6):
        site.document(f"d{i}", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n" if i % 2 else None)
    builder = Builder(site.root)
    builder.build()
    total = builder.rendered
    builder.build()
    assert builder.rendered == 0
    path = site.root / "content/documents/d2/index.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    builder.build()
    # only the text changed: lists, unit pages and the site map do not show it
    assert builder.rendered == 1
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: 新"), encoding="utf-8")
    builder.build()
    # a new title: the document's page, plus the lists and the sitemap that show its entry
    assert 3 <= builder.rendered < total / 2
    # a list template that reads the body is re-rendered when only the body changes
    site.write("templates/list.html", '{% extends "base.html" %}{% block content %}<h1>{{ page.title }}'
               '</h1>{% for d in documents %}<p>{{ d["body_html"] | length }}</p>{% endfor %}{% endblock %}')
    builder.build()
    path.write_text(path.read_text(encoding="utf-8") + "\n又一段。\n", encoding="utf-8")
    builder.build()
    lists = [p for p in builder.site.pages
             if p.template == "list.html" and any(d.id == "d2" for d in p.data["documents"])]
    assert len(lists) >= 2                # all documents, and its year
    assert builder.rendered == 1 + len(lists)   # the document and the lists that show its body
    full_out, _ = full_build(site.root)
    assert outputs_equal(builder.outputs, full_out) == []
    site.write("templates/tasks.html", '{% extends "base.html" %}{% block content %}<h1>任务</h1>{% endblock %}')
    builder.build()
    assert builder.rendered == 3          # the three task pages, nothing else


def test_deferred_search_index_catches_up(make_site):
    site = make_site()
    site.document("a", body="第一段独特词语甲乙。\n")
    builder = Builder(site.root)
    builder.build()
    site.document("a", body="第二段全新词语丙丁。\n")
    builder.build(defer_search=True)
    assert builder.search_stale
    builder.refresh_search()
    full_out, _ = full_build(site.root)
    assert outputs_equal(builder.outputs, full_out) == []


def test_templates_that_may_read_a_body_are_found():
    import jinja2

    from generator.incremental import _reads_body
    env = jinja2.Environment()
    reads = {
        "{{ doc.body_html }}": True, "{{ doc['headings'] }}": True, "{{ doc[key] }}": True,
        "{{ docs | map(attribute='heading_rows') | join }}": True, "{{ doc['body_' ~ 'html'] }}": True,
        "{{ doc['body_' + 'html'] }}": True, "{{ doc.title }}": False, "{{ pages[n - 1] }}": False,
        "{{ pages[0] }}": False, "{{ pages[-1] }}": False, "{{ doc.headings }}": True,
    }
    for source, expected in reads.items():
        assert _reads_body(env.parse(source)) is expected, source


def _segmented_site(make_site, monkeypatch, paragraphs: int, count: int = 12):
    """``count`` documents of ``paragraphs`` paragraphs in search segments of one each, built."""
    from generator import searchfiles
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 1)
    site = make_site()
    for i in range(count):
        site.document(f"d{i:02}", body="".join(f"第{i}篇第{n}段，依申请公开。\n\n" for n in range(paragraphs)))
    builder = Builder(site.root)
    builder.build()
    return site, builder


def _remade(site, builder, prefixes: tuple, **edit) -> tuple[list[str], list[str]]:
    """Edit d05 and rebuild: (the outputs under ``prefixes``, those made again). The
    result must equal a fresh build."""
    before = dict(builder.outputs)
    site.document("d05", **edit)
    builder.build()
    files = [p for p in builder.outputs if p.startswith(prefixes)]
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []
    return files, [p for p in files if builder.outputs[p] is not before.get(p)]


def test_search_display_files_are_made_again_only_for_the_edited_segment(make_site, monkeypatch):
    # The m/ and c/ files whose records and text chunks come from unchanged segments,
    # starting where they started, are the last build's, not made again; the result is
    # the same as a fresh build, also when the edit outgrows its segment's room and
    # shifts every later chunk (see searchfiles.chunk_room).
    site, builder = _segmented_site(make_site, monkeypatch, 200)
    longer = "".join(f"第5篇第{n}段，依申请公布。\n\n" for n in range(2000))
    for body in ("".join(f"第5篇第{n}段，依申请公布。\n\n" for n in range(200)),     # same length
                 "短了。\n",                                                       # within its room
                 longer):                                                         # chunks shift
        display, remade = _remade(site, builder, ("search/index/m/", "search/index/c/"), body=body)
        if body != longer:
            assert 0 < len(remade) < len(display) / 3, (len(remade), len(display))
        else:
            assert len(remade) > len(display) / 3


def test_memory_is_handed_back_after_builds_that_make_many_segments_only(make_site, monkeypatch, tmp_path):
    # glibc's heap is trimmed after a build that shelved many new segments (a full
    # build), not after an edit's one segment of many (26 ms of an edit, for a few MB
    # the next edit reuses). The index an edit makes names the files it made: every
    # other file is the last build's very object.
    from generator import searchfiles
    trims: list[int] = []
    monkeypatch.setattr(searchfiles, "give_back", lambda: trims.append(1))
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 1)
    site = make_site()
    for i in range(20):
        site.document(f"d{i:02}", body=f"第{i}篇，依申请公开。\n")
    builder = Builder(site.root)
    builder.shelf = tmp_path / "shelf"
    builder.build(defer_search=True)
    assert len(trims) == 2                      # after the segments, after the shards
    site.document("d07", body="第7篇，依申请公开，补充一句。\n")
    builder.build(defer_search=True)
    assert builder.search_stale
    before = dict(builder.outputs)
    trims.clear()
    outputs = builder.refresh_search()
    assert trims == []
    made = set(builder.search_made)
    assert made and all(p.startswith("search/index/") for p in made)
    index = [p for p in outputs if p.startswith("search/index/")]
    assert made == {p for p in index if outputs[p] is not before.get(p)}
    assert len(made) < len(index) / 2
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(outputs, fresh.outputs) == []
    # the index's files come in the order of their paths, whether the last build's
    # map was taken with the files made put in (the same names) or sorted again (a
    # document with more text: new c/ files)
    for body, same_names in (("第7篇，改了第二次。\n", True), ("".join(f"第{n}段，依申请公开。\n\n" for n in range(400)), False)):
        site.document("d07", body=body)
        builder.build(defer_search=True)
        before = {p for p in builder.outputs if p.startswith("search/index/")}
        outputs = builder.refresh_search()
        index = [p for p, _ in builder.data_outputs["search"]]
        assert index == sorted(index) and (set(index) == before) == same_names
        assert set(index) == {p for p in outputs if p.startswith("search/index/")}
        fresh = Builder(site.root)
        fresh.build()
        assert outputs_equal(outputs, fresh.outputs) == []


def test_unchanged_segments_take_their_display_files_from_the_last_build(make_site, monkeypatch):
    # Each segment's add() is replayed from the last build when the segment, its place
    # and the places its m/ files reach into are as they were, never otherwise: an edit
    # of d14 that changes its display data makes again the m/ file its record is in
    # (16 records a file), which a later segment's add() completes; an edit that moves
    # every later chunk replays only the segments before it.
    from generator.searchdisplay import DisplayFiles
    site, builder = _segmented_site(make_site, monkeypatch, 20, count=40)
    replayed: list[bool] = []
    real = DisplayFiles._replay
    monkeypatch.setattr(DisplayFiles, "_replay", lambda self, i, block: replayed.append(real(self, i, block))
                        or replayed[-1])

    def edit(paragraphs: int) -> tuple[int, list[bool]]:
        replayed.clear()
        before = dict(builder.outputs)
        site.document("d14", body="".join(f"第14篇第{n}段，依申请公开。\n\n" for n in range(paragraphs)))
        builder.build()
        made = list(replayed)
        edited = made.index(False)                 # d14's segment (one record each)
        fresh = Builder(site.root)
        fresh.build()
        assert outputs_equal(builder.outputs, fresh.outputs) == []
        meta = f"search/index/m/{edited // 16}.json"
        assert builder.outputs[meta] != before[meta]      # its display data is in it
        return edited, made
    edited, made = edit(18)                                # shorter, within its room
    # the segment that completes the m/ file holding d14's record is made again too
    closer = edited // 16 * 16 + 15
    assert closer > edited and not made[closer] and sum(made) == 38, made
    edited, made = edit(400)                               # every later chunk moves
    assert made[:edited] == [True] * edited and not any(made[edited:])


def test_text_added_to_a_document_makes_again_only_its_segments_display_files(make_site, monkeypatch):
    # Each segment's chunks start a c/ file of their own and have room to grow
    # (searchfiles.chunk_room): a paragraph more moves no later segment's chunk numbers,
    # so only the edited segment's files are made again. Numbered one after another,
    # every later c/ and m/ file was.
    site, builder = _segmented_site(make_site, monkeypatch, 200)
    before = [len(s.ends) for s in builder.search_shards["segments"]]
    body = ("".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(200))
            + "新增的一段：" + "依申请公开的办理流程。" * 12 + "\n")
    display, remade = _remade(site, builder, ("search/index/m/", "search/index/c/"), body=body)
    segments = builder.search_shards["segments"]
    grown = [s for s, n in zip(segments, before) if len(s.ends) > n]
    assert len(grown) == 1 and [len(s.ends) for s in segments if s is not grown[0]] == \
        [n for s, n in zip(segments, before) if s is not grown[0]]
    texts = [p for p in remade if p.startswith("search/index/c/")]
    assert texts and all(builder.search_prints[p[len("search/index/"):]].startswith(grown[0].digest)
                         for p in texts), (texts, len(display))
    assert len(remade) - len(texts) <= 2                # the m/ file(s) of its records


def test_term_shards_are_made_again_only_where_an_edited_segment_changed_terms(make_site, monkeypatch):
    # A t/ or q/ shard none of whose terms changed postings in the edited segment is the
    # last build's file; an edit that changes a segment's number of records moves every
    # later record, and every shard is made again. Either way, as a fresh build.
    site, builder = _segmented_site(make_site, monkeypatch, 40)
    for tasks in (None, "tasks:\n  - requirement: 新任务\n    units: [区财政局]\n"):
        body = "".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(40)) + "补充一句话。\n"
        shards, remade = _remade(site, builder, ("search/index/t/", "search/index/q/"), body=body, tasks=tasks)
        if tasks is None:
            assert 0 < len(remade) < len(shards) / 2, (len(remade), len(shards))
        else:                                       # a task row: one record more
            assert len(remade) == len(shards)


def test_an_edit_joins_only_the_terms_of_the_shards_it_changes(make_site, monkeypatch):
    # When the bounds on the postings' size settle the shard count and every other shard
    # is the last build's file, only the terms falling in the changed shards are joined
    # (joining every segment's postings was most of a big site's index after an edit);
    # the files are a fresh build's.
    from generator import search, searchfiles
    monkeypatch.setattr(search, "MIN_SHARDS", 64)    # enough shards to tell few from all
    site, builder = _segmented_site(make_site, monkeypatch, 40)
    joined: list[tuple[bool, int]] = []
    real = searchfiles._join_kept

    def spy(parts, keeps, traces=None):
        out = real(parts, keeps, traces)
        joined.extend((keep is not None, len(got)) for keep, got in zip(keeps, out))
        return out
    monkeypatch.setattr(searchfiles, "_join_kept", spy)
    # (text put before the last paragraph: its terms move, terms other segments hold
    # too, whose spans a full build does not keep; see the splice test below)
    site.document("d05", body="".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(39))
                  + "补充一句话。第5篇第39段，依申请公开。\n")
    builder.build()
    (partial_t, some), (partial_q, _) = joined
    assert partial_t and partial_q
    monkeypatch.setattr(searchfiles, "_join_kept", real)
    every = {t for s in builder.search_shards["segments"] for t, _ in s.postings.items()}
    assert 0 < some < len(every) / 2, (some, len(every))
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []


def test_an_edit_knows_the_terms_of_the_shard_files_the_last_edit_wrote(make_site, monkeypatch):
    # An edit that adds text moves every later term of the document, and so changes
    # shard files full of common terms; the terms each held are kept from the edit that
    # wrote them, not read back. The first edit after a full build reads them; the
    # second only those of the terms that now repeat (their further positions); the
    # next ones, moving the same terms again, read none. Every build's files are a
    # fresh build's, an edit of another document's included.
    from generator import search, searchfiles
    monkeypatch.setattr(search, "MIN_SHARDS", 64)
    site, builder = _segmented_site(make_site, monkeypatch, 40)
    reads: list[int] = []
    real = searchfiles.content_bytes
    monkeypatch.setattr(searchfiles, "content_bytes", lambda c: reads.append(1) or real(c))
    read_per_edit = []
    text = "".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(40))
    for doc in ("d05", "d05", "d05", "d05", "d12"):
        reads.clear()
        if doc == "d05":
            text = "补充一句话。" + text            # every later term moves
            site.document(doc, body=text)
        else:
            site.document(doc, body="新增的一句话。" + "".join(f"第12篇第{n}段。\n\n" for n in range(40)))
        builder.build()
        assert builder.search_shards["spans"].files, doc
        read_per_edit.append(len(reads))
        fresh = Builder(site.root)
        fresh.build()
        assert outputs_equal(builder.outputs, fresh.outputs) == []
    assert read_per_edit[0] > read_per_edit[1] and read_per_edit[2] == read_per_edit[3] == 0, read_per_edit


def test_an_edit_splices_the_term_files_the_last_edits_wrote(make_site, monkeypatch):
    # Edits adding text to one document, and then taking a sentence out again: from the
    # second edit of the document on, its changed term files are spliced from the spans
    # kept of what the last edits wrote (no segment's postings joined again); another
    # document's first edit joins only the terms whose segments are not known. Every
    # build's files are a fresh build's.
    from generator import search, searchfiles
    monkeypatch.setattr(search, "MIN_SHARDS", 64)
    site, builder = _segmented_site(make_site, monkeypatch, 40)
    # a phrase only d09 holds, built afresh (no spans kept): d07 takes it up below
    site.document("d09", body="政务服务平台说明。" + "".join(f"第9篇第{n}段，依申请公开。\n\n" for n in range(40)))
    builder = Builder(site.root)
    builder.build()
    joins: list[set[str]] = []
    real = searchfiles._join_kept

    def spy(parts, keeps, traces=None):
        joins.append(set().union(*keeps))
        return real(parts, keeps, traces)
    monkeypatch.setattr(searchfiles, "_join_kept", spy)
    text = "".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(40))
    joined_per_edit = []
    for doc, body in (("d05", "补充一句话。" + text), ("d05", "再补充一句话。补充一句话。" + text),
                      ("d05", "再补充一句话，新词汇。补充一句话。" + text), ("d05", "补充一句话。" + text),
                      ("d07", "政务服务平台说明。" + "".join(f"第7篇第{n}段，依申请公开。\n\n" for n in range(40)))):
        joins.clear()
        before = dict(builder.outputs)
        site.document(doc, body=body)
        builder.build()
        joined_per_edit.append(len(joins))
        assert builder.search_shards["spans"].files, doc
        fresh = Builder(site.root)
        fresh.build()
        assert outputs_equal(builder.outputs, fresh.outputs) == []
        if doc == "d07":
            # only the changed terms whose segments are not known are joined (d09's
            # phrase), not every term of the files written: those d07 shares with d05
            # are spliced
            written = set().union(*(json.loads(content_bytes(c)) for p, c in builder.outputs.items()
                                    if p.startswith("search/index/t/") and c is not before.get(p)))
            assert joins[0] and len(joins[0]) < len(written), (len(joins[0]), len(written))
    assert joined_per_edit == [1, 0, 0, 0, 1], joined_per_edit


def test_an_edit_that_adds_a_segment_knows_the_terms_of_the_files_edits_wrote(make_site, monkeypatch):
    # A new document comes in a segment of its own: the segments' places change, so its
    # term files are joined again, not spliced. The changed files the last edits wrote need not be read back
    # to learn their terms (their spans hold them); the others are. As a fresh build.
    from generator import search, searchfiles
    monkeypatch.setattr(search, "MIN_SHARDS", 64)
    site, builder = _segmented_site(make_site, monkeypatch, 40)
    text = "".join(f"第5篇第{n}段，依申请公开。\n\n" for n in range(40))
    for extra in ("补充一句话。", "再补充一句话。"):
        site.document("d05", body=extra + text)
        builder.build()
    reads: list[int] = []
    real = searchfiles.content_bytes
    monkeypatch.setattr(searchfiles, "content_bytes", lambda c: reads.append(1) or real(c))
    before = dict(builder.outputs)
    site.document("d12", body="新增的一句话。" + text.replace("第5篇", "第12篇"))
    builder.build()
    written = [p for p, c in builder.outputs.items()
               if p.startswith(("search/index/t/", "search/index/q/")) and c is not before.get(p)]
    assert 0 < len(reads) < len(written), (len(reads), len(written))
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []


def test_vocabulary_readings_are_kept_between_builds(make_site, monkeypatch):
    # pypinyin takes ~25 µs a word (a second for a full vocabulary): an edit looks up only
    # the words it brings in; the index is the same as a fresh one.
    from generator import pinyin
    site = make_site()
    for i in range(6):
        site.document(f"d{i}", body="依申请公开的办理流程。政务公开工作要点。信息公开指南。\n" * 3)
    builder = Builder(site.root)
    builder.build()
    builder_before = dict(builder.search_readings)
    looked_up: list[str] = []
    real = pinyin.readings
    monkeypatch.setattr(pinyin, "readings", lambda word: looked_up.append(word) or real(word))
    site.document("d2", body="依申请公开的办理流程。政务公开工作要点。信息公开指南。\n" * 3
                  + "新增的互联网政务服务平台说明。互联网政务服务平台。\n")
    builder.build()
    assert looked_up and len(looked_up) < len(builder.search_readings) / 2
    assert all(w not in builder_before for w in looked_up), looked_up
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []


def _many_rows(site, doc_id: str, count: int, month: int, word: str = "要求") -> None:
    rows = "".join(f"  - requirement: {word}{i}\n    units: [区财政局]\n" for i in range(count))
    site.document(doc_id, front=f"title: 文件{doc_id}\ndisclosure: 主动公开\npublished: 2024-{month:02d}-01\n",
                  tasks="tasks:\n" + rows)


def test_a_units_rows_are_joined_from_each_documents_parts_kept_between_builds(make_site):
    # site._rows_by_unit keeps each document's rows split by unit while its rows are the
    # same objects; a rebuild splits only the edited document's again, and the result is
    # what splitting every document gives.
    from generator.site import _rows_by_unit
    site = make_site()
    for month in range(1, 6):
        _many_rows(site, f"d{month}", 3, month)
        site.write(f"content/documents/d{month}/tasks.yaml", "tasks:\n" + "".join(
            f"  - requirement: 要求{i}\n    units: [{'区财政局' if i % 2 else '区政府办公室, 区财政局'}]\n"
            f"    lead_units: [区政府办]\n" for i in range(4)))
    builder = Builder(site.root)
    builder.build()
    parts = dict(builder.cache.unit_parts)
    assert len(parts) == 5
    site.write("content/documents/d3/tasks.yaml", "tasks:\n  - requirement: 新要求\n    units: [区财政局]\n")
    builder.build()
    again = builder.cache.unit_parts
    rows = builder.site.task_rows
    kept = [rows[d] for d in ("d1", "d2", "d4", "d5")]
    assert all(again[id(r)] is parts[id(r)] for r in kept)
    assert id(rows["d3"]) not in parts or parts[id(rows["d3"])][0] is not rows["d3"]
    assert (builder.site.unit_rows, builder.site.unit_documents) == _rows_by_unit(rows)
    assert builder.site.unit_documents == {"local-bgs": 4, "local-czj": 5}
    by_unit = {uid: [(r.document.id, r.task.requirement) for r in rs] for uid, rs in builder.site.unit_rows.items()}
    assert by_unit["local-czj"][:3] == [("d5", "要求0"), ("d5", "要求1"), ("d5", "要求2")]
    assert ("d3", "新要求") in by_unit["local-czj"] and all(d != "d3" for d, _ in by_unit["local-bgs"])
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


def _unit_pages(builder) -> dict:
    return {p.url: p for p in builder.site.pages if p.kind == "unit"}


def test_unit_pages_are_kept_while_their_rows_are_the_same(make_site):
    site = make_site()
    for month in range(1, 6):                   # 5 x 60 rows of one unit: 3 pages of 100
        _many_rows(site, f"d{month}", 60, month)
    builder = Builder(site.root)
    builder.build()
    before = _unit_pages(builder)
    assert len(before) == 3
    # the newest document's rows come first: its edit touches the first unit page only
    _many_rows(site, "d5", 60, 5, word="新要求")
    builder.build()
    after = _unit_pages(builder)
    assert sorted(after) == sorted(before)
    first = min(after, key=len)                 # units/<id>/, before its page/N/
    assert after[first] is not before[first]
    assert all(after[u] is before[u] for u in after if u != first), "untouched unit pages planned again"
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []
    # one more row in the newest document: pages are counted from the oldest row, so
    # the first page takes it and the others keep their rows (the totals are on the
    # first page only)
    _many_rows(site, "d5", 61, 5, word="新要求")
    builder.build()
    grown = _unit_pages(builder)
    assert sorted(grown) == sorted(before) and grown[first] is not after[first]
    assert all(grown[u] is after[u] for u in grown if u != first), "a row at the newest end moved later pages"
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []
    # one more row in the oldest document moves every page's bounds
    _many_rows(site, "d1", 61, 1)
    builder.build()
    again = _unit_pages(builder)
    assert len(again) == 3 and not any(again[u] is grown.get(u) for u in again)
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


def test_kept_unit_pages_survive_the_build_cache(make_site, tmp_path, monkeypatch):
    from generator import cachestore
    from generator.build import build_site
    from generator.buildcache import BuildCache
    # every group of roots in a pickle of its own, as on a big site (a pickle's memo
    # would otherwise keep a page's data one object with its recorded inputs anyway)
    monkeypatch.setattr(cachestore, "CHUNK_ROOTS", 1)
    site = make_site()
    for month in range(1, 4):
        _many_rows(site, f"d{month}", 80, month)
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    _many_rows(site, "d3", 80, 3, word="新要求")
    builder = BuildCache(site.root.resolve(), out.absolute(), (False, False)).builder()
    recorded = {k: v[0] for k, v in builder.pages.items()}
    builder.build()
    unit = _unit_pages(builder)
    kept = [p for p in unit.values() if p.data is recorded[p.output][-1]]
    # 240 rows on 2 pages (140 and 100: see plan.page_bounds): d3's rows are the first
    # 80, so page 2 is the cached one
    assert len(unit) == 2 and len(kept) == 1
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


def test_a_hinted_build_reads_only_the_folders_named(make_site):
    site = make_site()
    for doc in ("a", "b", "c"):
        site.document(doc, body=f"{doc}的第一版。\n")
    builder = Builder(site.root)
    builder.build()
    a = site.document("a", body="a的第二版。\n")
    site.document("b", body="b的第二版。\n")            # saved, but the watcher missed it
    probed = []
    digest = builder.cache.stamps.digest
    builder.cache.stamps.digest = lambda paths, read=None: probed.extend(paths) or digest(paths, read)
    builder.build(hints={str(a.resolve())})
    del builder.cache.stamps.digest
    folders = {p.name for p in probed if p.parent.name == "documents"}
    assert folders == {"a"}                                 # b and c: not looked at
    assert "a的第二版" in builder.outputs["documents/a/index.html"].decode()
    assert "b的第一版" in builder.outputs["documents/b/index.html"].decode()
    # what the preview asks once the editor is idle: b's change is found, and built
    assert builder.missed()
    builder.build()
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []
    assert not builder.missed()
    # a folder added or removed behind the watcher's back is found too
    site.document("d")
    assert builder.missed()
    builder.build()
    shutil.rmtree(site.root / "content/documents/c")
    assert builder.missed()
    builder.build()
    assert not builder.missed()
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


def test_document_pages_are_kept_while_their_objects_are_the_same(make_site):
    site = make_site()
    for month in (1, 2, 3):
        _many_rows(site, f"d{month}", 3, month)
    builder = Builder(site.root)
    builder.build()

    def planned():
        return {p.output: p for p in builder.site.pages if p.kind in ("document", "tasks")}
    before = planned()
    assert len(before) == 6
    _many_rows(site, "d2", 3, 2, word="新要求")
    builder.build()
    after = planned()
    edited = {"documents/d2/index.html", "documents/d2/tasks/index.html"}
    assert edited <= after.keys() and not any(after[p] is before[p] for p in edited)
    assert all(after[p] is before[p] for p in after if p not in edited), "untouched pages planned again"
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


@pytest.mark.parametrize("kind", ["document", "interpretation"])
def test_a_new_document_makes_few_search_files_again(make_site, monkeypatch, kind):
    # The index's records go oldest first and a segment ends where its documents' ids
    # say: a document added, the newest, comes last, and moves no other record. Only the
    # term shards holding its terms and the display files of the last records are made
    # again (before, every record moved: every shard and display file was new). The
    # result is that of a fresh build.
    from generator import search
    monkeypatch.setattr(search, "MIN_SHARDS", 64)    # enough shards to tell few from all
    site, builder = _segmented_site(make_site, monkeypatch, 200)
    before = dict(builder.outputs)
    if kind == "document":
        site.document("d12", front="title: 新增通知\ndisclosure: 主动公开\npublished: 2024-07-01\n",
                      body="新增通知正文。\n")
    else:                   # interpretations go among the documents, by date
        site.write("content/interpretations/jd.md", "---\ntitle: 新增解读\ninterprets: [d03]\n"
                   "form: 文字解读\npublished: 2024-07-01\ncontact: 电话\n---\n解读正文。\n")
    builder.build()
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []
    for prefix in ("search/index/t/", "search/index/q/", "search/index/m/", "search/index/c/"):
        files = sorted((p for p in builder.outputs if p.startswith(prefix)),
                       key=lambda p: int(p.rsplit("/", 1)[1].split(".")[0], 16))
        remade = [p for p in files if builder.outputs[p] is not before.get(p)]
        if prefix in ("search/index/t/", "search/index/q/"):
            assert len(remade) < len(files) / 4, (prefix, len(remade), len(files))
        else:                                   # the files of the last records only
            assert ((remade == files[len(files) - len(remade):] and len(remade) < len(files) / 4)
                    or len(files) == 1), (prefix, remade, len(files))
    assert any(builder.outputs[p] is not before.get(p) for p in builder.outputs if p.startswith("search/index/t/"))


def test_a_document_leaving_the_index_changes_only_its_segment(make_site, monkeypatch):
    # Segments end where their documents' ids say (searchfiles._cuts), not every N
    # documents: one document gone from the middle leaves the other segments as they
    # were (with fixed runs, every later segment changed), and the index is a fresh one's.
    from generator import searchfiles
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 4)
    site = make_site()
    for i in range(40):
        site.document(f"d{i:02}", front=f"title: 文件{i}\ndisclosure: 主动公开\npublished: 2024-06-{i % 28 + 1:02}\n")
    builder = Builder(site.root)
    builder.build()
    before = [entry[-1] for entry in builder.search_memo.values()]
    assert len(before) >= 6
    site.document("d13", front="title: 文件13\ndisclosure: 主动公开\npublished: 2024-06-14\ndraft: true\n")
    builder.build()
    after = [entry[-1] for entry in builder.search_memo.values()]
    new = [seg for seg in after if not any(seg is old for old in before)]
    assert 1 <= len(new) <= 2, (len(new), len(after))
    fresh = Builder(site.root)
    fresh.build()
    assert outputs_equal(builder.outputs, fresh.outputs) == []


def _counting_loads(monkeypatch) -> list:
    """Record each whole load of the site a Builder makes (the body-edit path makes none)."""
    import generator.incremental as incremental_module
    calls: list = []

    def counted(*args, **kwargs):
        calls.append(1)
        return load_site(*args, **kwargs)
    monkeypatch.setattr(incremental_module, "load_site", counted)
    return calls


def _body_site(make_site):
    site = make_site()
    for n, day in (("a", 11), ("b", 12), ("c", 13)):
        site.document(n, front=f"title: 文件{n}\ndisclosure: 主动公开\npublished: 2024-06-{day}\n"
                      "issuer: 区政府办公室\nunit_scope: local\n",
                      body=f"{n}的正文。\n\n## 一、要求\n\n内容。\n",
                      tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
    return site


def test_body_edits_index_the_swapped_documents_segments_without_walking_the_site(make_site, monkeypatch):
    # After body edits (swapped into the last site), the search index takes the memo's
    # runs with the swapped documents in place rather than walking the site's items:
    # edits in a row, with the index deferred over two of them and refreshed in a build
    # once, each equal to a fresh build. Any other edit walks the site again.
    from generator import searchfiles
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 1)
    site = _body_site(make_site)
    builder = Builder(site.root)
    builder.build()
    walks: list[int] = []
    real = searchfiles.index_items
    monkeypatch.setattr(searchfiles, "index_items", lambda s: walks.append(1) or real(s))
    front = "title: 文件{}\ndisclosure: 主动公开\npublished: 2024-06-{}\nissuer: 区政府办公室\nunit_scope: local\n"
    edits = [("b", 12, "defer"), ("b", 12, "defer"), ("c", 13, "refresh"), ("a", 11, "build"),
             ("a", 11, "refresh")]
    for k, (name, day, how) in enumerate(edits):
        path = site.document(name, front=front.format(name, day), body=f"{name}的正文，第{k}次改，加了字。\n")
        walks.clear()
        builder.build(defer_search=how != "build", hints={str(path.resolve())})
        if how == "refresh":
            builder.refresh_search()
        if how != "defer":
            assert walks == [] and not builder.search_stale, k
            assert outputs_equal(builder.outputs, full_build(site.root)[0]) == [], k
    path = site.document("c", front=front.format("c", 14), body="c的正文。\n")     # a date: moves
    walks.clear()
    builder.build(defer_search=True, hints={str(path.resolve())})
    builder.refresh_search()
    assert walks == [1]
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


def test_a_body_edit_swaps_the_document_into_the_last_site(make_site, monkeypatch):
    # the watcher names one index.md whose edit changed the body only: the last site with
    # the new document, its pages planned again, and nothing else loaded or rendered
    site = _body_site(make_site)
    builder = Builder(site.root)
    builder.build()
    loads = _counting_loads(monkeypatch)
    before = builder.site
    path = site.document("b", front="title: 文件b\ndisclosure: 主动公开\npublished: 2024-06-12\n"
                         "issuer: 区政府办公室\nunit_scope: local\n",
                         body="b的正文，改过了。\n\n## 一、要求\n\n## 二、新的一节\n\n内容。\n")
    entries, digests = set(builder.cache.entries), dict(builder.cache.digests)
    builder.build(hints={str(path.resolve())})
    assert loads == [] and builder.rendered == 1
    assert builder.site is not before and builder.site.pages is not before.pages
    # the load cache keeps every other source and what was derived from them, and
    # lets the edited document's last version go (carry_over, as a whole load would)
    assert builder.cache.digests.keys() == digests.keys()
    changed = [name for name, d in builder.cache.digests.items() if d != digests[name]]
    assert [name[0] for name in changed] == ["document"] and str(changed[0][1]).endswith("/b")
    gone = entries - set(builder.cache.entries)
    assert len(gone) == 1 and next(iter(gone))[0] == "document"
    html = builder.outputs["documents/b/index.html"].decode()
    assert "b的正文，改过了" in html and "二、新的一节" in html          # body and its headings
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []
    # the search index follows, and the next whole load (a title edit) agrees too
    builder.build(hints={str(path.resolve())})
    assert loads == [] and builder.rendered == 0
    path = site.document("a", front="title: 文件a改名\ndisclosure: 主动公开\npublished: 2024-06-11\n"
                         "issuer: 区政府办公室\nunit_scope: local\n", body="a的正文。\n")
    builder.build(hints={str(path.resolve())})
    assert loads == [1]
    assert outputs_equal(builder.outputs, full_build(site.root)[0]) == []


@pytest.mark.parametrize("change", ["title", "privacy", "list_reads_bodies", "interpretation", "tasks"])
def test_edits_that_are_not_of_a_body_alone_load_the_whole_site(make_site, monkeypatch, change):
    site = _body_site(make_site)
    front = "title: 文件b\ndisclosure: 主动公开\npublished: 2024-06-12\nissuer: 区政府办公室\nunit_scope: local\n"
    if change == "list_reads_bodies":
        site.write("templates/list.html", '{% extends "base.html" %}{% block content %}{% for d in documents %}'
                   '<p>{{ d.body_html | length }}</p>{% endfor %}{% endblock %}')
    if change == "interpretation":
        site.write("content/interpretations/jd.md", "---\ntitle: 解读\ninterprets: [b]\nform: 文字解读\n"
                   "published: 2024-07-01\ncontact: 电话\n---\n解读正文。\n")
    builder = Builder(site.root)
    builder.build()
    loads = _counting_loads(monkeypatch)
    hint = site.root / "content/documents/b/index.md"
    if change == "title":
        site.document("b", front=front.replace("文件b", "文件乙"), body="b的正文。\n\n## 一、要求\n\n内容。\n")
    elif change == "privacy":
        site.document("b", front=front, body="b的正文。\n\n联系人手机 13812345678。\n")
    elif change == "tasks":
        hint = site.write("content/documents/b/tasks.yaml", "tasks:\n  - requirement: 乙\n    units: [区财政局]\n")
    else:
        site.document("b", front=front, body="b的正文，改过了。\n")
    out, errors = incremental(builder, {str(hint.resolve())})
    assert loads == [1]
    full_out, full_errors = full_build(site.root)
    assert errors == full_errors
    if change == "privacy":
        assert errors and any("b/index.md" in e for e in errors)    # the finding, as a full build reports it
    else:
        assert outputs_equal(out, full_out) == []
