"""Reading fixture files: `# error: CODE[, CODE]` markers and `# asynclint-test:` settings."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from asynclint.settings import OPTIONS_BY_KEY, Settings, parse_cli_value

MARKER_RE = re.compile(r"#\s*error:\s*(?P<codes>ASL\d{3}(?:\s*,\s*ASL\d{3})*)\s*$")
HEADER_RE = re.compile(r"^#\s*asynclint-test:\s*(?P<body>.*)$", re.M)


def expected_markers(path: Path) -> set[tuple[str, int, str]]:
    """(file, line, code) for every `# error:` marker in a fixture file or folder."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found = set()
    for file in files:
        if file.name.endswith(".fixed.py"):
            continue
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            match = MARKER_RE.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    found.add((file.name, number, code))
    return found


def fixture_settings(path: Path, code: str) -> tuple[Settings, bool]:
    """Settings for a fixture: only its folder's rule, plus `# asynclint-test:` overrides
    (`key=value` pairs as on the command line; `unsafe-fixes=false` keeps unsafe fixes out
    of the golden). Returns the settings and whether unsafe fixes are applied."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    values: dict[str, Any] = {"select": (code,)}
    unsafe = True
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        for match in HEADER_RE.finditer(text):
            for pair in match.group("body").split():
                key, _, raw = pair.partition("=")
                if key == "unsafe-fixes":
                    unsafe = raw.lower() == "true"
                    continue
                opt = OPTIONS_BY_KEY[key]
                if opt.kind in ("codes", "globs", "strings", "glob-codes", "str-map"):
                    value = parse_cli_value(opt, raw.split(";"))
                elif opt.kind == "bool":
                    value = raw.lower() == "true"
                else:
                    value = parse_cli_value(opt, raw)
                values[opt.attr] = value
    root = path if path.is_dir() else path.parent
    return replace(Settings(), **values, project_root=str(root)), unsafe
