"""What a callee is, one implementation each for every rule family: `self.m` of this class,
a call that certainly makes a coroutine, the timeout scope a `with` item creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import dotted_name, walk
from asynclint.catalogs.concurrency import LIBRARY_COROUTINES, TRANSPARENT_DECORATORS
from asynclint.catalogs.timeouts import TIMEOUT_SCOPES
from asynclint.project import may_be_project_name

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Binding, Frame

#: Last names of the library coroutine functions: the cheap test before resolving a method.


def self_class(frame: Frame, name: str, *, closures: bool = False) -> Frame | None:
    """The class frame when `name`, read in code directly in `frame`'s function, is the
    first parameter (`self`, `cls`) of a method of that class (not a `@staticmethod`);
    None otherwise. With `closures`, also from a function nested in the method (where the
    name is the method's, by closure)."""
    found = frame.lookup(name)
    if found is None:
        return None
    function = found[0]
    if not closures and function is not frame.function_frame():
        return None
    node = function.node
    cls = function.parent
    if function.kind != "function" or not isinstance(node, cst.FunctionDef):
        return None
    if cls is None or cls.kind != "class":
        return None
    params = node.params.params
    if not params or params[0].name.value != name:
        return None
    if any(dotted_name(d.decorator) == "staticmethod" for d in node.decorators):
        return None
    return cls


def own_method(ctx: Context, func: cst.Attribute) -> list[Binding] | None:
    """For `self.m` / `cls.m` in a method: the bindings of `m` in the method's class (None
    when the receiver is not the method's first parameter, or the class does not bind `m`)."""
    if not isinstance(func.value, cst.Name):
        return None
    cls = self_class(ctx.frame, func.value.value)
    if cls is None:
        return None
    return cls.bindings.get(func.attr.value)


@dataclass(frozen=True, slots=True)
class CoroutineCall:
    """A call that certainly returns a coroutine."""

    #: The callee as written (`fetch`, `self.fetch`, `db.close`).
    written: str
    #: The library coroutine function it calls (`aiosqlite.Connection.close`); None for an
    #: `async def` of the module.
    library: str | None


def coroutine_call(ctx: Context, call: cst.Call) -> CoroutineCall | None:
    """`call` when it certainly returns a coroutine: a call of a coroutine function of this
    module (`fetch(...)`, `self.fetch(...)` for a method of the class) or of a library
    coroutine function (`asyncio.sleep(...)`, `StreamWriter.drain` on a receiver of known
    type); None otherwise."""
    func = call.func
    if isinstance(func, cst.Name):
        found = ctx.lookup(func.value)
        if found is not None and all(coroutine_def(ctx, b) for b in found[1]):
            return CoroutineCall(func.value, None)
        if found is not None and any(b.kind != "import" for b in found[1]):
            return None  # defined here, and no `async def`
    elif isinstance(func, cst.Attribute):
        bindings = own_method(ctx, func)
        if bindings and all(coroutine_def(ctx, b) for b in bindings):
            return CoroutineCall(f"{dotted_name(func.value)}.{func.attr.value}", None)
        if bindings:
            return None
    qualified = project_callee(ctx, call)
    if qualified is None:
        return None
    if qualified in LIBRARY_COROUTINES:
        return CoroutineCall(dotted_name(func) or qualified, qualified)
    if may_be_project_name(qualified) and ctx.project.is_coroutine_function(qualified):
        # An `async def` of another module of the project (or a method of a type the
        # project model knows).
        return CoroutineCall(dotted_name(func) or qualified, None)
    return None


def project_callee(ctx: Context, call: cst.Call) -> str | None:
    """The qualified name the project model knows a call's callee by: `module.Class.method`
    for `self.method()` in a method of a module-level class, else the call's qualified name
    (a function, or a method on a receiver of known type)."""
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        cls = self_class(ctx.frame, func.value.value)
        if cls is not None and cls.parent is not None and cls.parent.kind == "module":
            assert isinstance(cls.node, cst.ClassDef)
            return f"{ctx.module_info.name or '__main__'}.{cls.node.name.value}.{func.attr.value}"
    return ctx.call_name(call)


def coroutine_def(ctx: Context, binding: Binding) -> bool:
    """Whether `binding` is an `async def` that makes a coroutine when called: not an async
    generator, and not behind a decorator that may change what it returns."""
    node = binding.node
    if binding.kind != "def" or not isinstance(node, cst.FunctionDef) or node.asynchronous is None:
        return False
    return ctx.memo("coroutine-def", node, lambda: _makes_coroutine(node))


def _makes_coroutine(node: cst.FunctionDef) -> bool:
    if any((dotted_name(d.decorator) or "") not in TRANSPARENT_DECORATORS for d in node.decorators):
        return False
    return not any(isinstance(inner, cst.Yield) for inner in walk(node.body, into_scopes=False))


def timeout_scope(ctx: Context, expr: cst.BaseExpression, frame: Frame | None = None) -> str | None:
    """The qualified name of the timeout scope `expr` creates (`asyncio.timeout(5)`), or
    None. A name bound once to such a call counts too (`cm = asyncio.timeout(5)`)."""
    if isinstance(expr, cst.Name):
        found = ctx.lookup(expr.value, frame)
        if found is None or len(found[1]) != 1:
            return None
        value = found[1][0].value
        if found[1][0].kind != "assign" or not isinstance(value, cst.Call):
            return None
        expr = value
    if not isinstance(expr, cst.Call):
        return None
    name = ctx.qualified_name(expr.func, frame)
    return name if name in TIMEOUT_SCOPES else None
