"""The shared context every rule reads: where the traversal is, what names mean, what
types receivers have, which async library the module uses. Computed once per file, lazily,
and correct under nesting; no rule keeps its own "am I in an async def" flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis import scopes
from asynclint.analysis.nodes import COMPREHENSIONS, dotted_name
from asynclint.analysis.scopes import Binding, Frame, ModuleInfo, qualified_name
from asynclint.catalogs import types as type_table
from asynclint.sourcefile import split_lines
from asynclint.suppression import Noqa, may_have_noqa, parse_noqa

if TYPE_CHECKING:
    from libcst._position import CodeRange

    from asynclint.positions import Span
    from asynclint.settings import Settings

#: Calls whose function arguments run in a worker thread or process, not on the loop.
OFFLOAD_CALLS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "trio.to_thread.run_sync",
        "asyncer.asyncify",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "sync_to_async",
        "asgiref.sync.sync_to_async",
    }
)
#: Method names that offload their function arguments whatever the receiver.
OFFLOAD_METHODS = frozenset({"run_in_executor", "submit", "run_sync", "to_thread"})

LIBRARIES = ("asyncio", "anyio", "trio")


class Context:
    """Per-file facts and the traversal position, shared by all rules of a run."""

    def __init__(
        self,
        module: cst.Module,
        source: str,
        path: str,
        module_name: str,
        is_package: bool,
        settings: Settings,
        is_test_file: bool,
    ) -> None:
        self.module = module
        self.source = source
        self.path = path
        self.settings = settings
        self.is_test_file = is_test_file
        self.module_info = ModuleInfo(module_name, is_package, ":=" in source)
        self.module_frame = Frame(module, "module", None, False, self.module_info)
        self.frame = self.module_frame
        #: The nodes from the module down to the one being visited (inclusive).
        self.stack: list[cst.CSTNode] = []
        self._offload_args: set[int] = set()
        self._frames: dict[int, Frame] = {}
        self._positions: dict[cst.CSTNode, CodeRange] = {}
        self._spans: dict[cst.CSTNode, Span] = {}
        self._wanted: list[cst.CSTNode] = []
        self._has_noqa: bool | None = None
        self._lines: list[str] | None = None
        self._library: str | None = None
        self._import_index: dict[str, list[str]] | None = None
        self._class_types: dict[int, dict[str, str | None]] = {}

    # Where we are ---------------------------------------------------------------------------

    @property
    def node(self) -> cst.CSTNode:
        return self.stack[-1]

    @property
    def parent(self) -> cst.CSTNode | None:
        """The parent of the node being visited."""
        return self.stack[-2] if len(self.stack) > 1 else None

    def ancestor(self, *types: type[cst.CSTNode]) -> cst.CSTNode | None:
        """The nearest strict ancestor of the visited node of one of `types`."""
        for node in reversed(self.stack[:-1]):
            if isinstance(node, types):
                return node
        return None

    @property
    def on_loop(self) -> bool:
        """Code at the visited node runs on the event loop: it is in an `async def` body
        (not in a nested def, lambda or class) and not in a generator handed to a thread."""
        return self.frame.on_loop

    @property
    def async_function(self) -> cst.FunctionDef | None:
        """The `async def` whose body runs the visited node on the loop, else None."""
        if not self.frame.on_loop:
            return None
        func = self.frame.function_frame()
        return func.node if func is not None and isinstance(func.node, cst.FunctionDef) else None

    @property
    def function(self) -> cst.FunctionDef | cst.Lambda | None:
        """The innermost function or lambda around the visited node."""
        func = self.frame.function_frame()
        return func.node if func is not None else None  # type: ignore[return-value]

    def frame_of(self, scope_node: cst.CSTNode) -> Frame | None:
        """The frame of a function/lambda/class/comprehension already entered."""
        return self._frames.get(id(scope_node))

    # Traversal hooks (called by the engine) ------------------------------------------------

    def enter_scope(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            frame = Frame(node, "function", self.frame, node.asynchronous is not None, self.module_info)
        elif isinstance(node, cst.Lambda):
            frame = Frame(node, "lambda", self.frame, False, self.module_info)
        elif isinstance(node, cst.ClassDef):
            frame = Frame(node, "class", self.frame, False, self.module_info)
        else:
            offloaded = isinstance(node, cst.GeneratorExp) and id(node) in self._offload_args
            frame = Frame(
                node, "comprehension", self.frame, self.frame.on_loop and not offloaded, self.module_info
            )
        self._frames[id(node)] = frame
        self.frame = frame

    def exit_scope(self) -> None:
        assert self.frame.parent is not None
        self.frame = self.frame.parent

    def note_call(self, call: cst.Call) -> None:
        """Marks the generator-expression arguments of an offloading call."""
        if self.is_offload_call(call):
            for arg in call.args:
                if isinstance(arg.value, cst.GeneratorExp):
                    self._offload_args.add(id(arg.value))

    def is_offload_call(self, call: cst.Call) -> bool:
        """`asyncio.to_thread(...)`, `loop.run_in_executor(...)`, `executor.submit(...)`..."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in OFFLOAD_METHODS:
            return True
        name = self.qualified_name(func)
        return name in OFFLOAD_CALLS if name else False

    # Names ----------------------------------------------------------------------------------

    def qualified_name(self, expr: cst.BaseExpression, frame: Frame | None = None) -> str | None:
        """The dotted name `expr` refers to (`t.sleep` -> `time.sleep`), or None."""
        return qualified_name(frame or self.frame, expr)

    def call_name(self, call: cst.Call, frame: Frame | None = None, depth: int = 0) -> str | None:
        """The qualified name of a call's callee: a function (`time.sleep`) or, for a
        method on a receiver of known type, `Type.method` (`requests.Session.get`)."""
        frame = frame or self.frame
        name = qualified_name(frame, call.func)
        if name is not None:
            return name
        if isinstance(call.func, cst.Attribute):
            receiver = self.type_of(call.func.value, frame, depth + 1)
            if receiver is not None:
                return f"{receiver}.{call.func.attr.value}"
        return None

    def lookup(self, name: str, frame: Frame | None = None) -> tuple[Frame, list[Binding]] | None:
        return (frame or self.frame).lookup(name)

    def is_bound(self, name: str, frame: Frame | None = None) -> bool:
        return scopes.is_bound_locally(frame or self.frame, name)

    @property
    def library(self) -> str:
        """The async library whose names fixes and messages use: anyio or trio when the
        module imports one of them and not asyncio, else asyncio."""
        if self._library is None:
            imported = {
                b.qualified.split(".", 1)[0]
                for bindings in self.module_frame.bindings.values()
                for b in bindings
                if b.kind == "import" and b.qualified
            }
            imported.update(m.split(".", 1)[0] for m in self.module_info.star_imports)
            if "asyncio" in imported or not imported & {"anyio", "trio"}:
                self._library = "asyncio"
            else:
                self._library = "anyio" if "anyio" in imported else "trio"
        return self._library

    def reference(self, dotted: str) -> tuple[cst.BaseExpression, str | None] | None:
        """An expression that refers to `dotted` (`asyncio.sleep`) from the visited node,
        and the module to import for it (or None when already imported); None when the
        name cannot be used here (its module name is bound to something else)."""
        module = dotted.rpartition(".")[0]
        head = module.split(".", 1)[0]
        # An existing import of the module or of a package above it (`import asyncio`,
        # `import asyncio as aio`, `import anyio` for `anyio.to_thread.run_sync`).
        parts = module.split(".")
        imported = self._module_imports()
        for size in range(len(parts), 0, -1):
            prefix = ".".join(parts[:size])
            for name in imported.get(prefix, ()):
                found = self.frame.lookup(name)
                if found is not None and found[0] is self.module_frame:
                    return _attribute_chain(name, dotted[len(prefix) + 1 :]), None
        if self.frame.lookup(head) is not None or self.module_info.star_imports:
            return None
        return _attribute_chain(head, dotted[len(head) + 1 :]), module

    def _module_imports(self) -> dict[str, list[str]]:
        """Module-level names bound only by imports of one target: target -> names."""
        if self._import_index is None:
            index: dict[str, list[str]] = {}
            for name, bindings in self.module_frame.bindings.items():
                targets = {b.qualified for b in bindings if b.kind == "import"}
                if len(targets) == 1 and all(b.kind == "import" for b in bindings):
                    target = targets.pop()
                    if target:
                        index.setdefault(target, []).append(name)
            self._import_index = index
        return self._import_index

    # Types ----------------------------------------------------------------------------------

    def type_of(self, expr: cst.BaseExpression, frame: Frame | None = None, depth: int = 0) -> str | None:
        """The qualified type of `expr` when it is known from a constructor call, an
        annotation or an assignment in scope (including `self.x = Type()` in the class)."""
        if depth > 6:
            return None
        frame = frame or self.frame
        if isinstance(expr, cst.Call):
            return self._call_type(expr, frame, depth, awaited=False)
        if isinstance(expr, cst.Await) and isinstance(expr.expression, cst.Call):
            return self._call_type(expr.expression, frame, depth, awaited=True)
        if isinstance(expr, cst.Name):
            found = frame.lookup(expr.value)
            if found is None:
                return None
            scope, bindings = found
            kinds = set()
            for binding in bindings:
                kinds.add(self._binding_type(binding, scope, depth))
            return kinds.pop() if len(kinds) == 1 else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            return self._attribute_type(expr, frame, depth)
        return None

    def _call_type(self, call: cst.Call, frame: Frame, depth: int, awaited: bool) -> str | None:
        name = self.call_name(call, frame, depth + 1)
        if name is None:
            return None
        name = type_table.ALIASES.get(name, name)
        table = type_table.AWAIT_RETURNS if awaited else type_table.RETURNS
        if name in table:
            return table[name]
        if awaited:
            return None
        last = name.rsplit(".", 1)[-1]
        return name if last[:1].isupper() and not last.isupper() else None

    def _binding_type(self, binding: Binding, scope: Frame, depth: int) -> str | None:
        if binding.annotation is not None:
            annotated = self.annotation_type(binding.annotation, scope)
            if annotated is not None:
                return annotated
        if binding.kind in ("assign", "annassign", "with", "param") and binding.value is not None:
            if binding.kind == "param" and binding.annotation is None:
                return None  # a default value says little about what callers pass
            return self.type_of(binding.value, scope, depth + 1)
        if binding.kind == "import" and binding.qualified:
            return None
        return None

    def annotation_type(self, annotation: cst.BaseExpression, frame: Frame | None = None) -> str | None:
        """`httpx.Client`, `Optional[httpx.Client]`, `httpx.Client | None` -> httpx.Client."""
        frame = frame or self.frame
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
            real = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
            return self.annotation_type(real[0], frame) if len(real) == 1 else None
        if isinstance(annotation, cst.Subscript):
            outer = qualified_name(frame, annotation.value)
            if outer in ("typing.Optional", "typing.Annotated") and annotation.slice:
                inner = annotation.slice[0].slice
                if isinstance(inner, cst.Index):
                    return self.annotation_type(inner.value, frame)
            return None
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            if isinstance(text, str) and re.fullmatch(r"[\w.]+", text):
                try:
                    parsed = cst.parse_expression(text)
                except cst.ParserSyntaxError:
                    return None
                return self.annotation_type(parsed, frame)
            return None
        name = qualified_name(frame, annotation)
        if name is None:
            return None
        return type_table.ALIASES.get(name, name)

    def _attribute_type(self, expr: cst.Attribute, frame: Frame, depth: int) -> str | None:
        """`self.x` inside a method: the type the class gives attribute `x`."""
        assert isinstance(expr.value, cst.Name)
        func = frame.function_frame()
        cls_frame = frame.class_frame()
        if func is None or cls_frame is None or not isinstance(func.node, cst.FunctionDef):
            return None
        params = func.node.params.params
        if not params or params[0].name.value != expr.value.value:
            return None
        found = frame.lookup(expr.value.value)
        if found is None or found[0] is not func:
            return None
        attrs = self.class_attribute_types(cls_frame, depth)
        return attrs.get(expr.attr.value)

    def class_attribute_types(self, cls_frame: Frame, depth: int = 0) -> dict[str, str | None]:
        """Attribute name -> type, from `self.x = Type()` in any method and `x: Type` in the
        class body; None where assignments disagree."""
        cached = self._class_types.get(id(cls_frame.node))
        if cached is not None:
            return cached
        result: dict[str, str | None] = {}
        self._class_types[id(cls_frame.node)] = result  # guards recursion

        def note(attr: str, kind: str | None) -> None:
            if attr in result and result[attr] != kind:
                result[attr] = None
            elif attr not in result:
                result[attr] = kind

        cls = cls_frame.node
        assert isinstance(cls, cst.ClassDef)
        for name, bindings in cls_frame.bindings.items():
            for binding in bindings:
                if binding.kind == "annassign" and binding.annotation is not None:
                    note(name, self.annotation_type(binding.annotation, cls_frame))
        for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
            if not isinstance(stmt, cst.FunctionDef) or not stmt.params.params:
                continue
            self_name = stmt.params.params[0].name.value
            method_frame = Frame(stmt, "function", cls_frame, stmt.asynchronous is not None, self.module_info)
            for node in _walk_no_scopes(stmt.body):
                targets: list[
                    tuple[cst.BaseExpression, cst.BaseExpression | None, cst.BaseExpression | None]
                ] = []
                if isinstance(node, cst.Assign):
                    targets = [(t.target, node.value, None) for t in node.targets]
                elif isinstance(node, cst.AnnAssign):
                    targets = [(node.target, node.value, node.annotation.annotation)]
                for target, value, annotation in targets:
                    if (
                        isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name)
                        and target.value.value == self_name
                    ):
                        if annotation is not None:
                            kind = self.annotation_type(annotation, method_frame)
                        elif value is not None:
                            kind = self.type_of(value, method_frame, depth + 1)
                        else:
                            kind = None
                        note(target.attr.value, kind)
        return result

    # Positions and source --------------------------------------------------------------------

    def want_position(self, node: cst.CSTNode) -> None:
        """Ask for `node`'s position, readable with `position()` from `Rule.finish()` on."""
        self._wanted.append(node)

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def line(self, number: int) -> str:
        """Source line `number` (1-based), without its line ending."""
        if self._lines is None:
            self._lines = split_lines(self.source)
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1].rstrip("\r\n")
        return ""

    def noqa(self, line: int) -> Noqa | None:
        return parse_noqa(self.line(line))

    @property
    def has_noqa(self) -> bool:
        """Whether any line of the file may hold a `# noqa` comment (a cheap text test)."""
        if self._has_noqa is None:
            self._has_noqa = may_have_noqa(self.source)
        return self._has_noqa


def _attribute_chain(head: str, rest: str) -> cst.BaseExpression:
    expr: cst.BaseExpression = cst.Name(head)
    for part in rest.split(".") if rest else ():
        expr = cst.Attribute(value=expr, attr=cst.Name(part))
    return expr


def _walk_no_scopes(node: cst.CSTNode) -> list[cst.CSTNode]:
    from asynclint.analysis.nodes import walk

    return [n for n in walk(node, into_scopes=False)]


def is_scope(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef, *COMPREHENSIONS))


def function_name(node: cst.FunctionDef | cst.Lambda | None) -> str:
    if isinstance(node, cst.FunctionDef):
        return node.name.value
    return "<lambda>"


def describe_call(call: cst.Call) -> str:
    """A short label for a call in messages: the callee's dotted name or `...`."""
    return dotted_name(call.func) or "..."


Visitor = Callable[[cst.CSTNode], None]
