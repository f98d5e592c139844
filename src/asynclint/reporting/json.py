"""A JSON list of diagnostics, one object each (the format is documented in
docs/output-formats.md): `code`, `name`, `message`, `filename`, `location {row, column}`,
`end_location`, and `fix` (`applicability`, `message`, `edits` of
`content`/`location`/`end_location`) or null."""

from __future__ import annotations

from collections import Counter

from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions, json_text


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    if options.statistics:
        counts = Counter(d.code for d in diagnostics)
        names = {d.code: d.name for d in diagnostics}
        rows = [
            {
                "code": code,
                "name": names[code],
                "count": count,
                "fixable": sum(1 for d in diagnostics if d.code == code and d.fixable(options.unsafe)),
            }
            for code, count in sorted(counts.items())
        ]
        return json_text(rows)
    return json_text([d.to_json() for d in diagnostics])
