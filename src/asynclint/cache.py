"""The result cache: `<cache-dir>/asynclint-v1/` (cache-dir defaults to `.asynclint_cache`
in the project root).

Per configuration (asynclint version + effective settings), each file's content hash and
lint result (diagnostics), and the facts of project-wide rules (the module summaries of the
project model) in a folder of their own, one file per folder of the project: a run of one
file in a project of thousands of modules reads the facts of the folders it imports from
and writes those of its own folder, not the facts of every module. A file whose
size and modification time are unchanged is not even read; otherwise its content hash
decides. Results that depend on other files (ASL116) are recomputed from the cached
per-file facts whenever any file's content changed, so a changed helper re-lints only
itself, yet its callers' verdicts follow.

The configured cache folder may be any folder, the project root or one full of the user's
own files, so asynclint never writes, marks or deletes anything there: its data lives in a
subfolder, `SUBFOLDER`, that asynclint creates itself, complete with its marks (a
`CACHEDIR.TAG` naming asynclint and a `.gitignore` of `*`), under a temporary name that is
then renamed, so no run ever sees it unmarked. A subfolder of that name that does not carry
the tag is someone else's: the run warns once and goes on without a cache, touching
nothing. Inside its own folder asynclint deletes only files of the exact names it writes
(`results-<fingerprint>.json`, the `<digest>.json` files of `facts-<fingerprint>/` and
that folder once empty, the `facts-<fingerprint>.json` of earlier versions, and their
orphaned temporary files).

The cache is data only (JSON, never pickle: a checked-out repository must not be able to
run code through it). A corrupt, foreign or unreadable cache, or an entry of any wrong
shape, is ignored (the file is linted again); writes are atomic (temporary file +
rename), so concurrent runs never corrupt it (the last writer wins).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from asynclint.diagnostics import APPLICABILITIES, Diagnostic, Edit, FileResult, Fix, Location
from asynclint.sourcefile import TEMP_SUFFIX, orphaned_temp_file
from asynclint.version import __version__

FORMAT = 7
KEEP_FILES = 8
#: The folder asynclint keeps its data in, inside the configured cache folder; a new name
#: only if the layout changes.
SUBFOLDER = "asynclint-v1"
TAG_NAME = "CACHEDIR.TAG"
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TAG_TEXT = (
    f"{TAG_SIGNATURE}\n"
    "# asynclint result cache: a folder asynclint created for itself; deleting it only costs\n"
    "# speed. See https://bford.info/cachedir/ about this file.\n"
)
IGNORE_TEXT = "# Created by asynclint: the result cache is not part of the project.\n*\n"
_RESULTS_RE = re.compile(r"results-[0-9a-f]{20}\.json\Z")
#: Bounds of the cached numbers (file sizes and times; line and column numbers): a number
#: outside them, or of another type, makes the entry corrupt.
_MAX_SIZE = 2**63
_MAX_POSITION = 2**31


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Stamp:
    """What identifies a file's content: size, mtime and content hash."""

    size: int
    mtime_ns: int
    digest: str


def owned(folder: str) -> bool:
    """Whether `folder` is a cache folder asynclint made: its CACHEDIR.TAG names asynclint."""
    try:
        with open(os.path.join(folder, TAG_NAME), "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.startswith(TAG_SIGNATURE.encode()) and b"asynclint" in head


def _empty_folder(path: str) -> bool:
    """A real (not symlinked) folder with nothing in it."""
    try:
        return not os.path.islink(path) and os.path.isdir(path) and not os.listdir(path)
    except OSError:
        return False


class Cache:
    """Two files per configuration: `results-*.json` (content stamps and diagnostics, read
    on every run) and `facts-*.json` (the per-file facts of project-wide rules, much larger,
    read only when the project-wide phase has to run again). The results file also keeps
    the project-wide phase's diagnostics with a digest of its inputs, so a run where no
    file changed reads neither the facts nor any rule.

    `parent` is the configured cache folder; the files live in its `SUBFOLDER`. When that
    subfolder exists and is not asynclint's, `warning` says so and the cache must not be
    used (nothing is read or written)."""

    def __init__(self, parent: str, fingerprint: str) -> None:
        self.parent = parent
        self.folder = os.path.join(parent, SUBFOLDER)
        self.path = os.path.join(self.folder, f"results-{fingerprint}.json")
        #: The facts, in one file per folder of the project (`_shard`): a run reads the
        #: files of the folders it asks about and writes those of the folders it changed.
        self.facts_folder = os.path.join(self.folder, f"facts-{fingerprint}")
        #: Where an earlier layout kept all the facts in one file (deleted when found).
        self.old_facts_path = os.path.join(self.folder, f"facts-{fingerprint}.json")
        self.entries: dict[str, Any] = {}
        self.project: dict[str, Any] = {}
        #: Files of the project that a subset run summarised without linting them: their
        #: stamps (the facts go to the facts file, like a linted file's).
        self.summaries: dict[str, Any] = {}
        self.dirty = False
        self.warning: str | None = None
        #: The facts files read so far (by name), each file's entries as the JSON texts of
        #: `[digest, facts]` (decoded only when a run asks for one, written back as read).
        self._shards: dict[str, dict[str, str]] = {}
        self._facts_updates: dict[str, list[Any] | None] = {}
        self._checked: set[str] = set()  # entries looked up (and found sound) or stored
        if os.path.lexists(self.folder) and not owned(self.folder) and not _empty_folder(self.folder):
            self.warning = (
                f"{self.folder} was not made by asynclint (it has no CACHEDIR.TAG naming asynclint); "
                "running without the result cache and leaving that folder as it is "
                "(remove or rename it, or choose another cache-dir)"
            )
            return
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
        summaries = data.get("summaries")
        if isinstance(summaries, dict):
            self.summaries = summaries

    def lookup(self, key: str) -> tuple[FileResult, Stamp, bool] | None:
        """The cached result for the file at `key` (an absolute path) if its content is
        unchanged, without reading it when size and mtime match; and whether the file has
        facts (left in the facts file until `facts()` asks for them). An entry of any
        wrong shape counts as missing."""
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        size, mtime, digest, has_facts = entry.get("s"), entry.get("m"), entry.get("h"), entry.get("x")
        if not (
            _int(size, 0, _MAX_SIZE)
            and _int(mtime, -_MAX_SIZE, _MAX_SIZE)
            and isinstance(digest, str)
            and _int(has_facts, 0, 2)
        ):
            return None
        assert isinstance(size, int) and isinstance(mtime, int)  # as `_int` checked
        try:
            result = result_from_json(entry.get("r"))
        except (KeyError, TypeError, ValueError):
            return None
        current = _unchanged_mtime(key, size, mtime, digest)
        if current is None:
            return None
        if current != mtime:
            entry["m"] = mtime = current
            self.dirty = True
        self._checked.add(key)
        return result, Stamp(size, mtime, digest), bool(has_facts)

    def previous_questions(self, key: str) -> dict[str, object] | None:
        """The questions of the last lint of the file at `key` stored here, with the answers
        it was given, whatever the file's content is now; None when there is none."""
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return result_from_json(entry.get("r")).questions
        except (KeyError, TypeError, ValueError):
            return None

    def summary_lookup(self, key: str) -> tuple[Stamp, bool] | None:
        """For a file that is only summarised (not linted): its stamp, if its content is
        unchanged since it was (a linted file's stamp counts too), and whether it has facts."""
        entry = self.entries.get(key)
        if isinstance(entry, dict) and not self.summaries.get(key):
            hit = self.lookup(key)
            return None if hit is None else (hit[1], hit[2])
        row = self.summaries.get(key)
        if not (
            isinstance(row, list)
            and len(row) == 4
            and _int(row[0], 0, _MAX_SIZE)
            and _int(row[1], -_MAX_SIZE, _MAX_SIZE)
            and isinstance(row[2], str)
            and _int(row[3], 0, 2)
        ):
            return None
        size, mtime, digest, has_facts = row
        current = _unchanged_mtime(key, size, mtime, digest)
        if current is None:
            return None
        if current != mtime:
            row[1] = mtime = current
            self.dirty = True
        return Stamp(size, mtime, digest), bool(has_facts)

    def store_summary(self, key: str, stamp: Stamp, facts: dict[str, object]) -> None:
        """The facts of a file summarised, not linted (its diagnostics are not known)."""
        self.summaries[key] = [stamp.size, stamp.mtime_ns, stamp.digest, 1 if facts else 0]
        self._facts_updates[key] = [stamp.digest, facts] if facts else None
        self.dirty = True

    def store(self, key: str, stamp: Stamp, result: FileResult) -> None:
        self.summaries.pop(key, None)
        self.entries[key] = {
            "s": stamp.size,
            "m": stamp.mtime_ns,
            "h": stamp.digest,
            "r": result_to_json(result),
            "x": 1 if result.facts else 0,
        }
        self._facts_updates[key] = [stamp.digest, result.facts] if result.facts else None
        self._checked.add(key)
        self.dirty = True

    def facts(self, key: str, digest: str) -> dict[str, object] | None:
        """The facts stored for the file at `key` with content `digest`, or None. (Their
        inner shape is the rules' business: see `Rule.valid_facts`.) Only this entry of the
        facts file is decoded."""
        text = self._stored_facts(_shard(key)).get(key)
        if text is None:
            return None
        try:
            item = json.loads(text)
        except (ValueError, RecursionError, MemoryError):
            return None
        if (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and item[0] == digest
            and isinstance(item[1], dict)
        ):
            return item[1]
        return None

    def _stored_facts(self, shard: str) -> dict[str, str]:
        """The entries of the facts file `shard` as JSON texts, read once."""
        found = self._shards.get(shard)
        if found is None:
            found = self._shards[shard] = _read_facts(os.path.join(self.facts_folder, shard))
        return found

    def save(self) -> None:
        if not self.dirty or self.warning is not None:
            return
        try:
            if not self._make_folder():
                return  # someone else's folder appeared since the run started
            if self._facts_updates:
                self._save_facts()
            data = {
                "format": FORMAT,
                "version": __version__,
                "written": time.time(),
                "files": self.entries,
                "project": self.project,
                "summaries": self.summaries,
            }
            text = _dumps(data)
            if text is None:
                data["files"] = {k: v for k, v in self.entries.items() if k in self._checked}
                data["project"] = {}
                data["summaries"] = {}
                text = _dumps(data)
            if text is not None:
                _write_text(self.folder, self.path, text)
            self._prune()
        except OSError:
            pass  # an unwritable cache only costs speed

    def _save_facts(self) -> None:
        """Merge the new facts into the stored ones, writing only the facts files they
        change (a file left with no entries is deleted)."""
        changed: dict[str, dict[str, str | None]] = {}
        for key, item in self._facts_updates.items():
            changed.setdefault(_shard(key), {})[key] = _dumps(item) if item is not None else None
        os.makedirs(self.facts_folder, exist_ok=True)
        for shard, updates in changed.items():
            stored = self._stored_facts(shard)
            for key, text in updates.items():
                if text is None:
                    stored.pop(key, None)
                else:
                    stored[key] = text
            path = os.path.join(self.facts_folder, shard)
            if stored:
                _write_text(self.facts_folder, path, _facts_text(stored))
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        with contextlib.suppress(OSError):
            os.unlink(self.old_facts_path)

    def _make_folder(self) -> bool:
        """Make sure `self.folder` exists and is asynclint's; whether it is. The folder is
        made, with its marks, under a temporary name and then renamed: a concurrent run
        sees it either missing or marked, never unmarked."""
        if owned(self.folder):
            return True
        if os.path.lexists(self.folder) and not _empty_folder(self.folder):
            return False
        os.makedirs(self.parent, exist_ok=True)
        temp = tempfile.mkdtemp(prefix=f".{SUBFOLDER}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=self.parent)
        marks = [(os.path.join(temp, TAG_NAME), TAG_TEXT), (os.path.join(temp, ".gitignore"), IGNORE_TEXT)]
        try:
            for path, text in marks:
                with open(path, "w", encoding="utf-8") as out:
                    out.write(text)
            # POSIX renames over an empty folder; a folder with anything in it (another
            # run's, made meanwhile) makes this fail, and that folder is looked at below.
            os.rename(temp, self.folder)
        except BaseException as exc:  # an interrupted run must not leave the temporary folder
            for path, _ in marks:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(temp)
            if not isinstance(exc, OSError):
                raise
        return owned(self.folder)

    def _prune(self) -> None:
        """Delete asynclint's own files only, by their exact names: orphaned temporary files
        and the oldest configurations beyond `KEEP_FILES`."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.endswith(TEMP_SUFFIX) and orphaned_temp_file(os.path.join(self.folder, name)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))
        _prune_facts_folder(self.facts_folder, everything=False)
        results = [name for name in names if _RESULTS_RE.match(name)]
        if len(results) <= KEEP_FILES:
            return
        for old in sorted(results, key=self._mtime)[:-KEEP_FILES]:
            fingerprint = old.removeprefix("results-").removesuffix(".json")
            for name in (old, f"facts-{fingerprint}.json"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))
            _prune_facts_folder(os.path.join(self.folder, f"facts-{fingerprint}"), everything=True)

    def _mtime(self, name: str) -> float:
        try:
            return os.path.getmtime(os.path.join(self.folder, name))
        except OSError:
            return 0.0


#: The name of a facts file in a facts folder: a digest of the project folder it serves.
_SHARD_RE = re.compile(r"[0-9a-f]{20}\.json\Z")


def _shard(key: str) -> str:
    """The name of the facts file that holds the facts of the file at `key` (one per folder
    of the project: a run of some files reads the files of the folders they import from)."""
    folder = os.path.dirname(key).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(folder, digest_size=10).hexdigest() + ".json"


def _prune_facts_folder(folder: str, *, everything: bool) -> None:
    """Delete, in the facts folder `folder`, the orphaned temporary files, and with
    `everything` (a configuration no longer kept) the facts files too, and then the folder
    if nothing else is left in it: only names asynclint writes there."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        if (everything and _SHARD_RE.match(name)) or (
            name.endswith(TEMP_SUFFIX) and orphaned_temp_file(path)
        ):
            with contextlib.suppress(OSError):
                os.unlink(path)
    if everything:
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # fails, and leaves it, when anything else is in it


def _int(value: object, low: int, high: int) -> bool:
    """An integer (not a bool, not a float) with low <= value < high."""
    return type(value) is int and low <= value < high


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError, MemoryError):
        return None
    return _ours(text)


def _ours(text: str) -> dict[str, Any] | None:
    """The JSON object `text` holds when it is of this format and version, else None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != __version__:
        return None
    return data


#: The facts file is one JSON object with one entry of `files` per line, so that a run
#: decodes only the entries it asks for and writes the others back as they were read:
#: a run of one file in a project of thousands of modules neither decodes nor encodes the
#: facts of them all. Any other JSON text of the same data is read too, in full.
_FACTS_HEAD = '{"format":%d,"version":%s,"files":{\n'
_FACTS_TAIL = "}}\n"


def _facts_text(entries: dict[str, str]) -> str:
    """The facts file's text for `entries` (key -> JSON text of `[digest, facts]`)."""
    lines = [f"{json.dumps(key)}:{value}" for key, value in sorted(entries.items())]
    return _FACTS_HEAD % (FORMAT, json.dumps(__version__)) + ",\n".join(lines) + "\n" + _FACTS_TAIL


def _read_facts(path: str) -> dict[str, str]:
    """The entries of the facts file at `path` as JSON texts (nothing when it is missing,
    unreadable, of another format or version, or not a JSON object of entries)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError, MemoryError):
        return {}
    head = _FACTS_HEAD % (FORMAT, json.dumps(__version__))
    if text.startswith(head) and text.endswith("\n" + _FACTS_TAIL):
        found = _facts_lines(text[len(head) : -len(_FACTS_TAIL)])
        if found is not None:
            return found
    data = _ours(text)
    files = data.get("files") if data is not None else None
    if not isinstance(files, dict):
        return {}
    entries = {}
    for key, item in files.items():
        value = _dumps(item) if isinstance(item, list) else None
        if value is not None:
            entries[key] = value
    return entries


def _facts_lines(body: str) -> dict[str, str] | None:
    """The entries of the lines `"<key>":<value>,` as `_facts_text` writes them, their
    values left undecoded; None when a line is not of that shape."""
    decoder = json.JSONDecoder()
    entries: dict[str, str] = {}
    if body == "\n":
        return entries
    for line in body.split("\n")[:-1]:  # the body ends with a line break
        line = line.removesuffix(",")  # a value never ends with a comma
        try:
            key, end = decoder.raw_decode(line)
        except (ValueError, RecursionError):
            return None
        if not isinstance(key, str) or line[end : end + 1] != ":":
            return None
        entries[key] = line[end + 1 :]
    return entries


def _dumps(data: Any) -> str | None:
    """The JSON text of `data`, or None when it cannot be written (nesting too deep for the
    encoder, which only data read from a corrupt file can have)."""
    try:
        # dumps, not dump: only the one-shot encoder is the fast C one.
        return json.dumps(data, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError):
        return None


def _write_text(folder: str, path: str, text: str) -> None:
    # The process id in the name lets a later run tell an orphan (its writer was killed)
    # from another run's write in progress; see `orphaned_temp_file`.
    prefix = f".{os.path.basename(path)}.{os.getpid()}."
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def result_to_json(result: FileResult) -> dict[str, Any] | None:
    """Diagnostics and flags; the facts go to the facts file."""
    if not (result.diagnostics or result.parsed or result.skipped):
        return None  # most files: nothing to say, and nothing to store
    data: dict[str, Any] = {
        "d": [diagnostic_to_json(d) for d in result.diagnostics],
        "p": result.parsed,
        "k": result.skipped,
    }
    if result.questions:
        data["q"] = result.questions
    return data


def result_from_json(data: object) -> FileResult:
    """The inverse of `result_to_json`; ValueError for data of any other shape."""
    if data is None:
        return FileResult(path="")
    if not isinstance(data, dict) or not {"d", "p", "k"} <= set(data) <= {"d", "p", "k", "q"}:
        raise ValueError("not a cached result")
    rows, parsed, skipped, questions = data["d"], data["p"], data["k"], data.get("q", {})
    if not isinstance(rows, list) or type(parsed) is not bool or type(skipped) is not bool:
        raise ValueError("not a cached result")
    if not isinstance(questions, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, (str, bool))) for k, v in questions.items()
    ):
        raise ValueError("not a cached result")
    return FileResult(
        path="",
        diagnostics=[diagnostic_from_json(d) for d in rows],
        parsed=parsed,
        skipped=skipped,
        questions=dict(questions) if questions else None,
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


def diagnostic_from_json(row: object) -> Diagnostic:
    """The inverse of `diagnostic_to_json`; ValueError for data of any other shape."""
    if not isinstance(row, list) or len(row) != 8:
        raise ValueError("not a cached diagnostic")
    code, name, message, r1, c1, r2, c2, fix = row
    if not (_strings(code, name, message) and _counts(r1, c1, r2, c2)):
        raise ValueError("not a cached diagnostic")
    parsed_fix = None
    if fix is not None:
        if not isinstance(fix, list) or len(fix) != 3:
            raise ValueError("not a cached fix")
        applicability, fix_message, edits = fix
        if applicability not in APPLICABILITIES or not isinstance(fix_message, str):
            raise ValueError("not a cached fix")
        if not isinstance(edits, list):
            raise ValueError("not a cached fix")
        parsed_edits = []
        for edit in edits:
            if not isinstance(edit, list) or len(edit) != 5:
                raise ValueError("not a cached edit")
            a, b, c, e, text = edit
            if not (_counts(a, b, c, e) and isinstance(text, str)):
                raise ValueError("not a cached edit")
            parsed_edits.append(Edit(Location(a, b), Location(c, e), text))
        parsed_fix = Fix(applicability, fix_message, tuple(parsed_edits))
    return Diagnostic(code, name, message, "", Location(r1, c1), Location(r2, c2), parsed_fix)


def _strings(*values: object) -> bool:
    return all(isinstance(value, str) for value in values)


def _counts(*values: object) -> bool:
    return all(_int(value, 0, _MAX_POSITION) for value in values)


def _unchanged_mtime(path: str, size: int, mtime: int, digest: str) -> int | None:
    """The file's modification time now, if its content is still what `size`, `mtime` and
    `digest` describe (a changed time alone costs a hash of the content); else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if size != st.st_size:
        return None
    if mtime != st.st_mtime_ns:
        try:
            with open(path, "rb") as handle:
                if content_hash(handle.read()) != digest:
                    return None
        except OSError:
            return None
    return st.st_mtime_ns
