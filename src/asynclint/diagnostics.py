"""The values every front end sees: diagnostics, their fixes and text edits, and what linting
one file produced.

Nothing here imports libcst, so cached results can be reported without loading it.
Lines are 1-based; columns are 1-based character columns, as in ruff's output.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Applicability = Literal["safe", "unsafe"]
APPLICABILITIES: tuple[Applicability, ...] = get_args(Applicability)

#: asynclint's own codes, reported by the engine and the runner rather than by a rule.
SYNTAX_ERROR = "ASL001"
INTERNAL_ERROR = "ASL002"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text from `start` up to (not including) `end` with `content`."""

    start: Location
    end: Location
    content: str

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "location": {"row": self.start.row, "column": self.start.column},
            "end_location": {"row": self.end.row, "column": self.end.column},
        }


@dataclass(frozen=True, slots=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    start: Location
    end: Location
    fix: Fix | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.start.row, self.start.column, self.code)

    def fixable(self, unsafe: bool) -> bool:
        """Whether `--fix` (with `--unsafe-fixes` when `unsafe`) would apply this fix."""
        if self.fix is None:
            return False
        return self.fix.applicability == "safe" or unsafe

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.path,
            "location": {"row": self.start.row, "column": self.start.column},
            "end_location": {"row": self.end.row, "column": self.end.column},
            "fix": self.fix.to_json() if self.fix else None,
        }


@dataclass
class FileResult:
    """What linting one file produced; plain data, so it can be cached and pickled."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Per-rule facts for project-wide rules (see `Rule.project_diagnostics`).
    facts: dict[str, object] = field(default_factory=dict)
    parsed: bool = False
    skipped: bool = False  # `# asynclint: noqa` for the whole file
    #: The questions the lint asked the project model, each with the answer it was given
    #: (see `asynclint.project.ProjectView`).
    questions: dict[str, object] = field(default_factory=dict)
    #: Why no fix is offered for this file (None: fixes are offered).
    unfixable: str | None = None
    #: With edits: the engine's `FixIntent`, the parsed module and each fixable diagnostic's
    #: fix as its rule built it (by `id` of the diagnostic), so the fixer can check that the
    #: edits mean what the rule intended. In-process only: the fixer drops it before the
    #: result travels. Typed loosely so that this module never needs libcst.
    intent: object | None = field(default=None, compare=False, repr=False)


def syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    """ASL001: the file at `path` cannot be read, decoded, parsed or analysed."""
    loc = Location(max(line, 1), max(column, 1))
    return Diagnostic(SYNTAX_ERROR, "syntax-error", message, path, loc, loc)


def internal_error(path: str, code: str, name: str, exc: BaseException, what: str = "raised") -> Diagnostic:
    """ASL002: rule `code` (`name`) failed with `exc` on the file at `path`."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    message = f"rule {code} ({name}) {what} {type(exc).__name__}: {exc}{where}; its findings for this file are dropped (please report this)"
    loc = Location(1, 1)
    return Diagnostic(INTERNAL_ERROR, "internal-error", message, path, loc, loc)


def family_of(code: str) -> str:
    """The rule family named by the first digit of a code (ASL1xx -> blocking)."""
    return FAMILIES.get(code[3:4], "general")


FAMILIES = {
    "0": "general",
    "1": "blocking",
    "2": "concurrency",
    "3": "resources",
    "4": "timeouts",
    "5": "cancellation",
    "6": "loop-api",
}
