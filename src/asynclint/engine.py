"""One file: a `LintRequest` in, a `FileResult` out. Decide whether any selected rule can
fire (a text scan), parse once, one traversal shared by every selected rule (walker.py),
positions for what was reported, noqa -> diagnostics.

Errors are values: a file that does not decode or parse is diagnostic ASL001; a rule that
raises is diagnostic ASL002 naming the rule, and the other rules' findings stand.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from asynclint.diagnostics import (
    INTERNAL_ERROR,
    SYNTAX_ERROR,
    Applicability,
    Diagnostic,
    Edit,
    FileResult,
    Fix,
    Location,
    internal_error,
    syntax_error,
)
from asynclint.registry import rule_infos
from asynclint.rule import FixSafety
from asynclint.suppression import UNUSED_NOQA, file_is_skipped
from asynclint.triggers import rules_that_can_fire

if TYPE_CHECKING:
    import libcst as cst

    from asynclint.analysis.context import Context
    from asynclint.fixes import NodeFix
    from asynclint.incremental import Parsed
    from asynclint.positions import StatementPlaces
    from asynclint.project import LiveModel
    from asynclint.rule import Finding, Rule
    from asynclint.settings import Settings

RECURSION_LIMIT = 20_000
UNFIXABLE_ROUND_TRIP = (
    "libcst, asynclint's parser, does not reproduce this file exactly (whitespace before the colon"
    " of an `except` clause? CR line endings?); it is linted but not fixed"
)


@dataclass
class FixIntent:
    """A `FileResult.intent`: the parsed module, and each fixable diagnostic's fix as its
    rule built it (by `id` of the diagnostic)."""

    module: cst.Module
    fixes: dict[int, NodeFix] = field(default_factory=dict)
    line_length: int = 88


@dataclass(frozen=True, slots=True)
class LintRequest:
    """One module's source text and how to lint it."""

    text: str
    #: The file as diagnostics name it.
    path: str
    #: The file relative to the project root, for per-file settings (test files).
    relpath: str
    settings: Settings
    #: The rules to run, already narrowed by per-file ignores.
    codes: frozenset[str]
    #: The dotted module name (for relative imports and cross-module facts), or None to work
    #: it out from `module_file` when the file is parsed ("" when that is None too).
    module_name: str | None = None
    is_package: bool = False
    module_file: str | None = None
    #: Turn fixes into text edits (without, a fixable diagnostic has a fix with no edits).
    with_edits: bool = True
    #: False leaves noqa comments to the caller (flake8 applies its own, and its
    #: `--disable-noqa` must be able to show everything).
    honour_noqa: bool = True
    #: The project model's answers to this file's questions (`asynclint.project`), from an
    #: earlier lint of the file; None on the first.
    answers: Mapping[str, object] | None = None
    #: Parse the text again from the last parse of the same `path` (`asynclint.incremental`):
    #: the language server, which lints a document after each edit.
    reuse_parse: bool = False
    #: Answers the questions `answers` does not hold: the live project model of a run's
    #: first pass, whose answers the runner checks; it learns the file's summary.
    live: LiveModel | None = None


def lint(request: LintRequest) -> FileResult:
    """Lint one module's source text with the rules of `request.codes`."""
    text, path, settings, codes = request.text, request.path, request.settings, request.codes
    result = FileResult(path)
    if file_is_skipped(text):
        result.skipped = True
        return result
    infos = rule_infos()
    active = rules_that_can_fire(text, codes, infos)
    if not active:
        return result
    is_test = settings.is_test_file(request.relpath)
    if is_test:
        active = {c for c in active if not infos[c].skip_test_files}
        if not active:
            return result
    if request.module_name is None:
        module_name, is_package = ("", False)
        if request.module_file is not None:
            from asynclint.discovery import module_name as name_of

            module_name, is_package = name_of(request.module_file, settings.namespace_folders)
        request = replace(request, module_name=module_name, is_package=is_package)
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

    from asynclint.precheck import too_complex

    reason = too_complex(text, path)
    if reason is not None:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(syntax_error(path, f"not linted: {reason}"))
        return result
    try:
        known: Parsed | None = None
        if request.reuse_parse:
            from asynclint import incremental

            found = _reparse(path, text)
            known, module = (found, found.module) if isinstance(found, incremental.Parsed) else (None, found)
        else:
            module = _parse(text)
    except cst.ParserSyntaxError as exc:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_describe_syntax_error(text, path, exc))
        return result
    except RecursionError:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(
                syntax_error(path, "not linted: the code is nested too deeply to parse")
            )
        return result
    except (MemoryError, ValueError) as exc:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(syntax_error(path, f"cannot parse: {type(exc).__name__}: {exc}"))
        return result
    result.parsed = True
    # With `reuse_parse`: the statements' offsets (found by the lint's code generation
    # when the parse did not know them), and the positions found in them, kept for the
    # next edit.
    bounds: list[int] | None = None
    places: dict[int, StatementPlaces] = {}
    if request.reuse_parse:
        bounds = list(known.bounds) if known is not None else []
        places = known.places if known is not None else {}
    # Positions, code generation and fix building recurse along the tree (the walk itself
    # does not): all of it runs under the raised limit, and a tree too deep even for that
    # is ASL001, never a crash of the run.
    try:
        with _recursion_limit(RECURSION_LIMIT):
            linted = _lint_module(request, module, active, is_test, result, bounds, places)
            own = _own_answers(request, linted)
            if own is not None:
                # The file's questions about its own module, answered by its own summary:
                # once more on the same tree, instead of a second parse once the project
                # is known.
                again = FileResult(path, parsed=True)
                linted = _lint_module(
                    replace(request, answers=own), module, active, is_test, again, bounds, places
                )
            if bounds:
                from asynclint import incremental

                incremental.PARSES.remember(path, incremental.Parsed(text, module, tuple(bounds), places))
            return linted
    except RecursionError:
        result.diagnostics = []
        result.facts = {}
        result.intent = None
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(
                syntax_error(path, "not linted: the code is nested too deeply to analyse")
            )
        return result


def _own_answers(request: LintRequest, result: FileResult) -> dict[str, object] | None:
    """The answers the file's own summary gives to the questions its lint asked about its own
    module, with the answers given before; None when they change nothing (or when the file
    was linted with the project's answers already)."""
    from asynclint.project import SUMMARY_CODE, ProjectIndex, answers_for

    questions = result.questions
    if not questions or request.answers is not None or SUMMARY_CODE not in result.facts:
        return None
    prefix = (request.module_name or "__main__") + "."
    own = {k: v for k, v in questions.items() if k.partition(" ")[2].startswith(prefix)}
    if not own:
        return None
    if request.live is not None:
        # The live project model with the file's own summary answers them again (it knew
        # the other modules' answers already).
        request.live.add(request.path, result.facts[SUMMARY_CODE])
        again = {key: request.live.answer(key) for key in own}
        return {**questions, **again} if again != own else None
    answered = answers_for(ProjectIndex({request.path: result.facts[SUMMARY_CODE]}), own)
    if answered == own:
        return None
    return {**questions, **answered}


def _declared(ctx: Context, live: LiveModel) -> Callable[[str], object]:
    """What the file's own definitions answer to a question about its own names, judged
    by the live project model (see `types.declared_type`). The context holds the project
    view that holds this function: it refers to the context weakly, so that no cycle
    keeps the module's tree alive after the lint."""
    import weakref

    from asynclint.analysis.types import declared_type

    context = weakref.ref(ctx)

    def declared(key: str) -> object:
        current = context()
        if current is None:
            return None
        kind, _, names = key.partition(" ")
        found = declared_type(current, kind, names)
        return live.answer_type(found) if found is not None else None

    return declared


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
    from asynclint.incremental import parse_module

    return parse_module(text)


def _reparse(path: str, text: str) -> Parsed | cst.Module:
    """`_parse`, built on the last parse of `path` (`LintRequest.reuse_parse`); a `Parsed`
    when the module's statements' offsets are known (`ParseCache.parse`)."""
    from asynclint.incremental import PARSES

    return PARSES.parse(path, text)


def _lint_module(
    request: LintRequest,
    module: cst.Module,
    active: set[str],
    is_test: bool,
    result: FileResult,
    bounds: list[int] | None = None,
    places: dict[int, StatementPlaces] | None = None,
) -> FileResult:
    """The rules of `active` on the parsed `module` of `request` (whose module name is known).
    `bounds`: the offsets of the module's top-level statements in the text (see
    `positions.layout`), when known (the module's code is then the text, and positions
    come from the statements that hold the reported nodes alone, and `places` keeps
    them); an empty list is given them when the code generated for positions is the text."""
    from asynclint import registry
    from asynclint.analysis.context import Context
    from asynclint.project import SUMMARY_CODE, ProjectView
    from asynclint.walker import Walker

    text, path, codes = request.text, request.path, request.codes
    with_edits, honour_noqa = request.with_edits, request.honour_noqa
    assert request.module_name is not None
    ctx = Context(module, text, path, request.module_name, request.is_package, request.settings, is_test)
    live = request.live
    ctx.project = ProjectView(
        request.answers,
        live.answer if live is not None else None,
        _declared(ctx, live)
        if live is not None and request.answers is None and SUMMARY_CODE in active
        else None,
    )
    rules = [cls(ctx) for cls in registry.load(active)]
    known = tuple(bounds) if bounds else None
    walker = Walker(ctx, rules, {} if known is not None else None)
    try:
        with _recursion_limit(RECURSION_LIMIT):
            walker.walk(module)
    except RecursionError:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(
                syntax_error(path, "not linted: the code is nested too deeply to analyse")
            )
        return result
    # Dead code (see `_cannot_import`): whatever it does never runs, and nothing in it is
    # worth a change but its removal. Its summary still goes to the project model.
    dead = _cannot_import(ctx, module)
    if dead:
        active = active - {UNUSED_NOQA}
    findings = [f for rule in rules if rule not in walker.failures for f in rule.findings] if not dead else []
    from asynclint.positions import RoundTripError, layout, layout_from_tree, layout_statements
    from asynclint.precheck import python_tree

    def place(found: list[Finding], wanted: list[cst.CSTNode]) -> bool:
        """Positions of `found` and `wanted` (and spans for the fixes of `found`) into the
        context; False (and ASL001) when libcst's code cannot be matched with the text.
        A file whose text is not libcst's code gets no fix (positions were carried over to
        the text; a fix built on libcst's code could change what the file means)."""
        nonlocal with_edits
        targets = [f.node for f in found] + wanted
        fill = bounds if bounds is not None and not bounds else None
        if not targets:
            # Nothing to place: code is generated for `bounds` alone (whether it is the
            # text is decided by the findings reported later, as without `bounds`).
            if fill is not None:
                with contextlib.suppress(RoundTripError):
                    layout(module, [], [], source=text, bounds=fill)
            return True
        if not found and fill is None and known is None and all(n in ctx._units for n in wanted):
            # Nodes a rule wants placed, in a module that reports nothing yet: their
            # statements alone are generated, started where CPython's tree puts them.
            tree = python_tree(text)
            placed_alone = (
                layout_from_tree(module, tree, text, {n: ctx._units[n] for n in wanted}) if tree else None
            )
            if placed_alone is not None:
                ctx._positions.update(placed_alone)
                return True
        span_nodes = _span_nodes(module, found, with_edits)
        if known is not None and walker.tops is not None:
            placed = layout_statements(module, targets, span_nodes, text, known, walker.tops, places)
            if placed is not None:
                ctx._positions.update(placed[0])
                ctx._spans.update(placed[1])
                return True
        try:
            positions, spans, exact = layout(module, targets, span_nodes, source=text, bounds=fill)
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
        if dead:
            rule.findings.clear()  # also those a rule reports from `finish()` (ASL401, ASL500)
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
                    intent = result.intent
                    if not isinstance(intent, FixIntent):
                        intent = result.intent = FixIntent(module, line_length=ctx.settings.line_length)
                    intent.fixes[id(diagnostic)] = finding.fix
    if UNUSED_NOQA in active and honour_noqa:
        failed = {rule.code for rule in walker.failures}
        for diagnostic in _unused_noqa(ctx, codes - failed, with_edits and result.unfixable is None):
            result.diagnostics.append(diagnostic)
            if diagnostic.fix is not None and diagnostic.fix.edits:
                # It changes a comment alone: what the code means stays as it is.
                from asynclint.fixes import NodeFix

                intent = result.intent
                if not isinstance(intent, FixIntent):
                    intent = result.intent = FixIntent(module, line_length=ctx.settings.line_length)
                intent.fixes[id(diagnostic)] = NodeFix({}, diagnostic.fix.message)
    result.diagnostics.sort(key=lambda d: d.sort_key)
    if ctx.project.asked:
        result.questions = ctx.project.asked
    return result


def _cannot_import(ctx: Context, module: cst.Module) -> bool:
    """Whether the module fails when imported: an import its body makes unconditionally
    (not under `if` or `try`) names a submodule its project's package does not have (the
    project model's `missing` question). A module that edits `sys.path` first is left
    alone: the package it imports may then come from elsewhere."""
    from asynclint.project import may_be_project_name, required_modules

    if "sys.path" in ctx.source:
        return False
    return any(
        ctx.project.missing_module(name)
        for name in required_modules(module, ctx.module_info)
        if "." in name and may_be_project_name(name)
    )


def _unused_noqa(ctx: Context, ran: frozenset[str], with_edits: bool) -> list[Diagnostic]:
    """ASL003: the `# noqa` codes of the rules that ran on the whole file (`ran`, less
    those test files skip) that suppressed nothing."""
    from asynclint.project import PROJECT_CODES
    from asynclint.sourcefile import split_lines
    from asynclint.suppression import unused_noqa

    infos = rule_infos()
    judged = frozenset(
        code
        for code in ran
        if code in infos
        and code not in PROJECT_CODES
        and code not in (SYNTAX_ERROR, INTERNAL_ERROR, UNUSED_NOQA)
        and not (ctx.is_test_file and infos[code].skip_test_files)
    )
    out = []
    for item in unused_noqa(ctx.source, ctx.noqa_used, ctx.noqa_read, judged):
        plural = "s" if len(item.codes) > 1 else ""
        message = f"unused `noqa` code{plural}: {', '.join(item.codes)}"
        fix = None
        if item.fixable:
            message_fix = f"Remove the unused code{plural} {', '.join(item.codes)}"
            edits: tuple[Edit, ...] = ()
            if with_edits:
                if item.end is None:
                    # The whole line: from the end of the line before (else up to the next).
                    end = Location(item.row, len(ctx.line(item.row)) + 1)
                    if item.row > 1:
                        edit = Edit(Location(item.row - 1, len(ctx.line(item.row - 1)) + 1), end, "")
                    elif len(split_lines(ctx.source)) > 1:
                        edit = Edit(Location(1, 1), Location(2, 1), "")
                    else:
                        edit = Edit(Location(1, 1), end, "")
                else:
                    edit = Edit(
                        Location(item.row, item.start + 1), Location(item.row, item.end + 1), item.replacement
                    )
                edits = (edit,)
            fix = Fix("safe", message_fix, edits)
        out.append(
            Diagnostic(
                UNUSED_NOQA,
                "unused-noqa",
                message,
                ctx.path,
                Location(item.row, item.column + 1),
                Location(item.row, item.end_column + 1),
                fix,
            )
        )
    return out


def _span_nodes(module: cst.Module, findings: list[Finding], with_edits: bool) -> list[cst.CSTNode]:
    """The nodes whose text spans turn `findings`' fixes into edits: the replaced nodes, and
    the statement imports go after."""
    if not with_edits or not any(f.fix is not None for f in findings):
        return []
    return [n for f in findings if f.fix is not None for n in f.fix.replacements]


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
    if honour_noqa and ctx.suppressed(rule.code, start.row, end.row):
        return None
    if (
        not honour_noqa
        and ctx.settings.noqa_aliases
        and ctx.suppressed(rule.code, start.row, end.row, aliases_only=True)
    ):
        # The caller (flake8) reads the comments itself, but not flake8-async's codes as
        # asynclint's.
        return None
    fix = None
    if finding.fix is not None and result.unfixable is None:
        applicability: Applicability = finding.fix.applicability or (
            "unsafe" if rule.fix_safety is FixSafety.UNSAFE else "safe"
        )
        edits: tuple[Edit, ...] = ()
        if with_edits:
            try:
                from asynclint.fixes import apply_node_fixes, local_edits, text_edits

                line_length = ctx.settings.line_length
                local = local_edits(ctx.module, finding.fix, ctx._spans, ctx.source, line_length)
                if local is not None:
                    edits = local
                else:
                    edits = text_edits(
                        ctx.source, apply_node_fixes(ctx.module, [finding.fix], line_length).code
                    )
            except Exception as exc:
                result.diagnostics.append(
                    internal_error(ctx.path, rule.code, rule.name, exc, "raised while building a fix:")
                )
                edits = ()
            if edits:
                fix = Fix(applicability, finding.fix.message, edits)
        else:
            fix = Fix(applicability, finding.fix.message, ())
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
