"""Side-by-side timing of asynclint, ruff and flake8 + flake8-async on the pinned corpus.

    python benchmarks/bench.py              # whole corpus, 3 repetitions (about 20 minutes)
    python benchmarks/bench.py --quick      # a small subset, 1 repetition (under a minute)
    python benchmarks/bench.py --reps 5 --markdown

Every measurement runs the real command under `/usr/bin/time -v` (or `resource` when it is
missing) and records wall seconds, CPU seconds (user + system, children included) and the
peak resident memory of the largest process. The tools alternate within each repetition.
Scenarios:

- asynclint cold: `--no-cache`, default rules;
- asynclint warm: cache filled, no file changed;
- asynclint after touching 1 % of the files (their content changes, so the cache misses);
- asynclint on one file, the pre-commit case (`--no-cache`, interpreter start-up included):
  the median-sized file among the corpus files that hold `async def`, and a large one
  (`ONE_FILE`, 2,000 lines);
- ruff `check --no-cache --select ASYNC,RUF006`;
- flake8 with flake8-async `--select ASYNC`, on the fixed subset `FLAKE8_SUBSET` (flake8 takes
  about ten minutes on the whole corpus), with asynclint cold on the same subset for the ratio.

asynclint's package is byte-compiled first, as `pip install` does: a development install
under `PYTHONDONTWRITEBYTECODE` would otherwise compile every module on every start.
All tools run with 2 jobs. Numbers go in docs/performance.md and issue notes, never in test assertions.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ensure_corpus, projects, python_files
from peers import peers_python

JOBS = 2
#: flake8 + flake8-async is too slow for every repetition on the whole corpus: this subset
#: (about 130 k lines) is timed for both it and asynclint.
FLAKE8_SUBSET = [
    "httpx",
    "httpcore",
    "starlette",
    "uvicorn",
    "websockets",
    "aiofiles",
    "asyncpg",
    "aiosqlite",
    "channels",
]
QUICK_SUBSET = ["httpx", "aiofiles", "aiosqlite", "channels"]
ONE_FILE = "httpx-0.28.1/httpx-0.28.1/httpx/_client.py"


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    status: int


@dataclass
class Scenario:
    name: str
    command: list[str]
    lines: int
    setup: object = None
    samples: list[Sample] = field(default_factory=list)


def measure(command: list[str], cwd: Path) -> Sample:
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    if gnu_time:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            started = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-v", "-o", report.name, *command],
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - started
            text = report.read()
        user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
        system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))  # type: ignore[union-attr]
        return Sample(wall, user + system, rss / 1024, proc.returncode)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu, after.ru_maxrss / 1024, proc.returncode)


def count_lines(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in paths)


def median_async_file(files: list[Path]) -> Path:
    """The median-sized file among those with a coroutine: what a commit typically touches."""
    sized = []
    for path in files:
        data = path.read_bytes()
        if b"async def" in data:
            sized.append((data.count(b"\n"), str(path)))
    sized.sort()
    return Path(sized[len(sized) // 2][1])


def byte_compile_asynclint() -> None:
    import asynclint

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(asynclint.__file__).parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def tool(name: str) -> list[str]:
    if name == "asynclint":
        return [sys.executable, "-m", name]
    return [str(peers_python()), "-m", name]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small subset, one repetition")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3, 1 with --quick)")
    parser.add_argument("--markdown", action="store_true", help="print the table of docs/performance.md")
    parser.add_argument("--skip-flake8", action="store_true", help="leave flake8 + flake8-async out")
    args = parser.parse_args()
    reps = args.reps or (1 if args.quick else 3)

    names = QUICK_SUBSET if args.quick else None
    folders = ensure_corpus(names)
    work = Path(tempfile.mkdtemp(prefix="asynclint-bench-"))
    # A private copy: the "touch 1 %" scenario edits files, and the cache lives beside them.
    corpus = work / "corpus"
    corpus.mkdir()
    for folder in folders:
        shutil.copytree(folder, corpus / folder.name)
    (corpus / "pyproject.toml").write_text('[project]\nname = "corpus"\n')
    files = python_files([corpus])
    lines = count_lines(files)
    subset_names = QUICK_SUBSET if args.quick else FLAKE8_SUBSET
    subset_folders = [corpus / f"{p.name}-{p.version}" for p in projects() if p.name in subset_names]
    subset_lines = count_lines(python_files(subset_folders))
    one_file = corpus / ONE_FILE if (corpus / ONE_FILE).exists() else files[len(files) // 2]
    typical = median_async_file(files)
    touched = files[:: max(1, len(files) // max(1, len(files) // 100))][: max(1, len(files) // 100)]

    asynclint = tool("asynclint")
    byte_compile_asynclint()
    cache_dir = work / "cache"
    scenarios = [
        Scenario("asynclint cold", [*asynclint, "--no-cache", "-q", "-j", str(JOBS), "."], lines),
        Scenario(
            "asynclint warm", [*asynclint, "--cache-dir", str(cache_dir), "-q", "-j", str(JOBS), "."], lines
        ),
        Scenario(
            "asynclint 1 % touched",
            [*asynclint, "--cache-dir", str(cache_dir), "-q", "-j", str(JOBS), "."],
            lines,
        ),
        Scenario(
            f"asynclint one file ({count_lines([typical])} lines, median)",
            [*asynclint, "--no-cache", "-q", str(typical)],
            count_lines([typical]),
        ),
        Scenario(
            f"asynclint one file ({count_lines([one_file])} lines)",
            [*asynclint, "--no-cache", "-q", str(one_file)],
            count_lines([one_file]),
        ),
        Scenario(
            "ruff",
            [
                *tool("ruff"),
                "check",
                "--no-cache",
                "--isolated",
                "--select",
                "ASYNC,RUF006",
                "--exit-zero",
                ".",
            ],
            lines,
        ),
    ]
    if not args.skip_flake8:
        subset = [str(f.relative_to(corpus)) for f in subset_folders]
        scenarios += [
            Scenario(
                "asynclint cold (subset)",
                [*asynclint, "--no-cache", "-q", "-j", str(JOBS), *subset],
                subset_lines,
            ),
            Scenario(
                "flake8-async (subset)",
                [*tool("flake8"), "--isolated", "--select", "ASYNC", "-j", str(JOBS), "--exit-zero", *subset],
                subset_lines,
            ),
        ]
    # Fill the cache once before timing warm runs.
    subprocess.run(scenarios[1].command, cwd=corpus, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for rep in range(reps):
        for scenario in scenarios:
            if scenario.name == "asynclint 1 % touched":
                for path in touched:
                    path.write_bytes(path.read_bytes() + f"# bench {rep}\n".encode())
            if scenario.name == "asynclint warm":
                subprocess.run(
                    scenario.command, cwd=corpus, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            sample = measure(scenario.command, corpus)
            if sample.status not in (0, 1):
                raise SystemExit(
                    f"{scenario.name} failed with exit status {sample.status}: {' '.join(scenario.command)}"
                )
            scenario.samples.append(sample)
            print(
                f"rep {rep + 1}/{reps} {scenario.name}: {sample.wall:.2f}s wall, {sample.cpu:.2f}s cpu, {sample.rss_mb:.0f} MB",
                file=sys.stderr,
            )
    shutil.rmtree(work, ignore_errors=True)
    report(scenarios, len(files), lines, subset_lines, args.markdown)


def report(scenarios: list[Scenario], files: int, lines: int, subset_lines: int, markdown: bool) -> None:
    by_name = {s.name: s for s in scenarios}

    def med(name: str) -> float:
        return statistics.median(s.wall for s in by_name[name].samples)

    print()
    print(
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{files} files, {lines} lines (flake8 subset {subset_lines} lines), {JOBS} jobs each"
    )
    header = "| scenario | wall median (min-max) s | CPU s | peak MB | lines/s |"
    print(header)
    print("|---|---|---|---|---|")
    for s in scenarios:
        walls = [x.wall for x in s.samples]
        cpu = statistics.median(x.cpu for x in s.samples)
        rss = max(x.rss_mb for x in s.samples)
        wall = statistics.median(walls)
        print(
            f"| {s.name} | {wall:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {cpu:.2f} | {rss:.0f} | {s.lines / wall:,.0f} |"
        )
    print()
    ratios = []
    if "ruff" in by_name:
        ratios.append(("asynclint warm / ruff cold", med("asynclint warm") / med("ruff")))
        ratios.append(("asynclint cold / ruff cold", med("asynclint cold") / med("ruff")))
    if "flake8-async (subset)" in by_name:
        ratios.append(
            (
                "asynclint cold / flake8-async (same subset)",
                med("asynclint cold (subset)") / med("flake8-async (subset)"),
            )
        )
    ratios.append(
        ("asynclint 1 % touched / asynclint cold", med("asynclint 1 % touched") / med("asynclint cold"))
    )
    for label, value in ratios:
        print(f"| {label} | {value:.3f} |" if markdown else f"{label}: {value:.3f}")


if __name__ == "__main__":
    main()
