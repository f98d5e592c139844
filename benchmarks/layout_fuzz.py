"""Differential layout fuzzing at scale: generated async programs, each re-laid out without
changing its meaning, must be linted and fixed the same way (see tests/layouts.py for the
layouts and the properties; tests/test_layout_fuzz.py runs a few hundred in CI).

    python benchmarks/layout_fuzz.py -n 10000 --seed 0      # 10,000 programs, 2 processes
    python benchmarks/layout_fuzz.py -n 200 --variants 3    # three layouts per program
    python benchmarks/layout_fuzz.py --show 0:1234          # one program and its variant

Program `i` of seed `s` is drawn from `random.Random(f"{s}-{i}")`, so a failure reported
as `s:i` reproduces with `--show s:i` (which prints both texts and the problems). Prints
counts (programs, variants checked, diagnostics, fixes, variants not fixed because libcst
does not reproduce them, variants with fixes declined or refused for their layout) and
every failure; exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from layouts import compare, fix, variant
from program_gen import random_program


@dataclass
class Stats:
    programs: int = 0
    variants: int = 0
    edits: int = 0
    discarded: int = 0  # drawn layouts that did not compile to the same tree
    no_variant: int = 0
    diagnostics: int = 0
    fixes: int = 0
    declined: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, other: Stats) -> None:
        self.programs += other.programs
        self.variants += other.variants
        self.edits += other.edits
        self.discarded += other.discarded
        self.no_variant += other.no_variant
        self.diagnostics += other.diagnostics
        self.fixes += other.fixes
        self.declined += other.declined
        self.kinds.update(other.kinds)
        self.failures += other.failures


def check_program(seed: int, index: int, variants: int) -> Stats:
    stats = Stats(programs=1)
    rng = random.Random(f"{seed}-{index}")
    source = random_program(rng)
    fixed = fix(source)
    for number in range(variants):
        found = variant(source, rng)
        if found is None:
            stats.no_variant += 1
            continue
        stats.discarded += found.discarded
        stats.edits += found.edits
        try:
            outcome = compare(source, found.text, found.style.allowances, fixed_original=fixed)
        except Exception as exc:  # a crash of the checker or of asynclint: report it, go on
            stats.failures.append((f"{seed}:{index}/{number}", [f"raised {type(exc).__name__}: {exc}"]))
            continue
        stats.variants += 1
        stats.kinds[outcome.kind] += 1
        stats.diagnostics += outcome.diagnostics
        stats.fixes += outcome.fixes
        stats.declined += outcome.declined
        if outcome.problems:
            stats.failures.append((f"{seed}:{index}/{number}", outcome.problems))
    return stats


def _chunk(args: tuple[int, range, int]) -> Stats:
    seed, indexes, variants = args
    total = Stats()
    for index in indexes:
        total.add(check_program(seed, index, variants))
    return total


def show(where: str, variants: int) -> None:
    seed, index = (int(part) for part in where.split(":"))
    rng = random.Random(f"{seed}-{index}")
    source = random_program(rng)
    print(source)
    for number in range(variants):
        found = variant(source, rng)
        if found is None:
            continue
        print(f"===== variant {number}: {found.style}")
        print(repr(found.text))
        for problem in compare(source, found.text, found.style.allowances).problems:
            print("PROBLEM:", problem)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--programs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, default=1, help="layouts per program")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--show", metavar="SEED:INDEX", help="print one program, its variants and problems")
    args = parser.parse_args()
    if args.show:
        show(args.show, args.variants)
        return
    started = time.perf_counter()
    size = 50
    chunks = [
        (args.seed, range(start, min(start + size, args.programs)), args.variants)
        for start in range(0, args.programs, size)
    ]
    total = Stats()
    with ProcessPoolExecutor(args.jobs) as pool:
        for done, stats in enumerate(pool.map(_chunk, chunks), 1):
            total.add(stats)
            for where, problems in stats.failures:
                print(f"FAILURE {where}:", *(f"    {p[:2000]}" for p in problems), sep="\n", flush=True)
            if done % 20 == 0:
                print(f"... {total.programs} programs, {len(total.failures)} failures", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"programs: {total.programs}")
    print(
        f"variants checked: {total.variants}, with {total.edits} layout changes besides line endings and"
        f" indentation (drawn layouts discarded: {total.discarded}; programs without a variant:"
        f" {total.no_variant})"
    )
    print(f"  fixed like the original: {total.kinds['same']}")
    print(f"  not fixed (libcst does not reproduce the layout): {total.kinds['not-fixed']}")
    print(f"  fixes declined or refused for the layout: {total.kinds['partial']} ({total.declined} declined)")
    print(f"diagnostics in variants: {total.diagnostics}; fixes applied to variants: {total.fixes}")
    print(f"failures: {len(total.failures)}")
    print(f"time: {elapsed:.0f} s with {args.jobs} processes")
    if total.failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
