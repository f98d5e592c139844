"""The result cache: `.asynclint_cache/` in the project root.

Per configuration (asynclint version + effective settings), each file's content hash and
lint result (diagnostics; the facts of project-wide rules in a second file). A file whose
size and modification time are unchanged is not even read; otherwise its content hash
decides. Results that depend on other files (ASL116) are recomputed from the cached
per-file facts whenever any file's content changed, so a changed helper re-lints only
itself, yet its callers' verdicts follow.

The cache is data only (JSON, never pickle: a checked-out repository must not be able to
run code through it). A corrupt, foreign or unreadable cache is ignored; writes are atomic
(temporary file + rename), so concurrent runs never corrupt it (the last writer wins).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from asynclint import __version__
from asynclint.diagnostics import Diagnostic, Edit, Fix, Location
from asynclint.engine import FileResult

FORMAT = 2
KEEP_FILES = 8


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Stamp:
    """What identifies a file's content: size, mtime and content hash."""

    size: int
    mtime_ns: int
    digest: str


class Cache:
    """Two files per configuration: `results-*.json` (content stamps and diagnostics, read
    on every run) and `facts-*.json` (the per-file facts of project-wide rules, much larger,
    read only when the project-wide phase has to run again). The results file also keeps
    the project-wide phase's diagnostics with a digest of its inputs, so a run where no
    file changed reads neither the facts nor any rule."""

    def __init__(self, folder: str, fingerprint: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, f"results-{fingerprint}.json")
        self.facts_path = os.path.join(folder, f"facts-{fingerprint}.json")
        self.entries: dict[str, dict[str, Any]] = {}
        self.project: dict[str, Any] = {}
        self.dirty = False
        self._facts: dict[str, Any] | None = None
        self._facts_updates: dict[str, list[Any] | None] = {}
        self._load()

    def _load(self) -> None:
        data = _read_json(self.path)
        if data is None:
            return
        entries = data.get("files")
        if isinstance(entries, dict):
            self.entries = entries
        project = data.get("project")
        if isinstance(project, dict):
            self.project = project

    def lookup(self, key: str) -> tuple[FileResult, Stamp, bool] | None:
        """The cached result for the file at `key` (an absolute path) if its content is
        unchanged, without reading it when size and mtime match; and whether the file has
        facts (left in the facts file until `facts()` asks for them)."""
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            st = os.stat(key)
        except OSError:
            return None
        try:
            if entry["s"] != st.st_size:
                return None
            if entry["m"] != st.st_mtime_ns:
                with open(key, "rb") as handle:
                    digest = content_hash(handle.read())
                if digest != entry["h"]:
                    return None
                entry["m"] = st.st_mtime_ns
                self.dirty = True
            stamp = Stamp(entry["s"], entry["m"], entry["h"])
            return result_from_json(entry["r"]), stamp, bool(entry.get("x"))
        except (KeyError, TypeError, ValueError, OSError):
            return None

    def store(self, key: str, stamp: Stamp, result: FileResult) -> None:
        self.entries[key] = {
            "s": stamp.size,
            "m": stamp.mtime_ns,
            "h": stamp.digest,
            "r": result_to_json(result),
            "x": 1 if result.facts else 0,
        }
        self._facts_updates[key] = [stamp.digest, result.facts] if result.facts else None
        self.dirty = True

    def facts(self, key: str, digest: str) -> dict[str, object] | None:
        """The facts stored for the file at `key` with content `digest`, or None."""
        if self._facts is None:
            data = _read_json(self.facts_path)
            files = data.get("files") if data is not None else None
            self._facts = files if isinstance(files, dict) else {}
        item = self._facts.get(key)
        if isinstance(item, list) and len(item) == 2 and item[0] == digest and isinstance(item[1], dict):
            return item[1]
        return None

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            os.makedirs(self.folder, exist_ok=True)
            _mark_folder(self.folder)
            if self._facts_updates:
                self.facts("", "")  # load the stored facts before merging the new ones
                assert self._facts is not None
                for key, item in self._facts_updates.items():
                    if item is None:
                        self._facts.pop(key, None)
                    else:
                        self._facts[key] = item
                _write_json(
                    self.folder,
                    self.facts_path,
                    {"format": FORMAT, "version": __version__, "files": self._facts},
                )
            data = {
                "format": FORMAT,
                "version": __version__,
                "written": time.time(),
                "files": self.entries,
                "project": self.project,
            }
            _write_json(self.folder, self.path, data)
            self._prune()
        except OSError:
            pass  # an unwritable cache only costs speed

    def _prune(self) -> None:
        try:
            names = [n for n in os.listdir(self.folder) if n.startswith("results-") and n.endswith(".json")]
            if len(names) <= KEEP_FILES:
                return
            paths = sorted((os.path.join(self.folder, n) for n in names), key=os.path.getmtime)
            for old in paths[:-KEEP_FILES]:
                os.unlink(old)
                with contextlib.suppress(OSError):
                    os.unlink(old.replace("results-", "facts-"))
        except OSError:
            pass


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != __version__:
        return None
    return data


def _write_json(folder: str, path: str, data: dict[str, Any]) -> None:
    fd, temp = tempfile.mkstemp(prefix=".cache-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            # dumps, not dump: only the one-shot encoder is the fast C one.
            out.write(json.dumps(data, separators=(",", ":")))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _mark_folder(folder: str) -> None:
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as handle:
            handle.write("# Created by asynclint: the result cache is not part of the project.\n*\n")
    tag = os.path.join(folder, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        with open(tag, "w", encoding="utf-8") as handle:
            handle.write("Signature: 8a477f597d28d172789f06886806bc55\n# asynclint result cache\n")


def result_to_json(result: FileResult) -> dict[str, Any] | None:
    """Diagnostics and flags; the facts go to the facts file."""
    if not (result.diagnostics or result.parsed or result.skipped):
        return None  # most files: nothing to say, and nothing to store
    return {"d": [diagnostic_to_json(d) for d in result.diagnostics], "p": result.parsed, "k": result.skipped}


def result_from_json(data: dict[str, Any] | None) -> FileResult:
    if data is None:
        return FileResult(path="")
    return FileResult(
        path="",
        diagnostics=[diagnostic_from_json(d) for d in data["d"]],
        parsed=bool(data["p"]),
        skipped=bool(data["k"]),
    )


def diagnostic_to_json(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.applicability,
            d.fix.message,
            [[e.start.row, e.start.column, e.end.row, e.end.column, e.content] for e in d.fix.edits],
        ]
    return [d.code, d.name, d.message, d.start.row, d.start.column, d.end.row, d.end.column, fix]


def diagnostic_from_json(row: list[Any]) -> Diagnostic:
    code, name, message, r1, c1, r2, c2, fix = row
    parsed_fix = None
    if fix is not None:
        applicability, fix_message, edits = fix
        parsed_fix = Fix(
            applicability,
            fix_message,
            tuple(Edit(Location(a, b), Location(c, e), text) for a, b, c, e, text in edits),
        )
    return Diagnostic(code, name, message, "", Location(r1, c1), Location(r2, c2), parsed_fix)
