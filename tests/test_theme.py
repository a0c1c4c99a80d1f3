"""The theme's government-site chrome, meta tags, local-only assets and page weight."""
from __future__ import annotations

import re

from conftest import page_soup


def test_meta_tags_where_they_apply(example_output):
    doc = page_soup(example_output, "documents/laiwu-2024-gkyd/")
    meta = {m["name"]: m["content"] for m in doc.find_all("meta", attrs={"name": True})}
    assert meta["SiteName"] == "Gongkai 政务公开示例站"
    assert meta["SiteDomain"] == "gk.example.gov.cn"
    assert meta["SiteIDCode"] == "0000000000"
    assert meta["ColumnName"] == "政府文件"
    assert meta["ArticleTitle"] == doc.h1.get_text()
    assert meta["PubDate"] == "2024-06-26"
    assert meta["ContentSource"] == "济南市莱芜区人民政府办公室"
    units = page_soup(example_output, "units/")
    names = {m["name"] for m in units.find_all("meta", attrs={"name": True})}
    assert {"SiteName", "SiteDomain", "SiteIDCode", "ColumnName"} <= names
    assert "ArticleTitle" not in names


def test_footer_chrome_on_every_page(example_output):
    for path in sorted(example_output.rglob("*.html")):
        soup = page_soup(example_output, path.relative_to(example_output).as_posix())
        footer = soup.find("footer")
        text = footer.get_text()
        for needed in ("主办单位：Gongkai 示例站编辑部（示例）", "网站标识码：0000000000", "京ICP备00000000号（示例）",
                       "京公网安备00000000000000号（示例）", "010-00000000（示例）"):
            assert needed in text, (path, needed)
        assert footer.find("a", string="网站地图")
        report = footer.find("a", string="我为政府网站找错")["href"]
        assert report.startswith("https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=0000000000&url=https%3A")
        assert soup.html["lang"] == "zh-CN"
        assert soup.find("a", class_="skip-link")["href"] == "#main" and soup.find("main", id="main")
        assert len(soup.find_all("h1")) == 1


def test_only_local_assets(example_output):
    loaded = []   # everything a browser fetches by itself (links a reader follows are fine)
    for path in sorted(example_output.rglob("*.html")):
        soup = page_soup(example_output, path.relative_to(example_output).as_posix())
        for el in soup.find_all(["script", "img", "iframe", "source", "video", "audio", "embed", "object"]):
            loaded.append(el.get("src") or el.get("data") or "")
        for el in soup.find_all("link"):
            if set(el.get("rel", [])) & {"stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}:
                loaded.append(el["href"])
    external = [u for u in loaded if re.match(r"(https?:)?//", u)]
    assert loaded and external == []
    css = (example_output / "assets" / "site.css").read_text(encoding="utf-8")
    assert "@font-face" not in css and "url(" not in css and "@import" not in css


def test_page_weight(example_output, capsys):
    pages = {p: p.stat().st_size for p in example_output.rglob("*.html")}
    largest = max(pages, key=pages.get)
    assets = sum(p.stat().st_size for p in (example_output / "assets").rglob("*") if p.suffix in (".css", ".js"))
    with capsys.disabled():
        print(f"\n[page weight] largest page {largest.relative_to(example_output)}: {pages[largest] / 1024:.1f} KB; "
              f"all CSS+JS: {assets / 1024:.1f} KB")
    assert assets < 40 * 1024
    assert pages[largest] < 300 * 1024
