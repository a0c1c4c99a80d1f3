"""Shared fixtures: the repository's example site built once, and small sites in tmp_path."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.build import build_site
from generator.problems import BuildFailed, Problems

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"seed documents not found at {SEEDS}: shared/ must sit beside the clone")
    return SEEDS


@pytest.fixture(scope="session")
def example_output(tmp_path_factory) -> Path:
    """The example site (config.yaml + content/ of this repository) built once."""
    out = tmp_path_factory.mktemp("example") / "output"
    build_site(REPO, out)
    return out


def page_soup(output: Path, url: str) -> BeautifulSoup:
    path = output / (url + "index.html" if url.endswith("/") or url == "" else url)
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def squash(text: str) -> str:
    """Text with all white space removed, for comparing against published text."""
    return re.sub(r"\s+", "", text)


MINIMAL_CONFIG = """\
name: 测试站
base_url: https://test.example.gov.cn/
organizer: 测试办公室
site_code: "1234567890"
icp: 测ICP备1号
"""


UNITS_YAML = """\
name: 测试区
units:
  - id: local-bgs
    name: 区政府办公室
    aliases: [区政府办]
  - id: local-czj
    name: 区财政局
"""


class SiteMaker:
    """Writes a small site into a folder: config, documents, tasks and units."""

    def __init__(self, root: Path):
        self.root = root
        self.write("config.yaml", MINIMAL_CONFIG)
        self.write("content/units/local.yaml", UNITS_YAML)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def document(self, doc_id: str, front: str | None = None, body: str = "各单位：\n\n一、总体要求\n\n正文。\n",
                 tasks: str | None = None) -> Path:
        front = front if front is not None else f"title: 文件{doc_id}\ndisclosure: 主动公开\npublished: 2024-06-26\n"
        path = self.write(f"content/documents/{doc_id}/index.md",
                          "---\n" + textwrap.dedent(front) + "---\n" + textwrap.dedent(body))
        if tasks is not None:
            self.write(f"content/documents/{doc_id}/tasks.yaml", tasks)
        return path

    def build(self, out: Path | None = None):
        return build_site(self.root, out)

    def build_problems(self, out: Path | None = None) -> Problems:
        """Build expecting failure; return the problems."""
        try:
            self.build(out)
        except BuildFailed as e:
            return e.problems
        raise AssertionError("the build was expected to fail")


@pytest.fixture
def make_site(tmp_path):
    def make(name: str = "site") -> SiteMaker:
        return SiteMaker(tmp_path / name)
    return make
