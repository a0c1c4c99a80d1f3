"""The page plan: which HTML pages a site has, each with its URL and template."""
from __future__ import annotations

from .pages import Page
from .site import Group, Site

LIST_KINDS = {
    # kind: (URL folder, 栏目 name, page title of the index)
    "years": ("years", "按年份", "按年份浏览"),
    "issuers": ("issuers", "按发布机构", "按发布机构浏览"),
    "topics": ("topics", "按主题分类", "按主题分类浏览"),
}


def plan_pages(site: Site) -> tuple[Page, ...]:
    """Every HTML page of the site, in a stable order."""
    cfg_sources = (site.root / "config.yaml",)
    all_sources = tuple(d.source for d in site.documents) + cfg_sources
    pages: list[Page] = [
        Page("home", "", "home.html", site.config.name, "首页",
             {"documents": site.documents}, all_sources),
        Page("documents", "documents/", "list.html", "全部文件", "政府文件",
             {"documents": site.documents, "heading": "全部文件"}, all_sources),
    ]
    rel = site.relations
    for doc in site.documents:
        interps = rel.interpretations_of.get(doc.id, ())
        pages.append(Page("document", doc.url, "document.html", doc.title, "政府文件",
                          {"document": doc, "rows": site.task_rows.get(doc.id, ()),
                           "interpretations": interps, "replaced_by": rel.replaced_by.get(doc.id),
                           "current": rel.current.get(doc.id), "replaces": rel.replaces.get(doc.id, ())},
                          (doc.source,) + tuple(i.source for i in interps)
                          + tuple(d.source for d in rel.replaces.get(doc.id, ())) + cfg_sources))
        if doc.id in site.task_rows:
            caption = (doc.tasks.caption if doc.tasks and doc.tasks.caption else f"{doc.title}任务分工")
            tasks_sources = (doc.source,) + ((doc.tasks.source,) if doc.tasks else ()) + cfg_sources
            pages.append(Page("tasks", doc.tasks_url, "tasks.html", caption, "任务分工",
                              {"document": doc, "rows": site.task_rows[doc.id], "caption": caption},
                              tasks_sources))
    units = [site.units.units[uid] for uid in site.unit_rows]
    pages.append(Page("units", "units/", "units.html", "责任单位", "责任单位",
                      {"units": sorted(units, key=lambda u: (u.scope, u.id)),
                       "rows": site.unit_rows}, all_sources))
    for unit in units:
        pages.append(Page("unit", unit.url, "unit.html", unit.full_name, "责任单位",
                          {"unit": unit, "rows": site.unit_rows[unit.id]},
                          (unit.source,) + tuple(dict.fromkeys(r.document.source for r in site.unit_rows[unit.id]))
                          + cfg_sources))
    for kind, groups in (("years", tuple(reversed(site.years))), ("issuers", site.issuers),
                         ("topics", site.topics)):
        folder, column, title = LIST_KINDS[kind]
        undated = tuple(d for d in site.documents if d.year is None) if kind == "years" else ()
        pages.append(Page("groups", f"{folder}/", "groups.html", title, column,
                          {"groups": groups, "folder": folder, "undated": undated}, all_sources))
        for group in groups:
            pages.append(_group_page(kind, folder, column, group, cfg_sources))
    pages.append(Page("interpretations", "interpretations/", "interpretations.html", "政策解读", "政策解读",
                      {"interpretations": site.interpretations},
                      tuple(i.source for i in site.interpretations) + cfg_sources))
    for it in site.interpretations:
        docs = rel.documents_of.get(it.id, ())
        pages.append(Page("interpretation", it.url, "interpretation.html", it.title, "政策解读",
                          {"interpretation": it, "documents": docs},
                          (it.source,) + tuple(d.source for d in docs) + cfg_sources))
    for doc in site.withdrawn:
        pages.append(Page("withdrawn", doc.url, "withdrawn.html", doc.title, "政府文件",
                          {"what": "文件", "withdrawn": doc.withdrawn, "note": doc.withdrawn_note},
                          (doc.source,) + cfg_sources))
    for old, (target, title, source) in sorted(site.redirects.items()):
        pages.append(Page("redirect", old, "redirect.html", title, "页面已迁移",
                          {"target_url": target, "target_title": title}, (source,) + cfg_sources))
    pages.append(Page("sitemap", "sitemap/", "sitemap.html", "网站地图", "网站地图", {}, all_sources))
    pages.append(Page("404", "404.html", "404.html", "页面未找到", "页面未找到", {}, cfg_sources,
                      absolute_links=True))
    return tuple(pages)


def _group_page(kind: str, folder: str, column: str, group: Group, cfg_sources) -> Page:
    label = {"years": f"{group.key}年", "issuers": group.key, "topics": group.key}[kind]
    return Page("list", f"{folder}/{group.slug}/", "list.html", f"{label}的文件", column,
                {"documents": group.documents, "heading": f"{label}的文件", "group": group,
                 "parent": (f"{folder}/", LIST_KINDS[kind][2])},
                tuple(d.source for d in group.documents) + cfg_sources)
