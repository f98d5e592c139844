from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import SCOPE_NODES, dotted_name, names_loaded, target_names, walk
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import task_creator

#: Context managers that wait for their tasks themselves.
_GROUPS = ("TaskGroup", "open_nursery", "create_task_group", "Nursery")
#: Methods that put a task into a collection the block can await later.
_COLLECT = frozenset({"append", "add", "extend", "insert", "setdefault", "update"})


class TaskOutlivesContext(Rule):
    """
    ## What it does
    Finds a task created with `asyncio.create_task`, `asyncio.ensure_future` or
    `loop.create_task` inside a `with` / `async with X as r:` block, whose coroutine uses
    `r`, and which the block neither awaits nor cancels before it ends: the task is not
    awaited in place, and no `await` later in the block uses it (directly or through the
    list or set it was put in), nor is it cancelled there.

    ## Why is this bad?
    Leaving the block closes `r` (the session, the connection, the file) while the task
    may still be using it, so the task fails later, far from the cause, with "session is
    closed" or "I/O operation on closed file" -- or, worse, only sometimes.

    ## Example
        import asyncio

        import aiohttp

        async def start(url):
            async with aiohttp.ClientSession() as session:
                asyncio.create_task(poll(session, url))

    ## Use instead
        import asyncio

        import aiohttp

        async def start(url):
            async with aiohttp.ClientSession() as session:
                task = asyncio.create_task(poll(session, url))
                await task

    ## Fix safety
    No fix: either await the task inside the block, or move the task into a
    `TaskGroup` opened inside the block (which waits for it), or give the task a resource
    of its own.
    """

    code = "ASL209"
    name = "task-outlives-context"
    message = "Task `{name}(...)` uses `{resource}` from the enclosing `with` block but is not awaited before the block ends; await it inside the block or use a TaskGroup"
    fix_safety = FixSafety.NONE
    peer = "ASYNC111 (analogue)"
    triggers = (("create_task", "ensure_future"), "with")

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args:
            return
        name = task_creator(self.ctx, node)
        if name is None:
            return
        found = self._resource_block(node)
        if found is None:
            return
        block, resource, index = found
        stack = self.ctx.stack
        statement: cst.CSTNode | None = None
        for position in range(len(stack) - 2, index, -1):
            ancestor = stack[position]
            if isinstance(ancestor, cst.Await):
                return
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                break
        for position in range(len(stack) - 2, index, -1):
            if isinstance(stack[position], cst.BaseSmallStatement):
                statement = stack[position]
                break
        aliases = _aliases(statement, node)
        if aliases and _awaited_or_cancelled(block.body, aliases):
            return
        self.report(node, name=name, resource=resource)

    def _resource_block(self, call: cst.Call) -> tuple[cst.With, str, int] | None:
        """The innermost `with` around the call that binds a name the task's coroutine
        reads: (the block, the name, its index on the stack)."""
        used: set[str] = set()
        for arg in call.args:
            used |= names_loaded(arg.value)
        stack = self.ctx.stack
        for index in range(len(stack) - 2, -1, -1):
            node = stack[index]
            if isinstance(node, SCOPE_NODES):
                return None
            if not isinstance(node, cst.With) or stack[index + 1] is not node.body:
                continue
            if any(_is_group(item.item) for item in node.items):
                return None
            for item in node.items:
                if item.asname is None:
                    continue
                bound = target_names(item.asname.name)[0] & used
                if bound:
                    return node, sorted(bound)[0], index
        return None


def _is_group(expr: cst.BaseExpression) -> bool:
    text = dotted_name(expr.func if isinstance(expr, cst.Call) else expr) or ""
    return text.endswith(_GROUPS)


def _aliases(statement: cst.CSTNode | None, call: cst.Call) -> set[str]:
    """Names through which the block can reach the task: the assignment's targets, or
    the collection the task is appended to."""
    if isinstance(statement, (cst.Assign, cst.AnnAssign)):
        targets = (
            [t.target for t in statement.targets] if isinstance(statement, cst.Assign) else [statement.target]
        )
        return {text for t in targets if (text := dotted_name(t)) is not None}
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        outer = statement.value
        if outer is not call and isinstance(outer.func, cst.Attribute) and outer.func.attr.value in _COLLECT:
            text = dotted_name(outer.func.value)
            return {text} if text is not None else set()
    return set()


def _awaited_or_cancelled(body: cst.BaseSuite, aliases: set[str]) -> bool:
    names = set(aliases)
    # One level of collection: `tasks.append(t)` or `tasks = [t, ...]`.
    for node in walk(body, into_scopes=False):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _COLLECT
        ):
            if any(_mentions(arg.value, aliases) for arg in node.args):
                text = dotted_name(node.func.value)
                if text is not None:
                    names.add(text)
        elif isinstance(node, cst.Assign) and _mentions(node.value, aliases):
            for target in node.targets:
                text = dotted_name(target.target)
                if text is not None:
                    names.add(text)
    for node in walk(body, into_scopes=False):
        if isinstance(node, cst.Await) and _mentions(node, names):
            return True
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "cancel"
            and dotted_name(node.func.value) in names
        ):
            return True
    return False


def _mentions(node: cst.CSTNode, names: set[str]) -> bool:
    for inner in walk(node, into_scopes=False):
        if isinstance(inner, (cst.Name, cst.Attribute)) and dotted_name(inner) in names:
            return True
    return False
