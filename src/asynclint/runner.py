"""Many files: discovery, the cache, worker processes, fixing, the project-wide phase and a
deterministic order.

Each file is processed independently (in a worker process when there is more than one to
parse) into a FileResult: diagnostics plus per-rule facts. Rules that need every file
(ASL116 follows calls across modules) then combine the facts; they are cheap to recompute,
so cached files still take part. Output order never depends on `--jobs`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, get_args

from asynclint import registry
from asynclint.cache import Cache, Stamp, content_hash, diagnostic_from_json, diagnostic_to_json
from asynclint.diagnostics import SYNTAX_ERROR, Diagnostic, FileResult, syntax_error
from asynclint.discovery import discover
from asynclint.engine import LintRequest, lint
from asynclint.settings import Settings
from asynclint.sourcefile import split_lines

if TYPE_CHECKING:
    from asynclint.fixer import FixOutcome
    from asynclint.rule import Rule
from asynclint.sourcefile import DecodeError, FileChangedError, decode, decoded, encode, write_atomic

#: check: report; fix: write the fixed files; diff: print the fixes as a diff, write nothing.
Mode = Literal["check", "fix", "diff"]
MODES: tuple[Mode, ...] = get_args(Mode)


@dataclass(frozen=True, slots=True)
class Task:
    path: str  # as shown to the user
    key: str  # absolute path (cache key)
    relpath: str  # relative to the project root, for per-file settings
    codes: frozenset[str]


@dataclass
class Outcome:
    task: Task
    result: FileResult
    stamp: Stamp | None = None  # of the content the result describes
    applied: Counter[str] = field(default_factory=Counter)
    diff: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Standard input only: the text the diagnostics describe, and in fix mode the bytes to
    # print (the fixed code, or the input as it came when nothing was written).
    text: str | None = None
    output: bytes | None = None


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    parsed: int = 0
    from_cache: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    diffs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # `--fix -`: the code to print, in the input's own encoding (the input itself when
    # nothing was fixed, or it could not be decoded or parsed).
    fixed_code: bytes | None = None
    # Standard input's lines by reported path, for `--show-source` (not the file on disk).
    sources: dict[str, list[str]] = field(default_factory=dict)


# Worker side ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WorkerSetup:
    settings: Settings
    mode: Mode
    unsafe: bool


_WORKER: list[_WorkerSetup] = []  # this worker process's setup, once it is made


def _init_worker(settings: Settings, mode: Mode, unsafe: bool) -> None:
    _WORKER[:] = [_WorkerSetup(settings, mode, unsafe)]


def _run_task(task: Task) -> Outcome:
    setup = _WORKER[0]
    return process(task, setup.settings, setup.mode, setup.unsafe)


def process(
    task: Task, settings: Settings, mode: Mode, unsafe: bool, raw: bytes | str | None = None
) -> Outcome:
    """Read, lint and (in fix/diff mode) fix one file. Never raises for a bad file.
    `raw`: the content, not read from the file (standard input; a str is decoded already)."""
    stdin = raw is not None
    if raw is None:
        try:
            raw, st = _read_regular_file(task.key)
        except NotARegularFile as exc:
            result = FileResult(task.path, [syntax_error(task.path, str(exc))])
            return Outcome(task, _only_selected(result, task.codes))
        except OSError as exc:
            result = FileResult(
                task.path, [syntax_error(task.path, f"cannot read the file: {exc.strerror or exc}")]
            )
            return Outcome(task, _only_selected(result, task.codes))
        stamp: Stamp | None = Stamp(st.st_size, st.st_mtime_ns, content_hash(raw))
    else:
        stamp = None
    try:
        source = decode(raw) if isinstance(raw, bytes) else decoded(raw)
    except DecodeError as exc:
        result = FileResult(task.path, [syntax_error(task.path, exc.message, exc.line)])
        return Outcome(task, _only_selected(result, task.codes), stamp)
    module_file = task.key if not stdin or os.path.exists(task.key) else None
    request = LintRequest(source.text, task.path, task.relpath, settings, task.codes, module_file=module_file)
    if mode == "check":
        return Outcome(task, lint(request), stamp, text=source.text if stdin else None)

    from asynclint.fixer import fix_text, unified_diff

    fixed = fix_text(request, unsafe=unsafe)
    outcome = Outcome(task, fixed.result, stamp, fixed.applied, warnings=fixed.failures)
    if stdin:
        outcome.text = fixed.text
    if fixed.text == source.text:
        return outcome
    if mode == "diff":
        outcome.diff = unified_diff(source.text, fixed.text, task.path)
        return _not_written(outcome, fixed, source.text)
    try:
        new_raw = encode(source, fixed.text)
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start : exc.end]
        outcome.warnings.append(
            f"{task.path}: fixes not applied: the fixed code has {char!r}, which {source.encoding} "
            "cannot encode; it was left as it is"
        )
        return _not_written(outcome, fixed, source.text)
    if isinstance(raw, bytes) and encode(source, source.text) != raw:
        # Decoding and encoding again changes bytes no fix touched (the codec has more than
        # one spelling for a character): writing would change more than the fixes.
        outcome.warnings.append(
            f"{task.path}: fixes not applied: {source.encoding} does not write the file's "
            "unchanged text back as the same bytes; it was left as it is"
        )
        return _not_written(outcome, fixed, source.text)
    if stdin:
        outcome.output = new_raw
        return outcome
    assert isinstance(raw, bytes)  # read from the file
    try:
        write_atomic(task.key, new_raw, raw)
        st = os.stat(task.key)
        outcome.stamp = Stamp(st.st_size, st.st_mtime_ns, content_hash(new_raw))
    except FileChangedError as exc:
        outcome.errors.append(str(exc))
        return _not_written(outcome, fixed, source.text, stale=True)
    except OSError as exc:
        outcome.errors.append(
            f"{task.path}: cannot write the fixed file: {exc.strerror or exc}; it was left as it is"
        )
        return _not_written(outcome, fixed, source.text, stale=True)
    return outcome


class NotARegularFile(Exception):
    pass


def _read_regular_file(path: str) -> tuple[bytes, os.stat_result]:
    """The file's bytes and status. Opened without blocking and checked before reading: a
    FIFO, a device or a socket named on the command line would otherwise hang the run."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(st.st_mode)
                else "a device"
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket"
                if stat.S_ISSOCK(st.st_mode)
                else "not a file"
            )
            raise NotARegularFile(f"cannot read the file: it is {kind}, not a regular file")
        return handle.read(), st


def _not_written(outcome: Outcome, fixed: FixOutcome, text: str, stale: bool = False) -> Outcome:
    """The file keeps its text: what stands is the lint result from before the fixes.
    `stale`: the file on disk is not the text read (so the cache must not keep it)."""
    assert fixed.initial is not None
    outcome.result = fixed.initial
    outcome.applied = Counter()
    if outcome.text is not None:
        outcome.text = text
    if stale:
        outcome.stamp = None
    return outcome


def _only_selected(result: FileResult, codes: frozenset[str]) -> FileResult:
    result.diagnostics = [d for d in result.diagnostics if d.code in codes]
    return result


# Driver -----------------------------------------------------------------------------------


class Runner:
    def __init__(
        self,
        settings: Settings,
        *,
        jobs: int | None = None,
        use_cache: bool = True,
        mode: Mode = "check",
        unsafe: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        assert mode in MODES
        self.settings = settings
        self.jobs = jobs or os.cpu_count() or 1
        self.use_cache = use_cache
        self.mode = mode
        self.unsafe = unsafe
        self.progress = progress
        self.selected = registry.selected_codes(settings)
        self._cwd = os.getcwd()
        self._root_prefix = os.path.join(os.path.abspath(settings.project_root), "")

    def _task(self, path: str) -> Task:
        # os.path.abspath and relpath ask the OS for the working directory on every call;
        # a run of many files asks once.
        key = os.path.normpath(os.path.join(self._cwd, path))
        if key.startswith(self._root_prefix):
            relpath = key[len(self._root_prefix) :]
        else:
            relpath = os.path.relpath(key, self.settings.project_root)
        relpath = relpath.replace(os.sep, "/")
        return Task(path, key, relpath, registry.codes_for(self.settings, relpath, self.selected))

    def check(self, paths: Iterable[str]) -> RunResult:
        found = discover(list(paths), self.settings)
        run = RunResult(files=len(found.files), missing=found.missing)
        run.errors.extend(f"cannot read folder {entry}" for entry in found.unreadable)
        cache = None
        if self.use_cache:
            folder = self.settings.cache_dir or os.path.join(self.settings.project_root, ".asynclint_cache")
            cache = Cache(folder, self.settings.fingerprint())
            if cache.warning is not None:
                run.warnings.append(cache.warning)
                cache = None
        results: dict[str, FileResult] = {}
        tasks: list[Task] = []
        by_path: dict[str, Task] = {}
        stamps: dict[str, Stamp | None] = {}
        facts_elsewhere: set[str] = set()  # cached files whose facts stay in the facts file
        for path in found.files:
            task = by_path[path] = self._task(path)
            hit = cache.lookup(task.key) if cache is not None else None
            if hit is not None:
                result, stamp, has_facts = hit
                if self.mode == "check" or not any(d.fixable(self.unsafe) for d in result.diagnostics):
                    result.path = path
                    result.diagnostics = [replace(d, path=path) for d in result.diagnostics]
                    results[path] = result
                    stamps[path] = stamp
                    if has_facts:
                        facts_elsewhere.add(path)
                    run.from_cache += 1
                    continue
            tasks.append(task)
        for outcome in self._execute(tasks):
            self._collect(outcome, run, results, cache)
            stamps[outcome.task.path] = outcome.stamp
        project = self._cached_project(cache, results, by_path, stamps, facts_elsewhere)
        if project is None:
            self._load_facts(cache, results, by_path, stamps, facts_elsewhere, run)
            project = self._project_diagnostics(results)
            if cache is not None:
                self._store_project(cache, project, results, by_path, stamps, facts_elsewhere)
        if cache is not None:
            cache.save()
        self._finish(run, results, project)
        return run

    def _project_key(
        self,
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        facts_elsewhere: set[str],
    ) -> str | None:
        """A digest of everything the project-wide rules read: the content of every file
        that has facts (and the settings, through the cache file's name)."""
        inputs = []
        for path, result in results.items():
            if result.facts or path in facts_elsewhere:
                stamp = stamps.get(path)
                if stamp is None:
                    return None
                inputs.append(f"{by_path[path].key}\0{stamp.digest}")
        inputs.sort()
        return hashlib.sha256("\n".join(inputs).encode()).hexdigest()

    def _cached_project(
        self,
        cache: Cache | None,
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        facts_elsewhere: set[str],
    ) -> list[Diagnostic] | None:
        if cache is None or not cache.project:
            return None
        key = self._project_key(results, by_path, stamps, facts_elsewhere)
        if key is None or cache.project.get("key") != key:
            return None
        shown = {task.key: path for path, task in by_path.items()}
        rows = cache.project.get("diagnostics")
        if not isinstance(rows, list):
            return None
        out = []
        for item in rows:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                return None
            try:
                diagnostic = diagnostic_from_json(item[1])
            except ValueError:
                return None
            if item[0] in shown:
                out.append(replace(diagnostic, path=shown[item[0]]))
        return out

    def _store_project(
        self,
        cache: Cache,
        project: list[Diagnostic],
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        facts_elsewhere: set[str],
    ) -> None:
        key = self._project_key(results, by_path, stamps, facts_elsewhere)
        if key is None:
            return
        rows = [[by_path[d.path].key, diagnostic_to_json(d)] for d in project if d.path in by_path]
        cache.project = {"key": key, "diagnostics": rows}
        cache.dirty = True

    def _load_facts(
        self,
        cache: Cache | None,
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        facts_elsewhere: set[str],
        run: RunResult,
    ) -> None:
        """Bring the facts of cached files back for the project-wide phase; a file whose
        facts are missing from the facts file (another run raced this one) or not of the
        shape its rules write (a corrupt file) is linted."""
        if cache is None or not facts_elsewhere:
            return
        rules: dict[str, type[Rule] | None] = {}

        def valid(code: str, value: object) -> bool:
            if code not in rules:
                found = registry.load({code}) if code in self.selected else []
                rules[code] = found[0] if found else None
            rule = rules[code]
            return rule is not None and rule.valid_facts(value)

        for path in sorted(facts_elsewhere):
            stamp = stamps[path]
            assert stamp is not None
            facts = cache.facts(by_path[path].key, stamp.digest)
            if facts is not None and all(valid(code, value) for code, value in facts.items()):
                results[path].facts = facts
                continue
            outcome = process(by_path[path], self.settings, "check", self.unsafe)
            self._collect(outcome, run, results, cache)
            stamps[path] = outcome.stamp

    def check_stdin(self, data: bytes | str, filename: str) -> RunResult:
        """Lint (fix, diff) standard input's bytes, shown as `filename`; never writes.
        A str is text already: its coding cookie, if any, is not read."""
        task = self._task(filename)
        outcome = process(task, self.settings, self.mode, self.unsafe, raw=data)
        run = RunResult(files=1)
        results: dict[str, FileResult] = {}
        self._collect(outcome, run, results, None)
        if self.mode == "fix":
            run.fixed_code = outcome.output if outcome.output is not None else _as_bytes(data)
        # Undecodable input has no lines to show (and the file on disk is not the input).
        lines = split_lines(outcome.text) if outcome.text is not None else []
        run.sources[task.path] = [line.rstrip("\r\n") for line in lines]
        self._finish(run, results, self._project_diagnostics(results))
        return run

    def request(self, text: str, filename: str) -> LintRequest:
        """How the command line lints `text` as the file `filename` (the language server's
        fixes)."""
        task = self._task(filename)
        module_file = task.key if os.path.isfile(task.key) else None
        return LintRequest(text, task.path, task.relpath, self.settings, task.codes, module_file=module_file)

    def check_text(
        self, text: str, filename: str, *, honour_noqa: bool = True, with_edits: bool = True
    ) -> RunResult:
        """Lint one file's already decoded text (what the flake8 plugin is given): the
        engine, then the project-wide phase on this file's facts alone. Never fixes."""
        task = self._task(filename)
        request = LintRequest(
            text,
            task.path,
            task.relpath,
            self.settings,
            task.codes,
            module_file=task.key if os.path.isfile(task.key) else None,
            with_edits=with_edits,
            honour_noqa=honour_noqa,
        )
        result = lint(request)
        run = RunResult(files=1, parsed=int(result.parsed))
        results = {task.path: result}
        self._finish(run, results, self._project_diagnostics(results))
        return run

    def _collect(
        self, outcome: Outcome, run: RunResult, results: dict[str, FileResult], cache: Cache | None
    ) -> None:
        result = outcome.result
        result.path = outcome.task.path
        results[outcome.task.path] = result
        run.parsed += result.parsed
        run.applied.update(outcome.applied)
        if outcome.diff:
            run.diffs.append(outcome.diff)
        run.errors.extend(outcome.errors)
        run.warnings.extend(outcome.warnings)
        if cache is not None and outcome.stamp is not None:
            cache.store(outcome.task.key, outcome.stamp, result)

    def _execute(self, tasks: list[Task]) -> Iterable[Outcome]:
        total = len(tasks)
        if total == 0:
            return
        jobs = min(self.jobs, total)
        if jobs <= 1 or total < 4:
            for done, task in enumerate(tasks, 1):
                yield process(task, self.settings, self.mode, self.unsafe)
                if self.progress:
                    self.progress(done, total)
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Big files first, so no worker is left with one at the end.
        ordered = sorted(tasks, key=_size, reverse=True)
        method = (
            "fork"
            if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
            else "spawn"
        )
        context = multiprocessing.get_context(method)
        chunk = max(1, min(16, total // (jobs * 8)))
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.settings, self.mode, self.unsafe),
        ) as pool:
            for done, outcome in enumerate(pool.map(_run_task, ordered, chunksize=chunk), 1):
                yield outcome
                if self.progress:
                    self.progress(done, total)

    def _finish(self, run: RunResult, results: dict[str, FileResult], project: list[Diagnostic]) -> None:
        diagnostics = [d for result in results.values() for d in result.diagnostics]
        diagnostics.extend(project)
        diagnostics.sort(key=lambda d: d.sort_key)
        run.diagnostics = diagnostics

    def _project_diagnostics(self, results: dict[str, FileResult]) -> list[Diagnostic]:
        codes = sorted({code for r in results.values() for code in r.facts if code in self.selected})
        if not codes:
            return []
        out = []
        for cls in registry.load(set(codes)):
            facts = {path: r.facts[cls.code] for path, r in results.items() if cls.code in r.facts}
            for diagnostic in cls.project_diagnostics(facts, self.settings):
                task = self._task(diagnostic.path)
                if diagnostic.code in task.codes:
                    out.append(diagnostic)
        return out


def _as_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")


def _size(task: Task) -> int:
    try:
        return os.path.getsize(task.key)
    except OSError:
        return 0


def lint_text(source: str, path: str = "<stdin>", settings: Settings | None = None) -> list[Diagnostic]:
    """Lint a string (the public `asynclint.lint_source`)."""
    settings = settings or Settings()
    runner = Runner(settings, jobs=1, use_cache=False)
    return runner.check_stdin(source, path).diagnostics


__all__ = ["SYNTAX_ERROR", "RunResult", "Runner", "lint_text"]
