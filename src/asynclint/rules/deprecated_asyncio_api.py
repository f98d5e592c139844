from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import dotted_name, keyword_arg
from asynclint.catalogs.loop_api import DEPRECATED, LOOP_PARAMETER_REMOVED, Deprecation
from asynclint.catalogs.names import canonical
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule

_LAST_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in DEPRECATED)


class DeprecatedAsyncioApi(Rule):
    """
    ## What it does
    Finds asyncio APIs that the configured `target-version` has deprecated or removed:
    `asyncio.iscoroutinefunction` (deprecated in 3.14), the event loop policy API
    (`get/set_event_loop_policy`, `*EventLoopPolicy`, 3.14), child watchers (3.12,
    removed in 3.14), `@asyncio.coroutine` (removed in 3.11), `asyncio.Task.all_tasks` /
    `current_task` (removed in 3.9), the `loop=` argument of asyncio functions and
    primitives (removed in 3.10), and `asyncio.TimeoutError`, an alias of the builtin
    `TimeoutError` since 3.11. Nothing is reported for a version that still supports the
    API.

    ## Why is this bad?
    Deprecated APIs warn today and break on the next Python that removes them; removed ones
    already raise `AttributeError` or `TypeError` on the versions the project supports.
    `asyncio.TimeoutError` still works but hides that it is the builtin.

    ## Example
        import asyncio

        async def tick(loop):
            await asyncio.sleep(1, loop=loop)
            return asyncio.Task.all_tasks(loop)

    ## Use instead
        import asyncio

        async def tick():
            await asyncio.sleep(1)
            return asyncio.all_tasks()

    ## Fix safety
    Safe for `asyncio.TimeoutError` -> `TimeoutError` (the same class from 3.11 on) and
    `asyncio.iscoroutinefunction` -> `inspect.iscoroutinefunction`, when written as an
    attribute of `asyncio` and the new name is free. The other APIs have no mechanical
    replacement and are reported without a fix.
    """

    code = "ASL605"
    name = "deprecated-asyncio-api"
    message = "`{name}` {status}; use {replacement}"
    fix_safety = FixSafety.SAFE
    peer = "RF UP041 (TimeoutError only)"
    triggers = ("asyncio",)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in _LAST_NAMES or isinstance(self.ctx.parent, cst.Attribute):
            return
        if self.ctx.ancestor(cst.Import, cst.ImportFrom) is not None:
            return
        name = self.ctx.qualified_name(node)
        entry = DEPRECATED.get(name or "")
        if name is None or entry is None or not self._applies(entry):
            return
        self.report(
            node,
            name=name,
            status=self._status(entry),
            replacement=f"`{entry.replacement}`",
            fix=self._fix(node, entry),
        )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) or node.relative or node.module is None:
            return
        module = dotted_name(node.module)  # the names, not the text (`asyncio . events`)
        for alias in node.names:
            name = f"{module}.{dotted_name(alias.name)}"  # as written: the message quotes it
            entry = DEPRECATED.get(canonical(name))
            if entry is not None and self._applies(entry):
                self.report(
                    alias, name=name, status=self._status(entry), replacement=f"`{entry.replacement}`"
                )

    def visit_Call(self, node: cst.Call) -> None:
        loop = keyword_arg(node, "loop")
        if loop is None or self.ctx.settings.target_minor < 8:
            return
        name = self.ctx.qualified_name(node.func)
        if name not in LOOP_PARAMETER_REMOVED:
            return
        removed = self.ctx.settings.target_minor >= 10
        status = "was removed in Python 3.10" if removed else "is deprecated since Python 3.8"
        self.report(
            loop, name=f"{name}(loop=...)", status=status, replacement="the running loop (drop the argument)"
        )

    def _applies(self, entry: Deprecation) -> bool:
        return self.ctx.settings.target_minor >= entry.deprecated

    def _status(self, entry: Deprecation) -> str:
        if entry.removed is not None and self.ctx.settings.target_minor >= entry.removed:
            return f"was removed in Python 3.{entry.removed}"
        if entry.replacement == "TimeoutError":
            return "is an alias of the builtin since Python 3.11"
        return f"is deprecated since Python 3.{entry.deprecated}"

    def _fix(self, node: cst.Attribute, entry: Deprecation) -> NodeFix | None:
        if entry.fix is None:
            return None
        if entry.fix.startswith("builtins."):
            builtin = entry.fix.split(".", 1)[1]
            if self.ctx.lookup(builtin) is not None:
                return None
            return NodeFix({node: cst.Name(builtin, lpar=node.lpar, rpar=node.rpar)}, f"Use `{builtin}`")
        reference = self.ctx.reference(entry.fix)
        if reference is None:
            return None
        expr, module = reference
        return NodeFix({node: expr}, f"Use `{entry.fix}`", imports_for(module))
