from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import SCOPE_NODES, names_loaded, target_names
from asynclint.catalogs import resources as table
from asynclint.rule import Default, FixSafety, Rule

_TAILS = frozenset(name.rsplit(".", 1)[-1] for name in table.SESSION_TYPES)


class ClientSessionPerRequest(Rule):
    """
    ## What it does
    Finds an HTTP client session (`aiohttp.ClientSession`, `httpx.AsyncClient`,
    `httpx.Client`) created inside a loop or a comprehension, or inside a request handler
    (a function decorated with `@app.get(...)`, `@router.post(...)`, `@routes.route(...)`
    and the like), so that a new session, with a new connection pool, is made for every
    item or every request. Not reported: a session built with `transport=` (an in-process
    or mock transport has no connections to pool), and a session in a `for` loop whose
    arguments use the loop's item (one session per proxy or per configuration is meant).

    ## Why is this bad?
    A session exists to pool connections: one per request throws away keep-alive, repeats
    DNS lookups and TLS handshakes on every call and can exhaust sockets under load. The
    aiohttp documentation asks for one session for the life of the application.

    ## Example
        import aiohttp

        async def fetch_all(urls):
            pages = []
            for url in urls:
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as response:
                        pages.append(await response.text())
            return pages

    ## Use instead
        import aiohttp

        async def fetch_all(urls):
            pages = []
            async with aiohttp.ClientSession() as session:
                for url in urls:
                    async with session.get(url) as response:
                        pages.append(await response.text())
            return pages

    ## Fix safety
    There is no fix: where the shared session should live (the caller, the application's
    startup) is a design decision. This rule is opt-in: talking to many unrelated hosts,
    one session each can be deliberate.
    """

    code = "ASL310"
    name = "client-session-per-request"
    message = (
        "A new `{type}` is created {where}; create one session and reuse it, so its connections are pooled"
    )
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("Client",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        tail = (
            func.attr.value
            if isinstance(func, cst.Attribute)
            else func.value
            if isinstance(func, cst.Name)
            else None
        )
        if tail not in _TAILS:
            return
        name = self.ctx.qualified_name(func)
        if name not in table.SESSION_TYPES:
            return
        if any(arg.keyword is not None and arg.keyword.value == "transport" for arg in node.args):
            return  # an in-process or mock transport: no connections to pool
        where = self._where(node)
        if where is not None:
            label = name.replace(".client.", ".")
            self.report(node, type=label, where=where)

    def _where(self, call: cst.Call) -> str | None:
        if self.ctx.frame.kind == "comprehension":
            return "for every item of a comprehension"
        stack = self.ctx.stack
        for index in range(len(stack) - 2, 0, -1):
            ancestor = stack[index]
            if isinstance(ancestor, SCOPE_NODES):
                if isinstance(ancestor, cst.FunctionDef) and _is_handler(ancestor):
                    return f"on every call of the request handler `{ancestor.name.value}`"
                return None
            if isinstance(ancestor, (cst.For, cst.While)) and stack[index + 1] is ancestor.body:
                if isinstance(ancestor, cst.For) and target_names(ancestor.target)[0] & names_loaded(call):
                    return None  # configured from the loop's item: one session per item is meant
                return "on every iteration of a loop"
        return None


def _is_handler(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        expr = decorator.decorator
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in table.HANDLER_DECORATORS
        ):
            return True
    return False
