from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import has_checkpoint, walk
from asynclint.catalogs import timeouts as table
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule

_BLOCKS = (cst.IndentedBlock, cst.Module)


class TimeoutCreatedBeforeEntry(Rule):
    """
    ## What it does
    Finds `t = asyncio.timeout(delay)` (or `async_timeout.timeout(delay)`) inside
    `async def` followed by an `await` before `async with t:`.

    ## Why is this bad?
    These functions compute the deadline when they are called, as "now + delay", not when
    the `async with` is entered. Everything awaited in between eats into the budget, so
    the body gets less time than `delay`, possibly none at all, and times out at random.
    (`asyncio.timeout_at` takes an absolute deadline and is not affected.)

    ## Example
        import asyncio

        async def fetch(conn, query):
            budget = asyncio.timeout(5)
            await conn.ping()
            async with budget:
                return await conn.fetch(query)

    ## Use instead
        import asyncio

        async def fetch(conn, query):
            await conn.ping()
            async with asyncio.timeout(5):
                return await conn.fetch(query)

    ## Fix safety
    Unsafe: when the scope is used once and the assignment is a statement of its own, the
    fix moves the call into the `async with` and deletes the assignment. The body then
    gets the full delay, which lengthens the effective deadline: that is the intent, but it
    changes timing. No fix when the delay is computed by a call (it would be computed
    later) or its names are reassigned.
    """

    code = "ASL405"
    name = "timeout-created-before-entry"
    message = "`{scope}(...)` fixes its deadline when it is created, and `{name}` is entered after an `await`; create the timeout in the `async with`"
    fix_safety = FixSafety.UNSAFE
    peer = "FA ASYNC122 (analogue)"
    triggers = ("async", "timeout")

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None or self.ctx.async_function is None:
            return
        for item in node.items:
            if isinstance(item.item, cst.Name):
                self._check(node, item, item.item)

    def _check(self, with_node: cst.With, item: cst.WithItem, name: cst.Name) -> None:
        frame = self.ctx.frame.function_frame()
        found = self.ctx.lookup(name.value)
        if found is None or found[0] is not frame or len(found[1]) != 1:
            return
        binding = found[1][0]
        created = binding.value
        if binding.kind != "assign" or not isinstance(created, cst.Call):
            return
        scope = self.ctx.qualified_name(created.func)
        if not table.TIMEOUT_SCOPES.get(scope or "", False):
            return
        located = self._locate(binding.node)
        if located is None:
            return
        line, awaited = located
        if not awaited:
            return
        self.report(
            created, scope=scope, name=name.value, fix=self._fix(line, created, name, frame, with_node)
        )

    def _locate(self, assign: cst.CSTNode | None) -> tuple[cst.SimpleStatementLine, bool] | None:
        """The statement line of the assignment, found in a block that encloses the
        `async with`, and whether anything between them awaits."""
        stack = self.ctx.stack
        function = self.ctx.async_function
        for depth in range(len(stack) - 2, -1, -1):
            block = stack[depth]
            if block is function:
                return None
            if not isinstance(block, _BLOCKS):
                continue
            path_child = stack[depth + 1]
            body: list[cst.CSTNode] = list(block.body)
            if path_child not in body:
                continue
            end = body.index(path_child)
            for start, stmt in enumerate(body[:end]):
                if isinstance(stmt, cst.SimpleStatementLine) and assign in stmt.body:
                    between = body[start + 1 : end]
                    awaited = any(has_checkpoint(s) for s in between) or self._awaits_on_path(depth)
                    return stmt, awaited
        return None

    def _awaits_on_path(self, depth: int) -> bool:
        """Awaits between the block's statement on the path and the `async with`: earlier
        statements of the nested blocks and the headers of the compound statements."""
        stack = self.ctx.stack
        for index in range(depth + 1, len(stack) - 1):
            node, child = stack[index], stack[index + 1]
            if isinstance(node, cst.IndentedBlock):
                body: list[cst.CSTNode] = list(node.body)
                if child in body and any(has_checkpoint(s) for s in body[: body.index(child)]):
                    return True
                continue
            header = node.iter if isinstance(node, cst.For) else getattr(node, "test", None)
            if header is not None and child is not header and has_checkpoint(header):
                return True
        return False

    def _fix(
        self,
        line: cst.SimpleStatementLine,
        created: cst.Call,
        name: cst.Name,
        frame: object,
        with_node: cst.With,
    ) -> NodeFix | None:
        function = self.ctx.async_function
        if function is None or len(line.body) != 1 or any(e.comment for e in line.leading_lines):
            return None
        assign = line.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        if not isinstance(assign.targets[0].target, cst.Name):
            return None
        uses = [n for n in walk(function.body) if isinstance(n, cst.Name) and n.value == name.value]
        if len(uses) != 2:  # the assignment and the `async with`
            return None
        for part in walk(created):
            if part is not created and isinstance(part, (cst.Call, cst.Await, cst.NamedExpr)):
                return None
            if isinstance(part, cst.Name) and part is not created.func:
                found = self.ctx.lookup(part.value)
                if found is not None and found[0] is frame and len(found[1]) != 1:
                    return None
        comment = line.trailing_whitespace.comment
        if comment is None:
            return NodeFix(
                {name: created, line: cst.RemoveFromParent()},
                "Create the timeout in the `async with`",
            )
        # The comment after the assignment goes after the `async with` line it moves to.
        body = with_node.body
        if not isinstance(body, cst.IndentedBlock) or body.header.comment is not None:
            return None
        items = [item.with_changes(item=created) if item.item is name else item for item in with_node.items]
        header = body.header.with_changes(whitespace=cst.SimpleWhitespace("  "), comment=comment)
        return NodeFix(
            {
                with_node: with_node.with_changes(items=items, body=body.with_changes(header=header)),
                line: cst.RemoveFromParent(),
            },
            "Create the timeout in the `async with`",
        )
