"""What a build may read, as it is on disk now: the site's source files listed with
their stats, and whether one is as it was before a build.

Kept apart from :mod:`generator.buildcache` because a no-op build, ``build --watch``
and the preview all list the sources before anything else, and this must import
nothing heavy (no Jinja, Markdown or pinyin tables): a no-op build must start fast.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# the built-in theme (generator.render.THEME_DIR, not imported: a no-op build must start
# fast, without loading Jinja, Markdown or the pinyin tables)
THEME_DIR = Path(__file__).resolve().parent.parent / "templates"


def input_files(site_dir: Path, template_dirs: list[Path]) -> dict[str, os.stat_result]:
    """Every file a build may read (content/, the template folders, config.yaml), with
    its stat as listed."""
    files: dict[str, os.stat_result] = {}
    try:
        files[str(site_dir / "config.yaml")] = os.stat(site_dir / "config.yaml")
    except OSError:
        pass
    # the repository's own site uses the theme folder as its templates/: walk it once
    todo = list(dict.fromkeys([str(site_dir / "content"), *(str(d.resolve()) for d in template_dirs)]))
    while todo:
        folder = todo.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir():
                        todo.append(entry.path)
                    elif entry.is_file():
                        try:
                            files[entry.path] = entry.stat()
                        except OSError:             # removed meanwhile
                            continue
        except (FileNotFoundError, NotADirectoryError):
            continue
    return files


def template_folders(site_dir: Path) -> list[Path]:
    """The template folders a build reads: the site's templates/ and the built-in theme."""
    return [d for d in (site_dir / "templates", THEME_DIR) if d.is_dir()]


def stat_key(path: Path) -> tuple[int, int, int] | None:
    """(size, mtime, inode) of a file as the cache records it; None if it is not there."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class Listing:
    """What a build knows of its input files from before it read any: as listed with
    their stats (:func:`input_files`) by the command line's check, or only the time it
    started (``since``; ``files`` None until they are listed at the end)."""

    files: dict[str, os.stat_result] | None
    since: int = 0                     # time.time_ns() at the start of a build without a check
    dirs: list[Path] = field(default_factory=list)    # the template folders, to list then
    taken: dict = field(default_factory=dict)         # stamps the check took (BuildCache.changes)

    @classmethod
    def now(cls, site_dir: Path, template_dirs: list[Path]) -> "Listing":
        return cls(input_files(site_dir, template_dirs))

    def unchanged(self, path: str, st: os.stat_result) -> bool:
        """Whether the file ``path`` (``st`` now) is as it was before the build."""
        if self.since:
            # ctimes come from the kernel's coarse clock, a tick behind at most: a file
            # written as the build started can look older, never newer, and the
            # build's own listing of the sources comes ticks later and sees it
            return st.st_ctime_ns < self.since
        listed = self.files.get(path) if self.files is not None else None
        return listed is not None and (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == (
            listed.st_size, listed.st_mtime_ns, listed.st_ctime_ns, listed.st_ino)


__all__ = ["Listing", "THEME_DIR", "input_files", "stat_key", "template_folders"]
