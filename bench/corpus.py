"""Deterministic synthetic corpus: N 要点 documents of ~6 KB Chinese text with 10-row task lists.

The same seed and N always give byte-identical files, so figures from different runs
and different generators compare like with like. Used by the build benchmarks.
"""
from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

CN_NUM = "一二三四五六七八九十"
PHRASES = [
    "深化政务公开", "推进政策解读", "加强信息发布", "优化营商环境", "回应社会关切", "规范依申请公开",
    "提升平台建设水平", "强化基层政务公开标准化规范化", "做好重点领域信息公开", "完善公众参与机制",
    "健全工作机制", "加强督促检查", "推动数据开放共享", "落实三同步要求", "做好政府公报工作",
    "加强政务新媒体管理", "提高政策发布质量", "畅通政民互动渠道", "推进办事服务公开", "强化保密审查",
]
UNITS = ["区政府办公室", "区发展改革局", "区财政局", "区教育体育局", "区卫生健康局", "区民政局",
         "区司法局", "区市场监管局", "区住房城乡建设局", "区农业农村局", "各街道办事处", "区政府各部门（单位）"]
DEADLINES = ["2024年12月底前", "长期坚持", "2024年6月底前", "2024年9月底前", "持续推进"]
ISSUERS = ["某某区人民政府办公室", "某某市人民政府办公室", "某某县人民政府办公室"]
TOPICS = ["综合政务、政务公开", "综合政务、其他", "城乡建设、环境保护"]

CONFIG = """\
name: 基准测试站
base_url: https://bench.example.gov.cn/
organizer: 基准测试办公室
site_code: "0000000000"
icp: 测ICP备00000000号
"""


def sentence(rng: random.Random) -> str:
    parts = rng.sample(PHRASES, 3)
    return f"{parts[0]}，{parts[1]}，{parts[2]}，确保各项工作落到实处。"


def document(rng: random.Random, n: int) -> tuple[str, str]:
    """(index.md, tasks.yaml) for document number ``n``."""
    year = 2015 + n % 10
    body = ["各有关单位：", f"现将《{year}年政务公开工作要点（{n}）》印发给你们，请认真贯彻落实。",
            f"## {year}年政务公开工作要点"]
    size = 0
    part = 0
    while size < 5600:
        part += 1
        body.append(f"{CN_NUM[(part - 1) % 10]}、{rng.choice(PHRASES)}")
        for item in range(1, 4):
            text = "".join(sentence(rng) for _ in range(rng.randint(3, 6)))
            line = f"（{CN_NUM[item - 1]}）{rng.choice(PHRASES)}。{text}"
            body.append(line)
            size += len(line.encode("utf-8"))
    front = (f"---\ntitle: 关于印发{year}年政务公开工作要点的通知（第{n}号）\n"
             f"index_no: BENCH/{year}-{n:06d}\ndoc_no: 某政办发〔{year}〕{n}号\n"
             f"issuer: {rng.choice(ISSUERS)}\ntopic: {rng.choice(TOPICS)}\n"
             f"written: {year}-0{1 + n % 9}-1{n % 10}\npublished: {year}-0{1 + n % 9}-2{n % 8}\n"
             f"validity: 有效\ndisclosure: 主动公开\nunit_scope: bench\n---\n")
    rows = ["tasks:"]
    for seq in range(1, 11):
        units = rng.sample(UNITS, rng.randint(1, 3))
        rows += [f"  - seq: {seq}", f"    section: 一、{PHRASES[seq % 20]}",
                 f"    item: （{CN_NUM[(seq - 1) // 4]}）{PHRASES[(seq * 7) % 20]}",
                 f"    requirement: {sentence(rng)}{sentence(rng)}",
                 f"    units: [{', '.join(units)}]", f"    deadline: {rng.choice(DEADLINES)}"]
    return front + "\n\n".join(body) + "\n", "\n".join(rows) + "\n"


def generate(root: Path, count: int, seed: int = 2024) -> Path:
    """Write a complete site with ``count`` documents into ``root`` (replacing it)."""
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    (root / "content" / "units").mkdir(parents=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    units = "name: 某某区\nunits:\n" + "".join(
        f"  - id: bench-u{i:02d}\n    name: {name}\n" for i, name in enumerate(UNITS))
    (root / "content" / "units" / "bench.yaml").write_text(units, encoding="utf-8")
    for n in range(1, count + 1):
        folder = root / "content" / "documents" / f"doc-{n:05d}"
        folder.mkdir(parents=True)
        index, tasks = document(rng, n)
        (folder / "index.md").write_text(index, encoding="utf-8")
        (folder / "tasks.yaml").write_text(tasks, encoding="utf-8")
    return root


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("root", type=Path)
    ap.add_argument("--docs", type=int, default=1000)
    args = ap.parse_args()
    generate(args.root, args.docs)
    print(f"wrote {args.docs} documents to {args.root}")
