"""Text helpers that need no parser (kept apart so reports never import libcst)."""

from __future__ import annotations

import re

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer sees them (only \\n, \\r\\n and \\r end a line),
    each with its ending."""
    lines = []
    start = 0
    for match in _NEWLINE_RE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def read_lines(path: str) -> list[str]:
    from asynclint.sourcefile import DecodeError, decode

    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = decode(raw).text
    except DecodeError:
        return []
    return [line.rstrip("\r\n") for line in split_lines(text)]
