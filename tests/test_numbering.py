"""Numbered parts of official documents become nested headings with stable anchors."""
import pytest
from bs4 import BeautifulSoup

from generator.content.documents import markdown_converter, render_body
from generator.numbering import chinese_number, match_marker


@pytest.mark.parametrize("text,value", [("一", 1), ("十", 10), ("十六", 16), ("二十", 20),
                                        ("二十三", 23), ("一百零五", 105), ("12", 12)])
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize("text,expected", [
    ("一、总体要求", ("part", 1)), ("（十六）加强督导落实。", ("item", 16)),
    ("(三)以公开助推", ("item", 3)), ("1.聚焦经济", ("sub", 1)), ("2．规范", ("sub", 2)),
    ("（1）要点", ("point", 1)), ("2021年是开局之年", None), ("1.5亿元", None),
    ("12345热线", None), ("十四五规划", None),
])
def test_markers(text, expected):
    assert match_marker(text) == expected


def render(text: str) -> BeautifulSoup:
    html, _ = render_body(markdown_converter(), text)
    return BeautifulSoup(html, "html.parser")


def test_levels_anchors_and_lead_sentences():
    soup = render("各单位：\n\n## 要点\n\n一、总体要求\n\n说明。\n\n（一）以公开助推发展。紧扣定位。\n\n"
                  "1.聚焦经济。具体内容。\n\n二、保障措施\n\n（一）健全体系。各级各部门。\n")
    heads = [(h.name, h.get("id"), h.get_text()) for h in soup.find_all(["h2", "h3", "h4", "h5"])]
    assert heads == [("h2", "t1", "要点"), ("h3", "p1", "一、总体要求"),
                     ("h4", "p1-1", "（一）以公开助推发展。"), ("h5", "p1-1-1", "1.聚焦经济。"),
                     ("h3", "p2", "二、保障措施"), ("h4", "p2-1", "（一）健全体系。")]
    # the rest of a run-in paragraph stays a paragraph, text unchanged
    assert [p.get_text() for p in soup.find_all("p")] == ["各单位：", "说明。", "紧扣定位。", "具体内容。", "各级各部门。"]


def test_numbering_without_explicit_heading_starts_at_h2():
    soup = render("一、加强组织保障，落实工作责任。各级各部门要高度重视。\n\n二、突出公开重点。内容。\n")
    assert [h.name for h in soup.find_all(["h2", "h3"])] == ["h2", "h2"]


def test_repeated_numbers_get_unique_anchors():
    soup = render("一、甲\n\n## 乙\n\n一、丙\n")
    ids = [h["id"] for h in soup.find_all(["h2", "h3"])]
    assert len(ids) == len(set(ids)) == 3


def test_long_numbered_paragraph_without_full_stop_stays_a_paragraph():
    long = "（一）" + "很长的文字" * 20
    soup = render(long + "\n")
    assert soup.find("h2") is None and soup.find("p")["id"] == "p1"


def test_raw_html_is_escaped_not_run():
    soup = render("<script>alert(1)</script>\n\n正文<b onclick=x>粗</b>\n")
    assert soup.find("script") is None and soup.find("b") is None
    assert "<script>" in soup.get_text()


def test_explicit_headings_never_skip_levels():
    soup = render("#### 深标题\n\n###### 更深\n\n# 顶级\n")
    assert [h.name for h in soup.find_all(["h2", "h3", "h4", "h5", "h6"])] == ["h2", "h3", "h2"]
