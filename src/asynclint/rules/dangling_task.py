from __future__ import annotations

import libcst as cst

from asynclint.analysis.methods import coroutine_call
from asynclint.analysis.nodes import keyword_arg, positional_args, walk
from asynclint.fixes import NodeFix, imports_for
from asynclint.rule import FixSafety, Rule
from asynclint.rules._concurrency import (
    has_comments,
    name_is_free,
    task_creator,
    unread_local,
    variable_is_read,
)
from asynclint.rules._loop_api import in_signal_handler

TASK_SET = "_background_tasks"


class DanglingTask(Rule):
    """
    ## What it does
    Finds tasks created with `asyncio.create_task`, `asyncio.ensure_future` or
    `loop.create_task` whose result is not kept: the call is a statement of its own, is
    assigned to `_`, is chained (`create_task(c).add_done_callback(f)`), or is assigned to
    a local variable that the function never reads. A task that is returned, awaited,
    stored in an attribute, a container or a global, or passed to a call is kept, and
    `TaskGroup.create_task` is never reported. Neither is a task created in a handler
    installed with `signal.signal()`: the handler is ASL607's (whose cure, running it
    with `loop.add_signal_handler()`, hands the task to code that keeps it), also where
    ASL607 leaves it alone (a coroutine that polls the loop awake installed it: a one-off
    clean-up task of an interactive tool, judged not worth a change). `ensure_future(x)` of
    an existing value is a new task only when `x` is a coroutine (a task or future comes
    back as it is): it is left alone when `x` is known to be a task or future, or is a
    local name the function also reads elsewhere (kept, like an assigned task), unless
    `x` is known to hold a coroutine. Test files are skipped: a test's helper task lives no
    longer than the test, held by the timer or the I/O it waits on, and test authors keep
    no reference to it (judged samples of real projects: none of the seven such findings
    was worth a change).

    ## Why is this bad?
    The event loop keeps only a weak reference to a task. A task that nothing else refers
    to can be garbage-collected in the middle of its work, silently; its exceptions are
    never seen either.

    ## Example
        import asyncio

        async def handle(event):
            asyncio.create_task(notify(event))

    ## Use instead
        import asyncio

        _background_tasks: set[asyncio.Task[object]] = set()

        async def handle(event):
            task = asyncio.create_task(notify(event))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)

    ## Fix safety
    Unsafe. A statement `asyncio.create_task(c)` (or `_ = ...`) becomes
    `task = asyncio.create_task(c)` followed by `_background_tasks.add(task)` and
    `task.add_done_callback(_background_tasks.discard)`, and a module-level
    `_background_tasks` set is added after the imports; a task bound to an unread local
    keeps its name. The task now lives until it finishes, which is the point, but it
    also keeps alive everything it references for that long. Chained calls and tasks
    created in expressions are reported without a fix.
    """

    code = "ASL204"
    name = "dangling-task"
    message = "The task from `{name}(...)` is not kept; the event loop holds only a weak reference, so it can be garbage-collected before it finishes; {cure}"
    fix_safety = FixSafety.UNSAFE
    peer = "FA ASYNC300, RF RUF006"
    triggers = (("create_task", "ensure_future"),)
    skip_test_files = True

    def visit_Call(self, node: cst.Call) -> None:
        name = task_creator(self.ctx, node)
        # From a `signal.signal()` handler the problem is the handler (ASL607).
        if name is None or in_signal_handler(self.ctx):
            return
        if name == "asyncio.ensure_future" and self._existing_task(node):
            return
        parent = self.ctx.parent
        stack = self.ctx.stack
        if isinstance(parent, cst.Expr):
            self.report(node, name=name, cure=self._cure(), fix=self._fix(node, stack[-3], None))
            return
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name) and target.value == "_":
                function = self.ctx.frame.function_frame()
                if function is None or not variable_is_read(function.node, "_"):
                    self.report(node, name=name, cure=self._cure(), fix=self._fix(node, stack[-3], None))
            elif self.ctx.frame.function_frame() is not None and unread_local(self.ctx, target):
                assert isinstance(target, cst.Name)
                self.report(node, name=name, cure=self._cure(), fix=self._fix(node, stack[-3], target.value))
            return
        if isinstance(parent, cst.AnnAssign) and parent.value is node:
            if self.ctx.frame.function_frame() is not None and unread_local(self.ctx, parent.target):
                assert isinstance(parent.target, cst.Name)
                self.report(
                    node, name=name, cure=self._cure(), fix=self._fix(node, stack[-3], parent.target.value)
                )
            return
        # `create_task(c).add_done_callback(f)` as a statement: the callback does not
        # keep the task alive.
        if (
            isinstance(parent, cst.Attribute)
            and len(stack) >= 4
            and isinstance(stack[-3], cst.Call)
            and stack[-3].func is parent
            and isinstance(stack[-4], cst.Expr)
        ):
            self.report(node, name=name, cure=self._cure())

    def _existing_task(self, call: cst.Call) -> bool:
        """`ensure_future(x)` that makes no new task: `x` is no call (an existing value),
        and is known to be a task or future, or is a local the function also reads
        elsewhere (it keeps it, as for an assigned task) and is not known to hold a
        coroutine. `ensure_future` hands a task or future back as it is."""
        positional = positional_args(call)
        given = positional[0] if positional else keyword_arg(call, "coro_or_future")
        if given is None:
            return False
        value = given.value
        if not isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
            return False
        kind = self.ctx.type_of(value)
        if kind is not None and kind.rsplit(".", 1)[-1] in ("Task", "Future"):
            return True
        if not isinstance(value, cst.Name):
            return False
        found = self.ctx.lookup(value.value)
        function = self.ctx.frame.function_frame()
        if found is None or function is None or found[0] is not function:
            return False
        if any(isinstance(b.value, cst.Call) and coroutine_call(self.ctx, b.value) for b in found[1]):
            return False
        return variable_is_read(function.node, value.value, outside=call)

    def _cure(self) -> str:
        """What the message recommends: a reference kept until the task is done, or (3.11+)
        a `TaskGroup` that owns it."""
        keep = "keep a reference until it is done (add it to a set and `add_done_callback(set.discard)`)"
        return f"{keep} or run it in an `asyncio.TaskGroup`" if self.ctx.settings.target_minor >= 11 else keep

    def _fix(self, node: cst.Call, line: cst.CSTNode, kept_name: str | None) -> NodeFix | None:
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or has_comments(line.body[0]):
            return None
        function = self.ctx.frame.function_frame()
        if function is None or function.kind != "function":
            return None
        declaration = self._declaration()
        if declaration is None:
            return None
        anchor_fix, module = declaration
        name = kept_name
        if name is None:
            name = next(
                (n for n in ("task", "background_task") if name_is_free(self.ctx, function.node, n)), None
            )
            if name is None:
                return None
        newline = self.ctx.module.default_newline
        code = self.ctx.code_for(node)
        text = newline.join(
            [
                f"{name} = {code}",
                f"{TASK_SET}.add({name})",
                f"{name}.add_done_callback({TASK_SET}.discard)",
                "",
            ]
        )
        if kept_name is not None:
            text = newline.join(
                [f"{TASK_SET}.add({name})", f"{name}.add_done_callback({TASK_SET}.discard)", ""]
            )
        try:
            parsed = cst.parse_module(text, config=self.ctx.module.config_for_parsing)
        except cst.ParserSyntaxError:
            return None
        statements: list[cst.CSTNode] = list(parsed.body)
        if kept_name is None:
            statements[0] = statements[0].with_changes(  # type: ignore[attr-defined]
                leading_lines=line.leading_lines, trailing_whitespace=line.trailing_whitespace
            )
            replacement = cst.FlattenSentinel(statements)
        else:
            replacement = cst.FlattenSentinel([line, *statements])
        replacements: dict[cst.CSTNode, cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]] = {line: replacement}
        replacements.update(anchor_fix)
        return NodeFix(replacements, f"Keep a reference to the task in `{TASK_SET}`", imports_for(module))

    def _declaration(
        self,
    ) -> tuple[dict[cst.CSTNode, cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]], str | None] | None:
        """The replacement that declares the module's task set after its imports (empty
        when it exists), and the module to import; None when it cannot be declared."""
        existing = self.ctx.module_frame.bindings.get(TASK_SET)
        if existing is not None:
            if all(_is_empty_set(b.value) for b in existing):
                return {}, None
            return None
        anchor: cst.BaseStatement | None = None
        for stmt in self.ctx.module.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                break
            if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
            ):
                anchor = stmt
        if anchor is None:
            return None
        reference = self.ctx.reference("asyncio.Task")
        if reference is None:
            return None
        task_type, module = reference
        if module is None:
            anchor = self._after_import_of(task_type, anchor)
        annotation = f"set[{self.ctx.code_for(task_type)}[object]]"
        if self.ctx.settings.target_minor < 9:
            annotation = f'"{annotation}"'
        try:
            declaration = cst.parse_statement(
                f"{TASK_SET}: {annotation} = set(){self.ctx.module.default_newline}",
                self.ctx.module.config_for_parsing,
            )
        except cst.ParserSyntaxError:
            return None
        declaration = declaration.with_changes(leading_lines=[cst.EmptyLine()])
        return {anchor: cst.FlattenSentinel([anchor, declaration])}, module

    def _after_import_of(self, expr: cst.BaseExpression, anchor: cst.BaseStatement) -> cst.BaseStatement:
        """`anchor`, or the later module-level statement that imports the name `expr`
        starts with (one sharing its line with other statements, after a def, in a `try`):
        the declaration's annotation is evaluated where it stands, after that import."""
        while isinstance(expr, cst.Attribute):
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return anchor
        imports = {
            id(b.node) for b in self.ctx.module_frame.bindings.get(expr.value, ()) if b.node is not None
        }
        passed_anchor = False
        for stmt in self.ctx.module.body:
            if any(id(node) in imports for node in walk(stmt, into_scopes=False)):
                return stmt if passed_anchor else anchor
            passed_anchor = passed_anchor or stmt is anchor
        return anchor


def _is_empty_set(value: cst.BaseExpression | None) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
    )
