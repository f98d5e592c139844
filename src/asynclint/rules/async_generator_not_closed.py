from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import SCOPE_NODES, children, walk
from asynclint.fixes import NodeFix, imports_for, split_for_wrapping
from asynclint.rule import FixSafety, Rule

if TYPE_CHECKING:
    pass

_LOOPS = (cst.For, cst.While)


class AsyncGeneratorNotClosed(Rule):
    """
    ## What it does
    Finds `async for x in agen(...):` where `agen` is an async generator function of the
    same module whose `yield` sits inside `try/finally`, `with` or `async with` (it has
    cleanup to run), the generator is created inline, and the loop can stop early: its
    body has a `break`, `return` or `raise`, or the loop is inside a `try` and its body
    awaits or calls something that can raise.

    ## Why is this bad?
    When the loop stops early, the generator is left suspended at its `yield`. Its
    `finally` or `async with` exit does not run until the generator is garbage-collected
    or the loop shuts down (`loop.shutdown_asyncgens()`), possibly in another task or never
    (PEP 525; PEP 533 was deferred). Locks stay held and connections stay open meanwhile.

    ## Example
        async def rows(db):
            async with db.cursor() as cursor:
                async for row in cursor:
                    yield row

        async def first_admin(db):
            async for row in rows(db):
                if row.admin:
                    return row

    ## Use instead
        import contextlib

        async def rows(db):
            async with db.cursor() as cursor:
                async for row in cursor:
                    yield row

        async def first_admin(db):
            async with contextlib.aclosing(rows(db)) as agen:
                async for row in agen:
                    if row.admin:
                        return row

    ## Fix safety
    Safe when the target version is 3.10 or later (`contextlib.aclosing`): the loop is
    wrapped in `async with contextlib.aclosing(agen(...)) as _agen:` and iterates `_agen`.
    The generator is created inline, so nothing else can resume it, and `aclose()` after a
    complete iteration does nothing. Below 3.10 the finding has no fix.
    """

    code = "ASL306"
    name = "async-generator-not-closed"
    message = "Async generator `{name}()` is left unfinished when this loop stops early, so its cleanup waits for garbage collection; wrap it in `contextlib.aclosing()`"
    fix_safety = FixSafety.SAFE
    peer = "FA ASYNC900/ASYNC119 (related)"
    triggers = ("async", "for", "yield")

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None or self.ctx.async_function is None:
            return
        call = node.iter
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
            return
        found = self.ctx.lookup(call.func.value)
        if found is None or found[0] is not self.ctx.module_frame or len(found[1]) != 1:
            return
        definition = found[1][0].node
        if not isinstance(definition, cst.FunctionDef) or not self._has_cleanup(definition):
            return
        if not self._can_stop_early(node):
            return
        self.report(node.iter, name=call.func.value, fix=self._fix(node, call))

    def _has_cleanup(self, function: cst.FunctionDef) -> bool:
        if function.asynchronous is None:
            return False
        return self.ctx.memo("yield-in-cleanup", function, lambda: _yield_in_cleanup(function.body, False))

    def _can_stop_early(self, loop: cst.For) -> bool:
        if _exits_early(loop.body, in_loop=False):
            return True
        in_try = False
        for ancestor in reversed(self.ctx.stack[:-1]):
            if isinstance(ancestor, SCOPE_NODES):
                break
            if isinstance(ancestor, (cst.Try, cst.TryStar)):
                in_try = True
                break
        if not in_try:
            return False
        return any(isinstance(n, (cst.Call, cst.Await)) for n in walk(loop.body, into_scopes=False))

    def _fix(self, loop: cst.For, call: cst.Call) -> NodeFix | None:
        if self.ctx.settings.target_minor < 10 or self.ctx.frame.kind != "function":
            return None
        if not isinstance(self.ctx.parent, cst.IndentedBlock):
            return None
        reference = self.ctx.reference("contextlib.aclosing")
        if reference is None:
            return None
        func, module = reference
        name = "_agen"
        index = 2
        while self.ctx.lookup(name) is not None:
            name = f"_agen{index}"
            index += 1
        # The comments right above the loop (`# pylint: disable-next=...`) go in with it.
        outer, attached = split_for_wrapping(loop.leading_lines)
        inner = loop.with_changes(iter=cst.Name(name), leading_lines=attached)
        with_node = cst.With(
            items=[
                cst.WithItem(
                    item=cst.Call(func=func, args=[cst.Arg(call)]), asname=cst.AsName(name=cst.Name(name))
                )
            ],
            body=cst.IndentedBlock(body=[inner]),
            asynchronous=cst.Asynchronous(),
            leading_lines=outer,
        )
        return NodeFix(
            {loop: with_node}, "Wrap the generator in `contextlib.aclosing()`", imports_for(module)
        )


def _yield_in_cleanup(node: cst.CSTNode, guarded: bool) -> bool:
    """A `yield` inside `try/finally`, `with` or `async with` (not in nested scopes)."""
    if isinstance(node, cst.Yield):
        return guarded
    if isinstance(node, SCOPE_NODES):
        return False
    if isinstance(node, cst.Try) and node.finalbody is not None:
        return (
            _yield_in_cleanup(node.body, True)
            or any(_yield_in_cleanup(part, guarded) for part in (*node.handlers, node.finalbody))
            or (node.orelse is not None and _yield_in_cleanup(node.orelse, True))
        )
    if isinstance(node, cst.With):
        return _yield_in_cleanup(node.body, True) or any(_yield_in_cleanup(i, guarded) for i in node.items)
    return any(_yield_in_cleanup(child, guarded) for child in children(node))


def _exits_early(node: cst.CSTNode, in_loop: bool) -> bool:
    """A `return` or `raise` anywhere in the loop body, or a `break` that leaves it."""
    if isinstance(node, (cst.Return, cst.Raise)):
        return True
    if isinstance(node, cst.Break):
        return not in_loop
    if isinstance(node, SCOPE_NODES):
        return False
    nested = in_loop or isinstance(node, _LOOPS)
    for child in children(node):
        # The `else` of a nested loop runs outside it: a `break` there leaves ours.
        if isinstance(node, _LOOPS) and child is getattr(node, "orelse", None):
            if _exits_early(child, in_loop):
                return True
            continue
        if _exits_early(child, nested):
            return True
    return False
