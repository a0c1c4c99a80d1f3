"""Site configuration (``config.yaml``): declared schema, loading and derived values."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .problems import Problems
from .schema import Field, Schema
from .yamlload import YamlProblem, load_yaml

CONFIG_FILE = "config.yaml"


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"“{value}” 不是完整的网址"
    if parts.query or parts.fragment:
        return f"“{value}” 不应包含 ? 或 # 部分"
    return ""


LINK_SCHEMA = Schema([
    Field("title", required=True, label="链接文字"),
    Field("url", required=True, label="链接地址"),
], what="页脚链接")

CONTACT_SCHEMA = Schema([
    Field("phone", label="电话"),
    Field("email", label="电子邮箱"),
    Field("address", label="地址"),
    Field("hours", label="办公时间"),
], what="联系方式")

CONFIG_SCHEMA = Schema([
    Field("name", required=True, label="网站名称"),
    Field("base_url", required=True, label="网站地址", check=_check_base_url,
          hint="写完整网址，例如 https://www.example.gov.cn/zwgk/（可以带子路径）。"),
    Field("language", label="语言", default="zh-CN", choices=("zh-CN",)),
    Field("organizer", required=True, label="主办单位"),
    Field("site_code", required=True, label="网站标识码"),
    Field("icp", required=True, label="ICP备案号"),
    Field("police_record", label="公网安备号"),
    Field("contact", kind="map", schema=CONTACT_SCHEMA, label="联系方式"),
    Field("footer_links", kind="list", item=LINK_SCHEMA, label="页脚链接", default=list),
    Field("error_report_url", label="找错链接"),
    Field("build_date", kind="date", label="构建日期",
          hint="留空时使用环境变量 SOURCE_DATE_EPOCH；都没有则页面不显示构建日期。"),
], what="config.yaml")


@dataclass(frozen=True)
class Config:
    """The validated site settings. ``base_path`` is the URL path prefix, e.g. ``/zwgk/``."""

    name: str
    base_url: str
    language: str
    organizer: str
    site_code: str
    icp: str
    police_record: str | None
    contact: dict[str, str | None]
    footer_links: tuple[dict[str, str], ...]
    error_report_url: str | None
    build_date: dt.date | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    def absolute(self, url: str) -> str:
        """Absolute address of a site-relative ``url`` such as ``documents/x/``."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return base + url


def _build_date(configured: dt.date | None) -> dt.date | None:
    """A reproducible build date: from config, else SOURCE_DATE_EPOCH, never the clock."""
    if configured:
        return configured
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return None


def load_config(site_dir: Path, problems: Problems) -> Config | None:
    """Read and check ``config.yaml``; report problems; None when it cannot be used."""
    path = site_dir / CONFIG_FILE
    if not path.is_file():
        problems.error(path, None, "找不到 config.yaml",
                       "在网站文件夹里运行，或用 --site 指定网站文件夹；"
                       "新建网站可运行 `gongkai new site 文件夹名`。")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        problems.error(path, None, f"文件不是 UTF-8 编码（第 {e.start} 字节）",
                       "用编辑器把文件另存为 UTF-8 编码。")
        return None
    try:
        data = load_yaml(text)
    except YamlProblem as p:
        problems.error(path, p.line, p.message, p.hint)
        return None
    if data is None:
        data = {}
    before = len(problems.errors)
    values = CONFIG_SCHEMA.check(data, path, problems, 1)
    if values is None or len(problems.errors) > before:
        return None
    return Config(
        name=values["name"], base_url=values["base_url"], language=values["language"],
        organizer=values["organizer"], site_code=values["site_code"], icp=values["icp"],
        police_record=values["police_record"], contact=values["contact"] or {},
        footer_links=tuple({k: v for k, v in link.items() if k != "_line"}
                           for link in values["footer_links"]),
        error_report_url=values["error_report_url"],
        build_date=_build_date(values["build_date"]), raw=dict(data),
    )
