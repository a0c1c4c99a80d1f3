"""``gongkai new``: scaffold a site folder, or a document inside a site."""
from __future__ import annotations

from pathlib import Path

from .schema import ID_HINT, ID_RE

CONFIG_TEMPLATE = """\
# 网站设置。改完保存后运行 gongkai build 重新生成网站。
name: 某某区人民政府信息公开             # 网站名称
base_url: https://www.example.gov.cn/zwgk/   # 网站的完整地址
language: zh-CN
organizer: 某某区人民政府办公室           # 主办单位
site_code: "0000000000"                  # 政府网站标识码
icp: 某ICP备00000000号                    # ICP备案号
police_record: 某公网安备00000000000000号  # 公网安备号
contact:
  phone: 0000-00000000
  email: gk@example.gov.cn
"""

UNITS_TEMPLATE = """\
name: 某某区                 # 这些单位所属的地区
units:
  - id: {scope}-qzfbgs
    name: 区政府办公室
    aliases: [区政府办]
"""

DOCUMENT_TEMPLATE = """\
---
title: {title}
index_no:                 # 索引号，例如 11371202K21349004N/2024-6582242
doc_no:                   # 文号，例如 某政办发〔2024〕1号
issuer:                   # 发布机构
topic:                    # 主题分类
written:                  # 成文日期 YYYY-MM-DD
published:                # 发布日期 YYYY-MM-DD
validity: 有效
disclosure: 主动公开       # 公开属性：主动公开 / 依申请公开 / 不予公开
draft: true               # 写好后删去这一行才会发布
---
各有关单位：

在这里粘贴正文。每段之间空一行。编号照原文写，例如：

一、总体要求

（一）第一项工作。具体内容……
"""


class ScaffoldError(Exception):
    """Something the editor asked for cannot be created; the message says why."""


def new_site(path: Path) -> Path:
    """Create a site folder with config.yaml, a units file and one draft document."""
    if path.exists() and any(path.iterdir()):
        raise ScaffoldError(f"{path} 已存在且不是空文件夹；换一个名字，以免覆盖已有文件。")
    (path / "content" / "documents").mkdir(parents=True, exist_ok=True)
    (path / "content" / "units").mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(CONFIG_TEMPLATE, encoding="utf-8")
    (path / "content" / "units" / "local.yaml").write_text(UNITS_TEMPLATE.format(scope="local"),
                                                           encoding="utf-8")
    # what builds write beside the sources; content/permalinks.lock is committed
    (path / ".gitignore").write_text("/output/\n/.gongkai-cache/\n", encoding="utf-8")
    new_document(path, "example-2025-gkyd", "（示例）2025年政务公开工作要点")
    return path


def new_document(site: Path, doc_id: str, title: str = "") -> Path:
    """Create ``content/documents/<id>/index.md`` from a commented template."""
    if not (site / "config.yaml").is_file():
        raise ScaffoldError(f"{site} 里没有 config.yaml：请在网站文件夹里运行，或用 --site 指定。")
    if not ID_RE.match(doc_id):
        raise ScaffoldError(f"“{doc_id}” 不是有效的标识。{ID_HINT}")
    folder = site / "content" / "documents" / doc_id
    if folder.exists():
        raise ScaffoldError(f"文档 {doc_id} 已存在：{folder}")
    folder.mkdir(parents=True)
    text = DOCUMENT_TEMPLATE.format(title=_yaml_text(title or "（请填写标题）"))
    (folder / "index.md").write_text(text, encoding="utf-8")
    return folder / "index.md"


def _yaml_text(value: str) -> str:
    # Quote titles with YAML-significant characters so that the scaffold always parses.
    if any(ch in value for ch in ":#'\"{}[],&*!|>%@`") or value.strip() != value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
