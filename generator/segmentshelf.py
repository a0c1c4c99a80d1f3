"""Search segments' display data and text kept on disk between builds, not in memory.

A search segment (:class:`generator.searchfiles.Segment`) holds, beside its postings,
the display data (``metas``) and the text chunks (``text``) of its records. They are
only needed to make the segment's ``m/`` and ``c/`` files: by the build that made the
segment, and later only when those files must be made again at other numbers (a
segment before it grew past its room, a record added or removed before it). Yet they
were most of the segment: at 10,000 documents about 200 MB of the build process while
the pages render and the cache is saved, and 128 of the 500 MB of the build cache's
store, read back by every edit.

So a build with a cache, once its search index is written, *shelves* each new segment:
its metas and text go into a file of their own, ``.gongkai-cache/segments/<digest>``,
and the segment lets them go (:func:`shelve`). A later build that needs them reads the
file again (:func:`take`) and checks it against the segment's digest, which covers
metas, text and chunk ends. The cache checks that every shelf file it needs is there
with its size when it is read (:func:`present`); a file damaged in place is found when
read, and :class:`ShelfLost` makes the command line build afresh. Files no saved build
refers to are removed when the cache is saved (:func:`sweep`).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import pickle
import zlib
from array import array
from pathlib import Path
from typing import Any, Iterable

SHELF_DIR = "segments"          # in the cache folder
_MAGIC = b"gongkai-segment-1\n"
_LENGTH = 8                     # bytes of the metas' length after the magic


class ShelfLost(Exception):
    """A shelved segment's file is gone or is not what was put there."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def content_digest(metas: bytes, text: bytes, ends: array) -> str:
    """What a segment's ``digest`` is: of its metas, text and chunk ends (the display
    files' prints are made of it, so it names exactly what they hold)."""
    return hashlib.blake2b(metas + b"\0" + text + b"\0" + ends.tobytes(), digest_size=16).hexdigest()


def shelve(segments: Iterable[Any], folder: Path) -> None:
    """Put the metas and text of each segment still holding them into ``folder``, in a
    file named by the segment's digest, and let them go."""
    folder.mkdir(parents=True, exist_ok=True)
    for seg in segments:
        if seg.shelf is not None:
            continue
        metas = seg.metas.encode("utf-8", "surrogatepass")
        text = seg.text.encode("utf-8", "surrogatepass")
        path = folder / seg.digest
        _write(folder, path, [_MAGIC + len(metas).to_bytes(_LENGTH, "little"), metas, text])
        seg.shelf = (str(path), len(_MAGIC) + _LENGTH + len(metas) + len(text))
        seg.metas = seg.text = None


def take(seg: Any) -> tuple[str, str]:
    """(metas, text) of a shelved segment, read back from its file; :class:`ShelfLost`
    when the file is gone or its content is not the segment's."""
    path, size = seg.shelf
    data = _read(path)
    head = len(_MAGIC) + _LENGTH
    if len(data) != size or not data.startswith(_MAGIC):
        raise ShelfLost(path)
    cut = head + int.from_bytes(data[len(_MAGIC):head], "little")
    metas, text = data[head:cut], data[cut:]
    if cut > len(data) or content_digest(metas, text, seg.ends) != seg.digest:
        raise ShelfLost(path)
    try:
        return metas.decode("utf-8", "surrogatepass"), text.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise ShelfLost(path) from None


def shelve_tables(segments: Iterable[Any], folder: Path) -> None:
    """Put the postings and positions of each segment still holding them into a file of
    ``folder`` named by its size and CRC-32, and let them go. Unlike the display data
    they are read back by every build that makes the index (its shards join every
    segment's postings), once, and let go again."""
    folder.mkdir(parents=True, exist_ok=True)
    for seg in segments:
        if seg.tables is not None:
            continue
        data = pickle.dumps((seg.postings, seg.positions), protocol=pickle.HIGHEST_PROTOCOL)
        check = zlib.crc32(data)
        path = folder / f"t-{check:08x}-{len(data)}"
        _write(folder, path, [data])
        seg.tables = (str(path), len(data), check)
        seg.postings = seg.positions = None


def give_back() -> None:
    """Hand the memory freed by shelving back to the system. Much of it was strings of
    a few hundred KB, which the C library keeps for later use rather than returning:
    the process's size would not shrink, only grow later. glibc only; elsewhere a no-op."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):    # no such call, or no C library to ask
        pass


def take_tables(seg: Any) -> tuple[Any, Any]:
    """(postings, positions) of a segment whose tables are shelved; :class:`ShelfLost`
    when the file is gone or not what was put there."""
    path, size, check = seg.tables
    data = _read(path)
    if len(data) != size or zlib.crc32(data) != check:
        raise ShelfLost(path)
    try:
        tables = pickle.loads(data)
    except Exception:  # noqa: BLE001 - whatever a damaged pickle raises
        raise ShelfLost(path) from None
    if not (type(tables) is tuple and len(tables) == 2):
        raise ShelfLost(path)
    return tables


def _read(path: str) -> bytes:
    """A shelf file's bytes; :class:`ShelfLost` when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        raise ShelfLost(path) from None


def _write(folder: Path, path: Path, pieces: list[bytes]) -> None:
    """``pieces`` into ``path``, under a temporary name first: a build cut off leaves no
    half file under a shelf's name."""
    tmp = folder / f".tmp-{os.getpid()}-{path.name}"
    try:
        with open(tmp, "wb") as f:
            for piece in pieces:
                f.write(piece)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def present(segments: Iterable[Any], folder: Path) -> bool:
    """Whether every shelved segment's files are in ``folder`` with the sizes written
    (pointing each segment at them there: the cache may have been read from elsewhere)."""
    for seg in segments:
        for attr in ("shelf", "tables"):
            shelved = getattr(seg, attr)
            if shelved is None:
                continue
            path = folder / os.path.basename(shelved[0])
            try:
                if os.stat(path).st_size != shelved[1]:
                    return False
            except OSError:
                return False
            setattr(seg, attr, (str(path), *shelved[1:]))
    return True


def unshelve(segments: Iterable[Any]) -> None:
    """Read every shelved segment's metas, text and postings back into memory (a process
    that goes on while later builds may sweep the files: the preview server)."""
    for seg in segments:
        if seg.shelf is not None:
            seg.metas, seg.text = take(seg)
            seg.shelf = None
        if seg.tables is not None:
            seg.postings, seg.positions = take_tables(seg)
            seg.tables = None


def sweep(folder: Path, segments: Iterable[Any]) -> None:
    """Remove the files of ``folder`` that are not the shelves of ``segments`` (those of
    segments no saved build refers to, and temporary files a build cut off left)."""
    live = {os.path.basename(shelved[0]) for seg in segments
            for shelved in (seg.shelf, seg.tables) if shelved is not None}
    try:
        with os.scandir(folder) as it:
            names = [entry.name for entry in it]
    except OSError:
        return
    for name in names:
        if name not in live:
            try:
                os.unlink(folder / name)
            except OSError:
                pass


__all__ = ["SHELF_DIR", "ShelfLost", "content_digest", "give_back", "present", "shelve", "shelve_tables", "sweep",
           "take", "take_tables", "unshelve"]
