from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import describe_call, names_loaded, root_name, target_names
from asynclint.catalogs.concurrency import GATHER
from asynclint.fixes import NodeFix, code_moved, flat_code, imports_for
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import (
    block_indent,
    comments_in,
    has_comments,
    is_interactive_module,
    iterations_independent,
    loop_targets,
    says_serial,
    serialised_context,
    statement_comments,
    variable_is_read,
)


def _smalls(body: cst.BaseSuite) -> list[cst.BaseSmallStatement] | None:
    """The loop body as simple statements (docstrings and `pass` dropped), or None when
    it holds a compound statement or a line with several statements."""
    out: list[cst.BaseSmallStatement] = []
    if isinstance(body, cst.SimpleStatementSuite):
        smalls: list[cst.BaseSmallStatement] = list(body.body)
    else:
        assert isinstance(body, cst.IndentedBlock)
        smalls = []
        for stmt in body.body:
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
                return None
            smalls.append(stmt.body[0])
    for small in smalls:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            continue
        out.append(small)
    return out


def _awaited_call(expr: cst.BaseExpression) -> tuple[cst.Await, cst.Call] | None:
    if isinstance(expr, cst.Await) and isinstance(expr.expression, cst.Call):
        return expr, expr.expression
    return None


def _append_arg(small: cst.BaseSmallStatement) -> tuple[cst.Name, cst.BaseExpression] | None:
    """`acc.append(X)` as a statement -> (acc, X)."""
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    call = small.value
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "append"
        and isinstance(func.value, cst.Name)
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
    ):
        return func.value, call.args[0].value
    return None


def _item_assign(small: cst.BaseSmallStatement) -> tuple[cst.Name, cst.Subscript, cst.BaseExpression] | None:
    """`acc[key] = X` -> (acc, target, X)."""
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
        return target.value, target, small.value
    return None


def _assigned_names(body: cst.BaseSuite) -> set[str]:
    names: set[str] = set()
    for small in _smalls(body) or ():
        if isinstance(small, cst.Assign):
            for target in small.targets:
                names |= target_names(target.target)[0]
    return names


def _single_line_comment(body: cst.BaseSuite) -> cst.Comment | bool | None:
    """The one end-of-line comment of a loop body (kept by the fix), None when there is
    none, False when there are comments the one-line fix would lose."""
    found: list[cst.Comment] = []
    if isinstance(body, cst.SimpleStatementSuite):
        if any(has_comments(small) for small in body.body):
            return False
        if body.trailing_whitespace.comment is not None:
            found.append(body.trailing_whitespace.comment)
    else:
        assert isinstance(body, cst.IndentedBlock)
        if body.header.comment is not None:
            found.append(body.header.comment)
        if any(line.comment is not None for line in body.footer):
            return False
        for stmt in body.body:
            assert isinstance(stmt, cst.SimpleStatementLine)
            if any(line.comment is not None for line in stmt.leading_lines):
                return False
            if any(has_comments(small) for small in stmt.body):
                return False
            if stmt.trailing_whitespace.comment is not None:
                found.append(stmt.trailing_whitespace.comment)
    if len(found) > 1:
        return False
    return found[0] if found else None


class AwaitInLoop(Rule):
    """
    ## What it does
    Finds a `for` loop in an `async def` whose body only awaits one call per item: `await
    f(x)`, `acc.append(await f(x))`, `acc[k] = await f(x)`, or `v = await f(x)` followed by
    `acc.append(v)` / `acc[k] = v`. The call must use the loop item, and work on the item
    or on a pooled client (as for ASL200), never on one shared object or connection.
    Loops with `break`, `continue`, `return`, `raise`, `yield`, a sleep, a lock, other
    statements, or a call whose order matters (writes, sends, reads of a stream,
    queries, commits, callbacks), that only starts background work (`start_*`,
    `schedule_*`, `spawn*`, `wait=False`...) or that does local work (translate,
    convert, parse, render...) are left alone. So are loops whose order is the point:
    over hooks, plugins, handlers, callbacks, middlewares, listeners or subscriptions
    (the item's or the iterable's name says so), a method of each item of a collection
    the method's own object holds (`for action in self.actions: await action.remove()`:
    the object drives its parts, a handful fixed when it was built, in turn; data it is
    handed, or a function called with each item, are still reported), a call to the
    enclosing function (a recursive walk), a call handed the loop's own iterable or an empty container the
    function fills (`results = []`), and a loop with a comment on or just above it or on
    its first line that says it is serial on purpose (serial, sequential, in order, one
    at a time, no gather, rate limit...). Also left alone: modules that prompt a person
    at a terminal (as for ASL200), `async for`, `while` and test files.

    ## Why is this bad?
    Each iteration waits for its call to finish before the next one starts, so the loop
    takes the sum of all latencies. Started together, the calls take about as long as the
    slowest one.

    ## Example
        async def download_all(urls):
            for url in urls:
                await download(url)

    ## Use instead
        import asyncio

        async def download_all(urls):
            await asyncio.gather(*(download(url) for url in urls))

    ## Fix safety
    Unsafe. `for x in xs: await f(x)` becomes `await asyncio.gather(*(f(x) for x in xs))`
    and `acc.append(await f(x))` becomes `acc.extend(await asyncio.gather(*(...)))`
    (gather keeps the order of the results). All the calls now start at once: the whole
    iterable is consumed first, there is no limit on how many run together (bound them
    with an `asyncio.Semaphore` for large inputs), when one call fails the others keep
    running, and each runs in a copy of the context. Loops with an `else`, comments, or the
    `acc[k] = ...` shapes are reported without a fix; under anyio or trio the message
    suggests a task group and there is no fix.
    """

    code = "ASL201"
    name = "await-in-loop"
    message = "Awaiting `{call}(...)` on each iteration runs the calls one after another; run them concurrently with {how} (bound the concurrency, e.g. with an `asyncio.Semaphore`, for large inputs)"
    fix_safety = FixSafety.UNSAFE
    skip_test_files = True
    triggers = ("await", "for")

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None or self.ctx.async_function is None:
            return
        smalls = _smalls(node.body)
        if not smalls or len(smalls) > 2:
            return
        targets = loop_targets(node.target)
        if targets is None:
            return
        shape = self._shape(smalls)
        if shape is None:
            return
        awaited, call, acc, fixable = shape
        if acc is not None and acc.value in names_loaded(call):
            return
        if acc is not None and acc.value in targets:
            return
        iter_root = root_name(node.iter)
        if acc is not None and iter_root is not None and iter_root.value == acc.value:
            return
        if iterations_independent(self.ctx, call, targets, (node.iter,)) is None:
            return
        if serialised_context(self.ctx) is not None or is_interactive_module(self.ctx):
            return
        if says_serial(statement_comments(self.ctx)) or says_serial(comments_in(node.body)):
            return
        library = self.ctx.library
        how = "`asyncio.gather`" if library == "asyncio" else GATHER[library]
        fix = self._fix(node, call, acc) if fixable and library == "asyncio" else None
        self.report(awaited, fix=fix, call=describe_call(call), how=how)

    def _shape(
        self, smalls: list[cst.BaseSmallStatement]
    ) -> tuple[cst.Await, cst.Call, cst.Name | None, bool] | None:
        """(await, call, accumulator, whether the fix handles the shape)."""
        first = smalls[0]
        if len(smalls) == 1:
            if isinstance(first, cst.Expr):
                found = _awaited_call(first.value)
                if found is not None:
                    return found[0], found[1], None, True
                appended = _append_arg(first)
                if appended is not None:
                    found = _awaited_call(appended[1])
                    if found is not None:
                        return found[0], found[1], appended[0], True
                return None
            item = _item_assign(first)
            if item is not None:
                found = _awaited_call(item[2])
                if found is not None and not names_loaded(item[1].slice[0]) & {item[0].value}:
                    return found[0], found[1], item[0], False
            return None
        # `v = await f(x)` then `acc.append(v)` or `acc[k] = v`.
        if not isinstance(first, cst.Assign) or len(first.targets) != 1:
            return None
        target = first.targets[0].target
        found = _awaited_call(first.value)
        if not isinstance(target, cst.Name) or found is None:
            return None
        if target.value in names_loaded(found[1]):
            return None
        second = smalls[1]
        appended = _append_arg(second)
        if appended is not None:
            acc, value = appended
        else:
            item = _item_assign(second)
            if item is None:
                return None
            acc, value = item[0], item[2]
        if not isinstance(value, cst.Name) or value.value != target.value or acc.value == target.value:
            return None
        return found[0], found[1], acc, False

    def _fix(self, node: cst.For, call: cst.Call, acc: cst.Name | None) -> NodeFix | None:
        if node.orelse is not None or has_comments(node.target) or has_comments(node.iter):
            return None
        comment = _single_line_comment(node.body)
        if comment is False:
            return None
        # The generator expression keeps the loop variables to itself; code after the
        # loop that reads them would break.
        function = self.ctx.async_function
        bound = target_names(node.target)[0] | _assigned_names(node.body)
        if function is None or any(variable_is_read(function, name, outside=node) for name in bound):
            return None
        reference = self.ctx.reference("asyncio.gather")
        if reference is None:
            return None
        gather, module = reference
        code = self.ctx.code_for
        # A call written over several lines is joined when nothing keeps it open.
        flat = flat_code(self.ctx.module, call)
        starred = f"*({flat or code(call)} for {code(node.target)} in {code(node.iter)})"
        gathered = f"await {code(gather)}({starred})"
        # `acc = []` right before the loop: `acc = await asyncio.gather(...)` (a list).
        empty = self._empty_list_before(node, acc) if acc is not None else None
        if acc is None:
            text = gathered
        elif empty is not None:
            text = f"{acc.value} = {gathered}"
        else:
            text = f"{acc.value}.extend({gathered})"
        if len(block_indent(self.ctx)) + len(text) > self.ctx.settings.line_length or "\n" in starred:
            # One argument per line; continuation lines are relative to the block, and
            # those of the call, now one level deeper, move with it.
            step, newline = self.ctx.module.default_indent, self.ctx.module.default_newline
            if "\n" in starred:
                if acc is not None and empty is None:
                    return None  # `acc.extend(` around it: no layout a formatter would keep
                # The generator over lines of its own, as formatters write it.
                moved = code_moved(self.ctx.module, call, step * 2)
                starred = f"*({newline}{step * 2}{moved}{newline}{step * 2}for {code(node.target)} in {code(node.iter)}{newline}{step})"
                gathered = f"await {code(gather)}({starred})"
            if acc is None:
                text = f"await {code(gather)}({newline}{step}{starred},{newline})"
            elif empty is not None:
                text = f"{acc.value} = await {code(gather)}({newline}{step}{starred},{newline})"
            else:
                text = f"{acc.value}.extend({newline}{step}{gathered},{newline})"
        try:
            new = cst.parse_statement(
                text + self.ctx.module.default_newline, self.ctx.module.config_for_parsing
            )
        except cst.ParserSyntaxError:
            return None
        if not isinstance(new, cst.SimpleStatementLine):
            return None
        new = new.with_changes(leading_lines=node.leading_lines)
        replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = {}
        if empty is not None:
            # The loop's own comments stay with the statement that replaces it.
            kept = [line for line in node.leading_lines if line.comment is not None]
            new = new.with_changes(leading_lines=[*empty.leading_lines, *kept])
            replacements[empty] = cst.RemovalSentinel.REMOVE
        if isinstance(comment, cst.Comment):
            new = new.with_changes(
                trailing_whitespace=cst.TrailingWhitespace(
                    whitespace=cst.SimpleWhitespace("  "), comment=comment
                )
            )
        replacements[node] = new
        return NodeFix(replacements, "Run the calls concurrently with `asyncio.gather`", imports_for(module))

    def _empty_list_before(self, node: cst.For, acc: cst.Name) -> cst.SimpleStatementLine | None:
        """`acc = []` as the statement right before the loop, with no comment on it."""
        stack = self.ctx.stack
        index = next((i for i, n in enumerate(stack) if n is node), 0)
        block = stack[index - 1] if index > 0 else None
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        body = list(block.body)
        position = next((i for i, n in enumerate(body) if n is node), 0)
        previous = body[position - 1] if position > 0 else None
        if (
            not isinstance(previous, cst.SimpleStatementLine)
            or len(previous.body) != 1
            or previous.trailing_whitespace.comment is not None
        ):
            return None
        assign = previous.body[0]
        if (
            not isinstance(assign, cst.Assign)
            or len(assign.targets) != 1
            or not isinstance(assign.targets[0].target, cst.Name)
            or assign.targets[0].target.value != acc.value
            or not isinstance(assign.value, cst.List)
            or assign.value.elements
        ):
            return None
        return previous
