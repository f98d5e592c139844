"""Blocking calls on real code: asynclint's ASL1 rules against ruff and flake8-async.

    python benchmarks/compare_peers.py                 # whole corpus, flake8 on the subset
    python benchmarks/compare_peers.py --flake8-all    # flake8 on the whole corpus too (~10 min)
    python benchmarks/compare_peers.py aiohttp trio    # only these projects

Runs, on the same files of the pinned corpus (`corpus.py`):
- `ruff check --no-cache --isolated --select ASYNC2 --output-format json`;
- `flake8 --isolated --select ASYNC2` with flake8-async (on `FLAKE8_SUBSET` unless
  `--flake8-all`: flake8 is slow);
- `asynclint --select ASL1 --blocking-light-calls`, once per project (ASL116 follows
  calls within one project). Findings of the light tier, which is off by default, are
  marked so that the default numbers can be read too.

Then prints the counts (theirs, ours, shared, only-ours) and writes to `--out`
(default `benchmarks/.cache/compare/`) every peer finding that asynclint does not report
on the same line (`peer-only.txt`) and every asynclint finding that no peer reports
(`ours-only.txt`), with the source line, plus `report.json` with everything. Nothing is
installed: ruff, flake8 and flake8-async come with the `test` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, ensure_corpus, python_files  # noqa: E402

#: Projects flake8 runs on by default: a fixed subset holding most of the corpus's
#: blocking findings, chosen once (not by results) to keep the run near two minutes.
FLAKE8_SUBSET = ("aiofiles", "aiohttp", "anyio", "asyncpg", "redis", "trio", "uvicorn")

#: Runs flake8 without plugins from the asynclint distribution, so that the comparison is
#: with flake8-async alone (and works before asynclint's own plugin exists).
_FLAKE8_MAIN = """
import sys
from flake8.plugins import finder
_find = finder.find_plugins
finder.find_plugins = lambda cfg, opts: [p for p in _find(cfg, opts) if p.package != "asynclint"]
from flake8.main.cli import main
sys.exit(main())
"""
_FLAKE8_FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"
_NAME_RE = re.compile(r"^`([\w.]+)\(\)`")
_CHAIN_END_RE = re.compile(r"→ ([\w.]+)\(\) \(\d+ calls? deep\)")


@dataclass(frozen=True)
class Finding:
    tool: str
    project: str
    path: str  # relative to the project folder
    line: int
    code: str
    message: str

    @property
    def where(self) -> tuple[str, str, int]:
        return (self.project, self.path, self.line)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _chunks(items: list[str], size: int = 400) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_ruff(folder: Path, files: list[str]) -> list[Finding]:
    found = []
    for chunk in _chunks(files):
        proc = subprocess.run(
            [
                _bin("ruff"),
                *("check", "--no-cache", "--isolated", "--select", "ASYNC2"),
                *("--output-format", "json", "--exit-zero", *chunk),
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
        for item in json.loads(proc.stdout or "[]"):
            path = os.path.relpath(item["filename"], folder)
            found.append(
                Finding("ruff", folder.name, path, item["location"]["row"], item["code"], item["message"])
            )
    return found


def run_flake8(folder: Path, files: list[str], jobs: int) -> list[Finding]:
    found = []
    for chunk in _chunks(files):
        proc = subprocess.run(
            [
                *(sys.executable, "-c", _FLAKE8_MAIN, "--isolated", "--select", "ASYNC2", "--exit-zero"),
                *("-j", str(jobs), f"--format={_FLAKE8_FORMAT}", *chunk),
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
        for row in proc.stdout.splitlines():
            path, line, _col, code, text = row.split("\t", 4)
            path = os.path.relpath(os.path.join(folder, path), folder)
            found.append(Finding("flake8-async", folder.name, path, int(line), code, text))
    return found


def run_asynclint(folder: Path, files: list[str], jobs: int) -> list[Finding]:
    """One run over the whole project, so that ASL116 sees every module."""
    proc = subprocess.run(
        [
            *(_bin("asynclint"), "--isolated", "--no-cache", "-j", str(jobs), "--select", "ASL1,ASL002"),
            *("--blocking-light-calls", "--format", "json", "--exit-zero", *files),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for item in json.loads(proc.stdout or "[]"):
        path = os.path.relpath(os.path.join(folder, item["filename"]), folder)
        found.append(
            Finding("asynclint", folder.name, path, item["location"]["row"], item["code"], item["message"])
        )
    return found


def light_tier(finding: Finding) -> bool:
    """Whether a finding is of the light tier (off by default): an ASL107 metadata call, or
    an ASL116 chain that ends in one."""
    from asynclint.catalogs import blocking

    if finding.code == "ASL116":
        match = _CHAIN_END_RE.search(finding.message)
    elif finding.code == "ASL107":
        match = _NAME_RE.match(finding.message)
    else:
        return False
    if match is None:
        return False
    name = match.group(1)
    entry = blocking.CALLS.get(name) or blocking.CALLS.get("builtins." + name)
    return entry is not None and entry.tier == blocking.LIGHT


_PURE_PATH_RE = re.compile(r"\b(normpath|abspath|relpath|expanduser|absolute|cwd|home)\(")
_OSPATH_NAME_RE = re.compile(r"(?<![.\w])(join|dirname|basename|split|splitext)\(")


def why_not_ours(
    finding: Finding, line: str, ours: list[Finding], light_at: set[tuple[str, str, int]]
) -> str:
    """docs/differences.md's reason for a peer finding asynclint does not report by default, as far
    as it can be told from the finding itself; "unexplained" otherwise."""
    if finding.where in light_at:
        return "light tier (off by default)"
    if finding.code == "ASYNC232":
        opened_before = any(
            o.code == "ASL105"
            and (o.project, o.path) == (finding.project, finding.path)
            and 0 <= finding.line - o.line <= 40
            for o in ours
        )
        if opened_before:
            return "handle opened in the same function (reported at the open)"
    if finding.code == "ASYNC240":
        if _PURE_PATH_RE.search(line):
            return "pure path computation"
        if finding.tool == "flake8-async" and _OSPATH_NAME_RE.search(line):
            return "name imported from os.path that does no I/O"
    return "unexplained"


def source_line(root: Path, finding: Finding) -> str:
    try:
        lines = (
            (root / finding.project / finding.path).read_text(encoding="utf-8", errors="replace").splitlines()
        )
    except OSError:
        return ""
    return lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else ""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="only these projects (by package name)")
    parser.add_argument("--flake8-all", action="store_true", help="run flake8 on every project")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=CACHE / "compare")
    parser.add_argument("--sample", type=int, default=30, help="random only-ours findings to list")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--peers-from",
        type=Path,
        help="reuse the ruff and flake8 findings of an earlier run (its peers.json) instead of running them",
    )
    parser.add_argument("--peers-only", action="store_true", help="only run the peers and write peers.json")
    args = parser.parse_args()

    folders = ensure_corpus(args.names or None)
    root = folders[0].parent if folders else CACHE / "corpus"
    ruff: list[Finding] = []
    flake8: list[Finding] = []
    ours: list[Finding] = []
    flake8_projects: list[str] = []
    if args.peers_from is not None:
        saved = json.loads(args.peers_from.read_text(encoding="utf-8"))
        wanted = {f.name for f in folders}
        ruff = [Finding(**f) for f in saved["ruff"] if f["project"] in wanted]
        flake8 = [Finding(**f) for f in saved["flake8"] if f["project"] in wanted]
        flake8_projects = [p for p in saved["flake8_projects"] if p in wanted]
    for folder in folders:
        files = [os.path.relpath(p, folder) for p in python_files([folder])]
        print(f"{folder.name}: {len(files)} files", file=sys.stderr)
        if args.peers_from is None:
            ruff += run_ruff(folder, files)
            if args.flake8_all or folder.name.rsplit("-", 1)[0] in FLAKE8_SUBSET:
                flake8 += run_flake8(folder, files, args.jobs)
                flake8_projects.append(folder.name)
        if not args.peers_only:
            ours += run_asynclint(folder, files, args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.peers_from is None:
        peers_file = args.out / "peers.json"
        peers_file.write_text(
            json.dumps(
                {
                    "ruff": [asdict(f) for f in ruff],
                    "flake8": [asdict(f) for f in flake8],
                    "flake8_projects": flake8_projects,
                }
            ),
            encoding="utf-8",
        )
    if args.peers_only:
        print(f"peer findings written to {args.out / 'peers.json'}", file=sys.stderr)
        return 0

    crashes = [f for f in ours if f.code == "ASL002"]
    ours = [f for f in ours if f.code != "ASL002"]
    default_ours = [f for f in ours if not light_tier(f)]
    ours_at = {f.where for f in ours}
    default_at = {f.where for f in default_ours}
    direct_at = {f.where for f in ours if f.code != "ASL116"}
    peers = ruff + flake8
    peers_at = {f.where for f in peers}

    default_direct_at = {f.where for f in default_ours if f.code != "ASL116"}
    peer_only = sorted(
        {f for f in peers if f.where not in default_direct_at}, key=lambda f: (f.where, f.tool)
    )
    ours_only = sorted((f for f in default_ours if f.where not in peers_at), key=lambda f: f.where)
    shared = {f.where for f in default_ours} & peers_at

    counts = {
        "projects": [f.name for f in folders],
        "flake8_projects": flake8_projects,
        "ruff": len({f.where for f in ruff}),
        "flake8_async": len({f.where for f in flake8}),
        "theirs": len(peers_at),
        "ours_default": len(default_at),
        "ours_with_light_tier": len(ours_at),
        "shared_default": len(shared),
        "theirs_missed_default": len(peers_at - default_at),
        "theirs_missed_with_light_tier": len(peers_at - direct_at),
        "only_ours_default": len({f.where for f in ours_only}),
        "only_ours_direct": len({f.where for f in ours_only if f.code != "ASL116"}),
        "only_ours_asl116": len({f.where for f in ours_only if f.code == "ASL116"}),
        "asl002_crashes": len(crashes),
        "ours_by_code": dict(sorted(Counter(f.code for f in default_ours).items())),
        "theirs_by_code": dict(sorted(Counter(f"{f.tool}:{f.code}" for f in peers).items())),
    }
    light_at = ours_at - default_at
    reasons: Counter[str] = Counter()
    with (args.out / "peer-only.txt").open("w", encoding="utf-8") as handle:
        for f in peer_only:
            line = source_line(root, f)
            reason = why_not_ours(f, line, ours, light_at)
            reasons[reason] += 1
            handle.write(f"{f.project}/{f.path}:{f.line}: {f.tool} {f.code} [{reason}]: {line}\n")
    counts["peer_only_reasons"] = dict(reasons.most_common())
    with (args.out / "ours-only.txt").open("w", encoding="utf-8") as handle:
        for f in ours_only:
            handle.write(f"{f.project}/{f.path}:{f.line}: {f.code} {f.message}\n    {source_line(root, f)}\n")
    sample = random.Random(args.seed).sample(ours_only, min(args.sample, len(ours_only)))
    with (args.out / "sample.txt").open("w", encoding="utf-8") as handle:
        for f in sorted(sample, key=lambda f: f.where):
            handle.write(f"{f.project}/{f.path}:{f.line}: {f.code} {f.message}\n    {source_line(root, f)}\n")
    report = {
        "counts": counts,
        "peer_only": [asdict(f) for f in peer_only],
        "ours_only": [asdict(f) for f in ours_only],
        "crashes": [asdict(f) for f in crashes],
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(counts, indent=1))
    print(f"lists written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
