"""Findings of the timeout, cancellation and loop-API rules (ASL4xx, ASL5xx, ASL6xx) on
the pinned corpus: counts per code, and a reproducible random sample to judge by hand.

    python benchmarks/timeouts_corpus.py                     # lint, save, print counts
    python benchmarks/timeouts_corpus.py --sample ASL401,ASL500 -n 30 --seed 6
    python benchmarks/timeouts_corpus.py --cached --sample ...  # reuse the saved run

Each project is linted from its own root (the unpacked archive's top folder), as its
developers would run asynclint, so `tests/` there counts as test files. Every rule of the
three families is selected, opt-in ones included, with ASL002 to catch crashes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, ensure_corpus  # noqa: E402

from asynclint import registry  # noqa: E402
from asynclint.runner import Runner  # noqa: E402
from asynclint.settings import DEFAULT_EXCLUDES, Settings  # noqa: E402

SAVED = CACHE / "timeouts-findings.json"
FAMILIES = ("ASL4", "ASL5", "ASL6")


def project_root(folder: Path) -> Path:
    """An sdist unpacks into one top folder; a wheel's packages sit at the top."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return folder


def lint(jobs: int) -> list[dict[str, object]]:
    codes = (*sorted(c for c in registry.rule_infos() if c.startswith(FAMILIES)), "ASL002")
    found: list[dict[str, object]] = []
    for folder in ensure_corpus():
        root = project_root(folder)
        settings = replace(Settings(), select=codes, project_root=str(root))
        # The cache folder is git-ignored, so the files are named explicitly; the default
        # excludes still apply.
        files = [
            str(p)
            for p in sorted(root.rglob("*.py"))
            if not set(DEFAULT_EXCLUDES) & set(p.relative_to(root).parts)
        ]
        result = Runner(settings, jobs=jobs, use_cache=False).check(files)
        for d in result.diagnostics:
            found.append(
                {
                    "project": folder.name,
                    "path": d.path,
                    "line": d.start.row,
                    "code": d.code,
                    "message": d.message,
                    "fix": d.fix.applicability if d.fix else None,
                }
            )
        print(f"{folder.name}: {len(result.diagnostics)}", file=sys.stderr)
    return found


def show(finding: dict[str, object], context: int) -> None:
    path = Path(str(finding["path"]))
    line = int(str(finding["line"]))
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    print(f"--- {finding['code']} {path}:{line}\n    {finding['message']}")
    for number in range(max(1, line - context), min(len(lines), line + context) + 1):
        marker = ">>" if number == line else "  "
        print(f"{marker}{number:5d} {lines[number - 1]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cached", action="store_true", help="reuse the findings of the last run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", default="", help="codes to sample from, comma-separated")
    parser.add_argument("-n", type=int, default=30, help="sample size")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--context", type=int, default=8, help="source lines shown around a sample")
    args = parser.parse_args()
    if args.cached and SAVED.exists():
        found = json.loads(SAVED.read_text(encoding="utf-8"))
    else:
        found = lint(args.jobs)
        SAVED.write_text(json.dumps(found, indent=1), encoding="utf-8")
    counts = Counter(str(f["code"]) for f in found)
    for code in sorted(counts):
        fixable = sum(1 for f in found if f["code"] == code and f["fix"])
        print(f"{code}\t{counts[code]}\t(fixable {fixable})")
    print(f"total\t{sum(counts.values())}")
    if args.sample:
        wanted = set(args.sample.split(","))
        pool = [f for f in found if f["code"] in wanted]
        chosen = random.Random(args.seed).sample(pool, min(args.n, len(pool)))
        for finding in chosen:
            show(finding, args.context)


if __name__ == "__main__":
    main()
