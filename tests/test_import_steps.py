"""The importer's steps one at a time: encoding, chrome, metadata, tables, units, writing."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.importer import chrome, metadata, tasktable, unitfile, writer
from generator.importer.decode import SourceError, read_source
from generator.importer.htmlpage import read_html
from generator.importer.model import Grid, Para
from generator.importer.pipeline import derive_doc_id
from generator.importer.report import Report
from generator.importer.textlines import read_text
from generator.yamlload import load_yaml

# --- encoding ---------------------------------------------------------------------------

TEXT = "济南市历城区人民政府办公室\n关于印发2024年济南市历城区政务公开工作要点的通知\n"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "UTF-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "UTF-8（带 BOM）"),
    (TEXT.encode("gbk"), "GB18030/GBK"),
    ((TEXT + "䶮𠀀\n").encode("gb18030"), "GB18030/GBK"),        # four-byte GB18030 codes
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "UTF-16LE（带 BOM）"),
    (b"\x84\x31\x95\x33" + TEXT.encode("gb18030"), "GB18030（带 BOM）"),
    (TEXT.replace("\n", "\r\n").encode("gbk"), "GB18030/GBK"),
])
def test_encodings_are_detected(tmp_path, data, encoding):
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    decoded = read_source(path)
    assert decoded.encoding == encoding
    assert decoded.text.startswith(TEXT) and "\r" not in decoded.text


def test_declared_html_charset_is_used(tmp_path):
    page = '<html><head><meta charset="gbk"></head><body><p>政务公开</p></body></html>'
    path = tmp_path / "a.html"
    path.write_bytes(page.encode("gbk"))
    decoded = read_source(path)
    assert decoded.is_html and "政务公开" in decoded.text and decoded.encoding.startswith("GBK")


@pytest.mark.parametrize("data, message, line", [
    (b"\xef\xbb\xbf" + "第一行\n".encode("utf-8") + b"\xff\xfe\xfa\n", "带 BOM", 2),
    ("第一行\n第二行\n".encode("utf-8") + b"\x80\x80\xff\n", "无法识别文件的编码", 3),
    (b"", "文件是空的", None),
    (b"%PDF-1.4\x00\x00binary", "空字符", 1),
])
def test_unreadable_files_are_clear_errors(tmp_path, data, message, line):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(SourceError) as e:
        read_source(path)
    assert message in e.value.message and e.value.line == line
    assert str(path) in e.value.format() and "提示" in e.value.format()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SourceError, match="找不到"):
        read_source(tmp_path / "nothing.txt")
    with pytest.raises(SourceError, match="文件夹"):
        read_source(tmp_path)


# --- page chrome ------------------------------------------------------------------------------

@pytest.mark.parametrize("line, reason", [
    ("无障碍阅读 关怀版 返回首页", "页面工具栏或导航"),
    ("打印整页 打印内容 分享", "页面工具栏或导航"),
    ("【字号：大 中 小】【打印】【关闭窗口】", "页面工具栏或导航"),
    ("网站声明 | 网站地图 | 帮助说明", "页面工具栏或导航"),
    ("您当前的位置：首页 » 政府信息公开 » 详情", "面包屑导航"),
    ("首页 > 政务公开 > 通知公告", "面包屑导航"),
    ("扫一扫在手机打开当前页", "二维码提示"),
    ("浏览次数：1234", "浏览次数"),
    ("联系电话:0839-3262313 政府网站标识码5108020014 蜀ICP备08108490号-1", "页脚"),
    ("上一篇：关于开展2024年农业保险保费补贴申报工作的通知", "上一篇/下一篇链接"),
])
def test_chrome_lines(line, reason):
    assert chrome.chrome_reason(line) == reason


@pytest.mark.parametrize("line", [
    "（一）以公开助推高质量发展。紧扣发展定位，做好政策公开。",
    "各街道办事处，区政府各部门（单位）：",
    "济南市历城区人民政府办公室",
    "2024年6月27日",
    "附件：2024年济南市历城区政务公开重点工作任务分工",
])
def test_document_lines_are_not_chrome(line):
    assert chrome.chrome_reason(line) is None


def test_footer_facts_become_config_values():
    found = []
    for n, line in enumerate(["Copyright 2013 主办单位:广元市利州区人民政府办公室 部分图片提供:赵辉",
                              "网站维护:广元市电子政务外网运营中心 川公网安备号 51080202000001号",
                              "联系电话:0839-3262313 政府网站标识码5108020014 蜀ICP备08108490号-1",
                              "电子邮箱：lzqzfb@example.gov.cn"], 1):
        chrome.footer_facts(line, n, lambda k, v, l: found.append((k, v, l)))
    assert found == [("organizer", "广元市利州区人民政府办公室", 1),
                     ("police_record", "川公网安备号 51080202000001号", 2),
                     ("icp", "蜀ICP备08108490号-1", 3), ("site_code", "5108020014", 3),
                     ("contact.phone", "0839-3262313", 3), ("contact.email", "lzqzfb@example.gov.cn", 4)]


def test_chrome_elements_by_tag_and_class():
    soup = BeautifulSoup('<nav></nav><div class="bdsharebuttonbox"></div><div class="article-header">'
                         '</div><article><footer></footer></article><div id="footer"></div>', "html.parser")
    nav, share, header, article, footer = soup.find_all(["nav", "div", "article"], recursive=False)
    assert chrome.is_chrome_element(nav, False) and chrome.is_chrome_element(share, False)
    assert chrome.is_chrome_element(footer, False)
    assert not chrome.is_chrome_element(header, False)        # may hold the document title
    assert not chrome.is_chrome_element(article.footer, True)  # an article's own footer


# --- metadata -----------------------------------------------------------------------------------

def test_label_pairs_split_lines_at_labels():
    before, pairs = metadata.label_pairs("发布时间: 2023-05-25   来源: 市政府办公室   信息类型: 政策文件    浏览量:")
    assert before == ""
    assert [(p.field, p.value) for p in pairs] == [
        ("published", "2023-05-25"), ("_source", "市政府办公室"), ("doc_type", "政策文件"), ("_views", "")]
    _, pairs = metadata.label_pairs("索 引 号：11371202K21349004N/2024-6582242")
    assert pairs[0].field == "index_no" and pairs[0].value == "11371202K21349004N/2024-6582242"
    # matched on the simplified form, cut from the original
    _, pairs = metadata.label_pairs("发布日期:2022-04-02", "發布日期:2022-04-02")
    assert pairs[0].label == "發布日期:" and pairs[0].field == "published"
    assert metadata.label_field("发 布 机 构") == "issuer" and metadata.label_field("时　　效") == "validity"


@pytest.mark.parametrize("text, iso", [
    ("2024-06-26", "2024-06-26"), ("2024-6-6", "2024-06-06"), ("2024/06/26", "2024-06-26"),
    ("2024年06月26日", "2024-06-26"), ("2024年6月26日", "2024-06-26"), ("2024-03-15 09:30", "2024-03-15"),
    ("二〇二四年六月二十六日", "2024-06-26"), ("二〇二一年十二月十日", "2021-12-10"),
    ("2024-02-30", None), ("2024年12月底前", None),
])
def test_dates(text, iso):
    assert metadata.parse_date_text(text) == iso


def test_unlabelled_metadata_block_of_seed_000(seeds):
    lines = (seeds / "000_23b8a64f729e6ca4.txt").read_text(encoding="utf-8").split("\n")
    block = {v.field: v.value for v in metadata.unlabelled_block(lines)}
    assert block == {
        "title": "济南市莱芜区人民政府办公室关于印发《2024年莱芜区政务公开工作要点》的通知",
        "index_no": "11371202K21349004N/2024-6582242", "topic": "综合政务、政务公开",
        "doc_no": "莱芜政办发〔2024〕2号", "issuer": "区政府办公室", "written": "2024-06-26",
        "published": "2024-06-26", "validity": "有效"}


def test_shapes():
    assert metadata.is_doc_no("济历城政办发〔2024〕1号") and metadata.is_doc_no("莱芜政办发(2024)2 号")
    assert not metadata.is_doc_no("2024年济南市历城区政务公开工作要点")
    assert metadata.is_org("济宁市兖州区人民政府办公室") and not metadata.is_org("关于印发的通知")
    assert metadata.is_title_like("广元市2023年政务公开重点工作任务安排")
    assert not metadata.is_title_like("（一）以公开助推高质量发展。紧扣发展定位。")
    assert metadata.normalise_validity("现行有效") == "有效" and metadata.normalise_validity("不知道") is None


# --- tables -----------------------------------------------------------------------------------

@pytest.mark.parametrize("header, role", [
    ("工作任务", "task"), ("具体要求", "requirement"), ("工作要求", "requirement"),
    ("责任单位", "units"), ("责任科室", "units"), ("责任部门", "units"), ("牵头单位", "lead"),
    ("完成时限", "deadline"), ("时限要求", "deadline"), ("完成时间", "deadline"), ("序号", "seq"),
    ("推进落实情况", "progress"), ("责任单位（部门）", "units"), ("备  注", "note"), ("附件", None),
])
def test_headers_are_mapped_by_meaning(header, role):
    assert tasktable.header_role(header) == role


def test_cell_text_broken_across_lines_is_joined():
    assert tasktable.join_fragments(["2024年", "", "12月底前"]) == "2024年12月底前"
    assert tasktable.join_fragments(["区住房城乡", "建设局"]) == "区住房城乡建设局"
    assert tasktable.join_fragments(["Internet", "Protocol 6"]) == "Internet Protocol 6"


def test_unit_splitting():
    # 历城: 、-separated, a name broken across lines, 等有关部门（单位） as a note
    u = tasktable.split_units(["各街道办事处、区住房城乡", "", "建设局"], "delimited")
    assert u.names == ["各街道办事处", "区住房城乡建设局"] and u.note is None
    u = tasktable.split_units(["各街道办事处、区发展改革局、市生态环境局历城分局等有关部门（单位）"], "delimited")
    assert u.names == ["各街道办事处", "区发展改革局", "市生态环境局历城分局"] and u.note == "等有关部门（单位）"
    u = tasktable.split_units(["各街道办事处、区民政局、", "区卫生健康局"], "delimited")
    assert u.names == ["各街道办事处", "区民政局", "区卫生健康局"]
    # 兖州: one unit per line, 、 inside a name is kept
    u = tasktable.split_units(["各镇（街道）", "", "区政府各部门、单位"], "lines")
    assert u.names == ["各镇（街道）", "区政府各部门、单位"]
    # a bare 单位 continues the name before it; 牵头 marks a lead unit
    assert tasktable.split_units(["区政府各部门、单位"], "delimited").names == ["区政府各部门、单位"]
    u = tasktable.split_units(["区政府办公室（牵头）、区财政局"], "delimited")
    assert u.names == ["区政府办公室", "区财政局"] and u.lead == ["区政府办公室"]
    # brackets are not split: 各街道(镇)办事处
    assert tasktable.split_units(["各街道(镇)办事处、区直各单位"], "delimited").names == ["各街道(镇)办事处", "区直各单位"]
    assert tasktable.unit_style([["区财政局", "区民政局"], ["区司法局"]]) == "lines"
    assert tasktable.unit_style([["各街道办事处、区财政局"], ["区司法局、区民政局"], ["区住房城乡", "建设局"]]) == "delimited"


def test_spanning_header_is_aligned_by_content():
    rows = [[["序号"], ["工作任务"], ["具体要求"], ["责任单位"], ["完成时限"]],
            [["1"], ["一、推动重点领域主动公开"], ["（一）以信息公开助力经济高质量发展"],
             ["以“项目深化年”为总牵引，重点做好政府信息公开工作。"], ["各街道办事处、区政府各部门（单位）"],
             ["2024年", "12月底前"]],
            [["2"], [], [], ["加大对民间投资发展政策举措的宣传发布力度。"], ["区投资促进局"], []]]
    table = tasktable.parse_grid(rows, "tab", 1, Report("t"))
    assert table is not None
    assert table.columns == ["序号→seq", "工作任务→section", "工作任务→item", "具体要求→requirement",
                             "责任单位→units", "完成时限→deadline"]
    assert [(r.seq, r.section, r.item, r.units, r.deadline) for r in table.rows] == [
        (1, "一、推动重点领域主动公开", "（一）以信息公开助力经济高质量发展",
         ["各街道办事处", "区政府各部门（单位）"], "2024年12月底前"),
        (2, "一、推动重点领域主动公开", "（一）以信息公开助力经济高质量发展", ["区投资促进局"], "2024年12月底前")]
    assert table.filled == {"deadline": 1}


def test_tab_indented_text_table():
    text = ("附件\n2021年任务分工\n\n\t工作任务\n\t具体要求\n\t责任单位\n\n\t一、深化重点领域政府信息公开\n\n"
            "\t（一）立足实施重大战略推进政务公开\n\t主动公开本地区规划。\n\t区发展和改革局\n\n"
            "\t\n\t多形式发布落实高质量发展的进展。\n\t区发展和改革局\n区生态环境分局\n\n\n抄送：区委办公室。\n")
    doc = read_text(text)
    grids = [b for b in doc.blocks if isinstance(b, Grid)]
    assert len(grids) == 1 and grids[0].kind == "tab"
    cells = [[[doc.text(i) for i in c] for c in row] for row in grids[0].rows]
    assert cells[1] == [["一、深化重点领域政府信息公开"]]
    assert cells[3] == [[], ["多形式发布落实高质量发展的进展。"], ["区发展和改革局", "区生态环境分局"]]
    table = tasktable.parse_grid(cells, "tab", 4, Report("t"))
    assert [r.item for r in table.rows] == ["（一）立足实施重大战略推进政务公开"] * 2
    assert table.rows[1].units == ["区发展和改革局", "区生态环境分局"]
    assert doc.text(doc.blocks[-1].piece) == "抄送：区委办公室。"


def test_html_rowspan_and_colspan_are_expanded():
    doc = read_html('<table><tr><td rowspan="2">甲</td><td colspan="2">乙</td></tr>'
                    '<tr><td>丙</td><td>丁<br>戊</td></tr></table><p>正文<br>第二行</p>'
                    '<script>var x = "脚本";</script>', Path("a.html"))
    grid = next(b for b in doc.blocks if isinstance(b, Grid))
    texts = [[[doc.text(i) for i in c] for c in row] for row in grid.rows]
    assert texts == [[["甲"], ["乙"], ["乙"]], [["甲"], ["丙"], ["丁", "戊"]]]
    assert grid.spans == 2
    assert [p.text for p in doc.pieces] == ["甲", "乙", "丙", "丁", "戊", "正文", "第二行"]


def test_units_in_parentheses():
    assert tasktable.trailing_units("（一）做好公开。具体内容。（市司法局、各县区人民政府）") == (
        "（一）做好公开。具体内容。", ["市司法局", "各县区人民政府"])
    assert tasktable.trailing_units("梳理本级历史规划（计划）") is None
    paras = [Para("h2", "长治市2021年政务公开工作要点"), Para("p", "一、扩大公开范围，打造阳光政府"),
             Para("p", "（一）围绕转型发展抓好政策落地公开。要梳理汇总政策。（市直各有关部门、各县区人民政府）"),
             Para("p", "（二）立足重大战略推进政务公开。各级各部门要系统梳理。（市直各有关部门）"),
             Para("p", "二、优化便民举措"),
             Para("p", "在全市实施政务公开“亮点工程”。（各县区人民政府）")]
    table = tasktable.tasks_from_paragraphs(paras, Report("t"))
    assert [(r.section, r.item, r.requirement, r.units) for r in table.rows] == [
        ("一、扩大公开范围，打造阳光政府", "（一）围绕转型发展抓好政策落地公开", "要梳理汇总政策。",
         ["市直各有关部门", "各县区人民政府"]),
        ("一、扩大公开范围，打造阳光政府", "（二）立足重大战略推进政务公开", "各级各部门要系统梳理。", ["市直各有关部门"]),
        ("二、优化便民举措", None, "在全市实施政务公开“亮点工程”。", ["各县区人民政府"])]


# --- writing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, written", [
    ("1. 聚焦经济高质量发展", "1.聚焦经济高质量发展"),          # numbered, no space: a heading, not a list
    ("（一）以公开助推", "（一）以公开助推"),
    ("# 不是标题", "\\# 不是标题"), ("- 不是列表", "\\- 不是列表"), ("> 不是引用", "\\> 不是引用"),
    ("+86 电话", "\\+86 电话"), ("2024. 年度", "2024\\. 年度"), ("---", "\\---"),
    ("含*星号*和_下划线_及[方括号]与`反引号`", "含\\*星号\\*和\\_下划线\\_及\\[方括号\\]与\\`反引号\\`"),
    ("　　缩进的段落", "缩进的段落"), ("    四个空格", "四个空格"),
    ("见<http://www.gov.cn>与&amp;和<b>粗</b>", "见&lt;http://www.gov.cn>与&amp;amp;和&lt;b>粗&lt;/b>"),
    ("A&B 不是实体", "A&B 不是实体"),
])
def test_markdown_escaping(text, written):
    assert writer.escape_paragraph(text) == written


def test_escaped_paragraphs_render_as_text():
    from generator.content.documents import markdown_converter
    md = markdown_converter()
    for text in ("# 不是标题", "- 不是列表", "1. 第一", "含*星号*和_下划线_", "2024. 年度", "> 引用",
                 "<script>alert(1)</script>", "见<http://www.gov.cn>", "&amp;与&#39;"):
        html = md.reset().convert(writer.escape_paragraph(text))
        assert BeautifulSoup(html, "html.parser").get_text().strip() == text.replace("1. ", "1.")
        assert "<li>" not in html and "<em>" not in html and "<blockquote>" not in html
        assert "<script" not in html and "<a " not in html


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_yaml_scalars_read_back(value):
    assert load_yaml(f"k: {writer.yaml_scalar(value)}\n")["k"] == value


def test_front_matter_reads_back():
    meta = {"title": "关于印发《要点》的通知", "doc_no": "莱芜政办发〔2024〕2号", "written": "2024-06-26",
            "disclosure": "主动公开", "topic": "综合政务: 政务公开 #1",
            "attachments": [{"title": "附件一", "note": "原网站仅以图片形式发布此附件，本站未收录。"}]}
    text = writer.front_matter(meta)
    assert dict(load_yaml(text.split("---\n")[1])) == meta


# --- units, scopes and ids -----------------------------------------------------------------------

@pytest.mark.parametrize("issuer, place, scope", [
    ("济南市历城区人民政府办公室", "济南市历城区", "licheng"),
    ("济宁市兖州区人民政府办公室", "济宁市兖州区", "yanzhou"),
    ("长治市人民政府办公室", "长治市", "changzhi"),        # 长 read chang in place names
    ("济南市历城区教育和体育局", "济南市历城区", "licheng"),
    ("北京市通州区人民政府办公室", "北京市通州区", "tongzhou"),
    ("和县人民政府", "和县", "hexian"),
    ("區政府辦公室", None, None),
])
def test_scope_from_issuer(issuer, place, scope):
    assert unitfile.jurisdiction(issuer) == place
    assert (unitfile.scope_id(place) if place else None) == scope


def test_new_units_file(tmp_path):
    plan = unitfile.plan_units(tmp_path, "licheng", "济南市历城区", ["区政府办公室", "区财政局", "区政府办公室"])
    assert plan.text == ("name: 济南市历城区\nunits:\n  - id: licheng-qzfbgs\n    name: 区政府办公室\n"
                         "  - id: licheng-qczj\n    name: 区财政局\n")
    assert plan.added == ["区政府办公室", "区财政局"]


def test_existing_units_file_is_only_appended_to(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    original = ("# 历城区的责任单位\nname: 济南市历城区\nunits:\n"
                "    - id: licheng-qzfbgs      # 不要改\n      name: 区政府办公室\n      aliases: [区政府办]\n"
                "    - id: licheng-qczj\n      name: 区财政局\n\n# 以后再加\nnote_for_editors: 保留\n")
    (units / "licheng.yaml").write_text(original, encoding="utf-8")
    (units / "other.yaml").write_text("name: 别处\nunits:\n  - id: licheng-qmzj\n    name: 别的\n", encoding="utf-8")
    plan = unitfile.plan_units(tmp_path, "licheng", None, ["区政府办", "区民政局", "区财政局", "区政府(办公室)"])
    assert plan.added == ["区民政局", "区政府(办公室)"]
    assert plan.text.startswith(original.split("\n# 以后再加")[0].rstrip("\n"))
    data = load_yaml(plan.text)
    assert [u["id"] for u in data["units"]] == ["licheng-qzfbgs", "licheng-qczj", "licheng-qmzj-2", "licheng-qzfbgs-2"]
    assert data["note_for_editors"] == "保留" and "# 不要改" in plan.text and "# 以后再加" in plan.text


def test_flow_style_units_file_is_not_rewritten(tmp_path):
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "x.yaml").write_text("name: X\nunits: [{id: x-a, name: 甲}]\n", encoding="utf-8")
    with pytest.raises(unitfile.UnitsFileError, match="无法自动追加"):
        unitfile.plan_units(tmp_path, "x", None, ["乙"])


def test_document_ids():
    assert derive_doc_id({"title": "济南市莱芜区人民政府办公室关于印发《2024年莱芜区政务公开工作要点》的通知",
                          "written": "2024-06-26"}, "laiwu") == "laiwu-2024-gzyd"
    assert derive_doc_id({"title": "关于印发2021年济宁市兖州区政务公开重点工作任务分工的通知",
                          "written": "2021-07-29"}, "yanzhou") == "yanzhou-2021-rwfg"
    assert derive_doc_id({"title": "关于做好某项工作的通知", "doc_no": "济历城政办发〔2024〕1号"}, None) == "jlczbf-2024-1"
    assert derive_doc_id({"title": "Notice"}, None).startswith("doc-")
