"""The shared body of the ASL1xx rules that report catalog calls on the event loop: each
rule is this class with its own code, message and documentation. What a call is comes from
`analysis.blocking`; the fixes of rule-catalog §1.3 are built here.
"""

from __future__ import annotations

import libcst as cst

from asynclint.analysis.blocking import Hit, blocking_call, replacement_text
from asynclint.analysis.nodes import (
    dotted_name,
    keyword_arg,
    needs_parentheses,
    parenthesize,
    positional_args,
)
from asynclint.catalogs import blocking as catalog
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import Rule

_TO_THREAD = {
    "asyncio": "asyncio.to_thread",
    "anyio": "anyio.to_thread.run_sync",
    "trio": "trio.to_thread.run_sync",
}


class BlockingCallRule(Rule):
    """Reports the catalog calls of its code made on the event loop."""

    abstract = True

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.async_function
        if function is None:
            return
        hit = blocking_call(self.ctx, node)
        if hit is None or hit.entry.code != self.code:
            return
        self.report(
            node,
            fix=self.fix_for(node, hit),
            name=hit.shown(node),
            function=function.name.value,
            replacement=replacement_text(self.ctx, node, hit),
        )

    def fix_for(self, node: cst.Call, hit: Hit) -> NodeFix | None:
        kind = hit.entry.fix
        if kind == catalog.TO_THREAD:
            return to_thread_fix(self, node)
        if kind == catalog.GETADDRINFO:
            return getaddrinfo_fix(self, node, hit)
        if kind == catalog.WRAP_FUTURE:
            return wrap_future_fix(self, node)
        return None


def _directly_in_coroutine(rule: Rule) -> bool:
    # `await` in a comprehension would change what it builds (a generator expression
    # becomes an async generator), so fixes only apply in the coroutine's own statements.
    return rule.ctx.frame.kind == "function"


def _replace_with_await(node: cst.Call, new: cst.BaseExpression, rule: Rule) -> cst.BaseExpression:
    awaited: cst.BaseExpression = cst.Await(expression=new)
    if node.lpar:
        return awaited.with_changes(lpar=node.lpar, rpar=node.rpar)
    if needs_parentheses(awaited, rule.ctx.parent):
        return parenthesize(awaited)
    return awaited


def to_thread_fix(rule: Rule, node: cst.Call) -> NodeFix | None:
    """`f(a, k=v)` -> `await asyncio.to_thread(f, a, k=v)`, for a whole statement or the
    right-hand side of an assignment, with a plain dotted callee."""
    ctx = rule.ctx
    parent = ctx.parent
    statement = isinstance(parent, cst.Expr) or (
        isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node
    )
    if not statement or not _directly_in_coroutine(rule) or dotted_name(node.func) is None:
        return None
    library = ctx.library
    if library != "asyncio" and any(a.keyword is not None or a.star == "**" for a in node.args):
        return None  # anyio/trio's run_sync takes positional arguments only
    target = _TO_THREAD[library]
    reference = ctx.reference(target)
    if reference is None:
        return None
    func, module = reference
    first = cst.Arg(value=node.func.with_changes(lpar=[], rpar=[]))
    call = cst.Call(func=func, args=[first, *node.args])
    return NodeFix(
        {node: _replace_with_await(node, call, rule)},
        f"Run it in a worker thread with `await {target}(...)`",
        imports_for(module),
    )


def getaddrinfo_fix(rule: Rule, node: cst.Call, hit: Hit) -> NodeFix | None:
    """`socket.getaddrinfo(host, port)` -> `await asyncio.get_running_loop().getaddrinfo(host, port)`."""
    ctx = rule.ctx
    if not _directly_in_coroutine(rule) or any(a.star for a in node.args) or len(positional_args(node)) > 2:
        return None
    method = hit.key.rpartition(".")[2]
    library = ctx.library
    if library == "asyncio":
        reference = ctx.reference("asyncio.get_running_loop")
        if reference is None:
            return None
        loop, module = reference
        func: cst.BaseExpression = cst.Attribute(value=cst.Call(func=loop), attr=cst.Name(method))
        label = f"asyncio.get_running_loop().{method}"
    else:
        dotted = f"anyio.{method}" if library == "anyio" else f"trio.socket.{method}"
        reference = ctx.reference(dotted)
        if reference is None:
            return None
        func, module = reference
        label = dotted
    return NodeFix(
        {node: _replace_with_await(node, node.with_changes(func=func, lpar=[], rpar=[]), rule)},
        f"Use `await {label}(...)`",
        imports_for(module),
    )


def wrap_future_fix(rule: Rule, node: cst.Call) -> NodeFix | None:
    """`fut.result()` -> `await asyncio.wrap_future(fut)`; with a timeout,
    `await asyncio.wait_for(asyncio.wrap_future(fut), timeout)`."""
    ctx = rule.ctx
    func = node.func
    if ctx.library != "asyncio" or not _directly_in_coroutine(rule) or not isinstance(func, cst.Attribute):
        return None
    positional = positional_args(node)
    keyword = keyword_arg(node, "timeout")
    if any(a.star for a in node.args) or len(node.args) > 1:
        return None
    timeout = positional[0].value if positional else (keyword.value if keyword is not None else None)
    wrap = ctx.reference("asyncio.wrap_future")
    if wrap is None:
        return None
    wrapped = cst.Call(func=wrap[0], args=[cst.Arg(value=func.value)])
    if timeout is None:
        new: cst.BaseExpression = wrapped
        label = "await asyncio.wrap_future(...)"
    else:
        wait_for = ctx.reference("asyncio.wait_for")
        if wait_for is None:
            return None
        new = cst.Call(func=wait_for[0], args=[cst.Arg(value=wrapped), cst.Arg(value=timeout)])
        label = "await asyncio.wait_for(asyncio.wrap_future(...), timeout)"
    return NodeFix({node: _replace_with_await(node, new, rule)}, f"Use `{label}`", imports_for(wrap[1]))
