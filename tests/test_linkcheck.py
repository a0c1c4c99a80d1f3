"""The link checker: every internal link and anchor of the built site resolves; broken
ones are warnings, or errors with --strict (then nothing is written)."""
from __future__ import annotations

import pickle
import random
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import MINIMAL_CONFIG, REPO
from generator.build import build_site, check_site
from generator.linkcheck import LINK_ATTRIBUTES, PageLinks, check_folder, find_broken_links, main, parse_page
from generator.problems import BuildFailed


def page(body: str, ids: str = "") -> bytes:
    return f'<!DOCTYPE html><html><body>{ids}\n{body}\n</body></html>'.encode()


FILES = {
    "index.html": page('<a href="documents/">文件</a><a href="documents/a/#p1">甲</a><a href="#top">顶</a>',
                       '<h1 id="top">首页</h1>'),
    "documents/index.html": page('<a href="../">首页</a><a href="a/">甲</a><a href="a">甲（无斜杠）</a>'),
    "documents/a/index.html": page('<a href="../../">首页</a><a href="%E9%99%84%E4%BB%B6.pdf">附件</a>'
                                   '<a href="附件.pdf#page=2">附件第2页</a><a href="mailto:a@b.cn">信</a>'
                                   '<a href="https://www.gov.cn/">国务院</a><a href="tel:12345">电话</a>'
                                   '<img src="../../assets/x.png" alt=""><link rel="canonical" '
                                   'href="https://test.example.gov.cn/documents/a/"><a href="#p1-2">条</a>'
                                   '<a href="?page=2">第二页</a><a href="">本页</a>',
                                   '<h2 id="p1">一</h2><h3 id="p1-2">二</h3><a name="old"></a>'),
    "documents/a/附件.pdf": b"%PDF",
    "assets/x.png": b"png",
    "404.html": page('<a href="/">首页</a><a href="/documents/a/#old">旧锚点</a>'),
    "sitemap.xml": b'<urlset>\n<url><loc>https://test.example.gov.cn/documents/a/</loc></url>\n</urlset>\n',
}


def test_a_correct_site_has_no_broken_links():
    assert find_broken_links(FILES, "https://test.example.gov.cn/") == []


@pytest.mark.parametrize("href, reason", [
    ("missing/", "页面不存在"), ("../../documents/b/", "页面不存在"), ("#nowhere", "锚点不存在"),
    ("../../index.html#p1", "锚点不存在"), ("../../../../x", "指向网站根目录之外"), ("附件.pdf.bak", "页面不存在"),
    ("https://test.example.gov.cn/documents/zzz/", "页面不存在"), ("/documents/a/#p9", "锚点不存在"),
])
def test_broken_links_are_found_with_page_and_line(href, reason):
    files = dict(FILES)
    files["documents/a/index.html"] = FILES["documents/a/index.html"].replace(
        b"</body>", f'<p>\n<a href="{href}">坏</a></p>\n</body>'.encode())
    broken = find_broken_links(files, "https://test.example.gov.cn/")
    assert [(b.page, b.href, b.reason) for b in broken] == [("documents/a/index.html", href, reason)]
    assert broken[0].line == 4


def test_root_relative_links_under_a_sub_path():
    files = {"index.html": page('<a href="/zwgk/documents/">文件</a><a href="/other/">站外</a>'),
             "documents/index.html": page("")}
    broken = find_broken_links(files, "https://www.example.gov.cn/zwgk/")
    assert [(b.href, b.reason) for b in broken] == [("/other/", "指向本站地址之外")]


def test_sitemap_entries_are_checked():
    files = dict(FILES)
    files["sitemap.xml"] = b"<urlset>\n<url><loc>https://test.example.gov.cn/gone/</loc></url>\n</urlset>\n"
    broken = find_broken_links(files, "https://test.example.gov.cn/")
    assert [(b.page, b.line, b.reason) for b in broken] == [("sitemap.xml", 2, "页面不存在")]


def test_comments_and_scripts_are_not_links():
    files = {"index.html": page('<!-- <a href="gone/">x</a> -->\n<script>var s = \'<a href="gone/">\';</script>'
                                '<script src="assets/a.js"></script>'), "assets/a.js": b""}
    assert find_broken_links(files) == []
    del files["assets/a.js"]
    assert [b.href for b in find_broken_links(files)] == ["assets/a.js"]


class _Reference(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES.get(tag, ()):
                self.links.append((value, self.getpos()[0]))

    handle_startendtag = handle_starttag


def test_fast_page_parser_agrees_with_html_parser_on_the_example_site(example_output):
    pages = sorted(example_output.rglob("*.html"))
    assert len(pages) > 50
    for f in pages:
        text = f.read_text(encoding="utf-8")
        ref = _Reference()
        ref.feed(text)
        ref.close()
        got = parse_page(text)
        assert (got.ids, got.links) == (ref.ids, ref.links), f


def test_tags_and_attributes_in_capitals_are_read_as_a_browser_reads_them():
    """A site's own templates may write <A HREF>: such a page is read without regard to
    case (ours, all in lower case, by faster lower-case expressions), as html.parser reads it."""
    text = ('<!DOCTYPE html><HTML><BODY><H2 ID="top">顶</H2>\n<A HREF="gone/">坏</A>\n<Img Src="x.png" alt="">'
            '<a href="#top">上</a><!-- <A HREF="hidden/"> -->\n<SCRIPT>var s = \'<a href="in-script/">\';</SCRIPT>'
            '<Script src="a.js"></Script><A NAME="old"></A></BODY></HTML>')
    ref = _Reference()
    ref.feed(text)
    ref.close()
    got = parse_page(text)
    assert (got.ids, got.links) == (ref.ids, ref.links) == (
        {"top", "old"}, [("gone/", 2), ("x.png", 3), ("#top", 3), ("a.js", 4)])
    broken = find_broken_links({"index.html": text.encode(), "x.png": b"", "a.js": b""})
    assert [(b.href, b.line) for b in broken] == [("gone/", 2)]


def test_quotes_of_every_kind_and_attributes_without_a_value_are_read_as_html_parser_reads_them():
    """A site's own templates may quote with ' or not at all. An id in single quotes was
    read as the empty id (a regex's findall gives "" for the group that did not match),
    so a link to it was reported broken. The same tag on two pages is read once and
    must give each page its own line numbers."""
    text = ("<h2 id='one'>一</h2>\n<p id=\"\">空</p><a name='old' href=#one>甲</a>\n"
            "<a href>无值</a><a href=\"\">空值</a><img src='x.png' alt=''>\n"
            "<a href='&#x2F;a.html?x=1&amp;y=2' class=nav>乙</a>\n<a name='old' href=#one>甲</a>")
    for page in (text, "\n\n" + text):
        ref = _Reference()
        ref.feed(page)
        ref.close()
        got = parse_page(page)
        assert (got.ids, got.links) == (ref.ids, ref.links)
    assert parse_page(text).ids == {"one", "", "old"}
    assert parse_page(text).links == [("#one", 2), ("", 3), ("x.png", 3), ("/a.html?x=1&y=2", 4), ("#one", 5)]
    assert find_broken_links({"index.html": text.encode(), "x.png": b"", "a.html": b""}) == []


def test_example_site_has_no_broken_links(example_output):
    assert check_folder(example_output) == []


# ---------------------------------------------------------------- in check and build

def broken_site(make_site):
    site = make_site()
    site.document("a", body="一、总体要求\n\n见[第九条](#p9)和[另一个文件](../missing/)。\n\n见[总体要求](#p1)。\n")
    return site


def test_broken_links_are_warnings_naming_the_source_line(make_site, tmp_path):
    site = broken_site(make_site)
    result = site.build(tmp_path / "out")
    warnings = sorted(p.format().split("\n")[0] for p in result.site.problems.warnings)
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("content/documents/a/index.md:8: 警告: 链接 “#p9” 锚点不存在"
                                  "（生成的 documents/a/index.html 第 ")
    assert warnings[1].startswith("content/documents/a/index.md:8: 警告: 链接 “../missing/” 页面不存在"
                                  "（生成的 documents/a/index.html 第 ")
    assert (tmp_path / "out/index.html").exists()


def test_strict_makes_broken_links_errors_and_writes_nothing(make_site, tmp_path):
    site = broken_site(make_site)
    _, problems = check_site(site.root, strict=True)
    assert len(problems.errors) == 2 and all("链接" in p.message for p in problems.errors)
    with pytest.raises(BuildFailed):
        build_site(site.root, tmp_path / "out", strict=True)
    assert not (tmp_path / "out").exists()


def test_cli_check_and_build_strict(make_site, tmp_path):
    site = broken_site(make_site)
    cli = [sys.executable, "-m", "generator"]
    ok = subprocess.run(cli + ["check", "--site", str(site.root)], capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0 and "警告: 链接 “#p9” 锚点不存在" in ok.stderr
    strict = subprocess.run(cli + ["check", "--strict", "--site", str(site.root)], capture_output=True, text=True,
                            cwd=REPO)
    assert strict.returncode == 1 and "错误: 链接 “#p9” 锚点不存在" in strict.stderr
    out = tmp_path / "out"
    build = subprocess.run(cli + ["build", "--strict", "--site", str(site.root), "--output", str(out)],
                           capture_output=True, text=True, cwd=REPO)
    assert build.returncode == 1 and not out.exists()


def test_links_to_unlisted_attachments_are_caught(make_site, tmp_path):
    site = make_site()
    site.document("a", body="见[附件](任务表.xlsx)。\n")
    (site.root / "content/documents/a/任务表.xlsx").write_bytes(b"x")
    result = site.build(tmp_path / "out")
    messages = [p.message for p in result.site.problems.warnings]
    assert any("任务表.xlsx" in m and "页面不存在" in m for m in messages), messages


def test_a_site_under_a_sub_path_checks_clean(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", MINIMAL_CONFIG.replace("https://test.example.gov.cn/", "https://www.example.gov.cn/zwgk/"))
    site.document("a", body="一、甲\n\n见[甲](#p1)。\n")
    result = site.build(tmp_path / "out")
    assert not result.site.problems.warnings
    assert check_folder(tmp_path / "out") == []


def test_checking_a_built_folder_from_the_command_line(make_site, tmp_path, capsys):
    site = make_site()
    site.document("a")
    out = tmp_path / "out"
    site.build(out)
    assert main([str(out)]) == 0
    shutil.rmtree(out / "units")
    assert main([str(out)]) == 1
    assert "units/" in capsys.readouterr().err


def test_links_from_templates_are_reported_at_the_generated_page(make_site, tmp_path):
    site = make_site()
    site.document("a")
    site.write("templates/home.html", '{% extends "base.html" %}{% block content %}\n<a href="{{ rel(\'nowhere/\') }}">x</a>'
                                      '{% endblock %}')
    result = site.build(tmp_path / "out")
    warnings = [p for p in result.site.problems.warnings if "nowhere" in p.message]
    assert len(warnings) == 1 and warnings[0].path == "output/index.html" and warnings[0].line, warnings


def test_page_links_survive_pickling_packed():
    """Pages' links travel from workers and into the build cache packed into strings;
    they come back equal, empty pages and hrefs holding a NUL included."""
    import pickle

    from generator.linkcheck import PageLinks, parse_page
    page = parse_page('<h2 id="一">甲</h2>\n<a href="../b/#一">乙</a>\n<a name="n" href="c.html">丙</a>\n'
                      '<img src="d.png" alt="">')
    cases = [page, PageLinks(set(), []), PageLinks({"a\0b"}, [("x\0y", 7), ("z", 8)])]
    for links in cases:
        back = pickle.loads(pickle.dumps(links, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == links
        assert back.ids == links.ids and back.links == links.links
    assert page.ids == {"一", "n"}
    assert page.links == [("../b/#一", 2), ("c.html", 3), ("d.png", 4)]
    assert pickle.loads(pickle.dumps(page))._packed is not None        # packed, unpacked on use
    for links in cases:                  # pack() after a check: the same links, held packed
        before = (set(links.ids), list(links.links))
        links.pack()
        assert (links.ids, links.links) == before


@pytest.mark.parametrize("seed", range(20))
def test_links_are_judged_the_same_together_or_one_page_at_a_time(seed, monkeypatch):
    # The check remembers what each link resolved to and shares that between pages of
    # a folder, and between pages whose links go up to the same folder (../../a/ from
    # two document folders). Checking every page in one call must therefore find what
    # checking each page on its own finds, for links of every shape.
    rng = random.Random(seed)
    folders = ["", "a", "a/b", "a/b/c", "documents/d1", "documents/d2", "units/u1/page/2"]
    files: dict[str, bytes] = {(f + "/" if f else "") + "index.html": b"" for f in folders}
    files["a/x.html"] = files["a/b/y.html"] = b""                 # two pages in one folder
    targets = ["", "a/", "a", "a/b/", "a/x.html", "a/b/c/", "documents/d1/", "documents/d3/",
               "units/u1/page/2/", "nope/", "./a/", "a/../a/b/", "a//b/", ".", "..", " a/", "a/ ",
               "x:y", "https://www.example.gov.cn/a/", "https://other.example/", "/a/", "/"]
    specials = ["", "#p1", "#no", "?x", " #no", "../", "../../", "../#p1", "../?x"]
    pages = {}
    for page in files:
        links = []
        for line in range(rng.randint(0, 14)):
            target = rng.choice(targets)
            href = ("../" * rng.randint(0, 4) if not target.startswith(("h", "/", "x:")) else "") + target
            href += rng.choice(["", "#p1", "#nope", "#top", "?q=1", "?q#p1"])
            href = rng.choice(specials) if rng.random() < 0.1 else (" " + href if rng.random() < 0.05 else href)
            links.append((href, line + 1))
        pages[page] = (links, set(rng.sample(["p1", "top", "p2"], rng.randint(1, 2))))

    def known():
        return {p: PageLinks(set(ids), list(links)) for p, (links, ids) in pages.items()}

    base = "https://www.example.gov.cn/"
    together = find_broken_links(files, base, known())
    alone = sorted((b for p in pages for b in find_broken_links(files, base, known(), only={p})),
                   key=lambda b: (b.page, b.line, b.href))
    assert together == alone
    assert together                          # the shapes above include broken ones
    # Pages that came packed (from a worker, from the build cache) are read as they are:
    # the same verdicts, and no page is left holding its links unpacked.
    held = {p: pickle.loads(pickle.dumps(links)) for p, links in known().items()}
    assert find_broken_links(files, base, held) == together
    assert all(links._links is None for links in held.values())
    # A big check is spread over forked workers in chunks, each process with verdicts of
    # its own: the same broken links, and the same pages pointed into with a fragment.
    from generator import linkcheck, parallel
    alone_marks: set = set()
    find_broken_links(files, base, known(), anchored=alone_marks)
    monkeypatch.setattr(linkcheck, "SPREAD_PAGES", 1)
    monkeypatch.setattr(linkcheck, "SPREAD_CHUNK", 2)
    monkeypatch.setattr(parallel, "MIN_PAGES", 1)
    monkeypatch.setenv("GONGKAI_WORKERS", "2")
    forked = []
    real = parallel.fork_map
    monkeypatch.setattr(parallel, "fork_map", lambda *a, **k: forked.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(parallel, "_drain", lambda: [])    # every chunk done by the worker
    spread_marks: set = set()
    assert find_broken_links(files, base, known(), anchored=spread_marks) == together
    assert forked == [len(pages)] and spread_marks == alone_marks and alone_marks


def test_pages_pointed_into_with_a_fragment_are_told_whoever_asks_first():
    # find_broken_links(anchored=…) names the pages that links from other pages point
    # into with a #fragment (an edit that makes such a page lose an anchor checks every
    # page again). Verdicts are shared by the pages of one folder: a/index.html asking
    # first about its own "index.html#x" must not hide a/z.html's link to it.
    from generator.linkcheck import find_broken_links
    files = {"a/index.html": b'<h2 id="x">x</h2><a href="index.html#x">self</a>',
             "a/z.html": b'<a href="index.html#x">to index</a>',
             "b/index.html": b'<a href="#top">top</a><p id="top"></p>'}
    anchored: set = set()
    assert find_broken_links(files, "/", anchored=anchored) == []
    assert anchored == {"a/index.html"}


def test_pages_rendered_in_the_build_process_keep_their_links_packed(make_site):
    # As a worker's pages come back (pickled, packed): this process's own pages' links,
    # kept unpacked until the check, were 70 MB more at 10,000 documents. Pages of one
    # kind have the same ids: one string for all of them.
    from generator.parallel import render_pages
    from generator.problems import Problems
    from generator.site import load_site
    maker = make_site()
    for i in range(3):
        maker.document(f"d{i}", body="各单位：\n\n## 一、总体要求\n\n见[附表](../d0/)。\n")
    site = load_site(maker.root, Problems(maker.root))
    links: dict = {}
    render_pages(site, list(site.pages), lambda: None, links=links)
    assert links and all(p._links is None and p._ids is None for p in links.values())
    docs = [links[f"documents/d{i}/index.html"] for i in range(3)]
    assert docs[0]._packed[1] is docs[2]._packed[1]
    assert any(href == "../d0/" for href, _ in docs[1].links)     # read back from the packed form


def test_packed_ids_are_found_first_last_and_between_but_not_in_part():
    # PageLinks.has_id looks into the packed names ("a\0b\0c"): whole names only
    links = pickle.loads(pickle.dumps(PageLinks({"p1", "p1-2", "top"}, [("#p1", 1), ("a/", 2)])))
    assert [links.has_id(n) for n in ("p1", "p1-2", "top")] == [True, True, True]
    assert not any(links.has_id(n) for n in ("p", "1", "p1-", "-2", "to", "op", "", "p1\0top"))
    one = pickle.loads(pickle.dumps(PageLinks({"only"}, [])))
    assert one.has_id("only") and not one.has_id("onl") and not one.has_id("nly")
    assert not pickle.loads(pickle.dumps(PageLinks(set(), []))).has_id("x")
