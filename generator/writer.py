"""Writing the output folder: whole (a fresh folder swapped in) or by changes (in place).

A full build writes every file into a fresh folder beside ``output/`` and swaps it in
only when everything is written, so a failed or interrupted build leaves the previous
site untouched. A cached build (:mod:`generator.buildcache`) changes few files of a big
site; it updates ``output/`` in place, as lektor does: each changed file is written
beside its target and renamed over it (a reader never sees half a page), files no
longer produced are removed, and the manifest is replaced last. Every check that can
fail a build has passed before either writer starts. While an in-place update runs,
``.gongkai-writing`` exists in ``output/``; if it is still there (power cut), the next
build writes the whole folder afresh.
"""
from __future__ import annotations

import functools
import hashlib
from bisect import bisect_left
import os
import shutil
import subprocess
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .buildcache import MANIFEST

if TYPE_CHECKING:
    from .build import Outputs

WRITING = ".gongkai-writing"


class StaleOutput(Exception):
    """output/ is not as the build cache left it (edited by hand, or an update was cut off)."""


@dataclass(frozen=True)
class Staged:
    """A file already written into the staging folder (by the worker that rendered it):
    only its size, SHA-256 and stat travel back, not its bytes."""

    size: int
    digest: str
    stat: tuple[int, int, int]          # size, mtime (ns), inode


class Kept(os.PathLike):
    """A file of ``output/`` that a cached build takes over as the last build wrote it.

    A plain string path: a big site has tens of thousands of these, and making each a
    :class:`~pathlib.Path` (and comparing it with another) was a tenth of an edit's time."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"Kept({self.path!r})"

    def read_bytes(self) -> bytes:
        with open(self.path, "rb") as f:
            return f.read()


def content_bytes(content: "bytes | Path | Kept") -> bytes:
    """The bytes of an output: given as bytes, or as a file to read (a source to copy,
    or a file of output/ taken over)."""
    return content if isinstance(content, bytes) else content.read_bytes()


def staging_folder(output_dir: Path) -> Path:
    """The fresh folder a full build writes into, beside ``output_dir``."""
    return output_dir.parent / f".{output_dir.name}.tmp-{os.getpid()}"


def start_staging(output_dir: Path) -> Path:
    """An empty staging folder for ``output_dir`` (a stale one from a crash removed)."""
    tmp = staging_folder(output_dir)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def _write(target: "Path | str", data: bytes) -> Staged:
    """Write one new file: its size, SHA-256 and stat, as the manifest and cache keep them."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:                # os.write may write less than asked
            view = view[os.write(fd, view):]
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return Staged(len(data), hashlib.sha256(data).hexdigest(), (st.st_size, st.st_mtime_ns, st.st_ino))


# Folders this process has made or found in a staging folder: a full build stages 65,000
# files at 10,000 documents, most in a folder made already, and asking the file system
# again each time was 2.4 of its 87 CPU-seconds.
_folders: set[str] = set()


def _make_folder(path: str) -> None:
    os.makedirs(path, exist_ok=True)
    _folders.add(path)


def stage_file(folder: Path, rel: str, data: bytes) -> Staged | None:
    """Write ``data`` to ``folder/rel``; None when the path cannot be a file there (a file
    where a folder must go: the build reports that conflict before anything is swapped in)."""
    target = os.path.join(folder, rel)
    parent = os.path.dirname(target)
    try:
        if parent not in _folders:
            _make_folder(parent)
        try:
            return _write(target, data)
        except FileNotFoundError:
            # a folder remembered from a staging folder since removed (a failed build's)
            _folders.clear()
            _make_folder(parent)
            return _write(target, data)
    except (IsADirectoryError, NotADirectoryError, FileExistsError):
        return None


def stage_or_keep(folder: Path | None, rel: str, data: bytes) -> bytes | Staged:
    """``data`` written into the staging folder now, when there is one (a full build);
    without one, or where the path cannot be a file, the bytes themselves."""
    return (stage_file(folder, rel, data) or data) if folder is not None else data


def stager(folder: Path | None) -> "Callable[[str, bytes], bytes | Staged] | None":
    """A ``put`` for :func:`generator.searchfiles.build_index`: a full build writes each
    index file into the staging folder as soon as it is made, while workers render,
    instead of holding the index's bytes until every page is done. None without one."""
    return functools.partial(stage_or_keep, folder) if folder is not None else None


# Removals of replaced output folders still running (see discard()).
_discarding: list[tuple[Path, subprocess.Popen]] = []


def discard(folder: Path) -> None:
    """Remove ``folder`` (the site a full build has just replaced) in the background.

    Removing 65,000 files took 10 s of a 10,000-document rebuild on a disk mounted with
    ``discard``. The build has other work left (saving its cache), so ``rm -rf`` runs as
    a separate process beside it: a thread would wait for the interpreter lock between
    every two files. :func:`wait_discarded` waits for it before the build reports done."""
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        _discarding.append((folder, subprocess.Popen([rm, "-rf", "--", str(folder)],
                                                     stdin=subprocess.DEVNULL)))
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def wait_discarded() -> None:
    """Wait for every :func:`discard` to finish (whatever ``rm`` left is removed here)."""
    while _discarding:
        folder, proc = _discarding.pop()
        proc.wait()
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)


def _sweep_stale(output_dir: Path) -> None:
    """Remove replaced sites left beside ``output_dir`` by a build that was killed while
    removing them (``.output.old-PID`` of a process no longer running)."""
    prefix = f".{output_dir.name}.old-"
    try:
        entries = list(os.scandir(output_dir.parent))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(prefix):]
        if entry.name.startswith(prefix) and pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            discard(Path(entry.path))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                 # someone else's process: running
        return True
    return True


def _manifest_bytes(manifest: dict[str, str]) -> bytes:
    """The manifest as ``json.dumps(manifest, indent=0, sort_keys=True)`` writes it, and a
    newline. Written here with json's C string encoder: json.dumps with an indent runs
    its pure-Python encoder, 0.044-0.048 s at 10,000 documents (65,574 entries) against
    0.032-0.036 s here (tests/test_writer.py holds the two equal)."""
    if not manifest:
        return b"{}\n"
    quote = encode_basestring_ascii
    lines = [f"{quote(rel)}: {quote(manifest[rel])}" for rel in sorted(manifest)]
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("ascii")


def write_atomic(output_dir: Path, outputs: "Outputs", manifest_out: dict[str, str] | None = None,
                 written_out: dict[str, tuple[int, int, int]] | None = None) -> int:
    """Write every file into a fresh folder, then swap it in place of ``output_dir``.

    Files given as :class:`Staged` are in the staging folder already (see
    :func:`start_staging`); the others are written now. ``manifest_out`` and
    ``written_out`` receive each file's SHA-256 and its stat (size, time, inode) for the
    build cache. Returns the bytes written. The replaced site is removed in the
    background (:func:`discard`): call :func:`wait_discarded` before the build ends."""
    parent = output_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_folder(output_dir)
    old = parent / f".{output_dir.name}.old-{os.getpid()}"
    staged = any(isinstance(c, Staged) for c in outputs.files.values())
    for stale in ((old,) if staged else (tmp, old)):
        if stale.exists():
            shutil.rmtree(stale)
    total = 0
    manifest: dict[str, str] = {}
    written: dict[str, tuple[int, int, int]] = {}
    try:
        made: set[Path] = set()
        for rel in sorted(outputs.files):
            content = outputs.files[rel]
            if not isinstance(content, Staged):
                target = tmp / rel
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                content = _write(target, content_bytes(content))
            total += content.size
            manifest[rel] = content.digest
            written[rel] = content.stat
        (tmp / MANIFEST).write_bytes(_manifest_bytes(manifest))
        if output_dir.exists():
            output_dir.rename(old)
        tmp.rename(output_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not output_dir.exists():
            old.rename(output_dir)       # put the previous site back
        raise
    if old.exists():
        discard(old)
    _sweep_stale(output_dir)
    if manifest_out is not None:
        manifest_out.update(manifest)
    if written_out is not None:
        written_out.update(written)
    return total


def write_manifest(output_dir: Path, manifest: "dict[str, str] | ManifestText") -> None:
    """Replace ``output_dir``'s manifest atomically."""
    tmp = output_dir / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_bytes(manifest.data() if isinstance(manifest, ManifestText) else _manifest_bytes(manifest))
    os.replace(tmp, output_dir / MANIFEST)


class ManifestText:
    """A manifest (output path → SHA-256) kept with its text, in blocks of BLOCK entries
    in order, for a process that rewrites it after each change of a few files
    (``gongkai build --watch``): only the blocks of changed entries are quoted again.
    Quoting and sorting all 65,574 entries of 10,000 documents was 0.045 s of every
    edit's search index, and joining their lines again 0.015 s."""

    BLOCK = 128

    def __init__(self, manifest: dict[str, str]):
        self.entries = manifest                   # the dict itself: read as before
        self._order = sorted(manifest)
        self._blocks: dict[int, bytes] = {}       # block number → its lines, joined

    def set(self, rel: str, digest: str) -> None:
        at = bisect_left(self._order, rel)
        if at == len(self._order) or self._order[at] != rel:
            self._order.insert(at, rel)
            self._forget(at, len(self._order))      # the later entries moved
        else:
            self._forget(at, at + 1)
        self.entries[rel] = digest

    def remove(self, rel: str) -> None:
        at = bisect_left(self._order, rel)
        del self.entries[rel], self._order[at]
        self._forget(at, len(self._order) + 1)

    def _forget(self, start: int, stop: int) -> None:
        for block in range(start // self.BLOCK, (stop - 1) // self.BLOCK + 1):
            self._blocks.pop(block, None)

    def data(self) -> bytes:
        """The manifest's bytes, as :func:`_manifest_bytes` makes them from ``entries``."""
        order, entries, quote, size = self._order, self.entries, encode_basestring_ascii, self.BLOCK
        if not order:
            return b"{}\n"
        blocks = []
        for block in range(-(-len(order) // size)):
            data = self._blocks.get(block)
            if data is None:
                data = self._blocks[block] = ",\n".join(
                    [f"{quote(rel)}: {quote(entries[rel])}" for rel in order[block * size:(block + 1) * size]]
                ).encode("ascii")
            blocks.append(data)
        return b"{\n" + b",\n".join(blocks) + b"\n}\n"


def replace_file(target: str, data: bytes) -> tuple[int, int, int]:
    """Write ``data`` to ``target`` atomically (a reader sees the old file or the new,
    never half of one); returns its (size, mtime, inode) as recorded in the cache."""
    folder, name = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    st = os.stat(target)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def remove_output(output_dir: Path, rel: str) -> None:
    """Remove the file ``rel`` of ``output_dir``, and the folders it leaves empty."""
    gone = output_dir / rel
    gone.unlink(missing_ok=True)
    folder = gone.parent
    while folder != output_dir and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def write_changes(output_dir: Path, outputs: "Outputs", previous: dict[str, str],
                  stats: dict[str, tuple[int, int, int]], manifest_out: dict[str, str],
                  written_out: dict[str, tuple[int, int, int]]) -> int:
    """Make ``output_dir`` hold exactly ``outputs``, writing only what changed.

    ``previous``/``stats``: the manifest and the files' stats as the last build left them.
    A file given as :class:`Kept` (itself in ``output_dir``) is unchanged and only checked
    (:class:`StaleOutput` when its stat is not the recorded one); other content is
    compared by SHA-256 and written only when it differs. Returns the site's size."""
    marker = output_dir / WRITING
    if marker.exists():
        raise StaleOutput(WRITING)
    marker.write_bytes(b"gongkai build is updating this folder\n")
    total = 0
    prefix = str(output_dir) + os.sep
    try:
        for rel in sorted(outputs.files):
            content = outputs.files[rel]
            known = stats.get(rel)
            if isinstance(content, Kept) and content.path == prefix + rel:
                st = os.stat(prefix + rel)
                if known is None or rel not in previous or (st.st_size, st.st_mtime_ns, st.st_ino) != known:
                    raise StaleOutput(rel)
                manifest_out[rel], written_out[rel] = previous[rel], known
                total += st.st_size
                continue
            data = content_bytes(content)
            digest = hashlib.sha256(data).hexdigest()
            total += len(data)
            manifest_out[rel] = digest
            if previous.get(rel) == digest and known is not None:
                try:
                    st = os.stat(prefix + rel)
                except OSError:
                    st = None
                if st is not None and (st.st_size, st.st_mtime_ns, st.st_ino) == known:
                    written_out[rel] = known          # the same bytes are already there
                    continue
            written_out[rel] = replace_file(prefix + rel, data)
        for rel in sorted(set(previous) - set(outputs.files)):
            remove_output(output_dir, rel)
        write_manifest(output_dir, manifest_out)
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as e:
        # a file where a folder must go, or the reverse: the whole folder is written afresh
        raise StaleOutput(str(e)) from None
    marker.unlink()
    return total


__all__ = ["Kept", "ManifestText", "discard", "StaleOutput", "Staged", "WRITING", "content_bytes", "remove_output",
           "replace_file", "stage_file", "write_manifest", "stager",
           "stage_or_keep", "staging_folder", "start_staging", "wait_discarded", "write_atomic", "write_changes"]
