"""Markup safety against a corpus of XSS payloads (tests/data/xss-payloads.txt).

Every payload is injected into every place an editor or webmaster writes text: the body
(under each raw-HTML policy), every front-matter value, every task field, unit names and
config values; every URL payload as a Markdown link, image, reference link and autolink
and as a config link. Each injection must end either in an error naming file and line,
or in pages whose DOM has no script, event handler, dangerous URL or active element that
the theme itself does not have."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import MINIMAL_CONFIG
from generator.build import build_site
from generator.config import load_config
from generator.problems import Problems
from generator.sanitize import URL_ATTRIBUTES, is_dangerous, normalise_url, sanitize_html
from generator.site import load_site

DATA = Path(__file__).parent / "data" / "xss-payloads.txt"


def load_corpus() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"html": [], "url": []}
    current = None
    for line in DATA.read_text(encoding="utf-8").split("\n"):
        if line.startswith("## "):
            current = line[3:].strip()
        elif line.startswith("# ") or not line or current is None:
            continue
        else:
            sections[current].append(line)
    return sections


CORPUS = load_corpus()
HTML, URLS = CORPUS["html"], CORPUS["url"]
DANGEROUS_URLS = [u for u in URLS if not u.startswith(("https://", "x\""))]
TRIED = {"injections": 0, "blocked": 0, "rendered": 0}

# Elements that run code, load content or submit data. A page may contain one only if
# the theme itself puts it on the same page (its own script and stylesheet).
ACTIVE = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "form",
          "input", "button", "textarea", "select", "keygen", "video", "audio", "source", "svg",
          "math", "style", "link", "portal", "template", "marquee", "isindex", "xmp",
          "noscript", "details", "body", "html", "head"}


def _norm(value: str) -> str:
    # the same theme element on pages at different depths, or the page's own address
    value = re.sub(r"^https://test\.example\.gov\.cn/.*", "(this site)", value)
    return re.sub(r"^(\./|\.\./)+", "", value)


class _Features(HTMLParser):
    """Everything on a page that could run code or navigate somewhere dangerous."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[tuple] = set()

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attr_list}
        if tag in ACTIVE or (tag == "meta" and "http-equiv" in attrs):
            self.found.add(("element", tag, tuple(sorted((k, _norm(v)) for k, v in attrs.items()))))
        for name, value in attrs.items():
            if name.startswith("on") or name in ("srcdoc", "formaction"):
                self.found.add(("handler", tag, name, value))
            if name in URL_ATTRIBUTES and is_dangerous(value):
                self.found.add(("url", tag, name, value))
            if name == "style" and re.search(r"url\(|expression|javascript", normalise_url(value)):
                self.found.add(("style", tag, value))

    handle_startendtag = handle_starttag


def features(html: str) -> set[tuple]:
    parser = _Features()
    parser.feed(html)
    parser.close()
    return parser.found


def site_features(folder: Path) -> set[tuple]:
    out: set[tuple] = set()
    for page in sorted(folder.rglob("*.html")):
        out |= features(page.read_text(encoding="utf-8"))
    return out


def write_payload_site(root: Path, policy: str, html: list[str], urls: list[str],
                       count: bool = True) -> dict[str, str]:
    """A site with one document per payload; returns {document id: payload}."""
    tried = TRIED if count else dict(TRIED)
    if root.exists():
        shutil.rmtree(root)
    units = [{"id": f"u{i}", "name": f"{p}单位{i}", "aliases": [f"别名{i}{p}"]} for i, p in enumerate(html)]
    (root / "content/units").mkdir(parents=True)
    (root / "content/units/local.yaml").write_text(
        yaml.safe_dump({"name": "测试区" + html[0], "units": units}, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load(MINIMAL_CONFIG)
    config.update({
        "raw_html": policy, "name": " ".join(html[:6]), "organizer": " ".join(html[6:12]),
        "police_record": html[12], "contact": {"address": html[13], "hours": html[14]},
        # every page repeats the footer: all payloads there under one policy is enough
        "footer_links": [{"title": p, "url": "https://example.gov.cn/"} for p in
                         (html if policy == "escape" else html[:5])]
        + [{"title": "链接", "url": u} for u in urls if u not in DANGEROUS_URLS],
    })
    (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    tried["injections"] += 5 + len(config["footer_links"])
    docs: dict[str, str] = {}

    def document(doc_id: str, front: dict, body: str, tasks: dict | None = None) -> None:
        folder = root / "content/documents" / doc_id
        folder.mkdir(parents=True)
        (folder / "index.md").write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body,
                                         encoding="utf-8")
        if tasks:
            (folder / "tasks.yaml").write_text(yaml.safe_dump(tasks, allow_unicode=True), encoding="utf-8")

    for i, p in enumerate(html):
        doc_id = f"h{i:03d}"
        docs[doc_id] = p
        front = {"title": p, "disclosure": "主动公开", "published": "2024-06-26", "issuer": p, "topic": p,
                 "doc_no": p, "index_no": f"{p}-{i}", "doc_type": p, "keywords": [p, "甲"],
                 "validity": "部分失效", "tasks_note": p, "unit_scope": "local",
                 "attachments": [{"title": p, "note": p}]}
        tasks = {"caption": p, "tasks": [{"seq": 1, "section": p, "item": p, "requirement": p,
                                          "units": [f"{p}单位{i}", f"别名{i}{p}"], "units_note": p,
                                          "lead_units": [f"{p}单位{i}"], "deadline": p, "status": "推进中",
                                          "progress": p}]}
        document(doc_id, front, f"{p}\n\n一、{p}\n\n正文：{p} 结束。\n", tasks)
        tried["injections"] += 3 + 12 + 9 + 2
    for j, u in enumerate(urls):
        forms = [f"[链接]({u})", f"![图片]({u})", f"[参考][r{j}]\n\n[r{j}]: {u}", f"<{u}>",
                 f'[带标题](https://example.gov.cn/ "{u}")']
        for k, body in enumerate(forms):
            doc_id = f"u{j:03d}-{k}"
            docs[doc_id] = u
            document(doc_id, {"title": f"链接{j}-{k}", "disclosure": "主动公开"}, f"说明：\n\n{body}\n")
            tried["injections"] += 1
    return docs


def build_or_block(root: Path, docs: dict[str, str], count: bool = True) -> tuple[Path, set[str], Problems]:
    """Load; every document with an error is "blocked" (its error must name file and line);
    build the rest and return the output, the blocked ids and the problems."""
    problems = Problems(root)
    load_site(root, problems)
    blocked: set[str] = set()
    for p in problems.errors:
        m = re.match(r"content/documents/([^/]+)/", p.path)
        assert m, f"an error outside the documents: {p.format()}"
        assert p.line is not None and p.message and p.hint, p.format()
        blocked.add(m.group(1))
    for doc_id in blocked:
        shutil.rmtree(root / "content/documents" / doc_id)
    out = root.parent / (root.name + "-out")
    build_site(root, out)
    if count:
        TRIED["blocked"] += len(blocked)
        TRIED["rendered"] += len(docs) - len(blocked)
    return out, blocked, problems


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> set[tuple]:
    root = tmp_path_factory.mktemp("baseline") / "site"
    safe = [f"安全文字{i}" for i in range(len(HTML))]
    docs = write_payload_site(root, "escape", safe, ["https://example.gov.cn/a"], count=False)
    out, blocked, _ = build_or_block(root, docs, count=False)
    assert not blocked
    return site_features(out)


@pytest.mark.parametrize("policy", ["escape", "sanitize", "reject"])
def test_no_payload_gets_through(policy, baseline, tmp_path):
    root = tmp_path / "site"
    docs = write_payload_site(root, policy, HTML, URLS)
    out, blocked, problems = build_or_block(root, docs)
    extra = site_features(out) - baseline
    assert not extra, sorted(extra)[:10]
    # every dangerous link in a Markdown link, image or reference link is an error
    # (an address with a space is no Markdown link at all, only text: the DOM check covers it)
    for j, u in enumerate(URLS):
        if u in DANGEROUS_URLS and not u.startswith("<") and not re.search(r"\s", u):
            for k in range(3):
                assert f"u{j:03d}-{k}" in blocked, (u, k)
    messages = {p.path.split("/")[2]: p for p in problems.errors}
    assert "javascript: 协议" in messages[f"u{URLS.index('javascript:alert(1)'):03d}-0"].message
    if policy == "reject":
        assert f"h{HTML.index('<script>alert(1)</script>'):03d}" in blocked
        assert any("raw_html: reject" in p.message for p in problems.errors)
    else:
        # pasted HTML is escaped or sanitised; only a dangerous address in it is an error
        for p in problems.errors:
            assert "协议" in p.message, p.format()


def test_front_matter_is_escaped_whatever_the_policy(tmp_path):
    root = tmp_path / "site"
    payload = "<b onclick=alert(1)>粗体</b>"
    write_payload_site(root, "sanitize", [payload] * 15, [])
    out = tmp_path / "site-out"
    build_site(root, out)
    soup = BeautifulSoup((out / "documents/h000/index.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.h1.get_text() == payload, "titles are text, never HTML, even with raw_html: sanitize"
    assert soup.find("td", string=payload), "metadata values are text"
    body = soup.select_one(".doc-body")
    assert body.find("b") is not None and body.find("b").get_text() == "粗体" and not body.find("b").attrs


def test_escape_mode_shows_pasted_html_as_text(tmp_path):
    root = tmp_path / "site"
    write_payload_site(root, "escape", HTML[:15], [])
    out = tmp_path / "site-out"
    build_site(root, out)
    text = BeautifulSoup((out / "documents/h000/index.html").read_text(encoding="utf-8"),
                         "html.parser").select_one(".doc-body").get_text()
    assert "<script>alert(1)</script>" in text


def test_every_dangerous_url_spelling_is_recognised():
    for u in DANGEROUS_URLS:
        if not u.startswith("<"):
            assert is_dangerous(u), u
    for safe in ("https://example.gov.cn/", "../other/", "#p1-2", "mailto:ban@example.gov.cn", "tel:12345",
                 "附件.pdf", "documents/a/", "?q=javascript:x", "/zwgk/data/x.csv", "datasets/x"):
        assert not is_dangerous(safe), safe


@pytest.mark.parametrize("url", [u for u in DANGEROUS_URLS if not u.startswith("<")])
def test_config_links_with_dangerous_schemes_are_errors(make_site, url):
    site = make_site()
    config = yaml.safe_load(MINIMAL_CONFIG)
    config.update({"footer_links": [{"title": "链接", "url": url}], "error_report_url": url})
    site.write("config.yaml", yaml.safe_dump(config, allow_unicode=True))
    problems = Problems(site.root)
    assert load_config(site.root, problems) is None
    lines = sorted(p.line for p in problems.errors)
    assert len(lines) == 2 and all(lines), [p.format() for p in problems]
    TRIED["injections"] += 2
    TRIED["blocked"] += 2


def test_attachment_names_with_dangerous_schemes_are_errors(make_site):
    site = make_site()
    folder = site.root / "content/documents/a"
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nattachments:\n"
                             "  - title: 附件\n    file: \"javascript:alert(1)\"\n"
                             "  - title: 附件二\n    file: \"a\\x01b.pdf\"\n")
    (folder / "javascript:alert(1)").write_text("x")
    problems = site.build_problems()
    assert sorted(p.line for p in problems.errors) == [6, 8], [p.format() for p in problems]


def test_sanitizer_allowlist_keeps_ordinary_markup():
    kept = sanitize_html('<p id="p1">甲<b>乙</b><a href="../x/" title="t">丙</a></p>'
                         '<table><tr><th style="text-align: left;">丁</th></tr></table>')
    assert kept == ('<p id="p1">甲<b>乙</b><a href="../x/" title="t">丙</a></p>'
                    '<table><tbody><tr><th style="text-align:left">丁</th></tr></tbody></table>')
    assert sanitize_html('<a href="javascript:alert(1)" onclick="x()">x</a><script>y()</script>') == "<a>x</a>"


def test_sanitize_mode_warns_about_removed_markup(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", MINIMAL_CONFIG + "raw_html: sanitize\n")
    site.document("a", body="正文\n\n<p onclick=\"x()\">段落</p>\n\n<iframe src=\"https://example.com/\"></iframe>\n")
    result = site.build(tmp_path / "out")
    warnings = [p.format() for p in result.site.problems.warnings]
    assert any(w.startswith("content/documents/a/index.md:8:") and "<p onclick>" in w for w in warnings), warnings
    assert any(w.startswith("content/documents/a/index.md:10:") and "<iframe>" in w for w in warnings), warnings
    html = (tmp_path / "out/documents/a/index.html").read_text(encoding="utf-8")
    assert "<p>段落</p>" in html and "iframe" not in html


def test_reject_mode_names_the_line(make_site):
    site = make_site()
    site.write("config.yaml", MINIMAL_CONFIG + "raw_html: reject\n")
    site.document("a", body="正文 &amp; 实体不是 HTML。\n\n`<code>` 也不是。\n\n第三段 <span>标记</span>\n")
    problems = site.build_problems()
    assert [p.format().split("\n")[0] for p in problems.errors] == [
        "content/documents/a/index.md:10: 错误: 正文中有 HTML 标记 <span>，本站不接受正文中的 HTML（raw_html: reject）"]


def test_heading_text_in_the_table_of_contents_has_no_placeholders(make_site, tmp_path):
    site = make_site()
    site.document("a", body="一、甲&amp;乙\n\n二、丙 &#60; 丁\n\n三、戊\n")
    result = site.build(tmp_path / "out")
    texts = [h.text for h in result.site.documents[0].headings]
    assert texts == ["一、甲&乙", "二、丙 < 丁", "三、戊"]


def test_zz_report(capsys):
    with capsys.disabled():
        print(f"\n[xss] {len(HTML)} HTML payloads + {len(URLS)} URL payloads; {TRIED['injections']} injections "
              f"({TRIED['blocked']} blocked with an error, {TRIED['rendered']} documents rendered and checked); "
              "nothing got through")


@pytest.mark.browser
def test_no_payload_runs_in_a_real_browser(tmp_path):
    """The same corpus, opened in Chromium: no alert, confirm or prompt ever fires."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium_path, serve_folder
    outs = []
    for policy in ("escape", "sanitize"):
        root = tmp_path / policy
        docs = write_payload_site(root, policy, HTML, URLS)
        outs.append(build_or_block(root, docs)[0])
    dialogs: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = b.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for out in outs:
            server, base = serve_folder(out)
            try:
                pages = sorted(out.glob("documents/*/index.html")) + sorted(out.glob("documents/*/tasks/index.html"))
                pages += [out / "index.html", out / "units/index.html", out / "issuers/index.html"]
                for f in pages:
                    page.goto(base + f.relative_to(out).as_posix(), wait_until="load")
                    page.mouse.move(10, 10)
                    page.keyboard.press("Tab")
                    page.evaluate("0")          # a round trip, so that a pending dialog is seen
            finally:
                server.shutdown()
        b.close()
    assert dialogs == []
