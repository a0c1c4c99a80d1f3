"""The ``gongkai`` command line: thin wrappers around build, check and new."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .problems import BuildFailed, Problems

DESCRIPTION = """\
Gongkai（公开）把 config.yaml 和 content/ 里的文档生成为政务公开网站（静态网页）。

常用命令：
  gongkai build            在网站文件夹里运行：生成网站到 output/
  gongkai build --watch    生成后继续监视，保存文件后自动更新 output/
  gongkai check            只检查，不生成：列出所有错误和警告
  gongkai serve            生成并在 http://127.0.0.1:8000/ 预览
  gongkai new site 文件夹   新建一个网站文件夹（含示例配置和示例文档）
  gongkai new document 标识 在当前网站里新建一个文档，例如 gongkai new document licheng-2025-gkyd
  gongkai import 文件...    把门户网站上保存的网页（.html）或复制的正文（.txt）导入 content/

出错时会显示“文件:行号: 错误: 说明”，下一行“提示”告诉您怎么改。
"""


def _site_dir(args: argparse.Namespace) -> Path:
    return Path(args.site).expanduser() if args.site else Path.cwd()


def _print_problems(problems: Problems, stream=None, quiet_notices: bool = False) -> None:
    # sys.stderr as it is now, not as it was at import (a caller may have replaced it)
    stream = stream if stream is not None else sys.stderr
    for p in problems.sorted():
        if quiet_notices and p.severity == "notice":
            continue
        print(p.format(), file=stream)


def _summary(problems: Problems) -> str:
    return f"{len(problems.errors)} 个错误，{len(problems.warnings)} 个警告"


def cmd_build(args: argparse.Namespace) -> int:
    site_dir = _site_dir(args)
    problems = Problems(site_dir.resolve())
    out = Path(args.output).expanduser() if args.output else None
    if args.watch:
        return _watch(args, site_dir, out)
    if not args.no_cache:
        # Nothing changed? Answered without loading Jinja, Markdown or the pinyin tables.
        from time import perf_counter

        from .buildcache import check_build
        start = perf_counter()
        check = check_build(site_dir, _output_dir(site_dir, out), args.drafts, args.strict)
        if check.nothing:
            known = check.known
            problems.items.extend(known.problems)       # the last build's messages, as it printed them
            pages, files, _ = known.figures
            return _finish_build(args, problems, _output_dir(site_dir, out),
                                 f"没有变化：网站仍是上次生成的 {pages} 个页面、{files} 个文件，"
                                 f"用时 {perf_counter() - start:.2f} 秒。")
    from .build import build_site
    from .buildcache import Busy
    try:
        result = build_site(site_dir, out, drafts=args.drafts, problems=problems, strict=args.strict,
                            cache=not args.no_cache, check=None if args.no_cache else check)
    except Busy as busy:
        _say_busy(busy)
        return 1
    except BuildFailed:
        _print_problems(problems)
        print(f"\n构建失败：{_summary(problems)}。没有写入任何文件，原来的网站保持不变。", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{e.filename or _output_dir(site_dir, out)}: 错误: 无法写入输出文件夹：{e.strerror or e}\n"
              "    提示: 检查磁盘空间和这个文件夹的写入权限，然后重新构建；"
              "原来的网站保持不变（中断的更新会在下次构建时整体重写）。", file=sys.stderr)
        return 1
    from . import buildcache
    if buildcache.KEEP_UNTIL_EXIT is not None:
        buildcache.KEEP_UNTIL_EXIT.append(result)      # see run()
    again = ("" if result.rendered is None or result.rendered == result.pages
             else f"（重新生成 {result.rendered} 个，其余沿用上次的结果）")
    return _finish_build(args, problems, result.output_dir,
                         f"已生成 {result.pages} 个页面{again}、{result.files} 个文件"
                         f"（{result.bytes / 1024:.0f} KB），用时 {result.seconds:.2f} 秒。")


def _say_busy(busy) -> None:
    print(f"错误: 这个网站的 output/ 正由 gongkai build --watch（进程 {busy.pid}）保持更新，"
          "保存文件后它会自动重新生成。\n"
          "    提示: 不必再运行 gongkai build；要单独构建，先在运行它的窗口按 Ctrl+C 停止它。",
          file=sys.stderr)


def _watch(args: argparse.Namespace, site_dir: Path, out: Path | None) -> int:
    """``gongkai build --watch``: see :mod:`generator.watchbuild`."""
    if args.no_cache:
        print("错误: --watch 不能和 --no-cache 一起用（监视时只重新生成改动影响的页面）", file=sys.stderr)
        print("    提示: 去掉 --no-cache；要完整重新生成，先运行 gongkai build --no-cache。", file=sys.stderr)
        return 2
    if not (site_dir / "config.yaml").is_file():
        print(f"错误: {site_dir} 里没有 config.yaml", file=sys.stderr)
        print("    提示: 在网站文件夹里运行，或用 --site 指定网站文件夹。", file=sys.stderr)
        return 1
    from . import buildcache
    from .watchbuild import watch
    # the process stays up: its builds are kept only as long as they are the latest
    buildcache.KEEP_UNTIL_EXIT = None
    try:
        watch(site_dir, out, drafts=args.drafts, strict=args.strict, verbose=args.verbose, poll=args.poll)
    except buildcache.Busy as busy:
        _say_busy(busy)
        return 1
    print("已停止监视。", file=sys.stderr)
    return 0


def _output_dir(site_dir: Path, out: Path | None) -> Path:
    """The output folder a build writes (``--output`` or the site's output/)."""
    return (out or site_dir.resolve() / "output").absolute()


def _finish_build(args: argparse.Namespace, problems: Problems, output: Path, summary: str) -> int:
    """Messages, the --strict verdict and where the site is: the same for every build."""
    _print_problems(problems, quiet_notices=not args.verbose)
    if args.strict and problems.warnings:
        print(f"\n--strict：有 {len(problems.warnings)} 个警告，按错误处理。", file=sys.stderr)
        return 1
    print(summary)
    print(f"网站在：{output}")
    print(f"用浏览器打开：{(output / 'index.html').as_uri()}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import check_site
    site, problems = check_site(_site_dir(args), drafts=args.drafts, strict=args.strict)
    _print_problems(problems, quiet_notices=not args.verbose)
    failed = problems.has_errors() or (args.strict and problems.warnings)
    if site is not None:
        tasks = sum(len(r) for r in site.task_rows.values())
        print(f"{len(site.documents)} 个文件将发布（{len(site.withheld)} 个不公开），"
              f"{tasks} 项任务，{len(site.unit_rows)} 个责任单位，{len(site.pages)} 个页面。")
        fig = site.relations.summary(site.interpretations)
        print(f"政策解读：需要解读的文件 {fig['needing']} 个，已有解读 {fig['covered']} 个；"
              f"解读 {fig['interpretations']} 篇，其中图解、视频等非文字形式 {fig['non_text']} 篇，"
              f"多元化解读比例 {fig['non_text_share']:.0%}。")
    print(("检查未通过：" if failed else "检查通过：") + _summary(problems) + "。")
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"警告：在 {args.host} 上提供预览，同一网络中的其他人也能访问（包括草稿）。", file=sys.stderr)
    site_dir = _site_dir(args)
    if not (site_dir / "config.yaml").is_file():
        print(f"错误: {site_dir} 里没有 config.yaml", file=sys.stderr)
        print("    提示: 在网站文件夹里运行，或用 --site 指定网站文件夹。", file=sys.stderr)
        return 1
    try:
        serve(site_dir, args.host, args.port, drafts=args.drafts, poll=args.poll)
    except OSError as e:
        print(f"错误: 无法在 {args.host}:{args.port} 上启动预览：{e.strerror}", file=sys.stderr)
        print("    提示: 端口可能已被占用；用 --port 换一个端口，例如 --port 8001。", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("预览已停止。", file=sys.stderr)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_document, new_site
    try:
        if args.what == "site":
            path = new_site(Path(args.name))
            print(f"已新建网站：{path}\n下一步：cd {path} && gongkai build")
        else:
            path = new_document(_site_dir(args), args.name, args.title)
            print(f"已新建文档：{path}\n编辑它的元数据和正文，然后运行 gongkai build。")
    except ScaffoldError as e:
        print(f"错误: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importer.pipeline import ImportOptions, import_files
    from .importer.report import write_json
    into = Path(args.into).expanduser()
    if not into.is_dir():
        where = f"当前文件夹里没有 content/（{Path.cwd()}）" if args.into == "content" else f"找不到文件夹 {into}"
        print(f"错误: {where}", file=sys.stderr)
        print("    提示: 在网站文件夹里运行，或用 --into 指定已有的 content 文件夹，例如 --into 我的网站/content。",
              file=sys.stderr)
        return 1
    if args.id and len(args.paths) > 1:
        print("错误: --id 只能在导入一个文件时使用", file=sys.stderr)
        print("    提示: 分别导入每个文件，或去掉 --id 让程序自动生成标识。", file=sys.stderr)
        return 1
    options = ImportOptions(into=into, doc_id=args.id, scope=args.scope, title=args.title,
                            keep_traditional=args.keep_traditional, encoding=args.encoding,
                            dry_run=args.dry_run)
    failed = 0
    for n, outcome in enumerate(import_files([Path(p).expanduser() for p in args.paths], options)):
        if n:
            print()
        if outcome.error is not None:
            failed += 1
            print(outcome.error.format(), file=sys.stderr)
            continue
        print(outcome.report.format(verbose=args.verbose))
        if args.dry_run:
            print("  （--dry-run：没有写入任何文件）")
        if args.report:
            target = Path(args.report).expanduser()
            if len(args.paths) > 1:
                target = target.with_name(f"{target.stem}-{outcome.report.doc_id}{target.suffix or '.json'}")
            try:
                write_json(outcome.report, target)
                print(f"  报告（JSON）：{target}")
            except OSError as e:
                print(f"{target}: 错误: 无法写入报告：{e.strerror}", file=sys.stderr)
                failed += 1
    if failed:
        if len(args.paths) > 1:
            print(f"\n{failed} 个文件导入失败（见上面的错误说明），其余 {len(args.paths) - failed} 个已导入。",
                  file=sys.stderr)
        return 1
    print("\n下一步：核对上面“不确定”的各项，然后运行 gongkai check 和 gongkai build。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gongkai", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gongkai {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", metavar="文件夹", help="网站文件夹（含 config.yaml），默认是当前文件夹")
        p.add_argument("--drafts", action="store_true", help="包括草稿（draft: true）的文档")
        p.add_argument("--strict", action="store_true", help="把警告也当作错误（发布前用）")
        p.add_argument("-v", "--verbose", action="store_true", help="也显示提示信息（例如哪些文档不公开）")

    b = sub.add_parser("build", help="生成网站到 output/", description="检查全部内容并生成网站。"
                       "有任何错误时不写入任何文件，原来的 output/ 保持不变。")
    common(b)
    b.add_argument("--output", metavar="文件夹", help="输出文件夹，默认是网站文件夹里的 output/")
    b.add_argument("--no-cache", action="store_true",
                   help="不用构建缓存（.gongkai-cache/），全部重新生成")
    b.add_argument("--watch", action="store_true",
                   help="生成后继续监视 content/、templates/ 和 config.yaml，保存后只重新生成改动影响的"
                        "页面并写入 output/（按 Ctrl+C 停止）")
    b.add_argument("--poll", action="store_true", help="和 --watch 一起用：用轮询代替文件系统通知（网络盘、容器中）")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("check", help="只检查，不生成", description="读取并检查全部内容和模板，"
                       "列出所有错误和警告，不写入任何文件。")
    common(c)
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="在本机预览网站，保存后自动刷新",
                       description="生成网站并在 http://127.0.0.1:8000/ 预览；监视 content/、templates/ 和 "
                       "config.yaml，保存后只重新生成改动影响的页面，并自动刷新浏览器。出错时页面上方显示错误"
                       "（文件、行号、说明），改正后自动消失。预览不写入 output/。")
    s.add_argument("--site", metavar="文件夹", help="网站文件夹（含 config.yaml），默认是当前文件夹")
    s.add_argument("--drafts", action="store_true", help="预览时包括草稿（draft: true）")
    s.add_argument("--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1（只有本机能访问）")
    s.add_argument("--port", type=int, default=8000, help="端口，默认 8000")
    s.add_argument("--poll", action="store_true", help="用轮询代替文件系统通知（网络盘、容器中使用）")
    s.set_defaults(func=cmd_serve)

    n = sub.add_parser("new", help="新建网站或文档", description="gongkai new site 文件夹 —— 新建网站；"
                       "gongkai new document 标识 [--title 标题] —— 在网站里新建文档。")
    n.add_argument("what", choices=("site", "document"), help="site（网站）或 document（文档）")
    n.add_argument("name", help="网站文件夹名，或文档标识（小写字母、数字、连字符）")
    n.add_argument("--title", default="", help="文档标题")
    n.add_argument("--site", metavar="文件夹", help="网站文件夹，默认是当前文件夹")
    n.set_defaults(func=cmd_new)

    im = sub.add_parser("import", help="把保存的网页或复制的文字导入为文档",
                        description="读取保存的政府网站网页（.html）或复制的正文（.txt），在 content/documents/ "
                        "下新建文档文件夹（index.md，有任务分工表时还有 tasks.yaml），并报告识别到了什么、"
                        "哪些地方不确定、删去了哪些网页元素。不会覆盖已有的文档。")
    im.add_argument("paths", nargs="+", metavar="文件", help="要导入的 .html 或 .txt 文件（可以多个）")
    im.add_argument("--into", default="content", metavar="文件夹", help="content 文件夹，默认是 ./content")
    im.add_argument("--id", metavar="标识", help="文档标识（文件夹名），默认按发布机构、年份和文种生成")
    im.add_argument("--scope", metavar="范围", help="任务分工表的单位范围（content/units/<范围>.yaml），默认按发布机构生成")
    im.add_argument("--title", metavar="标题", help="文件标题（源文件中没有标题时使用）")
    im.add_argument("--keep-traditional", action="store_true", help="保留繁体字（默认转为简体）")
    im.add_argument("--encoding", metavar="编码", help="源文件编码（默认自动识别 UTF-8 / GBK / GB18030）")
    im.add_argument("--dry-run", action="store_true", help="只显示报告，不写入文件")
    im.add_argument("--report", metavar="文件.json", help="把完整报告（含每一处文字修正）写入 JSON 文件")
    im.add_argument("-v", "--verbose", action="store_true", help="报告中显示完整的长文字")
    im.set_defaults(func=cmd_import)
    return parser


def run() -> None:
    """The command line (``gongkai``, ``python -m generator``): :func:`main`, and then the
    process ends without freeing what the build made. A big site's Builder and Site are
    millions of objects, freed one by one at exit for nothing (0.2-0.3 s of a 3.9 s edit
    at 10,000 documents). Every file the build wrote is closed and its worker processes
    are joined by then; the messages are flushed here."""
    from . import buildcache
    buildcache.KEEP_UNTIL_EXIT = []
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):         # a closed pipe, as main() allows for
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:           # output piped into `head` and the like
        return 0
