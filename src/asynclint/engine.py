"""One file: decode, decide whether any selected rule can fire, parse once, one traversal
shared by every selected rule, positions for what was reported, noqa -> diagnostics.

Errors are values: a file that does not decode or parse is diagnostic ASL001; a rule that
raises is diagnostic ASL002 naming the rule, and the other rules' findings stand.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asynclint.diagnostics import Diagnostic, Edit, Fix, Location
from asynclint.registry import RuleInfo, rule_infos
from asynclint.triggers import Trigger

if TYPE_CHECKING:
    import libcst as cst

    from asynclint.analysis.context import Context
    from asynclint.fixes import NodeFix
    from asynclint.rule import Finding, Rule
    from asynclint.settings import Settings

SYNTAX_ERROR = "ASL001"
INTERNAL_ERROR = "ASL002"
ENGINE_CODES = frozenset({SYNTAX_ERROR, INTERNAL_ERROR})
_FILE_NOQA_RE = re.compile(r"^\s*#\s*asynclint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
_TRIGGERS: dict[str, Trigger] = {}
RECURSION_LIMIT = 20_000
UNFIXABLE_ROUND_TRIP = (
    "libcst, asynclint's parser, does not reproduce this file exactly (whitespace before the colon"
    " of an `except` clause? CR line endings?); it is linted but not fixed"
)


@dataclass
class FileResult:
    """What linting one file produced; plain data, so it can be cached and pickled."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Per-rule facts for project-wide rules (see `Rule.project_diagnostics`).
    facts: dict[str, object] = field(default_factory=dict)
    parsed: bool = False
    skipped: bool = False  # `# asynclint: noqa` for the whole file
    #: Why no fix is offered for this file (None: fixes are offered).
    unfixable: str | None = None
    #: With edits: the parsed module and each fixable diagnostic's fix as its rule built
    #: it (by `id` of the diagnostic), so the fixer can check that the edits mean what the
    #: rule intended. In-process only: the fixer drops it before the result travels.
    intent: FixIntent | None = field(default=None, compare=False, repr=False)


@dataclass
class FixIntent:
    module: cst.Module
    fixes: dict[int, NodeFix] = field(default_factory=dict)


def file_is_skipped(text: str) -> bool:
    """`# asynclint: noqa` on a line of its own near the top skips the whole file."""
    head = text[:4000]
    return _FILE_NOQA_RE.search(head) is not None


def rules_that_can_fire(text: str, codes: Iterable[str], infos: dict[str, RuleInfo]) -> set[str]:
    """The codes whose trigger patterns all occur in `text` (a text scan, no parse)."""
    chosen = set()
    seen: dict[str, bool] = {}
    for code in codes:
        info = infos.get(code)
        if info is None or code == INTERNAL_ERROR:
            continue
        for source in info.triggers:
            hit = seen.get(source)
            if hit is None:
                trigger = _TRIGGERS.get(source)
                if trigger is None:
                    trigger = _TRIGGERS[source] = Trigger(source)
                hit = seen[source] = trigger.occurs_in(text)
            if not hit:
                break
        else:
            chosen.add(code)
    return chosen


def syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    loc = Location(max(line, 1), max(column, 1))
    return Diagnostic(SYNTAX_ERROR, "syntax-error", message, path, loc, loc)


def internal_error(path: str, code: str, name: str, exc: BaseException, what: str = "raised") -> Diagnostic:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    message = f"rule {code} ({name}) {what} {type(exc).__name__}: {exc}{where}; its findings for this file are dropped (please report this)"
    loc = Location(1, 1)
    return Diagnostic(INTERNAL_ERROR, "internal-error", message, path, loc, loc)


def lint_text(
    text: str,
    path: str,
    relpath: str,
    settings: Settings,
    codes: frozenset[str],
    *,
    module_name: str | None = None,
    is_package: bool = False,
    module_file: str | None = None,
    with_edits: bool = True,
    honour_noqa: bool = True,
) -> FileResult:
    """Lint one module's source text with the rules of `codes` (already narrowed by
    per-file ignores). The dotted module name (for relative imports and cross-module
    facts) is `module_name`, or is worked out from `module_file` when the file is parsed.
    `honour_noqa=False` leaves `# noqa` comments to the caller (flake8 applies its own, and
    its `--disable-noqa` must be able to show everything)."""
    result = FileResult(path)
    if file_is_skipped(text):
        result.skipped = True
        return result
    infos = rule_infos()
    active = rules_that_can_fire(text, codes, infos)
    if not active:
        return result
    is_test = settings.is_test_file(relpath)
    if is_test:
        active = {c for c in active if not infos[c].skip_test_files}
        if not active:
            return result
    if module_name is None:
        module_name, is_package = ("", False)
        if module_file is not None:
            from asynclint.discovery import module_name as name_of

            module_name, is_package = name_of(module_file)
    if len(text) > settings.max_file_size:
        # Said only of files with async code (ASL001's own trigger): a huge generated module
        # without any is of interest to the project index alone, and is skipped quietly.
        if SYNTAX_ERROR in active:
            size = len(text.encode("utf-8", "surrogatepass")) / 1e6
            result.diagnostics.append(
                syntax_error(
                    path,
                    f"file not linted: it is {size:.1f} MB, above max-file-size ({settings.max_file_size / 1e6:g} MB)",
                )
            )
        return result

    import libcst as cst

    try:
        module = _parse(text)
    except cst.ParserSyntaxError as exc:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_describe_syntax_error(text, path, exc))
        return result
    except RecursionError:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(syntax_error(path, "cannot parse: the code is nested too deeply"))
        return result
    except (MemoryError, ValueError) as exc:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(syntax_error(path, f"cannot parse: {type(exc).__name__}: {exc}"))
        return result
    result.parsed = True
    return _lint_module(
        module,
        text,
        path,
        relpath,
        settings,
        codes,
        active,
        result,
        module_name,
        is_package,
        is_test,
        with_edits,
        honour_noqa,
    )


_LIBCST_AT_RE = re.compile(r"error at (\d+):(\d+): ")


def _describe_syntax_error(text: str, path: str, exc: cst.ParserSyntaxError) -> Diagnostic:
    """CPython's parser names the culprit more precisely than libcst's (which reports the
    furthest point it reached), so ask it first; fall back to libcst's message."""
    import ast

    message, line, column = _libcst_message(exc)
    try:
        ast.parse(text, path)
    except SyntaxError as err:
        return syntax_error(path, f"cannot parse: {err.msg}", err.lineno or 1, err.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        return syntax_error(path, f"cannot parse: {message}", line, column)
    # CPython accepts the code: a construct libcst's grammar lacks, not a mistake.
    return syntax_error(
        path,
        f"not linted: valid Python that libcst, asynclint's parser, cannot read ({message})",
        line,
        column,
    )


def _libcst_message(exc: cst.ParserSyntaxError) -> tuple[str, int, int]:
    message = " ".join(str(exc.message).split())
    at = _LIBCST_AT_RE.search(message)
    if at:
        return message[: at.start()] + message[at.end() :], int(at.group(1)), int(at.group(2)) + 1
    return message, exc.raw_line, exc.raw_column + 1


def _parse(text: str) -> cst.Module:
    import libcst as cst

    return cst.parse_module(text)


def _lint_module(
    module: cst.Module,
    text: str,
    path: str,
    relpath: str,
    settings: Settings,
    codes: frozenset[str],
    active: set[str],
    result: FileResult,
    module_name: str,
    is_package: bool,
    is_test: bool,
    with_edits: bool,
    honour_noqa: bool = True,
) -> FileResult:
    from asynclint import registry
    from asynclint.analysis.context import Context

    ctx = Context(module, text, path, module_name, is_package, settings, is_test)
    rules = [cls(ctx) for cls in registry.load(active)]
    walker = Walker(ctx, rules)
    try:
        with _recursion_limit(RECURSION_LIMIT):
            walker.walk(module)
    except RecursionError:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(
                syntax_error(path, "not linted: the code is nested too deeply to analyse")
            )
        return result
    findings = [f for rule in rules if rule not in walker.failures for f in rule.findings]
    from asynclint.positions import RoundTripError, layout

    def place(found: list[Finding], wanted: list[cst.CSTNode]) -> bool:
        """Positions of `found` and `wanted` (and spans for the fixes of `found`) into the
        context; False (and ASL001) when libcst's code cannot be matched with the text.
        A file whose text is not libcst's code gets no fix (positions were carried over to
        the text; a fix built on libcst's code could change what the file means)."""
        nonlocal with_edits
        try:
            positions, spans, exact = layout(
                module, [f.node for f in found] + wanted, _span_nodes(module, found, with_edits), source=text
            )
        except RoundTripError as exc:
            if SYNTAX_ERROR in codes:
                result.diagnostics.append(
                    syntax_error(
                        path,
                        f"not linted: libcst, asynclint's parser, does not reproduce this file exactly ({exc})",
                    )
                )
            return False
        if not exact:
            with_edits = False
            result.unfixable = UNFIXABLE_ROUND_TRIP
        ctx._positions.update(positions)
        ctx._spans.update(spans)
        return True

    # (Without findings yet, this generates no code: exactness is then decided by the
    # findings reported from `finish()`.)
    if not place(findings, ctx._wanted):
        return result
    for rule in rules:
        if rule in walker.failures:
            continue
        try:
            facts = rule.finish()
        except Exception as error:
            walker.failures[rule] = error
            continue
        if facts is not None:
            result.facts[rule.code] = facts
    late = [
        f
        for rule in rules
        if rule not in walker.failures
        for f in rule.findings
        if f.node not in ctx._positions
        or (with_edits and f.fix is not None and not all(n in ctx._spans for n in f.fix.replacements))
    ]
    # Findings reported from `finish()`: their positions, and their fixes' spans.
    if late and not place(late, []):
        return result
    for rule, failure in walker.failures.items():
        if INTERNAL_ERROR in codes:
            result.diagnostics.append(internal_error(path, rule.code, rule.name, failure))
    for rule in rules:
        if rule in walker.failures:
            continue
        for finding in rule.findings:
            diagnostic = _diagnostic(ctx, rule, finding, with_edits, result, honour_noqa)
            if diagnostic is not None:
                result.diagnostics.append(diagnostic)
                if with_edits and diagnostic.fix is not None and finding.fix is not None:
                    if result.intent is None:
                        result.intent = FixIntent(module)
                    result.intent.fixes[id(diagnostic)] = finding.fix
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result


def _span_nodes(module: cst.Module, findings: list[Finding], with_edits: bool) -> list[cst.CSTNode]:
    """The nodes whose text spans turn `findings`' fixes into edits: the replaced nodes, and
    the statement imports go after."""
    if not with_edits or not any(f.fix is not None for f in findings):
        return []
    from asynclint.fixes import import_anchor

    nodes: list[cst.CSTNode] = [n for f in findings if f.fix is not None for n in f.fix.replacements]
    anchor = import_anchor(module)[0]
    if anchor is not None:
        nodes.append(anchor)
    return nodes


def _diagnostic(
    ctx: Context,
    rule: Rule,
    finding: Finding,
    with_edits: bool,
    result: FileResult,
    honour_noqa: bool = True,
) -> Diagnostic | None:
    span = ctx._positions.get(finding.node)
    if span is None:
        return None
    start = Location(span.start.line, span.start.column + 1)
    end = Location(span.end.line, span.end.column + 1)
    for line in {start.row, end.row} if honour_noqa else ():
        noqa = ctx.noqa(line)
        if noqa is not None and noqa.suppresses(rule.code):
            return None
    fix = None
    if finding.fix is not None and result.unfixable is None:
        applicability = finding.fix.applicability or rule.fix_safety.value
        edits: tuple[Edit, ...] = ()
        if with_edits:
            try:
                from asynclint.fixes import apply_node_fixes, local_edits, text_edits

                local = local_edits(ctx.module, finding.fix, ctx._spans)
                if local is not None:
                    edits = local
                else:
                    edits = text_edits(ctx.source, apply_node_fixes(ctx.module, [finding.fix]).code)
            except Exception as exc:
                result.diagnostics.append(
                    internal_error(ctx.path, rule.code, rule.name, exc, "raised while building a fix:")
                )
                edits = ()
            if edits:
                fix = Fix(applicability, finding.fix.message, edits)  # type: ignore[arg-type]
        else:
            fix = Fix(applicability, finding.fix.message, ())  # type: ignore[arg-type]
    return Diagnostic(rule.code, rule.name, finding.message, ctx.path, start, end, fix)


class _recursion_limit:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.old = 0

    def __enter__(self) -> None:
        self.old = sys.getrecursionlimit()
        if self.old < self.limit:
            sys.setrecursionlimit(self.limit)

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self.old)


Handler = Callable[["cst.CSTNode"], None]


class Walker:
    """One depth-first traversal that calls every rule's `visit_<Node>` and
    `leave_<Node>`, keeps the context's stack and scopes, and isolates rule failures.

    The walk is iterative (an explicit stack, no Python recursion), so deeply nested code
    cannot exhaust the interpreter's stack here, and a RecursionError can only come from a
    rule, which then fails alone (ASL002).
    """

    def __init__(self, ctx: Context, rules: list[Rule]) -> None:
        import libcst as cst

        from asynclint.analysis.nodes import COMPREHENSIONS, children

        self.ctx = ctx
        self.rules = rules
        self.failures: dict[Rule, BaseException] = {}
        self._visit: dict[type, list[tuple[Rule, Handler]]] = {}
        self._leave: dict[type, list[tuple[Rule, Handler]]] = {}
        self._children = children
        self._cst = cst
        # A set of exact types: isinstance against libcst's ABC classes is slow, and these
        # classes have no subclasses.
        self._scope_types = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef, *COMPREHENSIONS})

    def _handlers(
        self, table: dict[type, list[tuple[Rule, Handler]]], prefix: str, node_type: type
    ) -> list[tuple[Rule, Handler]]:
        handlers = []
        for rule in self.rules:
            method = getattr(rule, f"{prefix}{node_type.__name__}", None)
            if method is not None:
                handlers.append((rule, method))
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

    # The work list holds (action, node) pairs: visit a node, leave it, or enter/exit the
    # scope a definition's body runs in.
    _VISIT, _LEAVE, _ENTER_SCOPE, _EXIT_SCOPE, _VISIT_COMP = range(5)

    def walk(self, root: cst.CSTNode) -> None:
        ctx = self.ctx
        todo: list[tuple[int, cst.CSTNode]] = [(self._VISIT, root)]
        pop, push = todo.pop, todo.append
        visit_table, leave_table = self._visit, self._leave
        scope_types = self._scope_types
        call_type = self._cst.Call
        children = self._children
        while todo:
            action, node = pop()
            if action == 0 or action == 4:  # visit (4: a comprehension's first clause)
                node_type = type(node)
                ctx.stack.append(node)
                handlers = visit_table.get(node_type)
                if handlers is None:
                    handlers = self._handlers(visit_table, "visit_", node_type)
                if handlers:
                    self._call(handlers, node)
                if node_type is call_type:
                    ctx.note_call(node)  # type: ignore[arg-type]
                push((self._LEAVE, node))
                if action == 4:
                    kids = [node.target, *node.ifs]  # type: ignore[attr-defined]
                    if node.inner_for_in is not None:  # type: ignore[attr-defined]
                        kids.append(node.inner_for_in)  # type: ignore[attr-defined]
                    for kid in reversed(kids):
                        push((self._VISIT, kid))
                elif node_type in scope_types:
                    for item in reversed(self._scope_plan(node)):
                        push(item)
                else:
                    kids = children(node)
                    for kid in reversed(kids):
                        push((self._VISIT, kid))
            elif action == 1:  # leave
                handlers = leave_table.get(type(node))
                if handlers is None:
                    handlers = self._handlers(leave_table, "leave_", type(node))
                if handlers:
                    self._call(handlers, node)
                ctx.stack.pop()
            elif action == 2:
                ctx.enter_scope(node)
            else:
                ctx.exit_scope()

    def _scope_plan(self, node: cst.CSTNode) -> list[tuple[int, cst.CSTNode]]:
        """The order in which a definition's parts are walked: parts evaluated outside it
        (decorators, defaults, bases, the first iterable of a comprehension) in the
        enclosing scope, the body inside its own."""
        import libcst as cst

        visit, enter, exit_ = self._VISIT, self._ENTER_SCOPE, self._EXIT_SCOPE
        plan: list[tuple[int, cst.CSTNode]] = []
        if isinstance(node, cst.FunctionDef):
            plan += [(visit, d) for d in node.decorators]
            plan.append((visit, node.params))
            if node.returns is not None:
                plan.append((visit, node.returns))
            plan += [(enter, node), (visit, node.body), (exit_, node)]
        elif isinstance(node, cst.Lambda):
            plan += [(visit, node.params), (enter, node), (visit, node.body), (exit_, node)]
        elif isinstance(node, cst.ClassDef):
            plan += [(visit, d) for d in node.decorators]
            plan += [(visit, a) for a in (*node.bases, *node.keywords)]
            plan += [(enter, node), (visit, node.body), (exit_, node)]
        else:
            comp = node.for_in  # type: ignore[attr-defined]
            plan += [(visit, comp.iter), (enter, node)]
            for name in ("elt", "key", "value"):
                part = getattr(node, name, None)
                if part is not None:
                    plan.append((visit, part))
            # The outermost `for` clause itself: visited and left around its target,
            # conditions and inner clauses (its iterable was walked outside).
            plan.append((self._VISIT_COMP, comp))
            plan.append((exit_, node))
        return plan
