from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import is_none, keyword_arg, last_name, positional_args, short_code, walk
from asynclint.catalogs import timeouts as table
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule
from asynclint.rules._timeouts import delay_argument, describe_seconds, wait_for_timeout

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_DISABLING_KEYWORDS = frozenset(kw for kw, _ in table.BOUNDED_BY_DEFAULT.values() if kw)
_CONFIG_LAST_NAMES = frozenset({"ClientTimeout", "Timeout"})
_SCOPE_LAST_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in table.NONE_DISABLES_SCOPE)
#: Methods that move a scope's deadline later (asyncio, async_timeout).
_RESCHEDULES = frozenset({"reschedule", "shift", "update", "shift_to"})
_AWAIT_OPERANDS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


class TimeoutDisabled(Rule):
    """
    ## What it does
    Finds timeouts turned off explicitly: `timeout=None` on httpx calls and clients,
    on aiohttp requests, `open_timeout=None` on `websockets.connect`, `timeout=None` on
    `asyncpg.connect`; an `aiohttp.ClientTimeout(...)` with neither `total` nor
    `sock_read`; `httpx.Timeout(None)`; a literal `asyncio.timeout(None)` (unless the
    scope is rescheduled later); and `asyncio.wait_for(x, None)`.

    ## Why is this bad?
    These libraries bound every call by default (httpx 5 s, aiohttp 300 s in total,
    websockets 10 s to open). `None` removes the bound, so a peer that stops answering
    hangs the task forever, holding its connection and whatever it locked. A timeout scope
    or `wait_for` with `None` looks bounded to a reader but is not.

    ## Example
        import httpx

        async def download(url):
            async with httpx.AsyncClient(timeout=None) as client:
                return await client.get(url)

    ## Use instead
        import httpx

        async def download(url):
            async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as client:
                return await client.get(url)

    ## Fix safety
    Only `await asyncio.wait_for(x, None)` is fixed, to `await x`: with no timeout,
    `wait_for` just awaits its argument, so the fix is safe. The other cases need a value
    only you can choose; the message suggests one.
    """

    code = "ASL400"
    name = "timeout-disabled"
    message = "Timeout disabled by `{expr}`: {why}"
    fix_safety = FixSafety.SAFE
    peer = "RF S113 (partly)"
    # Every case names one of these: a keyword or function `timeout` (`open_timeout`,
    # `timeout_at`), a `...Timeout` class, `wait_for` (an alias is imported by its name).
    triggers = (("timeout", "Timeout", "wait_for"),)
    skip_test_files = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._imported: frozenset[str] | None = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if not last:
            return
        if last in _CONFIG_LAST_NAMES:
            self._config_object(node)
        elif last in _SCOPE_LAST_NAMES:
            self._scope(node)
        elif last == "wait_for":
            self._wait_for(node)
        elif node.args and any(
            a.keyword is not None and a.keyword.value in _DISABLING_KEYWORDS and is_none(a.value)
            for a in node.args
        ):
            self._keyword(node)
        elif isinstance(func, cst.Name) and node.args and func.value in self._aliases():
            name = self.ctx.qualified_name(func)
            if name is not None and name.rsplit(".", 1)[-1] == "wait_for":
                self._wait_for(node)
            elif name in table.NONE_DISABLES_SCOPE:
                self._scope(node)

    def _aliases(self) -> frozenset[str]:
        """Names imported under another name (`from asyncio import wait_for as wf`)."""
        if self._imported is None:
            wanted = table.WAIT_FOR | table.NONE_DISABLES_SCOPE
            self._imported = frozenset(
                name
                for name, bindings in self.ctx.module_frame.bindings.items()
                if any(b.kind == "import" and b.qualified in wanted for b in bindings)
            )
        return self._imported

    def _keyword(self, node: cst.Call) -> None:
        name = self.ctx.call_name(node)
        entry = table.BOUNDED_BY_DEFAULT.get(name or "")
        if entry is None or not entry[0]:
            return
        keyword, default = entry
        arg = keyword_arg(node, keyword)
        if arg is None or not is_none(arg.value):
            return
        seconds = describe_seconds(self.ctx.settings.default_timeout)
        self.report(
            arg,
            expr=f"{keyword}=None",
            why=f"it turns off {default} and `{name}` can hang forever; pass a bound such as `{keyword}={seconds}`",
        )

    def _config_object(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name in table.TIMEOUT_OBJECTS:
            bounding, missing = table.TIMEOUT_OBJECTS[name]
            if any(a.star for a in node.args):
                return
            positional = positional_args(node)
            for keyword, index in bounding:
                arg = keyword_arg(node, keyword)
                value = arg.value if arg is not None else None
                if value is None and index < len(positional):
                    value = positional[index].value
                if value is not None and not is_none(value):
                    return
            self.report(
                node,
                expr=short_code(self.ctx.code_for(node), 60),
                why=f"{missing}, so reading the response is unbounded (this replaces the 300 s default); set `total` or `sock_read`",
            )
        elif name == "httpx.Timeout":
            if any(a.star for a in node.args):
                return
            first = (
                node.args[0] if node.args and node.args[0].keyword is None else keyword_arg(node, "timeout")
            )
            if first is None or not is_none(first.value):
                return
            read = keyword_arg(node, "read")
            if read is not None and not is_none(read.value):
                return
            self.report(
                node,
                expr=short_code(self.ctx.code_for(node), 60),
                why="reads are unbounded and the call can hang forever; give `read` (or every phase) a value",
            )

    def _scope(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name not in table.NONE_DISABLES_SCOPE or not is_none(delay_argument(node)):
            return
        item = self.ctx.parent
        if not isinstance(item, cst.WithItem) or item.item is not node:
            return  # kept for later, presumably to be rescheduled
        target = item.asname.name if item.asname is not None else None
        if isinstance(target, cst.Name) and self._rescheduled(target.value):
            return
        self.report(
            node,
            expr=short_code(self.ctx.code_for(node), 60),
            why="this scope has no deadline, so it bounds nothing; give it a delay",
        )

    def _rescheduled(self, name: str) -> bool:
        function = self.ctx.function
        root: cst.CSTNode = function if function is not None else self.ctx.module
        for sub in walk(root):
            if (
                isinstance(sub, cst.Attribute)
                and sub.attr.value in _RESCHEDULES
                and isinstance(sub.value, cst.Name)
                and sub.value.value == name
            ):
                return True
        return False

    def _wait_for(self, node: cst.Call) -> None:
        if self.ctx.qualified_name(node.func) not in table.WAIT_FOR:
            return
        if any(a.star for a in node.args):
            return
        timeout = wait_for_timeout(node)
        if timeout is None or not is_none(timeout):
            return
        self.report(
            node,
            expr=short_code(self.ctx.code_for(node), 60),
            why="`wait_for` with no timeout waits forever; await the awaitable directly, or give it a timeout",
            fix=self._unwrap(node),
        )

    def _unwrap(self, node: cst.Call) -> NodeFix | None:
        parent = self.ctx.parent
        if not isinstance(parent, cst.Await) or parent.expression is not node:
            return None
        args = positional_args(node)
        if not args or args[0] is not node.args[0] or len(node.args) != 2:
            return None
        inner = args[0].value
        if not isinstance(inner, _AWAIT_OPERANDS) and not inner.lpar:
            inner = inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if node.lpar:
            inner = inner.with_changes(lpar=node.lpar, rpar=node.rpar)
        return NodeFix({node: inner}, "Await the awaitable directly")
