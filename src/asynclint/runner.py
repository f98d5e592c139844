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
import signal
import stat
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, get_args

from asynclint import registry
from asynclint.cache import Cache, Stamp, content_hash, diagnostic_from_json, diagnostic_to_json
from asynclint.diagnostics import SYNTAX_ERROR, Diagnostic, FileResult, syntax_error
from asynclint.discovery import Discovery, discover, excluded_by, module_name
from asynclint.engine import LintRequest, lint
from asynclint.pool import Failure, Pool, begin_commit, start_method
from asynclint.project import (
    LOOP_QUESTION_HINT,
    SUMMARY_CODE,
    LiveModel,
    ProjectIndex,
    answers_for,
    find_project,
    imported_modules,
    may_set_loop,
    with_summary,
)
from asynclint.settings import Settings
from asynclint.sourcefile import split_lines

if TYPE_CHECKING:
    from asynclint.fixer import FixOutcome
    from asynclint.rule import Rule
from asynclint.sourcefile import DecodeError, FileChangedError, decode, decoded, encode, write_atomic

#: check: report; fix: write the fixed files; diff: print the fixes as a diff, write nothing.
Mode = Literal["check", "fix", "diff"]
MODES: tuple[Mode, ...] = get_args(Mode)

#: At most this many rounds of answers (`Runner._settle`): each round lints again the files
#: whose answers the last round's summaries changed, and a chain of answers that needs more
#: rounds than this is left where it stands.
SETTLE_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Task:
    path: str  # as shown to the user
    key: str  # absolute path (cache key)
    relpath: str  # relative to the project root, for per-file settings
    codes: frozenset[str]
    #: A module of the project that was not named: linted with the project-wide rules
    #: alone, for its facts (its findings are not reported).
    summary: bool = False
    #: The project model's answers to the file's questions (`asynclint.project`), when an
    #: earlier lint asked any.
    answers: tuple[tuple[str, object], ...] | None = None


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
    #: `check_text`: the project model's answers the file's (last) lint was given, for the
    #: next lint of the same document (the language server).
    answers: Mapping[str, object] | None = None


# Worker side ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WorkerSetup:
    settings: Settings
    mode: Mode
    unsafe: bool
    #: The project model of the files this worker has linted (`process`).
    live: LiveModel = field(default_factory=LiveModel)


_WORKER: list[_WorkerSetup] = []  # this worker process's setup, once it is made


def relax_gc() -> None:
    """Run Python's cyclic garbage collector less often (the command line and its workers):
    a lint allocates millions of short-lived objects that reference counting frees, and
    each collection of the oldest generation walks every long-lived object (the run's
    results) again: 13 % of a cold run of a large project with the default thresholds."""
    import gc

    gc.set_threshold(100_000, 50, 100)


def _init_worker(settings: Settings, mode: Mode, unsafe: bool) -> None:
    relax_gc()  # a spawned worker does not inherit the parent's thresholds
    _WORKER[:] = [_WorkerSetup(settings, mode, unsafe)]
    # Before the first file, so that its file-timeout is not spent on start-up (a forked
    # worker has it all from the parent already).
    _warm_up(settings, mode)


def _warm_up(settings: Settings, mode: Mode) -> None:
    """Import libcst, the selected rules and (to fix) the fixer."""
    import libcst  # noqa: F401

    registry.load(registry.selected_codes(settings))
    if mode != "check":
        import asynclint.fixer  # noqa: F401


def _run_task(task: Task) -> Outcome:
    setup = _WORKER[0]
    _test_hooks(task)
    outcome = process(task, setup.settings, setup.mode, setup.unsafe, live=setup.live)
    # The fixer's in-process data (the whole parsed module) must not travel: it costs
    # time to pickle, and a deep tree does not pickle at all.
    outcome.result.intent = None
    # Nor does the task, which the parent has (`Runner._execute` puts it back): its codes
    # and answers are most of an outcome's bytes.
    outcome.task = _SENT
    return outcome


#: What a worker's outcome carries in place of its task.
_SENT = Task("", "", "", frozenset())


def _run_stdin_task(item: tuple[Task, bytes | str]) -> Outcome:
    setup = _WORKER[0]
    task, raw = item
    _test_hooks(task)
    outcome = process(task, setup.settings, setup.mode, setup.unsafe, raw=raw)
    outcome.result.intent = None
    return outcome


def _test_hooks(task: Task) -> None:
    """For the isolation tests only, and only when the variable is set: a worker that
    crashes (ASYNCLINT_TEST_CRASH_ON) or hangs (ASYNCLINT_TEST_HANG_ON) on a file whose
    path contains the variable's value."""
    crash = os.environ.get("ASYNCLINT_TEST_CRASH_ON")
    if crash and crash in task.path:
        os.kill(os.getpid(), getattr(signal, "SIGSEGV", signal.SIGTERM))
    hang = os.environ.get("ASYNCLINT_TEST_HANG_ON")
    if hang and hang in task.path:
        time.sleep(3600)


def process(
    task: Task,
    settings: Settings,
    mode: Mode,
    unsafe: bool,
    raw: bytes | str | None = None,
    live: LiveModel | None = None,
) -> Outcome:
    """Read, lint and (in fix/diff mode) fix one file. Never raises for a bad file.
    `raw`: the content, not read from the file (standard input; a str is decoded already).
    `live`: the project model of the files processed so far in this process, which answers
    the questions of a file that has no answers yet, and learns its summary."""
    outcome = _process(task, settings, mode, unsafe, raw, live if task.answers is None else None)
    if live is not None:
        live.add(task.path, outcome.result.facts.get(SUMMARY_CODE))
    return outcome


def _process(
    task: Task,
    settings: Settings,
    mode: Mode,
    unsafe: bool,
    raw: bytes | str | None,
    live: LiveModel | None,
) -> Outcome:
    stdin = raw is not None
    if task.summary:
        mode = "check"
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
    request = LintRequest(
        source.text,
        task.path,
        task.relpath,
        settings,
        with_summary(task.codes),
        module_file=module_file,
        answers=dict(task.answers) if task.answers is not None else None,
        live=live,
    )
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
        begin_commit()  # past this point, the file-timeout does not cut the worker short
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
        settings_for: Callable[[str], Settings] | None = None,
    ) -> None:
        assert mode in MODES
        self.settings = settings
        #: Each file's own settings (its nearest project's configuration), or None: all
        #: files use `settings`.
        self.settings_for = settings_for
        self.jobs = jobs or os.cpu_count() or 1
        self.use_cache = use_cache
        self.mode = mode
        self.unsafe = unsafe
        self.progress = progress
        self.selected = registry.selected_codes(settings)
        self._cwd = os.getcwd()
        self._root_prefix = os.path.join(os.path.abspath(settings.project_root), "")
        #: project root -> the facts of its modules (absolute path -> facts), for one-file runs.
        self._memo: dict[str, dict[str, dict[str, object]]] = {}
        #: absolute path -> the project model's answers to the file's questions.
        self._answers: dict[str, tuple[tuple[str, object], ...]] = {}
        #: How many lints `_settle` added (the files linted again for their answers).
        self.relinted = 0
        self._members: dict[str, tuple[list[str], set[str]]] = {}
        self._module_tables: dict[str, dict[str, list[str]]] = {}
        #: project root -> absolute path -> whether the module may install the event loop.
        self._loop_setters: dict[str, dict[str, bool]] = {}

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
        paths = list(paths)
        found = discover(paths, self.settings)
        if self.settings_for is not None:
            projects = self._projects(found, paths)
            if projects is not None:
                return self._check_projects(found, projects)
        return self._check_found(found, paths)

    def _projects(self, found: Discovery, paths: list[str]) -> list[tuple[Settings, list[str]]] | None:
        """The files grouped by the settings of their nearest project, in the order found;
        None when every file has the run's settings. A file a walk found under another
        project is left out when that project's excludes skip it."""
        assert self.settings_for is not None
        named = {os.path.normcase(os.path.abspath(p)) for p in paths}
        groups: dict[str | None, tuple[Settings, list[str]]] = {}
        for path in found.files:
            settings = self.settings_for(path)
            key = settings.config_path
            if key != self.settings.config_path and os.path.normcase(os.path.abspath(path)) not in named:
                excludes = tuple(settings.exclude) + tuple(settings.extend_exclude)
                if excludes and excluded_by(path, settings.project_root, excludes):
                    continue
            groups.setdefault(key, (settings, []))[1].append(path)
        if len(groups) <= 1 and all(key == self.settings.config_path for key in groups):
            return None
        return list(groups.values())

    def _check_projects(self, found: Discovery, projects: list[tuple[Settings, list[str]]]) -> RunResult:
        """One run per project (each with its settings, cache and project-wide phase),
        merged."""
        run = RunResult(missing=found.missing)
        run.errors.extend(f"cannot read folder {entry}" for entry in found.unreadable)
        for settings, files in projects:
            runner = Runner(
                settings,
                jobs=self.jobs,
                use_cache=self.use_cache,
                mode=self.mode,
                unsafe=self.unsafe,
                progress=self.progress,
            )
            part = runner._check_found(Discovery(files=files), files)
            run.diagnostics.extend(part.diagnostics)
            run.files += part.files
            run.parsed += part.parsed
            run.from_cache += part.from_cache
            run.applied.update(part.applied)
            run.diffs.extend(part.diffs)
            run.errors.extend(part.errors)
            run.warnings.extend(w for w in part.warnings if w not in run.warnings)
        run.diagnostics.sort(key=lambda d: d.sort_key)
        return run

    def _check_found(self, found: Discovery, paths: list[str]) -> RunResult:
        answers: dict[str, tuple[tuple[str, object], ...]] = {}
        if self.mode != "check" and found.files:
            # The project model's answers first (a check of every file, cached as usual):
            # a fix must never be built on what a file alone suggests.
            checker = Runner(self.settings, jobs=self.jobs, use_cache=self.use_cache, progress=self.progress)
            checker._check_found(found, paths)
            answers = checker._answers
        return self._run_found(found, paths, answers)

    def _run_found(
        self, found: Discovery, paths: list[str], answers: dict[str, tuple[tuple[str, object], ...]]
    ) -> RunResult:
        run = RunResult(files=len(found.files), missing=found.missing)
        run.errors.extend(f"cannot read folder {entry}" for entry in found.unreadable)
        # A run with nothing to lint leaves no cache folder.
        cache = self._open_cache(run) if found.files else None
        results: dict[str, FileResult] = {}
        tasks: list[Task] = []
        by_path: dict[str, Task] = {}
        stamps: dict[str, Stamp | None] = {}
        facts_elsewhere: set[str] = set()  # cached files whose facts stay in the facts file
        for path in found.files:
            task = by_path[path] = self._task(path)
            if task.key in answers:
                task = by_path[path] = replace(task, answers=answers[task.key])
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
            if cache is not None and task.answers is None:
                # A file that changed is first linted with the answers of its last lint
                # (the settling rounds check them): most edits ask the same questions, and
                # then the file is linted once.
                previous = cache.previous_questions(task.key)
                if previous:
                    task = by_path[path] = replace(task, answers=tuple(sorted(previous.items())))
            tasks.append(task)
        modules = self._project_modules([by_path[p].key for p in found.files], paths)
        hidden = self._add_project_modules(modules, cache, results, by_path, stamps, facts_elsewhere, tasks)
        # Lint in import order (the live project model then knows most of what a file asks
        # about); the results keep the order they had.
        order = [*results, *(task.path for task in tasks)]
        for outcome in self._execute(self._schedule(tasks), ordered=True):
            self._collect(outcome, run, results, cache)
            stamps[outcome.task.path] = outcome.stamp
        results = {path: results[path] for path in order if path in results}
        project = self._cached_project(cache, results, by_path, stamps, facts_elsewhere)
        if project is None:
            self._load_facts(cache, results, by_path, stamps, facts_elsewhere, run)
            index = self._settle(results, by_path, stamps, run, cache)
            project = self._project_diagnostics(results, index)
            if cache is not None:
                self._store_project(cache, project, results, by_path, stamps, facts_elsewhere)
        if cache is not None:
            cache.save()
        self._finish(run, results, project, hidden)
        return run

    def _settle(
        self,
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        run: RunResult,
        cache: Cache | None,
    ) -> ProjectIndex | None:
        """Answer each linted file's questions with the project model of every module's
        summary, and lint again (in the run's mode) the files whose answers differ from
        those they were linted with; then again, with the summaries of those lints, until
        no file's answers change (a file's summary can depend on its answers: a type it
        learns from another module). The answers are thus those of the whole project's
        final summaries, whatever answers the first pass had (the live model's, which
        depend on the order and the job count) and whatever the order. `self._answers`
        keeps every file's answers. Returns the project model of the final summaries when
        the last round made one (the project-wide rules use it too)."""
        for _ in range(SETTLE_ROUNDS):
            asking = [p for p, r in results.items() if r.questions and not by_path[p].summary]
            if not asking:
                return None
            index = self._index(results)
            tasks = []
            for path in asking:
                result = results[path]
                answered = answers_for(index, result.questions or {}, path)
                key = by_path[path].key
                self._answers[key] = tuple(sorted(answered.items()))
                if answered != result.questions:
                    tasks.append(replace(by_path[path], answers=self._answers[key]))
            if not tasks:
                return index
            self.relinted += len(tasks)
            for outcome in self._execute(tasks):
                self._collect(outcome, run, results, cache)
                stamps[outcome.task.path] = outcome.stamp
        return None

    def _index(self, results: dict[str, FileResult]) -> ProjectIndex:
        """The project model of the modules of `results` (their summaries)."""
        return ProjectIndex(
            {p: r.facts[SUMMARY_CODE] for p, r in results.items() if SUMMARY_CODE in r.facts},
            self.settings.project_root,
        )

    def _open_cache(self, run: RunResult) -> Cache | None:
        if not self.use_cache:
            return None
        folder = self.settings.cache_dir or os.path.join(self.settings.project_root, ".asynclint_cache")
        cache = Cache(folder, self.settings.fingerprint())
        if cache.warning is not None:
            run.warnings.append(cache.warning)
            return None
        return cache

    def _add_project_modules(
        self,
        modules: list[str],
        cache: Cache | None,
        results: dict[str, FileResult],
        by_path: dict[str, Task],
        stamps: dict[str, Stamp | None],
        facts_elsewhere: set[str],
        tasks: list[Task],
    ) -> set[str]:
        """A run of some files of a project sees the whole project: the project's other
        modules join the run as summary tasks (their facts from the cache, or linted with
        the project-wide rules alone), under their absolute paths. Returns those paths."""
        hidden: set[str] = set()
        for key in modules:
            task = self._task(key)
            task = by_path[key] = replace(task, codes=frozenset({SUMMARY_CODE}), summary=True)
            hidden.add(key)
            hit = cache.summary_lookup(key) if cache is not None else None
            if hit is None:
                tasks.append(task)
                continue
            stamps[key], has_facts = hit
            results[key] = FileResult(key)
            if has_facts:
                facts_elsewhere.add(key)
        return hidden

    def _project_modules(self, named: list[str], given: Iterable[str]) -> list[str]:
        """The absolute paths of the modules that the `named` files (absolute paths) import
        from their projects, directly or through each other, other than those, unless the
        paths `given` cover the projects. A file that the walk of its project's root does
        not find (a `.gitignore`d or excluded folder: a vendored or downloaded tree) is not
        part of that project."""
        if not named:
            return []
        roots = {root for root in map(find_project, {os.path.dirname(k) for k in named}) if root}
        folders = [os.path.join(os.path.normpath(os.path.join(self._cwd, g)), "") for g in given]
        skip = set(named)
        out = []
        for root in sorted(roots):
            if any(os.path.join(root, "").startswith(f) and os.path.isdir(f) for f in folders):
                continue  # the run covers the whole project
            _, members = self._members_of(root)
            inside = [k for k in named if k in members]
            if not inside:
                continue
            for key in self._imported(root, inside):
                if key not in skip:
                    skip.add(key)
                    out.append(key)
        return out

    def _members_of(self, root: str) -> tuple[list[str], set[str]]:
        """The absolute paths of the Python files of the project at `root` (once per run)."""
        if root not in self._members:
            found = self._modules_of(root)
            self._members[root] = (found, set(found))
        return self._members[root]

    def _imported(self, root: str, named: list[str], texts: Mapping[str, str] | None = None) -> list[str]:
        """The modules of the project at `root` that the `named` files import, directly or
        through each other (`asynclint.project.imported_modules`), in the order found.
        `texts`: the code of named files that is not the file's on disk (standard input)."""
        namespaces = self.settings.namespace_folders
        table = self._module_tables.get(root)
        if table is None:
            table = self._module_tables[root] = {}
            for key in self._members_of(root)[0]:
                table.setdefault(module_name(key, namespaces)[0], []).append(key)
        seen = set(named)
        first = set(named)
        queue = deque(named)
        out = []
        asks_loop = False
        while queue:
            key = queue.popleft()
            text = texts.get(key) if texts is not None else None
            if text is None:
                text = _read_text(key)
            if not text:
                continue
            if not asks_loop and key in first and LOOP_QUESTION_HINT in text:
                asks_loop = True
            for target in _imports_of(key, text, table, namespaces):
                if target not in seen:
                    seen.add(target)
                    out.append(target)
                    queue.append(target)
        if asks_loop:
            # `loop` is a question about the whole project: the modules that may install
            # the event loop join, wherever they are.
            for target in self._loop_setters_of(root):
                if target not in seen:
                    seen.add(target)
                    out.append(target)
        return out

    def _loop_setters_of(self, root: str) -> list[str]:
        """The modules of the project at `root` that are no test files and whose code may
        install the event loop (`asynclint.project.may_set_loop`), each read once per
        runner."""
        known = self._loop_setters.setdefault(root, {})
        found = []
        for key in self._members_of(root)[0]:
            if key not in known:
                test = self.settings.is_test_file(self._task(key).relpath)
                known[key] = not test and may_set_loop(_read_text(key))
            if known[key]:
                found.append(key)
        return found

    def _modules_of(self, root: str) -> list[str]:
        """The absolute paths of the Python files of the project at `root`."""
        found = discover([root], self.settings, tidy=False)
        return [os.path.normpath(os.path.join(self._cwd, path)) for path in found.files]

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
                found = registry.load({code}) if code in self.selected or code == SUMMARY_CODE else []
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

    def check_stdin(self, data: bytes | str, filename: str, *, supervised: bool = False) -> RunResult:
        """Lint (fix, diff) standard input's bytes, shown as `filename`; never writes.
        A str is text already: its coding cookie, if any, is not read. `supervised`: in a
        worker process under `file-timeout`, as files are (the command line; a library
        call never starts a process)."""
        task = self._task(filename)
        run = RunResult(files=1)
        if self.mode != "check":
            # The project model's answers first: a fix is never built on what the file
            # alone suggests.
            checker = Runner(self.settings, jobs=1, use_cache=self.use_cache)
            checked = checker._stdin_outcome(task, data, supervised)
            results = {task.path: checked.result}
            checker._add_other_modules(RunResult(), task, results, checked.text)
            for _ in range(SETTLE_ROUNDS):
                answered = checker._new_answers(task, results)
                if answered is None:
                    break
                task = replace(task, answers=tuple(sorted(answered.items())))
                results[task.path] = checker._stdin_outcome(task, data, supervised).result
        outcome = self._stdin_outcome(task, data, supervised)
        results = {}
        self._collect(outcome, run, results, None)
        if self.mode == "fix":
            run.fixed_code = outcome.output if outcome.output is not None else _as_bytes(data)
        # Undecodable input has no lines to show (and the file on disk is not the input).
        lines = split_lines(outcome.text) if outcome.text is not None else []
        run.sources[task.path] = [line.rstrip("\r\n") for line in lines]

        def relint(answered: dict[str, object]) -> FileResult:
            again = self._stdin_outcome(
                replace(task, answers=tuple(sorted(answered.items()))), data, supervised
            )
            return again.result

        self._finish_one(run, task, results, relint if self.mode == "check" else None, outcome.text)
        return run

    def _stdin_outcome(self, task: Task, data: bytes | str, supervised: bool) -> Outcome:
        """One lint (fix, diff) of standard input's `data` as `task`."""
        if supervised and self.settings.file_timeout and start_method() == "fork":
            _warm_up(self.settings, self.mode)
            pool = Pool(
                _run_stdin_task,
                jobs=1,
                timeout=self.settings.file_timeout,
                initializer=_init_worker,
                initargs=(self.settings, self.mode, self.unsafe),
            )
            for _, result in pool.map([(task, data)]):
                return self._failed(task, result) if isinstance(result, Failure) else result
        return process(task, self.settings, self.mode, self.unsafe, raw=data)

    def _finish_one(
        self,
        run: RunResult,
        task: Task,
        results: dict[str, FileResult],
        relint: Callable[[dict[str, object]], FileResult] | None = None,
        text: str | None = None,
    ) -> None:
        """The project phase of a one-file run (standard input, the flake8 plugin): the
        file's own facts with those of the project's other modules; then, when the file
        asked the project model questions whose answers are not those it was linted with,
        `relint` lints it again with the answers."""
        hidden = self._add_other_modules(run, task, results, text)
        for _ in range(SETTLE_ROUNDS if relint is not None else 0):
            # An answer can raise a new question (a variable's type, then an attribute of
            # that type): answered again until the file asks nothing new.
            answered = self._new_answers(task, results)
            if answered is None:
                break
            assert relint is not None
            results[task.path] = relint(answered)
        self._finish(run, results, self._project_diagnostics(results), hidden)

    def _add_other_modules(
        self, run: RunResult, task: Task, results: dict[str, FileResult], text: str | None = None
    ) -> set[str]:
        """Add the facts of the modules `task`'s file imports from its project to `results`
        (when the file has facts or questions); returns their paths."""
        result = results[task.path]
        if not (result.facts or result.questions):
            return set()
        others = self._other_modules(task.key, run, text)
        for key, facts in others.items():
            results[key] = FileResult(key, facts=facts)
        return set(others)

    def _new_answers(self, task: Task, results: dict[str, FileResult]) -> dict[str, object] | None:
        """The project model's answers to `task`'s questions when they are not those its
        lint was given; None when they are."""
        questions = results[task.path].questions
        if not questions:
            return None
        answered = answers_for(self._index(results), questions, task.path)
        return answered if answered != questions else None

    def _other_modules(
        self, named: str, run: RunResult, text: str | None = None
    ) -> dict[str, dict[str, object]]:
        """The facts of the modules that `named` (an absolute path; its code `text` when
        that is not the file's on disk) imports from its project, directly or through
        others (absolute paths). Summaries are kept for the runner's life (the flake8 plugin
        asks for every file)."""
        root = find_project(os.path.dirname(named))
        if root is None:
            return {}
        _, members = self._members_of(root)
        if named not in members and os.path.exists(named):
            return {}  # a file in an ignored or excluded folder is not part of the project
        needed = self._imported(root, [named], {named: text} if text is not None else None)
        memo = self._memo.setdefault(root, {})
        missing = [key for key in needed if key not in memo]
        if missing:
            cache = self._open_cache(run)
            results: dict[str, FileResult] = {}
            by_path: dict[str, Task] = {}
            stamps: dict[str, Stamp | None] = {}
            facts_elsewhere: set[str] = set()
            tasks: list[Task] = []
            hidden = self._add_project_modules(
                missing, cache, results, by_path, stamps, facts_elsewhere, tasks
            )
            for outcome in self._execute(tasks):
                self._collect(outcome, run, results, cache)
                stamps[outcome.task.path] = outcome.stamp
            self._load_facts(cache, results, by_path, stamps, facts_elsewhere, run)
            if cache is not None:
                cache.save()
            for key in hidden:
                memo[key] = results[key].facts if key in results else {}
        return {k: memo[k] for k in needed if memo.get(k)}

    def refresh_module(self, path: str) -> None:
        """The file at `path` changed on disk (saved in an editor): the summary this runner
        keeps of it for one-file runs is dropped, and made again from the file when a lint
        needs it; a file created or deleted makes the project's modules be listed again."""
        key = os.path.normpath(os.path.join(self._cwd, path))
        root = find_project(os.path.dirname(key))
        if root is None:
            return
        memo = self._memo.get(root)
        if memo is not None:
            memo.pop(key, None)
        self._loop_setters.get(root, {}).pop(key, None)
        members = self._members.get(root)
        if members is not None and (key in members[1]) != os.path.isfile(key):
            del self._members[root]
            self._module_tables.pop(root, None)

    def request(self, text: str, filename: str) -> LintRequest:
        """How the command line lints `text` as the file `filename` (the language server's
        fixes)."""
        task = self._task(filename)
        module_file = task.key if os.path.isfile(task.key) else None
        return LintRequest(
            text, task.path, task.relpath, self.settings, with_summary(task.codes), module_file=module_file
        )

    def check_text(
        self,
        text: str,
        filename: str,
        *,
        honour_noqa: bool = True,
        with_edits: bool = True,
        answers: Mapping[str, object] | None = None,
        reuse_parse: bool = False,
    ) -> RunResult:
        """Lint one file's already decoded text (what the flake8 plugin is given): the
        engine, then the project-wide phase on this file's facts and those of the other
        modules of its project. Never fixes. `answers`: the project model's answers of an
        earlier lint of the file (`RunResult.answers`); when they are still right, the file
        is linted once instead of twice. `reuse_parse`: parse the text again from the last
        parse of the same file, keeping the top-level statements an edit did not touch
        (`LintRequest.reuse_parse`; the language server)."""
        task = self._task(filename)
        request = LintRequest(
            text,
            task.path,
            task.relpath,
            self.settings,
            with_summary(task.codes),
            module_file=task.key if os.path.isfile(task.key) else None,
            with_edits=with_edits,
            honour_noqa=honour_noqa,
            answers=answers,
            reuse_parse=reuse_parse,
        )
        result = lint(request)
        run = RunResult(files=1, parsed=int(result.parsed))
        results = {task.path: result}
        given: list[Mapping[str, object] | None] = [answers]

        def relint(answered: dict[str, object]) -> FileResult:
            given.append(answered)
            return lint(replace(request, answers=answered))

        self._finish_one(run, task, results, relint, text)
        run.answers = given[-1]
        return run

    def _collect(
        self, outcome: Outcome, run: RunResult, results: dict[str, FileResult], cache: Cache | None
    ) -> None:
        result = outcome.result
        result.path = outcome.task.path
        if outcome.task.summary:
            result.diagnostics = []
            results[outcome.task.path] = result
            if cache is not None and outcome.stamp is not None:
                cache.store_summary(outcome.task.key, outcome.stamp, result.facts)
            return
        results[outcome.task.path] = result
        run.parsed += result.parsed
        run.applied.update(outcome.applied)
        if outcome.diff:
            run.diffs.append(outcome.diff)
        run.errors.extend(outcome.errors)
        run.warnings.extend(outcome.warnings)
        if cache is not None and outcome.stamp is not None:
            cache.store(outcome.task.key, outcome.stamp, result)

    def _schedule(self, tasks: list[Task]) -> list[Task]:
        """`tasks` in an order where a module comes after the modules it imports (read from
        its text, as `_imported` does), so that the live project model of the first pass
        (`LiveModel`) has their summaries: a depth-first walk of the imports, in the order
        of `tasks`, that breaks a cycle where it meets one. Only unindented imports count:
        an import in a function or under `if TYPE_CHECKING:` is most often there to break a
        cycle, and following it puts the module it imports after its importers (on
        prefect, 45 files linted again instead of 76)."""
        if len(tasks) < 2:
            return tasks
        by_key = {task.key: task for task in tasks}
        namespaces = self.settings.namespace_folders
        table: dict[str, list[str]] = {}
        for key in by_key:
            table.setdefault(module_name(key, namespaces)[0], []).append(key)

        def imports(key: str) -> list[str]:
            found = _imports_of(key, _read_text(key), table, namespaces, top_level=True)
            return [target for target in found if target != key]

        out: list[Task] = []
        done: set[str] = set()
        for start in by_key:
            if start in done:
                continue
            done.add(start)
            stack = [(start, iter(imports(start)))]
            while stack:
                key, pending = stack[-1]
                for target in pending:
                    if target not in done:
                        done.add(target)
                        stack.append((target, iter(imports(target))))
                        break
                else:
                    stack.pop()
                    out.append(by_key[key])
        return out

    def _execute(self, tasks: list[Task], *, ordered: bool = False) -> Iterable[Outcome]:
        """The outcome of every task, in the order of `tasks` (whatever `--jobs`).
        `ordered`: the tasks are handed out in that order too (else the biggest first).

        Files run in supervised worker processes (`asynclint.pool`): a file that kills its
        worker or runs longer than `file-timeout` is reported as not linted, and the other
        files' results stand. With `-j 1` they run in this process only when
        `file-timeout = 0`, or when there is one file and a worker would cost a new
        interpreter (spawn: about half a second, against a few milliseconds for fork)."""
        total = len(tasks)
        if total == 0:
            return
        jobs = min(self.jobs, total)
        timeout = self.settings.file_timeout or None
        if _daemonic() or (jobs <= 1 and (timeout is None or (total == 1 and start_method() == "spawn"))):
            live = LiveModel()
            for done, task in enumerate(tasks, 1):
                yield process(task, self.settings, self.mode, self.unsafe, live=live)
                if self.progress:
                    self.progress(done, total)
            return
        if start_method() == "fork":
            # Imported once here, the workers inherit it (the project phase needs it too).
            _warm_up(self.settings, self.mode)
        # Big files first, so no worker is left with one at the end.
        order = (
            list(range(total))
            if ordered
            else sorted(range(total), key=lambda i: _size(tasks[i]), reverse=True)
        )
        pool = Pool(
            _run_task,
            jobs=jobs,
            timeout=timeout,
            initializer=_init_worker,
            initargs=(self.settings, self.mode, self.unsafe),
            chunksize=max(1, min(16, total // (jobs * 8))),
        )
        # Outcomes come in the order they finish; they are given out in the order of
        # `tasks`, each as soon as every one before it is there.
        waiting: dict[int, Outcome] = {}
        given = 0
        for done, (position, result) in enumerate(pool.map([tasks[i] for i in order]), 1):
            index = order[position]
            task = tasks[index]
            if isinstance(result, Failure):
                waiting[index] = self._failed(task, result)
            else:
                result.task = task
                waiting[index] = result
            if self.progress:
                self.progress(done, total)
            while given in waiting:
                yield waiting.pop(given)
                given += 1

    def _failed(self, task: Task, failure: Failure) -> Outcome:
        """The outcome of a file whose worker crashed, timed out or raised: not linted (and
        not fixed: a worker stops before it writes, or the write is atomic and finished)."""
        if failure.kind == "crashed":
            reason = f"the worker process crashed ({failure.detail}) while linting it"
        elif failure.kind == "timeout":
            reason = f"it took longer than file-timeout ({failure.detail})"
        else:
            reason = f"asynclint failed on it: {failure.detail} (please report this)"
        if self.mode != "check":
            reason += "; it was left as it is"
        result = FileResult(task.path, [syntax_error(task.path, f"not linted: {reason}")])
        return Outcome(task, _only_selected(result, task.codes))

    def _finish(
        self,
        run: RunResult,
        results: dict[str, FileResult],
        project: list[Diagnostic],
        hidden: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        diagnostics = [d for result in results.values() for d in result.diagnostics]
        diagnostics.extend(d for d in project if d.path not in hidden)
        diagnostics.sort(key=lambda d: d.sort_key)
        run.diagnostics = diagnostics

    def _project_diagnostics(
        self, results: dict[str, FileResult], index: ProjectIndex | None = None
    ) -> list[Diagnostic]:
        """The diagnostics of the project-wide rules; `index`: the project model of the
        summaries of `results`, when the run has made it already."""
        codes = sorted({code for r in results.values() for code in r.facts if code in self.selected})
        if not codes:
            return []
        out = []
        for cls in registry.load(set(codes)):
            facts = {path: r.facts[cls.code] for path, r in results.items() if cls.code in r.facts}
            project = index if cls.code == SUMMARY_CODE else None
            for diagnostic in cls.project_diagnostics(facts, self.settings, project):
                task = self._task(diagnostic.path)
                if diagnostic.code in task.codes:
                    out.append(diagnostic)
        return out


def _nearest(importer: str, candidates: list[str]) -> list[str]:
    """Of the files that share a module name (two `app` packages in one repository: example
    projects, test fixtures), the ones nearest the importing file: the longest common
    folder. An import means one module, and the nearest is the one it finds."""
    if len(candidates) <= 1:
        return candidates
    folder = os.path.dirname(importer)

    def shared(path: str) -> int:
        return len(os.path.commonpath([folder, os.path.dirname(path)]))

    best = max(shared(c) for c in candidates)
    return [c for c in candidates if shared(c) == best]


def _imports_of(
    key: str,
    text: str,
    table: Mapping[str, list[str]],
    namespaces: frozenset[str],
    *,
    top_level: bool = False,
) -> list[str]:
    """The files of `table` (module name -> files) that the code `text` of the file `key`
    imports (`asynclint.project.imported_modules`; with `top_level`, only what it imports
    when it is imported), the nearest file for a name several files share."""
    if not text:
        return []
    name, is_package = module_name(key, namespaces)
    found: list[str] = []
    for ref in sorted(imported_modules(text, name, is_package, top_level=top_level)):
        found.extend(_nearest(key, table.get(ref, [])))
    return found


def _read_text(path: str) -> str:
    """A module's text for its imports ("" when it cannot be read or decoded, or is no
    regular file: a FIFO would block the open)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return ""
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return ""
    try:
        return decode(raw).text
    except DecodeError:
        return ""


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


def _daemonic() -> bool:
    """Whether this process is a daemonic worker (flake8's, with `-j`), which may not start
    processes of its own: files are processed here, under the pre-checks alone."""
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)
