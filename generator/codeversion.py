"""What the build cache is keyed by besides the sources: the code that makes the output.

:func:`code_version` digests the cache's format, Python's version, the versions of the
libraries that shape pages (Jinja, MarkupSafe, Markdown, PyYAML, segno, pypinyin, nh3)
and Gongkai's own source files; a cache written under another digest is no cache
(:mod:`generator.buildcache`). Every build, a no-op included, starts by working it out,
so it avoids importing :mod:`importlib.metadata`: library versions are read from the
distributions' metadata in sys.path's folders, as importlib.metadata finds them.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

FORMAT = 1
LIBRARIES = ("jinja2", "markupsafe", "markdown", "pyyaml", "segno", "pypinyin", "nh3")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of everything besides the sources that decides the output."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{FORMAT}\0{sys.version}\0".encode())
    found = _installed_versions()
    for lib in LIBRARIES:
        h.update(f"{lib}={found.get(_normal(lib)) or _metadata_version_of(lib)}\0".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _metadata_version_of(lib: str) -> str:
    """importlib.metadata's version of ``lib`` ("?" if not installed). Imported only
    here: with the email modules it loads, it was 20 ms of a no-op build's 0.4 s."""
    from importlib import metadata
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return "?"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed_versions() -> dict[str, str]:
    """Normalised name -> version of the LIBRARIES installed on sys.path, found as
    importlib.metadata finds them (the first ``name-version.dist-info`` or ``.egg-info``
    on sys.path, its METADATA or PKG-INFO's Version) by listing sys.path's folders. A
    library not found so is left to importlib.metadata."""
    wanted, found = {_normal(lib) for lib in LIBRARIES}, {}
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for suffix, info in ((".dist-info", "METADATA"), (".egg-info", "PKG-INFO")):
            for name in names:
                dist = _normal(name[:-len(suffix)].partition("-")[0]) if name.lower().endswith(suffix) else ""
                if dist in wanted and dist not in found:
                    found[dist] = _metadata_version(os.path.join(entry or ".", name), info)
    return {k: v for k, v in found.items() if v}


def _metadata_version(path: str, info: str) -> str:
    """The Version header of a distribution's metadata ("" when it cannot be read)."""
    try:
        with open(os.path.join(path, info) if os.path.isdir(path) else path, encoding="utf-8") as f:
            headers = f.read().partition("\n\n")[0]      # the headers end at the first blank line
    except (OSError, UnicodeDecodeError):
        return ""
    return next((line.split(":", 1)[1].strip() for line in headers.splitlines()
                 if line.lower().startswith("version:")), "")


__all__ = ["FORMAT", "LIBRARIES", "code_version"]
