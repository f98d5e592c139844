"""Output formats, one module each, loaded only when used."""

from __future__ import annotations

import importlib
import json as _json  # `json` is the name of a submodule here
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from asynclint.settings import FORMATS, Format

if TYPE_CHECKING:
    from asynclint.diagnostics import Diagnostic
    from asynclint.runner import Mode


@dataclass
class ReportOptions:
    unsafe: bool = False  # --unsafe-fixes: unsafe fixes count as applicable
    show_source: bool = False
    color: bool = False
    fixed: int = 0  # fixes applied by this run
    mode: Mode = "check"
    statistics: bool = False
    sources: dict[str, list[str]] = field(default_factory=dict)


class Renderer(Protocol):
    def __call__(self, diagnostics: list[Diagnostic], options: ReportOptions) -> str: ...


def render(fmt: Format, diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"asynclint.reporting.{fmt}")
    renderer: Renderer = module.render
    return renderer(diagnostics, options)


def source_lines(path: str, options: ReportOptions) -> list[str]:
    """The file's lines, for `--show-source` (empty when unreadable)."""
    if path not in options.sources:
        try:
            from asynclint.sourcefile import read_lines

            options.sources[path] = read_lines(path)
        except OSError:
            options.sources[path] = []
    return options.sources[path]


def json_text(value: Any) -> str:
    """`value` as indented JSON in ASCII: every other character as a `\\u` escape, so the
    output is the same valid JSON whatever the output's encoding (a terminal's cp1252
    would otherwise write `—` as a byte no JSON reader takes), and a lone surrogate of an
    undecodable file name comes back as its bytes (`os.fsencode`)."""
    return _json.dumps(value, indent=2, ensure_ascii=True) + "\n"
