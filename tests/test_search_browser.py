"""站内搜索 in a real browser: Chinese phrases, full pinyin, initials, typos and mixtures
find the expected documents first; facets narrow the results; tasks are found by unit and
requirement; nothing from the index is rendered as markup; the page works from the
keyboard and without JavaScript; axe finds nothing with results shown (标准版 and 关怀版)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browser import CHROMIUM_ARGS, chromium_path, serve_folder
from conftest import MINIMAL_CONFIG, SiteMaker
from generator.build import build_site
from test_accessibility import AXE, axe, new_page

pytestmark = pytest.mark.browser

# A small site whose answers are known: which document has 依申请公开 in its title, in a
# heading, in its body, and which has all four bigrams of it but not the phrase.
DOCS = {
    "a-title": ("关于做好依申请公开工作的通知", "2024-03-01", "测试区人民政府办公室", "综合政务", "有效",
                "各单位：\n\n现就依申请公开工作通知如下。\n\n一、总体要求\n\n提高办理质量。\n"),
    "b-heading": ("2023年工作要点", "2023-05-01", "测试区财政局", "财政金融", "有效",
                  "一、规范依申请公开办理\n\n严格按期答复。\n\n二、其他事项\n\n做好政务公开工作。\n"),
    "c-body": ("关于加强信息发布的通知", "2024-02-01", "测试区人民政府办公室", "综合政务", "有效",
               "各单位：\n\n要按照规定做好依申请公开，及时答复。\n"),
    "d-scattered": ("关于依法履职的通知", "2024-01-15", "测试区人民政府办公室", "综合政务", "有效",
                    "各单位：\n\n依申报材料审核。提出申请。请公布结果。主动公开信息。\n"),
    "e-zwgk": ("政务公开工作要点", "2022-06-01", "测试区人民政府办公室", "综合政务", "全文废止",
               "各单位：\n\n深化政务公开，推进政务公开标准化。\n"),
    "x-markup": ('<img src=x onerror=alert(1)>关于标记的通知', "2021-01-01", "测试区人民政府办公室", "综合政务",
                 "有效", "正文：<b>粗体</b> onerror 测试。\n"),
}
TASKS = """\
caption: 政务公开工作要点任务分工
tasks:
  - seq: 1
    section: 一、重点工作
    item: （一）预算公开
    requirement: 落实预算公开要求，做好依申请公开答复。
    units: [区财政局]
    deadline: 2022年12月底前
  - seq: 2
    section: 一、重点工作
    item: （二）平台建设
    requirement: 建设政府网站集约化平台。
    units: [区政府办]
    deadline: 长期坚持
"""


def make_search_site(root: Path) -> SiteMaker:
    site = SiteMaker(root)
    site.write("config.yaml", MINIMAL_CONFIG)
    for doc_id, (title, date, issuer, topic, validity, body) in DOCS.items():
        front = (f"title: {json.dumps(title, ensure_ascii=False)}\ndisclosure: 主动公开\npublished: {date}\n"
                 f"issuer: {issuer}\ntopic: {topic}\nvalidity: {validity}\nunit_scope: local\n")
        site.document(doc_id, front=front, body=body, tasks=TASKS if doc_id == "e-zwgk" else None)
    site.document("w-old", front="title: 撤销专用标题\ndisclosure: 主动公开\npublished: 2020-01-01\n"
                                 "withdrawn: 2021-01-01\n", body="撤销专用正文。\n")
    site.write("content/interpretations/e-zwgk-jd.md", """\
        ---
        title: 《政务公开工作要点》解读
        interprets: [e-zwgk]
        form: 文字解读
        published: 2022-06-02
        contact: 区政府办公室 0000-0000000
        ---
        解读正文：深化政务公开。
        """)
    return site


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("search") / "site"
    site = make_search_site(root)
    out = root.parent / "out"
    build_site(site.root, out)
    server, base = serve_folder(out)
    yield base
    server.shutdown()


@pytest.fixture(scope="module")
def example(example_output):
    server, base = serve_folder(example_output)
    yield base
    server.shutdown()


FINAL = "(() => { const t = document.getElementById('search-status').textContent; return /结果|没有|请输入/.test(t); })()"


def run_query(page, base: str, query: str) -> dict:
    page.goto(base + "search/")
    page.fill("#search-q", query)
    page.press("#search-q", "Enter")
    page.wait_for_function(FINAL, timeout=15000)
    return results(page)


def results(page) -> dict:
    return page.evaluate("""(() => ({
        status: document.getElementById('search-status').textContent,
        note: document.getElementById('search-note').hidden ? '' : document.getElementById('search-note').textContent,
        urls: [...document.querySelectorAll('.search-result h3 a')].map(a => a.getAttribute('href')),
        titles: [...document.querySelectorAll('.search-result h3')].map(h => h.textContent),
        marks: [...document.querySelectorAll('.search-result mark')].map(m => m.textContent),
    }))()""")


def doc_ids(found: dict) -> list[str]:
    return [re.sub(r"^\.\./(documents|interpretations)/([^/]+)/.*$", r"\2", u) for u in found["urls"]]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    yield p
    context.close()
    assert errors == []


def test_chinese_phrase_ranks_title_then_headings_then_body(page, small):
    found = run_query(page, small, "依申请公开")
    ids = doc_ids(found)
    assert ids[:3] == ["a-title", "b-heading", "c-body"], ids
    assert "d-scattered" not in ids, "characters of the phrase scattered over a page do not match"
    assert "e-zwgk" in ids[3:], "the task whose requirement has the phrase is found"
    assert any(u.endswith("documents/e-zwgk/tasks/#task-1") for u in found["urls"])
    assert "找到 4 条结果" in found["status"]
    assert set(found["marks"]) == {"依申请公开"}
    # a hit in a heading links to that section of the document
    assert found["urls"][1] == "../documents/b-heading/#p1"
    # date and issuer are shown
    first = page.locator(".search-result").first
    assert "2024-03-01" in first.inner_text() and "测试区人民政府办公室" in first.inner_text()


@pytest.mark.parametrize("query, how", [("yishenqing", "已按“依申请”"), ("ysq", "已按“依申请”"),
                                         ("yi shen qing", "已按“依申请”"), ("yishenq", "已按“依申请”"),
                                         ("yishengqing", "可能有误"), ("yishneqing", "可能有误"),
                                         ("依申请gk", "已按“依申请公开”"), ("依申清公开", "同音字")])
def test_pinyin_initials_typos_and_mixtures(page, small, query, how):
    found = run_query(page, small, query)
    assert doc_ids(found)[0] == "a-title", (query, found)
    assert how in found["note"], found["note"]
    assert "d-scattered" not in doc_ids(found)


def test_initials_of_a_longer_phrase(page, small):
    found = run_query(page, small, "zwgk")
    assert doc_ids(found)[:2] == ["e-zwgk", "e-zwgk-jd"], found     # both titles; the document first
    assert "已按“政务公开”" in found["note"]
    assert "全文废止" in page.locator(".search-result").first.inner_text()


def test_tasks_found_by_unit_and_by_requirement(page, small):
    found = run_query(page, small, "区财政局")
    assert found["urls"] == ["../documents/e-zwgk/tasks/#task-1"]
    item = page.locator(".search-result").first.inner_text()
    assert "任务分工" in item and "《政务公开工作要点》任务分工" in item and "责任单位：区财政局" in item
    found = run_query(page, small, "集约化平台")
    assert found["urls"] == ["../documents/e-zwgk/tasks/#task-2"]
    # the canonical name of a unit published under an alias (区政府办 → 区政府办公室)
    found = run_query(page, small, "区政府办公室")
    assert "../documents/e-zwgk/tasks/#task-2" in found["urls"]


def test_facets_filter_the_results_from_the_keyboard(page, small):
    found = run_query(page, small, "公开")
    total = len(found["urls"])
    assert total >= 6
    legends = page.locator("fieldset.facet legend").all_inner_texts()
    assert legends[:2] == ["内容类型", "年份"] and "发布机构" in legends and "有效性" in legends
    year = page.locator("fieldset.facet:has(legend:text('年份')) label:has-text('2024') input")
    year.focus()
    page.keyboard.press("Space")
    page.wait_for_function("/筛选后/.test(document.getElementById('search-status').textContent)")
    narrowed = results(page)
    assert 0 < len(narrowed["urls"]) < total
    assert all("2024-" in t for t in page.locator(".search-result .result-meta").all_inner_texts())
    assert page.evaluate("document.activeElement.type") == "checkbox", "focus stays on the checkbox"
    assert page.evaluate("document.activeElement.checked")
    # counts follow the other facets: no task of 2024, so no 任务分工 to choose
    assert page.locator("fieldset.facet:has(legend:text('内容类型')) label:has-text('任务分工')").count() == 0
    page.keyboard.press("Space")
    page.wait_for_function("/找到/.test(document.getElementById('search-status').textContent)")
    assert len(results(page)["urls"]) == min(total, 10)
    page.locator("fieldset.facet:has(legend:text('内容类型')) label:has-text('任务分工') input").check()
    page.wait_for_function("/筛选后/.test(document.getElementById('search-status').textContent)")
    metas = page.locator(".search-result .result-meta").all_inner_texts()
    assert metas and all(t.startswith("任务分工") for t in metas)
    page.locator("#search-clear").click()
    page.wait_for_function("/找到/.test(document.getElementById('search-status').textContent)")
    assert len(results(page)["urls"]) == min(total, 10)


def test_index_text_is_never_markup(page, small):
    found = run_query(page, small, "onerror")
    assert "../documents/x-markup/" in found["urls"]
    assert any("<img src=x onerror=alert(1)>" in t for t in found["titles"])
    assert page.locator(".search-list img, .search-list b, .search-list script").count() == 0


def test_withdrawn_documents_are_not_found(page, small):
    found = run_query(page, small, "撤销专用")
    assert found["urls"] == [] and "没有找到" in found["status"]


def test_header_form_leads_to_results(page, small):
    page.goto(small + "documents/c-body/")
    page.fill("#header-search-q", "ysq")
    page.press("#header-search-q", "Enter")
    page.wait_for_function(FINAL)
    assert "search/?q=ysq" in page.url
    assert doc_ids(results(page))[0] == "a-title"
    assert page.input_value("#search-q") == "ysq"


def test_keyboard_only_search(page, example):
    page.goto(example + "search/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "search-q":
            break
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.type("zwgk")
    page.keyboard.press("Enter")
    page.wait_for_function(FINAL)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.search-result') !== null"):
            break
    assert page.evaluate("document.activeElement.tagName") == "A"
    target = page.evaluate("document.activeElement.href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == target


def test_without_javascript_the_page_says_so(browser, example):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(example + "search/?q=ysq")
    message = page.locator(".search-noscript")
    assert message.is_visible() and "JavaScript" in message.inner_text()
    for name, url in (("按年份浏览", "../years/"), ("按发布机构浏览", "../issuers/"), ("按主题分类浏览", "../topics/")):
        assert message.get_by_role("link", name=name).get_attribute("href") == url
    assert page.locator("#search-q").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


@pytest.mark.parametrize("mode", ["standard", "care", "contrast"])
def test_no_axe_violations_with_results_shown(browser, example, mode):
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `make test` (npm ci installs it)")
    context, page = new_page(browser, mode)
    run_query(page, example, "ysq")
    details = page.locator("#search-facet-details")
    assert details.evaluate("d => d.open") == (mode != "care"), "in 关怀版 the filters start folded"
    if mode == "care":
        page.locator("#search-facet-details > summary").focus()
        page.keyboard.press("Enter")
    page.locator("fieldset.facet:has(legend:text('年份')) input").first.check()
    page.wait_for_function("/筛选后/.test(document.getElementById('search-status').textContent)")
    assert page.locator(".search-result").count() > 0 and page.locator(".search-note button").count() > 0
    found = axe(page, None if mode == "standard" else "color-contrast-enhanced")
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        found.append(f"horizontal scrolling at 320 px: {width}")
    levels = page.evaluate("[...document.querySelectorAll('main h1,main h2,main h3')].map(h => +h.tagName[1])")
    if any(b > a + 1 for a, b in zip(levels, levels[1:])):
        found.append(f"heading levels skip: {levels}")
    context.close()
    assert found == []


def test_care_mode_sizes_on_the_search_page(browser, example):
    context, page = new_page(browser, "care", width=375)
    run_query(page, example, "ysq")
    page.locator("#search-facet-details > summary").click()
    small_controls = page.evaluate("""[...document.querySelectorAll(
            'main button, main input[type=search], main summary, .facet-option, .header-search button')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim() || e.id, e.getBoundingClientRect().width, e.getBoundingClientRect().height])
        .filter(([t, w, h]) => w < 60 || h < 60)""")
    assert small_controls == []
    tiny = page.evaluate("""[...document.querySelectorAll('main p, main li, main label, main legend, main span, main a, main button, main input')]
        .filter(e => e.offsetParent !== null && e.textContent.trim() && parseFloat(getComputedStyle(e).fontSize) < 20)
        .map(e => e.textContent.trim().slice(0, 20))""")
    assert tiny == []
    page.locator("#search-q").focus()
    assert float(page.evaluate("getComputedStyle(document.activeElement).outlineWidth").rstrip("px")) >= 3
    context.close()
