"""asynclint's own positions and name resolution, checked against libcst's providers on
real files.

asynclint does not use libcst's metadata providers (they cost ten times a parse): it
records positions during one code generation (`asynclint.positions`) and resolves names
lazily (`asynclint.analysis.scopes`). Both must agree with what they replace:

- positions: for Call, Name, Attribute and Await nodes, `positions()` and `layout()` give
  `PositionProvider`'s ranges (for a file libcst does not reproduce exactly, `layout()`
  with the text carries them over to the text, which the layout fuzzer checks; here
  `positions()` is compared in libcst's code, as `PositionProvider` sees it);
- names: the dotted name asynclint resolves for a callee is one of
  `QualifiedNameProvider`'s answers, up to the deliberate differences in `expected()`.

The files are asynclint's own sources and the rule fixtures (always there), and the
pinned library corpus when it has been downloaded (`python benchmarks/corpus.py`; set
`ASYNCLINT_CORPUS_CACHE` to use another checkout's download): a sample of its files,
for time.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES, ROOT
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, QualifiedNameSource

from asynclint.analysis.context import Context
from asynclint.catalogs.names import canonical
from asynclint.discovery import module_name
from asynclint.positions import innermost_unit, layout, layout_from_tree, positions
from asynclint.precheck import python_tree
from asynclint.settings import Settings
from asynclint.walker import Walker

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "benchmarks"))

NODE_TYPES = (cst.Call, cst.Name, cst.Attribute, cst.Await)
NODES_PER_FILE = 300
CORPUS_FILES = 80


def own_files() -> list[Path]:
    return sorted([*(ROOT / "src" / "asynclint").rglob("*.py"), *FIXTURES.rglob("*.py")])


def corpus_files() -> list[Path]:
    """A sample of the library corpus's files if it has been downloaded, else none (the
    test does not download it)."""
    from corpus import CACHE, CorpusUnavailable, ensure_corpus, projects, python_files

    wanted = projects()
    if not all((p.folder / ".complete").exists() for p in wanted):
        return []
    try:
        files = python_files(ensure_corpus())  # checks the pins, downloads nothing
    except CorpusUnavailable:
        return []
    assert all(str(f).startswith(str(CACHE)) for f in files)
    step = max(1, len(files) // CORPUS_FILES)
    return files[::step][:CORPUS_FILES]


FILES = own_files() + corpus_files()


def parsed(files: list[Path]) -> Iterator[tuple[Path, str, cst.Module]]:
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            yield path, text, cst.parse_module(text)
        except (UnicodeDecodeError, cst.ParserSyntaxError):
            continue  # fixtures of unreadable files


def sample(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, NODE_TYPES):
                nodes.append(node)
            return True

    module.visit(Collect())
    step = max(1, len(nodes) // NODES_PER_FILE)
    return nodes[::step]


def test_positions_are_position_providers() -> None:
    seen: Counter[str] = Counter()
    mismatches: list[str] = []
    for path, text, module in parsed(FILES):
        nodes = sample(module)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        found = positions(module, nodes)
        ranges, _, exact = layout(module, nodes, source=text)
        seen["files"] += 1
        seen["lossy files"] += not exact
        for node in nodes:
            seen[type(node).__name__] += 1
            answers = [found[node]] + ([ranges[node]] if exact else [])
            if any(answer != expected[node] for answer in answers) and len(mismatches) < 20:
                mismatches.append(f"{path}: {type(node).__name__} {answers} != {expected[node]}")
    assert not mismatches, "\n".join(mismatches)
    assert seen["files"] > 150 and seen["Call"] > 5000 and seen["Await"] > 200, seen


def with_units(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """The sampled nodes of `module`, each with its innermost statement."""
    wanted = set(sample(module))
    units: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            stack.append(node)
            if node in wanted:
                unit = innermost_unit(stack)
                if unit is not None:
                    units[node] = unit
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            stack.pop()

    module.visit(Collect())
    return units


def test_positions_from_cpythons_tree_are_position_providers() -> None:
    """`layout_from_tree` (the statements that hold the nodes, generated alone where
    CPython's tree puts them) gives `PositionProvider`'s ranges, and declines only files
    whose code is not their text or that have CR line breaks."""
    seen: Counter[str] = Counter()
    mismatches: list[str] = []
    for path, text, module in parsed(FILES):
        tree = python_tree(text)
        units = with_units(module)
        if tree is None or not units:
            continue
        found = layout_from_tree(module, tree, text, units)  # type: ignore[arg-type]
        if found is None:
            if module.code == text and "\r" not in text:
                mismatches.append(f"{path}: declined")
            continue
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        seen["files"] += 1
        for node in units:
            seen[type(node).__name__] += 1
            if found[node] != expected[node] and len(mismatches) < 20:
                mismatches.append(f"{path}: {type(node).__name__} {found[node]} != {expected[node]}")
    assert not mismatches, "\n".join(mismatches)
    assert seen["files"] > 150 and seen["Call"] > 5000 and seen["Await"] > 200, seen


def test_calls_placed_from_cpythons_tree_alone_are_position_providers() -> None:
    """The calls of a simple statement, placed from CPython's tree without a code
    generation (`positions._calls_from_tree`), have `PositionProvider`'s ranges; only
    statements with an f-string (or positional-only parameters) are left to the code
    generation."""
    from asynclint.analysis.nodes import walk
    from asynclint.positions import _ast_units, _calls_from_tree, _cst_units

    seen: Counter[str] = Counter()
    mismatches: list[str] = []
    for path, text, module in parsed(FILES):
        tree = python_tree(text)
        if tree is None or "\r" in text or module.code != text:
            continue
        mine: list[cst.CSTNode] = []
        _cst_units(module.body, mine)  # type: ignore[arg-type]
        theirs: list[ast.stmt] = []
        _ast_units(tree.body, theirs)
        if len(mine) != len(theirs):
            continue
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        lines = text.split("\n")
        for unit, statement in zip(mine, theirs, strict=True):
            if not isinstance(unit, cst.BaseSmallStatement):
                continue
            calls = {n for n in walk(unit) if type(n) is cst.Call}
            if not calls:
                continue
            found = _calls_from_tree(unit, statement, calls, lines)  # type: ignore[arg-type]
            if found is None:
                seen["declined"] += 1
                if not any(type(n) in (cst.FormattedString, cst.Parameters) for n in walk(unit)):
                    mismatches.append(f"{path}: declined {module.code_for_node(unit)[:60]!r}")
                continue
            for call in calls:
                seen["calls"] += 1
                if found[call] != expected[call] and len(mismatches) < 20:
                    mismatches.append(
                        f"{path}: {module.code_for_node(call)[:40]!r} {found[call]} != {expected[call]}"
                    )
    assert not mismatches, "\n".join(mismatches)
    assert seen["calls"] > 5000, seen


# Names ---------------------------------------------------------------------------------


class _Calls:
    """Walked with the engine's traversal: the name asynclint resolves for each callee,
    from the scope the call is in."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.names: list[tuple[cst.Call, str | None]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.names.append((node, self.ctx.qualified_name(node.func)))


def resolved(path: Path, text: str, module: cst.Module) -> tuple[str, list[tuple[cst.Call, str | None]]]:
    name, is_package = module_name(str(path))
    ctx = Context(module, text, str(path), name, is_package, Settings(), False)
    calls = _Calls(ctx)
    walker = Walker(ctx, [calls])  # type: ignore[list-item]
    walker.walk(module)
    assert not walker.failures, walker.failures
    return name, calls.names


def expected(name: str, ours: str, module: str, is_package: bool, theirs: set[str]) -> bool:
    """Whether asynclint's `ours` for a callee is one of libcst's answers `theirs`, up to
    the deliberate differences:

    - a module-level definition is named with its module (`pkg.mod.helper`, or
      `__main__.helper` when the module is unknown), where libcst says `helper`;
    - a relative import is resolved against the module (`from . import x` in `pkg.mod`
      gives `pkg.x`), where libcst keeps the dots (`.x`);
    - an attribute of a builtin is named in full (`builtins.dict.fromkeys`), where libcst
      names the builtin alone (`builtins.dict`);
    - names are canonical (`catalogs/names.py`): a drop-in fork's names are the original's
      (`httpx2.get` is `httpx.get`).
    """
    if ours in theirs or any(canonical(answer) == ours for answer in theirs):
        return True
    if any(a.startswith("builtins.") and ours.startswith(a + ".") for a in theirs):
        return True
    local = re.sub(rf"^{re.escape(module or '__main__')}\.", "", ours)
    if local in theirs:
        return True
    package = module if is_package else module.rpartition(".")[0]
    for answer in theirs:
        dots = len(answer) - len(answer.lstrip("."))
        if dots:
            base = package.split(".") if package else []
            base = base[: len(base) - (dots - 1)] if dots > 1 else base
            absolute = ".".join([*base, answer[dots:]]) if answer[dots:] else ".".join(base)
            if absolute == ours:
                return True
    return False


def test_callee_names_are_qualified_name_providers() -> None:
    seen: Counter[str] = Counter()
    mismatches: list[str] = []
    for path, text, module in parsed(FILES):
        name, calls = resolved(path, text, module)
        _, is_package = module_name(str(path))
        theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(QualifiedNameProvider)
        seen["files"] += 1
        for call, ours in calls:
            seen["calls"] += 1
            if ours is None:
                continue  # a local, a parameter, an attribute of a value, or ambiguous
            found = theirs.get(call.func, set())
            found = found() if callable(found) else found  # resolved lazily (a LazyValue)
            answers = {q.name for q in found}
            sources = {q.source for q in found}
            seen["resolved"] += 1
            seen["builtin" if QualifiedNameSource.BUILTIN in sources else "imported or local"] += 1
            if not expected(ours, ours, name, is_package, answers) and len(mismatches) < 30:
                line = module.code_for_node(call).split("\n", 1)[0][:80]
                mismatches.append(f"{path}: {line!r}: asynclint {ours!r}, libcst {sorted(answers)}")
    assert not mismatches, "\n".join(mismatches)
    assert seen["files"] > 150 and seen["resolved"] > 2000 and seen["builtin"] > 300, seen
