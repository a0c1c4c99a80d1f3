"""Reproducible output: the same sources give the same bytes whatever the file-system
order, PYTHONHASHSEED, locale or time zone; a build date comes from config.yaml or
SOURCE_DATE_EPOCH, never from the clock."""
from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, REPO, SiteMaker
from generator.build import build_site


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rich_site(root: Path, order: list[int] | None = None) -> SiteMaker:
    """A site with several documents, issuers whose pinyin initials collide, task lists,
    attachments and two unit scopes, written in the given order."""
    site = SiteMaker(root)
    site.write("content/units/other.yaml", "name: 别的区\nunits:\n  - id: other-bgs\n    name: 区政府办公室\n")
    docs = [
        ("zeta", "title: 甲通知\ndisclosure: 主动公开\npublished: 2024-06-26\nissuer: 区政府办公室\n"
                 "topic: 综合政务\nunit_scope: local\nkeywords: [公开, 政务]\n",
         "tasks:\n  - requirement: 甲\n    units: [区政府办, 区财政局]\n    deadline: 2024年12月底前\n"),
        ("alpha", "title: 乙通知\ndisclosure: 主动公开\npublished: 2024-06-26\nissuer: 区政务服务办\n"
                  "topic: 综合政务\nunit_scope: other\n", "tasks:\n  - requirement: 乙\n    units: [区政府办公室]\n"),
        ("mid", "title: 丙通知\ndisclosure: 主动公开\nwritten: 2023-01-05\nissuer: 区政府办公室\ntopic: 财政\n"
                "attachments:\n  - title: 附件一\n    file: 附件一.pdf\n  - title: 附件二\n    file: b.pdf\n", None),
        ("nodate", "title: 丁通知\ndisclosure: 主动公开\n", None),
        ("hidden", "title: 不公开\ndisclosure: 依申请公开\n", None),
    ]
    for i in order or range(len(docs)):
        doc_id, front, tasks = docs[i]
        site.document(doc_id, front=front, body="一、总体要求\n\n（一）第一项。正文。\n\n二、保障措施\n", tasks=tasks)
        for name in ("附件一.pdf", "b.pdf") if doc_id == "mid" else ():
            (root / "content/documents/mid" / name).write_bytes(name.encode() * 10)
    return site


def test_file_system_order_does_not_matter(tmp_path, monkeypatch):
    """Listings come back in a different order each time; the output stays the same."""
    digests = []
    for seed in (1, 2, 3):
        site = rich_site(tmp_path / f"s{seed}", order=random.Random(seed).sample(range(5), 5))
        rng = random.Random(seed)
        real_iterdir, real_glob, real_rglob = Path.iterdir, Path.glob, Path.rglob

        def shuffled(fn):
            def wrapper(self, *args, **kwargs):
                items = list(fn(self, *args, **kwargs))
                rng.shuffle(items)
                return iter(items)
            return wrapper
        monkeypatch.setattr(Path, "iterdir", shuffled(real_iterdir))
        monkeypatch.setattr(Path, "glob", shuffled(real_glob))
        monkeypatch.setattr(Path, "rglob", shuffled(real_rglob))
        out = tmp_path / f"out{seed}"
        build_site(site.root, out)
        monkeypatch.undo()
        digests.append(tree_digest(out))
    assert digests[0] == digests[1] == digests[2]
    assert len(digests[0]) > 30


@pytest.mark.parametrize("env", [
    {"PYTHONHASHSEED": "0", "LC_ALL": "C", "TZ": "UTC"},
    {"PYTHONHASHSEED": "4242", "LC_ALL": "C.UTF-8", "TZ": "Asia/Shanghai"},
    {"PYTHONHASHSEED": "random", "LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.GB18030", "TZ": "Pacific/Kiritimati"},
    {"PYTHONHASHSEED": "1", "LC_ALL": "tr_TR.UTF-8", "TZ": "America/Los_Angeles", "SOURCE_DATE_EPOCH": ""},
])
def test_hash_seed_locale_and_time_zone_do_not_matter(tmp_path_factory, env):
    root = tmp_path_factory.getbasetemp() / "repro-site"
    if not root.exists():
        rich_site(root)
    reference = tmp_path_factory.getbasetemp() / "repro-reference"
    if not reference.exists():
        build_site(root, reference)
    out = tmp_path_factory.mktemp("env") / "out"
    full_env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "LANG", "LC_ALL")}
    full_env.update(env)
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root), "--output", str(out)],
                          env=full_env, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(out) == tree_digest(reference)


def _footer_date(out: Path) -> str | None:
    m = re.search(r"更新日期：(\S+?)<", (out / "index.html").read_text(encoding="utf-8"))
    return m.group(1) if m else None


def _build(root: Path, out: Path, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(root), "--output", str(out)],
                          env=full_env, capture_output=True, text=True, cwd=REPO, check=True)


def test_build_date_comes_from_source_date_epoch_in_utc(make_site, tmp_path):
    site = make_site()
    site.document("a")
    # 2024-06-10 23:10 UTC is already 06-11 in Shanghai: the date must not depend on TZ
    _build(site.root, tmp_path / "a", SOURCE_DATE_EPOCH="1718061000", TZ="Asia/Shanghai")
    _build(site.root, tmp_path / "b", SOURCE_DATE_EPOCH="1718061000", TZ="America/Los_Angeles")
    assert _footer_date(tmp_path / "a") == _footer_date(tmp_path / "b") == "2024-06-10"
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_config_build_date_wins_and_no_date_without_either(make_site, tmp_path):
    site = make_site()
    site.document("a")
    _build(site.root, tmp_path / "none")
    assert _footer_date(tmp_path / "none") is None, "without config or SOURCE_DATE_EPOCH no date is shown"
    site.write("config.yaml", MINIMAL_CONFIG + "build_date: 2024-07-01\n")
    _build(site.root, tmp_path / "config", SOURCE_DATE_EPOCH="1718061000")
    assert _footer_date(tmp_path / "config") == "2024-07-01"


def test_no_clock_reads_in_the_generator():
    """Nothing in the generator reads the wall clock or file times (timing the build with
    perf_counter is fine: it is printed, never written)."""
    clock = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.localtime|"
                       r"time\.gmtime|time\.ctime|time\.strftime|getmtime|st_mtime|st_ctime)\b")
    offenders = []
    for path in sorted((REPO / "generator").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if clock.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


def test_manifest_lists_every_file_in_a_fixed_order(tmp_path):
    site = rich_site(tmp_path / "s")
    build_site(site.root, tmp_path / "out")
    manifest = (tmp_path / "out/.gongkai-manifest.json").read_text(encoding="utf-8")
    digest = tree_digest(tmp_path / "out")
    digest.pop(".gongkai-manifest.json")
    import json
    assert json.loads(manifest) == digest
    assert list(json.loads(manifest)) == sorted(digest)
