"""Applying fixes: rounds of lint -> non-overlapping edits -> verify, to a fixed point.

Each round lints the current text, takes every applicable fix whose edits do not overlap
an earlier one, applies them together and verifies the result: it must parse (libcst) and
`compile()`. A round that fails verification is retried fix by fix, and a fix that breaks
the code on its own is dropped and reported with its rule's code. Overlapping fixes wait
for the next round. Rounds stop when nothing applies or after `MAX_ROUNDS`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from asynclint.diagnostics import Diagnostic, Edit
from asynclint.engine import FileResult, lint_text
from asynclint.fixes import EditSet, apply_edits
from asynclint.settings import Settings

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
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"it does not compile: {type(exc).__name__}: {getattr(exc, 'msg', exc)}"
    return None


def fix_text(
    text: str,
    path: str,
    relpath: str,
    settings: Settings,
    codes: frozenset[str],
    *,
    unsafe: bool,
    module_name: str = "",
    is_package: bool = False,
) -> FixOutcome:
    def lint(current: str) -> FileResult:
        return lint_text(
            current, path, relpath, settings, codes, module_name=module_name, is_package=is_package
        )

    current = text
    result = lint(current)
    outcome = FixOutcome(current, result, result)
    rejected: set[tuple[str, int, int, str]] = set()
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
        new, chosen = _apply_verified(current, chosen, path, outcome, rejected)
        if not chosen or new == current:
            break
        outcome.applied.update(d.code for d in chosen)
        current = new
        result = lint(current)
    outcome.text = current
    outcome.result = result
    return outcome


def _key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.code, d.start.row, d.start.column, d.message)


def _combine(text: str, diagnostics: list[Diagnostic]) -> str:
    edits: dict[Edit, None] = {}
    for d in diagnostics:
        assert d.fix is not None
        edits.update(dict.fromkeys(d.fix.edits))
    return apply_edits(text, list(edits))


def _apply_verified(
    current: str,
    chosen: list[Diagnostic],
    path: str,
    outcome: FixOutcome,
    rejected: set[tuple[str, int, int, str]],
) -> tuple[str, list[Diagnostic]]:
    """Apply `chosen` if the result verifies; otherwise find the fixes that break the code
    by halving (a few parses, not one per fix), report and drop them, apply the rest."""
    new = _combine(current, chosen)
    if verify(new, path) is None:
        return new, chosen
    good = _verified_subsets(current, chosen, path, outcome, rejected)
    while good:
        new = _combine(current, good)
        if verify(new, path) is None:
            return new, good
        # Each half verifies alone but not together: keep the first and retry the rest
        # in the next round.
        good = good[: len(good) // 2]
    return current, []


def _verified_subsets(
    current: str,
    chosen: list[Diagnostic],
    path: str,
    outcome: FixOutcome,
    rejected: set[tuple[str, int, int, str]],
) -> list[Diagnostic]:
    reason = verify(_combine(current, chosen), path)
    if reason is None:
        return chosen
    if len(chosen) == 1:
        diagnostic = chosen[0]
        rejected.add(_key(diagnostic))
        outcome.failures.append(
            f"{path}:{diagnostic.start.row}:{diagnostic.start.column}: {diagnostic.code} fix not applied: {reason}"
        )
        return []
    middle = len(chosen) // 2
    return _verified_subsets(current, chosen[:middle], path, outcome, rejected) + _verified_subsets(
        current, chosen[middle:], path, outcome, rejected
    )


def unified_diff(old: str, new: str, path: str) -> str:
    from asynclint.analysis_text import split_lines

    lines = difflib.unified_diff(split_lines(old), split_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
