"""The result cache: `.asynclint_cache/` in the project root.

One JSON file per configuration (asynclint version + effective settings), mapping each
file to the hash of its content and its lint result (diagnostics and facts). A file whose
size and modification time are unchanged is not even read; otherwise its content hash
decides. Results that depend on other files (ASL116) are recomputed every run from the
cached per-file facts, so a changed helper re-lints only itself and its callers' verdicts.

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

FORMAT = 1
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
    def __init__(self, folder: str, fingerprint: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, f"results-{fingerprint}.json")
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != __version__:
            return
        entries = data.get("files")
        if isinstance(entries, dict):
            self.entries = entries

    def lookup(self, key: str) -> tuple[FileResult, Stamp] | None:
        """The cached result for the file at `key` (an absolute path) if its content is
        unchanged, without reading it when size and mtime match."""
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
            return result_from_json(entry["r"]), Stamp(entry["s"], entry["m"], entry["h"])
        except (KeyError, TypeError, ValueError, OSError):
            return None

    def store(self, key: str, stamp: Stamp, result: FileResult) -> None:
        self.entries[key] = {
            "s": stamp.size,
            "m": stamp.mtime_ns,
            "h": stamp.digest,
            "r": result_to_json(result),
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            os.makedirs(self.folder, exist_ok=True)
            _mark_folder(self.folder)
            data = {"format": FORMAT, "version": __version__, "written": time.time(), "files": self.entries}
            fd, temp = tempfile.mkstemp(prefix=".results-", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    # dumps, not dump: only the one-shot encoder is the fast C one.
                    out.write(json.dumps(data, separators=(",", ":")))
                os.replace(temp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
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
        except OSError:
            pass


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
    if not (result.diagnostics or result.facts or result.parsed or result.skipped):
        return None  # most files: nothing to say, and nothing to store
    return {
        "d": [_diagnostic_to_json(d) for d in result.diagnostics],
        "f": result.facts,
        "p": result.parsed,
        "k": result.skipped,
    }


def result_from_json(data: dict[str, Any] | None) -> FileResult:
    if data is None:
        return FileResult(path="")
    return FileResult(
        path="",
        diagnostics=[_diagnostic_from_json(d) for d in data["d"]],
        facts=dict(data["f"]),
        parsed=bool(data["p"]),
        skipped=bool(data["k"]),
    )


def _diagnostic_to_json(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.applicability,
            d.fix.message,
            [[e.start.row, e.start.column, e.end.row, e.end.column, e.content] for e in d.fix.edits],
        ]
    return [d.code, d.name, d.message, d.start.row, d.start.column, d.end.row, d.end.column, fix]


def _diagnostic_from_json(row: list[Any]) -> Diagnostic:
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
