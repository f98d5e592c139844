"""Every finding of every rule on a pinned corpus, one line each, sorted: the file to diff
before and after a change that must not change behaviour.

    python benchmarks/findings.py -o before.tsv                # library corpus, all rules
    python benchmarks/findings.py --corpus apps -o apps.tsv    # application corpus
    diff before.tsv after.tsv
    python benchmarks/findings.py -o after.tsv --check-triggers  # and: no finding outside its triggers
    python benchmarks/findings.py --corpus apps --default -o apps-default.tsv   # what a user sees
    PYTHONPATH=../old/src python benchmarks/findings.py -o old.tsv   # another checkout's code

Each line: path (relative to the corpus folder), line, column, code, message. asynclint
runs with `--isolated --select ALL --no-cache` (`--default`: without `--select`, the
default selection), so neither the corpus's configuration nor a
cache can change the answer. `--check-triggers` also checks, after a change to the rules'
triggers, that every finding is in a file its rule's triggers select (the text scan only
ever selects the files to parse; a finding outside it means a trigger is too narrow).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, CorpusUnavailable, ensure_corpus


def findings(folders: list[Path], jobs: int, select: str | None = "ALL") -> list[str]:
    """Every finding in `folders`, one tab-separated line each, sorted (`select=None`: the
    default selection, what a user who installs asynclint sees)."""
    command = [
        sys.executable,
        "-m",
        "asynclint",
        "--isolated",
        *(["--select", select] if select else []),
        "--no-cache",
        "--exit-zero",
        "--format",
        "json",
        "-j",
        str(jobs),
        *map(str, folders),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"asynclint failed ({done.returncode}): {done.stderr[-2000:]}")
    base = CACHE / "corpus"
    lines = []
    for item in json.loads(done.stdout):
        path = Path(item["filename"]).resolve()
        rel = path.relative_to(base) if path.is_relative_to(base) else path
        loc = item["location"]
        message = " ".join(item["message"].split())
        lines.append(f"{rel}\t{loc['row']}\t{loc['column']}\t{item['code']}\t{message}")
    return sorted(lines)


def outside_triggers(lines: list[str]) -> list[str]:
    """The findings (lines) in a file that their rule's triggers do not select."""
    from asynclint.registry import rule_infos
    from asynclint.triggers import rules_that_can_fire

    infos = rule_infos()
    texts: dict[str, str] = {}
    wrong = []
    for line in lines:
        path, _, _, code, _ = line.split("\t", 4)
        if path not in texts:
            texts[path] = (CACHE / "corpus" / path).read_text(encoding="utf-8", errors="replace")
        if code in infos and code != "ASL002" and not rules_that_can_fire(texts[path], {code}, infos):
            wrong.append(line)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=["projects", "apps"], default="projects")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("-o", "--output", required=True, help="where to write the findings")
    parser.add_argument("--default", action="store_true", help="the default selection instead of every rule")
    parser.add_argument(
        "--check-triggers",
        action="store_true",
        help="fail when a finding's file is outside its rule's triggers",
    )
    args = parser.parse_args()
    try:
        folders = ensure_corpus(None, args.corpus)
    except CorpusUnavailable as exc:
        raise SystemExit(f"findings: {exc}") from None
    lines = findings(folders, args.jobs, select=None if args.default else "ALL")
    Path(args.output).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} findings in {args.output}")
    if args.check_triggers:
        wrong = outside_triggers(lines)
        if wrong:
            raise SystemExit("findings outside their rule's triggers:\n" + "\n".join(wrong))
        print("every finding is in a file its rule's triggers select")


if __name__ == "__main__":
    main()
