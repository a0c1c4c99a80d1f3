"""``gongkai import`` on the command line: report, exit status, clear errors, no overwrite."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from generator.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["import", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_import_prints_the_report(make_site, capsys, seeds):
    site = make_site()
    status, out, err = run(capsys, str(seeds / "004_6ea9e2c525c7fb1d.txt"), "--into", str(site.root / "content"))
    assert status == 0, err
    assert "识别到：" in out and "文号 doc_no" in out and "济历城政办发〔2024〕1号" in out
    assert "任务分工表" in out and "59 行" in out
    assert "删去的内容" in out and "核对：源文件的" in out and "都在输出文件中" in out
    folder = site.root / "content" / "documents" / "licheng-2024-gzyd"
    assert (folder / "index.md").exists() and (folder / "tasks.yaml").exists()


def test_existing_document_is_never_overwritten(make_site, capsys, seeds):
    site = make_site()
    seed = str(seeds / "002_503af76914621d8f.txt")
    assert run(capsys, seed, "--into", str(site.root / "content"))[0] == 0
    index = site.root / "content" / "documents" / "guangyuan-2023-rwap" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n编辑加的一段。\n", encoding="utf-8")
    status, out, err = run(capsys, seed, "--into", str(site.root / "content"))
    assert status == 1 and "已存在" in err and "--id" in err and "Traceback" not in err
    assert "编辑加的一段。" in index.read_text(encoding="utf-8")
    status, _, err = run(capsys, seed, "--into", str(site.root / "content"), "--id", "guangyuan-2023-b")
    assert status == 0, err


def test_errors_name_the_file_and_what_to_do(make_site, capsys, tmp_path):
    site = make_site()
    content = str(site.root / "content")
    bad = tmp_path / "乱码.txt"
    bad.write_bytes("第一行\n".encode("utf-8") + b"\x81\xff\xfe\n")
    chrome_only = tmp_path / "chrome.txt"
    chrome_only.write_text("打印 关闭窗口\n扫一扫在手机打开当前页\n", encoding="utf-8")
    missing = tmp_path / "没有这个文件.html"
    status, out, err = run(capsys, str(bad), str(chrome_only), str(missing), "--into", content)
    assert status == 1 and "Traceback" not in err
    assert f"{bad}:2: 错误: 无法识别文件的编码" in err
    assert f"{chrome_only}" in err and "没有" in err
    assert f"{missing}: 错误: 找不到这个文件" in err
    assert err.count("提示:") == 3
    assert "3 个文件导入失败" in err


def test_bad_options(make_site, capsys, seeds, tmp_path, monkeypatch):
    site = make_site()
    seed = str(seeds / "000_23b8a64f729e6ca4.txt")
    status, _, err = run(capsys, seed, seed, "--id", "a-2024", "--into", str(site.root / "content"))
    assert status == 1 and "--id 只能在导入一个文件时使用" in err
    status, _, err = run(capsys, seed, "--id", "Bad_ID", "--into", str(site.root / "content"))
    assert status == 1 and "标识" in err
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, seed)
    assert status == 1 and "没有 content/" in err and "--into" in err


def test_dry_run_and_json_report(make_site, capsys, seeds, tmp_path):
    site = make_site()
    target = tmp_path / "report.json"
    status, out, err = run(capsys, str(seeds / "003_0ba6203fda23d747.txt"), "--into", str(site.root / "content"),
                           "--dry-run", "--report", str(target))
    assert status == 0, err
    assert "--dry-run" in out
    assert not (site.root / "content" / "documents").exists()
    assert not (site.root / "content" / "units" / "changzhi.yaml").exists()
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["doc_id"] == "changzhi-2021-gzyd" and data["unaccounted"] == {}
    steps = {c["step"] for c in data["changes"]}
    assert {"simplified", "pinyin", "mojibake", "punct-doubled", "punct-width"} <= steps
    assert any(d["kind"] == "duplicate" or d["kind"] == "chrome" for d in data["dropped"]) or data["dropped"] == []


def test_units_are_added_to_an_existing_scope(make_site, capsys, seeds, repo):
    site = make_site()
    units = site.root / "content" / "units"
    shutil.copy(repo / "content" / "units" / "licheng.yaml", units / "licheng.yaml")
    before = (units / "licheng.yaml").read_text(encoding="utf-8")
    status, out, err = run(capsys, str(seeds / "004_6ea9e2c525c7fb1d.txt"), "--into", str(site.root / "content"))
    assert status == 0, err
    assert (units / "licheng.yaml").read_text(encoding="utf-8") == before   # every name already there
    assert "新增 0 个" in out


def test_scope_option(make_site, capsys, seeds):
    site = make_site()
    status, out, err = run(capsys, str(seeds / "001_a7e51957c90899b5.txt"), "--into", str(site.root / "content"),
                           "--scope", "yzq", "--id", "yzq-2021-rwfg")
    assert status == 0, err
    assert (site.root / "content" / "units" / "yzq.yaml").read_text(encoding="utf-8").startswith(
        "name: 济宁市兖州区\nunits:\n  - id: yzq-qfzhggj\n")
    index = (site.root / "content" / "documents" / "yzq-2021-rwfg" / "index.md").read_text(encoding="utf-8")
    assert "unit_scope: yzq" in index


def test_a_scope_of_another_place_is_not_mixed(make_site, capsys, seeds):
    site = make_site()
    units = site.root / "content" / "units" / "licheng.yaml"
    units.write_text("name: 莆田市荔城区\nunits:\n  - id: licheng-qczj\n    name: 区财政局\n", encoding="utf-8")
    before = units.read_text(encoding="utf-8")
    status, _, err = run(capsys, str(seeds / "004_6ea9e2c525c7fb1d.txt"), "--into", str(site.root / "content"))
    assert status == 1 and "属于“莆田市荔城区”" in err and "--scope" in err
    assert units.read_text(encoding="utf-8") == before
    assert not (site.root / "content" / "documents").exists()
