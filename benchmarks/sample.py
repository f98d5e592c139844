"""Judging findings on real code: a seeded sample, stratified by rule family, each finding
printed with its whole function, and a judgements file kept in the repository so that the
next sample can be compared and the same findings re-judged.

    python benchmarks/sample.py draw --corpus apps --seed 1 --size 120 -o benchmarks/judgements/apps-1.tsv
    python benchmarks/sample.py show benchmarks/judgements/apps-1.tsv     # read them to judge
    python benchmarks/sample.py score benchmarks/judgements/apps-1.tsv    # precision per family
    python benchmarks/sample.py score --rerun benchmarks/judgements/apps-1.tsv  # ... of today's output
    python benchmarks/sample.py score --rerun --list benchmarks/judgements/apps-1.tsv  # ... and what to read

`draw` runs asynclint with its default selection (what a user sees) on the pinned corpus and
writes one line per sampled finding: path (relative to the corpus folder), line, column,
code, verdict (`?` until judged), reason, message. Judge by editing the verdict and the
reason: `true` when the project's maintainer would accept the change (or a `noqa` that
documents a deliberate choice), `false` otherwise; a finding in a test file is judged as the
test's author would judge it. "Matches the rule's definition" is not enough.

Each family gets its share of the sample in proportion to its findings, but at least
`--minimum` (10) when it has that many, so that every family's precision can be stated.
`score --rerun` lints the corpus again and counts only the judged findings still reported,
which is the precision of today's output on the judged sample. With `--list` it also prints
the true findings no longer reported, the false findings still reported and, when the file
is a census of the whole output, every finding it lacks (new or moved findings, to judge).
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, CorpusUnavailable, ensure_corpus
from findings import findings

FAMILIES = {
    "1": "blocking",
    "2": "concurrency",
    "3": "resources",
    "4": "timeouts",
    "5": "cancellation",
    "6": "loop API",
}
VERDICTS = ("true", "false", "?")
HEADER = "# path\tline\tcolumn\tcode\tverdict\treason\tmessage\n"
#: Lines of a long function shown around the finding.
CONTEXT = 40


@dataclass
class Judgement:
    path: str
    line: int
    column: int
    code: str
    verdict: str
    reason: str
    message: str

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[3:4], "other")

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)

    def to_line(self) -> str:
        fields = (
            self.path,
            str(self.line),
            str(self.column),
            self.code,
            self.verdict,
            self.reason,
            self.message,
        )
        return "\t".join(f.replace("\t", " ") for f in fields) + "\n"


def parse_finding(line: str) -> Judgement:
    path, row, column, code, message = line.split("\t", 4)
    return Judgement(path, int(row), int(column), code, "?", "", message)


def corpus_of(path: Path) -> str:
    """The corpus a judgements file was drawn from, as its first line names it (`# projects
    corpus, seed 2, ...`); apps when it names none."""
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    match = re.match(r"#\s*(projects|apps) corpus\b", first)
    return match.group(1) if match else "apps"


def read_judgements(path: Path) -> list[Judgement]:
    judged = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7 or fields[4] not in VERDICTS:
            raise SystemExit(f"{path}:{number}: expected 7 tab-separated fields with a verdict in {VERDICTS}")
        judged.append(
            Judgement(fields[0], int(fields[1]), int(fields[2]), fields[3], fields[4], fields[5], fields[6])
        )
    return judged


def stratified(found: list[Judgement], size: int, minimum: int, seed: int) -> list[Judgement]:
    """`size` findings: each family's share in proportion to its findings, but at least
    `minimum` (or all it has)."""
    rng = random.Random(seed)
    by_family: dict[str, list[Judgement]] = defaultdict(list)
    for item in found:
        if item.family != "other":  # ASL001/ASL002 say asynclint could not lint: not judged
            by_family[item.family].append(item)
    total = sum(len(items) for items in by_family.values())
    shares = {
        family: min(len(items), max(minimum, round(size * len(items) / total)))
        for family, items in by_family.items()
    }
    # Trim the largest shares until the sample has the size asked for (the minimums stay).
    while sum(shares.values()) > size and any(n > minimum for n in shares.values()):
        largest = max(shares, key=lambda f: shares[f])
        shares[largest] -= 1
    chosen = []
    for family in sorted(by_family):
        chosen += rng.sample(by_family[family], shares[family])
    return sorted(chosen, key=lambda j: (j.family, j.code, j.path, j.line))


def function_source(path: Path, line: int) -> tuple[int, list[str]]:
    """The first line number and the lines of the innermost function around `line` (a
    window around it when it is at module level or the function is long)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    start, end = max(1, line - 8), min(len(lines), line + 8)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        best = None
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                last = node.end_lineno or node.lineno
                if first <= line <= last and (best is None or first >= best[0]):
                    best = (first, last)
        if best is not None:
            start, end = best
            if end - start > 2 * CONTEXT:
                start, end = max(start, line - CONTEXT), min(end, line + CONTEXT)
    return start, lines[start - 1 : end]


def show(judged: list[Judgement], out=sys.stdout) -> None:
    base = CACHE / "corpus"
    for number, item in enumerate(judged, 1):
        out.write(f"\n=== {number}. {item.code} [{item.family}] {item.path}:{item.line}:{item.column}\n")
        out.write(f"    {item.message}\n")
        if item.verdict != "?":
            out.write(f"    judged {item.verdict}: {item.reason}\n")
        path = base / item.path
        if not path.exists():
            out.write("    (file not in the corpus cache: download it with benchmarks/corpus.py)\n")
            continue
        first, lines = function_source(path, item.line)
        for offset, text in enumerate(lines):
            row = first + offset
            out.write(f"{'>' if row == item.line else ' '}{row:6d}  {text}\n")


def score(judged: list[Judgement], reported: set[tuple[str, int, str]] | None) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in judged:
        if reported is not None and item.key not in reported:
            counts[item.family]["gone"] += 1
            continue
        counts[item.family][item.verdict] += 1
    rows = ["family          true  false  unjudged  gone  precision"]
    total: Counter[str] = Counter()
    for family in [*sorted(counts), "all"]:
        c = counts[family] if family != "all" else total
        if family != "all":
            total.update(c)
        judged_n = c["true"] + c["false"]
        precision = f"{100 * c['true'] / judged_n:.0f} %" if judged_n else "-"
        rows.append(f"{family:<14} {c['true']:5d} {c['false']:6d} {c['?']:9d} {c['gone']:5d}  {precision:>9}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("draw", help="draw a sample and write its judgements file")
    draw.add_argument("--corpus", choices=["projects", "apps"], default="apps")
    draw.add_argument("--seed", type=int, default=1)
    draw.add_argument("--size", type=int, default=120)
    draw.add_argument("--minimum", type=int, default=10, help="findings per family, at least")
    draw.add_argument("-j", "--jobs", type=int, default=2)
    draw.add_argument("-o", "--output", required=True)
    for name in ("show", "score"):
        command = commands.add_parser(name)
        command.add_argument("file", type=Path)
        if name == "score":
            command.add_argument("--rerun", action="store_true", help="count only findings still reported")
            command.add_argument(
                "--corpus",
                choices=["projects", "apps"],
                default=None,
                help="the corpus to run on (default: the one the file's first line names, else apps)",
            )
            command.add_argument("-j", "--jobs", type=int, default=2)
            command.add_argument(
                "--list",
                action="store_true",
                help="with --rerun: print the true findings lost, the false ones left and the unjudged",
            )
    args = parser.parse_args()
    if args.command == "show":
        show(read_judgements(args.file))
        return
    if args.command == "score" and args.corpus is None:
        args.corpus = corpus_of(args.file)
    try:
        folders = ensure_corpus(None, args.corpus) if args.command == "draw" or args.rerun else []
    except CorpusUnavailable as exc:
        raise SystemExit(f"sample: {exc}") from None
    if args.command == "draw":
        found = [parse_finding(line) for line in findings(folders, args.jobs, select=None)]
        chosen = stratified(found, args.size, args.minimum, args.seed)
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        note = f"# {args.corpus} corpus, seed {args.seed}, {len(chosen)} of {len(found)} findings (default selection)\n"
        output.write_text(note + HEADER + "".join(j.to_line() for j in chosen), encoding="utf-8")
        print(f"{len(chosen)} of {len(found)} findings in {output}")
        print(score(chosen, None))
        return
    judged = read_judgements(args.file)
    reported = None
    if args.rerun:
        current = [parse_finding(line) for line in findings(folders, args.jobs, select=None)]
        reported = {item.key for item in current}
    print(score(judged, reported))
    if args.list and reported is not None:
        print(listing(judged, current))


def listing(judged: list[Judgement], current: list[Judgement]) -> str:
    """The true findings of `judged` no longer in `current` (lost), its false findings still
    there, and the findings of `current` that `judged` lacks (when `judged` is a census of
    the whole output: new ones to judge)."""
    keys = {item.key for item in judged}
    now = {item.key for item in current}
    rows = ["", "true, no longer reported:"]
    rows += [
        f"  {j.path}:{j.line} {j.code}  {j.reason}"
        for j in judged
        if j.verdict == "true" and j.key not in now
    ]
    rows += ["", "false, still reported:"]
    rows += [
        f"  {j.path}:{j.line} {j.code}  {j.reason}" for j in judged if j.verdict == "false" and j.key in now
    ]
    rows += ["", "reported, not in the file:"]
    rows += [f"  {c.path}:{c.line}:{c.column} {c.code}  {c.message}" for c in current if c.key not in keys]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
