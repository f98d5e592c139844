"""SARIF 2.1.0, for code scanning: every rule with its documentation, every result with its
region and, where there is one, its fix as artifact changes.

Paths become URI references: relative to `%SRCROOT%` (the working directory, which is where
code scanning expects the repository root) when the file is inside it, absolute `file:` URIs
otherwise. Columns count Unicode code points, as asynclint's do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from asynclint.diagnostics import Diagnostic, family_of
from asynclint.reporting import ReportOptions, json_text
from asynclint.version import __version__

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
HOME = "https://github.com/asynclint/asynclint"
SRCROOT = "%SRCROOT%"
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


def artifact_location(path: str, root: Path) -> dict[str, str]:
    """The SARIF artifactLocation of a reported path."""
    # Normalised first: `a/../../x.py` or `./a/./b.py` must neither escape `%SRCROOT%`
    # nor carry dot segments.
    target = Path(os.path.normpath(path))
    if target.is_absolute():
        try:
            target = target.relative_to(root)
        except ValueError:
            return {"uri": _file_uri(target)}
    posix = target.as_posix()
    if posix == ".." or posix.startswith("../"):
        return {"uri": _file_uri(Path(os.path.normpath(root / target)))}
    # The name's bytes, percent-encoded (undecodable bytes included: `bad%FF.py`).
    return {"uri": quote(os.fsencode(posix)), "uriBaseId": SRCROOT}


def _file_uri(path: Path) -> str:
    """An absolute `file:` URI, percent-encoding the name's bytes (undecodable ones too)."""
    return "file://" + quote(os.fsencode(path.as_posix()))


def _region(start_row: int, start_col: int, end_row: int, end_col: int) -> dict[str, int]:
    return {"startLine": start_row, "startColumn": start_col, "endLine": end_row, "endColumn": end_col}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def first_sentence(text: str) -> str:
    flat = _one_line(text)
    return _SENTENCE_END_RE.split(flat, maxsplit=1)[0]


def rule_descriptors() -> list[dict[str, Any]]:
    from asynclint.registry import discover
    from asynclint.rule import Default, doc_sections, render_doc

    rules = []
    for code, cls in sorted(discover().items()):
        sections = doc_sections(cls.__doc__ or "")
        what = sections.get("What it does", "") or cls.name
        why = sections.get("Why is this bad?", "")
        module = cls.__module__.rsplit(".", 1)[-1]
        documentation = render_doc(cls)
        rules.append(
            {
                "id": code,
                "name": cls.name,
                "shortDescription": {"text": first_sentence(what)},
                "fullDescription": {"text": _one_line(f"{what} {why}")},
                "help": {"text": documentation, "markdown": documentation},
                # The rule's documentation lives in its module's docstring (`--explain`).
                "helpUri": f"{HOME}/blob/main/src/asynclint/rules/{module}.py",
                "defaultConfiguration": {"level": "error", "enabled": cls.default is Default.ON},
                "properties": {"fix": cls.fix_safety.value, "tags": [family_of(code), code[:4] + "xx"]},
            }
        )
    return rules


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    root = Path.cwd()
    rules = rule_descriptors()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for d in diagnostics:
        where = artifact_location(d.path, root)
        result: dict[str, Any] = {"ruleId": d.code}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        result.update(
            level="error",
            message={"text": d.message},
            locations=[
                {
                    "physicalLocation": {
                        "artifactLocation": where,
                        "region": _region(d.start.row, d.start.column, d.end.row, d.end.column),
                    }
                }
            ],
        )
        if d.fix is not None and d.fix.edits:
            result["fixes"] = [
                {
                    "description": {"text": f"{d.fix.message} ({d.fix.applicability} fix)"},
                    "artifactChanges": [
                        {
                            "artifactLocation": where,
                            "replacements": [
                                {
                                    "deletedRegion": _region(
                                        e.start.row, e.start.column, e.end.row, e.end.column
                                    ),
                                    "insertedContent": {"text": e.content},
                                }
                                for e in d.fix.edits
                            ],
                        }
                    ],
                    "properties": {"applicability": d.fix.applicability},
                }
            ]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asynclint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": HOME,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {SRCROOT: {"uri": _folder_uri(root)}},
                "results": results,
            }
        ],
    }
    return json_text(log)


def _folder_uri(folder: Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"
