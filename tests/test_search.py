"""The offline search index (generator/search.py): what is indexed, how it is encoded,
the pinyin vocabulary, determinism, and the search page without a browser. The browser
tests (queries, facets, accessibility) are in test_search_browser.py."""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example as case, given, settings
from hypothesis import strategies as st

from conftest import REPO, page_soup
from generator import pinyin, search, searchdisplay, searchfiles, searchtotals
from generator.problems import Problems
from generator.site import load_site
from test_gate import SECRETS, assert_no_secret, make_gated_site

INDEX = "search/index/"


def load(root: Path):
    problems = Problems(root)
    site = load_site(root, problems)
    assert site is not None, [p.format() for p in problems]
    return site


def _numbers(postings: str):
    """The numbers of a postings string, one by one (base 64, the high bit of a character
    saying that more follow)."""
    v = 0
    for c in postings:
        d = search.B64.index(c)
        if d >= 32:
            v = v * 32 + d - 32
        else:
            yield v * 32 + d
            v = 0


def decode(postings: str, positional: bool) -> dict[int, list]:
    """The Python twin of the search page's reader (templates/_search.js): record → [(count, first position)] per field."""
    numbers = _numbers(postings)
    out, rec = {}, 0
    for gap in numbers:
        rec += gap
        mask = next(numbers)
        fields = []
        for f in range(3):
            if mask & (1 << f):
                fields.append((next(numbers), next(numbers) if positional else None))
            else:
                fields.append((0, None))
        out[rec] = fields
    return out


def decode_rest(postings: str, first: dict[int, list]) -> dict[int, list]:
    numbers = _numbers(postings)
    out, rec = {}, 0
    for gap in numbers:
        rec += gap
        mask = next(numbers)
        lists = [None, None, None]
        for f in range(3):
            if mask & (1 << f):
                count, p = first[rec][f]
                positions = [p]
                for _ in range(count - 1):
                    p += next(numbers)
                    positions.append(p)
                lists[f] = positions
        out[rec] = lists
    return out


def all_positions(index: searchfiles.SearchIndex, term: str) -> dict[int, list[list[int]]]:
    files = index.files
    count = json.loads(files[INDEX + "manifest.json"])["shards"]
    pcount = json.loads(files[INDEX + "manifest.json"])["positions"]
    shard = json.loads(files[f"{INDEX}t/{search.fnv1a(term) & (count - 1):0{len(f'{count - 1:x}')}x}.json"])
    rest = json.loads(files[f"{INDEX}q/{search.fnv1a(term) & (pcount - 1):0{len(f'{pcount - 1:x}')}x}.json"])
    first = decode(shard.get(term, ""), True)
    more = decode_rest(rest.get(term, ""), first)
    out = {}
    for rec, fields in first.items():
        out[rec] = [(more.get(rec, [None] * 3)[f] or ([p] if n else [])) for f, (n, p) in enumerate(fields)]
    return out


@pytest.fixture(scope="module")
def example():
    site = load(REPO)
    return site, searchfiles.build_index(site)


def test_postings_give_every_position_of_every_bigram(example):
    site, index = example
    records = search.collect_records(site)
    for term in ("公开", "申请", "依申", "政务", "财政", "2024"):
        found = all_positions(index, term)
        expected = {}
        for rec, record in enumerate(records):
            fields = []
            for text in record.fields:
                pattern = f"(?<![a-z0-9]){term}(?![a-z0-9])" if term.isascii() else term
                fields.append([m.start() for m in re.finditer(f"(?={pattern})", search.fold(text))])
            if any(fields):
                expected[rec] = fields
        assert found == expected, term


def _body_text_by_htmlparser(html: str):
    parser = search._BodyText()
    parser.feed(html)
    parser.close()
    text, anchors = parser.text(), parser.anchors
    return text, parser.heads, anchors + [(len(text), parser.heads_length, "")] if anchors else anchors


HTML_PIECES = ["<p>", "</p>", "<h2 id=\"a-1\">", "<h3 id=\"x&amp;y\">", "</h2>", "</h3>", "<h4>", "</h4>",
               "<br />", "<br>", "<hr/>", "<td>", "</td>", "<th scope=\"col\">", "<tr>", "</tr>",
               "<img src=\"a.png\" alt=\"图 1 &lt;说明&gt;\">", "<img alt=\"a>b\" />", "<img alt=''>",
               "<a href=\"../b/\">", "</a>", "<li>", "</li>", "<ul>", "</ul>", "<strong>", "</strong>",
               "<span lang=\"en\" hidden>", "</span>", "<script>x<p>y</script>", "<style>p{}</style>",
               "<!-- 注释 -->", "<P>", "</P >", "<p class=x>", "政务公开", " ", "\n", "\u3000", "&nbsp;", "&amp;",
               "&lt;", "&amp", "a < b", "一、", "<", ">", "&#x4e00;", "\t"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(HTML_PIECES), max_size=40).map("".join))
@case("政务<script>x<p>y</script>公开")
@case("政务<!-- <p> -->公开")
@case("政务<P>公开</P >")
@case("<h2 id='a'>标题</h2>正文")
@case("a < b<p>c")
@case("<h2 id=\"x&amp;y\">一、总体要求</h2><p>正文&nbsp;<img alt=\"a>b\" />。</p>")
@case("<p>政务</p ><br/><td>公开</td>")
def test_body_text_reads_html_as_htmlparser_does(html):
    """The fast reading of simple HTML gives what HTMLParser gives, on anything."""
    assert search.body_text(html) == _body_text_by_htmlparser(html)


def test_rendered_bodies_take_the_fast_reading(example):
    site, _ = example
    for doc in site.documents:
        assert search._read_simple(search._BodyText(), doc.body_html), doc.id
        assert search.body_text(doc.body_html) == _body_text_by_htmlparser(doc.body_html)


def test_single_characters_keep_counts(example):
    site, index = example
    records = search.collect_records(site)
    manifest = json.loads(index.files[INDEX + "manifest.json"])
    count = manifest["shards"]
    shard = json.loads(index.files[f"{INDEX}t/{search.fnv1a('政') & (count - 1):0{len(f'{count - 1:x}')}x}.json"])
    counts = decode(shard["政"], False)
    for rec, record in enumerate(records):
        expected = [record.fields[f].count("政") for f in range(3)]
        got = [counts[rec][f][0] for f in range(3)] if rec in counts else [0, 0, 0]
        assert got == expected


def test_records_cover_documents_tasks_and_interpretations(example):
    site, index = example
    records = search.collect_records(site)
    kinds = [r.kind for r in records]
    assert kinds.count(0) == len(site.documents)
    assert kinds.count(1) == len(site.interpretations)
    assert kinds.count(2) == sum(len(rows) for rows in site.task_rows.values())
    tasks = [r for r in records if r.kind == 2 and r.url.startswith("documents/licheng-2024-gkyd/")]
    # oldest first: a document's rows, the last first, then the document itself
    assert [t.url.rsplit("-", 1)[1] for t in tasks] == [str(n) for n in range(len(tasks), 0, -1)]
    task = tasks[-1]
    assert task.url == "documents/licheng-2024-gkyd/tasks/#task-1"
    assert "以“项目深化年”为总牵引" in task.fields[2]          # requirement: body
    assert "各街道办事处" in task.fields[1]                      # units as published: headings
    assert task.parent is not None and records[task.parent].url == "documents/licheng-2024-gkyd/"
    assert records.index(task) + 1 == task.parent
    # the newest document's record is the last document record: read from the end, the
    # records are in the site's order (the search page shows equal results that way)
    assert [r.title for r in records if r.kind == 0][::-1] == [d.title for d in site.documents]
    assert [r.title for r in records if r.kind == 1][::-1] == [i.title for i in site.interpretations]
    dates = [r.date or "" for r in records if r.kind != 2]
    assert dates == sorted(dates)
    doc = next(r for r in reversed(records) if r.kind == 0)
    assert doc.fields[0] == site.documents[0].title
    assert "一、推动重点领域主动公开" in doc.fields[1].split("\n")
    assert "一、推动重点领域主动公开" not in doc.fields[2], "headings are not repeated in the body"
    # the body offsets of the anchors point where each section starts
    body, anchors = doc.fields[2], doc.anchors
    p1 = next(a for a in anchors if a[2] == "p1-1")
    assert body[p1[0]:].lstrip().startswith("以“项目深化年”为总牵引")


def test_canonical_unit_names_are_indexed_with_the_published_ones(make_site):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\npublished: 2024-06-26\nunit_scope: local\n",
                  tasks="tasks:\n  - requirement: 做好预算公开工作\n    units: [区政府办]\n")
    records = search.collect_records(load(site.root))
    task = records[0]                       # before its document: see collect_records
    assert records[1].kind == 0 and task.parent == 1
    assert task.kind == 2 and "区政府办" in task.fields[1] and "区政府办公室" in task.fields[1]
    assert task.extra.startswith("责任单位：区政府办")


def test_withheld_withdrawn_and_draft_documents_are_not_indexed(make_site):
    site = make_gated_site(make_site)
    site.document("gone", front="title: 已撤销的旧文件标题\ndisclosure: 主动公开\npublished: 2020-01-02\n"
                               "withdrawn: 2021-01-01\n", body="撤销文件的正文内容\n")
    site.document("wip", front="title: 草稿文件标题\ndisclosure: 主动公开\ndraft: true\n", body="草稿正文内容\n")
    loaded = load(site.root)
    index = searchfiles.build_index(loaded)
    assert_no_secret(index.files)
    text = b"".join(index.files.values()).decode("utf-8")
    for secret in ("已撤销的旧文件", "撤销文件的正文", "草稿文件标题", "草稿正文"):
        assert secret not in text
    assert "公开的正文" in text and "公开的任务" in text
    assert SECRETS  # the gate test's list is the one checked


def test_an_interpretations_topic_is_the_first_of_its_documents_that_has_one(make_site):
    site = make_site()
    site.document("plain", front="title: 无主题文件\ndisclosure: 主动公开\npublished: 2024-05-01\n")
    site.document("edu", front="title: 教育文件\ndisclosure: 主动公开\ntopic: 教育\npublished: 2024-06-01\n")
    site.document("fin", front="title: 财政文件\ndisclosure: 主动公开\ntopic: 财政\npublished: 2024-06-02\n")
    site.write("content/interpretations/jd.md", "---\ntitle: 解读\ninterprets: [plain, edu, fin]\n"
               "form: 文字解读\npublished: 2024-06-03\ncontact: 电话\n---\n解读正文。\n")
    records = search.collect_records(load(site.root))
    assert [r.topic for r in records if r.kind == 1] == ["教育"]


def test_vocabulary_keeps_the_sites_words_and_their_readings(example):
    site, index = example
    vocab = dict(pinyin.build_vocabulary(search.collect_records(site)))
    for word in ("依申请公开", "政务公开", "区财政局", "政策解读"):
        assert word in vocab, word
    assert "yi shen qing gong kai" in vocab["依申请公开"]
    assert "务公开" not in vocab, "a piece always preceded by the same character is left out"
    assert pinyin.readings("银行") == ["yin hang", "yin xing"]
    assert pinyin.readings("绿色") == ["lv se"]
    three, two = pinyin.typing_keys(["yi", "shen", "qing"])
    assert three == {"yis", "ysh", "ysq"} and two == {"ys"}
    manifest = json.loads(index.files[INDEX + "manifest.json"])
    keys = manifest["pinyin"].split()
    assert "ys" in keys and "zw" in keys
    ys = json.loads(index.files[INDEX + "p/ys.json"])
    assert any(e.startswith("依申请公开|") for e in ys)
    zh = "zh" if "zh" not in manifest["split"].split() else "zhe"
    assert any(e.startswith("政务公开|") for e in json.loads(index.files[f"{INDEX}p/{zh}.json"]))


def test_place_names_are_read_as_their_people_say_them(example):
    # pypinyin reads 长治 (the seed document's city) as zhang zhi; a reader types
    # changzhi. The example site's pinyin files must lead from changzhi and czs to 长治市.
    assert pinyin.readings("长治")[0] == "chang zhi"
    assert pinyin.readings("山西长治")[0] == "shan xi chang zhi"
    assert pinyin.readings("长清区")[0] == "chang qing qu"
    assert pinyin.readings("单县")[0] == "shan xian"
    assert pinyin.readings("长子县")[0] == "zhang zi xian"        # read zhang: not in the table
    assert pinyin.readings("市长")[0] == "shi zhang"
    _, index = example
    manifest = json.loads(index.files[INDEX + "manifest.json"])
    split = manifest["split"].split()
    for typed in ("changzhi", "czs"):
        key = typed[:3] if typed[:2] in split else typed[:2]
        entries = json.loads(index.files[f"{INDEX}p/{key}.json"])
        assert any(e.startswith("长治市|") and "chang zhi shi" in e.split("|") for e in entries), typed


def test_homophone_table_covers_common_characters(example):
    _, index = example
    table = json.loads(index.files[INDEX + "py.json"])
    assert "请" in table["qing"] and "清" in table["qing"]
    assert sum(len(v) for v in table.values()) >= 3755


def test_facet_columns_match_the_records(example):
    site, index = example
    records = search.collect_records(site)
    manifest = json.loads(index.files[INDEX + "manifest.json"])
    assert manifest["records"] == len(records)
    facets = {f["key"]: f for f in manifest["facets"]}
    assert list(facets) == ["type", "year", "issuer", "topic", "validity"]
    assert facets["type"]["values"] == ["文件", "政策解读", "任务分工"]
    assert facets["year"]["values"] == sorted(facets["year"]["values"], reverse=True)
    for key, attr in (("year", "year"), ("issuer", "issuer"), ("topic", "topic"), ("validity", "validity")):
        f = facets[key]
        w = f["width"]
        for rec, record in enumerate(records):
            code = 0
            for ch in f["col"][rec * w:(rec + 1) * w]:
                code = code * 64 + search.B64.index(ch)
            assert (f["values"][code - 1] if code else None) == getattr(record, attr), (key, rec)


def _fake_segment(rng: random.Random):
    """What the running totals and the facet columns read of a segment, at random."""
    from types import SimpleNamespace
    words = ["公开", "依申请", "政务", "目录", "年报", "解读"]
    n = rng.randint(0, 6)
    return SimpleNamespace(
        runs=Counter({rng.choice(words): rng.randint(1, 3) for _ in range(rng.randint(0, 4))}),
        keep={rng.choice(words) for _ in range(rng.randint(0, 2))},
        chars=set(rng.choice("公开政务目录年报")),
        facets=(tuple(rng.randint(0, 2) for _ in range(n)),
                tuple(rng.choice([None, "2023", "2024", "2025"]) for _ in range(n)),
                tuple(rng.choice([None, "区政府", "区财政局"]) for _ in range(n)),
                tuple(rng.choice([None, "财政", "教育"]) for _ in range(n)),
                tuple(rng.choice([None, "有效", "失效"]) for _ in range(n))))


@given(seed=st.integers(min_value=0, max_value=10**6))
@settings(max_examples=60, deadline=None)
def test_totals_and_facet_columns_kept_from_the_last_build_equal_them_made_afresh(seed):
    # an edit's index takes the last build's sums and code strings and changes only the
    # segments that changed: the result must be what summing every segment gives
    rng = random.Random(seed)
    segments = [_fake_segment(rng) for _ in range(rng.randint(1, 24))]
    totals = searchtotals.totals(segments, None)
    _, parts = searchtotals.facet_columns(segments)
    for _ in range(4):
        changed = list(segments)
        for _ in range(rng.randint(0, 2)):
            what = rng.random()
            if what < 0.4 and changed:
                changed[rng.randrange(len(changed))] = _fake_segment(rng)
            elif what < 0.7 and len(changed) > 1:
                del changed[rng.randrange(len(changed))]
            else:
                changed.insert(rng.randint(0, len(changed)), _fake_segment(rng))
        kept = searchtotals.totals(changed, totals)
        fresh = searchtotals.totals(changed, None)
        for name in ("runs", "keep", "chars"):
            assert dict(getattr(kept, name)) == dict(getattr(fresh, name)), name
            assert all(count > 0 for count in getattr(kept, name).values())
        assert [dict(c) for c in kept.facets] == [dict(c) for c in fresh.facets]
        assert all(count > 0 for c in kept.facets for count in c.values())
        columns, new_parts = searchtotals.facet_columns(changed, {"segments": segments, "facets": parts},
                                                        kept.facets)
        # the values the kept counts give are those found in the records
        assert columns == searchtotals.facet_columns(changed)[0]
        segments, totals, parts = changed, kept, new_parts


def test_display_data_and_chunks_give_back_the_text(example):
    site, index = example
    records = search.collect_records(site)
    manifest = json.loads(index.files[INDEX + "manifest.json"])
    chunk, pack, block = manifest["chunk"], manifest["pack"], manifest["block"]
    for rec in (0, 7, len(records) - 1):
        meta = json.loads(index.files[f"{INDEX}m/{rec // block}.json"])[rec % block]
        assert meta["t"] == records[rec].title and meta["u"] == records[rec].url
        start, length = meta["b"]
        parts = []
        for k in range((length + chunk - 1) // chunk):
            gid = start + k
            parts.append(json.loads(index.files[f"{INDEX}c/{gid // pack}.json"])[gid % pack])
        assert "".join(parts) == records[rec].fields[2]


def test_search_page_and_header_form(example_output):
    soup = page_soup(example_output, "search/")
    form = soup.select_one("form.search-form[role=search]")
    field = form.select_one("input#search-q")
    assert soup.select_one("label[for=search-q]").get_text(strip=True)
    assert field["name"] == "q" and field["type"] == "search"
    assert soup.select_one("#search-status[role=status]")
    noscript = soup.find("noscript")
    assert "JavaScript" in noscript.get_text()
    hrefs = {a["href"] for a in noscript.find_all("a")}
    assert {"../years/", "../issuers/", "../topics/"} <= hrefs
    assert soup.select_one(".search-app")["data-index"] == "../search/index/"
    assert any("search/index" in (s.string or "") or "manifest.json" in (s.string or "") for s in soup.find_all("script"))
    assert not soup.select_one("form.header-search"), "the search page has one search form"
    doc = page_soup(example_output, "documents/laiwu-2024-gkyd/")
    header = doc.select_one("header form.header-search[role=search]")
    assert header["action"] == "../../search/" and header.select_one("input[name=q]")
    assert doc.select_one("label[for=header-search-q]").get_text(strip=True)
    assert not any("manifest.json" in (s.string or "") for s in doc.find_all("script")), \
        "the search program is on the search page only"
    assert (example_output / "search/index/manifest.json").is_file()


def test_index_is_the_same_whatever_the_hash_seed(make_site, tmp_path):
    site = make_site()
    site.document("a", front="title: 关于做好依申请公开工作的通知\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                             "issuer: 测试区人民政府办公室\nunit_scope: local\n",
                  body="一、总体要求\n\n规范依申请公开，深化政务公开。\n",
                  tasks="tasks:\n  - requirement: 推进政务公开标准化\n    units: [区财政局]\n")
    site.document("b", body="各单位：\n\n政务公开和依申请公开都要做好。\n")
    digests = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site.root), "--output", str(out)],
                       env=env, check=True, capture_output=True, cwd=REPO)
        digests.append({p.relative_to(out).as_posix(): p.read_bytes()
                        for p in sorted((out / "search").rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]
    assert len(digests[0]) > 10


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cap", [60, 100_000])
def test_vocabulary_is_the_plain_definition(monkeypatch, seed, cap):
    # choose_vocabulary counts in C where it can and looks only at pieces seen twice; its
    # choice must be the plain one: every 2–7-character piece counted with its run's
    # count, kept when seen twice and not nearly always next to the same character,
    # most frequent first, at most MAX_VOCAB (once small, so that not all are kept).
    rng = random.Random(seed)
    alphabet = "政务公开依申请信息发布平台工作要点"
    runs = Counter()
    for _ in range(400):
        runs["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))] += rng.choice([1, 1, 2, 3, 9, 30])
    monkeypatch.setattr(pinyin, "MAX_VOCAB", cap)
    monkeypatch.setattr(pinyin, "readings", lambda word: [" ".join(word)])
    grams: Counter = Counter()
    for run, n in runs.items():
        for length in range(2, 8):
            for i in range(len(run) - length + 1):
                grams[run[i:i + length]] += n

    def neighbour(g: str, side: int) -> int:
        return max([c for x, c in grams.items() if len(x) == len(g) + 1
                    and (x[1:] == g if side < 0 else x[:-1] == g)], default=0)

    plain = sorted(((g, c) for g, c in grams.items() if c >= 2 and len(g) <= 6
                    and neighbour(g, -1) <= 0.9 * c and neighbour(g, 1) <= 0.9 * c),
                   key=lambda gc: (-gc[1], len(gc[0]), gc[0]))[:cap]
    chosen = pinyin.choose_vocabulary(runs, {"依申请公开工作"})
    assert [w for w, _ in chosen] == [g for g, _ in plain] + sorted({"依申请公开工作"} - {g for g, _ in plain})


def _one_document_segments(make_site, monkeypatch, docs: int = 12):
    """A built Builder of ``docs`` documents, each its own search segment."""
    from generator.incremental import Builder
    monkeypatch.setattr(searchfiles, "SEGMENT_DOCS", 1)
    site = make_site()
    for i in range(docs):
        site.document(f"d{i:02}", body="".join(f"## 第{i}篇第{n}节 政务公开工作要点的落实\n\n第{i}篇第{n}段，依申请公开。\n\n"
                                                for n in range(30)))
    builder = Builder(site.root)
    builder.build()
    return site, builder


def test_a_full_build_joins_the_term_shards_a_range_at_a_time(make_site, monkeypatch):
    # Joined whole, 10,000 documents' postings were 60 MB of strings (and the pieces
    # they are joined from) while the build process was at its largest: a full build
    # joins a range of shards at a time, each term in exactly one pass, and the files
    # are those of one join.
    from generator.incremental import Builder, outputs_equal
    monkeypatch.setattr(search, "MIN_SHARDS", 64)
    site, whole = _one_document_segments(make_site, monkeypatch)
    calls: dict[int, list[tuple[object, set[str]]]] = {}
    real = searchfiles._join

    def spy(parts, keep=None):
        out = real(parts, keep)
        calls.setdefault(id(parts[0][1]), []).append((keep, set(out)))
        return out
    monkeypatch.setattr(searchfiles, "_join", spy)
    monkeypatch.setattr(searchfiles, "PASS_BYTES", 500)
    passes = Builder(site.root)
    passes.build()
    first = passes.search_shards["segments"][0]
    terms = {t for s in passes.search_shards["segments"] for t, _ in s.postings.items()}
    postings = calls[id(first.postings)]
    assert len(postings) > 1 and all(keep is not None for keep, _ in postings)
    joined = [got for _, got in postings]
    assert sum(map(len, joined)) == len(terms) and set().union(*joined) == terms
    assert len(calls[id(first.positions)]) > 1
    assert outputs_equal(whole.outputs, passes.outputs) == []


def test_display_files_let_each_segments_display_data_go_once_written(make_site, monkeypatch):
    # A segment's display data is decoded from JSON to make the m/ files; kept for every
    # segment until the last file, 10,000 documents' of it were 139 MB of dicts at once.
    import tracemalloc
    _, builder = _one_document_segments(make_site, monkeypatch)
    segments = builder.search_shards["segments"] * 20
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [json.loads(seg.metas) for seg in segments]
        every = tracemalloc.get_traced_memory()[0] - before
        del held
        made: list[int] = []
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        files, _ = searchdisplay.display_files(segments, {}, {},
                                               lambda name, data: made.append(len(data)))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(files) == len(made) > 20
    assert peak < every / 3, (peak, every)


def test_term_files_are_the_json_of_their_terms(example_output):
    # The term files are joined by hand (searchshards.shard_json), not through
    # json.dumps: each must be byte for byte what json_bytes makes of what it holds.
    from generator.searchshards import shard_json
    files = sorted((example_output / INDEX).glob("[tq]/*.json"))
    assert len(files) > 50
    for path in files:
        data = path.read_bytes()
        shard = json.loads(data)
        assert shard and all(isinstance(v, str) for v in shard.values())
        assert searchdisplay.json_bytes(shard) == data == shard_json(shard), path


@given(st.dictionaries(st.text(min_size=1, max_size=4),
                       st.text(alphabet=search.B64 + '"\\', max_size=6), max_size=8))
@case({})
@case({'a"b': "1"})
@case({"a": 'x"y'})
@case({"a\\": "1"})
@case({"\x01": "2"})
@case({"\u2028": "\u00e9", "公开": "3A-_"})
def test_shard_json_is_json_bytes_for_any_terms(shard):
    # Terms that JSON would escape (never made by the index) go through json.dumps,
    # and postings with a quote or a backslash (never made either: varints only)
    from generator.searchshards import shard_json
    out = shard_json(shard)
    assert out == searchdisplay.json_bytes(shard)
    assert json.loads(out) == shard
