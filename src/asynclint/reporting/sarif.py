"""SARIF 2.1.0, for code scanning: every rule with its documentation, every result with its
region and, where there is one, its fix as artifact changes."""

from __future__ import annotations

import json
import os
from typing import Any

from asynclint import __version__
from asynclint.diagnostics import Diagnostic
from asynclint.reporting import ReportOptions

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HOME = "https://github.com/asynclint/asynclint"


def _uri(path: str) -> str:
    return path.replace(os.sep, "/").removeprefix("./")


def _region(start_row: int, start_col: int, end_row: int, end_col: int) -> dict[str, int]:
    return {"startLine": start_row, "startColumn": start_col, "endLine": end_row, "endColumn": end_col}


def rule_descriptors() -> list[dict[str, Any]]:
    from asynclint.registry import discover
    from asynclint.rule import Default, doc_sections, render_doc

    rules = []
    for code, cls in sorted(discover().items()):
        sections = doc_sections(cls.__doc__ or "")
        rules.append(
            {
                "id": code,
                "name": cls.name,
                "shortDescription": {"text": " ".join(sections.get("What it does", cls.name).split())},
                "fullDescription": {
                    "text": " ".join(sections.get("Why is this bad?", "").split()) or cls.name
                },
                "help": {"text": render_doc(cls), "markdown": render_doc(cls)},
                "helpUri": f"{HOME}#{code.lower()}-{cls.name}",
                "defaultConfiguration": {"level": "error", "enabled": cls.default is Default.ON},
                "properties": {"fix": cls.fix_safety.value, "tags": [code[:4] + "xx"]},
            }
        )
    return rules


def render(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    rules = rule_descriptors()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index.get(d.code, -1),
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path), "uriBaseId": "%SRCROOT%"},
                        "region": _region(d.start.row, d.start.column, d.end.row, d.end.column),
                    }
                }
            ],
        }
        if d.fix is not None and d.fix.edits:
            result["fixes"] = [
                {
                    "description": {"text": f"{d.fix.message} ({d.fix.applicability})"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(d.path), "uriBaseId": "%SRCROOT%"},
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
                }
            ]
        if result["ruleIndex"] < 0:
            del result["ruleIndex"]
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
                "originalUriBaseIds": {"%SRCROOT%": {"uri": _srcroot()}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _srcroot() -> str:
    from pathlib import Path

    return Path.cwd().as_uri() + "/"
