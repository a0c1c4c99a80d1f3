"""Rendering: a Jinja environment over the site's templates and the built-in theme.

``render_page`` is a pure function of (site, page): the same inputs give the same
bytes, which is what makes builds reproducible and lets later rebuilds skip pages.
Templates are looked up in the site's own ``templates/`` first, then in the theme,
file by file, so a site overrides only what it changes.
"""
from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import dataclass
from functools import partial
from types import FunctionType
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape as _escape

try:
    from markupsafe import _escape_inner     # the C escaper escape() calls (MarkupSafe 2.1+)
except ImportError:                          # pragma: no cover - another MarkupSafe
    _escape_inner = None

from .pages import Page
from .qr import qr_svg
from .site import Site, TaskRow

THEME_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass
class TemplateProblem(Exception):
    """A template that failed to load or render: file, line and message."""

    path: str
    line: int | None
    message: str
    hint: str = ""


def template_dirs(site_root: Path) -> list[Path]:
    """Search path: the site's templates/ (if any) before the built-in theme."""
    dirs = []
    own = site_root / "templates"
    if own.is_dir() and own.resolve() != THEME_DIR.resolve():
        dirs.append(own)
    dirs.append(THEME_DIR)
    return dirs


_new_str = str.__new__


def _quick_escape(value: Any) -> Markup:
    """``markupsafe.escape``, the same Markup for every value, without ``Markup.__new__``'s
    Python frame for the commonest one (a plain str): autoescape calls it for each of
    about a hundred values a page, 2.3 million times at 10,000 documents."""
    if type(value) is str:
        return _new_str(Markup, _escape_inner(value))
    return _escape(value)


class _Template(jinja2.Template):
    """Jinja's Template, whose compiled code escapes with :func:`_quick_escape`.

    A compiled template's code imports ``escape`` (MarkupSafe's) into the namespace its
    functions run in; the name is pointed at the quick one there, and only when it is
    MarkupSafe's own. Rendering the pages of 2,000 documents: 1.86 -> 1.72 s, the same
    bytes (tests/test_build.py compares every value kind with Jinja's own escaping)."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):  # noqa: ANN001,ANN206 - Jinja's
        if _escape_inner is not None and namespace.get("escape") is _escape:
            namespace["escape"] = _quick_escape
        return super()._from_namespace(environment, namespace, globals)


class _Context(jinja2.runtime.Context):
    """Jinja's Context, whose ``call`` (every call in a template: ``rel()`` about once
    per link) calls a plain function or ``functools.partial`` at once.

    Context.call looks for Jinja's pass_context / pass_environment marks on the
    callable and on its ``__call__``, then drops the ``_loop_vars`` and ``_block_vars``
    it was given. A function or partial without the mark (an attribute Jinja's
    decorators set on it) has nothing to inject, so that is all it did for them."""

    def call(__self, __obj, *args, **kwargs):  # noqa: ANN001,ANN002,ANN003,ANN204,N805 - Jinja's
        if (type(__obj) is partial or type(__obj) is FunctionType) and "jinja_pass_arg" not in __obj.__dict__:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


def make_environment(site_root: Path) -> jinja2.Environment:
    """Jinja with StrictUndefined (a typo is an error, not a blank) and autoescape.

    Templates are not checked for changes while the environment lives (``auto_reload``
    off): every page and every include would stat its template file, 2 % of rendering.
    A builder makes a new environment when a template's digest changes."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(site_root)]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
    )
    env.template_class = _Template
    env.context_class = _Context
    env.filters["isodate"] = isodate
    env.globals["merge_cells"] = merge_cells
    env.globals["task_columns"] = task_columns
    env.globals["qr_svg"] = qr_svg
    return env


def isodate(value: dt.date | None, empty: str = "") -> str:
    """Dates are shown YYYY-MM-DD, as disclosure pages require."""
    return value.isoformat() if value else empty


TASK_COLUMNS = ("section", "item", "deadline", "status", "progress")


def task_columns(rows: tuple[TaskRow, ...]) -> dict[str, bool]:
    """Which optional columns a task table has: those some row fills in. One pass in
    Python: five ``selectattr | list | length`` filters a table took 0.9 of the 15.5
    CPU-s of a 10,000-document build's templates (Jinja's filters are wrapped for async
    use and test each row through the environment)."""
    return {name: any(getattr(row.task, name) for row in rows) for name in TASK_COLUMNS}


class Cell:
    """A row of a task table as :func:`merge_cells` gives it to the template.

    An object, not a dict: a template reads ``cell.section_span`` through Jinja's
    getattr, which tries the attribute first, and on a dict that raised (and caught) an
    AttributeError each time, ten times a row (0.45 µs more a read; about a million
    reads at 10,000 documents). ``cell["row"]`` still works for a site's own templates."""

    __slots__ = ("row", "section_span", "item_span")

    def __init__(self, row: TaskRow) -> None:
        self.row, self.section_span, self.item_span = row, 1, 1

    def __getitem__(self, key: str) -> Any:
        if key not in self.__slots__:
            raise KeyError(key)
        return getattr(self, key)


def merge_cells(rows: tuple[TaskRow, ...]) -> list[Cell]:
    """Rows of a task table with rowspans for equal neighbouring section and item cells.

    A span of 0 means the cell is covered by the one above and is not written.
    """
    out = [Cell(r) for r in rows]
    for key, span in (("section", "section_span"), ("item", "item_span")):
        start = 0
        for i in range(1, len(out) + 1):
            same = (i < len(out)
                    and getattr(out[i].row.task, key) == getattr(out[start].row.task, key)
                    and (key == "section" or out[i].row.task.section == out[start].row.task.section))
            if not same:
                setattr(out[start], span, i - start)
                for j in range(start + 1, i):
                    setattr(out[j], span, 0)
                start = i
    return out


def render_page(env: jinja2.Environment, site: Site, page: Page) -> bytes:
    """Render one page to UTF-8 bytes; raise :class:`TemplateProblem` on template errors."""
    return render_text(env, site, page).encode("utf-8")


def render_text(env: jinja2.Environment, site: Site, page: Page) -> str:
    """Render one page (see :func:`render_page`), as text."""
    rel = page.linker(site.config.base_path)
    try:
        template = env.get_template(page.template)
        html = template.render(site=site, config=site.config, page=page, rel=rel, **page.data)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateProblem(_template_path(e.filename, page.template), e.lineno,
                              f"模板语法错误：{e.message}", "检查这一行的 {{ }} 和 {% %} 是否成对。") from None
    except jinja2.TemplateNotFound as e:
        raise TemplateProblem(f"templates/{e.name}", None, f"找不到模板 {e.name}",
                              "检查模板文件名，或删除网站 templates/ 中的覆盖以使用内置主题。") from None
    except Exception as e:  # any error raised while a template runs
        path, line = _template_frame(e, page.template)
        hint = ("模板用到了不存在的变量或属性；检查拼写。" if isinstance(e, jinja2.UndefinedError)
                else "模板运行出错。")
        raise TemplateProblem(path, line, f"渲染 {page.url or '首页'} 时出错：{e}", hint) from None
    return html


def _template_path(filename: str | None, fallback: str) -> str:
    if not filename:
        return f"templates/{fallback}"
    p = Path(filename)
    for d in (THEME_DIR,):
        try:
            return "templates/" + p.resolve().relative_to(d.resolve()).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def _template_frame(error: BaseException, fallback: str) -> tuple[str, int | None]:
    """The innermost template file and line in the traceback of a render error."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return _template_path(frame.filename, fallback), frame.lineno
    return f"templates/{fallback}", None
