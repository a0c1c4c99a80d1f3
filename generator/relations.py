"""Links between documents: interpretations both ways (三同步) and replacement (有效性).

Phase one of the build calls :func:`resolve_relations` after every source is loaded.
Broken references are errors; policy gaps (a document that needs an interpretation but
has none, or whose interpretation came later) are warnings that ``--strict`` turns
into errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .content.documents import Document
from .content.interpretations import Interpretation
from .problems import Problems


@dataclass
class Relations:
    """Resolved links, keyed by id. Built once; templates and checks read it."""

    interpretations_of: dict[str, tuple[Interpretation, ...]] = field(default_factory=dict)
    documents_of: dict[str, tuple[Document, ...]] = field(default_factory=dict)
    replaced_by: dict[str, Document] = field(default_factory=dict)
    replaces: dict[str, tuple[Document, ...]] = field(default_factory=dict)
    current: dict[str, Document] = field(default_factory=dict)     # end of the replacement chain
    needing: tuple[str, ...] = ()                                   # ids of documents needing 解读

    def summary(self, interpretations: tuple[Interpretation, ...]) -> dict[str, float | int]:
        """Figures for ``gongkai check``: need, coverage and 多元化解读比例."""
        covered = sum(1 for d in self.needing if self.interpretations_of.get(d))
        non_text = sum(1 for i in interpretations if not i.is_text)
        return {"needing": len(self.needing), "covered": covered, "interpretations": len(interpretations),
                "non_text": non_text, "non_text_share": (non_text / len(interpretations)) if interpretations else 0.0}


def needs_interpretation(doc: Document, required_types: tuple[str, ...]) -> bool:
    """Declared in front matter, else implied by a document type configured as needing one."""
    if doc.needs_interpretation is not None:
        return doc.needs_interpretation
    return bool(doc.doc_type and doc.doc_type in required_types)


def resolve_relations(published: tuple[Document, ...], withheld: dict[str, Document],
                      interpretations: tuple[Interpretation, ...], required_types: tuple[str, ...],
                      problems: Problems) -> Relations:
    """Connect documents and interpretations; report unknown targets, cycles and gaps."""
    by_id = {d.id: d for d in published}
    rel = Relations()
    interp_of: dict[str, list[Interpretation]] = {}
    for it in interpretations:
        docs = []
        for target in it.interprets:
            line = it.lines.get("interprets")
            if target in by_id:
                docs.append(by_id[target])
                interp_of.setdefault(target, []).append(it)
            elif target in withheld:
                problems.error(it.source, line, f"解读的文件 “{target}” 不公开发布（{withheld[target].disclosure or '草稿'}）",
                               "解读只能关联主动公开的文件；先发布该文件，或删去这个关联。")
            else:
                problems.error(it.source, line, f"找不到被解读的文件 “{target}”",
                               "interprets 里写 content/documents/ 下的文件夹名（文档标识）；检查拼写。")
        rel.documents_of[it.id] = tuple(docs)
    rel.interpretations_of = {k: tuple(sorted(v, key=lambda i: (i.form, i.published, i.id)))
                              for k, v in sorted(interp_of.items())}

    # Replacement: A.superseded_by = B. Check targets first, then walk chains for cycles.
    for doc in published:
        target = doc.superseded_by
        if not target:
            continue
        line = doc.lines.get("superseded_by")
        if target == doc.id:
            problems.error(doc.source, line, "文件不能替代它自己", "superseded_by 写替代本文件的新文件的标识。")
        elif target in by_id:
            rel.replaced_by[doc.id] = by_id[target]
            if doc.is_valid and doc.validity is not None:
                problems.warning(doc.source, doc.lines.get("validity"),
                                 f"文件已被 {target} 替代，但有效性仍写“{doc.validity}”",
                                 "把 validity 改为 全文失效、全文废止 或 部分失效 等。")
        elif target in withheld:
            problems.error(doc.source, line, f"替代文件 “{target}” 不公开发布", "替代本文件的文件必须是主动公开的文件。")
        else:
            problems.error(doc.source, line, f"找不到替代文件 “{target}”",
                           "superseded_by 写 content/documents/ 下的文件夹名（文档标识）。")
    replaces: dict[str, list[Document]] = {}
    for old_id, new in rel.replaced_by.items():
        replaces.setdefault(new.id, []).append(by_id[old_id])
    rel.replaces = {k: tuple(sorted(v, key=lambda d: d.id)) for k, v in sorted(replaces.items())}
    for doc_id in sorted(rel.replaced_by):
        seen = [doc_id]
        current = rel.replaced_by[doc_id]
        while current.id in rel.replaced_by and current.id not in seen:
            seen.append(current.id)
            current = rel.replaced_by[current.id]
        doc = by_id[doc_id]
        if current.id in seen:
            cycle = " → ".join(seen + [current.id])
            problems.error(doc.source, doc.lines.get("superseded_by"), f"替代关系形成循环：{cycle}",
                           "检查这些文件的 superseded_by：最新的文件不应再写 superseded_by。")
            continue
        rel.current[doc_id] = current
        if len(seen) > 1:
            problems.warning(doc.source, doc.lines.get("superseded_by"),
                             f"替代关系是一条链：{' → '.join(seen + [current.id])}",
                             f"页面会同时指向现行的 {current.id}；也可以把 superseded_by 直接改为 {current.id}。")

    # 三同步: needed, present, and published no later than the document.
    needing = []
    for doc in published:
        if not needs_interpretation(doc, required_types):
            continue
        needing.append(doc.id)
        found = rel.interpretations_of.get(doc.id, ())
        if not found:
            problems.warning(doc.source, doc.lines.get("needs_interpretation") or doc.lines.get("doc_type"),
                             "这个文件需要政策解读，但还没有解读（三同步）",
                             "在 content/interpretations/ 中新建解读并写 interprets: [" + doc.id + "]，与文件同步发布。")
        elif doc.published:
            for it in found:
                if it.published > doc.published:
                    problems.warning(it.source, it.lines.get("published"),
                                     f"解读比文件晚发布（解读 {it.published.isoformat()}，文件 {doc.published.isoformat()}）",
                                     "三同步要求解读与文件同步发布；请核对发布日期。")
    rel.needing = tuple(needing)
    return rel
