from __future__ import annotations

import re

import libcst as cst

from asynclint.analysis.nodes import positional_args, short_code
from asynclint.catalogs.calls import GATHER_CALLS
from asynclint.rule import Default, FixSafety, Rule

#: A module that mentions one of these already bounds its concurrency somewhere.
_BOUNDED_RE = re.compile(r"Semaphore|CapacityLimiter|[Ll]imiter\b|\bsem\b|\bsemaphore\b")
MAX_SHOWN = 40
SMALL_RANGE = 16


class UnboundedGather(Rule):
    """
    ## What it does
    Finds `asyncio.gather(*(f(x) for x in items))` (or a list comprehension) over an
    iterable that is not a literal or a small `range()`, in a module that has no
    semaphore or capacity limiter.

    ## Why is this bad?
    `gather` starts one task per item at once. With thousands of items that means
    thousands of simultaneous connections or file handles: servers throttle or refuse
    them, local limits (sockets, memory) run out, and everything slows down together.

    ## Example
        import asyncio

        async def fetch_all(urls):
            return await asyncio.gather(*(fetch(u) for u in urls))

    ## Use instead
        import asyncio

        async def fetch_all(urls):
            limit = asyncio.Semaphore(10)

            async def bounded(u):
                async with limit:
                    return await fetch(u)

            return await asyncio.gather(*(bounded(u) for u in urls))

    ## Fix safety
    No fix: the right limit depends on the service and the machine.
    """

    code = "ASL208"
    name = "unbounded-gather"
    message = "`asyncio.gather` over `{iter}` starts one task per item at once; bound the concurrency with an `asyncio.Semaphore`"
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("gather",)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._bounded: bool | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if not any(arg.star == "*" for arg in node.args):
            return
        if self.ctx.qualified_name(node.func) not in GATHER_CALLS:
            return
        for arg in node.args:
            if arg.star != "*" or not isinstance(arg.value, (cst.GeneratorExp, cst.ListComp)):
                continue
            iterable = arg.value.for_in.iter
            if self._is_small(iterable):
                continue
            if self._bounded is None:
                self._bounded = _BOUNDED_RE.search(self.ctx.source) is not None
            if self._bounded:
                return
            shown = short_code(self.ctx.code_for(iterable), MAX_SHOWN)
            self.report(node, iter=shown)
            return

    def _is_small(self, iterable: cst.BaseExpression) -> bool:
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.SimpleString)):
            return True
        if isinstance(iterable, cst.Call) and self.ctx.qualified_name(iterable.func) == "builtins.range":
            args = positional_args(iterable)
            values = [a.value for a in args]
            if values and all(isinstance(v, cst.Integer) for v in values):
                stop = values[-1] if len(values) <= 2 else values[1]
                assert isinstance(stop, cst.Integer)
                return stop.evaluated_value <= SMALL_RANGE
        return False
