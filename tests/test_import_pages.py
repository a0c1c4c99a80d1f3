"""``gongkai import`` on saved portal pages and text copies written for these tests.

The fixtures in tests/fixtures/import/ reproduce common portal layouts: a metadata table
above the article (portal_metadata_table.html), an article with attachment links saved
in GB2312 (article_attachments_gbk.html), a task table with merged cells
(task_table_merged.html), a page in traditional characters with pinyin
(traditional_pinyin.html), an old portal laid out in nested tables (layout_tables.html)
and a text copy with a pipe-separated table (pipe_table.txt).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import opencc
import pytest
from bs4 import BeautifulSoup
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction

from generator.build import build_site
from generator.importer.pipeline import ImportOptions, import_file
from generator.yamlload import load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "import"
PAGES = ["portal_metadata_table.html", "article_attachments_gbk.html", "task_table_merged.html",
         "traditional_pinyin.html", "layout_tables.html", "pipe_table.txt"]
_T2S = opencc.OpenCC("t2s")


def nonspace(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def page_text(path: Path) -> str:
    """The text of a page as a reader sees it, extracted independently of the importer."""
    raw = path.read_bytes()
    if path.suffix == ".txt":
        return raw.decode("utf-8")
    soup = BeautifulSoup(raw, "html.parser")   # bs4 detects the declared charset itself
    skip = {"script", "style", "noscript", "template"}
    out = []
    for s in soup.find_all(string=True):
        if isinstance(s, (Comment, Doctype, CData, ProcessingInstruction, Declaration)):
            continue
        if any(p.name in skip for p in s.parents):
            continue
        out.append(str(s))
    return "".join(out)


def front(folder: Path) -> dict:
    text = (folder / "index.md").read_text(encoding="utf-8")
    return dict(load_yaml(text.split("---\n")[1]))


def tasks(folder: Path) -> list[dict]:
    return [dict(t) for t in load_yaml((folder / "tasks.yaml").read_text(encoding="utf-8"))["tasks"]]


def run(make_site, name: str, **options):
    site = make_site(name.split(".")[0] + ("-" + "-".join(options) if options else ""))
    outcome = import_file(FIXTURES / name, ImportOptions(into=site.root / "content", **options))
    return site, outcome


@pytest.mark.parametrize("name", PAGES)
def test_every_page_imports_builds_and_loses_no_text(make_site, tmp_path, name):
    site, outcome = run(make_site, name)
    report = outcome.report
    assert nonspace(report.source_text) == nonspace(page_text(FIXTURES / name))
    written = [(outcome.folder / f).read_text(encoding="utf-8") for f in ("index.md", "tasks.yaml")
               if (outcome.folder / f).exists()]
    assert not report.unaccounted(written)
    assert not report.overclaimed()
    result = build_site(site.root, tmp_path / "out")
    assert report.doc_id in {d.id for d in result.site.documents}


def test_metadata_table_above_the_article(make_site):
    _, outcome = run(make_site, "portal_metadata_table.html")
    meta = front(outcome.folder)
    assert meta == {
        "title": "武汉市青山区人民政府办公室关于印发《青山区2024年政务公开工作要点》的通知",
        "index_no": "11420107MB1234567X/2024-00015", "doc_no": "青政办发〔2024〕3号",
        "issuer": "武汉市青山区人民政府办公室", "topic": "综合政务\\政务公开",
        "written": "2024-03-12", "published": "2024-03-15", "validity": "有效", "disclosure": "主动公开"}
    body = (outcome.folder / "index.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    paragraphs = body.strip().split("\n\n")
    assert paragraphs[0] == "各街道办事处，区政府各部门，各有关单位："
    assert "## 青山区2024年政务公开工作要点" in paragraphs
    assert "2.加强政策解读。对涉企政策采用图解、视频等方式进行解读，解读材料与政策文件同步发布。" in paragraphs
    assert "（1）每月至少发布一期政策解读专题；" in paragraphs
    report = outcome.report
    chrome = {d.text for d in report.dropped if d.kind == "chrome"}
    assert {"当前位置：首页 > 政府信息公开 > 政策文件", "扫一扫在手机打开当前页", "分享到：微信 微博",
            "网站地图 | 联系我们", "2156"} <= chrome
    assert "统计代码" not in report.source_text          # scripts are not document text
    config = dict((k, v) for k, v, _ in report.config)
    assert config == {"name": "武汉市青山区人民政府", "site_code": "4201070001",
                      "organizer": "武汉市青山区人民政府办公室", "icp": "鄂ICP备05003349号-1",
                      "police_record": "鄂公网安备 42010702000123号", "contact.phone": "027-86861234",
                      "contact.address": "武汉市青山区临江大道"}
    fragment = load_yaml(report.config_fragment())
    assert fragment["contact"]["phone"] == "027-86861234"


def test_article_with_attachments_in_gb2312(make_site):
    _, outcome = run(make_site, "article_attachments_gbk.html")
    assert outcome.report.encoding.startswith("GB2312")
    meta = front(outcome.folder)
    assert meta["issuer"] == "平阳县财政局" and meta["written"] == "2024-04-09"
    assert meta["published"] == "2024-04-10" and meta["doc_no"] == "平财发〔2024〕8号"
    assert meta["attachments"] == [
        {"title": "2024年惠民惠农财政补贴政策清单", "note": "原网站的附件，本站未收录其内容。"},
        {"title": "补贴资金发放流程图", "file": "P020240410384756123456.pdf"}]
    assert (outcome.folder / "P020240410384756123456.pdf").read_bytes().startswith(b"%PDF")
    # 公开属性 is not stated: written as 主动公开 because it is a portal page, and reported
    assert meta["disclosure"] == "主动公开"
    assert any("公开属性" in d.message for d in outcome.report.doubts)
    body = (outcome.folder / "index.md").read_text(encoding="utf-8")
    # two items in one <p> split at <br>; the attachment lines stay one paragraph
    assert "\n\n一、各乡镇、街道要通过" in body and "\n\n二、县级有关部门要按照" in body
    assert "附件：1.2024年惠民惠农财政补贴政策清单.xlsx  \n2.补贴资金发放流程图.pdf" in body
    dropped = {d.text for d in outcome.report.dropped}
    assert "上一篇：平阳县2023年度财政预算执行情况公告" in dropped
    assert "平阳县财政局" not in dropped          # the 落款 is document text, not footer


def test_task_table_with_merged_cells(make_site):
    _, outcome = run(make_site, "task_table_merged.html")
    rows = tasks(outcome.folder)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["section"] for r in rows] == ["一、推进重点领域信息公开"] * 3 + ["二、提升政策解读质量"] * 2
    assert [r.get("item") for r in rows[:3]] == ["（一）做好稳增长政策公开"] * 2 + ["（二）做好民生保障信息公开"]
    assert [r["deadline"] for r in rows] == ["2024年12月底前"] * 3 + ["长期坚持", "2024年10月底前"]
    assert rows[0]["lead_units"] == rows[1]["lead_units"] == ["区发改委"]     # rowspan=2
    assert rows[0]["units"] == ["区工信局", "区商务局"]
    assert rows[1]["units"] == ["区住建局", "区自然资源和规划分局"]          # <br> inside the cell
    assert rows[2]["units"] == ["区民政局", "区医保分局"] and rows[2]["units_note"] == "等有关部门（单位）"
    # an empty HTML cell is not a merged cell: the 牵头单位 is also the responsible unit
    assert rows[4]["units"] == ["区政府办公室"]
    caption = load_yaml((outcome.folder / "tasks.yaml").read_text(encoding="utf-8"))["caption"]
    assert caption == "2024年滨湖区政务公开重点工作任务分工"
    meta = front(outcome.folder)
    assert "attachments" not in meta                  # the 附件 is the task table
    assert meta["unit_scope"] == "binhu"
    units = load_yaml((outcome.folder.parents[1] / "units" / "binhu.yaml").read_text(encoding="utf-8"))
    assert units["name"] == "无锡市滨湖区"
    assert {u["name"] for u in units["units"]} >= {"区发改委", "区工信局", "区政府办公室", "区各部门"}


def test_traditional_page_with_pinyin(make_site):
    _, outcome = run(make_site, "traditional_pinyin.html")
    text = (outcome.folder / "index.md").read_text(encoding="utf-8")
    assert _T2S.convert(text) == text                            # simplified throughout
    assert "(" not in text and "xiàn" not in text and ",," not in text
    assert "各县、区人民政府，市直各有关单位：" in text
    assert "（一）做好稳经济政策公开。及时发布减税降费、助企纾困等政策措施，做好政策解读和推送。" in text
    meta = front(outcome.folder)
    assert meta["title"] == "阳泉市人民政府办公室关于印发阳泉市2022年政务公开工作要点的通知"
    rows = tasks(outcome.folder)
    assert len(rows) == 4 and rows[0]["units"] == ["市发改委", "市财政局", "各县区人民政府"]
    assert rows[3]["item"] == "（四）规范政务新媒体管理"
    steps = Counter(c.step for c in outcome.report.changes)
    assert steps["pinyin"] >= 20 and steps["simplified"] > 50 and steps["punct-doubled"] >= 5


def test_keep_traditional(make_site):
    _, outcome = run(make_site, "traditional_pinyin.html", keep_traditional=True)
    meta = front(outcome.folder)
    assert meta["title"] == "陽泉市人民政府辦公室關於印發陽泉市2022年政務公開工作要點的通知"
    assert meta["published"] == "2022-04-02"                     # 發布日期 found in traditional
    text = (outcome.folder / "index.md").read_text(encoding="utf-8")
    assert "各縣、區人民政府，市直各有關單位：" in text and "xiàn" not in text
    assert not any(c.step == "simplified" for c in outcome.report.changes)
    assert "掃一掃在手機打開當前頁" in {d.text for d in outcome.report.dropped}


def test_old_portal_in_layout_tables(make_site):
    _, outcome = run(make_site, "layout_tables.html")
    meta = front(outcome.folder)
    assert meta["index_no"] == "000014348/2024-00012" and meta["validity"] == "有效"
    assert meta["title"] == "东安县2023年政府信息公开工作年度报告"
    assert meta["written"] == "2024-01-19" and meta["topic"] == "政府信息公开年报"
    body = (outcome.folder / "index.md").read_text(encoding="utf-8")
    assert "| 行政规范性文件 | 6 | 2 | 31 |" in body               # a data table stays a table
    assert "网站首页" not in body and "湘ICP备" not in body


def test_pipe_separated_text_table(make_site):
    _, outcome = run(make_site, "pipe_table.txt")
    rows = tasks(outcome.folder)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[2]["requirement"] == "在县政府网站公开惠民惠农补贴政策清单，并同步更新补贴发放信息。"
    assert [r["units"] for r in rows] == [["预算股"], ["预算股", "监督检查股"], ["农业股"], ["农业股", "社保股"]]
    assert [r["deadline"] for r in rows] == ["批复后20日内"] * 2 + ["长期坚持"] * 2
    assert rows[0]["section"] == "一、预决算公开"
