"""The one traversal of a module that every selected rule shares.

It calls each rule's `visit_<Node>` and `leave_<Node>`, keeps the context's stack and scopes,
and isolates rule failures. The walk is iterative (a work list, no Python recursion), so
deeply nested code cannot exhaust the interpreter's stack here, and a RecursionError can
only come from a rule, which then fails alone (ASL002).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import libcst as cst

from asynclint.analysis.nodes import COMPREHENSIONS, children

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.rule import Rule

Handler = Callable[[cst.CSTNode], None]


class Action(enum.IntEnum):
    """What the walk does with a node taken from its work list."""

    #: Call the `visit_` handlers, then push the leave and the node's parts.
    VISIT = 0
    #: Call the `leave_` handlers and pop the node from the context's stack.
    LEAVE = 1
    #: The body of a definition starts: its own scope.
    ENTER_SCOPE = 2
    #: The body of a definition ends.
    EXIT_SCOPE = 3
    #: Visit a comprehension's outermost `for` clause without its iterable, which was
    #: walked in the enclosing scope.
    VISIT_COMPREHENSION = 4


# Module-level names: the hot loop reads globals, not attributes of the enum class.
VISIT = Action.VISIT
LEAVE = Action.LEAVE
ENTER_SCOPE = Action.ENTER_SCOPE
EXIT_SCOPE = Action.EXIT_SCOPE
VISIT_COMPREHENSION = Action.VISIT_COMPREHENSION
Step = tuple[Action, cst.CSTNode]

# A set of exact types: isinstance against libcst's ABC classes is slow, and these classes
# have no subclasses.
SCOPE_TYPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef, *COMPREHENSIONS})
#: Node types without parts (every field a rule reads is a string): names, literals,
#: `pass`. A third of a module's nodes are names.
LEAF_TYPES = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.Ellipsis,
        cst.FormattedStringText,
        cst.Pass,
        cst.Break,
        cst.Continue,
        cst.ParamStar,
        cst.ParamSlash,
    }
)


class Walker:
    """One depth-first traversal of a module for `rules`; a rule that raises is recorded in
    `failures` and called no more."""

    def __init__(self, ctx: Context, rules: list[Rule], tops: dict[int, cst.CSTNode] | None = None) -> None:
        self.ctx = ctx
        self.rules = rules
        #: Given a dictionary, the walk fills it with each node's top-level statement (by
        #: the node's `id`; `positions.layout_statements`).
        self.tops = tops
        self.failures: dict[Rule, BaseException] = {}
        #: Each handler name's handlers, in the order of `rules`.
        self._by_name: dict[str, list[tuple[Rule, Handler]]] = {}
        for rule in rules:
            rule_class: type = type(rule)  # as `type`: mypy takes a rule class for unhashable
            for name, function in _handler_functions(rule_class):
                self._by_name.setdefault(name, []).append((rule, function.__get__(rule)))
        self._visit: dict[type, list[tuple[Rule, Handler]]] = {}
        self._leave: dict[type, list[tuple[Rule, Handler]]] = {}
        #: The leaf types that no rule handles are not walked at all: a leaf has no parts,
        #: so no handler runs while it is on the context's stack, and its own visit would
        #: call nothing. (Walked when `tops` wants every node's statement.)
        self._unwalked = (
            frozenset(
                t
                for t in LEAF_TYPES
                if f"visit_{t.__name__}" not in self._by_name and f"leave_{t.__name__}" not in self._by_name
            )
            if tops is None
            else frozenset()
        )

    def _handlers(
        self,
        table: dict[type, list[tuple[Rule, Handler]]],
        prefix: Literal["visit_", "leave_"],
        node_type: type,
    ) -> list[tuple[Rule, Handler]]:
        handlers = list(self._by_name.get(prefix + node_type.__name__, ()))
        table[node_type] = handlers
        return handlers

    def _call(self, handlers: list[tuple[Rule, Handler]], node: cst.CSTNode) -> None:
        for rule, method in handlers:
            try:
                method(node)
            except Exception as exc:  # includes RecursionError from a rule's own analysis
                self._fail(rule, exc)

    def _fail(self, rule: Rule, exc: BaseException) -> None:
        self.failures[rule] = exc
        for table in (self._visit, self._leave):
            for node_type, handlers in table.items():
                table[node_type] = [(r, m) for r, m in handlers if r is not rule]

    def walk(self, root: cst.CSTNode) -> None:
        ctx = self.ctx
        todo: list[Step] = [(VISIT, root)]
        pop, push = todo.pop, todo.append
        visit_table, leave_table = self._visit, self._leave
        scope_types = SCOPE_TYPES
        call_type = cst.Call
        tops = self.tops
        stack = ctx.stack
        unwalked = self._unwalked
        while todo:
            action, node = pop()
            if action is VISIT or action is VISIT_COMPREHENSION:
                node_type = type(node)
                stack.append(node)
                if tops is not None and len(stack) > 1:
                    tops[id(node)] = stack[1]
                handlers = visit_table.get(node_type)
                if handlers is None:
                    handlers = self._handlers(visit_table, "visit_", node_type)
                if handlers:
                    self._call(handlers, node)
                if node_type is call_type:
                    ctx.note_call(node)  # type: ignore[arg-type]
                push((LEAVE, node))
                if action is VISIT_COMPREHENSION:
                    kids = [node.target, *node.ifs]  # type: ignore[attr-defined]
                    if node.inner_for_in is not None:  # type: ignore[attr-defined]
                        kids.append(node.inner_for_in)  # type: ignore[attr-defined]
                    for kid in reversed(kids):
                        push((VISIT, kid))
                elif node_type in scope_types:
                    for step in reversed(scope_plan(node)):
                        push(step)
                else:
                    for kid in reversed(children(node)):
                        if type(kid) not in unwalked:
                            push((VISIT, kid))
            elif action is LEAVE:
                handlers = leave_table.get(type(node))
                if handlers is None:
                    handlers = self._handlers(leave_table, "leave_", type(node))
                if handlers:
                    self._call(handlers, node)
                ctx.stack.pop()
            elif action is ENTER_SCOPE:
                ctx.enter_scope(node)
            else:
                ctx.exit_scope()


@functools.cache
def _handler_functions(rule_class: type) -> tuple[tuple[str, Callable[..., None]], ...]:
    """A rule class's handlers (`visit_Call`, `leave_FunctionDef`...), by name: looked up
    once per class, not once per node type and file."""
    return tuple(
        (name, function)
        for name in dir(rule_class)
        if name.startswith(("visit_", "leave_")) and callable(function := getattr(rule_class, name))
    )


def scope_plan(node: cst.CSTNode) -> list[Step]:
    """The order in which a definition's parts are walked: parts evaluated outside it
    (decorators, defaults, bases, the first iterable of a comprehension) in the enclosing
    scope, the body inside its own."""
    plan: list[Step] = []
    if isinstance(node, cst.FunctionDef):
        plan += [(VISIT, d) for d in node.decorators]
        plan.append((VISIT, node.params))
        if node.returns is not None:
            plan.append((VISIT, node.returns))
        plan += [(ENTER_SCOPE, node), (VISIT, node.body), (EXIT_SCOPE, node)]
    elif isinstance(node, cst.Lambda):
        plan += [(VISIT, node.params), (ENTER_SCOPE, node), (VISIT, node.body), (EXIT_SCOPE, node)]
    elif isinstance(node, cst.ClassDef):
        plan += [(VISIT, d) for d in node.decorators]
        plan += [(VISIT, a) for a in (*node.bases, *node.keywords)]
        plan += [(ENTER_SCOPE, node), (VISIT, node.body), (EXIT_SCOPE, node)]
    else:
        comp = node.for_in  # type: ignore[attr-defined]
        plan += [(VISIT, comp.iter), (ENTER_SCOPE, node)]
        for name in ("elt", "key", "value"):
            part = getattr(node, name, None)
            if part is not None:
                plan.append((VISIT, part))
        # The outermost `for` clause itself: visited and left around its target,
        # conditions and inner clauses (its iterable was walked outside).
        plan.append((VISIT_COMPREHENSION, comp))
        plan.append((EXIT_SCOPE, node))
    return plan
