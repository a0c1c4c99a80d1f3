"""Long lists split into pages: every item on one page, newest first, and pages that
keep their items while newer ones are added (see generator.plan.page_bounds)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from conftest import page_soup, squash
from generator.build import build_site
from generator.plan import DOCS_PER_PAGE, page_bounds, pager_window


def test_page_bounds_hold_every_item_once_and_keep_older_pages_as_items_are_added():
    size = 50
    for count in range(0, 7 * size):
        bounds = page_bounds(count, size)
        # in order, no gap, no overlap, every item once
        assert bounds[0][0] == 0 and bounds[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        # every page but the first is full; the first holds size/2 to 1.5 x size
        assert all(end - start == size for start, end in bounds[1:])
        first = bounds[0][1]
        assert first == count if count < size else size // 2 <= first < size + size // 2
        # one more item at the newest end: the pages after the first hold the same
        # items (counted from the oldest), unless the first has just split
        grown = page_bounds(count + 1, size)
        older = {(count - end, count - start) for start, end in bounds[1:]}
        older_grown = {(count + 1 - end, count + 1 - start) for start, end in grown[1:]}
        if len(grown) == len(bounds):
            assert older_grown == older, count
        else:                   # the first page gave its older part to a page of its own
            assert len(grown) == len(bounds) + 1 and older < older_grown, count


def test_pager_window_shows_both_ends_two_neighbours_and_gaps():
    assert pager_window(10, 20) == (1, None, 8, 9, 10, 11, 12, None, 20)
    assert pager_window(1, 2) == (1, 2)
    assert pager_window(1, 9) == (1, 2, 3, None, 9)
    assert pager_window(5, 9) == (1, None, 3, 4, 5, 6, 7, None, 9)
    assert pager_window(4, 9) == (1, 2, 3, 4, 5, 6, None, 9)
    # the rule the template applied to every page number (a gap shown only next to an end)
    for count in range(2, 80):
        for number in range(1, count + 1):
            rule = [n if n in (1, count) or abs(n - number) <= 2 else None
                    for n in range(1, count + 1) if n in (1, 2, count - 1, count) or abs(n - number) <= 2]
            window = pager_window(number, count)
            assert window == tuple(rule), (number, count)
            assert len(window) <= 9          # a few entries per page, however long the list


def _documents(site, count: int, start: dt.date) -> None:
    for n in range(count):
        day = start + dt.timedelta(days=n)
        site.document(f"d{n:03d}", front=f"title: 第{n}号文件\ndisclosure: 主动公开\npublished: {day}\n")


def _files(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*.html")}


def test_adding_the_newest_document_rewrites_the_first_page_of_its_lists_only(make_site, tmp_path):
    site = make_site()
    count = 2 * DOCS_PER_PAGE + DOCS_PER_PAGE // 2 + 5          # 130: pages of 30, 50, 50
    _documents(site, count, dt.date(2024, 1, 1))
    out = tmp_path / "out"
    build_site(site.root, out, cache=True)
    lists = ["documents/", "documents/page/2/", "documents/page/3/"]
    assert all((out / url / "index.html").is_file() for url in lists)
    assert not (out / "documents/page/4").exists()
    before = _files(out)

    site.document("new", front="title: 最新的文件\ndisclosure: 主动公开\npublished: 2024-12-31\n")
    build_site(site.root, out, cache=True)
    after = _files(out)
    rewritten = sorted(f for f in after if after[f] != before.get(f))
    # the new document's page, the first page of each list it is in (all documents, its
    # year), and the pages that count or list every document: the later pages of the
    # lists keep their documents
    assert rewritten == ["documents/index.html", "documents/new/index.html", "index.html",
                         "sitemap/index.html", "years/2024/index.html", "years/index.html"]

    # what a reader sees: newest first, each document once, the total on the first page
    titles = []
    for url in lists:
        soup = page_soup(out, url)
        titles += [a.get_text() for a in soup.select("main li a") if "文件" in a.get_text()]
        status = squash(soup.select_one(".pager-status").get_text())
        number = lists.index(url) + 1
        assert status == f"第{number}页，共3页"
        shown = [squash(li.get_text()) for li in soup.select(".pager li")]
        assert shown == (["上一页"] if number > 1 else []) + [f"第{n}页" if n == number else str(n) for n in (1, 2, 3)] \
            + (["下一页"] if number < 3 else [])
        total = [p for p in soup.select("main p") if "共" in p.get_text() and "个文件" in p.get_text()]
        assert (squash(total[0].get_text()) if total else None) == (f"共{count + 1}个文件。" if url == lists[0] else None)
    assert titles == ["最新的文件"] + [f"第{n}号文件" for n in reversed(range(count))]


def test_a_unit_page_after_the_first_shows_its_rows_without_the_totals(make_site, tmp_path):
    site = make_site()
    for month in range(1, 4):           # 3 x 80 rows of one unit: pages of 140 and 100
        rows = "".join(f"  - requirement: 要求{month}-{i}\n    units: [区财政局]\n" for i in range(80))
        site.document(f"d{month}", front=f"title: 文件{month}\ndisclosure: 主动公开\npublished: 2024-{month:02d}-01\n",
                      tasks="tasks:\n" + rows)
    out = tmp_path / "out"
    build_site(site.root, out)
    first, second = page_soup(out, "units/local-czj/"), page_soup(out, "units/local-czj/page/2/")
    assert "在3个文件中承担240项任务。" in squash(first.select_one("main").get_text())
    assert "承担" not in second.select_one("main").get_text()
    rows = [[squash(td.get_text()) for td in soup.select("td.c-req")] for soup in (first, second)]
    assert [len(r) for r in rows] == [140, 100]
    # newest document first; the oldest document's rows all on the second page
    assert rows[0][0] == "具体要求：要求3-0" and rows[1][-1] == "具体要求：要求1-79"
    assert all(r.startswith("具体要求：要求1-") for r in rows[1][-80:])
    assert not os.path.exists(out / "units/local-czj/page/3")
