"""政策解读: linked both ways, grouped by form, checked for 三同步; 有效性 and replacement."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO, page_soup


def interp(site, ident, front, body="解读正文。\n", folder=False):
    rel = f"content/interpretations/{ident}/index.md" if folder else f"content/interpretations/{ident}.md"
    return site.write(rel, "---\n" + front + "---\n" + body)


def test_two_way_links_grouped_by_form(make_site, tmp_path):
    site = make_site()
    site.document("policy", front="title: 某政策\ndisclosure: 主动公开\npublished: 2024-06-26\n")
    interp(site, "policy-wz", "title: 文字解读甲\ninterprets: [policy]\nform: 文字解读\npublished: 2024-06-26\ncontact: 电话 0000\n")
    interp(site, "policy-wd", "title: 问答乙\ninterprets: [policy]\nform: 简明问答\npublished: 2024-06-26\ncontact: 电话 0000\n")
    site.write("content/interpretations/policy-tj/tu.png", "not really a png")
    interp(site, "policy-tj", "title: 图解丙\ninterprets: [policy]\nform: 图解\npublished: 2024-06-25\ncontact: 电话\n"
                              "image: {file: tu.png, alt: 政策要点示意图}\n", folder=True)
    out = tmp_path / "out"
    site.build(out)
    doc = page_soup(out, "documents/policy/")
    related = doc.select_one(".related")
    assert [h.get_text() for h in related.find_all("h3")] == ["图解", "文字解读", "简明问答"]
    assert {a.get_text(): a["href"] for a in related.find_all("a")} == {
        "图解丙": "../../interpretations/policy-tj/", "文字解读甲": "../../interpretations/policy-wz/",
        "问答乙": "../../interpretations/policy-wd/"}
    page = page_soup(out, "interpretations/policy-tj/")
    assert page.select_one(".related a")["href"] == "../../documents/policy/"
    img = page.select_one(".infographic img")
    assert img["alt"] == "政策要点示意图" and (out / "interpretations/policy-tj/tu.png").exists()
    listing = page_soup(out, "interpretations/")
    assert len(listing.select(".doc-list li")) == 3
    assert "多种形式 2 篇" in listing.get_text()


def test_interpretation_errors(make_site):
    site = make_site()
    site.document("policy")
    interp(site, "a", "title: 甲\ninterprets: [no-such-doc]\nform: 文字解读\npublished: 2024-06-26\ncontact: x\n")
    interp(site, "b", "title: 乙\ninterprets: [policy]\nform: 图解\npublished: 2024-06-26\ncontact: x\n")
    interp(site, "c", "title: 丙\ninterprets: [policy]\nform: 视频\npublished: 2024-06-26\ncontact: x\n"
                      "video: {url: 'https://v.example.gov.cn/1'}\n")
    interp(site, "d", "title: 丁\ninterprets: [policy]\nform: 文字\npublished: 2024-06-26\n")
    problems = site.build_problems()
    text = "\n".join(p.format() for p in problems.errors)
    assert "content/interpretations/a.md:3: 错误: 找不到被解读的文件 “no-such-doc”" in text
    assert "content/interpretations/b.md:4: 错误: 图解需要图片和它的文字说明" in text
    assert "content/interpretations/c.md:7: 错误: 视频 video：缺少必填项 文字稿 transcript" in text or \
           ("content/interpretations/c.md" in text and "文字稿" in text)
    assert "content/interpretations/d.md:4: 错误: 解读形式 form：“文字” 不是允许的值" in text
    assert "缺少必填项 咨询方式 contact" in text


def test_three_synchronous_warnings_and_strict(make_site, tmp_path):
    site = make_site()
    site.write("config.yaml", (site.root / "config.yaml").read_text(encoding="utf-8")
               + "interpretation_required_types: [规范性文件]\n")
    site.document("gfxwj", front="title: 规范性文件甲\ndisclosure: 主动公开\ndoc_type: 规范性文件\npublished: 2024-06-01\n")
    site.document("declared", front="title: 乙\ndisclosure: 主动公开\nneeds_interpretation: true\npublished: 2024-06-01\n")
    interp(site, "late", "title: 迟到的解读\ninterprets: [declared]\nform: 文字解读\npublished: 2024-07-01\ncontact: x\n")
    result = site.build(tmp_path / "out")
    warnings = [p.format() for p in result.site.problems.warnings]
    assert any(w.startswith("content/documents/gfxwj/index.md:4:") and "三同步" in w for w in warnings), warnings
    assert any(w.startswith("content/interpretations/late.md:5:") and "晚发布" in w for w in warnings), warnings
    for verb in ("check", "build"):
        proc = subprocess.run([sys.executable, "-m", "generator", verb, "--strict", "--site", str(site.root)],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 1, proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "generator", "check", "--site", str(site.root)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0
    assert "需要解读的文件 2 个，已有解读 1 个" in proc.stdout
    assert "多元化解读比例 0%" in proc.stdout


def test_supersession_links_both_ways(make_site, tmp_path):
    site = make_site()
    site.document("old", front="title: 旧办法\ndisclosure: 主动公开\nvalidity: 全文废止\nsuperseded_by: mid\n")
    site.document("mid", front="title: 中间办法\ndisclosure: 主动公开\nvalidity: 全文失效\nsuperseded_by: new\n")
    site.document("new", front="title: 新办法\ndisclosure: 主动公开\nvalidity: 有效\n")
    out = tmp_path / "out"
    result = site.build(out)
    old = page_soup(out, "documents/old/")
    notice = old.select_one(".validity-notice")
    assert "全文废止" in notice.get_text()
    assert [a["href"] for a in notice.find_all("a")] == ["../../documents/mid/", "../../documents/new/"]
    new = page_soup(out, "documents/new/")
    assert new.select_one(".replaces a")["href"] == "../../documents/mid/"
    assert any("链" in p.message for p in result.site.problems.warnings)


def test_supersession_errors(make_site):
    site = make_site()
    site.document("a", front="title: 甲\ndisclosure: 主动公开\nvalidity: 全文失效\nsuperseded_by: b\n")
    site.document("b", front="title: 乙\ndisclosure: 主动公开\nvalidity: 全文失效\nsuperseded_by: a\n")
    site.document("c", front="title: 丙\ndisclosure: 主动公开\nsuperseded_by: nowhere\n")
    site.document("d", front="title: 丁\ndisclosure: 主动公开\nsuperseded_by: d\n")
    problems = site.build_problems()
    text = "\n".join(p.format() for p in problems.errors)
    assert "content/documents/a/index.md:5: 错误: 替代关系形成循环：a → b → a" in text
    assert "content/documents/c/index.md:4: 错误: 找不到替代文件 “nowhere”" in text
    assert "content/documents/d/index.md:4: 错误: 文件不能替代它自己" in text


def test_example_site_sample_interpretation(example_output):
    doc = page_soup(example_output, "documents/licheng-2024-gkyd/")
    link = doc.select_one(".related a")
    assert link.get_text().startswith("（示例）")
    page = page_soup(example_output, "interpretations/licheng-2024-gkyd-wd/")
    assert "示例" in page.select_one(".sample-notice").get_text()
    assert page.select_one(".related a")["href"] == "../../documents/licheng-2024-gkyd/"
