from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import coroutine_call
from asynclint.analysis.nodes import last_name, positional_args, root_name, walk
from asynclint.catalogs.calls import WAIT_CALLS
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule

_DISPLAYS = (cst.List, cst.Set, cst.Tuple)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)


class WaitWithCoroutines(Rule):
    """
    ## What it does
    Finds `asyncio.wait(...)` given coroutines: a list, set or tuple display, or a
    comprehension, whose elements are calls of coroutine functions (an `async def` of the
    module or a library coroutine function).

    ## Why is this bad?
    `asyncio.wait` takes tasks and futures. Passing coroutines was deprecated in Python
    3.8 and raises `TypeError` since 3.11. Even where it worked, `wait` wrapped them in
    tasks you could not get hold of, so `done` never contained your coroutines.

    ## Example
        import asyncio

        async def fetch(url):
            await asyncio.sleep(1)

        async def main(urls):
            done, pending = await asyncio.wait([fetch(u) for u in urls])

    ## Use instead
        import asyncio

        async def fetch(url):
            await asyncio.sleep(1)

        async def main(urls):
            done, pending = await asyncio.wait([asyncio.create_task(fetch(u)) for u in urls])

    ## Fix safety
    Safe: each coroutine call becomes `asyncio.create_task(...)`, which is what older
    Pythons did implicitly and what newer ones require. Only inside a coroutine, where a
    loop runs.
    """

    code = "ASL604"
    name = "wait-with-coroutines"
    message = "`asyncio.wait()` is given coroutines (`{coroutine}(...)`), a TypeError since Python 3.11; wrap them in `asyncio.create_task()`"
    fix_safety = FixSafety.SAFE
    triggers = ("async", "wait")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last != "wait" and not isinstance(func, cst.Name):
            return
        if self.ctx.qualified_name(func) not in WAIT_CALLS:
            return
        args = positional_args(node)
        if not args:
            return
        collection = args[0].value
        if isinstance(collection, _DISPLAYS):
            elements = [e.value for e in collection.elements if not isinstance(e, cst.StarredElement)]
        elif isinstance(collection, _COMPREHENSIONS):
            elements = [collection.elt]
        else:
            return
        coroutines = []
        for element in elements:
            if isinstance(element, cst.Call):
                label = self._coroutine(element, collection)
                if label is not None:
                    coroutines.append((element, label))
        if not coroutines:
            return
        self.report(node, coroutine=coroutines[0][1], fix=self._fix(coroutines))

    def _coroutine(self, element: cst.Call, collection: cst.BaseExpression) -> str | None:
        if isinstance(collection, _COMPREHENSIONS):
            # Names bound by the comprehension are not the module's functions.
            bound = set()
            comp: cst.CompFor | None = collection.for_in
            while comp is not None:
                bound |= {n.value for n in walk(comp.target) if isinstance(n, cst.Name)}
                comp = comp.inner_for_in
            head = root_name(element.func)
            if head is not None and head.value in bound:
                return None
        coroutine = coroutine_call(self.ctx, element)
        return coroutine.written if coroutine is not None else None

    def _fix(self, coroutines: list[tuple[cst.Call, str]]) -> NodeFix | None:
        if self.ctx.async_function is None:
            return None
        reference = self.ctx.reference("asyncio.create_task")
        if reference is None:
            return None
        expr, module = reference
        replacements: dict[cst.CSTNode, cst.CSTNode] = {
            call: cst.Call(func=expr, args=[cst.Arg(call)]) for call, _ in coroutines
        }
        return NodeFix(replacements, "Wrap each coroutine in `asyncio.create_task()`", imports_for(module))
