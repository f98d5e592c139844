from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import libcst as cst

from asynclint.analysis.methods import self_class
from asynclint.analysis.nodes import describe_call, walk
from asynclint.catalogs.calls import TO_THREAD
from asynclint.catalogs.concurrency import TRANSPARENT_DECORATORS
from asynclint.catalogs.resources import RESOURCES
from asynclint.diagnostics import Diagnostic, Location
from asynclint.project import Coroutine, FileSummary, Function, Site, blocking_helper_calls, valid_facts
from asynclint.rule import FixSafety, Rule
from asynclint.rules._blocking import callee_name, classify, lookup, offloaded_iterator
from asynclint.settings import Settings


class BlockingCallViaHelper(Rule):
    """
    ## What it does
    Finds calls from an `async def` to a sync function that reaches a blocking call
    (one that ASL100 to ASL114 report), directly or through further sync functions, in the
    same module or in another module of the project (also when only some of its files are
    linted: see "The project model" in the command-line documentation): a module function,
    a method called on `self` or on a receiver of known type, a class whose `__init__`
    blocks, a function imported from another file. The message shows the chain, for example
    `load_config() → read_settings() → open()`. Helpers are followed only along the
    straight-line path of each function (loops included): a call under an `if`/`else`, an
    `except`, a `case` or a conditional expression is left out, since such branches mostly
    depend on configuration the caller does not set. Calls that are awaited, and functions
    handed to `asyncio.to_thread` (not called), are not reported. `# noqa: ASL116` on a
    helper's `def` line declares it fine for every caller; a `# noqa` on the blocking
    call inside the helper does the same for that call.

    ## Why is this bad?
    A blocking call wrapped in a helper blocks the loop just the same; linters that look
    only at the `async def` itself miss it, and in real code most blocking calls sit one or
    more helpers deep.

    ## Example
        import json

        def read_settings(path):
            with open(path) as handle:
                return json.load(handle)

        def load_config():
            return read_settings("settings.json")

        async def start():
            return load_config()

    ## Use instead
        import asyncio
        import json

        def read_settings(path):
            with open(path) as handle:
                return json.load(handle)

        def load_config():
            return read_settings("settings.json")

        async def start():
            return await asyncio.to_thread(load_config)

    ## Fix safety
    No fix: whether to run the helper in a thread or to make it async is a design choice.
    """

    code = "ASL116"
    name = "blocking-call-via-helper"
    message = "`{helper}()` blocks the event loop in `async def {function}`: {chain} ({depth} deep); run it with `await {to_thread}({helper}, ...)` or make it async"
    fix_safety = FixSafety.NONE
    # Files with coroutines call helpers; files without them are summarised only when
    # they can hold a helper at all.
    triggers = (("def", "import"),)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        module = ctx.module_info.name or "__main__"
        self.summary = FileSummary(module)
        self._module = module
        #: id(FunctionDef) -> (qualified name, def name node) of summarised sync functions.
        self._functions: dict[int, tuple[str, cst.Name]] = {}
        self._blocking: dict[str, list[tuple[str, str, cst.Call]]] = {}
        self._sites: list[tuple[str, str, cst.Call, str]] = []
        #: id(async FunctionDef) -> its summary (for the project model's "reaches I/O").
        self._coroutines: dict[int, Coroutine] = {}
        #: Sync function -> the resource constructors its returns give ("" for anything else).
        self._returns: dict[str, set[str]] = {}
        #: Sync functions behind a caching (or any parametrised) decorator.
        self._cached: set[str] = set()

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
                display, decorated, kind=_kind(node, decorated)
            )
            self._coroutines[id(node)] = coroutine
            return
        self._functions[id(node)] = (qual, node.name)
        if any(
            self._decorator(d.decorator) in _CACHING or isinstance(d.decorator, cst.Call)
            for d in node.decorators
        ):
            self._cached.add(qual)
        if self.ctx.has_noqa:
            self.ctx.want_position(node.name)
        self.summary.functions[qual] = Function(display, False, None)

    def _types(self, node: cst.FunctionDef, qual: str) -> None:
        """The project model's types: what the function returns or, for a context-manager
        function, yields."""
        ctx, frame = self.ctx, self.ctx.frame
        if node.returns is None:
            return
        annotation = node.returns.annotation
        decorators = {self._decorator(d.decorator) for d in node.decorators}
        if decorators & _CONTEXT_MANAGERS:
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

    def _decorator(self, expr: cst.BaseExpression) -> str:
        if isinstance(expr, cst.Call):
            return ""  # a decorator factory: unknown
        name = self.ctx.qualified_name(expr)
        return (name or "").removeprefix("builtins.")

    # Factories (does a function hand its caller a new resource?) ---------------------------

    def visit_Return(self, node: cst.Return) -> None:
        frame = self.ctx.frame.function_frame()
        owner = self._functions.get(id(frame.node)) if frame is not None else None
        if owner is None:
            return
        qual = owner[0]
        made = self._made_resource(node.value) if node.value is not None else None
        found = self._returns.setdefault(qual, set())
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
            if len(made) == 1 and "" not in made and qual not in self._cached:
                self.summary.creates[qual] = next(iter(made))

    # Awaits (does a coroutine reach I/O?) --------------------------------------------------

    def _coroutine(self) -> Coroutine | None:
        function = self.ctx.async_function
        return self._coroutines.get(id(function)) if function is not None else None

    def visit_Await(self, node: cst.Await) -> None:
        coroutine = self._coroutine()
        if coroutine is None or coroutine.io:
            return
        callee = self._callee(node.expression) if isinstance(node.expression, cst.Call) else None
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
        ctx = self.ctx
        if ctx.on_loop:
            if isinstance(ctx.parent, cst.Await):
                return
            function = ctx.async_function
            if function is None:
                return
            callee = self._callee(node)
            if callee is not None:
                ctx.want_position(node)
                self._sites.append((callee, describe_call(node), node, function.name.value))
            return
        frame = ctx.frame.function_frame()
        if frame is None:
            return
        owner = self._functions.get(id(frame.node))
        if owner is None:
            return
        qual = owner[0]
        if _conditional(ctx.stack, frame.node):
            return
        hit = classify(ctx, node)
        if hit is not None:
            if not (hit.entry.lazy and offloaded_iterator(ctx)):
                if ctx.has_noqa:
                    ctx.want_position(node)
                self._blocking.setdefault(qual, []).append((hit.shown(node), hit.entry.code, node))
            return
        callee = self._callee(node)
        if callee is not None:
            self.summary.functions[qual].calls.append(callee)

    def _callee(self, node: cst.Call) -> str | None:
        """The qualified name of a call that may reach a summarised function."""
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method_owner = self._self_class(func.value.value)
            if method_owner is not None:
                return f"{method_owner}.{func.attr.value}"
        found = callee_name(self.ctx, node)
        if found is None:
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
        if self._sites:
            summary.library = ctx.library
        # Positions of definitions and blocking calls serve only their noqa comments.
        if ctx.has_noqa:
            for qual, name in self._functions.values():
                noqa = ctx.noqa(ctx.position(name).start.line)
                summary.functions[qual].noqa = noqa is not None and noqa.suppresses(self.code)
        for qual, calls in self._blocking.items():
            for display, code, call in calls:
                noqa = ctx.noqa(ctx.position(call).start.line) if ctx.has_noqa else None
                if noqa is None or not (noqa.suppresses(code) or noqa.suppresses(self.code)):
                    summary.functions[qual].blocking = display
                    break
        for callee, written, call, function_name in self._sites:
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
                )
            )
        for local, bindings in ctx.module_frame.bindings.items():
            if bindings and all(b.kind in ("assign", "annassign") for b in bindings):
                kind = ctx.type_of(cst.Name(local), ctx.module_frame)
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
    def project_diagnostics(cls, facts: Mapping[str, object], settings: Settings) -> Iterable[Diagnostic]:
        out = []
        for found in blocking_helper_calls(facts):
            site, chain = found.site, found.chain
            depth = len(chain.helpers)
            message = cls.message.format(
                helper=site.display,
                function=site.function,
                chain=chain.render(),
                depth=f"{depth} call{'s' if depth > 1 else ''}",
                to_thread=TO_THREAD.get(found.library, "asyncio.to_thread"),
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
_CACHING = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property", "property"})

#: Decorators that make a generator function a context manager, and the annotations of
#: such a function whose first argument is the type it yields.
_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})
_ITERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in ("Iterator", "Generator", "AsyncIterator", "AsyncGenerator")
)


def _kind(node: cst.FunctionDef, decorated: bool) -> str:
    """The project model's kind of an `async def` (see `Coroutine.kind`)."""
    if decorated:
        return "decorated"
    if any(isinstance(inner, cst.Yield) for inner in walk(node.body, into_scopes=False)):
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


#: Where code runs only on some paths through a function.
_BRANCHES = (cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase, cst.IfExp)


def _conditional(stack: list[cst.CSTNode], function: cst.CSTNode) -> bool:
    """Whether the node on top of `stack` runs only on some paths of `function`: under an
    `if`/`else`, an `except`, a `case`, a conditional expression or the right side of
    `and`/`or`. Helpers are followed only along the paths every call takes, since a
    branch that depends on configuration (`if self.reload:`) is mostly not taken."""
    child = stack[-1]
    for node in reversed(stack[:-1]):
        if node is function:
            return False
        is_test = isinstance(node, (cst.If, cst.IfExp)) and node.test is child
        if isinstance(node, _BRANCHES) and not is_test:
            return True
        if isinstance(node, cst.BooleanOperation) and node.right is child:
            return True
        child = node
    return False
