"""The 公开属性 gate: only 主动公开 documents are ever written, and nothing of the others
leaks into any output: pages, lists, unit pages, open data, sitemap, or any file a later
feature adds (every output file is searched, by content and by name)."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import check_site, collect_outputs
from generator.problems import Problems
from generator.site import load_site

# Text that only the withheld documents contain: title, body, metadata, task rows, an
# attachment, a unit used by nobody else, a year and an issuer no published document has.
WITHHELD_FRONT = """\
title: 机密标题{n}号关于内部事项的通知
disclosure: {disclosure}
index_no: SECRET-INDEX-{n}
doc_no: 内密〔1999〕{n}号
issuer: 不公开的发布机构{n}
topic: 不公开主题{n}
written: 1999-0{n}-01
published: 1999-0{n}-02
keywords: [秘密主题词{n}]
unit_scope: local
tasks_note: 机密任务说明{n}
attachments:
  - title: 机密附件标题{n}
    file: secret-{n}.pdf
"""
WITHHELD_TASKS = """\
caption: 机密分工表标题{n}
tasks:
  - requirement: 机密任务要求{n}
    units: [区保密局]
    deadline: 1999年12月底前
    progress: 机密进度{n}
"""
SECRETS = ["机密标题", "内部事项", "SECRET-INDEX", "内密〔1999〕", "不公开的发布机构", "不公开主题",
           "1999", "秘密主题词", "机密任务说明", "机密附件标题", "secret-", "机密分工表标题",
           "机密任务要求", "机密进度", "机密正文", "区保密局", "local-bmj", "withheld-"]


def make_gated_site(make_site):
    site = make_site()
    site.write("content/units/local.yaml", """\
        name: 测试区
        units:
          - id: local-bgs
            name: 区政府办公室
          - id: local-czj
            name: 区财政局
          - id: local-bmj
            name: 区保密局
        """)
    site.document("public-doc", front="title: 公开的通知\ndisclosure: 主动公开\npublished: 2024-06-26\n"
                                      "issuer: 测试区人民政府办公室\nunit_scope: local\n",
                  body="一、总体要求\n\n公开的正文。\n",
                  tasks="tasks:\n  - requirement: 公开的任务\n    units: [区财政局]\n")
    for n, disclosure in ((1, "依申请公开"), (2, "不予公开")):
        doc_id = f"withheld-{n}"
        site.document(doc_id, front=WITHHELD_FRONT.format(n=n, disclosure=disclosure),
                      body=f"一、机密正文{n}\n\n（一）机密正文段落{n}。\n",
                      tasks=WITHHELD_TASKS.format(n=n))
        (site.root / f"content/documents/{doc_id}/secret-{n}.pdf").write_bytes(b"%PDF secret")
    return site


def assert_no_secret(files: dict[str, bytes | Path]) -> None:
    for name, content in files.items():
        data = content if isinstance(content, bytes) else Path(content).read_bytes()
        text = data.decode("utf-8", "ignore")
        for secret in SECRETS:
            assert secret not in name, (secret, name)
            assert secret not in text, (secret, name)


def test_withheld_documents_appear_nowhere_on_disk(make_site, tmp_path):
    site = make_gated_site(make_site)
    out = tmp_path / "out"
    result = site.build(out)
    assert [d.id for d in result.site.documents] == ["public-doc"]
    assert sorted(result.site.withheld) == ["withheld-1", "withheld-2"]
    written = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    # every kind of output exists, so that the search below covers it
    for expected in ("index.html", "documents/index.html", "documents/public-doc/index.html",
                     "units/index.html", "units/local-czj/index.html", "years/index.html",
                     "issuers/index.html", "topics/index.html", "sitemap/index.html",
                     "api/documents.json", "api/tasks.json", "api/tasks.csv", "sitemap.xml"):
        assert expected in written, expected
    assert not (out / "units" / "local-bmj").exists(), "a unit only the withheld rows name gets no page"
    assert_no_secret(written)


def test_withheld_documents_appear_in_no_output_even_in_memory(make_site):
    """The in-memory outputs (what check renders, and what any later output is built
    from) hold nothing of the withheld documents either."""
    site = make_gated_site(make_site)
    problems = Problems(site.root)
    loaded = load_site(site.root, problems)
    assert loaded is not None and not problems.has_errors()
    # the Site object itself keeps only the ids of withheld documents, not their text
    assert all(d.is_public for d in loaded.documents)
    assert all(r.document.id == "public-doc" for rows in loaded.task_rows.values() for r in rows)
    outputs = collect_outputs(loaded, problems)
    assert_no_secret({k: v for k, v in outputs.files.items() if isinstance(v, bytes)})
    assert all("withheld" not in k for k in outputs.files)


def test_each_skipped_document_gets_a_notice(make_site):
    site = make_gated_site(make_site)
    site.document("draft-doc", front="title: 草稿\ndisclosure: 主动公开\ndraft: true\n")
    _, problems = check_site(site.root)
    notices = {p.path: p.message for p in problems if p.severity == "notice"}
    assert "依申请公开" in notices["content/documents/withheld-1/index.md"]
    assert "不予公开" in notices["content/documents/withheld-2/index.md"]
    assert "草稿" in notices["content/documents/draft-doc/index.md"]
    line = next(p.line for p in problems if p.path == "content/documents/withheld-1/index.md")
    assert line == 3, "the notice points at the disclosure line (after --- and title)"


@pytest.mark.parametrize("value", ["依申请公开", "不予公开"])
def test_withheld_documents_are_not_scanned_or_resolved(make_site, tmp_path, value):
    """A withheld document may hold personal data or unknown units: it is not published,
    so it does not block the build."""
    site = make_site()
    site.document("a")
    site.document("b", front=f"title: 乙\ndisclosure: {value}\n", body="联系人手机 13812345678\n",
                  tasks="tasks:\n  - requirement: 甲\n    units: [不存在的单位]\n")
    result = site.build(tmp_path / "out")
    assert [d.id for d in result.site.documents] == ["a"]
