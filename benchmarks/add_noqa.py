"""`--add-noqa` on a copy of the pinned corpora: the adoption path of an existing code base.

    python benchmarks/add_noqa.py                        # both corpora, the default rules
    python benchmarks/add_noqa.py --corpus apps          # one corpus
    python benchmarks/add_noqa.py --select ALL           # every rule, opt-in ones too
    python benchmarks/add_noqa.py --keep /tmp/copy       # keep the copy (to read the diff)

Each corpus is copied to a temporary folder and asynclint runs there, `--isolated` (the
corpus's own configuration plays no part) and `--no-cache`:

1. a plain run counts the findings;
2. `--add-noqa` writes the comments; the script counts the files and lines that changed
   (by comparing the bytes, not by trusting the command's own count, which it also prints);
3. every file that compiled before must still compile (`compile()`, never run);
4. a plain run must report nothing but the files asynclint cannot parse (ASL001, which no
   comment can hide), and a run with `--extend-select ASL003` no unused noqa either;
5. a second `--add-noqa` must change nothing.

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, CorpusUnavailable, ensure_corpus, python_files


def asynclint(args: list[str], folder: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "asynclint", "--isolated", "--no-cache", "-j", str(jobs), *args, "."]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)


def findings(folder: Path, jobs: int, select: list[str]) -> list[dict[str, object]]:
    done = asynclint([*select, "--exit-zero", "--format", "json"], folder, jobs)
    if done.returncode != 0:
        raise SystemExit(f"asynclint failed ({done.returncode}): {done.stderr[-2000:]}")
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def compiles(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def changed_lines(old: bytes, new: bytes) -> int:
    """How many lines of `old` differ in `new` (`--add-noqa` only appends to lines)."""
    a, b = old.splitlines(), new.splitlines()
    if len(a) != len(b):
        return max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b, strict=True))


def check(corpus: str, copy: Path, jobs: int, select: list[str]) -> bool:
    folders = ensure_corpus(corpus=corpus)
    for folder in folders:
        shutil.copytree(folder, copy / folder.name)
    files = python_files([copy])
    before = {p: p.read_bytes() for p in files}
    compiled = {p for p in files if compiles(p)}
    first = findings(copy, jobs, select)
    by_code = Counter(str(d["code"]) for d in first)
    added = asynclint([*select, "--add-noqa"], copy, jobs)
    after = {p: p.read_bytes() for p in files}
    changed = [p for p in files if before[p] != after[p]]
    lines = sum(changed_lines(before[p], after[p]) for p in changed)
    broken = sorted(str(p.relative_to(copy)) for p in compiled if not compiles(p))
    left = findings(copy, jobs, select)
    left_codes = Counter(str(d["code"]) for d in left)
    unparsed = left_codes.pop("ASL001", 0)
    unused = [
        d for d in findings(copy, jobs, [*select, "--extend-select", "ASL003"]) if d["code"] == "ASL003"
    ]
    again = asynclint([*select, "--add-noqa"], copy, jobs)
    second = [p for p in files if p.read_bytes() != after[p]]

    print(f"== {corpus}: {len(folders)} projects, {len(files)} files ({len(compiled)} compile)")
    print(f"findings before: {len(first)} ({', '.join(f'{c} {n}' for c, n in sorted(by_code.items()))})")
    print(
        f"--add-noqa says: {added.stdout.strip().splitlines()[-1] if added.stdout.strip() else '(nothing)'}"
    )
    print(f"changed: {lines} lines in {len(changed)} files")
    print(f"files that compiled and no longer do: {len(broken)} {broken[:5]}")
    print(
        f"findings after: {sum(left_codes.values())} {dict(left_codes)} (ASL001, files not parsed: {unparsed})"
    )
    print(f"unused noqa after (ASL003): {len(unused)}")
    print(
        f"second --add-noqa: {again.stdout.strip().splitlines()[-1] if again.stdout.strip() else '(nothing)'}; files changed: {len(second)}"
    )
    for message in added.stderr.strip().splitlines()[:10]:
        print(f"  stderr: {message}")
    return not broken and not left_codes and not unused and not second


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=["projects", "apps", "both"], default="both")
    parser.add_argument("--select", help="the rules (default: asynclint's default selection)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, help="copy the corpora here (an empty or new folder) and keep them"
    )
    args = parser.parse_args()
    select = ["--select", args.select] if args.select else []
    corpora = ["projects", "apps"] if args.corpus == "both" else [args.corpus]
    ok = True
    try:
        for corpus in corpora:
            if args.keep is not None:
                target = args.keep / corpus
                target.mkdir(parents=True, exist_ok=False)
                ok &= check(corpus, target, args.jobs, select)
            else:
                with tempfile.TemporaryDirectory(prefix=f"asynclint-add-noqa-{corpus}-") as tmp:
                    ok &= check(corpus, Path(tmp), args.jobs, select)
    except CorpusUnavailable as exc:
        raise SystemExit(f"corpus unavailable ({exc}); the cache is {CACHE}") from exc
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
