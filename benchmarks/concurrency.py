"""The concurrency family (ASL2xx) on the pinned corpus: counts, a random sample to judge
by hand, and a check that the unsafe fixes keep every file valid and are stable.

    python benchmarks/concurrency.py                     # counts per code and project
    python benchmarks/concurrency.py --sample 40         # also 40 random ASL200-202 findings
    python benchmarks/concurrency.py --fix-check         # apply --unsafe-fixes in memory

Each project is linted with its own folder as the project root, so the default
`test-files` globs apply as they would in that project. The sample is drawn with a fixed
seed from the sorted findings, so the same code gives the same sample.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import ensure_corpus  # noqa: E402

from asynclint.diagnostics import Diagnostic  # noqa: E402
from asynclint.discovery import module_name  # noqa: E402
from asynclint.engine import LintRequest  # noqa: E402
from asynclint.fixer import fix_text, verify  # noqa: E402
from asynclint.registry import selected_codes  # noqa: E402
from asynclint.runner import Runner  # noqa: E402
from asynclint.settings import Settings  # noqa: E402

FAMILY = tuple(f"ASL20{i}" for i in range(10))
JUDGED = ("ASL200", "ASL201", "ASL202")


def project_root(folder: Path) -> Path:
    """An sdist unpacks into one folder named after the release; that is the root."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return folder


def lint(root: Path, codes: tuple[str, ...], jobs: int, include_tests: bool = False) -> list[Diagnostic]:
    settings = Settings(select=codes, project_root=str(root))
    if include_tests:
        settings = replace(settings, test_files=())
    files = sorted(str(p) for p in root.rglob("*.py"))
    result = Runner(settings, jobs=jobs, use_cache=False).check(files)
    return [d for d in result.diagnostics if d.code in codes]


def context(diagnostic: Diagnostic, before: int = 3, after: int = 6) -> str:
    lines = Path(diagnostic.path).read_text(encoding="utf-8", errors="replace").splitlines()
    start = max(diagnostic.start.row - 1 - before, 0)
    end = min(diagnostic.start.row + after, len(lines))
    out = []
    for number in range(start, end):
        mark = ">" if number + 1 == diagnostic.start.row else " "
        out.append(f"{mark}{number + 1:5} {lines[number]}")
    return "\n".join(out)


def fix_check(root: Path, codes: tuple[str, ...], include_tests: bool = False) -> tuple[int, int, list[str]]:
    """(files changed, fixes applied, problems) for --unsafe-fixes over one project."""
    settings = replace(Settings(select=codes, project_root=str(root)), unsafe_fixes=True)
    if include_tests:
        settings = replace(settings, test_files=())
    changed = applied = 0
    problems: list[str] = []
    selected = selected_codes(settings)
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "await" not in text and "create_task" not in text and "ensure_future" not in text:
            continue
        relpath = str(path.relative_to(root))
        name, is_package = module_name(str(path))
        request = LintRequest(
            text, str(path), relpath, settings, selected, module_name=name, is_package=is_package
        )
        outcome = fix_text(request, unsafe=True)
        problems.extend(outcome.failures)
        if outcome.text == text:
            continue
        changed += 1
        applied += sum(outcome.applied.values())
        reason = verify(outcome.text, str(path))
        if reason is not None:
            problems.append(f"{path}: fixed text is invalid: {reason}")
        again = fix_text(replace(request, text=outcome.text), unsafe=True)
        if again.text != outcome.text:
            problems.append(f"{path}: a second run changed the fixed text again")
    return changed, applied, problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=0, help="print this many random ASL200-202 findings")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--fix-check", action="store_true", help="check the unsafe fixes of ASL2xx")
    parser.add_argument("--show", default="", help="print every finding of these codes, in context")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--include-tests", action="store_true", help="lint test files too (not the default)")
    parser.add_argument("--codes", default=",".join(FAMILY))
    parser.add_argument("names", nargs="*", help="only these projects")
    args = parser.parse_args()
    codes = tuple(c.strip() for c in args.codes.split(",") if c.strip())
    folders = ensure_corpus(args.names or None)
    found: list[Diagnostic] = []
    per_project: dict[str, Counter[str]] = {}
    for folder in folders:
        diagnostics = lint(project_root(folder), codes, args.jobs, args.include_tests)
        per_project[folder.name] = Counter(d.code for d in diagnostics)
        found.extend(diagnostics)
    totals = Counter(d.code for d in found)
    print(f"{'project':28} " + " ".join(f"{c[3:]:>4}" for c in codes))
    for name, counts in per_project.items():
        print(f"{name:28} " + " ".join(f"{counts.get(c, 0):4}" for c in codes))
    print(f"{'total':28} " + " ".join(f"{totals.get(c, 0):4}" for c in codes))
    judged = sorted((d for d in found if d.code in JUDGED), key=lambda d: d.sort_key)
    print(f"\nASL200-202 findings: {len(judged)}")
    if args.sample:
        rng = random.Random(args.seed)
        sample = rng.sample(judged, min(args.sample, len(judged)))
        for index, diagnostic in enumerate(sample, 1):
            print(
                f"\n#{index} {diagnostic.path}:{diagnostic.start.row} {diagnostic.code} {diagnostic.message}"
            )
            print(context(diagnostic))
    shown = {c.strip() for c in args.show.split(",") if c.strip()}
    for diagnostic in sorted((d for d in found if d.code in shown), key=lambda d: (d.code, d.sort_key)):
        print(f"\n{diagnostic.path}:{diagnostic.start.row} {diagnostic.code} {diagnostic.message}")
        print(context(diagnostic))
    if args.fix_check:
        total_changed = total_applied = 0
        all_problems: list[str] = []
        for folder in folders:
            changed, applied, problems = fix_check(project_root(folder), codes, args.include_tests)
            total_changed += changed
            total_applied += applied
            all_problems.extend(problems)
        print(
            f"\n--unsafe-fixes: {total_applied} fixes in {total_changed} files; {len(all_problems)} problems"
        )
        for problem in all_problems:
            print("  " + problem)


if __name__ == "__main__":
    main()
