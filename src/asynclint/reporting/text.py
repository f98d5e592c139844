"""`path:line:col: CODE [*] message`, sorted, then a summary line."""

from __future__ import annotations

from collections import Counter

import click

from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions, source_lines


def _style(text: str, options: ReportOptions, **kwargs: object) -> str:
    return click.style(text, **kwargs) if options.color else text  # type: ignore[arg-type]


def line_of(d: Diagnostic, options: ReportOptions, location: bool = True) -> str:
    marker = " [*]" if d.fixable(options.unsafe) else ""
    head = ""
    if location:
        head = _style(d.path, options, bold=True) + f":{d.start.row}:{d.start.column}: "
    return (
        head
        + _style(d.code, options, fg="red", bold=True)
        + _style(marker, options, fg="cyan")
        + " "
        + d.message
    )


def source_snippet(d: Diagnostic, options: ReportOptions) -> str:
    lines = source_lines(d.path, options)
    if not 1 <= d.start.row <= len(lines):
        return ""
    text = lines[d.start.row - 1].expandtabs(1)
    width = len(str(d.start.row))
    end = d.end.column if d.end.row == d.start.row else len(text) + 1
    carets = "^" * max(1, end - d.start.column)
    gutter = " " * width
    return (
        f"  {d.start.row} | {text}\n"
        f"  {gutter} | {' ' * (d.start.column - 1)}{_style(carets, options, fg='red')}\n"
    )


def summary(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    remaining = len(diagnostics)
    if options.fixed:
        total = options.fixed + remaining
        return f"Found {total} {_plural(total)} ({options.fixed} fixed, {remaining} remaining)."
    if not remaining:
        return "No problems found."
    safe = sum(1 for d in diagnostics if d.fixable(options.unsafe))
    hidden = 0 if options.unsafe else sum(1 for d in diagnostics if d.fix and d.fix.applicability == "unsafe")
    notes = []
    if safe:
        notes.append(f"{safe} fixable with --fix")
    if hidden:
        notes.append(f"{hidden} more with --unsafe-fixes")
    extra = f" ({', '.join(notes)})" if notes else ""
    return f"Found {remaining} {_plural(remaining)}{extra}."


def _plural(count: int) -> str:
    return "problem" if count == 1 else "problems"


def statistics(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if d.fixable(options.unsafe)}
    width = max((len(str(n)) for n in counts.values()), default=1)
    rows = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if code in fixable else "   "
        rows.append(f"{count:>{width}}  {code}  {marker} {names[code]}")
    return "\n".join(rows) + ("\n" if rows else "")


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    if options.statistics:
        return statistics(diagnostics, options) + summary(diagnostics, options) + "\n"
    out = []
    for d in diagnostics:
        out.append(line_of(d, options) + "\n")
        if options.show_source:
            out.append(source_snippet(d, options))
    out.append(summary(diagnostics, options) + "\n")
    return "".join(out)
