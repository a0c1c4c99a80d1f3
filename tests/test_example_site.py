"""Golden checks: the five seed documents as built into the example site."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin

import opencc
import pytest

from conftest import page_soup, squash

SEED_PAGES = {
    "000_23b8a64f729e6ca4.txt": "laiwu-2024-gkyd",
    "001_a7e51957c90899b5.txt": "yanzhou-2021-rwfg",
    "002_503af76914621d8f.txt": "guangyuan-2023-rwap",
    "003_0ba6203fda23d747.txt": "changzhi-2021-gkyd",
    "004_6ea9e2c525c7fb1d.txt": "licheng-2024-gkyd",
}

# Portal chrome that the example content leaves out on purpose (our templates provide
# their own header, footer, 字号 and print controls).
CHROME = {
    "000_23b8a64f729e6ca4.txt": ["无障碍阅读 关怀版 返回首页", "政府信息公开", "字号:", "打印整页 打印内容 分享",
                                 "莱芜政办发(2024)2 号(2024年莱芜区政务公开工作要点)_PDF转长图_7564.jpg",
                                 "扫码使用手机浏览本页内容"],
    "001_a7e51957c90899b5.txt": ["———————————————————————————"],
    "002_503af76914621d8f.txt": ["广元市利州区人民政府", "您当前的位置:", "发布时间:", "【字号:", "打印",
                                 "扫一扫在手机打开当前页", "网站声明 | 网站地图 | 帮助说明", "Copyright 2013",
                                 "网站维护:", "联系电话:0839-3262313", "智能问答 政务微信 政务微博"],
}


def tasks(output: Path, doc_id: str) -> list[dict]:
    rows = json.loads((output / "api" / "tasks.json").read_text(encoding="utf-8"))
    return [r for r in rows if r["document"] == doc_id]


def page_text(output: Path, doc_id: str) -> str:
    text = page_soup(output, f"documents/{doc_id}/").get_text()
    task_page = output / "documents" / doc_id / "tasks" / "index.html"
    if task_page.exists():
        text += page_soup(output, f"documents/{doc_id}/tasks/").get_text()
    return squash(text)


@pytest.mark.parametrize("seed", [s for s in SEED_PAGES if not s.startswith("003")])
def test_every_line_of_the_seed_text_appears(example_output, seeds, seed):
    text = page_text(example_output, SEED_PAGES[seed])
    chrome = CHROME.get(seed, [])
    missing = []
    for line in (seeds / seed).read_text(encoding="utf-8").splitlines():
        if not line.strip() or any(line.strip().startswith(c) for c in chrome):
            continue
        if squash(line) not in text:
            missing.append(line.strip()[:60])
    assert missing == []


def test_seed_003_is_clean_simplified_chinese_with_all_its_text(example_output, seeds):
    from generator.importer.textfix import clean_text
    text = page_text(example_output, "changzhi-2021-gkyd")
    body = page_soup(example_output, "documents/changzhi-2021-gkyd/").select_one(".doc-body").get_text()
    lines = [l for l in (seeds / "003_0ba6203fda23d747.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    for line in lines:
        # 〓 marks a character the repair could not recover with certainty (the page has the
        # editor's reading there): it may stand for any one character.
        cleaned = squash(clean_text(line).text)
        pattern = "".join("." if ch == "〓" else re.escape(ch) for ch in cleaned)
        assert re.search(pattern, text), line[:40]
    assert not re.search(r"[\ue000-\uf8ff?？]", body), "mojibake or lost characters left"
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", body), "pinyin left"
    assert not re.search(r"[,，、；。][,，、；。]", body), "doubled punctuation left"
    t2s = opencc.OpenCC("t2s")
    assert t2s.convert(body) == body, "traditional characters left"
    assert "（一）围绕转型发展抓好政策落地公开。" in body
    rows = tasks(example_output, "changzhi-2021-gkyd")
    assert rows[0]["item"] == "（一）围绕转型发展抓好政策落地公开"
    assert rows[0]["units"] == ["市直各有关部门", "各县区人民政府"]


def test_seed_004_task_table(example_output):
    rows = tasks(example_output, "licheng-2024-gkyd")
    assert [r["seq"] for r in rows] == list(range(1, 60))
    long_term = [r["seq"] for r in rows if r["deadline"] == "长期坚持"]
    assert long_term == [28, 30, 32, 38, 53, 58]
    others = [r for r in rows if r["deadline"] != "长期坚持"]
    assert {r["deadline"] for r in others} == {"2024年12月底前"}
    assert {r["deadline_date"] for r in others} == {"2024-12-31"}
    assert all(r["deadline_date"] is None for r in rows if r["seq"] in long_term)
    by_seq = {r["seq"]: r for r in rows}
    # cell text broken across lines is joined; merged cells are filled from the row above
    assert by_seq[5]["units"] == ["各街道办事处", "区住房城乡建设局"]
    assert by_seq[20]["units"] == ["各街道办事处", "区政府有关部门（单位）"]
    assert by_seq[51]["units"] == by_seq[50]["units"] == ["各街道办事处", "区行政审批服务局"]
    assert by_seq[51]["deadline"] == "2024年12月底前"
    assert by_seq[3]["units"] == ["各街道办事处", "区发展改革局", "市生态环境局历城分局"]
    assert by_seq[2]["section"] == "一、推动重点领域主动公开"
    assert by_seq[2]["item"] == "（一）以信息公开助力经济高质量发展"
    assert by_seq[59]["item"] == "（十七）做好督导考核"


def test_seed_004_table_page_merges_cells_and_links_units(example_output):
    soup = page_soup(example_output, "documents/licheng-2024-gkyd/tasks/")
    table = soup.select_one("table.task-table")
    assert table.caption.get_text(strip=True) == "2024年济南市历城区政务公开重点工作任务分工"
    body_rows = table.select("tbody tr")
    assert len(table.find_all("tbody")) == 6, "one row group per section"
    assert len(body_rows) == 59
    first = body_rows[0].find("th", class_="c-section")
    assert first.get_text(strip=True) == "一、推动重点领域主动公开" and first["rowspan"] == "22"
    sections = [th.get_text(strip=True) for th in table.select("th.c-section")]
    assert len(sections) == 6
    assert sum(int(th.get("rowspan", 1)) for th in table.select("th.c-section")) == 59
    assert sum(int(th.get("rowspan", 1)) for th in table.select("th.c-item")) == 59
    units_cell = body_rows[2].select_one("td.c-units")
    assert units_cell.get_text() .strip().endswith("等有关部门（单位）")
    link = units_cell.find("a")
    assert link.get_text() == "各街道办事处" and link["href"].startswith("../../../units/")


def test_seed_001_task_table(example_output):
    rows = tasks(example_output, "yanzhou-2021-rwfg")
    assert len(rows) == 47
    ipv6 = [r for r in rows if "互联网协议第6版" in r["requirement"]]
    assert len(ipv6) == 1 and ipv6[0]["units"] == ["区政府办公室"]
    sixteen = [r for r in rows if r["item"] == "（十六）推进基层政务公开标准化规范化"]
    assert len(sixteen[0]["units"]) == 20
    assert all(r["deadline"] is None and r["deadline_date"] is None for r in rows)
    # an empty 工作任务 cell means "same as above"
    assert rows[1]["item"] == rows[0]["item"] == "（一）立足实施重大战略推进政务公开"
    assert rows[1]["units"] == ["区发展和改革局", "区生态环境分局"]


def test_seed_000_says_its_task_table_is_an_image(example_output):
    soup = page_soup(example_output, "documents/laiwu-2024-gkyd/")
    assert "仅以图片形式发布" in soup.select_one(".doc-tasks").get_text()
    assert not (example_output / "documents" / "laiwu-2024-gkyd" / "tasks").exists()
    info = {th.get_text(): th.find_next("td").get_text() for th in soup.select(".doc-info th")}
    assert info["索引号"] == "11371202K21349004N/2024-6582242"
    assert info["文号"] == "莱芜政办发〔2024〕2号"
    assert info["有效性"] == "有效" and info["发布日期"] == "2024-06-26"


def test_body_headings_follow_the_numbering_levels(example_output):
    soup = page_soup(example_output, "documents/guangyuan-2023-rwap/")
    body = soup.select_one(".doc-body")
    assert body.find(id="p3").get_text() == "三、重点工作"
    assert body.find(id="p3-1").get_text() == "(一)积极深化主动公开"
    assert body.find(id="p3-1-1").name == "h5"
    assert body.find(id="p3-1-1").get_text() == "1.聚焦经济高质量发展加强信息公开。"
    assert soup.find_all("h1") == [soup.find(id="doc-title")]


def test_open_data_files(example_output):
    docs = json.loads((example_output / "api" / "documents.json").read_text(encoding="utf-8"))
    assert {d["id"] for d in docs} == set(SEED_PAGES.values())
    keys = ["id", "title", "index_no", "doc_no", "issuer", "topic", "written", "published",
            "validity", "disclosure", "url"]
    assert all(list(d) == keys for d in docs)
    laiwu = next(d for d in docs if d["id"] == "laiwu-2024-gkyd")
    assert laiwu["url"] == "https://gk.example.gov.cn/documents/laiwu-2024-gkyd/"
    assert laiwu["written"] == "2024-06-26" and laiwu["validity"] == "有效"
    yanzhou = next(d for d in docs if d["id"] == "yanzhou-2021-rwfg")
    assert yanzhou["published"] is None and yanzhou["index_no"] is None
    all_tasks = json.loads((example_output / "api" / "tasks.json").read_text(encoding="utf-8"))
    assert list(all_tasks[0]) == ["document", "seq", "section", "item", "requirement", "units",
                                  "lead_units", "deadline", "deadline_date", "status"]
    raw = (example_output / "api" / "tasks.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == len(all_tasks) + 1


def test_lists_units_sitemap_and_404(example_output):
    years = page_soup(example_output, "years/")
    assert [a.get_text() for a in years.select(".group-list a")][:2] == ["2024年", "2023年"]
    assert len(page_soup(example_output, "years/2024/").select(".doc-list li")) == 2
    unit = page_soup(example_output, "units/licheng-qzfbgs/")
    assert unit.h1.get_text() == "区政府办公室（济南市历城区）"
    assert len(unit.select("tbody tr")) == sum(
        1 for r in tasks(example_output, "licheng-2024-gkyd") if "区政府办公室" in r["units"])
    xml = (example_output / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://gk.example.gov.cn/documents/licheng-2024-gkyd/tasks/</loc>" in xml
    assert "404" not in xml
    notfound = page_soup(example_output, "404.html")
    assert notfound.find("a", string="返回首页")["href"] == "/"
    assert page_soup(example_output, "sitemap/").h1.get_text() == "网站地图"


def test_every_internal_link_resolves(example_output):
    broken = []
    for page in sorted(example_output.rglob("*.html")):
        if page.name == "404.html":
            continue
        url = "/" + page.relative_to(example_output).as_posix()
        soup = page_soup(example_output, page.relative_to(example_output).as_posix())
        ids = {el["id"] for el in soup.find_all(id=True)}
        for el in soup.find_all(["a", "link"], href=True):
            href = el["href"]
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target, _, frag = urljoin(url, href).partition("#")
            path = example_output / unquote(target).lstrip("/")
            if target.endswith("/"):
                path = path / "index.html"
            if target == url.rsplit("/", 1)[0] + "/" + page.name or target == url:
                if frag and frag not in ids:
                    broken.append(f"{url} -> {href}")
                continue
            if not path.exists():
                broken.append(f"{url} -> {href}")
            elif frag and path.suffix == ".html":
                target_ids = {e["id"] for e in page_soup(example_output, path.relative_to(example_output).as_posix()).find_all(id=True)}
                if frag not in target_ids:
                    broken.append(f"{url} -> {href}")
    assert broken == []
