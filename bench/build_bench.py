"""Cold-build benchmark: prints build time, documents per second and peak memory.

Run by hand (``make bench``), not by CI. Each build runs in a fresh process, so the
peak resident memory measured is that of one build.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import generate  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from generator.build import build_site
t = time.perf_counter()
r = build_site(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t, "pages": r.pages, "files": r.files,
                  "bytes": r.bytes, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(count: int, repeat: int) -> dict:
    root = HERE / ".corpus" / f"n{count}"
    t = time.perf_counter()
    generate(root, count)
    gen = time.perf_counter() - t
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(root / "output")],
                             check=True, capture_output=True, text=True, cwd=HERE.parent)
        runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    best["generate_seconds"] = gen
    best["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, nargs="+", default=[1000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{__import__('os').cpu_count()} cores")
    print(f"{'docs':>6} {'cold build s':>13} {'docs/s':>8} {'pages':>7} {'output MB':>10} {'peak MB':>8}  runs")
    for n in args.docs:
        r = run(n, args.repeat)
        print(f"{n:>6} {r['seconds']:>13.2f} {n / r['seconds']:>8.0f} {r['pages']:>7} "
              f"{r['bytes'] / 1e6:>10.1f} {r['peak_kb'] / 1024:>8.0f}  {r['all_seconds']}")


if __name__ == "__main__":
    main()
