"""The values every front end sees: diagnostics, their fixes and text edits.

Nothing here imports libcst, so cached results can be reported without loading it.
Lines are 1-based; columns are 1-based character columns, as in ruff's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Applicability = Literal["safe", "unsafe"]


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
