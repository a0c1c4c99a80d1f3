"""Edit latency with a watching build: ``gongkai build --watch`` against ``hugo --watch``.

    .venv/bin/python bench/watch_bench.py                    # 10,000 documents, both
    .venv/bin/python bench/watch_bench.py --docs 1000 --only gongkai --edits 5

Run by hand, not by CI. Both watch the same corpus as bench/compare.py and write their
site to disk (no server). Each edit adds a new marker to one document's first body
line (the text grows, as when an editor adds words); the figure is the time from the
save to the marker being in the page on disk (polled every 2 ms). For Gongkai also: the time until output/ is whole again (search
index written, .gongkai-writing gone) and until the build cache is saved. Then the
resident memory of the watching process tree while idle, the time Ctrl+C takes (it
saves the cache), and a one-off ``gongkai build`` afterwards (a no-op).
Standard library only; the peers come from bench/compare.py's environment.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare import (EDIT_ANCHOR, HERE as BENCH, Gongkai, Hugo, ensure_corpus, ensure_peer_venv,  # noqa: E402
                     machine, tree_pss, tree_rss)

POLL = 0.002


def wait_for(check, timeout: float) -> float | None:
    """Seconds until ``check()`` is true, or None after ``timeout``."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            return None
        time.sleep(POLL)
    return time.perf_counter() - start


def contains(path: Path, marker: str) -> bool:
    try:
        return marker.encode() in path.read_bytes()
    except OSError:
        return False


def mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def start(cmd: list[str], ready: str, cwd: Path) -> tuple[subprocess.Popen, float, list[str]]:
    """The watcher, once it says ``ready``: (process, seconds to get there, its output so far).
    Its output is read on by a thread (a full pipe would stop it)."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if ready in line:
            break
    else:
        sys.exit(f"FAILED: {' '.join(cmd)} ended before it was ready:\n{''.join(lines[-30:])}")
    seconds = time.perf_counter() - began
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    return proc, seconds, lines


def edits(src: Path, page: Path, count: int, gap: float, gongkai: Path | None) -> dict[str, list[float]]:
    """Edit ``src`` ``count`` times, ``gap`` seconds apart; the latencies (see the module)."""
    original = src.read_text(encoding="utf-8")
    assert EDIT_ANCHOR in original, f"{src} has no {EDIT_ANCHOR}"
    out: dict[str, list[float]] = {"page": [], "whole": [], "cache": []}
    # Each edit adds its marker to the text as the last edit left it, as an editor adds
    # words: every later word of the document moves, and the search index records
    # positions. (Replacing the last marker with one as long moved nothing, and measured
    # the index's cheapest case: at 10,000 documents 0.46 s to output/ whole, 1.13 s so.)
    current = original
    try:
        for i in range(count):
            time.sleep(gap)
            marker = f"ZZWATCH{uuid.uuid4().hex[:10]}"
            if gongkai is not None:
                manifest, inputs = gongkai / "output/.gongkai-manifest.json", gongkai / ".gongkai-cache/inputs.pickle"
                before_manifest, before_inputs = mtime(manifest), mtime(inputs)
            began = time.perf_counter()
            current = current.replace(EDIT_ANCHOR, EDIT_ANCHOR + marker, 1)
            src.write_text(current, encoding="utf-8")
            seen = wait_for(lambda: contains(page, marker), 60)
            if seen is None:
                sys.exit(f"FAILED: edit {i + 1}: {marker} not in {page} after 60 s")
            out["page"].append(seen)
            if gongkai is not None:
                whole = wait_for(lambda: mtime(manifest) != before_manifest
                                 and not (gongkai / "output/.gongkai-writing").exists(), 60)
                saved = wait_for(lambda: mtime(inputs) != before_inputs, 60)
                out["whole"].append(seen + (whole or 0) if whole is not None else float("nan"))
                out["cache"].append(time.perf_counter() - began if saved is not None else float("nan"))
            print(f"    edit {i + 1}: page {seen:.3f} s"
                  + (f", output whole {out['whole'][-1]:.3f} s, cache saved {out['cache'][-1]:.2f} s"
                     if gongkai is not None else ""), flush=True)
    finally:
        src.write_text(original, encoding="utf-8")
    return out


def figures(name: str, values: list[float]) -> str:
    if not values:
        return ""
    ordered = sorted(values)
    return (f"{name} median {statistics.median(ordered):.3f} s, "
            f"worst {ordered[-1]:.3f} s, best {ordered[0]:.3f} s")


def run(gen, doc: str, count: int, gap: float) -> None:
    print(f"  {gen.name}:", flush=True)
    gen.clean()
    if gen.name == "gongkai":
        # the cold build first, as an editor's day starts from the last build
        subprocess.run(gen.command(), cwd=gen.site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        cmd, ready = gen.command() + ["--watch"], "正在监视"
    else:
        subprocess.run(gen.command(), cwd=gen.site, stdout=subprocess.DEVNULL, check=True)
        cmd = [gen.binary(), "--watch", "--source", str(gen.site), "--cacheDir", str(gen.site / ".hugo-cache")]
        ready = "Ctrl+C"
    proc, seconds, _ = start(cmd, ready, gen.site)
    try:
        print(f"    watching after {seconds:.2f} s", flush=True)
        latencies = edits(gen.path(gen.src, doc), gen.path(gen.out, doc), count, gap,
                          gen.site if gen.name == "gongkai" else None)
        time.sleep(gap)
        rss, pss = tree_rss(proc.pid), tree_pss(proc.pid)
        began = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(120)
        stop = time.perf_counter() - began
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"    {figures('save -> page on disk:', latencies['page'])}")
    if latencies["whole"]:
        print(f"    {figures('save -> output/ whole (search index too):', latencies['whole'])}")
        print(f"    {figures('save -> build cache saved:', latencies['cache'])}")
    print(f"    idle watcher: {rss / 1e6:.0f} MB RSS, {pss / 1e6:.0f} MB PSS; "
          f"Ctrl+C took {stop:.2f} s (exit {code})")
    if gen.name == "gongkai":
        began = time.perf_counter()
        after = subprocess.run(gen.command(), cwd=gen.site, capture_output=True, text=True)
        said = after.stdout.splitlines()[0] if after.stdout else after.stderr[-300:]
        print(f"    gongkai build afterwards: {time.perf_counter() - began:.2f} s: {said}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--only", default="gongkai,hugo", help="gongkai, hugo or both")
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--gap", type=float, default=4.0, help="seconds between two saves")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    if "hugo" in names:
        ensure_peer_venv()
    print("\n".join(machine()), flush=True)
    base = BENCH / ".corpus" / f"compare-n{args.docs}"
    corpus = ensure_corpus(base, args.docs)
    doc = f"doc-{args.docs // 2:05d}"
    for name in names:
        gen = Gongkai(name, corpus) if name == "gongkai" else Hugo(name, base / name)
        gen.ensure_site(corpus, args.docs)
        print(f"{name}: {gen.version()}", flush=True)
        run(gen, doc, args.edits, args.gap)


if __name__ == "__main__":
    main()
