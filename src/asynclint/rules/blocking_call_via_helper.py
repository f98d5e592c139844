from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import libcst as cst

from asynclint import registry
from asynclint.analysis.methods import self_class
from asynclint.analysis.nodes import describe_call, is_none, last_name, positional_args, walk
from asynclint.analysis.types import CONTEXT_MANAGERS, type_of
from asynclint.catalogs import blocking as catalog
from asynclint.catalogs.calls import TO_THREAD
from asynclint.catalogs.concurrency import TRANSPARENT_DECORATORS
from asynclint.catalogs.loop_api import RUNNERS
from asynclint.catalogs.resources import RESOURCES
from asynclint.diagnostics import Diagnostic, Location
from asynclint.project import (
    Chain,
    Coroutine,
    FileSummary,
    Function,
    ProjectIndex,
    Site,
    blocking_helper_calls,
    may_be_project_name,
    may_set_loop,
    valid_facts,
)
from asynclint.rule import FixSafety, Rule
from asynclint.rules._blocking import (
    callee_name,
    cheap,
    classify,
    file_call,
    files_quiet,
    lookup,
    offloaded_iterator,
    signals_only,
    spawn_only,
    stalls_nothing,
    starts_work,
)
from asynclint.rules._cancellation import spawns
from asynclint.settings import Settings

if TYPE_CHECKING:
    from asynclint.analysis.context import Context


class BlockingCallViaHelper(Rule):
    """
    ## What it does
    Finds calls from an `async def` to a sync function that reaches a blocking call
    (one that ASL100 to ASL114 report), directly or through further sync functions, in the
    same module or in another module of the project (also when only some of its files are
    linted: see "The project model" in the command-line documentation): a module function,
    a method called on `self` or on a receiver of known type, a class whose `__init__`
    blocks, a function imported from another file, a static or class method inherited
    through a subclass. The message shows the chain with the place of every hop, for
    example `load_config() (app/config.py:8) → read_settings() (app/io.py:3) →
    requests.get() (app/io.py:4)` (paths relative to the project root). Chains that end in
    a file or filesystem call (ASL105 to ASL107) count only when one of those rules is
    selected; they are off by default. Helpers are followed only along
    the straight-line path of each function (loops included): a call under an
    `if`/`else`, an `except`, a `case` or a conditional expression is left out, since such
    branches mostly depend on configuration the caller does not set; so is the rest of a
    function after a platform guard (`if sys.platform != "win32": return`), and after a
    `try` that returns on success (its body or `else:` ends in a `return`) and catches
    only `ImportError`/`ModuleNotFoundError`: that rest runs only when a package is
    missing, like the handler (`try: return import_module(name)`, `except ImportError:
    pass`, then `pip install` of the package). The branch a
    sync wrapper takes when a loop runs (`loop = asyncio.get_running_loop()` in a `try`,
    then `if loop is None: ... else: future.result()`) is followed: a coroutine's call
    takes it. Calls that are awaited, and functions handed to `asyncio.to_thread` (not
    called), are not reported. `# noqa: ASL116` on a helper's `def` line declares it fine
    for every caller; a `# noqa` on the blocking call inside the helper does the same for
    that call.

    What is not worth a thread hop is not followed: cheap metadata calls (the light tier
    of ASL107: `os.makedirs(..., exist_ok=True)`, `Path.mkdir`, `os.path.exists`) and
    sleeps of at most 10 ms written as a literal (`time.sleep(0.001)` for a distinct
    timestamp). Nor are the file reads of a helper that locates them by `__file__` (a
    bundled script or template: the package's own small resources). A function under a decorator that runs it in a worker thread
    (`asgiref.sync.sync_to_async`, `channels.db.database_sync_to_async`,
    `asyncer.asyncify`, and those of `offload-decorators`) does not block its callers; nor
    does a dispatcher: a sync function under a decorator factory given a coroutine function
    of the same scope (`@async_dispatch(aapply)` on `def apply`), which hands an `async
    def` the coroutine of that function. Calling a `@contextmanager` function only builds
    the context manager: such a call outside a `with` item (kept for later, handed to
    `ExitStack.enter_context`) is charged the code before the `yield` (what entering runs)
    only; its tear-down after the `yield` counts for a `with helper():` (in the
    coroutine or in a helper). A `subprocess.Popen` that is not a `with` item only starts
    the child (see ASL103) and is not followed, nor is a run of a command that only
    sends a signal (`taskkill`, `kill`: see ASL103). Chains that start in command-line code,
    a script or a coroutine the project runs only under `asyncio.run()`, where nothing
    runs beside the coroutine, are not reported (see ASL101).
    In test files and command-line code (see ASL105: a `cli` package, a `__main__`
    module, a command, a coroutine that prompts the user) only chains to other blocking
    calls than file and filesystem calls (a SQLite database file included) are reported,
    unless `test-file-io = true`. `self.save()` with no arguments whose chain stays in the
    methods of the class and ends in pickling or JSON-dumping (or loading) a file is not
    reported: it serialises the object's own state, which the loop's handlers mutate, so
    `to_thread` would race them; such persistence is sync by design.

    A helper under `functools.cache`/`lru_cache` blocks on its first call only, and the
    message says so. A helper entered as a context manager (`with helper() as x:`, or a
    class whose `__enter__` or `__exit__` blocks) blocks on entry and exit: the advice is
    to move the whole `with` block into a thread or to make the helper an async context
    manager.

    ## Why is this bad?
    A blocking call wrapped in a helper blocks the loop just the same; linters that look
    only at the `async def` itself miss it, and in real code most blocking calls sit one or
    more helpers deep.

    ## Example
        import requests

        def read_settings(url):
            return requests.get(url, timeout=5).json()

        def load_config():
            return read_settings("https://config.example/settings.json")

        async def start():
            return load_config()

    ## Use instead
        import asyncio

        import requests

        def read_settings(url):
            return requests.get(url, timeout=5).json()

        def load_config():
            return read_settings("https://config.example/settings.json")

        async def start():
            return await asyncio.to_thread(load_config)

    ## Fix safety
    No fix: whether to run the helper in a thread or to make it async is a design choice.
    """

    code = "ASL116"
    name = "blocking-call-via-helper"
    message = (
        "`{helper}()` blocks the event loop in `async def {function}`{note}: {chain} ({depth} deep); {advice}"
    )
    fix_safety = FixSafety.NONE
    # Files with coroutines call helpers; files without them are summarised only when
    # they can hold a helper at all.
    triggers = (("def", "import"),)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        module = ctx.module_info.name or "__main__"
        self.summary = FileSummary(module)
        self._module = module
        #: Whether the module's text has a `yield` at all (an `async def` without one is
        #: not a generator: `_kind` need not look).
        self._yields = "yield" in ctx.source
        #: id(FunctionDef) -> (qualified name, def name node) of summarised sync functions.
        self._functions: dict[int, tuple[str, cst.Name]] = {}
        #: qualified name -> (as shown, rule code, call, a file call) of its blocking calls
        self._blocking: dict[str, list[tuple[str, str, cst.Call, bool]]] = {}
        #: (callee, as written, call, enclosing coroutine, file calls quiet, `with` item,
        #: arguments of the object's own state)
        self._sites: list[tuple[str, str, cst.Call, str, bool, bool, bool]] = []
        #: id(async FunctionDef) -> its summary (for the project model's "reaches I/O").
        self._coroutines: dict[int, Coroutine] = {}
        #: Possible factories (sync functions without a caching or parametrised decorator)
        #: -> the resource constructors their returns give ("" for anything else).
        self._returns: dict[str, set[str]] = {}
        #: Whether chains that end in a file call count (a file rule is selected), once asked.
        self._file_chains: bool | None = None
        #: Whether the module may install the event loop (`FileSummary.sets_loop`).
        self._loop_setter = not ctx.is_test_file and may_set_loop(ctx.source)
        #: What the module runs as tasks (qualified) and everything else it calls or hands
        #: on as a function (last names), for the project model's task bodies.
        self._spawned: set[str] = set()
        self._called: set[str] = set()
        self._spawned_calls: set[int] = set()
        #: For the project model's coroutines that run alone: id(async FunctionDef) -> its
        #: qualified name; what loop runners run; [callee, caller] awaits; the calls and
        #: references that are a runner's argument or a direct await (ids), the last names
        #: used so and those used otherwise; coroutine functions that start work.
        self._coroutine_names: dict[int, str] = {}
        self._runs: set[str] = set()
        self._awaited: set[tuple[str, str]] = set()
        self._plain_uses: set[int] = set()
        self._plain: set[str] = set()
        self._other: set[str] = set()
        self._starters: set[str] = set()

    # Definitions ---------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.ctx.frame.kind != "module":
            return
        bases = []
        for arg in node.bases:
            if arg.keyword is None:
                name = self.ctx.qualified_name(arg.value)
                if name is not None:
                    bases.append(name)
        methods = [
            stmt.name.value
            for stmt in (node.body.body if isinstance(node.body, cst.IndentedBlock) else ())
            if isinstance(stmt, cst.FunctionDef)
        ]
        self.summary.classes[f"{self._module}.{node.name.value}"] = (bases, methods)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        """The project model's attribute types of a module-level class."""
        frame = self.ctx.frame_of(node)
        if frame is None or frame.parent is None or frame.parent.kind != "module":
            return
        known = {a: t for a, t in self.ctx.class_attribute_types(frame).items() if t is not None}
        if known:
            self.summary.attributes[f"{self._module}.{node.name.value}"] = known

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = self.ctx.frame  # the scope the def is in
        if frame.kind == "module":
            display = node.name.value
        elif frame.kind == "class" and frame.parent is not None and frame.parent.kind == "module":
            assert isinstance(frame.node, cst.ClassDef)
            display = f"{frame.node.name.value}.{node.name.value}"
        else:
            return
        qual = f"{self._module}.{display}"
        self._types(node, qual)
        if node.asynchronous is not None:
            decorated = any(
                self._decorator(d.decorator) not in TRANSPARENT_DECORATORS for d in node.decorators
            )
            coroutine = self.summary.coroutines[qual] = Coroutine(
                display, decorated, kind=_kind(node, decorated, self._yields)
            )
            self._coroutines[id(node)] = coroutine
            self._coroutine_names[id(node)] = qual
            return
        decorators = [self._decorator(d.decorator, factory=True) for d in node.decorators]
        offload = catalog.OFFLOAD_DECORATORS | set(self.ctx.settings.offload_decorators)
        if any(d in offload for d in decorators):
            return  # runs in a worker thread: calling it does not block
        if any(self._dispatcher(d.decorator) for d in node.decorators):
            return  # from async code, the call gives the async implementation's coroutine
        self._functions[id(node)] = (qual, node.name)
        if not any(
            d in _SHARING or isinstance(e.decorator, cst.Call)
            for d, e in zip(decorators, node.decorators, strict=True)
        ):
            # A possible factory: no decorator that caches what it returns (or may change it).
            self._returns[qual] = set()
        if self.ctx.has_noqa:
            self.ctx.want_position(node.name)
        function = self.summary.functions[qual] = Function(display, False, None)
        function.cached = any(d in catalog.CACHE_DECORATORS for d in decorators)
        if any(d in CONTEXT_MANAGERS for d in decorators):
            # Its tear-down (after the `yield`) runs at the exit of a `with`, not at the call.
            self.summary.functions[qual + EXIT] = Function(display, False, None)

    def _dispatcher(self, expr: cst.BaseExpression) -> bool:
        """A decorator factory given a coroutine function of this scope
        (`@async_dispatch(aapply)`): the decorated sync function dispatches to it when a
        loop runs, so an `async def` calling it gets a coroutine to await."""
        if not isinstance(expr, cst.Call):
            return False
        for arg in expr.args:
            if arg.keyword is not None or not isinstance(arg.value, cst.Name):
                continue
            found = self.ctx.frame.lookup(arg.value.value)
            if found is None:
                continue
            bindings = found[1]
            if bindings and all(
                b.kind == "def" and isinstance(b.node, cst.FunctionDef) and b.node.asynchronous is not None
                for b in bindings
            ):
                return True
        return False

    def _types(self, node: cst.FunctionDef, qual: str) -> None:
        """The project model's types: what the function returns or, for a context-manager
        function, yields."""
        ctx, frame = self.ctx, self.ctx.frame
        if node.returns is None:
            return
        annotation = node.returns.annotation
        decorators = {self._decorator(d.decorator) for d in node.decorators}
        if decorators & CONTEXT_MANAGERS:
            if isinstance(annotation, cst.Subscript) and ctx.qualified_name(annotation.value) in _ITERATORS:
                first = annotation.slice[0].slice
                if isinstance(first, cst.Index):
                    entered = ctx.annotation_type(first.value, frame)
                    if entered is not None:
                        self.summary.yields[qual] = entered
            return
        returned = ctx.annotation_type(annotation, frame)
        if returned is not None:
            self.summary.returns[qual] = returned

    def _decorator(self, expr: cst.BaseExpression, *, factory: bool = False) -> str:
        """A decorator's qualified name; with `factory`, a decorator factory's
        (`lru_cache(maxsize=8)`) too, else "" for one."""
        if isinstance(expr, cst.Call):
            if not factory:
                return ""  # a decorator factory: unknown
            expr = expr.func
        name = self.ctx.qualified_name(expr)
        return (name or "").removeprefix("builtins.")

    # Factories (does a function hand its caller a new resource?) ---------------------------

    def visit_Return(self, node: cst.Return) -> None:
        frame = self.ctx.frame.function_frame()
        owner = self._functions.get(id(frame.node)) if frame is not None else None
        if owner is None:
            return
        found = self._returns.get(owner[0])
        if found is not None:
            made = self._made_resource(node.value) if node.value is not None else None
            found.add(made or "")

    def _made_resource(self, value: cst.BaseExpression) -> str | None:
        """The resource constructor whose new instance `value` is: a call of one, or a local
        name bound once to such a call."""
        if isinstance(value, cst.Name):
            found = self.ctx.lookup(value.value)
            if found is None or found[0].kind != "function" or len(found[1]) != 1:
                return None
            binding = found[1][0]
            if binding.kind != "assign" or not isinstance(binding.value, cst.Call):
                return None
            value = binding.value
        if not isinstance(value, cst.Call):
            return None
        name = self.ctx.call_name(value)
        return name if name in _CREATORS else None

    def _factories(self) -> None:
        """The summary's factories: functions whose every `return` gives a new resource of
        one constructor, not behind a caching decorator."""
        for qual, made in self._returns.items():
            if len(made) == 1 and "" not in made:
                self.summary.creates[qual] = next(iter(made))

    # Awaits (does a coroutine reach I/O?) --------------------------------------------------

    def _coroutine(self) -> Coroutine | None:
        function = self.ctx.async_function
        return self._coroutines.get(id(function)) if function is not None else None

    def visit_Await(self, node: cst.Await) -> None:
        coroutine = self._coroutine()
        if coroutine is None:
            return
        callee = self._callee(node.expression) if isinstance(node.expression, cst.Call) else None
        if callee is not None:
            function = self.ctx.async_function
            assert function is not None
            self._awaited.add((callee, self._coroutine_names[id(function)]))
            self._plain_uses.add(id(node.expression))
        if coroutine.io:
            return
        if callee is None:
            coroutine.io = True
        else:
            coroutine.awaits.append(callee)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._may_do_io()

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._may_do_io()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._may_do_io()

    def _may_do_io(self) -> None:
        coroutine = self._coroutine()
        if coroutine is not None:
            coroutine.io = True

    # Calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        self._tasks(node)
        ctx = self.ctx
        if self._loop_setter and not self.summary.sets_loop and _installs_loop(ctx, node):
            self.summary.sets_loop = True
        if ctx.on_loop:
            if isinstance(ctx.parent, cst.Await):
                return
            function = ctx.async_function
            if function is None:
                return
            callee = self._callee(node)
            # A call of the standard library reaches no summarised function (the catalogs
            # describe the blocking ones): it is no site, and needs no position.
            if callee is not None and may_be_project_name(callee) and not stalls_nothing(ctx, function):
                ctx.want_position(node)
                with_item = _with_item(ctx.stack, node)
                # Only chains to file calls ask (and those count only when a file rule is
                # selected: `project_diagnostics`).
                if self._file_chains is None:
                    self._file_chains = bool(catalog.FILE_CODES & registry.selected_codes(ctx.settings))
                quiet = self._file_chains and files_quiet(ctx, function)
                own = self._own_arguments(node)
                self._sites.append(
                    (callee, describe_call(node), node, function.name.value, quiet, with_item, own)
                )
            return
        frame = ctx.frame.function_frame()
        if frame is None:
            return
        owner = self._functions.get(id(frame.node))
        if owner is None:
            return
        qual = owner[0]
        if qual + EXIT in self.summary.functions and id(node) in ctx.memo(
            "after-yield", frame.node, lambda: _after_yield(frame.node)
        ):
            qual += EXIT
        if self._serialiser(node):
            self.summary.functions[qual].serialises = True

        def running() -> frozenset[str]:
            return ctx.memo("running-loop", frame.node, lambda: self._running_loop_names(frame.node))

        if _conditional(ctx.stack, frame.node, running) or _after_guard(ctx, ctx.stack, frame.node):
            return
        hit = classify(ctx, node)
        if hit is not None:
            resource = file_call(hit) and ctx.memo(
                "package-resource", frame.node, lambda: _reads_package(frame.node)
            )
            skip = (
                (hit.entry.lazy and offloaded_iterator(ctx))
                or spawn_only(ctx, node, hit)
                or signals_only(node, hit)
            )
            if not skip and not cheap(hit.key, node) and not resource:
                ctx.want_position(node)
                self._blocking.setdefault(qual, []).append(
                    (hit.shown(node), hit.entry.code, node, file_call(hit))
                )
            return
        callee = self._callee(node)
        if callee is not None:
            calls = self.summary.functions[qual].calls
            calls.append(callee)
            if _with_item(ctx.stack, node):
                calls.append(callee + EXIT)  # a helper's `with` runs the tear-down too

    def _tasks(self, node: cst.Call) -> None:
        """The project model's task bodies: `create_task(f())`, a task helper's
        `background_tasks.create(f())` and `tg.start_soon(f, ...)` spawn `f`; every other
        call, and a function handed to a call, counts as a direct use of its name."""
        func = node.func
        if isinstance(func, (cst.Name, cst.Attribute)):
            if id(node) not in self._spawned_calls:
                self._called.add(last_name(func))
            (self._plain if id(node) in self._plain_uses else self._other).add(last_name(func))
        self._alone(node)
        args = positional_args(node)
        target = args[0].value if args else None
        if spawns(func) and isinstance(target, cst.Call):
            self._spawned_calls.add(id(target))
            name = self._callee(target)
        elif last_name(func) == "start_soon" and isinstance(target, (cst.Name, cst.Attribute)):
            name = self._callee(cst.Call(func=target))
            args = args[1:]
        else:
            name = None
        if name is not None:
            self._spawned.add(name)
        for arg in args:
            if isinstance(arg.value, (cst.Name, cst.Attribute)):
                self._called.add(last_name(arg.value))
                (self._plain if id(arg.value) in self._plain_uses else self._other).add(last_name(arg.value))

    def _alone(self, node: cst.Call) -> None:
        """The project model's coroutines that run alone: a loop runner called by sync code
        that starts no concurrent work itself (`asyncio.run(main())`,
        `loop.run_until_complete(main())`, `anyio.run(main)`) runs its argument alone; a
        coroutine function that starts work does not."""
        ctx = self.ctx
        function = ctx.async_function
        if function is not None:
            if id(function) in self._coroutine_names and starts_work(node):
                self._starters.add(self._coroutine_names[id(function)])
            return
        last = last_name(node.func)
        if last not in ("run", "run_until_complete") or not node.args:
            return
        if last == "run" and ctx.call_name(node) not in RUNNERS:
            return
        args = positional_args(node)
        target = args[0].value if args else None
        if isinstance(target, cst.Call):
            call = target
        elif last == "run" and isinstance(target, (cst.Name, cst.Attribute)):
            call = cst.Call(func=target)  # `anyio.run(main)`, `trio.run(main)`
        else:
            return
        scope = ctx.frame.function_frame()
        body = scope.node if scope is not None else ctx.module
        if ctx.memo("starts-work", body, lambda: any(starts_work(n) for n in walk(body, into_scopes=False))):
            return  # tasks made before the run share its loop
        callee = self._callee(call)
        if callee is not None:
            self._runs.add(callee)
            self._plain_uses.add(id(target))

    def _running_loop_names(self, function: cst.CSTNode) -> frozenset[str]:
        """The names `function` binds to `asyncio.get_running_loop()`."""
        if not isinstance(function, cst.FunctionDef) or "running_loop" not in self.ctx.source:
            return frozenset()
        names = set()
        for node in walk(function.body, into_scopes=False):
            if (
                isinstance(node, cst.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0].target, cst.Name)
                and isinstance(node.value, cst.Call)
                and self.ctx.qualified_name(node.value.func) in _RUNNING_LOOP
            ):
                names.add(node.targets[0].target.value)
        return frozenset(names)

    def _own_arguments(self, call: cst.Call) -> bool:
        """Whether the arguments of `call` name nothing local to the calling coroutine but
        `self`/`cls` (`self.save()`, `self.dump(Path(self.root), self.data)`): what the
        helper writes is the object's own state."""
        frame = self.ctx.frame
        for arg in call.args:
            for name in _free_names(arg.value):
                if name in ("self", "cls"):
                    continue
                found = frame.lookup(name)
                if found is not None and found[0].kind != "module":
                    return False
        return True

    def _serialiser(self, node: cst.Call) -> bool:
        """`pickle.dump(...)`, `json.load(...)`, `MyPickler(...)`."""
        name = self.ctx.qualified_name(node.func)
        if name is None:
            return False
        return name in catalog.SERIALISERS or name.endswith(("Pickler", "Unpickler"))

    def _callee(self, node: cst.Call) -> str | None:
        """The qualified name of a call that may reach a summarised function."""
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method_owner = self._self_class(func.value.value)
            if method_owner is not None:
                return f"{method_owner}.{func.attr.value}"
        found = callee_name(self.ctx, node)
        if found is None:
            if (
                isinstance(func, cst.Name)
                and self.ctx.module_info.star_imports
                and self.ctx.frame.lookup(func.value) is None
            ):
                # A name a star import may bring (`from app.helpers import *`): the project
                # model follows it to the module that exports it.
                return f"{self._module}.{func.value}"
            return None
        name = found[0]
        if name.startswith("builtins.") or lookup(name, self.ctx.settings) is not None:
            return None
        return name

    def _self_class(self, name: str) -> str | None:
        """`self`/`cls` in a method of a module-level class: that class's qualified name."""
        cls = self_class(self.ctx.frame, name)
        if cls is None or cls.parent is None or cls.parent.kind != "module":
            return None
        assert isinstance(cls.node, cst.ClassDef)
        return f"{self._module}.{cls.node.name.value}"

    # Facts ---------------------------------------------------------------------------------

    def finish(self) -> object | None:
        ctx = self.ctx
        summary = self.summary
        self._factories()
        summary.spawned, summary.called = sorted(self._spawned), sorted(self._called)
        summary.runs, summary.starters = sorted(self._runs), sorted(self._starters)
        summary.awaited = [[callee, caller] for callee, caller in sorted(self._awaited)]
        summary.plain = sorted(self._plain - self._other)
        summary.nests = "nest_asyncio" in ctx.source and bool(_NEST_ASYNCIO.search(ctx.source))
        summary.stars = list(dict.fromkeys(m for m in ctx.module_info.star_imports if m))
        summary.exports = _exports(ctx.source) if "__all__" in ctx.source else None
        if self._sites:
            summary.library = ctx.library
        # The lines of definitions, for the places of a chain's hops (read with `ast`:
        # libcst positions would cost a code generation of every module with a `def`).
        lines = _def_lines(ctx.source) if self._functions else {}
        for qual, name in self._functions.values():
            display = summary.functions[qual].display
            line = lines.get(display, 0)
            noqa = None
            if ctx.has_noqa:
                noqa = ctx.noqa(ctx.position(name).start.line)
            for part in (qual, qual + EXIT):
                if part in summary.functions:
                    summary.functions[part].line = line
                    summary.functions[part].noqa = noqa is not None and noqa.suppresses(self.code)
        for qual, calls in self._blocking.items():
            function = summary.functions[qual]
            for display, code, call, is_file in calls:
                line = ctx.position(call).start.line
                noqa = ctx.noqa(line) if ctx.has_noqa else None
                if noqa is not None and (noqa.suppresses(code) or noqa.suppresses(self.code)):
                    continue
                if function.blocking is None:
                    function.blocking, function.code, function.blocking_line = display, code, line
                if not is_file:
                    function.wait, function.wait_line = display, line
                    break
        for callee, written, call, function_name, quiet, with_item, own in self._sites:
            span = ctx.position(call)
            if ctx.suppressed(self.code, span.start.line, span.end.line):
                continue
            summary.sites.append(
                Site(
                    callee,
                    written,
                    (span.start.line, span.start.column + 1),
                    (span.end.line, span.end.column + 1),
                    function_name,
                    quiet,
                    with_item,
                    own,
                )
            )
        for local, bindings in ctx.module_frame.bindings.items():
            if bindings and all(b.kind in ("assign", "annassign") for b in bindings):
                # With its parameter: a `ContextVar[T]` variable's `.get()` gives a `T`.
                kind = type_of(ctx, cst.Name(local), ctx.module_frame, parameters=True)
                if kind is not None:
                    summary.variables[f"{self._module}.{local}"] = kind
                continue
            if bindings and all(b.kind == "import" and b.qualified for b in bindings):
                target = bindings[-1].qualified
                assert target is not None
                summary.aliases[f"{self._module}.{local}"] = target
        return summary.to_facts()

    @classmethod
    def valid_facts(cls, facts: object) -> bool:
        return valid_facts(facts)

    @classmethod
    def project_diagnostics(
        cls, facts: Mapping[str, object], settings: Settings, project: ProjectIndex | None = None
    ) -> Iterable[Diagnostic]:
        out = []
        # Chains that end in a file or filesystem call count only when a rule that reports
        # such calls directly is selected (they are off by default).
        files = bool(catalog.FILE_CODES & registry.selected_codes(settings))
        for found in blocking_helper_calls(facts, settings.project_root, files=files, project=project):
            site, chain = found.site, found.chain
            if _own_state(site, chain):
                continue  # pickles the object's own state: a thread would race its handlers
            depth = len(chain.helpers)
            to_thread = TO_THREAD.get(found.library, "asyncio.to_thread")
            if site.with_item:
                advice = (
                    f"as a context manager it blocks on entry and exit: move the whole `with` block "
                    f"into a function run with `await {to_thread}(...)`, or make `{site.display}` "
                    "an async context manager"
                )
            else:
                advice = f"run it with `await {to_thread}({site.display}, ...)` or make it async"
            note = ""
            if chain.cached:
                note = f" on its first call (`{chain.cached[0]}` is cached)"
            message = cls.message.format(
                helper=site.display,
                function=site.function,
                note=note,
                chain=chain.render(),
                depth=f"{depth} call{'s' if depth > 1 else ''}",
                advice=advice,
            )
            out.append(
                Diagnostic(
                    cls.code, cls.name, message, found.path, Location(*site.start), Location(*site.end)
                )
            )
        return out


#: The constructors of the resources the resource rules follow (ASL300 and others).
_CREATORS = frozenset(r.creator for r in RESOURCES)
#: Decorators that cache what a function returns: its instance is shared, not the caller's.
_SHARING = catalog.CACHE_DECORATORS | {"property"}


def _exports(source: str) -> list[str] | None:
    """The names of a literal module-level `__all__` (a list or tuple of strings), or None."""
    import ast

    from asynclint.precheck import python_tree

    tree = python_tree(source)
    found = None
    for node in tree.body if tree is not None else ():
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)
        ):
            found = [
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return found


def _def_lines(source: str) -> dict[str, int]:
    """The line of each module-level function and method of a module-level class
    (`name`, `Class.name`; the last definition of a name, as the summary keeps it)."""
    import ast

    from asynclint.precheck import python_tree

    tree = python_tree(source)
    if tree is None:
        return {}
    lines: dict[str, int] = {}

    def body(statements: list[ast.stmt], owner: str) -> None:
        for node in statements:
            if isinstance(node, ast.FunctionDef):
                lines[owner + node.name] = node.lineno
            elif isinstance(node, ast.ClassDef) and not owner:
                body(node.body, f"{node.name}.")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                # Definitions under `if`, `try` or `with` belong to the same scope.
                for block in ("body", "orelse", "finalbody"):
                    body(getattr(node, block, []), owner)
                for handler in getattr(node, "handlers", []):
                    body(handler.body, owner)

    body(tree.body, "")
    return lines


def _installs_loop(ctx: Any, node: cst.Call) -> bool:
    """`nest_asyncio.apply()`, or `asyncio.set_event_loop(loop)` that installs the loop for
    good: not in an `except` handler (a workaround when no loop is there), and in a
    function (or module body) that never calls `set_event_loop(None)` (a temporary loop
    for one `run_until_complete`)."""
    last = last_name(node.func)
    if last not in ("apply", "set_event_loop"):
        return False
    name = ctx.qualified_name(node.func)
    if name == "nest_asyncio.apply":
        return True
    if name != "asyncio.set_event_loop" or len(node.args) != 1 or is_none(node.args[0].value):
        return False
    frame = ctx.frame.function_frame()
    scope = frame.node if frame is not None else ctx.module
    for parent in reversed(ctx.stack):
        if parent is scope:
            break
        if isinstance(parent, cst.ExceptHandler):
            return False
    return not ctx.memo("resets-loop", scope, lambda: _resets_loop(scope))


def _resets_loop(scope: cst.CSTNode) -> bool:
    """Whether `scope` calls `set_event_loop(None)`."""
    return any(
        isinstance(node, cst.Call)
        and last_name(node.func) == "set_event_loop"
        and len(node.args) == 1
        and is_none(node.args[0].value)
        for node in walk(scope)
    )


def _reads_package(function: cst.CSTNode) -> bool:
    """Whether `function` locates files by `__file__`: it reads the package's own
    resources (a bundled script or template), small and in the page cache."""
    return any(isinstance(node, cst.Name) and node.value == "__file__" for node in walk(function))


def _free_names(expr: cst.CSTNode) -> Iterator[str]:
    """The names `expr` reads (not attribute names, not names of nested scopes)."""
    if isinstance(expr, cst.Name):
        yield expr.value
    elif isinstance(expr, cst.Attribute):
        yield from _free_names(expr.value)
    elif not isinstance(expr, (cst.Lambda, cst.BaseComp)):
        for child in expr.children:
            yield from _free_names(child)


def _own_state(site: Site, chain: Chain) -> bool:
    """`self.save()` (with arguments that name only `self` and module-level names: see
    `Site.bare`), whose chain stays in the methods of one class and ends in a method that
    pickles or JSON-dumps (or loads) what the file holds: the object's own state, which
    the loop's handlers mutate."""
    if not (chain.serialises and site.bare and site.display.startswith("self.")):
        return False
    owners = {helper.rpartition(".")[0] for helper in chain.helpers}
    return len(owners) == 1 and "" not in owners


#: The summary's name for the tear-down of a `@contextmanager` function `f` (what runs
#: after its `yield`): `f.__exit__`, which a `with f():` site also follows.
EXIT = ".__exit__"


def _with_item(stack: list[cst.CSTNode], node: cst.Call) -> bool:
    """Whether `node` (on top of `stack`) is the item of a sync `with`."""
    if len(stack) < 3:
        return False
    parent, statement = stack[-2], stack[-3]
    return (
        isinstance(parent, cst.WithItem)
        and parent.item is node
        and isinstance(statement, cst.With)
        and statement.asynchronous is None
    )


def _after_yield(function: cst.CSTNode) -> set[int]:
    """The calls of a generator function that come after its first `yield`, in source
    order (outside nested scopes)."""
    found: set[int] = set()
    seen = False
    for node in walk(function, into_scopes=False):
        if isinstance(node, cst.Yield):
            seen = True
        elif seen and isinstance(node, cst.Call):
            found.add(id(node))
    return found


#: The annotations of a context-manager function (`types.CONTEXT_MANAGERS`) whose first
#: argument is the type it yields.
_ITERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in ("Iterator", "Generator", "AsyncIterator", "AsyncGenerator")
)


def _kind(node: cst.FunctionDef, decorated: bool, yields: bool) -> str:
    """The project model's kind of an `async def` (see `Coroutine.kind`); `yields`: whether
    the module's text has a `yield` at all."""
    if decorated:
        return "decorated"
    if yields and any(isinstance(inner, cst.Yield) for inner in walk(node.body, into_scopes=False)):
        return "generator"
    if isinstance(node.body, cst.IndentedBlock):
        lines = node.body.body
        if not all(isinstance(line, cst.SimpleStatementLine) for line in lines):
            return "plain"
        smalls = [small for line in lines if isinstance(line, cst.SimpleStatementLine) for small in line.body]
    else:
        assert isinstance(node.body, cst.SimpleStatementSuite)
        smalls = list(node.body.body)
    return "stub" if all(_stub_statement(small) for small in smalls) else "plain"


def _stub_statement(small: cst.BaseSmallStatement) -> bool:
    """`pass`, `raise ...`, `...` or a string: what an interface's method body holds."""
    if isinstance(small, (cst.Pass, cst.Raise)):
        return True
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
    )


#: Calls that give the running event loop (and raise when none runs).
_RUNNING_LOOP = frozenset(
    {"asyncio.get_running_loop", "asyncio._get_running_loop", "asyncio.events._get_running_loop"}
)

#: Where code runs only on some paths through a function.
#: Exact types: libcst's node classes have no subclasses, and `type(node) in` spares the
#: slow `isinstance` of their abstract bases (this runs up the stack of every call).
_BRANCHES = frozenset({cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase, cst.IfExp})


def _conditional(
    stack: list[cst.CSTNode], function: cst.CSTNode, running: Callable[[], frozenset[str]] = frozenset
) -> bool:
    """Whether the node on top of `stack` runs only on some paths of `function`: under an
    `if`/`else`, an `except`, a `case`, a conditional expression or the right side of
    `and`/`or`. Helpers are followed only along the paths every call takes, since a
    branch that depends on configuration (`if self.reload:`) is mostly not taken. The
    exception: the branch a test on a running event loop takes when a coroutine calls
    (`loop = asyncio.get_running_loop()` in a `try`, then `if loop is None: ... else:`),
    with `running()` the names bound to the running loop (a walk of the function, made
    only when a call is under an `if` or `else`)."""
    child = stack[-1]
    for index in range(len(stack) - 2, -1, -1):
        node = stack[index]
        if node is function:
            return False
        kind = type(node)
        if kind in _BRANCHES:
            is_test = (kind is cst.If or kind is cst.IfExp) and node.test is child  # type: ignore[attr-defined]
            if not is_test and not _loop_branch(stack, index, child, running):
                return True
        elif kind is cst.BooleanOperation and node.right is child:  # type: ignore[attr-defined]
            return True
        child = node
    return False


def _loop_branch(
    stack: list[cst.CSTNode], index: int, child: cst.CSTNode, running: Callable[[], frozenset[str]]
) -> bool:
    """Whether `stack[index]` (an `if` or its `else`, entered through `child`) is the
    branch taken with an event loop running (`running()`: the names bound to it; none,
    no test is one on the loop)."""
    node = stack[index]
    if isinstance(node, cst.If) and node.body is child:
        return _loop_test(node.test, running()) is True
    if isinstance(node, cst.If) and node.orelse is child:
        return isinstance(child, cst.Else) and _loop_test(node.test, running()) is False
    if isinstance(node, cst.Else) and index > 0:
        owner = stack[index - 1]
        return (
            isinstance(owner, cst.If) and owner.orelse is node and _loop_test(owner.test, running()) is False
        )
    return False


def _loop_test(test: cst.BaseExpression, running: frozenset[str]) -> bool | None:
    """True: `test` holds when the loop runs (`loop`, `loop is not None`); False: it
    holds when none runs (`loop is None`, `not loop`); None: another test."""
    if isinstance(test, cst.Name):
        return True if test.value in running else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _loop_test(test.expression, running)
        return None if inner is None else not inner
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.left, cst.Name)
        and test.left.value in running
    ):
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, cst.Is):
                return False
            if isinstance(target.operator, cst.IsNot):
                return True
    return None


def _after_guard(ctx: Context, stack: list[cst.CSTNode], function: cst.CSTNode) -> bool:
    """Whether the node on top of `stack` comes after a statement of `function`'s body
    that returns early on some platforms (`if sys.platform != "win32": return`): the rest
    of the function runs on one platform only, like a branch. Likewise after an import
    fallback (`_import_fallback`: `try: return import_module(name)`, `except ImportError:
    pass`, then the installation of the missing package)."""
    guarded = ctx.memo("after-guard", function, lambda: _guarded(function))
    return bool(guarded) and any(id(node) in guarded for node in stack)


def _guarded(function: cst.CSTNode) -> frozenset[int]:
    """The statements of `function`'s body (by `id`) after its first guard (`_after_guard`)."""
    if not isinstance(function, cst.FunctionDef) or not isinstance(function.body, cst.IndentedBlock):
        return frozenset()
    statements = function.body.body
    for index, statement in enumerate(statements):
        if (isinstance(statement, cst.If) and _platform_test(statement.test) and _exits(statement.body)) or (
            isinstance(statement, cst.Try) and _import_fallback(statement)
        ):
            return frozenset(id(s) for s in statements[index + 1 :])
    return frozenset()


#: `nest_asyncio.apply()`, or `apply` imported from it (`FileSummary.nests`).
_NEST_ASYNCIO = re.compile(
    r"\bnest_asyncio\s*\.\s*apply\s*\(|^\s*from\s+nest_asyncio\s+import\b[^\n]*\bapply\b", re.M
)

#: The exceptions of a failed import.
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def _import_fallback(statement: cst.Try) -> bool:
    """A `try` that returns when it succeeds (its body or `else:` ends in a `return`) and
    whose handlers catch only a failed import: what follows it runs only when a package is
    missing."""
    if not statement.handlers or not (
        _returns(statement.body) or (statement.orelse is not None and _returns(statement.orelse.body))
    ):
        return False
    for handler in statement.handlers:
        caught = handler.type
        names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
        if not names or not all(
            isinstance(n, (cst.Name, cst.Attribute)) and last_name(n) in _IMPORT_ERRORS for n in names
        ):
            return False
    return True


#: What platform tests read: `sys.platform`, `os.name`, `platform.system()`.
_PLATFORM_ATTRIBUTES = frozenset({("sys", "platform"), ("os", "name"), ("platform", "system")})


def _platform_test(test: cst.BaseExpression) -> bool:
    for node in walk(test):
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and (node.value.value, node.attr.value) in _PLATFORM_ATTRIBUTES
        ):
            return True
    return False


def _returns(body: cst.BaseSuite) -> bool:
    """Whether `body`'s last statement is a `return`."""
    if isinstance(body, cst.SimpleStatementSuite):
        return isinstance(body.body[-1], cst.Return)
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    last = statements[-1] if statements else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return)


def _exits(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    if isinstance(body, cst.SimpleStatementSuite):
        return any(isinstance(s, (cst.Return, cst.Raise)) for s in body.body)
    last = statements[-1] if statements else None
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Return, cst.Raise)) for s in last.body
    )
