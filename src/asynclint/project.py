"""The project phase: what one file's facts say about the others.

Today this is the call graph of ASL116 (blocking-call-via-helper): which sync functions
reach a blocking call, directly or through other sync functions, across modules. It is the
home of the project model to come (module summaries and cross-module queries); rules keep
only a thin hook (`Rule.finish` gives a file's facts, `Rule.project_diagnostics` turns the
answers into diagnostics).

Each linted file contributes plain data (`FileSummary.to_facts()`): its sync functions
(blocking calls made directly, functions called, `# noqa: ASL116` on the `def` line), its
classes (bases and method names, for `self.method()` through inheritance), its module-level
imports (for re-exports) and the calls its coroutines make to possible helpers. `Index`
combines the facts of every file and finds, for each function, the shortest chain of calls
to a blocking call (a breadth-first search backwards from the blocking functions, so
cycles cost nothing special); `blocking_helper_calls` answers the question ASL116 asks.

Subset runs (`asynclint app.py`, pre-commit's staged files, the flake8 plugin, standard input
with `--stdin-filename`) see the whole project all the same: `find_project` names the project
a file belongs to, and the runner adds the facts of the project's other modules (from the
cache, or computed on demand by linting them with the project-wide rules alone; those files
get no findings). `ProjectIndex` is the query side of the model.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst

    from asynclint.analysis.scopes import ModuleInfo

#: The rules with a project-wide phase (`Rule.project_diagnostics`): the codes whose facts
#: every module of a project contributes (an architecture test keeps this list exact).
PROJECT_CODES = frozenset({"ASL116"})
#: The rule whose facts are the modules' summaries (`FileSummary.to_facts()`), the project
#: model's input.
SUMMARY_CODE = "ASL116"


def with_summary(codes: frozenset[str]) -> frozenset[str]:
    """The rules a file's lint runs: `codes`, and the summary of the module for the project
    model (which every rule may consult, selected or not; its own findings are reported
    only when selected)."""
    return codes if SUMMARY_CODE in codes else codes | {SUMMARY_CODE}


#: What marks a project's root folder (the nearest one above a file wins).
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")

#: How many alias hops and base classes resolution follows before giving up.
_MAX_HOPS = 20


@dataclass
class Function:
    display: str  # `read_settings` or `Config.load`
    noqa: bool
    blocking: str | None  # display name of the first direct blocking call
    calls: list[str] = field(default_factory=list)
    line: int = 0  # of the `def`
    code: str = ""  # the rule code of `blocking` (ASL105 for `open`)
    blocking_line: int = 0
    #: The first direct blocking call that is no file or filesystem call (a sleep, a
    #: network call, a process or thread wait), for callers where file I/O is not
    #: reported (test files, command-line code); and its line.
    wait: str | None = None
    wait_line: int = 0
    #: Under `functools.cache`/`lru_cache`: blocks on its first call only.
    cached: bool = False
    #: Pickles or JSON-dumps (or loads) what it writes to the file: with no arguments,
    #: the object's own state.
    serialises: bool = False


@dataclass
class Coroutine:
    """A module-level `async def` or a method's: whether it may reach I/O on its own (an
    await of anything but a call of a possible project coroutine, `async with`, `async
    for`, a decorator that may wrap it), and the possible project coroutines it awaits."""

    display: str
    io: bool
    awaits: list[str] = field(default_factory=list)
    #: "plain", "generator" (an async generator: calling it makes no coroutine),
    #: "decorated" (a decorator may change what calling it gives) or "stub" (a body of
    #: `pass`, `...`, a docstring or a `raise`: an interface whose overrides do the work).
    kind: str = "plain"


@dataclass
class Site:
    callee: str
    display: str  # the callee as written: `load_config`, `self.load`
    start: tuple[int, int]
    end: tuple[int, int]
    function: str  # the enclosing `async def`
    #: File and filesystem calls are not reported here (a test file, command-line code).
    quiet_files: bool = False
    #: The call is the item of a sync `with` (the helper is a context manager).
    with_item: bool = False
    #: The call's arguments name nothing of the calling function but `self`/`cls`.
    bare: bool = False


@dataclass
class FileSummary:
    module: str
    library: str = "asyncio"
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    coroutines: dict[str, Coroutine] = field(default_factory=dict)
    #: Types, as qualified names: what a function returns (a coroutine function: what
    #: awaiting it gives), what a `@contextmanager`/`@asynccontextmanager` function
    #: yields to its `with`, and the attributes classes annotate or assign in methods.
    returns: dict[str, str] = field(default_factory=dict)
    yields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Factories: function -> the resource constructor (`aiohttp.ClientSession`) whose new
    #: instance every `return` of the function gives (its caller owns it). A function that
    #: returns a stored, module-level or cached instance is no factory.
    creates: dict[str, str] = field(default_factory=dict)
    #: Module-level variables of a known type (`client = httpx.AsyncClient()`).
    variables: dict[str, str] = field(default_factory=dict)
    #: A module of the application (no test module) that installs the current event loop
    #: for good: `nest_asyncio.apply()`, or `asyncio.set_event_loop(loop)` outside an
    #: `except` handler in a function (or module body) that never sets it back to `None`.
    sets_loop: bool = False
    #: The functions the module runs as tasks (`create_task(f())`, a task helper's
    #: `background_tasks.create(f())`, `tg.start_soon(f)`), as qualified names; and the
    #: last names of everything else it calls (`f()`, `x.f()`) or hands to a call as a
    #: function (`loop.call_soon(f)`), so a task body awaited anywhere is known.
    spawned: list[str] = field(default_factory=list)
    called: list[str] = field(default_factory=list)
    #: The modules the module star-imports (`from app.helpers import *`), and the names its
    #: `__all__` lists (None: no literal `__all__`, so its public names are exported).
    stars: list[str] = field(default_factory=list)
    exports: list[str] | None = None
    #: Which coroutines run alone on a loop: the functions sync code hands to a loop
    #: runner (`asyncio.run(f())`, `loop.run_until_complete(f())`, `anyio.run(f)`), as
    #: qualified names; the awaits of possible project coroutines by the module's coroutine
    #: functions ([callee, caller]); the last names the module uses only in those two ways
    #: (no other call, argument or unresolved await of the name); and the coroutine
    #: functions that start concurrent work (`gather`, `create_task`, a task group...);
    #: and whether the module applies `nest_asyncio` (whose `asyncio.run()` inside a
    #: running loop runs the loop's other tasks too).
    runs: list[str] = field(default_factory=list)
    awaited: list[list[str]] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    starters: list[str] = field(default_factory=list)
    nests: bool = False

    def to_facts(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "library": self.library,
            "functions": {
                q: [
                    f.display,
                    f.noqa,
                    f.blocking,
                    f.calls,
                    f.line,
                    f.code,
                    f.blocking_line,
                    f.wait,
                    f.wait_line,
                    f.cached,
                    f.serialises,
                ]
                for q, f in self.functions.items()
            },
            "coroutines": {q: [c.display, c.io, c.awaits, c.kind] for q, c in self.coroutines.items()},
            "types": [self.returns, self.yields, self.attributes],
            "classes": {q: [bases, methods] for q, (bases, methods) in self.classes.items()},
            "aliases": self.aliases,
            "creates": self.creates,
            "variables": self.variables,
            "loop": self.sets_loop,
            "tasks": [self.spawned, self.called],
            "stars": [self.stars, self.exports],
            "alone": [self.runs, self.awaited, self.plain, self.starters, self.nests],
            "sites": [
                [s.callee, s.display, *s.start, *s.end, s.function, s.quiet_files, s.with_item, s.bare]
                for s in self.sites
            ],
        }

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> FileSummary:
        summary = cls(facts["module"], facts.get("library", "asyncio"))
        for qual, (display, noqa, blocking, calls, *rest) in facts["functions"].items():
            summary.functions[qual] = Function(display, noqa, blocking, list(calls), *rest)
        for qual, (bases, methods) in facts["classes"].items():
            summary.classes[qual] = (list(bases), list(methods))
        for qual, (display, io, awaits, kind) in facts["coroutines"].items():
            summary.coroutines[qual] = Coroutine(display, io, list(awaits), kind)
        returns, yields, attributes = facts["types"]
        summary.returns, summary.yields = dict(returns), dict(yields)
        summary.attributes = {cls: dict(attrs) for cls, attrs in attributes.items()}
        summary.aliases = dict(facts["aliases"])
        summary.creates = dict(facts["creates"])
        summary.variables = dict(facts["variables"])
        summary.sets_loop = facts["loop"]
        spawned, called = facts["tasks"]
        summary.spawned, summary.called = list(spawned), list(called)
        stars, exports = facts["stars"]
        summary.stars, summary.exports = list(stars), None if exports is None else list(exports)
        runs, awaited, plain, starters, nests = facts["alone"]
        summary.runs, summary.plain, summary.starters = list(runs), list(plain), list(starters)
        summary.nests = nests
        summary.awaited = [list(pair) for pair in awaited]
        for callee, display, line, column, end_line, end_column, function, *flags in facts["sites"]:
            summary.sites.append(
                Site(callee, display, (line, column), (end_line, end_column), function, *flags)
            )
        return summary


def valid_facts(facts: object) -> bool:
    """Whether `facts` (read back from the cache) have exactly the shape `to_facts()`
    gives, down to every string and number."""
    if not isinstance(facts, dict) or set(facts) != _FACT_KEYS:
        return False
    functions, classes, aliases, sites, coroutines = (
        facts["functions"],
        facts["classes"],
        facts["aliases"],
        facts["sites"],
        facts["coroutines"],
    )
    return (
        isinstance(facts["module"], str)
        and isinstance(facts["library"], str)
        and isinstance(functions, dict)
        and all(
            isinstance(f, list)
            and len(f) == 11
            and isinstance(f[0], str)
            and type(f[1]) is bool
            and (f[2] is None or isinstance(f[2], str))
            and _strings(f[3])
            and _position(f[4])
            and isinstance(f[5], str)
            and _position(f[6])
            and (f[7] is None or isinstance(f[7], str))
            and _position(f[8])
            and type(f[9]) is bool
            and type(f[10]) is bool
            for f in functions.values()
        )
        and isinstance(classes, dict)
        and all(
            isinstance(c, list) and len(c) == 2 and _strings(c[0]) and _strings(c[1])
            for c in classes.values()
        )
        and isinstance(coroutines, dict)
        and all(
            isinstance(c, list)
            and len(c) == 4
            and isinstance(c[0], str)
            and type(c[1]) is bool
            and _strings(c[2])
            and c[3] in COROUTINE_KINDS
            for c in coroutines.values()
        )
        and isinstance(aliases, dict)
        and all(isinstance(target, str) for target in aliases.values())
        and _names(facts["creates"])
        and _names(facts["variables"])
        and type(facts["loop"]) is bool
        and isinstance(facts["tasks"], list)
        and len(facts["tasks"]) == 2
        and all(_strings(names) for names in facts["tasks"])
        and isinstance(facts["stars"], list)
        and len(facts["stars"]) == 2
        and _strings(facts["stars"][0])
        and (facts["stars"][1] is None or _strings(facts["stars"][1]))
        and _types(facts["types"])
        and isinstance(facts["alone"], list)
        and len(facts["alone"]) == 5
        and _strings(facts["alone"][0])
        and isinstance(facts["alone"][1], list)
        and all(isinstance(pair, list) and len(pair) == 2 and _strings(pair) for pair in facts["alone"][1])
        and _strings(facts["alone"][2])
        and _strings(facts["alone"][3])
        and type(facts["alone"][4]) is bool
        and isinstance(sites, list)
        and all(
            isinstance(s, list)
            and len(s) == 10
            and isinstance(s[0], str)
            and isinstance(s[1], str)
            and all(_position(n) for n in s[2:6])
            and isinstance(s[6], str)
            and all(type(b) is bool for b in s[7:])
            for s in sites
        )
    )


COROUTINE_KINDS = frozenset({"plain", "generator", "decorated", "stub"})
_FACT_KEYS = {
    "module",
    "library",
    "functions",
    "classes",
    "aliases",
    "creates",
    "variables",
    "loop",
    "tasks",
    "stars",
    "alone",
    "sites",
    "coroutines",
    "types",
}
_MAX_POSITION = 2**31


def _position(value: object) -> bool:
    return type(value) is int and 0 <= value < _MAX_POSITION


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _names(value: object) -> bool:
    """A mapping of strings to strings."""
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _types(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and _names(value[0])
        and _names(value[1])
        and isinstance(value[2], dict)
        and all(_names(attrs) for attrs in value[2].values())
    )


def separate_homonyms(summaries: Mapping[str, FileSummary]) -> dict[str, tuple[str, str]]:
    """Give files that share a module name (scripts in different folders, two `conftest`
    modules) names of their own, so that one file's `helper` is never taken for the
    other's. References from other files to such a module stay unresolved. Returns path ->
    (old name, new name) of the files renamed."""
    count: dict[str, int] = {}
    for summary in summaries.values():
        count[summary.module] = count.get(summary.module, 0) + 1
    renamed = {}
    for path, summary in summaries.items():
        module = summary.module
        if count[module] > 1:
            renamed[path] = (module, f"{module}@{path}")
            _rename_module(summary, module, renamed[path][1])
    return renamed


def _rename_module(summary: FileSummary, old: str, new: str) -> None:
    prefix = old + "."

    def own(name: str) -> str:
        if name == old:
            return new
        return new + name[len(old) :] if name.startswith(prefix) else name

    def own_type(kind: str) -> str:
        return map_type(kind, own)

    summary.module = new
    for function in summary.functions.values():
        function.calls = [own(c) for c in function.calls]
    summary.functions = {own(q): f for q, f in summary.functions.items()}
    for coroutine in summary.coroutines.values():
        coroutine.awaits = [own(a) for a in coroutine.awaits]
    summary.coroutines = {own(q): c for q, c in summary.coroutines.items()}
    summary.returns = {own(q): own_type(t) for q, t in summary.returns.items()}
    summary.yields = {own(q): own_type(t) for q, t in summary.yields.items()}
    summary.attributes = {
        own(c): {a: own_type(t) for a, t in attrs.items()} for c, attrs in summary.attributes.items()
    }
    summary.classes = {
        own(q): ([own(b) for b in bases], methods) for q, (bases, methods) in summary.classes.items()
    }
    summary.aliases = {own(k): own(v) for k, v in summary.aliases.items()}
    summary.creates = {own(q): c for q, c in summary.creates.items()}
    summary.variables = {own(q): own_type(t) for q, t in summary.variables.items()}
    summary.spawned = [own(q) for q in summary.spawned]
    summary.runs = [own(q) for q in summary.runs]
    summary.awaited = [[own(callee), own(caller)] for callee, caller in summary.awaited]
    summary.starters = [own(q) for q in summary.starters]
    for site in summary.sites:
        site.callee = own(site.callee)


@dataclass(frozen=True)
class Chain:
    """How a helper reaches a blocking call: helper names in call order, then the call;
    where each is (`path:line` of each helper's `def`, then of the call: empty when
    unknown), the helpers under `functools.cache`/`lru_cache`, and whether the function
    making the call serialises (pickle, JSON) what it writes or reads."""

    helpers: tuple[str, ...]
    blocking: str
    places: tuple[str, ...] = ()
    cached: tuple[str, ...] = ()
    serialises: bool = False
    code: str = ""  # the rule code of the blocking call

    def render(self) -> str:
        names = [*(f"{h}()" for h in self.helpers), f"{self.blocking}()"]
        if len(self.places) == len(names):
            names = [f"{n} ({p})" if p else n for n, p in zip(names, self.places, strict=True)]
        return " → ".join(names)


class Index:
    """Every summarised function of the project, and what each one reaches."""

    def __init__(self, summaries: Iterable[FileSummary], paths: Mapping[str, str] | None = None) -> None:
        #: module -> the path shown for it in chains (`app/config.py`).
        self.paths = dict(paths or {})
        self.functions: dict[str, Function] = {}
        #: function -> its module.
        self.modules: dict[str, str] = {}
        self.coroutines: dict[str, Coroutine] = {}
        self.classes: dict[str, tuple[list[str], list[str]]] = {}
        self.aliases: dict[str, str] = {}
        self.returns: dict[str, str] = {}
        self.yields: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.creates: dict[str, str] = {}
        self.variables: dict[str, str] = {}
        self.spawned: set[str] = set()
        self.called: set[str] = set()
        #: What `runs_alone` asks: functions loop runners run, [callee, caller] awaits, the
        #: last names some module uses otherwise, coroutine functions that start work.
        self.runs: set[str] = set()
        #: last name of the callee -> [(callee, caller)]
        self.awaited: dict[str, list[tuple[str, str]]] = {}
        self.used_otherwise: set[str] = set()
        self.starters: set[str] = set()
        #: module -> the modules it star-imports; module -> its `__all__` (None: none).
        self.stars: dict[str, list[str]] = {}
        self.exports: dict[str, list[str] | None] = {}
        for summary in summaries:
            self._take(summary)
        self._resolved: dict[str, str | None] = {}
        self._reach = self._solve(waits=False)
        self._reach_waits = self._solve(waits=True)
        self._quiet: set[str] | None = None
        self._sync_overridden: set[str] | None = None

    def _take(self, summary: FileSummary) -> None:
        if summary.stars:
            self.stars[summary.module] = summary.stars
        self.exports[summary.module] = summary.exports
        self.spawned.update(summary.spawned)
        self.called.update(summary.called)
        self.runs.update(summary.runs)
        for callee, caller in summary.awaited:
            self.awaited.setdefault(callee.rpartition(".")[2], []).append((callee, caller))
        self.used_otherwise.update(set(summary.called) - set(summary.plain))
        self.starters.update(summary.starters)
        self.creates.update(summary.creates)
        self.variables.update(summary.variables)
        self.functions.update(summary.functions)
        self.modules.update(dict.fromkeys(summary.functions, summary.module))
        self.coroutines.update(summary.coroutines)
        self.returns.update(summary.returns)
        self.yields.update(summary.yields)
        self.attributes.update(summary.attributes)
        self.classes.update(summary.classes)
        self.aliases.update(summary.aliases)

    def add(self, summary: FileSummary, path: str = "", *, solve: bool = True) -> None:
        """One more module's summary (the live model of a run's first pass). Without
        `solve`, which functions reach a blocking call and which coroutines never reach I/O
        stay as they were (worked out again by `solve`): cheaper, and only approximate."""
        self._take(summary)
        if path:
            self.paths[summary.module] = path
        self._resolved = {}
        if solve:
            self.solve()
        elif self._quiet is not None:
            self._quiet |= self._quiet_among(summary.coroutines)

    def replace(self, old: FileSummary, new: FileSummary) -> None:
        """A module's new summary in place of `old` (the live model of a run's first pass,
        when a module's second lint changes its summary), as `add` adds one: what `old`
        defines is forgotten; what it adds to the project-wide sets (the names called,
        spawned and handed to loop runners, the coroutines that start work) stays, an
        over-approximation that the settling rounds correct."""
        for table, part in (
            (self.functions, old.functions),
            (self.modules, old.functions),
            (self.coroutines, old.coroutines),
            (self.returns, old.returns),
            (self.yields, old.yields),
            (self.attributes, old.attributes),
            (self.classes, old.classes),
            (self.aliases, old.aliases),
            (self.creates, old.creates),
            (self.variables, old.variables),
        ):
            for key in part:
                table.pop(key, None)
        for callee, caller in old.awaited:
            pairs = self.awaited.get(callee.rpartition(".")[2])
            if pairs is not None and (callee, caller) in pairs:
                pairs.remove((callee, caller))
        self.stars.pop(old.module, None)
        self.exports.pop(old.module, None)
        if self._quiet is not None:
            self._quiet -= set(old.coroutines)
        self.add(new, solve=False)

    def _quiet_among(self, coroutines: Mapping[str, Coroutine]) -> set[str]:
        """Which of `coroutines` (one module's, just added) never reach I/O, the quiet
        coroutines known before standing as they are (an approximation of `quiet` that
        costs one module, not the project)."""
        candidates = {q for q, c in coroutines.items() if not c.io and c.kind == "plain"}
        targets = {q: [self.resolve(a) for a in coroutines[q].awaits] for q in candidates}
        quiet = self._quiet or set()
        changed = True
        while changed:
            changed = False
            for qual in list(candidates):
                if any(t is None or (t not in quiet and t not in candidates) for t in targets[qual]):
                    candidates.discard(qual)
                    changed = True
        return candidates

    def solve(self, *, keep_quiet: bool = False) -> None:
        """Work out again which functions reach a blocking call (and, when asked, which
        coroutines never reach I/O; with `keep_quiet`, those stay as `add` kept them)."""
        self._resolved = {}
        self._reach = self._solve(waits=False)
        self._reach_waits = self._solve(waits=True)
        if not keep_quiet:
            self._quiet = None
        self._sync_overridden = None

    def resolve(self, name: str) -> str | None:
        """The summarised function a qualified callee name means: through re-exports,
        class calls (`Config()` runs `Config.__init__`) and inherited methods."""
        if name in self._resolved:
            return self._resolved[name]
        self._resolved[name] = None  # guards alias cycles
        found = self._resolve(name)
        self._resolved[name] = found
        return found

    def _unalias(self, name: str) -> str:
        for _ in range(_MAX_HOPS):
            if name in self.aliases:
                name = self.aliases[name]
                continue
            if (
                name in self.functions
                or name in self.coroutines
                or name in self.classes
                or name in self.variables
            ):
                # Defined here: it shadows what a star import brings, and a package's
                # attribute named like its module (`from app.context import context` in
                # `app/__init__.py` leaves `from app.context import Context` meaning the module's).
                break
            owner, _, attr = name.rpartition(".")
            if owner in self.aliases:
                name = f"{self.aliases[owner]}.{attr}"
                continue
            starred = self._starred(owner, attr)
            if starred is not None and starred != name:
                name = starred
                continue
            break
        return name

    def _starred(self, module: str, attr: str) -> str | None:
        """`module.attr` where `module` has no `attr` of its own but star-imports a module
        that exports it (listed in its `__all__`, or public when it has none)."""
        for source in self.stars.get(module, ()):
            exports = self.exports.get(source)
            if attr not in exports if exports is not None else attr.startswith("_"):
                continue
            found = f"{source}.{attr}"
            if (
                found in self.functions
                or found in self.coroutines
                or found in self.classes
                or found in self.aliases
            ):
                return found
        return None

    def _resolve(self, name: str) -> str | None:
        name = self._unalias(name)
        if name in self.functions or name in self.coroutines:
            return name
        if name in self.classes:
            return self._method(name, "__init__")
        owner, _, attr = name.rpartition(".")
        owner = self._unalias(owner)
        if owner in self.classes:
            return self._method(owner, attr)
        return None

    def unalias(self, name: str) -> str:
        """`name` through re-exports: where it is defined, as far as the project shows."""
        return self._unalias(name)

    def unalias_type(self, kind: str) -> str:
        """A type through re-exports, its parameter too (`split_type`)."""
        return map_type(kind, self._unalias)

    def attribute_type(self, cls: str, attr: str) -> str | None:
        """The type class `cls` (or a base, breadth first) gives attribute `attr`."""
        for current in self._bases_of(cls):
            found = self.attributes.get(current, {}).get(attr)
            if found is not None:
                return self.unalias_type(found)
        return None

    def _bases_of(self, cls: str) -> Iterator[str]:
        """`cls` and its known bases, breadth first (as far as `_MAX_HOPS` classes)."""
        queue = deque([cls])
        seen: set[str] = set()
        while queue and len(seen) < _MAX_HOPS:
            current = self._unalias(queue.popleft())
            if current in seen or current not in self.classes:
                continue
            seen.add(current)
            yield current
            queue.extend(self.classes[current][0])

    def _method(self, cls: str, attr: str) -> str | None:
        """`attr` looked up along the bases of `cls` (breadth first, as far as known)."""
        for current in self._bases_of(cls):
            if attr in self.classes[current][1]:
                qual = f"{current}.{attr}"
                return qual if qual in self.functions or qual in self.coroutines else None
        return None

    def _solve(self, *, waits: bool) -> dict[str, tuple[str | None, str]]:
        """function -> (next function in the chain or None, blocking call display); with
        `waits`, only chains to blocking calls that are no file or filesystem calls."""
        reach: dict[str, tuple[str | None, str]] = {}
        callers: dict[str, list[str]] = {}
        queue: deque[str] = deque()
        for qual, function in self.functions.items():
            if function.noqa:
                continue
            blocking = function.wait if waits else function.blocking
            if blocking is not None:
                reach[qual] = (None, blocking)
                queue.append(qual)
            for callee in function.calls:
                target = self.resolve(callee)
                if target is not None and target != qual:
                    callers.setdefault(target, []).append(qual)
        while queue:
            current = queue.popleft()
            for caller in callers.get(current, ()):
                if caller not in reach:
                    reach[caller] = (current, reach[current][1])
                    queue.append(caller)
        return reach

    def quiet(self) -> set[str]:
        """The coroutine functions that never reach I/O: every await in them is of a
        project coroutine that never does either (the largest such set, so coroutines
        that await each other in a cycle without I/O are quiet too)."""
        if self._quiet is None:
            awaiters: dict[str, list[str]] = {}
            loud: deque[str] = deque()
            overridden = self._overridden()
            for qual, coroutine in self.coroutines.items():
                targets = [self.resolve(a) for a in coroutine.awaits]
                if (
                    coroutine.io
                    or coroutine.kind != "plain"
                    or qual in overridden
                    or any(t is None or t not in self.coroutines for t in targets)
                ):
                    loud.append(qual)
                for target in targets:
                    if target is not None:
                        awaiters.setdefault(target, []).append(qual)
            reached = set(loud)
            while loud:
                for awaiter in awaiters.get(loud.popleft(), ()):
                    if awaiter not in reached:
                        reached.add(awaiter)
                        loud.append(awaiter)
            self._quiet = set(self.coroutines) - reached
        return self._quiet

    def _overrides(self) -> Iterator[tuple[str, str]]:
        """Every method of a project class that a subclass overrides, with the override:
        (`app.Base.save`, `app.Disk.save`)."""
        for cls, (_, methods) in self.classes.items():
            ancestors = self._bases_of(cls)
            next(ancestors, None)  # the class itself
            for base in ancestors:
                for method in methods:
                    if method in self.classes[base][1]:
                        yield f"{base}.{method}", f"{cls}.{method}"

    def _overridden(self) -> set[str]:
        """Methods some class of the project overrides: a call through the base may run
        the override, so what the base's body does says nothing for sure."""
        return {base for base, _ in self._overrides()}

    def sync_overridden(self) -> set[str]:
        """Methods some class of the project overrides with a sync `def`: a call through
        the base may run the override, which makes no coroutine."""
        if self._sync_overridden is None:
            self._sync_overridden = {
                base for base, override in self._overrides() if override not in self.coroutines
            }
        return self._sync_overridden

    def chain(self, qual: str, *, waits: bool = False) -> Chain | None:
        """How `qual` reaches a blocking call (with `waits`: one that is no file or
        filesystem call), or None."""
        reach = self._reach_waits if waits else self._reach
        if qual not in reach:
            return None
        helpers: list[str] = []
        places: list[str] = []
        cached: list[str] = []
        current: str | None = qual
        last = qual
        while current is not None and len(helpers) <= len(self.functions):
            function = self.functions[current]
            helpers.append(function.display)
            places.append(self._place(current, function.line))
            if function.cached:
                cached.append(function.display)
            last = current
            current = reach[current][0]
        function = self.functions[last]
        line = function.wait_line if waits else function.blocking_line
        places.append(self._place(last, line))
        code = "" if waits else function.code
        return Chain(tuple(helpers), reach[qual][1], tuple(places), tuple(cached), function.serialises, code)

    def _place(self, qual: str, line: int) -> str:
        path = self.paths.get(self.modules.get(qual, ""))
        return f"{path}:{line}" if path and line else ""


@dataclass(frozen=True)
class HelperCall:
    """A call from a coroutine to a helper that reaches a blocking call."""

    path: str
    site: Site
    chain: Chain
    library: str  # the async library of the calling module


def blocking_helper_calls(
    facts: Mapping[str, object],
    root: str | None = None,
    *,
    files: bool = True,
    project: ProjectIndex | None = None,
) -> list[HelperCall]:
    """Every call site, in the files of `facts` (path -> `FileSummary.to_facts()`), whose
    callee reaches a blocking call through sync helpers of the project. At a site where
    file and filesystem calls are not reported (`Site.quiet_files`), and everywhere
    without `files`, only chains to other blocking calls count. `project`: the model of
    `facts` (with the same `root`), when made already."""
    if not any(isinstance(f, Mapping) and f.get("sites") for f in facts.values()):
        return []
    if project is None:
        project = ProjectIndex(facts, root)
    found = []
    for path, summary in project.summaries.items():
        for site in summary.sites:
            # Making an object (`Crawler()`) is set-up: its constructor's file and
            # filesystem work (a folder made, a local database opened) runs once.
            waits = not files or site.quiet_files or (project.is_class(site.callee) and not site.with_item)
            chain = project.reaches_blocking(site.callee, waits=waits)
            if chain is None and site.with_item:
                # `with Lock(path):` blocks in the class's `__enter__` or `__exit__`.
                for method in ("__enter__", "__exit__"):
                    chain = project.reaches_blocking(f"{site.callee}.{method}", waits=waits)
                    if chain is not None:
                        break
            if chain is not None:
                found.append(HelperCall(path, site, chain, summary.library))
    return found


def shown_path(path: str, root: str | None = None) -> str:
    """`path` as chains show it, with `/`: relative to the innermost of `root` and the
    root of its project (`find_project`) that holds it, else as given."""
    absolute = os.path.abspath(path)
    best: str | None = None
    for folder in (root, find_project(os.path.dirname(absolute))):
        if folder is None:
            continue
        relative = os.path.relpath(absolute, os.path.abspath(folder))
        if not relative.startswith(os.pardir) and (best is None or len(relative) < len(best)):
            best = relative
    return (best if best is not None else path).replace(os.sep, "/")


class ProjectIndex:
    """The project model's query side: the summaries of a project's modules (path ->
    `FileSummary.to_facts()`, as the runner gathers them) and what they reach."""

    def __init__(self, facts: Mapping[str, object], root: str | None = None) -> None:
        self.summaries = {
            path: FileSummary.from_facts(f) for path, f in facts.items() if isinstance(f, Mapping)
        }
        self._renamed = separate_homonyms(self.summaries)
        self._informative: dict[str, bool] = {}
        self._by_module = {s.module: s for s in self.summaries.values()}
        self._root = root
        paths = {s.module: shown_path(path, root) for path, s in self.summaries.items()}
        self._index = Index(self.summaries.values(), paths)
        #: module -> the folder of its top-level package (a top-level module: its file).
        self._tops = {s.module: top_package(path, s.module) for path, s in self.summaries.items()}
        self._alone: dict[str, bool] = {}
        self._folders: dict[str, str] | None = None
        #: folder -> the names in it, for a regular package that does not extend its
        #: `__path__` (None for any other folder): read once, and again when a module
        #: the listing lacks is added (`_forget_entries`).
        self._entries: dict[str, frozenset[str] | None] = {}
        self._packages()

    def _packages(self) -> None:
        """The top-level packages the summaries say install the loop or nest it."""
        #: The top-level packages (or modules) some module of which installs the loop.
        self._loop_setters = {self._tops[s.module] for s in self.summaries.values() if s.sets_loop}
        #: The top-level packages (or modules) some module of which applies `nest_asyncio`.
        self._nested = {self._tops[s.module] for s in self.summaries.values() if s.nests}

    @property
    def functions(self) -> int:
        """How many functions the summaries define."""
        return len(self._index.functions)

    def add(self, path: str, facts: Mapping[str, Any], *, solve: bool = True) -> bool:
        """Add the summary of one more module (see `Index.add`); False, and nothing added,
        when its module name is taken (homonyms are renamed: make the index anew)."""
        summary = FileSummary.from_facts(facts)
        renamed = {old for old, _ in self._renamed.values()}
        if path in self.summaries or summary.module in self._by_module or summary.module in renamed:
            return False
        self.summaries[path] = summary
        self._by_module[summary.module] = summary
        self._tops[summary.module] = top_package(path, summary.module)
        if summary.sets_loop:
            self._loop_setters.add(self._tops[summary.module])
        if summary.nests:
            self._nested.add(self._tops[summary.module])
        self._informative = {}
        self._alone = {}
        if self._folders is not None:
            self._fold(path, summary)
        self._forget_entries(path)
        self._index.add(summary, shown_path(path, self._root), solve=solve)
        return True

    def replace(self, path: str, facts: Mapping[str, Any]) -> None:
        """The summary of a module already added, changed (see `Index.replace`); nothing
        for a path the index left out (a homonym)."""
        old = self.summaries.get(path)
        summary = FileSummary.from_facts(facts)
        if old is None or summary.module != old.module:
            return
        self.summaries[path] = self._by_module[summary.module] = summary
        self._packages()
        self._informative = {}
        self._alone = {}
        self._index.replace(old, summary)

    def solve(self, *, keep_quiet: bool = False) -> None:
        self._informative = {}
        self._alone = {}
        self._index.solve(keep_quiet=keep_quiet)

    def type_of(self, key: str) -> str | None:
        """For a question about a type (`returns`, `enters`, `attribute`, `variable`): the
        type the summaries give, informative or not; None for other questions."""
        kind, _, rest = key.partition(" ")
        if kind == "returns":
            return self.return_type(rest)
        if kind == "enters":
            return self.enter_type(rest)
        if kind == "attribute":
            cls, _, attr = rest.rpartition(" ")
            return self.attribute_type(cls, attr)
        if kind == "variable":
            return self.variable_type(rest)
        return None

    def unseen_type(self, key: str) -> str | None:
        """For a question about a type: the type, when it is a class of a module not
        summarised yet in a top-level package some summarised module belongs to (the live
        model of a first pass)."""
        found = self.type_of(key)
        return self.unseen(found) if found is not None else None

    def unseen(self, found: str) -> str | None:
        """`found` when it is a class of a module not summarised yet (see `unseen_type`)."""
        kind = split_type(found)[1] or found  # `ContextVar[T]`: whether `T` is unseen
        if self.is_class(kind) or catalogued_type(kind):
            return None
        module = kind.rpartition(".")[0]
        if not module or module in self._by_module:
            return None
        top = module.partition(".")[0]
        return found if any(m.partition(".")[0] == top for m in self._by_module) else None

    def own_names(self, path: str) -> Callable[[str], str] | None:
        """For a file whose module was renamed (it shares its name with another file): the
        question with the file's own names in the new spelling; None for other files."""
        if path not in self._renamed:
            return None
        old, new = self._renamed[path]

        def own(key: str) -> str:
            kind, _, name = key.partition(" ")
            if name == old or name.startswith(old + "."):
                return f"{kind} {new}{name[len(old) :]}"
            return key

        return own

    def summary(self, module: str) -> FileSummary | None:
        return self._by_module.get(module)

    def resolve(self, qualname: str) -> str | None:
        """The summarised function `qualname` means (through re-exports and bases)."""
        return self._index.resolve(qualname)

    def reaches_blocking(self, qualname: str, *, waits: bool = False) -> Chain | None:
        """How the sync function `qualname` reaches a blocking call (with `waits`: one
        that is no file or filesystem call), or None."""
        target = self._index.resolve(qualname)
        if target is None or target not in self._index.functions:
            return None
        return self._index.chain(target, waits=waits)

    def return_type(self, qualname: str) -> str | None:
        """What calling `qualname` gives (a class: an instance of it; a coroutine
        function: what awaiting the call gives), from its annotation; None if unknown."""
        name = self._index.unalias(qualname)
        if name in self._index.classes:
            return name
        target = self._index.resolve(qualname)
        found = self._index.returns.get(target) if target is not None else None
        return self._index.unalias_type(found) if found is not None else None

    def enter_type(self, qualname: str) -> str | None:
        """What `with qualname(...) as x` (or `async with`) binds to `x`: the type a
        `@contextmanager`/`@asynccontextmanager` function yields, or what the returned
        object's `__enter__`/`__aenter__` is annotated to return."""
        target = self._index.resolve(qualname)
        if target is not None and target in self._index.yields:
            return self._index.unalias_type(self._index.yields[target])
        made = self.return_type(qualname)
        if made is None:
            return None
        for method in ("__aenter__", "__enter__"):
            entered = self.return_type(f"{made}.{method}")
            if entered is not None:
                return entered
        return None

    def attribute_type(self, cls: str, attr: str) -> str | None:
        """The type class `cls` gives attribute `attr` (annotated in the class body,
        `self.x: T = ...` or `self.x = T(...)` in a method), bases included."""
        return self._index.attribute_type(cls, attr)

    def unalias_type(self, kind: str) -> str:
        """A type through re-exports (see `Index.unalias_type`)."""
        return self._index.unalias_type(kind)

    def is_class(self, name: str) -> bool:
        """Whether `name` is a class of the project (through re-exports)."""
        return self._index.unalias(name) in self._index.classes

    def informative_type(self, name: str, depth: int = 0) -> bool:
        """Whether knowing that a value has type `name` can change what a rule says: a type
        the catalogs know, or a class of the project that gives a rule something to say: a
        base the catalogs know, a coroutine method (never awaited? does it reach I/O?), a
        method that reaches a blocking call, or an attribute of such a type; a
        `ContextVar[T]` when `T` is. (`builtins.str`, a library's model class or the
        project's plain data classes change nothing, and a file is not linted again for
        them.)"""
        parameter = split_type(name)[1]
        if parameter is not None:
            return self.informative_type(parameter, depth)
        name = self._index.unalias(name)
        if catalogued_type(name):
            return True
        index = self._index
        if name not in index.classes or depth > 3:
            return False
        memo = self._informative
        if name in memo:
            return memo[name]
        memo[name] = False  # guards cycles through attributes
        found = any(self._informative_class(cls, depth) for cls in index._bases_of(name))
        memo[name] = found
        return found

    def _informative_class(self, cls: str, depth: int) -> bool:
        index = self._index
        bases, methods = index.classes[cls]
        return (
            any(catalogued_type(index.unalias(b)) for b in bases)
            or any(f"{cls}.{m}" in index.coroutines or f"{cls}.{m}" in index._reach for m in methods)
            or any(self.informative_type(t, depth + 1) for t in index.attributes.get(cls, {}).values())
        )

    def variable_type(self, qualname: str) -> str | None:
        """The type of a module-level variable of the project (through re-exports)."""
        name = self._index.unalias(qualname)
        found = self._index.variables.get(name)
        return self._index.unalias_type(found) if found is not None else None

    def creates(self, qualname: str) -> str | None:
        """The resource constructor whose new instance calling the project function
        `qualname` gives (a factory: the caller owns what it returns), or None."""
        target = self._index.resolve(qualname)
        return self._index.creates.get(target) if target is not None else None

    def sets_loop(self, module: str) -> bool:
        """Whether a module of the top-level package of `module` (no test module) installs
        the current event loop for good: `nest_asyncio.apply()`, or
        `asyncio.set_event_loop(loop)` that is no temporary loop (set back to `None` in the
        same function) and no workaround in an `except` handler (`FileSummary.sets_loop`).
        Another package of the same repository says nothing of this one."""
        top = self._tops.get(module)
        return top is not None and top in self._loop_setters

    def is_coroutine_function(self, qualname: str) -> bool:
        """Whether `qualname` is an `async def` of the project whose call makes a
        coroutine (not an async generator, not behind a decorator, not a method some
        subclass overrides with a sync `def`)."""
        target = self._index.resolve(qualname)
        coroutine = self._index.coroutines.get(target) if target is not None else None
        return (
            coroutine is not None
            and coroutine.kind in ("plain", "stub")
            and target not in self._index.sync_overridden()
        )

    def only_spawned(self, qualname: str) -> bool:
        """Whether the project coroutine function `qualname` runs only as the outermost
        frame of a task: some module spawns it (`create_task(f())`, `background_tasks.
        create(f())`, `tg.start_soon(f)`), and no module calls it otherwise or hands it on
        (a call or reference of the same name, whatever the receiver: `x.f()` counts)."""
        target = self._index.resolve(qualname)
        if target is None or target not in self._index.coroutines:
            return False
        if target.rpartition(".")[2] in self._index.called:
            return False
        return any(self._index.resolve(name) == target for name in self._index.spawned)

    def runs_alone(self, qualname: str) -> bool:
        """Whether the project coroutine function `qualname` only ever runs alone on a loop
        of its own: sync code hands it to a loop runner (`asyncio.run(f())`,
        `loop.run_until_complete(f())`, `anyio.run(f)`), or it is awaited only by coroutine
        functions that run alone themselves; no module uses its name otherwise (a call,
        an argument, an await of an unknown receiver: any receiver counts); and neither it
        nor those callers start concurrent work or have a decorator; and no module of its
        package applies `nest_asyncio`."""
        target = self._index.resolve(qualname)
        if target is None:
            return False
        if target not in self._alone:
            self._alone[target] = False  # guards cycles of awaits
            self._alone[target] = self._runs_alone(target)
        return self._alone[target]

    def _runs_alone(self, target: str) -> bool:
        index = self._index
        coroutine = index.coroutines.get(target)
        if coroutine is None or coroutine.kind != "plain" or target in index.starters:
            return False
        module = target
        while module and module not in self._tops:
            module = module.rpartition(".")[0]
        if self._tops.get(module) in self._nested:
            return False  # `asyncio.run()` may re-enter a running loop
        name = target.rpartition(".")[2]
        if name in index.used_otherwise:
            return False
        callers = []
        for callee, caller in index.awaited.get(name, ()):
            resolved = index.resolve(callee)
            if resolved is None:
                return False  # an await of this name on a receiver of unknown type
            if resolved == target:
                callers.append(caller)
        run = any(index.resolve(r) == target for r in index.runs)
        return (run or bool(callers)) and all(self.runs_alone(caller) for caller in callers)

    def reaches_io(self, qualname: str) -> bool | None:
        """Whether the project coroutine function `qualname` may reach I/O (False: every
        await in it, transitively, is of project coroutines without any: it returns a
        cached or computed value, builds something, or only schedules work); None when
        `qualname` is no coroutine function of the project."""
        target = self._index.resolve(qualname)
        if target is None or target not in self._index.coroutines:
            return None
        return target not in self._index.quiet()

    def missing_module(self, name: str) -> bool:
        """Whether importing the dotted module `name` certainly fails: the longest prefix
        of it that is a package of the project (a folder some summarised module is in)
        is a regular package (its folder has an `__init__.py`) whose folder has no entry
        for the next part (no module, package, stub or extension of that name), and its
        `__init__.py` neither extends `__path__` nor fills `sys.modules`. A package
        outside the project, or a namespace package, says nothing (False)."""
        parts = name.split(".")
        for end in range(len(parts) - 1, 0, -1):
            folder = self._package_folders().get(".".join(parts[:end]))
            if folder is None:
                continue
            if folder not in self._entries:
                self._entries[folder] = _package_entries(folder)
            entries = self._entries[folder]
            if entries is None:
                return False
            return parts[end] not in entries
        return False

    def _package_folders(self) -> dict[str, str]:
        """package -> its folder, for every package that holds a summarised module (its
        folder is found from the module's path); "" for a name two folders share (the
        summaries of several projects, or homonyms)."""
        if self._folders is None:
            self._folders = {}
            for path, summary in self.summaries.items():
                self._fold(path, summary)
        return self._folders

    def _forget_entries(self, path: str) -> None:
        """Forget the entries read of the folders that lack the file at `path` or a folder
        it is in (a module created since they were read)."""
        name, folder = os.path.basename(path).partition(".")[0], os.path.dirname(path)
        while True:
            entries = self._entries.get(folder)
            if entries is not None and name not in entries:
                del self._entries[folder]
            parent = os.path.dirname(folder)
            if parent == folder:
                return
            name, folder = os.path.basename(folder), parent

    def _fold(self, path: str, summary: FileSummary) -> None:
        """Add to `_folders` the packages of the module at `path`."""
        assert self._folders is not None
        parts = summary.module.split(".") if summary.module else []
        folder = os.path.dirname(path)
        if os.path.basename(path) != "__init__.py":
            parts = parts[:-1]
        # `a.b.c` in `/r/a/b/c.py`: `a.b` is `/r/a/b`, `a` is `/r/a`.
        while parts and os.path.basename(folder) == parts[-1]:
            package = ".".join(parts)
            if self._folders.setdefault(package, folder) != folder:
                self._folders[package] = ""  # two folders of one name: no answer
            parts = parts[:-1]
            folder = os.path.dirname(folder)


def _package_entries(folder: str) -> frozenset[str] | None:
    """The names of the entries in `folder` up to their first dot (`mod` for `mod.py`,
    `mod.pyi`, `mod.cpython-311-x86_64-linux-gnu.so` and the folder `mod`) when it is a
    regular package (an `__init__.py`) that cannot make submodules its folder lacks; None
    otherwise, and for "" (a name two folders share)."""
    if not folder:
        return None
    try:
        entries = frozenset(os.listdir(folder))
    except OSError:
        return None
    if "__init__.py" not in entries:
        return None
    try:
        with open(os.path.join(folder, "__init__.py"), encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    if any(word in text for word in _PATH_MAKERS):
        return None
    return frozenset(entry.partition(".")[0] for entry in entries)


#: What a package's `__init__.py` holds when it may make submodules its folder lacks.
_PATH_MAKERS = ("__path__", "sys.modules", "extend_path")


def top_package(path: str, module: str) -> str:
    """The folder of the top-level package of the module `module` (its dotted name; a
    renamed homonym's `name@path` counts as `name`) at `path`, or for a top-level module its
    file: the unit a fact about "the application" covers."""
    depth = module.partition("@")[0].count(".")
    base = os.path.abspath(path)
    if os.path.basename(base).startswith("__init__."):
        base = os.path.dirname(base)
    for _ in range(depth):
        base = os.path.dirname(base)
    return os.path.normpath(base)


def find_project(folder: str) -> str | None:
    """The root of the project `folder` belongs to: the nearest folder at or above it with a
    `pyproject.toml`, `setup.cfg`, `setup.py` or `.git`; None outside any project (the
    file-system root and the home folder never count: a dotfile repository there must not
    make every stray script part of one huge project)."""
    return _find_project(os.path.normpath(os.path.abspath(folder)))


@functools.lru_cache(maxsize=1024)
def _find_project(folder: str) -> str | None:
    home = os.path.normpath(os.path.expanduser("~"))
    while True:
        parent = os.path.dirname(folder)
        if parent == folder or folder == home:
            return None
        if any(os.path.exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS):
            return folder
        folder = parent


# Questions and answers -------------------------------------------------------------------
#
# A file's lint asks the project model about names defined elsewhere ("does this project
# coroutine reach I/O?", "what does this helper return?") through `ProjectView`. The first
# lint of a file has no answers: every question is answered "unknown" (None), which leaves
# the rules as they judge a file alone, and the view records what was asked. Once every
# module's summary is known, the runner answers the questions (`ProjectIndex.answer`) and
# lints again the files whose answers differ from those they were linted with; the cache
# keeps each file's questions with the answers used. Answers are plain data, and only
# informative answers count (a coroutine that may reach I/O is "unknown", like one the
# project does not define), so that most files are never linted twice.

#: The kinds of question, each about one or two qualified names (`loop`: a module, for its
#: top-level package).
QUESTION_KINDS = (
    "io",
    "coroutine",
    "returns",
    "enters",
    "attribute",
    "creates",
    "variable",
    "loop",
    "task",
    "alone",
    "missing",
)


def split_type(kind: str) -> tuple[str, str | None]:
    """A type and its parameter: `contextvars.ContextVar[app.Context]` ->
    (`contextvars.ContextVar`, `app.Context`); a plain class has none. Only the inference
    of `ContextVar[T].get()` writes a parameter (`analysis/types.py`); a rule sees the bare
    class."""
    outer, bracket, rest = kind.partition("[")
    if bracket and rest.endswith("]"):
        return outer, rest[:-1]
    return kind, None


def map_type(kind: str, change: Callable[[str], str]) -> str:
    """`change` applied to a type and to its parameter (`split_type`)."""
    outer, parameter = split_type(kind)
    if parameter is None:
        return change(kind)
    return f"{change(outer)}[{map_type(parameter, change)}]"


def may_be_project_name(name: str) -> bool:
    """Whether `name` may be defined by the project being linted: not a builtin, and not in
    the standard library (whose functions the catalogs describe)."""
    top = name.partition(".")[0]
    return top not in sys.stdlib_module_names and top != "builtins"


def question(kind: str, *names: str) -> str:
    """The key of a question: its kind and the names it is about."""
    assert kind in QUESTION_KINDS
    return " ".join((kind, *names))


class ProjectView:
    """What one file's lint knows of the rest of the project (see above)."""

    def __init__(
        self,
        answers: Mapping[str, object] | None = None,
        oracle: Callable[[str], object] | None = None,
        declared: Callable[[str], object] | None = None,
    ) -> None:
        self._answers = answers or {}
        #: Answers the questions `answers` does not hold (the live model of a first pass).
        self._oracle = oracle
        #: Answers what `oracle` does not know of the file's own names, from their
        #: definitions (`types.declared_type`).
        self._declared = declared
        #: Every question asked, with the answer given.
        self.asked: dict[str, object] = {}

    def _ask(self, key: str) -> object:
        if key in self.asked:
            return self.asked[key]
        answer = self._answers.get(key)
        if answer is None and self._oracle is not None and key not in self._answers:
            answer = self._oracle(key)
            if answer is None and self._declared is not None:
                answer = self._declared(key)
        self.asked[key] = answer
        return answer

    def reaches_io(self, qualname: str) -> bool | None:
        """False when `qualname` is a coroutine function of the project that never reaches
        I/O (see `ProjectIndex.reaches_io`); None otherwise (unknown, or it may)."""
        return False if self._ask(question("io", qualname)) is False else None

    def is_coroutine_function(self, qualname: str) -> bool:
        """Whether calling `qualname` certainly makes a coroutine: an undecorated `async def`
        of the project (no async generator)."""
        return self._ask(question("coroutine", qualname)) is True

    def sets_loop(self, module: str) -> bool:
        """Whether the application (the top-level package of `module`) installs the current
        event loop itself, in some module (see `ProjectIndex.sets_loop`)."""
        return self._ask(question("loop", module)) is True

    def only_spawned(self, qualname: str) -> bool:
        """Whether the project coroutine function `qualname` only ever runs as a task's
        outermost frame (see `ProjectIndex.only_spawned`)."""
        return self._ask(question("task", qualname)) is True

    def runs_alone(self, qualname: str) -> bool:
        """Whether the project coroutine function `qualname` only ever runs alone on a loop
        of its own (see `ProjectIndex.runs_alone`)."""
        return self._ask(question("alone", qualname)) is True

    def missing_module(self, name: str) -> bool:
        """Whether importing the dotted module `name` certainly fails (see
        `ProjectIndex.missing_module`)."""
        return self._ask(question("missing", name)) is True

    def _name(self, kind: str, *names: str) -> str | None:
        """A question whose answer is a qualified name (a type, a constructor)."""
        answer = self._ask(question(kind, *names))
        return answer if isinstance(answer, str) else None

    def return_type(self, qualname: str) -> str | None:
        return self._name("returns", qualname)

    def enter_type(self, qualname: str) -> str | None:
        return self._name("enters", qualname)

    def attribute_type(self, cls: str, attr: str) -> str | None:
        return self._name("attribute", cls, attr)

    def variable_type(self, qualname: str) -> str | None:
        return self._name("variable", qualname)

    def creates(self, qualname: str) -> str | None:
        """The resource constructor a project factory returns a new instance of, or None."""
        return self._name("creates", qualname)


def answer(index: ProjectIndex, key: str) -> object:
    """The informative answer to the question `key` (None: unknown or uninformative)."""
    kind, _, rest = key.partition(" ")
    if kind == "io":
        return False if index.reaches_io(rest) is False else None
    if kind == "coroutine":
        return True if index.is_coroutine_function(rest) else None
    if kind == "task":
        return True if index.only_spawned(rest) else None
    if kind == "alone":
        return True if index.runs_alone(rest) else None
    if kind == "creates":
        return index.creates(rest)
    if kind == "loop":
        return True if index.sets_loop(rest) else None
    if kind == "missing":
        return True if index.missing_module(rest) else None
    found = index.type_of(key)
    return found if found is not None and index.informative_type(found) else None


@functools.lru_cache(maxsize=1)
def _catalogued() -> frozenset[str]:
    """Every dotted name the catalogs mention (callables, methods, types)."""
    from asynclint.catalogs import blocking, calls, concurrency, loop_api, resources, timeouts, types

    found: set[str] = set()

    def visit(value: object, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(value, str):
            if "." in value and value.replace(".", "").replace("_", "").isalnum():
                found.add(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit(key, depth + 1)
                visit(item, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                visit(item, depth + 1)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                visit(getattr(value, name, None), depth + 1)

    for module in (blocking, calls, concurrency, loop_api, resources, timeouts, types):
        for name, value in vars(module).items():
            if name.isupper():
                visit(value)
    return frozenset(found)


def catalogued_type(name: str) -> bool:
    """Whether a rule's catalog knows `name` or a member of it (`pathlib.Path` for
    `pathlib.Path.read_text`)."""
    known = _catalogued()
    if name in known:
        return True
    prefixes = _catalogued_owners()
    return name in prefixes


@functools.lru_cache(maxsize=1)
def _catalogued_owners() -> frozenset[str]:
    owners: set[str] = set()
    for name in _catalogued():
        parts = name.split(".")
        for end in range(1, len(parts)):
            owners.add(".".join(parts[:end]))
    return frozenset(owners)


def answers_for(
    index: ProjectIndex, asked: Mapping[str, object], path: str | None = None
) -> dict[str, object]:
    """The answers to the questions of `asked` (question -> answer used) that the file at
    `path` asked (its own module's names mean its own definitions, also when another file
    has the same module name)."""
    own = index.own_names(path) if path is not None else None
    return {key: answer(index, own(key) if own is not None else key) for key in asked}


def may_set_loop(text: str) -> bool:
    """Whether a module's code may install the event loop (`FileSummary.sets_loop`): the
    summary decides; a subset run reads every module of the project for this, no parse."""
    return "set_event_loop" in text or "nest_asyncio" in text


#: What the code of a module that may ask the `loop` question holds.
LOOP_QUESTION_HINT = "get_event_loop"


class LiveModel:
    """The project model of the modules linted so far in this process (a run's first pass,
    in an order where a module mostly comes after those it imports): answers that are most
    often the final ones already, so that few files are linted again. They need not be:
    the runner answers every file's questions again with the whole project's model and lints
    again the files whose answers differ (`Runner._settle`), so results never depend on
    them.

    Which functions reach a blocking call and which coroutines never reach I/O are
    project-wide searches: they are made again when the functions have grown by a tenth
    since the last ones, not after every module."""

    def __init__(self) -> None:
        #: path -> the summary last given for it.
        self._given: dict[str, Mapping[str, Any]] = {}
        self._new: list[tuple[str, Mapping[str, Any]]] = []
        self._index: ProjectIndex | None = None
        self._solved = 0

    def add(self, path: str, facts: object) -> None:
        """The summary (`FileSummary.to_facts()`) of the module at `path`, just linted; a
        second summary of the same module (linted again with its own answers) replaces
        the first when it differs."""
        if not isinstance(facts, Mapping):
            return
        given = self._given.get(path)
        if given is facts:
            return
        self._given[path] = facts
        if given is None:
            self._new.append((path, facts))
        elif given != facts:
            for number, (waiting, _) in enumerate(self._new):
                if waiting == path:  # not in the index yet
                    self._new[number] = (path, facts)
                    return
            if self._index is not None:
                self._index.replace(path, facts)

    def answer(self, key: str) -> object:
        """The informative answer to the question `key`, as far as the modules so far tell;
        a type that a module of the project not yet seen defines counts as informative (the
        project's classes mostly are: a guess the runner checks, which spares a second lint
        when right)."""
        index = self._current()
        if index is None:
            return None
        found = answer(index, key)
        return found if found is not None else index.unseen_type(key)

    def answer_type(self, found: str) -> str | None:
        """The answer to a question about a type whose type is `found` (the one the file's
        own definitions declare), judged as `answer` judges the summaries' types."""
        index = self._current()
        if index is None:
            return None
        found = index.unalias_type(found)
        return found if index.informative_type(found) else index.unseen(found)

    def _current(self) -> ProjectIndex | None:
        if self._new:
            new, self._new = self._new, []
            index = self._index
            if index is None:
                index = self._index = ProjectIndex(dict(new))
                self._solved = index.functions
                return index
            for path, facts in new:
                # A module whose name another has already stays out (made anew, the model
                # would rename both: `separate_homonyms`).
                index.add(path, facts, solve=False)
            if index.functions >= self._solved * 1.1:
                # The quiet coroutines are not worked out again: `add` kept them up to
                # date module by module (approximately, as the rest of this model; the
                # settling rounds answer with the whole project's model).
                index.solve(keep_quiet=True)
                self._solved = index.functions
        return self._index


# What a subset run summarises ------------------------------------------------------------
#
# A run of some files of a project (one file named, pre-commit's staged files, the flake8
# plugin, standard input) needs the summaries of the modules those files import, and of the
# modules those import in turn: every name the project model is asked about is reached that
# way. The imports are read from the text (no parse), so finding them costs a read of each
# module in the closure. The one question about modules that need not be imported (`loop`:
# does some module of the package install the event loop?) is answered with the modules
# whose text may (`may_set_loop`), read once per runner when a named file holds
# `get_event_loop`.

_IMPORT_RE = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<source>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    r"|import[ \t]+(?P<modules>[^\n#;]*))",
    re.M,
)


def imported_modules(text: str, module: str, is_package: bool, *, top_level: bool = False) -> set[str]:
    """The dotted names of the modules (and packages) the code `text` of module `module`
    may import: `import a.b` gives `a` and `a.b`; `from a import b` gives `a` and `a.b`
    (`b` may be a submodule); relative imports are resolved against `module`. With
    `top_level`, only the imports of unindented lines (those the module runs when imported;
    an indented one is in a function, or under `if TYPE_CHECKING:`, often to break a cycle)."""
    found: set[str] = set()
    for match in _IMPORT_RE.finditer(text):
        if top_level and text[match.start()] in " \t":
            continue
        if match.group("modules") is not None:
            for item in match.group("modules").split(","):
                _add_with_parents(found, item.split(" as ")[0].strip())
            continue
        source = _absolute(match.group("source"), module, is_package)
        if source is None:
            continue
        if source:
            _add_with_parents(found, source)
        for item in match.group("names").strip("()").split(","):
            name = item.split(" as ")[0].strip()
            if name and name != "*" and name.isidentifier():
                found.add(f"{source}.{name}" if source else name)
    return found


def required_modules(module: cst.Module, info: ModuleInfo) -> list[str]:
    """The dotted names of the modules the body of `module` imports unconditionally (a
    statement of the body itself, not under `if` or `try`) and that must be modules:
    `import a.b` needs `a.b`, `from a.b import c` needs `a.b` (`c` may be a name in it)."""
    import libcst as cst

    from asynclint.analysis.nodes import dotted_name

    found: list[str] = []
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for item in statement.body:
            if isinstance(item, cst.Import):
                found.extend(n for alias in item.names if (n := dotted_name(alias.name)))
            elif isinstance(item, cst.ImportFrom):
                source = dotted_name(item.module) if item.module is not None else None
                if item.relative:
                    if source is None:
                        continue  # `from . import x`: the package itself
                    source = info.absolute(len(item.relative), source)
                if source:
                    found.append(source)
    return found


def _add_with_parents(found: set[str], dotted: str) -> None:
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        return
    for end in range(1, len(parts) + 1):
        found.add(".".join(parts[:end]))


def _absolute(source: str, module: str, is_package: bool) -> str | None:
    """The absolute name of an import's source (`..util` in `pkg.sub.mod`: `pkg.util`)."""
    dots = len(source) - len(source.lstrip("."))
    if not dots:
        return source
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    up = dots - 1
    if up > len(base):
        return None
    base = base[: len(base) - up]
    rest = source[dots:]
    return ".".join([*base, rest] if rest else base)
