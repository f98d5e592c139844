"""`--add-noqa`: a `# noqa: CODE` comment on every line with a finding, so that an existing
code base can adopt asynclint in one commit and hold the line from there.

A comment goes where Python allows one and where the noqa lookup of the engine reads it:
the finding's first line, else its last, else the end of its logical line (a finding inside
a multi-line string or expression). Files are written like fixed files: atomically, in
their own encoding, BOM and line endings, and only when they did not change meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from asynclint.diagnostics import INTERNAL_ERROR, SYNTAX_ERROR, Diagnostic
from asynclint.sourcefile import DecodeError, FileChangedError, decode, encode, write_atomic
from asynclint.suppression import UNUSED_NOQA, CommentPlaces, add_noqa

#: The codes `--add-noqa` never adds: a file that cannot be read or linted has nothing a noqa
#: could hide, and an unused noqa (ASL003) is removed (`--fix`), not hidden under another.
UNSUPPRESSIBLE = frozenset({SYNTAX_ERROR, INTERNAL_ERROR, UNUSED_NOQA})


@dataclass
class AddNoqaResult:
    lines: int = 0
    files: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def noqa_text(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int, list[Diagnostic]]:
    """`text` with the comments that suppress `diagnostics` (of this text), how many lines
    changed, and the diagnostics no comment can be placed for."""
    places = CommentPlaces(text)
    wanted: dict[int, set[str]] = defaultdict(set)
    unplaced = []
    for diagnostic in diagnostics:
        if diagnostic.code in UNSUPPRESSIBLE:
            continue
        line = places.target(diagnostic.start.row, diagnostic.end.row)
        if line is None:
            unplaced.append(diagnostic)
        else:
            wanted[line].add(diagnostic.code)
    new, changed = add_noqa(text, dict(wanted))
    return new, changed, unplaced


def add_noqa_to_files(diagnostics: Iterable[Diagnostic]) -> AddNoqaResult:
    """Write the comments that suppress `diagnostics` into their files."""
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        if diagnostic.code not in UNSUPPRESSIBLE:
            by_path[diagnostic.path].append(diagnostic)
    out = AddNoqaResult()
    for path, found in sorted(by_path.items()):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            out.errors.append(f"{path}: cannot read the file: {exc.strerror or exc}")
            continue
        try:
            source = decode(raw)
        except DecodeError as exc:
            out.warnings.append(f"{path}: no noqa comments added: {exc.message}")
            continue
        new, changed, unplaced = noqa_text(source.text, found)
        for diagnostic in unplaced:
            out.warnings.append(
                f"{path}:{diagnostic.start.row}:{diagnostic.start.column}: {diagnostic.code}: "
                "no place for a noqa comment (the file cannot be tokenized)"
            )
        if not changed:
            continue
        try:
            data = encode(source, new)
        except UnicodeEncodeError:
            out.warnings.append(f"{path}: no noqa comments added: {source.encoding} cannot encode them")
            continue
        if encode(source, source.text) != raw:
            out.warnings.append(
                f"{path}: no noqa comments added: {source.encoding} does not write the file's "
                "unchanged text back as the same bytes"
            )
            continue
        try:
            write_atomic(path, data, raw)
        except FileChangedError as exc:
            out.errors.append(str(exc))
            continue
        except OSError as exc:
            out.errors.append(f"{path}: cannot write the file: {exc.strerror or exc}; it was left as it is")
            continue
        out.lines += changed
        out.files += 1
    return out
