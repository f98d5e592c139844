"""Scopes, bindings and qualified names, computed lazily and only where a rule asks.

libcst's ScopeProvider and QualifiedNameProvider cost nine times a parse on every file;
rules only ever need to know what a handful of names refer to. A `Frame` is one scope on
the path from the module to the node being visited. Its bindings are collected on first
use by a walk over its statements (expressions are only searched for `:=` when the file
has one), so a function nobody asks about costs nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from asynclint.analysis.nodes import COMPREHENSIONS, children, dotted_name, walk
from asynclint.catalogs.names import canonical

BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(slots=True)
class Binding:
    """One way a name gets a value in a scope."""

    kind: str  # import | param | assign | annassign | augassign | for | with | except | def | class | del | other
    node: cst.CSTNode | None = None
    qualified: str | None = None  # imports and module-level definitions
    annotation: cst.BaseExpression | None = None
    value: cst.BaseExpression | None = None


@dataclass(eq=False)
class Frame:
    """A scope: the module, a function, a lambda, a class body or a comprehension."""

    node: cst.CSTNode
    kind: str  # module | function | lambda | class | comprehension
    parent: Frame | None
    on_loop: bool  # code directly in this scope runs on the event loop
    module: ModuleInfo
    _bindings: dict[str, list[Binding]] | None = field(default=None, repr=False)
    _declared_global: set[str] = field(default_factory=set, repr=False)
    _declared_nonlocal: set[str] = field(default_factory=set, repr=False)
    _sole_qualified: dict[str, str | None] = field(default_factory=dict, repr=False)
    #: What was inferred of an expression from this frame (`remembered`), by the kind of
    #: inference and the expression's `id`, with the expression (kept alive so that its
    #: `id` is not reused).
    _inferred: dict[tuple[str, int], tuple[cst.CSTNode, str | None]] = field(default_factory=dict, repr=False)

    @property
    def is_async_function(self) -> bool:
        return isinstance(self.node, cst.FunctionDef) and self.node.asynchronous is not None

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        if self._bindings is None:
            self._bindings = {}
            _Collector(self).collect()
        return self._bindings

    def remembered(self, kind: str, node: cst.CSTNode, infer: Callable[[], str | None]) -> str | None:
        """`infer()` the first time `kind` is asked of `node` from this frame, the same
        answer afterwards: every rule asks of the same calls, and an inference depends on
        the frames' bindings and the project's answers alone, which a lint does not change."""
        key = (kind, id(node))
        known = self._inferred.get(key)
        if known is None:
            known = self._inferred[key] = (node, infer())
        return known[1]

    def sole_qualified(self, name: str) -> str | None:
        """The qualified name every binding of `name` in this frame agrees on, or None.
        Remembered: a name bound 20,000 times and used as often is looked at once."""
        try:
            return self._sole_qualified[name]
        except KeyError:
            pass
        bindings = self.bindings[name]
        if any(b.kind == "import" for b in bindings):
            # `try: import requests` / `except ImportError: requests = None`: the fallback
            # of an optional import still means the module where it is used.
            bindings = [b for b in bindings if not _none_fallback(b)]
        quals = {b.qualified for b in bindings}
        sole = quals.pop() if len(quals) == 1 else None
        self._sole_qualified[name] = sole
        return sole

    def lookup(self, name: str) -> tuple[Frame, list[Binding]] | None:
        """The scope that `name` refers to from code directly in this frame, with the
        bindings it has there; None when it is unbound (a builtin, or a star import)."""
        frame: Frame | None = self
        first = True
        while frame is not None:
            # A class body is only visible to code directly in it.
            if frame.kind != "class" or first:
                bindings = frame.bindings
                if name in frame._declared_global:
                    frame = self.module_frame
                    continue
                if name in bindings and name not in frame._declared_nonlocal:
                    return frame, bindings[name]
            first = False
            frame = frame.parent
        return None

    @property
    def module_frame(self) -> Frame:
        frame = self
        while frame.parent is not None:
            frame = frame.parent
        return frame

    def function_frame(self) -> Frame | None:
        """The innermost function or lambda scope (skipping comprehensions)."""
        frame: Frame | None = self
        while frame is not None and frame.kind == "comprehension":
            frame = frame.parent
        return frame if frame is not None and frame.kind in ("function", "lambda") else None

    def class_frame(self) -> Frame | None:
        """For a method's frame, the frame of its class."""
        func = self.function_frame()
        if func is not None and func.parent is not None and func.parent.kind == "class":
            return func.parent
        return None


@dataclass(eq=False)
class ModuleInfo:
    """Facts about the whole module that name resolution needs."""

    name: str  # dotted module name ("pkg.mod"); "" when unknown
    is_package: bool  # an __init__.py
    has_walrus: bool
    star_imports: list[str] = field(default_factory=list)

    def absolute(self, level: int, module: str | None) -> str:
        """The absolute name of a relative import `from {'.' * level}{module} import ...`."""
        if level == 0:
            return module or ""
        parts = self.name.split(".") if self.name else []
        if not self.is_package and parts:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: max(0, len(parts) - (level - 1))]
        base = ".".join(parts)
        if module:
            return f"{base}.{module}" if base else module
        return base


def import_bindings(node: cst.Import | cst.ImportFrom, module: ModuleInfo) -> list[tuple[str, str]]:
    """(local name, qualified name) pairs that an import statement binds."""
    out: list[tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out.append((alias.asname.name.value, full))
            else:
                head = full.split(".", 1)[0]
                out.append((head, head))
        return out
    base_module = (dotted_name(node.module) or "") if node.module is not None else None
    base = module.absolute(len(node.relative), base_module)
    if isinstance(node.names, cst.ImportStar):
        module.star_imports.append(base)
        return out
    for alias in node.names:
        name = dotted_name(alias.name) or ""
        full = f"{base}.{name}" if base else name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            out.append((alias.asname.name.value, full))
        else:
            out.append((name, full))
    return out


class _Collector:
    """Collects the bindings of one frame from its statements."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        assert frame._bindings is not None
        self.bindings = frame._bindings
        self.at_module = frame.kind == "module"
        self.module = frame.module

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def collect(self) -> None:
        node = self.frame.node
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            self.params(node.params)
            if isinstance(node, cst.Lambda):
                self.expressions(node.body)
                return
            self.block(node.body)
        elif isinstance(node, cst.ClassDef):
            self.block(node.body)
        elif isinstance(node, cst.Module):
            self.statements(node.body)
        elif isinstance(node, COMPREHENSIONS):
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                self.target(comp.target, Binding("for", comp))
                comp = comp.inner_for_in

    def params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for param in every:
            annotation = param.annotation.annotation if param.annotation else None
            self.add(param.name.value, Binding("param", param, annotation=annotation, value=param.default))

    def block(self, body: cst.BaseSuite) -> None:
        if isinstance(body, cst.IndentedBlock):
            self.statements(body.body)
        else:
            self.small_statements(body.body)  # type: ignore[attr-defined]

    def statements(self, stmts: object) -> None:
        for stmt in stmts:  # type: ignore[attr-defined]
            if isinstance(stmt, cst.SimpleStatementLine):
                self.small_statements(stmt.body)
            else:
                self.compound(stmt)

    def compound(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            kind = "def" if isinstance(stmt, cst.FunctionDef) else "class"
            qualified = f"{self.module.name or '__main__'}.{stmt.name.value}" if self.at_module else None
            self.add(stmt.name.value, Binding(kind, stmt, qualified=qualified))
            return
        if isinstance(stmt, cst.For):
            self.target(stmt.target, Binding("for", stmt, value=stmt.iter))
            self.expressions(stmt.iter)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self.expressions(item.item)
                if item.asname is not None:
                    self.target(item.asname.name, Binding("with", item, value=item.item))
        elif isinstance(stmt, (cst.If, cst.While)):
            self.expressions(stmt.test)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            for handler in stmt.handlers:
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    self.add(handler.name.name.value, Binding("except", handler))
                self.block(handler.body)
        elif isinstance(stmt, cst.Match):
            self.expressions(stmt.subject)
            for case in stmt.cases:
                for node in walk(case.pattern):
                    name = (
                        getattr(node, "name", None)
                        if isinstance(node, (cst.MatchAs, cst.MatchStar))
                        else None
                    )
                    if isinstance(node, cst.MatchMapping) and node.rest is not None:
                        name = node.rest
                    if isinstance(name, cst.Name):
                        self.add(name.value, Binding("other", node))
                self.block(case.body)
        for attr in ("body", "orelse", "finalbody"):
            part = getattr(stmt, attr, None)
            if isinstance(part, cst.BaseSuite):
                self.block(part)
            elif isinstance(part, (cst.Else, cst.Finally)):
                self.block(part.body)
            elif isinstance(part, (cst.If,)):
                self.compound(part)

    def small_statements(self, smalls: object) -> None:
        # `type(...) is`: see `nodes.last_name`.
        for small in smalls:  # type: ignore[attr-defined]
            if type(small) is cst.Assign:
                for target in small.targets:
                    self.target(target.target, Binding("assign", small, value=small.value))
                self.expressions(small.value)
            elif type(small) is cst.AnnAssign:
                self.target(
                    small.target,
                    Binding("annassign", small, annotation=small.annotation.annotation, value=small.value),
                )
                if small.value is not None:
                    self.expressions(small.value)
            elif type(small) is cst.AugAssign:
                self.target(small.target, Binding("augassign", small, value=small.value))
                self.expressions(small.value)
            elif type(small) is cst.Import or type(small) is cst.ImportFrom:
                for local, full in import_bindings(small, self.module):
                    self.add(local, Binding("import", small, qualified=full))
            elif type(small) is cst.Global:
                for item in small.names:
                    self.frame._declared_global.add(item.name.value)
            elif type(small) is cst.Nonlocal:
                for item in small.names:
                    self.frame._declared_nonlocal.add(item.name.value)
            elif type(small) is cst.Del:
                self.target(small.target, Binding("del", small))
            else:
                for child in children(small):
                    self.expressions(child)

    def target(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self.add(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.target(element.value, Binding(binding.kind, binding.node))
        elif isinstance(target, cst.StarredElement):
            self.target(target.value, Binding(binding.kind, binding.node))

    def expressions(self, expr: cst.CSTNode) -> None:
        """Walrus targets bind in the enclosing function, even from a comprehension."""
        if not self.module.has_walrus:
            return
        for node in walk(expr, into_scopes=False):
            if isinstance(node, cst.NamedExpr):
                self.target(node.target, Binding("assign", node, value=node.value))


def _none_fallback(binding: Binding) -> bool:
    """`name = None`: what an optional import falls back to."""
    value = binding.value
    return binding.kind == "assign" and isinstance(value, cst.Name) and value.value == "None"


def qualified_name(frame: Frame, expr: cst.BaseExpression) -> str | None:
    """What a Name/Attribute chain refers to, as a canonical dotted name: `t.sleep` with
    `import time as t` gives `time.sleep`; `open` gives `builtins.open`; a module-level
    `def helper` gives `pkg.mod.helper`; `from asyncio.tasks import gather` makes `gather`
    `asyncio.gather` (see `catalogs.names`). None for locals, parameters and anything
    unknown."""
    return frame.remembered("qualified", expr, lambda: _qualified_name(frame, expr))


def _qualified_name(frame: Frame, expr: cst.BaseExpression) -> str | None:
    parts: list[str] = []
    # `type(...) is`: see `nodes.last_name`.
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is not cst.Name:
        return None
    head = expr.value
    found = frame.lookup(head)
    if found is None:
        if head in BUILTIN_NAMES and not frame.module.star_imports:
            base = f"builtins.{head}"
        else:
            return None
    else:
        scope, bindings = found
        sole = scope.sole_qualified(head)
        if sole is None:
            return None
        if scope.kind != "module" and bindings[0].kind != "import":
            return None
        base = sole
    return canonical(".".join([base, *reversed(parts)]) if parts else base)


def is_bound_locally(frame: Frame, name: str) -> bool:
    """Whether `name` is bound anywhere in the chain (so it does not mean a global or
    builtin of that name)."""
    return frame.lookup(name) is not None
