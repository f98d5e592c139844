"""Run the ASL3xx family over the pinned corpus and count the findings per code.

    python benchmarks/resources_corpus.py                  # counts per code
    python benchmarks/resources_corpus.py --sample 30      # plus a seeded random sample
    python benchmarks/resources_corpus.py --fix-check      # --fix on a copy: parses, compiles, stable
    python benchmarks/resources_corpus.py --fix-check --unsafe-fixes aiohttp

Set ASYNCLINT_CORPUS_CACHE to reuse an existing download.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ensure_corpus, python_files

# ASL002 too: a rule that raises on a corpus file must show up.
CODES = ",".join(["ASL002", *(f"ASL3{n:02d}" for n in range(11))])


def lint(folders: list[Path], *extra: str) -> list[dict[str, object]]:
    command = [
        sys.executable,
        "-m",
        "asynclint",
        "--isolated",
        "--no-cache",
        "--select",
        CODES,
        "--format",
        "json",
        "--exit-zero",
        "-j",
        "2",
        *extra,
        # Named one by one: the corpus cache is git-ignored, and folders are walked
        # honouring .gitignore.
        *map(str, python_files(folders)),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    return data if isinstance(data, list) else data.get("diagnostics", [])


def fix_check(folders: list[Path], unsafe: bool = False) -> int:
    """`--fix` twice on a copy: every file must compile after the first run and the
    second run must change nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for folder in folders:
            target = Path(tmp) / folder.name
            shutil.copytree(folder, target)
            copies.append(target)
        before = {p: p.read_bytes() for c in copies for p in c.rglob("*.py")}
        for round_ in (1, 2):
            command = [sys.executable, "-m", "asynclint", "--isolated", "--no-cache", "--select", CODES]
            command += ["--fix", "--exit-zero", "-j", "2", *(["--unsafe-fixes"] if unsafe else [])]
            command += map(str, python_files(copies))
            subprocess.run(command, capture_output=True, text=True, check=True)
            after = {p: p.read_bytes() for c in copies for p in c.rglob("*.py")}
            changed = [p for p in after if after[p] != before[p]]
            print(f"fix round {round_}: {len(changed)} files changed")
            bad = 0
            for path in changed:
                try:
                    compile(after[path], str(path), "exec")
                except SyntaxError as error:
                    bad += 1
                    print(f"  does not compile: {path}: {error}")
            if round_ == 2 and changed:
                print("  not stable:", *changed[:10], sep="\n    ")
                return 1
            if bad:
                return 1
            before = after
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--fix-check", action="store_true")
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix-check")
    parser.add_argument("projects", nargs="*", help="only these projects (default: all)")
    args = parser.parse_args()
    folders = ensure_corpus(args.projects or None)
    if args.fix_check:
        return fix_check(folders, args.unsafe_fixes)
    diagnostics = lint(folders)
    counts = Counter(str(d["code"]) for d in diagnostics)
    for code in sorted(counts):
        print(f"{code}: {counts[code]}")
    print(f"total: {len(diagnostics)}")
    if args.sample:
        rng = random.Random(args.seed)
        chosen = rng.sample(diagnostics, min(args.sample, len(diagnostics)))
        for d in sorted(chosen, key=lambda d: (str(d["filename"] if "filename" in d else d.get("path")),)):
            where = d.get("location") or d.get("start")
            print(
                json.dumps(
                    {
                        "path": d.get("filename") or d.get("path"),
                        "at": where,
                        "code": d["code"],
                        "message": d["message"],
                    }
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
