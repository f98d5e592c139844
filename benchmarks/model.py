"""The cost of the project model, on the largest projects of the library corpus.

    python benchmarks/model.py                       # the 3 largest projects, 3 repetitions
    python benchmarks/model.py --projects 1 --reps 1
    python benchmarks/model.py --before ../other-checkout/src   # the same, with another checkout's code beside
    python benchmarks/model.py --corpus apps          # the largest application projects
    python benchmarks/model.py --corpus apps --projects 1 --copies 6 --reps 1   # 5,000 modules

Each project is copied to a temporary folder with an empty `pyproject.toml` (the corpus keeps
`.py` files only, so its trees have no project marker of their own), then, with one job:

- bare parse: `libcst.parse_module` of every file, in a fresh interpreter;
- cold: `asynclint --no-cache .` (the whole project); the ratio cold / bare parse;
- peak MiB: the largest resident size of the cold run's processes;
- one file, warm index: the whole project is linted once with the cache, then one file's
  content changes and `asynclint <file>` runs: it re-lints that file and reads the other
  modules' summaries from the cache. Its extra time is measured against the same file linted
  alone (`--no-cache`, in a copy of the file outside any project);
- one file, no cache: the first `asynclint <file>` in the project, which summarises the
  modules the file imports (directly or through each other), and no others.

With `--copies K`, each project is replaced by one project of K copies of it, each copy's
top-level packages renamed (`prefect` -> `prefect0`, `prefect1`... in folder names and in
the code), so that one project holds K times the modules (prefect, 6 copies: 5,190 modules),
as a large repository of several packages does. The file measured is in the fourth copy.

Times are CPU seconds (user + system of the child process), the median of the repetitions:
the machine is shared, and CPU time is what the model adds. "each repetition" gives the
lowest and highest ratio of a repetition's cold run to the bare parse made just before it:
how far the ratio moves with the machine's load. With `--before`, every asynclint
command also runs with that source folder first on PYTHONPATH, for a before/after table.
Numbers go in the documentation and issue notes, never in test assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ensure_corpus

HERE = Path(__file__).resolve().parent
SOURCE = str(HERE.parent / "src")

PARSE = """\
import sys
import libcst
for path in sys.argv[1:]:
    try:
        libcst.parse_module(open(path, encoding="utf-8", errors="replace").read())
    except Exception:
        pass
"""


def cpu(command: list[str], cwd: Path, source: str) -> float:
    return run(command, cwd, source)[0]


def run(command: list[str], cwd: Path, source: str) -> tuple[float, float]:
    """CPU seconds of the command and its processes, and the peak memory (MiB) of the
    largest of them (the runs are in fresh processes: each peak is the command's own)."""
    env = dict(os.environ, PYTHONPATH=source, PYTHONDONTWRITEBYTECODE="")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A fresh process per measurement: RUSAGE_CHILDREN's peak is the largest child's so far.
    script = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], capture_output=True, check=False)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = int(proc.stdout.split()[-1]) / 1024 if proc.stdout.split() else 0.0
    return seconds, peak


def asynclint(*args: str) -> list[str]:
    return [sys.executable, "-m", "asynclint", "-j", "1", "--exit-zero", *args]


def median_async_file(root: Path) -> Path:
    files = sorted(
        (p for p in root.rglob("*.py") if "async def" in p.read_text(encoding="utf-8", errors="replace")),
        key=lambda p: p.stat().st_size,
    )
    return files[len(files) // 2]


def replicate(project: Path, dest: Path, copies: int) -> Path:
    """A project of `copies` copies of `project` (see the module's docstring)."""
    tops = {
        p.parent.name
        for p in project.rglob("__init__.py")
        if not (p.parent.parent / "__init__.py").exists() and p.parent.name.isidentifier()
    }
    word = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tops))) + r")\b")
    root = dest / f"{project.name}-x{copies}"
    for index in range(copies):
        for path in sorted(project.rglob("*.py")):
            relative = path.relative_to(project)
            parts = [f"{part}{index}" if part in tops else part for part in relative.parts]
            target = root.joinpath(f"copy{index}", *parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8", errors="replace")
            target.write_text(word.sub(rf"\g<1>{index}", text), encoding="utf-8")
    return root


def measure(project: Path, work: Path, source: str, reps: int, pick: str = "") -> dict[str, float]:
    root = work / project.name
    shutil.copytree(project, root)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    files = sorted(str(p) for p in root.rglob("*.py"))
    one = median_async_file(root / pick if pick else root)
    alone = work / "alone"
    alone.mkdir(exist_ok=True)
    shutil.copy(one, alone / one.name)
    parse, cold, single, warm_one, first_one, peaks = [], [], [], [], [], []
    original = one.read_text(encoding="utf-8")
    for rep in range(reps):
        parse.append(cpu([sys.executable, "-c", PARSE, *files], root, source))
        seconds, peak = run(asynclint("--no-cache", "."), root, source)
        cold.append(seconds)
        peaks.append(peak)
        single.append(cpu(asynclint("--no-cache", one.name), alone, source))
        shutil.rmtree(root / ".asynclint_cache", ignore_errors=True)
        # The first run on one file of a project with no cache: the summaries it needs.
        first_one.append(cpu(asynclint(str(one.relative_to(root))), root, source))
        shutil.rmtree(root / ".asynclint_cache", ignore_errors=True)
        cpu(asynclint("."), root, source)  # fills the cache
        one.write_text(original + f"\n# changed {rep}\n", encoding="utf-8")
        warm_one.append(cpu(asynclint(str(one.relative_to(root))), root, source))
        one.write_text(original, encoding="utf-8")
    shutil.rmtree(root)
    ratios = [c / p for p, c in zip(parse, cold, strict=True)]
    return {
        "files": len(files),
        "parse": statistics.median(parse),
        "cold": statistics.median(cold),
        "single": statistics.median(single),
        "warm_one": statistics.median(warm_one),
        "first_one": statistics.median(first_one),
        "peak": max(peaks),
        # Each repetition's cold run right after its bare parse: the spread of the ratio.
        "low": min(ratios),
        "high": max(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=3, help="how many of the largest projects")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--before", help="another checkout's src folder, measured beside this one")
    parser.add_argument("--corpus", choices=("projects", "apps"), default="projects")
    parser.add_argument("--copies", type=int, default=1, help="one project of K renamed copies of each")
    args = parser.parse_args()
    folders = ensure_corpus(None, args.corpus)
    largest = sorted(folders, key=lambda f: sum(1 for _ in f.rglob("*.py")), reverse=True)[: args.projects]
    sources = [("after", SOURCE)] + ([("before", args.before)] if args.before else [])
    print(
        "| project | files | code | bare parse s | cold s | cold / parse | each repetition | peak MiB "
        "| one file alone s | one file, warm index s | extra s | one file, no cache s |"
    )
    print("|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for project in largest:
        for label, source in sources:
            with tempfile.TemporaryDirectory(prefix="asl-model-") as work:
                measured, pick = project, ""
                if args.copies > 1:
                    measured = replicate(project, Path(work) / "source", args.copies)
                    pick = f"copy{min(3, args.copies - 1)}"
                r = measure(measured, Path(work), source, args.reps, pick)
            print(
                f"| {measured.name} | {r['files']:.0f} | {label} | {r['parse']:.2f} | {r['cold']:.2f} "
                f"| {r['cold'] / r['parse']:.2f}x | {r['low']:.2f}x to {r['high']:.2f}x "
                f"| {r['peak']:.0f} | {r['single']:.2f} "
                f"| {r['warm_one']:.2f} | {r['warm_one'] - r['single']:+.2f} | {r['first_one']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
