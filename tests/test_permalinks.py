"""Permanent addresses: aliases redirect, the ledger refuses to drop an address, and
withdrawn documents keep a page that says so."""
from __future__ import annotations


from conftest import page_soup
from generator.permalinks import LEDGER, normalise_alias


def ledger(site) -> str:
    return (site.root / "content" / LEDGER).read_text(encoding="utf-8")


def test_addresses_come_from_ids_not_titles(make_site, tmp_path):
    site = make_site()
    site.document("licheng-2024-gkyd", front="title: 很长的中文标题\ndisclosure: 主动公开\n")
    out = tmp_path / "out"
    site.build(out)
    assert (out / "documents/licheng-2024-gkyd/index.html").exists()
    assert "documents/licheng-2024-gkyd/\tdocument\tlicheng-2024-gkyd" in ledger(site)


def test_alias_pages_and_server_maps(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", (site.root / "config.yaml").read_text(encoding="utf-8").replace(
        "https://test.example.gov.cn/", "https://www.example.gov.cn/zwgk/"))
    site.document("new-id", front="title: 甲\ndisclosure: 主动公开\naliases:\n  - documents/old-id/\n"
                                  "  - /zwgk/art/2024/6/26/art_1234_567.html\n  - https://old.example.gov.cn/gk/abc.jsp\n")
    out = tmp_path / "out"
    site.build(out)
    page = page_soup(out, "documents/old-id/")
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == "0; url=../../documents/new-id/"
    assert page.find("link", rel="canonical")["href"] == "https://www.example.gov.cn/zwgk/documents/new-id/"
    assert page.find("a")["href"] == "../../documents/new-id/"
    deep = page_soup(out, "art/2024/6/26/art_1234_567.html")
    assert deep.find("a")["href"] == "../../../../documents/new-id/"
    assert (out / "gk/abc.jsp").exists()
    nginx = (out / "server/nginx-redirects.conf").read_text(encoding="utf-8")
    assert "location = /zwgk/documents/old-id/ { return 301 /zwgk/documents/new-id/; }" in nginx
    assert "location = /zwgk/art/2024/6/26/art_1234_567.html { return 301 /zwgk/documents/new-id/; }" in nginx
    apache = (out / "server/apache-redirects.conf").read_text(encoding="utf-8")
    assert 'Redirect permanent "/zwgk/gk/abc.jsp" "/zwgk/documents/new-id/"' in apache


def test_alias_errors(make_site):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\naliases: [documents/b/, '../etc/x', 'q.html?id=1']\n")
    site.document("b")
    problems = site.build_problems()
    text = "\n".join(p.format() for p in problems.errors)
    assert "documents/b/" in text and "content/documents/a/index.md:4:" in text
    assert "不能用于文件名" in text and "? 或 #" in text


def test_ledger_blocks_dropping_an_address_and_both_fixes_work(make_site, tmp_path):
    site = make_site()
    site.document("first-id")
    out = tmp_path / "out"
    site.build(out)
    assert "documents/first-id/" in ledger(site)
    # the document's id is changed without an alias: refused, previous site untouched
    (site.root / "content/documents/first-id").rename(site.root / "content/documents/second-id")
    problems = site.build_problems(out)
    err = problems.errors[0]
    assert err.path == "content/permalinks.lock" and err.line == 4
    assert "documents/first-id/" in err.message and "aliases" in err.hint and "withdrawn" in err.hint
    assert (out / "documents/first-id/index.html").exists()
    # fix 1: an alias keeps the old address
    site.document("second-id", front="title: 文件\ndisclosure: 主动公开\naliases: [documents/first-id/]\n")
    site.build(out)
    assert page_soup(out, "documents/first-id/").find("meta", attrs={"http-equiv": "refresh"})
    assert "documents/second-id/" in ledger(site)
    # fix 2: a withdrawn document leaves a page that says so and when
    site.document("second-id", front="title: 文件\ndisclosure: 主动公开\naliases: [documents/first-id/]\n"
                                     "withdrawn: 2025-03-01\nwithdrawn_note: 因机构调整撤销。\n", body="原正文不再显示\n")
    site.build(out)
    page = page_soup(out, "documents/second-id/")
    assert "2025-03-01 撤销" in page.select_one(".validity-notice").get_text()
    assert "原正文不再显示" not in page.get_text()
    assert "second-id" not in (out / "api/documents.json").read_text(encoding="utf-8")


def test_ledger_is_deterministic_and_checked_by_check(make_site, tmp_path):
    site = make_site()
    site.document("b")
    site.document("a")
    site.build(tmp_path / "o1")
    first = ledger(site)
    site.build(tmp_path / "o2")
    assert ledger(site) == first
    assert first.index("documents/a/") < first.index("documents/b/")


def test_normalise_alias():
    assert normalise_alias("/zwgk/art/1.html", "/zwgk/") == ("art/1.html", "")
    assert normalise_alias("old", "/") == ("old/", "")
    assert normalise_alias("https://x.gov.cn/a/b.shtml", "/") == ("a/b.shtml", "")
    assert normalise_alias("/", "/")[0] is None
    assert normalise_alias("a/../../x", "/")[0] is None
