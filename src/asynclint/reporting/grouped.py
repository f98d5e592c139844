"""Diagnostics grouped under their file name."""

from __future__ import annotations

from itertools import groupby

from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions
from asynclint.reporting.text import _style, line_of, source_snippet, summary


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    out = []
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        out.append(_style(path, options, bold=True, underline=True) + ":\n")
        for d in group:
            out.append(f"  {d.start.row}:{d.start.column} " + line_of(d, options, location=False) + "\n")
            if options.show_source:
                out.append(source_snippet(d, options))
        out.append("\n")
    out.append(summary(diagnostics, options) + "\n")
    return "".join(out)
