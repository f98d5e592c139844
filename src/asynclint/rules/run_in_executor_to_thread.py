from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import is_none
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import Default, FixSafety, Rule

_LOOP_TYPES = frozenset({"asyncio.AbstractEventLoop", "asyncio.BaseEventLoop", "uvloop.Loop"})
_PARTIAL = frozenset({"functools.partial"})


class RunInExecutorToThread(Rule):
    """
    ## What it does
    Finds `loop.run_in_executor(None, func, *args)` inside `async def`, on a loop known
    from its binding (`loop = asyncio.get_running_loop()`) or annotation. Opt-in.

    ## Why is this bad?
    `asyncio.to_thread(func, *args, **kwargs)` (Python 3.9+) does the same with the
    default executor, takes keyword arguments without `functools.partial`, and needs no
    loop object. It also runs `func` in a copy of the current context, so context
    variables (request ids, tracing spans) are visible in the thread.

    ## Example
        import asyncio

        async def digest(path):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, read_and_hash, path)

    ## Use instead
        import asyncio

        async def digest(path):
            return await asyncio.to_thread(read_and_hash, path)

    ## Fix safety
    Unsafe: `to_thread` copies the context variables into the thread, which
    `run_in_executor` does not, so code that relies on not seeing them changes. Only a
    directly awaited call is fixed (`run_in_executor` returns a future that runs at once,
    `to_thread` a coroutine that starts when awaited), only when `target-version` is 3.9
    or later, and `functools.partial(func, *a, **kw)` is unpacked into
    `to_thread(func, *a, **kw)`.
    """

    code = "ASL606"
    name = "run-in-executor-to-thread"
    message = "Use `await asyncio.to_thread({function}, ...)` instead of `run_in_executor(None, ...)`"
    fix_safety = FixSafety.UNSAFE
    default = Default.OPT
    triggers = ("run_in_executor",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "run_in_executor":
            return
        if self.ctx.async_function is None or len(node.args) < 2:
            return
        executor, target = node.args[0], node.args[1]
        if executor.keyword is not None or executor.star or not is_none(executor.value) or target.star:
            return
        if self.ctx.type_of(func.value) not in _LOOP_TYPES:
            return
        label = self.ctx.code_for(target.value)
        if isinstance(target.value, cst.Call) and self.ctx.qualified_name(target.value.func) in _PARTIAL:
            inner = target.value.args[0] if target.value.args else None
            label = self.ctx.code_for(inner.value) if inner is not None else label
        self.report(node, function=" ".join(label.split()), fix=self._fix(node))

    def _fix(self, node: cst.Call) -> NodeFix | None:
        parent = self.ctx.parent
        if not isinstance(parent, cst.Await) or self.ctx.settings.target_minor < 9:
            return None
        if any(a.keyword is not None for a in node.args):
            return None
        args = list(node.args[1:])
        target = args[0].value
        if isinstance(target, cst.Call) and self.ctx.qualified_name(target.func) in _PARTIAL:
            if not target.args or target.args[0].keyword is not None or target.args[0].star or len(args) > 1:
                return None
            args = [*target.args, *args[1:]]
        reference = self.ctx.reference("asyncio.to_thread")
        if reference is None:
            return None
        expr, module = reference
        last = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        new = cst.Call(func=expr, args=[*args[:-1], last], lpar=node.lpar, rpar=node.rpar)
        return NodeFix({node: new}, "Use `asyncio.to_thread()`", imports_for(module))
