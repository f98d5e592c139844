"""GitHub Actions workflow commands: `::error file=...,line=...::message`, which GitHub
shows as annotations on the pull request and the run summary.

Escaping follows GitHub's toolkit (`@actions/core`): in the message `%`, `\\r` and `\\n`;
in property values also `:` and `,`, which separate properties.
"""

from __future__ import annotations

import os

from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _path(path: str) -> str:
    # GitHub resolves paths against the workspace; `./` and backslashes would not match.
    return path.replace(os.sep, "/").removeprefix("./")


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    out = []
    for d in diagnostics:
        props = [f"file={escape_property(_path(d.path))}", f"line={d.start.row}", f"col={d.start.column}"]
        props.append(f"endLine={d.end.row}")
        if d.end.row == d.start.row:
            # GitHub accepts a column range only within one line.
            props.append(f"endColumn={d.end.column}")
        props.append(f"title={escape_property(d.code)}")
        marker = " [*]" if d.fixable(options.unsafe) else ""
        out.append(f"::error {','.join(props)}::{escape_data(f'{d.code}{marker} {d.message}')}\n")
    return "".join(out)
