from __future__ import annotations

import libcst as cst

from asynclint.analysis.nodes import walk
from asynclint.analysis.resources import resource_for, walk_with_path
from asynclint.catalogs import resources as table
from asynclint.rule import Default, FixSafety, Rule

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
    triggers = (r"\bclass\b", r"\bself\b")

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        if not isinstance(node.body, cst.IndentedBlock):
            return
        methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.params.params]
        created: dict[str, tuple[cst.Call, table.Resource]] = {}
        for method in methods:
            frame = self.ctx.frame_of(method)
            if frame is None:
                continue
            me = method.params.params[0].name.value
            for stmt in walk(method.body, into_scopes=False):
                if not isinstance(stmt, (cst.Assign, cst.AnnAssign)) or stmt.value is None:
                    continue
                targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
                value = stmt.value
                awaited = isinstance(value, cst.Await)
                call = value.expression if isinstance(value, cst.Await) else value
                if not isinstance(call, cst.Call):
                    continue
                for target in targets:
                    if not (
                        isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name)
                        and target.value.value == me
                    ):
                        continue
                    resource = resource_for(self.ctx, self.ctx.call_name(call, frame))
                    if (
                        resource is not None
                        and resource.code in _OWNED
                        and not resource.release_on_receiver
                        and resource.awaited == awaited
                    ):
                        created.setdefault(target.attr.value, (call, resource))
        if not created:
            return
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
                elif isinstance(parent, (cst.AssignTarget, _NEUTRAL)):
                    continue
                else:
                    handled.add(attr)  # handed to a call, a `with`, another name...
        for attr, (call, resource) in created.items():
            if attr not in handled:
                self.report(call, attr=attr, type=f"`{resource.label}`", cls=node.name.value)
