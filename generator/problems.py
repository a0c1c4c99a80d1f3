"""Problems found in a site's sources, collected in one pass and reported together.

Every loader appends to a :class:`Problems` list instead of raising, so an editor sees
all mistakes at once as ``path:line: 错误: message`` with a hint on the next line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"

_LABEL = {ERROR: "错误", WARNING: "警告", NOTICE: "提示"}


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: where (file, line), how bad, what, and what to do."""

    path: str
    line: int | None
    severity: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """Render as ``path:line: 错误: message`` plus an indented hint line."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: {_LABEL.get(self.severity, self.severity)}: {self.message}"
        if self.hint:
            text += f"\n    提示: {self.hint}"
        return text


@dataclass
class Problems:
    """An ordered collection of problems; paths are shown relative to ``root``."""

    root: Path
    items: list[Problem] = field(default_factory=list)

    def rel(self, path: Path | str) -> str:
        """Path as shown to the editor: relative to the site folder when inside it."""
        if isinstance(path, str) and not path.startswith("/"):
            return path                                   # already relative (or a label)
        p = Path(path)
        try:
            return p.relative_to(self.root).as_posix()    # the common case, without touching the disk
        except ValueError:
            pass
        try:
            return p.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return p.as_posix()

    def add(self, severity: str, path: Path | str, line: int | None, message: str,
            hint: str = "") -> None:
        self.items.append(Problem(self.rel(path), line, severity, message, hint))

    def error(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.add(ERROR, path, line, message, hint)

    def warning(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.add(WARNING, path, line, message, hint)

    def notice(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.add(NOTICE, path, line, message, hint)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.items)

    def sorted(self) -> list[Problem]:
        """Stable order for output: by file, then line, errors before warnings."""
        order = {ERROR: 0, WARNING: 1, NOTICE: 2}
        return sorted(self.items, key=lambda p: (p.path, p.line or 0, order.get(p.severity, 3),
                                                 p.message))

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class BuildFailed(Exception):
    """Raised when a build cannot go on; carries the problems that stopped it."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems.errors)} error(s)")
        self.problems = problems
