from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import keyword_arg, positional_args
from asynclint.rule import Default, FixSafety, Rule

_GROUPS = {
    "builtins.ExceptionGroup": "ExceptionGroup",
    "builtins.BaseExceptionGroup": "BaseExceptionGroup",
    "exceptiongroup.ExceptionGroup": "exceptiongroup.ExceptionGroup",
    "exceptiongroup.BaseExceptionGroup": "exceptiongroup.BaseExceptionGroup",
}


class RaisesExceptionGroup(Rule):
    """
    ## What it does
    Finds `pytest.raises(ExceptionGroup)` (also `BaseExceptionGroup`, the `exceptiongroup`
    backport, in a tuple of classes, or in the call form `pytest.raises(ExceptionGroup, f)`).

    ## Why is this bad?
    What a TaskGroup raises is an exception group, and `pytest.raises` checks only the
    group's own class: a group holding a `KeyError` passes a test written for a
    `ValueError`, and `match=` is applied to the group's message, not to its exceptions.
    `pytest.RaisesGroup` (pytest 8.4 and later) checks what the group holds, nested
    groups included.

    ## Example
        import pytest

        async def test_fails(run):
            with pytest.raises(ExceptionGroup):
                await run()

    ## Use instead
        import pytest

        async def test_fails(run):
            with pytest.RaisesGroup(ValueError):
                await run()

    ## Fix safety
    No fix: which exceptions the group must hold is for the test's author to state.
    """

    code = "ASL505"
    name = "raises-exception-group"
    message = "`pytest.raises({group})` checks only the group's class, not what it holds; use `pytest.RaisesGroup(...)` (pytest 8.4+) with the expected exceptions"
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("raises", "ExceptionGroup")
    peer = "FA ASYNC401"

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.qualified_name(node.func) != "pytest.raises":
            return
        positional = positional_args(node)
        arg = positional[0] if positional else keyword_arg(node, "expected_exception")
        if arg is None:
            return
        group = self._group(arg.value)
        if group is not None:
            self.report(node, group=group)

    def _group(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Tuple):
            for element in expr.elements:
                found = self._group(element.value)
                if found is not None:
                    return found
            return None
        return _GROUPS.get(self.ctx.qualified_name(expr) or "")
