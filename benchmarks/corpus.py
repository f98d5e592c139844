"""The pinned corpora of real async code: libraries (`corpus-projects.tsv`) and
applications (`corpus-apps.tsv`), both kept beside this file.

    python benchmarks/corpus.py                  # download the library corpus (if needed), print the folder
    python benchmarks/corpus.py --corpus apps    # the same for the application corpus
    python benchmarks/corpus.py --list           # one line per project: name, files, lines

Each archive is fetched from the package index with `pip download`, checked against its
sha256, and only its `.py` files are kept, under `benchmarks/.cache/corpus/<name>-<version>/`.
Other scripts import `ensure_corpus()`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("ASYNCLINT_CORPUS_CACHE", HERE / ".cache"))
CORPORA = {"projects": HERE / "corpus-projects.tsv", "apps": HERE / "corpus-apps.tsv"}


class CorpusUnavailable(Exception):
    """An archive could not be downloaded (no package index) or did not match its pin."""


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    kind: str
    sha256: str
    py_files: int
    lines: int

    @property
    def folder(self) -> Path:
        return CACHE / "corpus" / f"{self.name}-{self.version}"


def projects(corpus: str = "projects") -> list[Project]:
    path = CORPORA[corpus]
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Project(r["name"], r["version"], r["kind"], r["sha256"], int(r["py_files"]), int(r["lines"]))
        for r in rows
    ]


def _download(project: Project, into: Path) -> Path:
    flag = ["--only-binary", ":all:"] if project.kind == "wheel" else ["--no-binary", project.name]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "-q",
        *flag,
        "-d",
        str(into),
        f"{project.name}=={project.version}",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CorpusUnavailable(f"{project.name}=={project.version}: pip download failed: {last}")
    found = [p for p in into.iterdir() if p.is_file()]
    if len(found) != 1:
        raise CorpusUnavailable(f"{project.name}: expected one archive, got {[p.name for p in found]}")
    return found[0]


def _extract(archive: Path, target: Path, marker: str) -> None:
    """The `.py` files of `archive` into `target`, with the `.complete` marker holding
    `marker`. Extracted beside it under a name of this process's own, then renamed: two
    runs that fetch the same project at once (two benchmarks side by side) each end with a
    whole folder, never with one the other emptied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".partial-", dir=target.parent))
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if member.endswith(".py") and ".." not in member.split("/"):
                    out = tmp / member
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(zf.read(member))
    else:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                if member.isfile() and member.name.endswith(".py") and ".." not in member.name.split("/"):
                    data = tf.extractfile(member)
                    if data is None:
                        continue
                    out = tmp / member.name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(data.read())
    (tmp / ".complete").write_text(marker + "\n")
    if (target / ".complete").exists():
        shutil.rmtree(tmp, ignore_errors=True)  # another run finished it meanwhile
        return
    shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.rename(target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / ".complete").exists():
            raise


def ensure_project(project: Project) -> Path:
    marker = project.folder / ".complete"
    if marker.exists():
        return project.folder
    with tempfile.TemporaryDirectory() as tmp:
        archive = _download(project, Path(tmp))
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != project.sha256:
            raise CorpusUnavailable(f"{project.name}: sha256 mismatch: {digest} != {project.sha256}")
        _extract(archive, project.folder, project.sha256)
    return project.folder


def ensure_corpus(names: list[str] | None = None, corpus: str = "projects") -> list[Path]:
    """Download what is missing; return the project folders (all, or those in `names`).
    Raises CorpusUnavailable when an archive cannot be had."""
    chosen = [p for p in projects(corpus) if names is None or p.name in names]
    return [ensure_project(p) for p in chosen]


def python_files(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--list", action="store_true", help="print files and lines per project")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="projects", help="which corpus")
    parser.add_argument("names", nargs="*", help="only these projects")
    args = parser.parse_args()
    try:
        folders = ensure_corpus(args.names or None, args.corpus)
    except CorpusUnavailable as exc:
        raise SystemExit(f"corpus: {exc}") from None
    if args.list:
        for folder in folders:
            files = list(folder.rglob("*.py"))
            lines = sum(f.read_bytes().count(b"\n") for f in files)
            print(f"{folder.name}\t{len(files)}\t{lines}")
    else:
        print(CACHE / "corpus")


if __name__ == "__main__":
    main()
