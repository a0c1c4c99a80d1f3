"""A reader's first look in a real browser: the document and task pages render in Chinese,
the task table is a real table, and narrow phones get stacked rows without sideways scrolling."""
from __future__ import annotations

import pytest

from browser import CHROMIUM_ARGS, chromium_path, serve_folder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(example_output):
    from playwright.sync_api import sync_playwright
    server, base = serve_folder(example_output)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b, base
        b.close()
    server.shutdown()


def test_task_table_and_reflow(browser, tmp_path_factory):
    b, base = browser
    page = b.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "documents/licheng-2024-gkyd/tasks/")
    assert page.locator("h1").inner_text() == "2024年济南市历城区政务公开重点工作任务分工"
    assert page.locator("table.task-table tbody tr").count() == 59
    # Chinese glyphs really render (a missing CJK font would give zero-width or tofu boxes
    # of one fixed width; real glyphs make a 16-character heading wide)
    width = page.evaluate("document.querySelector('h1').getBoundingClientRect().width")
    assert width > 300
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.locator("td.c-req .label").first.is_visible()
    assert page.locator("td.c-req").first.inner_text().startswith("具体要求：")
    # rows covered by a merged cell repeat its section and item for the stacked layout
    assert "（一）以信息公开助力经济高质量发展" in page.locator("#task-2 .c-ctx").inner_text()
    shots = tmp_path_factory.mktemp("screens")
    page.screenshot(path=str(shots / "tasks-320.png"))
    assert (shots / "tasks-320.png").stat().st_size > 1000


def test_document_page_anchor_and_skip_link(browser):
    b, base = browser
    page = b.new_page(viewport={"width": 375, "height": 800})
    page.goto(base + "documents/laiwu-2024-gkyd/#p6-16")
    assert page.locator("#p6-16").inner_text().startswith("(十六)加强督导落实")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(base + "documents/laiwu-2024-gkyd/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
