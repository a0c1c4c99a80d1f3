"""Build orchestration: load → render → write atomically.

The new site is written into a fresh folder beside ``output/`` and swapped in only when
every page rendered, so a failed build leaves the previous site untouched. A manifest
(path and SHA-256 of every file) is written with it.
"""
from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable, Iterable, KeysView, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import linkcheck, opendata, parallel, permalinks, searchfiles
from .collector import no_gc
from .buildcache import MANIFEST, Check
from .writer import Staged, stage_or_keep, stager, start_staging, wait_discarded, write_atomic
from .problems import BuildFailed, Problems
from .render import TemplateProblem, template_dirs
from .segmentshelf import give_back
from .site import Site, load_site

T = TypeVar("T")


@dataclass
class BuildResult:
    """What a build did, for the command line and the benchmarks."""

    site: Site | None          # None when the cache showed that nothing changed
    output_dir: Path
    pages: int
    files: int
    bytes: int
    seconds: float
    rendered: int | None = None     # pages rendered (None: a full build rendered all)


class Origins(Mapping):
    """Output path → the source it came from, as shown to the editor.

    Sources are kept as paths and made relative only when a message needs one: doing it
    for every page cost a fifth of a one-page preview rebuild."""

    def __init__(self, problems: Problems):
        self.problems = problems
        self.raw: dict[str, str | Path] = {}

    def __getitem__(self, path: str) -> str:
        return self.problems.rel(self.raw[path])

    def __iter__(self):
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


class Outputs:
    """The files of a build, keyed by output path; two sources for one path is an error."""

    def __init__(self, problems: Problems):
        self.problems = problems
        # bytes, a file to copy, or a page already written into the staging folder
        self.files: dict[str, bytes | Path | Staged] = {}
        self.origin = Origins(problems)
        # links and ids of the pages rendered by this build, read where they were rendered
        self.links: dict[str, linkcheck.PageLinks] = {}

    def add(self, path: str, content: bytes | Path | Staged, origin: str | Path) -> None:
        if path in self.files:
            self.problems.error(origin, None,
                                f"输出文件 {path} 有两个来源：{self.origin[path]} 和 {self.problems.rel(origin)}",
                                "两个来源会写到同一个地址；改掉其中一个的标识或文件名。")
            return
        self.files[path] = content
        self.origin.raw[path] = origin


    def check_conflicts(self, checked: KeysView[str] | None = None) -> None:
        """A file may not sit where another output needs a folder (a/b vs a/b/index.html).

        ``checked``: the paths of an earlier build that had no conflict; when they are
        these very paths, there is none now either (one set comparison, not a walk of
        65,000 paths on every preview rebuild)."""
        if checked is not None and self.files.keys() == checked:
            return
        dirs = {p.rsplit("/", 1)[0] for p in self.files if "/" in p}
        expanded = set()
        for d in dirs:
            parts = d.split("/")
            expanded.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        for path in sorted(self.files):
            if path in expanded:
                self.problems.error(self.origin[path], None,
                                    f"输出文件 {path} 与同名的文件夹冲突",
                                    "改掉这个附件或文档的名称。")


# Outputs computed from the whole site rather than from one page.
DATA_OUTPUTS = ("api/documents.json", "api/tasks.json", "api/tasks.csv", "sitemap.xml", "robots.txt")
# … of which the open data, made of per-document pieces (see open_data)
OPEN_DATA = {"api/documents.json": opendata.documents_json, "api/tasks.json": opendata.tasks_json,
             "api/tasks.csv": opendata.tasks_csv}
_SMALL_DATA = {"sitemap.xml": opendata.sitemap_xml, "robots.txt": opendata.robots_txt}


def open_data(site: Site, memo: dict | None, stage: Path | None,
              wanted: Iterable[str] = OPEN_DATA) -> dict[str, bytes | Staged]:
    """The files of OPEN_DATA named in ``wanted``; ``memo``: the pieces an incremental
    builder keeps (see :mod:`generator.opendata`). A full build (``stage``) writes each
    into the staging folder as soon as it is made: 94 MB at 10,000 documents, not held
    to the end."""
    return {path: stage_or_keep(stage, path, make(site, memo))
            for path, make in OPEN_DATA.items() if path in wanted}


def after_pages(site: Site, index: Callable[[], T], known: Mapping[str, object] | None,
                memo: dict | None, stage: Path | None,
                then: Callable[[], None] | None = None) -> tuple[T, dict[str, bytes | Staged]]:
    """(``index()``, the open data not in ``known``): this process's work while workers
    render pages (:func:`generator.parallel.render_pages`), followed by ``then()``. The
    open data comes after the index, while workers still have pages to render: made
    once they were all done, it was 1.8 s of a 10,000-document build on one CPU with
    the other idle."""
    built = index()
    data = open_data(site, memo, stage, [p for p in OPEN_DATA if not known or p not in known])
    if data:
        # the files' pieces and joins are gone: hand their 60 MB (10,000 documents)
        # back before the cache's save, while the workers are still at their largest
        give_back()
    if then is not None:
        then()
        give_back()
    return built, data


def collect_outputs(site: Site, problems: Problems,
                    rendered_pages: dict[str, bytes] | None = None,
                    data_outputs: dict[str, bytes | Path] | None = None,
                    memo: dict | None = None, stage: Path | None = None,
                    checked: KeysView[str] | None = None) -> Outputs:
    """Everything to write: rendered pages, open data, theme assets and attachments.

    ``rendered_pages`` (output path → HTML) comes from an incremental build that has
    already rendered, or reused, every page. ``stage``: the staging folder of a full
    build, into which pages are written as they are rendered (see
    :func:`generator.parallel.render_pages`), and the open data as it is made.
    ``checked``: see :meth:`Outputs.check_conflicts`.
    """
    outputs = Outputs(problems)
    index = data_outputs.get("search") if data_outputs else None
    if rendered_pages is None:
        # pages in worker processes; the search index and the open data here meanwhile
        def make_index():
            return searchfiles.index_files(site, put=stager(stage)) if index is None else index

        try:
            htmls, (built, made) = parallel.render_pages(
                site, list(site.pages), lambda: after_pages(site, make_index, data_outputs, memo, stage),
                links=outputs.links, stage=stage)
        except TemplateProblem as t:
            problems.error(t.path, t.line, t.message, t.hint)
            raise BuildFailed(problems) from None
        rendered_pages = {page.output: html for page, html in zip(site.pages, htmls)}
        index = built
        data_outputs = {**(data_outputs or {}), **made}
    for page in site.pages:
        origin = page.sources[0] if page.sources else page.template
        outputs.add(page.output, rendered_pages[page.output], origin)
    for path in DATA_OUTPUTS:
        known = data_outputs.get(path) if data_outputs else None
        if known is None:
            known = open_data(site, memo, stage, {path})[path] if path in OPEN_DATA else _SMALL_DATA[path](site)
        outputs.add(path, known, path)
    # search/index/: the offline search index (an incremental build passes the previous
    # files under "search" when nothing it indexes has changed)
    for path, data in (index if index is not None else searchfiles.index_files(site)):
        outputs.add(path, data, "search")
    assets: dict[str, Path] = {}
    for folder in reversed(template_dirs(site.root)):      # theme first, site overrides
        root = folder / "assets"
        if root.is_dir():
            for f in sorted(root.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    assets["assets/" + f.relative_to(root).as_posix()] = f
    for path, src in sorted(assets.items()):
        outputs.add(path, src, src)
    for doc in site.documents:
        for att in doc.attachments:
            if att.file:
                outputs.add(f"documents/{doc.id}/{att.file}", doc.folder / att.file,
                            doc.source)
    for it in site.interpretations:
        for name in it.files:
            outputs.add(f"{it.url}{name}", it.source.parent / name, it.source)
    if site.redirects:
        # Static redirect pages work on any server; these maps let nginx/Apache send real 301s.
        targets = {old: target for old, (target, _, _) in site.redirects.items()}
        base = site.config.base_path
        outputs.add("server/nginx-redirects.conf", permalinks.nginx_map(targets, base).encode(), "aliases")
        outputs.add("server/apache-redirects.conf", permalinks.apache_map(targets, base).encode(), "aliases")
    outputs.check_conflicts(checked)
    return outputs


def check_links(site: Site, outputs: Outputs, problems: Problems, strict: bool,
                broken: list | None = None) -> None:
    """Every internal link and anchor among the outputs resolves (warnings; errors if strict).

    ``broken``: the broken links, when the caller found them (an incremental build)."""
    if broken is None:
        broken = linkcheck.find_broken_links(outputs.files, site.config.base_url, known=outputs.links)
    linkcheck.report(broken, outputs.origin, problems, strict)


def check_output_dir(site_dir: Path, output_dir: Path, problems: Problems) -> None:
    """Refuse output folders whose replacement would destroy sources or unknown files."""
    out, site = output_dir.resolve(), site_dir.resolve()
    if out == site or out in site.parents:
        problems.error(output_dir, None, "输出文件夹不能是网站文件夹本身或它的上级",
                       "构建会整体替换输出文件夹；请用 output/ 或另一个空文件夹。")
    for protected in ("content", "templates"):
        p = (site / protected).resolve()
        if out == p or p in out.parents:
            problems.error(output_dir, None, f"输出文件夹不能放在 {protected}/ 里", "请用 output/。")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        problems.error(output_dir, None, "输出文件夹已存在，且不是 gongkai 生成的",
                       "为了不误删文件，构建只替换自己生成过的文件夹；换一个输出文件夹，或先手动清空它。")


def build_site(site_dir: Path, output_dir: Path | None = None, drafts: bool = False,
               problems: Problems | None = None, strict: bool = False,
               cache: bool = False, check: Check | None = None, keep: list | None = None) -> BuildResult:
    """Build the site in ``site_dir``; raise :class:`BuildFailed` with every problem.

    With ``strict``, broken internal links are errors, so nothing is written. With
    ``cache`` (the command line's default) the build cache in ``.gongkai-cache/`` is
    used and updated: see :mod:`generator.buildcache` (``check``: what the caller has
    just found changed, :func:`generator.buildcache.check_build`; ``keep``: see
    :func:`generator.buildcache.build_with_cache`).
    """
    start = time.perf_counter()
    site_dir = site_dir.resolve()
    output_dir = (output_dir or site_dir / "output").absolute()
    problems = problems if problems is not None else Problems(site_dir)
    check_output_dir(site_dir, output_dir, problems)
    if cache and not problems.has_errors():
        from .buildcache import build_with_cache
        # (an output/ changed by hand is written afresh there, through the cache)
        return build_with_cache(site_dir, output_dir, drafts, problems, strict, start, check, keep)
    # The loaded site lives until the end: the collector need not walk it again and again.
    with no_gc(freeze=True):
        site = load_site(site_dir, problems, drafts=drafts)
    if site is None or problems.has_errors():
        gc.unfreeze()
        raise BuildFailed(problems)
    try:
        return _render_and_write(site, site_dir, output_dir, drafts, problems, strict, start)
    finally:
        gc.unfreeze()


def _render_and_write(site: Site, site_dir: Path, output_dir: Path, drafts: bool,
                      problems: Problems, strict: bool, start: float) -> BuildResult:
    stage = start_staging(output_dir)
    try:
        outputs = collect_outputs(site, problems, stage=stage)
        if not problems.has_errors():
            check_links(site, outputs, problems, strict)
        if problems.has_errors():
            raise BuildFailed(problems)
        size = write_atomic(output_dir, outputs)
    finally:
        shutil.rmtree(stage, ignore_errors=True)        # left only when the build failed
        wait_discarded()
    if site.addresses is not None and site.addresses.ledger_changed and not drafts:
        # Recorded only once the site is really out (a preview with drafts is not): an
        # address that never went live does not have to be kept.
        permalinks.write_ledger(site.root / "content", site.addresses.ledger)
    return BuildResult(site, output_dir, len(site.pages), len(outputs.files), size,
                       time.perf_counter() - start)


def check_site(site_dir: Path, drafts: bool = False,
               strict: bool = False) -> tuple[Site | None, Problems]:
    """Load, validate, render everything in memory and check its links; write nothing."""
    problems = Problems(site_dir.resolve())
    site = load_site(site_dir.resolve(), problems, drafts=drafts)
    if site is not None and not problems.has_errors():
        try:
            outputs = collect_outputs(site, problems)
            if not problems.has_errors():
                check_links(site, outputs, problems, strict)
        except BuildFailed:
            pass
    return site, problems
