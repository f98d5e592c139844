"""The shape of the package: its static import graph has no cycle, and the shared facts
(analysis/, catalogs/) sit below the engine and the front ends.

The graph holds every `import` and `from ... import` of the package, function-level ones
included (a late import is still a dependency), except those under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
#: What analysis/ and catalogs/ must not import: they are facts the engine and the front
#: ends use, never the other way round.
ABOVE_THE_FACTS = ("engine", "runner", "cli", "fixer", "reporting")


def module_names(root: Path, package: str) -> dict[str, Path]:
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` (at `path`) imports, as precisely as the
    statement names them: `from pkg import mod` is an import of pkg.mod when that is a module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit_statement(stmt)
                continue
            visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in known else module)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {module for module in found if module in known and module != name}


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        state[start] = 1
        pending = [iter(sorted(graph[start]))]
        while pending:
            successor = next(pending[-1], None)
            if successor is None:
                pending.pop()
                state[path.pop()] = 2
            elif state.get(successor) == 1:
                return [*path[path.index(successor) :], successor]
            elif successor not in state:
                state[successor] = 1
                path.append(successor)
                pending.append(iter(sorted(graph[successor])))
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(SRC, "asynclint")


def test_the_graph_sees_late_imports_and_skips_type_checking_ones(graph: dict[str, set[str]]) -> None:
    # engine.py imports the libcst-using modules inside functions, and rule.py imports the
    # analysis context only for type checking.
    assert "asynclint.walker" in graph["asynclint.engine"]
    assert "asynclint.analysis.context" not in graph["asynclint.rule"]
    assert "asynclint.rules.blocking_sleep" in graph


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_cycle_finder_finds_cycles(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg.a import x\n")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.b\n")
    (package / "b.py").write_text("def f():\n    from . import sub\n")
    (package / "sub" / "__init__.py").write_text("from ..a import y\n")
    graph = import_graph(tmp_path, "pkg")
    assert find_cycle(graph) is None
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    assert find_cycle(graph := import_graph(tmp_path, "pkg")) == ["pkg.a", "pkg.b", "pkg.sub", "pkg.a"]
    assert graph["pkg"] == {"pkg.a"}


@pytest.mark.parametrize("layer", ["analysis", "catalogs"])
def test_shared_facts_do_not_import_the_engine_or_front_ends(graph: dict[str, set[str]], layer: str) -> None:
    above = tuple(f"asynclint.{name}" for name in ABOVE_THE_FACTS)
    wrong = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith(f"asynclint.{layer}.")
        for target in targets
        if target in above or target.startswith(tuple(f"{name}." for name in above))
    }
    assert not wrong, sorted(wrong)


def test_catalogs_are_data(graph: dict[str, set[str]]) -> None:
    catalogs = [module for module in graph if module.startswith("asynclint.catalogs")]
    assert len(catalogs) > 3
    wrong = {
        f"{module} -> {target}"
        for module in catalogs
        for target in graph[module]
        if not target.startswith("asynclint.catalogs")
    }
    assert not wrong, sorted(wrong)
