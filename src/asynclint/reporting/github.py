"""GitHub Actions workflow commands: `::error file=...,line=...::message`, rendered by
GitHub as annotations on the pull request."""

from __future__ import annotations

from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    out = []
    for d in diagnostics:
        props = ",".join(
            [
                f"file={escape_property(d.path)}",
                f"line={d.start.row}",
                f"col={d.start.column}",
                f"endLine={d.end.row}",
                f"endColumn={d.end.column}",
                f"title={escape_property(d.code)}",
            ]
        )
        marker = " [*]" if d.fixable(options.unsafe) else ""
        out.append(f"::error {props}::{escape_data(f'{d.code}{marker} {d.message}')}\n")
    return "".join(out)
