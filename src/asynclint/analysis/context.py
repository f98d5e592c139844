"""The shared context every rule reads: where the traversal is, what names mean, what
types receivers have, which async library the module uses. Computed once per file, lazily,
and correct under nesting; no rule keeps its own "am I in an async def" flag, and a fact
that several rules need is computed once and kept with `Context.memo`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

import libcst as cst

from asynclint.analysis import scopes, types
from asynclint.analysis.scopes import Binding, Frame, ModuleInfo, qualified_name
from asynclint.catalogs.calls import OFFLOAD_CALLS, OFFLOAD_METHODS
from asynclint.positions import innermost_unit
from asynclint.project import ProjectView
from asynclint.sourcefile import split_lines
from asynclint.suppression import ALIASES, CommentPlaces, Noqa, may_have_noqa, parse_noqa

if TYPE_CHECKING:
    from libcst._position import CodeRange

    from asynclint.positions import Span, Unit
    from asynclint.settings import Settings

T = TypeVar("T")


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
        #: Each wanted node's innermost statement (`positions.layout_from_tree`).
        self._units: dict[cst.CSTNode, Unit] = {}
        self._has_noqa: bool | None = None
        #: The lines whose noqa comment a rule read itself (see `noqa`).
        self.noqa_read: set[int] = set()
        #: (line, code as listed) of each noqa code that suppressed a finding.
        self.noqa_used: set[tuple[int, str]] = set()
        self._comment_places: CommentPlaces | None = None
        self._lines: list[str] | None = None
        self._library: str | None = None
        self._import_index: dict[str, list[str]] | None = None
        self._memo: dict[tuple[str, int], tuple[cst.CSTNode, object]] = {}
        #: The project model, as far as this lint knows it (`asynclint.project`).
        self.project = ProjectView()

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
        # The arguments first: most calls have no generator expression, and the callee's
        # name is then not needed.
        if any(type(arg.value) is cst.GeneratorExp for arg in call.args) and self.is_offload_call(call):
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
        return types.call_name(self, call, frame or self.frame, depth)

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
        return types.type_of(self, expr, frame or self.frame, depth)

    def annotation_type(self, annotation: cst.BaseExpression, frame: Frame | None = None) -> str | None:
        """`httpx.Client`, `Optional[httpx.Client]`, `httpx.Client | None` -> httpx.Client."""
        return types.annotation_type(annotation, frame or self.frame)

    def class_attribute_types(self, cls_frame: Frame, depth: int = 0) -> dict[str, str | None]:
        """Attribute name -> type, from `self.x = Type()` in any method and `x: Type` in the
        class body; None where assignments disagree."""
        return types.class_attribute_types(self, cls_frame, depth)

    # Facts computed once -------------------------------------------------------------------

    def memo(self, key: str, node: cst.CSTNode, compute: Callable[[], T]) -> T:
        """The fact `key` about `node` (a node of this module): `compute()` the first time
        any rule asks, the same value afterwards. `key` names the fact, so that one node
        can carry several (`"coroutine-def"`, `"process-waits"`)."""
        slot = (key, id(node))
        found = self._memo.get(slot)
        if found is None:
            value = compute()
            # The node is kept with its value, so that its id cannot be reused.
            self._memo[slot] = (node, value)
            return value
        return cast("T", found[1])

    # Positions and source --------------------------------------------------------------------

    def want_position(self, node: cst.CSTNode) -> None:
        """Ask for `node`'s position, readable with `position()` from `Rule.finish()` on.
        (Asked during the walk: the statement that holds it is noted, so that it alone is
        generated for its position.)"""
        self._wanted.append(node)
        unit = innermost_unit(self.stack)
        if unit is not None:
            self._units[node] = unit

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
        """The `# noqa` comment of `line`, for a rule that reads it itself (ASL116): the
        line's comment is then in use whatever its codes (ASL003 judges none of them)."""
        self.noqa_read.add(line)
        return parse_noqa(self.line(line))

    def suppressed(self, code: str, start: int, end: int, *, aliases_only: bool = False) -> bool:
        """Whether a `# noqa` suppresses `code` for a finding from line `start` to `end`: on
        either line, or at the end of the logical line (after a multi-line string or
        expression, where `--add-noqa` puts it). With `noqa-aliases`, the flake8-async and
        ruff codes of `code` count too. The codes that did it are noted in `noqa_used`.
        `aliases_only`: only those codes count (under flake8, which reads the rest itself)."""
        if not self.has_noqa:
            return False
        for line in (start, end):
            if self._suppressed_at(line, code, aliases_only):
                return True
        if self._comment_places is None:
            self._comment_places = CommentPlaces(self.source)
        last = self._comment_places.logical_end(start)
        if last in (start, end):
            return False
        return self._suppressed_at(last, code, aliases_only)

    def _suppressed_at(self, line: int, code: str, aliases_only: bool = False) -> bool:
        noqa = parse_noqa(self.line(line))
        if noqa is None:
            return False
        aliases = ALIASES.get(code, ()) if self.settings.noqa_aliases else ()
        if aliases_only:
            if noqa.codes is None or not aliases:
                return False
            matched = tuple(c for c in noqa.codes if any(a.startswith(c) for a in aliases)) or None
        else:
            matched = noqa.matching(code, aliases)
        if matched is None:
            return False
        self.noqa_used.update((line, c) for c in matched)
        return True

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
