"""The one type inference: the qualified type of an expression, when the file shows it
(a constructor call, a call of known return type, an annotation, an assignment or a `with`
target in scope, `self.x = Type()` in the class), and the callee names it gives
(`s.get(...)` with `s = requests.Session()` calls `requests.Session.get`).

`Context.type_of`, `Context.call_name` and `Context.annotation_type` are the entry points
rules use; the facts of a class are computed once per file (`Context.memo`).

One kind of type carries a parameter: `contextvars.ContextVar[app.Context]`, from an
annotation `ContextVar[Context]`, so that `var.get()` is typed `app.Context` (`GENERICS`).
The parameter stays inside this module and the project model (annotations, class
attribute types, the summary's types): `type_of` and `call_name` give the bare class
(`contextvars.ContextVar`, `contextvars.ContextVar.get`) to rules, messages and catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.methods import self_class
from asynclint.analysis.nodes import children
from asynclint.analysis.scopes import Frame, qualified_name
from asynclint.catalogs import types as table
from asynclint.project import may_be_project_name, split_type

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Binding

#: How many steps (assignments, calls, attributes) inference follows before giving up.
MAX_DEPTH = 6

#: Generic classes whose parameter an annotation gives (`ContextVar[T]`), with the method
#: that gives a value of that type (`var.get()`, `var.get(default)`: `T`).
GENERICS: dict[str, str] = {"contextvars.ContextVar": "get"}


def type_of(
    ctx: Context, expr: cst.BaseExpression, frame: Frame, depth: int = 0, *, parameters: bool = False
) -> str | None:
    """The qualified type of `expr`, read from code directly in `frame`, or None; the bare
    class, unless `parameters` (the project model's summary keeps `ContextVar[T]`)."""
    if depth:
        found = _type_of(ctx, expr, frame, depth)
    else:
        found = frame.remembered("type", expr, lambda: _type_of(ctx, expr, frame, 0))
    return found if parameters or found is None else split_type(found)[0]


def _type_of(ctx: Context, expr: cst.BaseExpression, frame: Frame, depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        return None
    # `type(...) is`: see `nodes.last_name`.
    if type(expr) is cst.Call:
        return _call_type(ctx, expr, frame, depth, awaited=False)
    if type(expr) is cst.Await and type(expr.expression) is cst.Call:
        return _call_type(ctx, expr.expression, frame, depth, awaited=True)
    if type(expr) is cst.Name:
        found = frame.lookup(expr.value)
        if found is None:
            return None
        scope, bindings = found
        kinds = set()
        for binding in bindings:
            kinds.add(_binding_type(ctx, binding, scope, depth))
        return kinds.pop() if len(kinds) == 1 else None
    if type(expr) is cst.Attribute:
        return _attribute_type(ctx, expr, frame, depth)
    return None


def call_name(ctx: Context, call: cst.Call, frame: Frame, depth: int = 0) -> str | None:
    """The qualified name of a call's callee: a function (`time.sleep`) or, for a method on
    a receiver of known type, `Type.method` (`requests.Session.get`)."""
    if depth:
        return _callee(ctx, call, frame, depth)[0]
    return frame.remembered("call", call, lambda: _callee(ctx, call, frame, 0)[0])


def _callee(ctx: Context, call: cst.Call, frame: Frame, depth: int) -> tuple[str | None, str | None]:
    """`call_name`, and the type of the receiver when the name comes from it (with its
    parameter: `contextvars.ContextVar[app.Context]`)."""
    name = qualified_name(frame, call.func)
    if name is not None:
        if isinstance(call.func, cst.Attribute) and may_be_project_name(name):
            # `CONFIG.read_text()` with `from app.paths import CONFIG`: a method of the
            # type of a project's module-level variable.
            receiver = _type_of(ctx, call.func.value, frame, depth + 1)
            if receiver is not None:
                return f"{split_type(receiver)[0]}.{call.func.attr.value}", receiver
        return name, None
    if isinstance(call.func, cst.Attribute):
        receiver = _type_of(ctx, call.func.value, frame, depth + 1)
        if receiver is not None:
            return f"{split_type(receiver)[0]}.{call.func.attr.value}", receiver
    return None, None


def _call_type(ctx: Context, call: cst.Call, frame: Frame, depth: int, awaited: bool) -> str | None:
    name, receiver = _callee(ctx, call, frame, depth + 1)
    if name is None:
        return None
    if receiver is not None and not awaited:
        # `var.get()` on a `ContextVar[T]`: a `T`.
        outer, parameter = split_type(receiver)
        if parameter is not None and outer in GENERICS and name == f"{outer}.{GENERICS[outer]}":
            return parameter
    name = table.ALIASES.get(name, name)
    returns = table.AWAIT_RETURNS if awaited else table.RETURNS
    if name in returns:
        return returns[name]
    last = name.rsplit(".", 1)[-1]
    if not awaited and last[:1].isupper() and not last.isupper():
        return name
    if not may_be_project_name(name):
        return None
    # What a function of the project returns (awaited: what its coroutine gives).
    found = ctx.project.return_type(name)
    return _concrete(found)


def _binding_type(ctx: Context, binding: Binding, scope: Frame, depth: int) -> str | None:
    if binding.kind == "import":
        # A module-level variable of another module of the project.
        name = binding.qualified
        if name is None or "." not in name or not may_be_project_name(name):
            return None
        found = ctx.project.variable_type(name)
        return _concrete(found)
    if binding.annotation is not None:
        annotated = annotation_type(binding.annotation, scope)
        if annotated is not None:
            return annotated
    if binding.kind in ("assign", "annassign", "with", "param") and binding.value is not None:
        if binding.kind == "param" and binding.annotation is None:
            return None  # a default value says little about what callers pass
        if binding.kind == "with" and isinstance(binding.value, cst.Call):
            entered = _entered_type(ctx, binding.value, scope, depth)
            if entered is not None:
                return entered
        return _type_of(ctx, binding.value, scope, depth + 1)
    return None


def _entered_type(ctx: Context, call: cst.Call, frame: Frame, depth: int) -> str | None:
    """What `with helper(...) as x` binds when `helper` is a context-manager function (or
    class) of the project: the type it yields, or its `__enter__`'s."""
    name = call_name(ctx, call, frame, depth + 1)
    if name is None or name in table.RETURNS or not may_be_project_name(name):
        return None
    found = ctx.project.enter_type(table.ALIASES.get(name, name))
    return _concrete(found)


def annotation_type(annotation: cst.BaseExpression, frame: Frame) -> str | None:
    """`httpx.Client`, `Optional[httpx.Client]`, `httpx.Client | None` -> httpx.Client;
    `ContextVar[httpx.Client]` -> contextvars.ContextVar[httpx.Client]."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [annotation.left, annotation.right]
        real = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
        return annotation_type(real[0], frame) if len(real) == 1 else None
    if isinstance(annotation, cst.Subscript):
        outer = qualified_name(frame, annotation.value)
        if outer in ("typing.Optional", "typing.Annotated") and annotation.slice:
            inner = annotation.slice[0].slice
            if isinstance(inner, cst.Index):
                return annotation_type(inner.value, frame)
        if outer in GENERICS and len(annotation.slice) == 1:
            # `ContextVar[T]`: kept with its parameter, when `T` is known.
            inner = annotation.slice[0].slice
            parameter = annotation_type(inner.value, frame) if isinstance(inner, cst.Index) else None
            return f"{outer}[{parameter}]" if parameter is not None else None
        return None
    if isinstance(annotation, cst.SimpleString):
        text = annotation.evaluated_value
        if isinstance(text, str) and re.fullmatch(r"[\w.]+", text):
            try:
                parsed = cst.parse_expression(text)
            except cst.ParserSyntaxError:
                return None
            return annotation_type(parsed, frame)
        return None
    name = qualified_name(frame, annotation)
    if name is None:
        return None
    return table.ALIASES.get(name, name)


def _attribute_type(ctx: Context, expr: cst.Attribute, frame: Frame, depth: int) -> str | None:
    """`self.x` inside a method: the type the class gives attribute `x` (or, for a class of
    the module level, one of its bases in the project); `obj.x` for `obj` of a type of the
    project: the type its class gives `x`."""
    attr = expr.attr.value
    if isinstance(expr.value, cst.Name):
        cls = self_class(frame, expr.value.value)
        if cls is not None:
            found = class_attribute_types(ctx, cls, depth).get(attr)
            if found is not None or attr in class_attribute_types(ctx, cls, depth):
                return found
            owner = _module_class_name(ctx, cls)
            return _project_attribute(ctx, owner, attr) if owner is not None else None
    dotted = qualified_name(frame, expr)
    if dotted is not None and may_be_project_name(dotted):
        # `paths.CONFIG` with `from app import paths`: a module-level variable.
        found = ctx.project.variable_type(dotted)
        if found is not None:
            return _concrete(found)
    owner = _type_of(ctx, expr.value, frame, depth + 1)
    if owner is None or not may_be_project_name(owner):
        return None
    return _project_attribute(ctx, owner, attr)


def _project_attribute(ctx: Context, owner: str, attr: str) -> str | None:
    found = ctx.project.attribute_type(owner, attr)
    return _concrete(found)


def _module_class_name(ctx: Context, cls: Frame) -> str | None:
    """The qualified name of a class defined at module level, or None."""
    if cls.parent is None or cls.parent.kind != "module" or not isinstance(cls.node, cst.ClassDef):
        return None
    module = ctx.module_info.name or "__main__"
    return f"{module}.{cls.node.name.value}"


def class_attribute_types(ctx: Context, cls_frame: Frame, depth: int = 0) -> dict[str, str | None]:
    """Attribute name -> type, from `self.x = Type()` in any method and `x: Type` in the
    class body; None where assignments disagree. Once per class and file."""
    result: dict[str, str | None] = {}
    # Stored before it is filled: a type that depends on the class itself sees what is
    # known so far instead of recursing.
    stored = ctx.memo("class-attribute-types", cls_frame.node, lambda: result)
    if stored is not result:
        return stored

    #: Attributes with an annotation: it says the type, whatever assignments show.
    declared: set[str] = set()

    def note(attr: str, kind: str | None, annotated: bool = False) -> None:
        if attr in declared:
            return
        if annotated and kind is not None:
            declared.add(attr)
            result[attr] = kind
        elif attr in result and result[attr] != kind:
            result[attr] = None
        elif attr not in result:
            result[attr] = kind

    cls = cls_frame.node
    assert isinstance(cls, cst.ClassDef)
    for name, bindings in cls_frame.bindings.items():
        for binding in bindings:
            if binding.kind == "annassign" and binding.annotation is not None:
                note(name, annotation_type(binding.annotation, cls_frame), annotated=True)
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        if not isinstance(stmt, cst.FunctionDef) or not stmt.params.params:
            continue
        self_name = stmt.params.params[0].name.value
        method_frame = Frame(stmt, "function", cls_frame, stmt.asynchronous is not None, cls_frame.module)
        for node in _assignments(stmt.body):
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
                        note(target.attr.value, annotation_type(annotation, method_frame), annotated=True)
                        continue
                    kind = _type_of(ctx, value, method_frame, depth + 1) if value is not None else None
                    note(target.attr.value, kind)
    return result


#: The statements and their parts that can hold an assignment statement (exact types:
#: libcst's node classes have no subclasses).
_STATEMENT_PARTS = frozenset(
    {
        cst.IndentedBlock,
        cst.SimpleStatementSuite,
        cst.SimpleStatementLine,
        cst.If,
        cst.Else,
        cst.For,
        cst.While,
        cst.With,
        cst.Try,
        cst.TryStar,
        cst.ExceptHandler,
        cst.ExceptStarHandler,
        cst.Finally,
        cst.Match,
        cst.MatchCase,
    }
)


#: Decorators that make a generator function a context manager: its call gives no value of
#: its return annotation's type (the summary records what it yields instead).
CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


def declared_type(ctx: Context, kind: str, names: str) -> str | None:
    """For a question of the project model about a name of this module (`returns
    pkg.mod.f`, `returns pkg.mod.Class.method`, `attribute pkg.mod.Class attr`), the type
    the module's own code declares: a function's or method's return annotation, or the
    type the class gives the attribute, as the module's summary records them; None when
    the code says nothing, or when the type is one of this module's classes (whether such
    a type tells a rule anything depends on the module's whole summary).

    A first pass asks about a module's own names before its summary exists (a function
    called above its `def`): answered here, the file is mostly not linted again once the
    summary is known (`engine._own_answers` checks these answers as it checks the rest)."""
    module = ctx.module_info.name or "__main__"
    prefix = module + "."
    attr = ""
    if kind == "attribute":
        names, _, attr = names.rpartition(" ")
    elif kind != "returns":
        return None
    if not names.startswith(prefix):
        return None
    parts = names[len(prefix) :].split(".")
    if kind == "attribute":
        found = _declared_member(ctx, module, parts[0], attr, attribute=True) if len(parts) == 1 else None
    elif len(parts) == 1:
        found = _declared_return(ctx.module_frame, parts[0])
    else:
        found = (
            _declared_member(ctx, module, parts[0], parts[1], attribute=False) if len(parts) == 2 else None
        )
    if found is None:
        return None
    outer, parameter = split_type(found)
    if outer.startswith(prefix) or (parameter is not None and parameter.startswith(prefix)):
        return None
    return found


def _declared_member(ctx: Context, module: str, cls: str, member: str, *, attribute: bool) -> str | None:
    """The type of attribute `member` of the class `cls` of this module (`module`), or what
    its method `member` returns, looked up along the bases breadth first as the project
    model does: in the classes of this module from their code, in another module's from the
    project model; None as soon as a class in the way does not say."""
    queue = [f"{module}.{cls}"]
    seen: set[str] = set()
    while queue and len(seen) < 8:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        owner, _, name = current.rpartition(".")
        if owner != module:
            if attribute:
                return ctx.project.attribute_type(current, member)
            return ctx.project.return_type(f"{current}.{member}")
        frame = _own_class_frame(ctx, name)
        if frame is None:
            return None
        if attribute:
            types = class_attribute_types(ctx, frame)
            if member in types:
                return types[member]
        elif member in frame.bindings:
            return _declared_return(frame, member)
        assert isinstance(frame.node, cst.ClassDef)
        for base in frame.node.bases:
            if base.keyword is not None:
                continue
            # Bases the summary does not record (unnamed) or the project cannot define
            # (the standard library's) are no classes of the project model either.
            qualified = qualified_name(ctx.module_frame, base.value)
            if qualified is not None and may_be_project_name(qualified):
                queue.append(qualified)
    return None


def _own_class_frame(ctx: Context, name: str) -> Frame | None:
    """The frame of the module-level class `name`, when it is the name's only binding: the
    walk's, once it has entered the class, else one made for the questions (once)."""
    bindings = ctx.module_frame.bindings.get(name, [])
    if len(bindings) != 1 or not isinstance(bindings[0].node, cst.ClassDef):
        return None
    node = bindings[0].node
    return ctx.frame_of(node) or ctx.memo(
        "class-frame", node, lambda: Frame(node, "class", ctx.module_frame, False, ctx.module_info)
    )


def _declared_return(frame: Frame, name: str) -> str | None:
    """The return annotation's type of the function `name` defined in `frame` (its only
    binding there), unless a decorator makes it a context manager."""
    bindings = frame.bindings.get(name, [])
    if len(bindings) != 1 or not isinstance(bindings[0].node, cst.FunctionDef):
        return None
    node = bindings[0].node
    if node.returns is None:
        return None
    if any(
        not isinstance(d.decorator, cst.Call) and qualified_name(frame, d.decorator) in CONTEXT_MANAGERS
        for d in node.decorators
    ):
        return None
    return annotation_type(node.returns.annotation, frame)


def _assignments(body: cst.BaseSuite) -> Iterator[cst.Assign | cst.AnnAssign]:
    """The assignment statements of a function's body, in blocks at any depth but not in
    nested definitions: only statements are walked, never their expressions."""
    todo: list[cst.CSTNode] = [body]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is cst.Assign or kind is cst.AnnAssign:
            yield node  # type: ignore[misc]
        elif kind in _STATEMENT_PARTS:
            todo.extend(reversed(children(node)))


def _concrete(name: str | None) -> str | None:
    """A type the project model gave, in the spelling the catalogs use (`typing.TextIO` is
    `io.TextIOWrapper`), its parameter too."""
    if name is None:
        return None
    outer, parameter = split_type(name)
    if parameter is not None:
        return f"{table.ALIASES.get(outer, outer)}[{_concrete(parameter)}]"
    return table.ALIASES.get(name, name)
