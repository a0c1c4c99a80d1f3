"""Which source files changed, without reading every file on every build.

A file's digest is the hash of its bytes. Hashing 20,000 files on each rebuild costs
more than the rebuild itself, so :class:`Stamps` remembers each file's digest with its
``stat`` (size, modification time, inode, change time) and hashes again only when the
``stat`` differs.

File times are coarse on some file systems (2 s on FAT, a clock tick elsewhere): a file
saved twice within one tick, with the same size, keeps its ``stat``. Like git's "racy"
index entries, a digest taken while the file was that young is not trusted: it is
recorded as racy and the file is hashed again next time, until it is older than the
granularity. "Now" is the file system's own clock: the modification time of a small
file we write (``clock``), so that a wrong system clock cannot fool the check either.
Modification times never decide what is written, only whether to read a file again.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Larger than the coarsest timestamp granularity we expect (FAT: 2 s).
GRANULARITY_NS = 3_000_000_000
# Folder contents that count as sources (their bytes are hashed); other files in a
# document folder (attachments, images) count by size and time.
TEXT_SUFFIXES = (".md", ".yaml", ".yml", ".txt")

Stat = tuple[int, int, int, int]


def _stat(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


class Stamps:
    """File digests reused while a file's ``stat`` is unchanged and not racy."""

    def __init__(self, entries: dict[str, tuple[Stat, str, bool]] | None = None):
        self.entries = entries if entries is not None else {}
        self.seen: dict[str, tuple[Stat, str, bool]] = {}
        self.now_ns: int | None = None
        self.hashed = 0                    # files read by this pass (for tests and benchmarks)

    def begin(self, clock: Path | None) -> None:
        """Start a pass; ``clock`` is a file we may overwrite to learn the file system's time.

        Without one every digest taken in this pass counts as racy (always re-hashed)."""
        self.seen = {}
        self.hashed = 0
        self.now_ns = None
        if clock is not None:
            try:
                clock.parent.mkdir(parents=True, exist_ok=True)
                clock.write_bytes(b"gongkai\n")
                self.now_ns = clock.stat().st_mtime_ns
            except OSError:
                self.now_ns = None

    def end(self, keep_unseen: bool = False) -> None:
        """Finish a pass: forget files not seen in it (deleted or renamed), unless the
        pass looked only at some files (``keep_unseen``)."""
        self.entries = {**self.entries, **self.seen} if keep_unseen else self.seen
        self.seen = {}

    def file_digest(self, path: Path | str, st: os.stat_result | None = None, record: bool = True,
                    read: dict[str, bytes] | None = None) -> str:
        """Digest of a file's bytes (through the stamp when the file is unchanged); with
        ``record=False`` a probe that leaves this pass's record as it was. ``read``, when
        given, receives the bytes of a file that was read (path → bytes)."""
        key = str(path)
        if st is None:
            st = os.stat(key)
        stat = _stat(st)
        old = self.entries.get(key)
        if old is not None and old[0] == stat and not old[2]:
            if record:
                self.seen[key] = old
            return old[1]
        with open(key, "rb") as f:
            data = f.read()
        if read is not None:
            read[key] = data
        self.hashed += 1
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if record:
            racy = self.now_ns is None or stat[1] >= self.now_ns - GRANULARITY_NS
            self.seen[key] = (stat, digest, racy)
        return digest

    def probe(self, paths: list[Path], read: dict[str, bytes] | None = None) -> tuple[str, dict]:
        """(:meth:`digest` of ``paths``, the stamps it took), recorded elsewhere: a worker
        process digests what it parses and its parent adopts them. ``read``: see
        :meth:`digest`."""
        saved, self.seen = self.seen, {}
        try:
            return self.digest(paths, read), self.seen
        finally:
            self.seen = saved

    def digest(self, paths: list[Path], read: dict[str, bytes] | None = None) -> str:
        """Digest of files' bytes, or of a folder's listing and the digests of its sources.
        ``read``, when given, receives the bytes of the sources read for it (path → bytes:
        what a loader parses next, see :func:`~generator.content.sources.already_read`)."""
        h = hashlib.blake2b(digest_size=16)
        for path in paths:
            h.update(b"\0P" + path.as_posix().encode())
            try:
                with os.scandir(path) as it:
                    children = sorted(it, key=lambda e: e.name)
            except NotADirectoryError:
                children = None
            except OSError:
                h.update(b"\0missing")
                continue
            if children is not None:
                for child in children:
                    h.update(b"\0N" + child.name.encode())
                    if child.is_file():
                        cst = child.stat()
                        if child.name.endswith(TEXT_SUFFIXES):
                            h.update(self.file_digest(child.path, cst, read=read).encode())
                        else:
                            h.update(f"{cst.st_size}:{cst.st_mtime_ns}".encode())
                continue
            try:
                st = path.stat()
            except OSError:
                h.update(b"\0missing")
                continue
            h.update(self.file_digest(path, st, read=read).encode() if os.path.isfile(path) else b"\0missing")
        return h.hexdigest()


__all__ = ["Stamps"]
