from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asynclint.catalogs import resources as table
from asynclint.rule import Default, FixSafety, Rule
from asynclint.rules._resources import creator_tails, may_create, resource_for, walk_with_path

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_OWNED = frozenset({table.CLIENT, table.DATABASE, table.FILE})
_NEUTRAL = (
    cst.Comparison,
    cst.ComparisonTarget,
    cst.BooleanOperation,
    cst.UnaryOperation,
    cst.If,
    cst.Assert,
)


class OwnedResourceNeverClosed(Rule):
    """
    ## What it does
    Finds a class that stores a resource of the ASL3xx table (a client session, a
    connection or pool, an async file) in `self.<attr>` in one of its methods, while no
    method of the class closes it (`self.<attr>.close()`, `aclose()`, a close method
    handed to a callback) and the class never hands `self.<attr>` to anything else.

    ## Why is this bad?
    The object owns the resource: if none of its methods closes it, nobody can, short of
    reaching into its attributes. The sessions and connections it opens leak for the whole
    life of the program, or warn about being unclosed at garbage collection.

    ## Example
        import aiohttp

        class Api:
            async def start(self):
                self.session = aiohttp.ClientSession()

            async def get(self, url):
                return await self.session.get(url)

    ## Use instead
        import aiohttp

        class Api:
            async def start(self):
                self.session = aiohttp.ClientSession()

            async def get(self, url):
                return await self.session.get(url)

            async def close(self):
                await self.session.close()

    ## Fix safety
    There is no fix: where the close belongs (`close()`, `__aexit__`, a shutdown hook)
    is the class's design. This rule is opt-in: a base class or the code that owns the
    object may close the attribute, which a per-class check cannot see.
    """

    code = "ASL309"
    name = "owned-resource-never-closed"
    message = (
        "`self.{attr}` holds {type} but no method of `{cls}` closes it; close it in `close()`/`__aexit__`"
    )
    fix_safety = FixSafety.NONE
    default = Default.OPT
    triggers = ("class", "self")

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._tails = creator_tails(ctx)
        #: Per class node id: attribute -> (creating call, resource).
        self._created: dict[int, dict[str, tuple[cst.Call, table.Resource]]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        self._note([t.target for t in node.targets], node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._note([node.target], node.value)

    def _note(self, targets: list[cst.BaseExpression], value: cst.BaseExpression) -> None:
        """`self.x = Create(...)` directly in a method body."""
        awaited = isinstance(value, cst.Await)
        call = value.expression if isinstance(value, cst.Await) else value
        if not isinstance(call, cst.Call) or not may_create(self.ctx, call, self._tails):
            return
        frame = self.ctx.frame
        cls_frame = frame.class_frame() if frame.kind == "function" else None
        method = frame.node
        if cls_frame is None or not isinstance(method, cst.FunctionDef) or not method.params.params:
            return
        me = method.params.params[0].name.value
        for target in targets:
            if not (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == me
            ):
                continue
            resource = resource_for(self.ctx, self.ctx.call_name(call))
            if (
                resource is not None
                and resource.code in _OWNED
                and not resource.release_on_receiver
                and resource.awaited == awaited
            ):
                created = self._created.setdefault(id(cls_frame.node), {})
                created.setdefault(target.attr.value, (call, resource))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        created = self._created.pop(id(node), None)
        if not created or not isinstance(node.body, cst.IndentedBlock):
            return
        methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.params.params]
        selves = {m.params.params[0].name.value for m in methods}
        handled: set[str] = set()
        for method in methods:
            for found, path in walk_with_path(method.body):
                if not (
                    isinstance(found, cst.Attribute)
                    and found.attr.value in created
                    and isinstance(found.value, cst.Name)
                    and found.value.value in selves
                ):
                    continue
                attr = found.attr.value
                parent = path[-1] if path else None
                if isinstance(parent, cst.Attribute) and parent.value is found:
                    if parent.attr.value in created[attr][1].closers:
                        handled.add(attr)
                elif isinstance(parent, (cst.AssignTarget, *_NEUTRAL)):
                    continue
                else:
                    handled.add(attr)  # handed to a call, a `with`, another name...
        for attr, (call, resource) in created.items():
            if attr not in handled:
                self.report(call, attr=attr, type=f"`{resource.label}`", cls=node.name.value)
