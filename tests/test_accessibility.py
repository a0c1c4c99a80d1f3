"""Accessibility in a real browser: axe-core on every page in both modes, keyboard use,
reflow at 320 px, 关怀版 figures, no flash of the wrong mode, no external requests, and
screenshots (written to test-artifacts/, not committed) for people to look at."""
from __future__ import annotations

import json

import pytest

from browser import CHROMIUM_ARGS, chromium_path, serve_folder
from conftest import REPO

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def site(example_output):
    from playwright.sync_api import sync_playwright
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `make test` (npm ci installs it)")
    server, base = serve_folder(example_output)
    pages = sorted(p.relative_to(example_output).as_posix() for p in example_output.rglob("*.html"))
    urls = [("" if p == "index.html" else p.removesuffix("index.html")) for p in pages]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser, base, urls
        browser.close()
    server.shutdown()


def axe(page, extra_rule: str | None = None) -> list[str]:
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    found = page.evaluate("opts => axe.run(document, opts).then(r => r.violations)", options)
    if extra_rule:
        found += page.evaluate("opts => axe.run(document, opts).then(r => r.violations)",
                               {"runOnly": {"type": "rule", "values": [extra_rule]}, "resultTypes": ["violations"]})
    return [f"{v['id']}: {v['help']} @ {[n['target'] for n in v['nodes']][:3]}" for v in found]


def new_page(browser, mode: str, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    prefs = {"care": "{mode: 'care'}", "contrast": "{contrast: true}"}.get(mode)
    if prefs:
        context.add_init_script(f"localStorage.setItem('gongkai-prefs', JSON.stringify({prefs}))")
    return context, context.new_page()


@pytest.mark.parametrize("mode", ["standard", "care", "contrast"])
def test_every_page_has_no_axe_violations_and_reflows(site, mode):
    browser, base, urls = site
    context, page = new_page(browser, mode)
    problems = {}
    external = []
    page.on("request", lambda r: None if r.url.startswith(base) else external.append(r.url))
    for url in urls:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(base + url)
        assert page.evaluate("document.documentElement.classList.contains('care')") == (mode == "care")
        found = axe(page, None if mode == "standard" else "color-contrast-enhanced")
        page.set_viewport_size({"width": 320, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > 320:
            found.append(f"horizontal scrolling at 320 px: scrollWidth {overflow}")
        if page.locator("h1").count() != 1:
            found.append(f"{page.locator('h1').count()} h1 elements")
        levels = page.evaluate("[...document.querySelectorAll('main h1,main h2,main h3,main h4,main h5,main h6')].map(h => +h.tagName[1])")
        if any(b > a + 1 for a, b in zip(levels, levels[1:])):
            found.append(f"heading levels skip: {levels}")
        if found:
            problems[url or "/"] = found
    context.close()
    assert len(urls) > 60
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert external == []


def test_care_mode_figures(site):
    browser, base, _ = site
    context, page = new_page(browser, "care", width=375)
    for url in ("documents/licheng-2024-gkyd/tasks/", "documents/laiwu-2024-gkyd/", ""):
        page.goto(base + url)
        body = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('main p') || document.body);"
                             " return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; })()")
        assert body[0] >= 20 and body[1] / body[0] >= 1.6, (url, body)
        tiny = page.evaluate("""[...document.querySelectorAll('main p, main li, main td, main th, footer p, .toolbar button')]
            .filter(e => e.offsetParent !== null && parseFloat(getComputedStyle(e).fontSize) < 20)
            .map(e => e.textContent.trim().slice(0, 20))""")
        assert tiny == [], (url, tiny)
        small = page.evaluate("""[...document.querySelectorAll('button, .site-nav a')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim(), e.getBoundingClientRect().width, e.getBoundingClientRect().height])
            .filter(([t, w, h]) => w < 60 || h < 60)""")
        assert small == [], (url, small)
        # one column of content: nothing sits beside the main text
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") >= 375 - 40
    page.goto(base + "documents/laiwu-2024-gkyd/")
    page.locator(".toolbar [data-mode=care]").focus()
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.rstrip("px")) >= 3
    context.close()


def test_keyboard_reaches_controls_and_switches_mode(site):
    browser, base, _ = site
    context, page = new_page(browser, "standard")
    page.goto(base + "documents/laiwu-2024-gkyd/")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(() => { const e = document.activeElement; return e.textContent.trim() + '|' + e.tagName; })()"))
    names = [s.split("|")[0] for s in seen]
    assert names[0] == "跳到正文"
    for control in ("标准版", "关怀版", "标准", "大", "特大", "高对比度", "首页"):
        assert control in names, (control, names)
    # the switch works from the keyboard, and the choice persists across pages
    page.locator(".toolbar [data-mode=care]").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.classList.contains('care')")
    assert page.locator(".toolbar [data-mode=care]").get_attribute("aria-pressed") == "true"
    page.locator(".toolbar [data-font='2']").focus()
    page.keyboard.press("Space")
    assert page.evaluate("document.documentElement.dataset.font") == "2"
    page.goto(base + "units/")
    assert page.evaluate("document.documentElement.classList.contains('care')")
    # the skip link moves focus into the main content
    page.goto(base + "documents/laiwu-2024-gkyd/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    # ?mode=standard turns 关怀版 off and remembers it; ?mode=care turns it on
    page.goto(base + "documents/laiwu-2024-gkyd/?mode=standard")
    assert not page.evaluate("document.documentElement.classList.contains('care')")
    page.goto(base + "years/")
    assert not page.evaluate("document.documentElement.classList.contains('care')")
    page.goto(base + "years/?mode=care")
    assert page.evaluate("document.documentElement.classList.contains('care')")
    assert "mode=" not in page.url
    page.goto(base + "topics/")
    assert page.evaluate("document.documentElement.classList.contains('care')")
    context.close()


def test_no_flash_of_the_wrong_mode(site):
    browser, base, _ = site
    context = browser.new_context()
    context.add_init_script("localStorage.setItem('gongkai-prefs', JSON.stringify({mode: 'care'}))")
    # record the <html> classes at the moment <body> is first parsed, before any paint
    context.add_init_script("""new MutationObserver((m, obs) => { if (document.body) {
        window.__classAtBody = document.documentElement.className; obs.disconnect(); } })
        .observe(document, {childList: true, subtree: true});""")
    page = context.new_page()
    page.goto(base + "documents/laiwu-2024-gkyd/")
    assert "care" in page.evaluate("window.__classAtBody")
    context.close()


def test_readable_without_javascript(site):
    browser, base, _ = site
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base + "documents/licheng-2024-gkyd/tasks/")
    assert page.locator(".toolbar").is_hidden()
    assert page.locator("table.task-table tbody tr").count() == 59
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_text_resizes_to_200_percent_and_print_style(site):
    browser, base, urls = site
    context, page = new_page(browser, "standard", width=1280)
    for url in ("documents/licheng-2024-gkyd/tasks/", "documents/guangyuan-2023-rwap/", "units/"):
        page.goto(base + url)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
    page.goto(base + "documents/laiwu-2024-gkyd/")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.site-nav')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.print-url')).display") == "block"
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    assert "laiwu-2024-gkyd" in page.locator(".print-url").inner_text()
    context.close()


def test_read_aloud_shown_only_where_supported(site):
    browser, base, _ = site
    context, page = new_page(browser, "standard")
    page.goto(base + "documents/laiwu-2024-gkyd/")
    supported = page.evaluate("'speechSynthesis' in window")
    assert page.locator(".read-aloud").is_visible() == supported
    if supported:
        assert page.locator("[data-speech=play]").inner_text() == "朗读全文"
        assert page.locator("[data-speech=stop]").is_disabled()
    context.close()
    context = browser.new_context()
    context.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    page = context.new_page()
    page.goto(base + "documents/laiwu-2024-gkyd/")
    assert page.locator(".read-aloud").is_hidden()
    assert page.locator(".read-aloud").count() == 1
    context.close()


def test_screenshots_for_review(site):
    browser, base, _ = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    written = []
    for mode in ("standard", "care"):
        for width in (1280, 375):
            context, page = new_page(browser, mode, width)
            for name, url in (("document", "documents/licheng-2024-gkyd/"), ("tasks", "documents/licheng-2024-gkyd/tasks/")):
                page.goto(base + url)
                path = ARTIFACTS / f"{name}-{mode}-{width}.png"
                page.screenshot(path=str(path), full_page=False)
                written.append(path)
            context.close()
    assert all(p.stat().st_size > 5000 for p in written)
