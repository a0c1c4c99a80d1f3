"""Site configuration (``config.yaml``): declared schema, loading and derived values."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .content.sources import ENCODING_POLICIES, read_text
from .problems import Problems
from .sanitize import RAW_HTML_POLICIES, link_problem
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
    Field("url", required=True, label="链接地址", check=link_problem,
          hint="写网址，例如 https://www.gov.cn/。"),
], what="页脚链接")

PRIVACY_SCHEMA = Schema([
    Field("allow", kind="list", item="str", label="允许公开的号码和邮箱", default=list,
          hint="例如 allow: [\"12345\", zwgk@example.gov.cn, \"@example.gov.cn\"]；以 @ 开头表示整个邮箱域名。"),
    Field("sensitive_words", kind="list", item="str", label="敏感词", default=list,
          hint="例如 sensitive_words: [内部资料, 秘密]。"),
], what="个人信息检查")

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
    Field("error_report_url", label="找错链接", check=link_problem),
    Field("build_date", kind="date", label="构建日期",
          hint="留空时使用环境变量 SOURCE_DATE_EPOCH；都没有则页面不显示构建日期。"),
    Field("raw_html", label="正文中的 HTML", default="escape", choices=RAW_HTML_POLICIES,
          hint="escape：显示为文字（默认）；sanitize：只保留安全的标记；reject：报错。"),
    Field("source_encoding", label="源文件编码", default="utf-8", choices=ENCODING_POLICIES,
          hint="utf-8：只接受 UTF-8（默认，GBK 文件会报错并说明如何转换）；auto：自动转换 GBK 文件。"),
    Field("privacy", kind="map", schema=PRIVACY_SCHEMA, label="个人信息检查"),
    Field("interpretation_required_types", kind="list", item="str", label="需要解读的文件类型",
          default=list, hint="例如 interpretation_required_types: [规范性文件]；这些类型的文件没有解读时会警告（三同步）。"),
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
    raw_html: str = "escape"
    source_encoding: str = "utf-8"
    privacy_allow: tuple[str, ...] = ()
    sensitive_words: tuple[str, ...] = ()
    interpretation_required_types: tuple[str, ...] = ()

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
    text = read_text(path, problems)       # config.yaml itself is always UTF-8
    if text is None:
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
        raw_html=values["raw_html"], source_encoding=values["source_encoding"],
        privacy_allow=tuple((values["privacy"] or {}).get("allow") or ()),
        sensitive_words=tuple((values["privacy"] or {}).get("sensitive_words") or ()),
        interpretation_required_types=tuple(values["interpretation_required_types"] or ()),
    )
