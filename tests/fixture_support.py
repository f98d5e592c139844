"""Reading fixture files: `# error:` markers and `# asynclint-test:` settings.

A line that must be reported ends with a marker naming each expected diagnostic and the key
arguments of its message (the call as written, the function, the suggested replacement, the
timeout value ...)::

    time.sleep(1)  # error: ASL101 "time.sleep()" "direct"
    work()  # error: ASL101 "time.sleep()" "poll", ASL205 "work()"

- An entry is a code followed by one or more quoted strings; every string must occur, as
  written (case-sensitive), in the message of the diagnostic reported on that line with that
  code, in the order given and without overlapping (so swapped arguments fail too). An entry
  without a string is an error: no rule is exempt.
- Entries are separated by commas. A line that reports the same code twice lists it twice,
  one entry per diagnostic (`# error: ASL605 "a", ASL605 "b"`); the number of entries per
  code must equal the number of diagnostics.
- Strings are quoted with `"` or `'`; inside them a backslash escapes the next character
  (`"open(\\"x\\")"`, `'\\\\'`). Backticks need no escaping.
- The marker is the last thing on the line; a line containing `# error:` that does not
  parse raises `MarkerError` instead of being ignored.

See tests/fixtures/README.md for how fixtures are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from asynclint.diagnostics import INTERNAL_ERROR
from asynclint.settings import OPTIONS_BY_KEY, Settings, parse_cli_value

_STRING = r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
_ENTRY = rf"ASL\d{{3}}(?:\s+(?:{_STRING}))*"
# The whole marker: `# error:` then comma-separated entries, up to the end of the line.
MARKER_RE = re.compile(rf"#\s*error:\s*(?P<entries>{_ENTRY}(?:\s*,\s*{_ENTRY})*)\s*$")
# Anything that looks like a marker, so a malformed one fails instead of being skipped.
MARKER_START_RE = re.compile(r"#\s*error\s*:")
_ENTRY_RE = re.compile(rf"(?P<code>ASL\d{{3}})(?P<args>(?:\s+(?:{_STRING}))*)")
_STRING_RE = re.compile(_STRING)
_ESCAPE_RE = re.compile(r"\\(.)")
HEADER_RE = re.compile(r"^#\s*asynclint-test:\s*(?P<body>.*)$", re.M)


class MarkerError(ValueError):
    """A `# error:` comment that is malformed or states no argument."""


@dataclass(frozen=True)
class Marker:
    """One expected diagnostic: `code` on `line` of `file`, whose message contains `args`."""

    file: str
    line: int
    code: str
    args: tuple[str, ...]

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.file, self.line, self.code)

    def __str__(self) -> str:
        return f"{self.code} {' '.join(quote(arg) for arg in self.args)}"


def quote(text: str) -> str:
    """`text` as a marker string (the inverse of parsing one)."""
    if '"' in text and "'" not in text:
        return "'" + text.replace("\\", "\\\\") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(token: str) -> str:
    return _ESCAPE_RE.sub(r"\1", token[1:-1])


def parse_marker_line(text: str, file: str = "<line>", line: int = 0) -> list[Marker]:
    """The markers of one source line (empty when the line has none)."""
    start = MARKER_START_RE.search(text)
    if start is None:
        return []
    match = MARKER_RE.search(text, start.start())
    if match is None or match.start() != start.start():
        raise MarkerError(
            f"{file}:{line}: malformed marker {text[start.start() :].strip()!r}; "
            'write `# error: CODE "argument" ...[, CODE "argument" ...]`'
        )
    markers = []
    for entry in _ENTRY_RE.finditer(match.group("entries")):
        code = entry.group("code")
        args = tuple(_unquote(token) for token in _STRING_RE.findall(entry.group("args")))
        if not args:
            raise MarkerError(
                f"{file}:{line}: marker entry {code} states no argument; add the key "
                f'arguments of its message, e.g. {code} "time.sleep()" "direct"'
            )
        markers.append(Marker(file, line, code, args))
    return markers


def read_markers(file: Path) -> list[Marker]:
    """Every marker of one file, keyed by the file's name."""
    text = file.read_text(encoding="utf-8", errors="replace")
    markers = []
    for number, line in enumerate(text.splitlines(), 1):
        markers.extend(parse_marker_line(line, file.name, number))
    return markers


def fixture_markers(path: Path) -> list[Marker]:
    """Every marker of a fixture file or folder (goldens, `*.fixed.py`, are not read)."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    markers = []
    for file in files:
        if not file.name.endswith(".fixed.py"):
            markers.extend(read_markers(file))
    return markers


def expected_markers(path: Path) -> set[tuple[str, int, str]]:
    """(file, line, code) for every `# error:` marker in a fixture file or folder."""
    return {marker.key for marker in fixture_markers(path)}


def compare_markers(markers: list[Marker], reported: list[tuple[str, int, str, str]]) -> str:
    """An empty string when the reported (file, line, code, message) diagnostics are exactly
    the markers (each entry matched to its own diagnostic, whose message contains the strings
    of the entry in order); otherwise a report of what is missing, unexpected or worded
    otherwise."""
    wanted: dict[tuple[str, int, str], list[Marker]] = {}
    for marker in markers:
        wanted.setdefault(marker.key, []).append(marker)
    got: dict[tuple[str, int, str], list[str]] = {}
    for file, line, code, message in reported:
        got.setdefault((file, line, code), []).append(message)
    missing: list[str] = []
    unexpected: list[str] = []
    mismatched: list[str] = []
    for key in sorted(set(wanted) | set(got)):
        entries, messages = _unpaired(wanted.get(key, []), got.get(key, []))
        where = f"{key[0]}:{key[1]} {key[2]}"
        if entries and messages:
            for entry in entries:
                mismatched.append(f"  {where}\n    marker:  {entry}")
                for message in messages:
                    absent = " ".join(
                        quote(arg) + (" (out of order)" if arg in message else "")
                        for arg in absent_args(entry.args, message)
                    )
                    mismatched.append(f"    message: {message}\n    absent:  {absent}")
        else:
            missing.extend(f"  {where}: {entry}" for entry in entries)
            unexpected.extend(f"  {where}: {message}" for message in messages)
    sections = []
    if mismatched:
        sections.append("reported, but the message lacks a marked string:\n" + "\n".join(mismatched))
    if missing:
        sections.append("marked but not reported:\n" + "\n".join(missing))
    if unexpected:
        sections.append("reported but not marked:\n" + "\n".join(unexpected))
    return "\n".join(sections)


def absent_args(args: tuple[str, ...], message: str) -> list[str]:
    """The strings of a marker entry not found in `message`, each searched after the end of
    the previous one found (empty when the entry matches)."""
    absent = []
    position = 0
    for arg in args:
        found = message.find(arg, position)
        if found < 0:
            absent.append(arg)
        else:
            position = found + len(arg)
    return absent


def _unpaired(entries: list[Marker], messages: list[str]) -> tuple[list[Marker], list[str]]:
    """The entries and messages left once the most entries are paired with a message that
    contains their strings in order (a line holds few diagnostics: try every assignment)."""
    best: tuple[list[int], list[int]] = (list(range(len(entries))), list(range(len(messages))))

    def search(i: int, free: list[int], unmatched: list[int]) -> None:
        nonlocal best
        if len(unmatched) >= len(best[0]):
            return
        if i == len(entries):
            best = (list(unmatched), list(free))
            return
        for m in free:
            if not absent_args(entries[i].args, messages[m]):
                search(i + 1, [f for f in free if f != m], unmatched)
        search(i + 1, free, [*unmatched, i])

    search(0, list(range(len(messages))), [])
    return [entries[i] for i in best[0]], [messages[m] for m in best[1]]


def fixture_settings(path: Path, code: str) -> tuple[Settings, bool]:
    """Settings for a fixture: only its folder's rule, plus `# asynclint-test:` overrides
    (`key=value` pairs as on the command line; `unsafe-fixes=false` keeps unsafe fixes out
    of the golden). ASL002 is always selected too: a rule that raises on a fixture is then
    reported, and fails the fixture, instead of silently reporting nothing (which a file of
    traps would take for a pass). Returns the settings and whether unsafe fixes are applied."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    # Markers make fixture lines long: fixes wrap no line unless a header asks for a
    # project's line length (`line-length=88`).
    values: dict[str, Any] = {"select": (code,), "line_length": 1000}
    unsafe = True
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        for match in HEADER_RE.finditer(text):
            for pair in match.group("body").split():
                key, _, raw = pair.partition("=")
                if key == "unsafe-fixes":
                    unsafe = raw.lower() == "true"
                    continue
                if key == "line-length":
                    values["line_length"] = int(raw)
                    continue
                opt = OPTIONS_BY_KEY[key]
                if opt.kind in ("codes", "globs", "strings", "glob-codes", "str-map"):
                    value = parse_cli_value(opt, raw.split(";"))
                elif opt.kind == "bool":
                    value = raw.lower() == "true"
                else:
                    value = parse_cli_value(opt, raw)
                values[opt.attr] = value
    values["extend_select"] = (*values.get("extend_select", ()), INTERNAL_ERROR)
    root = path if path.is_dir() else path.parent
    return replace(Settings(), **values, project_root=str(root)), unsafe
