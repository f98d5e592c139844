"""Applying fixes: rounds of lint -> non-overlapping edits -> verify, to a fixed point.

Each round lints the current text, takes every applicable fix whose edits do not overlap
an earlier one, applies them together and verifies the result: it must parse (libcst) and
`compile()`. A round that fails verification is retried fix by fix, and a fix that breaks
the code on its own is dropped and reported with its rule's code. Overlapping fixes wait
for the next round. Rounds stop when nothing applies or after `MAX_ROUNDS`.
"""

from __future__ import annotations

import difflib
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from asynclint.diagnostics import Diagnostic, Edit, FileResult
from asynclint.engine import RECURSION_LIMIT, FixIntent, LintRequest, _recursion_limit, lint
from asynclint.fixes import EditSet, apply_edits

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    text: str
    result: FileResult  # the lint result of the final text
    #: The lint result of the text before any fix (what stands if the fixes are not written).
    initial: FileResult | None = None
    applied: Counter[str] = field(default_factory=Counter)
    #: Fixes that were not applied because the result would not parse or compile.
    failures: list[str] = field(default_factory=list)


def verify(text: str, path: str) -> str | None:
    """None when `text` parses with libcst and compiles; else the reason."""
    import libcst as cst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return f"it does not parse: {' '.join(str(exc.message).split())}"
    except RecursionError:
        return "it is nested too deeply to parse"
    try:
        # The user's own warnings (`"\d"`, `assert (x, y)`) are not ours to print, and
        # must not become errors under PYTHONWARNINGS=error.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"it does not compile: {type(exc).__name__}: {getattr(exc, 'msg', exc)}"
    return None


def fix_text(request: LintRequest, *, unsafe: bool) -> FixOutcome:
    """Fix `request.text` to a fixed point (each round lints the current text as `request`
    says). Never raises for a bad file or a faulty fix: what went wrong is a failure message
    (a fault of asynclint's leaves the text as it was)."""
    text, path = request.text, request.path

    def lint_again(current: str) -> FileResult:
        return lint(replace(request, text=current))

    result = lint(request)
    outcome = FixOutcome(text, result, result)
    try:
        with _recursion_limit(RECURSION_LIMIT):
            _fix_rounds(outcome, path, unsafe, lint_again)
            if outcome.applied:
                _remove_unused_imports(outcome, text, path, lint_again)
                _count_only_what_is_gone(outcome)
    except Exception as exc:  # a fault of ours: the file keeps its text, the run goes on
        outcome.text, outcome.result = text, result
        outcome.applied.clear()
        outcome.failures.append(
            f"{path}: fixes not applied: internal error {type(exc).__name__}: {exc} (please report this)"
        )
    for item in (outcome.result, outcome.initial):
        if item is not None:
            item.intent = None
    return outcome


def _remove_unused_imports(
    outcome: FixOutcome, original: str, path: str, lint: Callable[[str], FileResult]
) -> None:
    """Drop the loop variables and imports the applied fixes left unused (see
    `fixes.remove_unused_loop_variables`, `fixes.remove_unused_imports`)."""
    from asynclint.fixes import remove_unused_imports, remove_unused_loop_variables

    new = remove_unused_imports(original, remove_unused_loop_variables(original, outcome.text), path)
    if new != outcome.text and verify(new, path) is None:
        outcome.text = new
        outcome.result = lint(new)


def _count_only_what_is_gone(outcome: FixOutcome) -> None:
    """A code counts as fixed only as often as its findings went away: a fix whose finding
    is still there (or came back in another form) is not counted."""
    if outcome.initial is None:
        return
    before = Counter(d.code for d in outcome.initial.diagnostics)
    after = Counter(d.code for d in outcome.result.diagnostics)
    for code in list(outcome.applied):
        gone = max(before[code] - after[code], 0)
        if outcome.applied[code] > gone:
            outcome.applied[code] = gone
        if not outcome.applied[code]:
            del outcome.applied[code]


def _fix_rounds(outcome: FixOutcome, path: str, unsafe: bool, lint: Callable[[str], FileResult]) -> None:
    current = outcome.text
    result = outcome.result
    rejected: set[tuple[str, int, int, str]] = set()
    if result.unfixable is not None and result.diagnostics:
        outcome.failures.append(f"{path}: fixes not applied: {result.unfixable}")
    checked_original = False
    for _ in range(MAX_ROUNDS):
        fixable = [
            d
            for d in result.diagnostics
            if d.fixable(unsafe) and d.fix and d.fix.edits and _key(d) not in rejected
        ]
        if not fixable:
            break
        chosen: list[Diagnostic] = []
        taken = EditSet()
        for diagnostic in fixable:
            assert diagnostic.fix is not None
            if taken.fits(diagnostic.fix.edits):
                chosen.append(diagnostic)
                taken.add(diagnostic.fix.edits)
        if not checked_original:
            checked_original = True
            reason = verify(current, path)
            if reason is not None:
                outcome.failures.append(
                    f"{path}: fixes not applied: before fixing, {reason}; the fixes cannot be verified"
                )
                break
        check = _Checker(current, path, result)
        new, chosen = _apply_verified(check, chosen, outcome, rejected)
        if not chosen or new == current:
            break
        outcome.applied.update(d.code for d in chosen)
        current = new
        outcome.text = current
        result = lint(current)
        outcome.result = result
    outcome.text = current
    outcome.result = result


def _key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.code, d.start.row, d.start.column, d.message)


def _combine(text: str, diagnostics: list[Diagnostic]) -> str:
    edits: dict[Edit, None] = {}
    for d in diagnostics:
        assert d.fix is not None
        edits.update(dict.fromkeys(d.fix.edits))
    return apply_edits(text, list(edits))


class _Checker:
    """Applies a set of fixes to one round's text and says what is wrong with the result:
    it does not parse or compile, or it does not mean what the fixes' rules intended (see
    `asynclint.meaning`)."""

    def __init__(self, text: str, path: str, result: FileResult) -> None:
        self.text = text
        self.path = path
        self.intent = result.intent if isinstance(result.intent, FixIntent) else None

    def __call__(self, chosen: list[Diagnostic]) -> tuple[str, str | None]:
        try:
            new = _combine(self.text, chosen)
        except ValueError as exc:  # edits that overlap: a fault of the fix, not of the file
            return self.text, f"its edits cannot be applied ({exc})"
        reason = verify(new, self.path)
        if reason is None:
            reason = self._meaning_differs(new, chosen)
        return new, reason

    def _meaning_differs(self, new: str, chosen: list[Diagnostic]) -> str | None:
        import libcst as cst

        from asynclint.fixes import apply_node_fixes
        from asynclint.meaning import meaning

        intent = self.intent
        if intent is None or any(id(d) not in intent.fixes for d in chosen):
            return "it cannot be checked against the change its rule intended"
        try:
            intended = apply_node_fixes(
                intent.module, [intent.fixes[id(d)] for d in chosen], intent.line_length
            )
            if meaning(cst.parse_module(new)) != meaning(intended):
                return (
                    "the code written would not mean what the fix intends (it would change more than the fix)"
                )
        except RecursionError:
            return "it is nested too deeply to check"
        except cst.ParserSyntaxError:
            return "it does not parse"
        return None


def _apply_verified(
    check: _Checker,
    chosen: list[Diagnostic],
    outcome: FixOutcome,
    rejected: set[tuple[str, int, int, str]],
) -> tuple[str, list[Diagnostic]]:
    """Apply `chosen` if the result verifies; otherwise find the fixes that break the code
    by halving (a few parses, not one per fix), report and drop them, apply the rest."""
    new, reason = check(chosen)
    if reason is None:
        return new, chosen
    good = _verified_subsets(check, chosen, outcome, rejected, reason)
    while good:
        new, reason = check(good)
        if reason is None:
            return new, good
        # Each half verifies alone but not together: keep the first and retry the rest
        # in the next round.
        good = good[: len(good) // 2]
    return check.text, []


def _verified_subsets(
    check: _Checker,
    chosen: list[Diagnostic],
    outcome: FixOutcome,
    rejected: set[tuple[str, int, int, str]],
    reason: str | None = None,
) -> list[Diagnostic]:
    if reason is None:
        reason = check(chosen)[1]
    if reason is None:
        return chosen
    if len(chosen) == 1:
        diagnostic = chosen[0]
        rejected.add(_key(diagnostic))
        outcome.failures.append(
            f"{check.path}:{diagnostic.start.row}:{diagnostic.start.column}: {diagnostic.code} fix not applied: {reason}"
        )
        return []
    middle = len(chosen) // 2
    return _verified_subsets(check, chosen[:middle], outcome, rejected) + _verified_subsets(
        check, chosen[middle:], outcome, rejected
    )


def unified_diff(old: str, new: str, path: str) -> str:
    from asynclint.sourcefile import split_lines

    lines = difflib.unified_diff(split_lines(old), split_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
