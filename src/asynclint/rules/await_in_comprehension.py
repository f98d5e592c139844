from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import describe_call, has_await, needs_parentheses, parenthesize
from asynclint.catalogs.concurrency import GATHER
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import (
    comments_in,
    has_comments,
    is_interactive_module,
    iterations_independent,
    loop_targets,
    says_serial,
    serialised_context,
    statement_comments,
)

Comprehension = cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp


class AwaitInComprehension(Rule):
    """
    ## What it does
    Finds a list, set, dict or generator comprehension in an `async def` whose element is
    `await f(x)`: one awaited call per item, with the same conditions as ASL201 (the call
    uses the item, works on the item or a pooled client, shares no connection, is
    neither an operation whose order matters, nor one that only starts background work,
    nor local work such as translating or converting, does not recurse, iterates no
    hooks, plugins or handlers, is no method of the items of a collection of `self`,
    and is handed neither its iterable nor an empty container the function fills). Left alone: comprehensions in a statement with a comment that
    says it is serial on purpose, modules that prompt a person at a terminal, `async
    for` comprehensions and test files.

    ## Why is this bad?
    The comprehension awaits each call before it starts the next, so it takes the sum of
    all latencies instead of about the slowest one.

    ## Example
        async def pages(ids):
            return [await fetch_page(i) for i in ids]

    ## Use instead
        import asyncio

        async def pages(ids):
            return await asyncio.gather(*(fetch_page(i) for i in ids))

    ## Fix safety
    Unsafe, and only for a list comprehension directly in the function:
    `[await f(x) for x in xs]` becomes `await asyncio.gather(*(f(x) for x in xs))`, which
    also returns a list in the same order. All the calls now start at once: the iterable
    is consumed first, there is no limit on how many run together (bound them with an
    `asyncio.Semaphore` for large inputs), when one call fails the others keep running,
    and each runs in a copy of the context. Set, dict and generator forms are reported
    without a fix.
    """

    code = "ASL202"
    name = "await-in-comprehension"
    message = "Awaiting `{call}(...)` for each item of a comprehension runs the calls one after another; use {how} (bound the concurrency, e.g. with an `asyncio.Semaphore`, for large inputs)"
    fix_safety = FixSafety.UNSAFE
    skip_test_files = True
    triggers = ("await", "for")

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check(node, node.elt)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._check(node, node.elt)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check(node, node.elt)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._check(node, node.value)

    def _check(self, node: Comprehension, element: cst.BaseExpression) -> None:
        if not isinstance(element, cst.Await) or self.ctx.async_function is None:
            return
        call = element.expression
        if not isinstance(call, cst.Call):
            return
        targets: set[str] = set()
        iterables: list[cst.BaseExpression] = []
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            if comp.asynchronous is not None:
                return
            names = loop_targets(comp.target)
            if names is None:
                return
            targets |= names
            iterables.append(comp.iter)
            for part in (comp.iter if comp is not node.for_in else None, *(c.test for c in comp.ifs)):
                if part is not None and has_await(part):
                    return
            comp = comp.inner_for_in
        if iterations_independent(self.ctx, call, targets, iterables) is None:
            return
        if serialised_context(self.ctx) is not None or is_interactive_module(self.ctx):
            return
        if says_serial(statement_comments(self.ctx)) or says_serial(comments_in(node)):
            return
        library = self.ctx.library
        how = "`asyncio.gather(*(...))`" if library == "asyncio" else GATHER[library]
        fix = self._fix(node, call) if library == "asyncio" else None
        self.report(element, fix=fix, call=describe_call(call), how=how)

    def _fix(self, node: Comprehension, call: cst.Call) -> NodeFix | None:
        if not isinstance(node, cst.ListComp) or self.ctx.frame.kind != "function" or has_comments(node):
            return None
        reference = self.ctx.reference("asyncio.gather")
        if reference is None:
            return None
        gather, module = reference
        generator = cst.GeneratorExp(elt=call, for_in=node.for_in)
        new: cst.BaseExpression = cst.Await(
            expression=cst.Call(func=gather, args=[cst.Arg(value=generator, star="*")])
        )
        if needs_parentheses(new, self.ctx.parent) or node.lpar:
            new = parenthesize(new)
        return NodeFix({node: new}, "Run the calls concurrently with `asyncio.gather`", imports_for(module))
