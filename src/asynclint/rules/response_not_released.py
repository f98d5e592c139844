from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import COMPREHENSIONS, SCOPE_NODES, dotted_name, keyword_arg
from asynclint.catalogs import resources as table
from asynclint.fixes import NodeFix, Replacement
from asynclint.rule import FixSafety, Rule
from asynclint.rules._resources import (
    Creation,
    Occurrence,
    borrows,
    creation_site,
    indented,
    judge,
    may_create,
    resource_for,
    runs_before,
    take_pending,
    walk_with_path,
)

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_TAILS = frozenset(name.rsplit(".", 1)[-1] for name in table.RESPONSE_CALLS)
Path = tuple[cst.CSTNode, ...]


class ResponseNotReleased(Rule):
    """
    ## What it does
    Finds an aiohttp response from `await session.get(...)` (any request method of a
    `ClientSession`) and an httpx response from `await client.send(request, stream=True)`
    that is never released: the body is not read (`read()`, `text()`, `json()`; `aread()`
    for httpx), the response is not released or closed, not used as `async with`, and not
    returned or handed on. A read that happens only after an early `return` or `raise`
    that can leave the function first does not count: the connection leaks on that path.
    In test files (the `test-files` setting) an aiohttp response is not reported when the
    test opened its session with `async with aiohttp.ClientSession(...) as session:`
    around the request (not in a loop inside that block, and owning its connector): the
    end of the block closes the connection, and nothing outlives the test.

    ## Why is this bad?
    Until the response is released its connection cannot go back to the session's pool.
    Leaked responses exhaust the pool (aiohttp allows 100 connections by default), after
    which every request waits, and they log `Unclosed response` when collected.

    ## Example
        import aiohttp

        async def status(url):
            async with aiohttp.ClientSession() as session:
                response = await session.get(url)
                return response.status

    ## Use instead
        import aiohttp

        async def status(url):
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as response:
                    return response.status

    ## Fix safety
    Unsafe: for aiohttp, `response = await session.get(...)` becomes
    `async with session.get(...) as response:` around the statements up to the last use of
    `response`. The connection is now released at the end of that block, also on
    exceptions; code that relied on the response staying open afterwards would change.
    httpx responses get no fix (add `await response.aclose()` in a `finally:`).
    """

    code = "ASL301"
    name = "response-not-released"
    message = "Response `{name}` {problem}; {advice}"
    fix_safety = FixSafety.UNSAFE
    triggers = ("async", ("get", "post", "put", "patch", "delete", "head", "options", "request", "send"))

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._pending: dict[int, list[Creation]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.async_function is None or not may_create(self.ctx, node, _TAILS):
            return
        name = self.ctx.call_name(node)
        library = table.RESPONSE_CALLS.get(name or "")
        if library is None:
            return
        if name == "httpx.AsyncClient.send":
            stream = keyword_arg(node, "stream")
            if stream is None or not (isinstance(stream.value, cst.Name) and stream.value.value == "True"):
                return
        resource = table.Resource(
            name or "", self.code, library, True, tuple(table.RESPONSE_RELEASERS[library]), context=""
        )
        if self.ctx.is_test_file and library == "aiohttp" and self._session_closes_it(node):
            return
        creation = creation_site(self.ctx, node, resource)
        if creation is not None:
            self._pending.setdefault(id(creation.function), []).append(creation)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        taken = take_pending(self.ctx, self._pending, node)
        if taken is None:
            return
        pending, found = taken
        exits: list[tuple[cst.CSTNode, Path]] | None = None
        for creation in pending:
            if creation.name is None:
                self.report(
                    creation.call,
                    name="(discarded)",
                    problem="is never released",
                    advice="use `async with` around the request, or `await` its `.read()`",
                )
                continue
            uses = found[creation.name]
            judge(creation, uses)
            if creation.escapes:
                continue
            library = creation.resource.label
            for occ in uses:
                # aiohttp releases the connection once the body stream is consumed.
                if occ.kind == "attribute" and occ.attr == "content" and library == "aiohttp":
                    creation.closes.append(occ)
            if not creation.closes:
                self.report(
                    creation.call,
                    name=creation.name,
                    problem="is never released (its body is not read and it is not closed)",
                    advice=self._advice(creation),
                    fix=self._fix(creation),
                )
                continue
            if any(c.protected for c in creation.closes):
                continue
            if exits is None:
                exits = _exits(node)
            leak = self._early_exit(creation, exits)
            if leak is not None:
                kind = "return" if isinstance(leak, cst.Return) else "raise"
                self.report(
                    creation.call,
                    name=creation.name,
                    problem=f"is not released when the function leaves by the `{kind}` before its body is read",
                    advice=self._advice(creation),
                    fix=self._fix(creation),
                )

    def _session_closes_it(self, call: cst.Call) -> bool:
        """In a test, a request on a session that the test opened with `async with` around
        it, `async with aiohttp.ClientSession() as s: resp = await s.get(url)`, and not in
        a loop inside that block: the session's close at the end of the block closes the
        connection, so the response holds nothing past it."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return False
        session = func.value.value
        for node in reversed(self.ctx.stack):
            if isinstance(node, (cst.For, cst.While, *COMPREHENSIONS, *SCOPE_NODES)):
                return False
            if isinstance(node, cst.With) and node.asynchronous is not None:
                for item in node.items:
                    target = item.asname.name if item.asname is not None else None
                    if not isinstance(target, cst.Name) or target.value != session:
                        continue
                    opened = item.item
                    if not isinstance(opened, cst.Call):
                        return False
                    found = resource_for(self.ctx, self.ctx.call_name(opened))
                    # `connector_owner=False`: closing the session leaves the connector open.
                    return (
                        found is not None and found.creator == "aiohttp.ClientSession" and not borrows(opened)
                    )
        return False

    def _advice(self, creation: Creation) -> str:
        if creation.resource.label == "aiohttp":
            return f"use `async with {_callee(creation)}(...) as {creation.name}:`"
        return f"call `await {creation.name}.aclose()` in a `finally:` block"

    def _early_exit(self, creation: Creation, exits: list[tuple[cst.CSTNode, Path]]) -> cst.CSTNode | None:
        if creation.line is None:
            return None
        line_path = _path_of(creation, exits)
        if line_path is None:
            return None
        for exit_node, exit_path in exits:
            if not isinstance(exit_node, (cst.Return, cst.Raise)):
                continue
            later = (*exit_path, exit_node)
            if not runs_before(line_path, creation.line, later):
                continue
            if any(
                _within(occ, exit_node) or runs_before(occ.path, occ.node, later) for occ in creation.closes
            ):
                continue
            return exit_node
        return None

    def _fix(self, creation: Creation) -> NodeFix | None:
        if creation.resource.label != "aiohttp" or creation.line is None or creation.block is None:
            return None
        if len(creation.line.body) != 1 or creation.name is None:
            return None
        if len(creation.frame.bindings.get(creation.name, [])) != 1:
            return None
        statements = list(creation.block.body)
        start = statements.index(creation.line)
        last = start
        for occ in creation.occurrences:
            if occ.kind == "store":
                continue
            index = _statement_index(statements, occ.path)
            if index is None or index <= start:
                return None
            last = max(last, index)
        if last == start:
            return None
        line = creation.line
        with_node = cst.With(
            items=[cst.WithItem(item=creation.call, asname=cst.AsName(name=cst.Name(creation.name)))],
            body=indented(statements[start + 1 : last + 1], line),
            asynchronous=cst.Asynchronous(),
            leading_lines=line.leading_lines,
        )
        replacements: dict[cst.CSTNode, Replacement] = {line: with_node}
        for stmt in statements[start + 1 : last + 1]:
            replacements[stmt] = cst.RemoveFromParent()
        return NodeFix(replacements, f"Use `async with` for `{creation.name}`")


def _callee(creation: Creation) -> str:
    return dotted_name(creation.call.func) or "session.get"


def _within(occ: Occurrence, node: cst.CSTNode) -> bool:
    return any(n is node for n in occ.path)


def _statement_index(statements: list[cst.BaseStatement], path: Path) -> int | None:
    ids = {id(s): i for i, s in enumerate(statements)}
    for node in path:
        if id(node) in ids:
            return ids[id(node)]
    return None


def _exits(function: cst.FunctionDef) -> list[tuple[cst.CSTNode, Path]]:
    """`return` and `raise` statements of the function itself with their paths, outside
    `except` handlers (a handler runs after the failure, whose own cleanup released the
    connection). The creation lines' paths come along under the key of the line."""
    found: list[tuple[cst.CSTNode, Path]] = []
    for node, path in walk_with_path(function.body):
        if isinstance(node, (cst.Return, cst.Raise, cst.SimpleStatementLine)):
            if any(isinstance(n, (*SCOPE_NODES, cst.ExceptHandler)) for n in path):
                continue
            found.append((node, path))
    return found


def _path_of(creation: Creation, exits: list[tuple[cst.CSTNode, Path]]) -> Path | None:
    for node, path in exits:
        if node is creation.line:
            return path
    return None
