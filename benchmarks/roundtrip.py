"""Fix round-trip over real code: every rule selected, unsafe fixes on.

    python benchmarks/roundtrip.py            # the whole pinned corpus
    python benchmarks/roundtrip.py httpx trio # some projects

For each file: lint and fix to a fixed point (what `--unsafe-fixes --diff` computes), then
count findings, fixes applied, internal errors (ASL002), fixes whose output would not parse
or compile (the fixer rejects them and says so), and files that a second fix changes again.
The last three must be 0, every fixed file must compile and keep every comment (a comment
of the original missing from the fixed file is listed). With `--ruff` (a path to ruff,
or `ruff` on PATH), each changed file is checked before and after with
`ruff check --select I001,E501 --line-length 88` (isolated from the projects' own
configuration): a file whose count of a code grows has a new violation, and must have none.
`--diffs DIR` writes each changed file's diff there, headed by the fixes applied to it (to
read them). Also printed: the slowest file (lint, fix and the second fix
together) and the largest peak memory of a worker process, with the file it was reached on
(peak resident set size, which only grows: the file that raised it last). tests/test_corpus.py runs this on a fixed subset in CI.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import CorpusUnavailable, ensure_corpus, python_files

from asynclint.discovery import module_name
from asynclint.engine import LintRequest
from asynclint.fixer import fix_text
from asynclint.registry import selected_codes
from asynclint.settings import Settings
from asynclint.sourcefile import DecodeError, decode

SETTINGS = Settings(select=("ALL",), unsafe_fixes=True)
REFUSALS = ("before fixing", "does not reproduce this file exactly")

#: The subset CI runs (about 80 k lines).
CI_SUBSET = ["httpx", "httpcore", "starlette", "websockets", "aiosqlite", "channels", "aiofiles"]


@dataclass
class Stats:
    files: int = 0
    parsed: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    internal_errors: list[str] = field(default_factory=list)
    broken_fixes: list[str] = field(default_factory=list)
    unstable: list[str] = field(default_factory=list)
    #: Fixed files that do not compile (the fixer's verification must make this empty).
    not_compiling: list[str] = field(default_factory=list)
    #: Changed files that lost a comment.
    lost_comments: list[str] = field(default_factory=list)
    #: Changed files: path, text before, text after, the codes of the fixes applied.
    changed: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    #: Peak resident set size of the worker (MiB) after the file, and the file.
    peak: tuple[float, str] = (0.0, "")

    def add(self, other: Stats) -> None:
        self.slowest = max(self.slowest, other.slowest)
        self.peak = max(self.peak, other.peak)
        self.files += other.files
        self.parsed += other.parsed
        self.findings.update(other.findings)
        self.fixes.update(other.fixes)
        self.internal_errors += other.internal_errors
        self.broken_fixes += other.broken_fixes
        self.unstable += other.unstable
        self.not_compiling += other.not_compiling
        self.lost_comments += other.lost_comments
        self.changed += other.changed


def check_file(path: Path) -> Stats:
    start = time.perf_counter()
    stats = _check_file(path)
    stats.slowest = (time.perf_counter() - start, str(path))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if peak > _WORKER_PEAK[0]:  # this file raised the worker's peak
        _WORKER_PEAK[0] = peak
        stats.peak = (peak, str(path))
    return stats


_WORKER_PEAK = [0.0]


def _check_file(path: Path) -> Stats:
    stats = Stats(files=1)
    try:
        text = decode(path.read_bytes()).text
    except DecodeError:
        return stats
    codes = selected_codes(SETTINGS)
    name, is_package = module_name(str(path))
    request = LintRequest(
        text, str(path), path.name, SETTINGS, codes, module_name=name, is_package=is_package
    )
    outcome = fix_text(request, unsafe=True)
    stats.parsed += outcome.result.parsed
    stats.fixes.update(outcome.applied)
    for d in outcome.result.diagnostics:
        stats.findings[d.code] += 1
        if d.code == "ASL002":
            stats.internal_errors.append(f"{path}: {d.message}")
    stats.findings.update(outcome.applied)  # fixed findings count too
    # Refusals by design are not broken fixes: code that did not compile before fixing, and
    # a file libcst does not reproduce exactly (linted, never fixed).
    stats.broken_fixes += [f for f in outcome.failures if not any(r in f for r in REFUSALS)]
    if outcome.text != text:
        stats.changed.append((str(path), text, outcome.text, sorted(outcome.applied.elements())))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(outcome.text, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            stats.not_compiling.append(f"{path}: {exc}")
        lost = _comments(text) - _comments(outcome.text)
        if lost:
            stats.lost_comments.append(f"{path}: lost {', '.join(sorted(lost))}")
        again = fix_text(replace(request, text=outcome.text), unsafe=True)
        if again.text != outcome.text:
            stats.unstable.append(str(path))
    return stats


def _comments(text: str) -> Counter[str]:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)
    except (tokenize.TokenError, SyntaxError):
        return Counter()


def roundtrip(files: list[Path], jobs: int = 2) -> Stats:
    total = Stats()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for stats in pool.map(check_file, files, chunksize=8):
            total.add(stats)
    return total


RUFF_CODES = ("I001", "E501")


def ruff_counts(
    ruff: str, files: dict[str, str], codes: tuple[str, ...] = RUFF_CODES
) -> Counter[tuple[str, str]]:
    """(relative path, code) → how often `ruff check --select <codes> --line-length 88`
    reports it, for `files` (relative path → text), written to a temporary tree laid out as
    the corpus is."""
    counts: Counter[tuple[str, str]] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
        done = subprocess.run(
            [
                ruff,
                "check",
                "--isolated",
                "--no-cache",
                "--select",
                ",".join(codes),
                "--line-length",
                "88",
                "--output-format",
                "json",
                "--exit-zero",
                ".",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        for item in json.loads(done.stdout):
            rel = os.path.relpath(item["filename"], root)
            counts[(rel, item["code"])] += 1
    return counts


def new_ruff_violations(
    ruff: str, changed: list[tuple[str, str, str, list[str]]], base: Path, codes: tuple[str, ...] = RUFF_CODES
) -> tuple[Counter[str], Counter[str], list[str]]:
    """Ruff's counts of `codes` over the changed files before and after, and the files whose
    count of a code grew (one line each: path, code, before → after)."""
    before = ruff_counts(ruff, {_relative(p, base): old for p, old, _, _ in changed}, codes)
    after = ruff_counts(ruff, {_relative(p, base): new for p, _, new, _ in changed}, codes)
    totals_before: Counter[str] = Counter()
    totals_after: Counter[str] = Counter()
    grown = []
    for (_rel, code), n in before.items():
        totals_before[code] += n
    for (rel, code), n in after.items():
        totals_after[code] += n
        if n > before[(rel, code)]:
            grown.append(f"{rel}: {code} {before[(rel, code)]} -> {n}")
    return totals_before, totals_after, sorted(grown)


def _relative(path: str, base: Path) -> str:
    return os.path.relpath(path, base)


def write_diffs(changed: list[tuple[str, str, str, list[str]]], base: Path, folder: Path) -> None:
    from asynclint.fixer import unified_diff

    folder.mkdir(parents=True, exist_ok=True)
    for path, old, new, codes in changed:
        rel = _relative(path, base)
        header = "# fixes applied: " + ", ".join(f"{c} {n}" for c, n in sorted(Counter(codes).items()))
        name = rel.replace(os.sep, "__") + ".diff"
        (folder / name).write_text(header + "\n" + unified_diff(old, new, rel), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="projects (default: all; `ci` for the CI subset)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument(
        "--corpus", choices=["projects", "apps"], default="projects", help="which pinned corpus"
    )
    parser.add_argument(
        "--ruff",
        nargs="?",
        const="ruff",
        help="count ruff's I001/E501 in each changed file before and after (a path to ruff)",
    )
    parser.add_argument(
        "--ruff-select",
        default=",".join(RUFF_CODES),
        help="the ruff codes counted with --ruff (default: %(default)s; add F841 for variables a fix left unused)",
    )
    parser.add_argument("--diffs", type=Path, help="write each changed file's diff into this folder")
    args = parser.parse_args()
    ruff = None
    if args.ruff:
        # The test extra installs ruff beside this interpreter, which may not be on PATH.
        beside = os.path.join(os.path.dirname(sys.executable), "ruff")
        ruff = shutil.which(args.ruff) or (shutil.which(beside) if args.ruff == "ruff" else None)
        if ruff is None:
            parser.error(f"ruff not found: {args.ruff} (pip install -e '.[test]' installs it)")
    names = CI_SUBSET if args.names == ["ci"] else (args.names or None)
    try:
        files = python_files(ensure_corpus(names, args.corpus))
    except CorpusUnavailable as exc:
        raise SystemExit(f"roundtrip: {exc}") from None
    stats = roundtrip(files, args.jobs)
    base = Path(os.path.commonpath([str(f.parent) for f in files])) if files else Path()
    print(f"files {stats.files}, parsed {stats.parsed}, changed by the fixes {len(stats.changed)}")
    print(
        f"findings {sum(stats.findings.values())}: "
        + ", ".join(f"{c} {n}" for c, n in sorted(stats.findings.items()))
    )
    print(
        f"fixes applied {sum(stats.fixes.values())}: "
        + ", ".join(f"{c} {n}" for c, n in sorted(stats.fixes.items()))
    )
    print(f"internal errors (ASL002) {len(stats.internal_errors)}")
    print(f"broken fixes (rejected: output would not parse or compile) {len(stats.broken_fixes)}")
    print(f"unstable fixes (a second round changes the file) {len(stats.unstable)}")
    print(f"fixed files that do not compile {len(stats.not_compiling)}")
    print(f"fixed files that lost a comment {len(stats.lost_comments)}")
    grown: list[str] = []
    if ruff is not None:
        codes = tuple(args.ruff_select.split(","))
        before, after, grown = new_ruff_violations(ruff, stats.changed, base, codes)
        print(
            f"ruff --select {args.ruff_select} --line-length 88 over the changed files: "
            + ", ".join(f"{c} {before[c]} before, {after[c]} after" for c in codes)
        )
        print(f"changed files with a new {'/'.join(codes)} violation {len(grown)}")
    if args.diffs:
        write_diffs(stats.changed, base, args.diffs)
    print(f"slowest file {stats.slowest[0]:.2f} s: {stats.slowest[1]}")
    print(f"largest worker peak memory {stats.peak[0]:.0f} MiB, reached on {stats.peak[1]}")
    problems = stats.internal_errors + stats.broken_fixes + stats.unstable + stats.not_compiling
    problems += stats.lost_comments + grown
    for line in problems:
        print("  " + line)
    failed = bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
