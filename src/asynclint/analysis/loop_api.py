"""Event-loop API facts shared by the ASL6xx rules: whether a call makes a coroutine, and
whether code runs inside a coroutine (directly, or in a callback nested in one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import dotted_name
from asynclint.catalogs.concurrency import LIBRARY_COROUTINES

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame


def coroutine_call(ctx: Context, call: cst.Call) -> str | None:
    """A label for `call` when it certainly returns a coroutine: a call of an `async def`
    of this module (`fetch(...)`, `self.fetch(...)`) or of a library coroutine function
    (`asyncio.sleep(...)`); None otherwise."""
    func = call.func
    if isinstance(func, cst.Name):
        found = ctx.lookup(func.value)
        if found is not None:
            bindings = found[1]
            if len(bindings) == 1 and _is_async_def(bindings[0].node):
                return func.value
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        method = _method_of_self(ctx, func)
        if method is not None:
            return f"{func.value.value}.{func.attr.value}" if _is_async_def(method) else None
    name = ctx.call_name(call)
    if name in LIBRARY_COROUTINES:
        # As written: `db.close`, not the receiver's type `aiosqlite.Connection.close`.
        return dotted_name(func) or name
    return None


def _is_async_def(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.FunctionDef) and node.asynchronous is not None


def _method_of_self(ctx: Context, func: cst.Attribute) -> cst.CSTNode | None:
    """The method `self.name` refers to in the enclosing class, if it is defined once."""
    assert isinstance(func.value, cst.Name)
    frame = ctx.frame.function_frame()
    cls = ctx.frame.class_frame()
    if frame is None or cls is None or not isinstance(frame.node, cst.FunctionDef):
        return None
    params = frame.node.params.params
    if not params or params[0].name.value != func.value.value or func.value.value not in ("self", "cls"):
        return None
    bindings = cls.bindings.get(func.attr.value)
    if bindings is None or len(bindings) != 1:
        return None
    return bindings[0].node


def inside_coroutine(ctx: Context) -> bool:
    """The visited node is in an `async def`, or in a function, lambda or class nested in
    one (a callback that runs while the loop is running)."""
    frame: Frame | None = ctx.frame
    while frame is not None:
        if frame.is_async_function:
            return True
        frame = frame.parent
    return False
