"""The shared per-file facts: canonical names, the memo, `self.m`, coroutine calls."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst

import asynclint
from asynclint.analysis.context import Context
from asynclint.analysis.methods import coroutine_call, self_class
from asynclint.catalogs.names import ALIASES, canonical, configured, spellings
from asynclint.runner import lint_text
from asynclint.settings import Settings

SOURCE = Path(asynclint.__file__).parent


def _context(source: str) -> Context:
    module = cst.parse_module(textwrap.dedent(source))
    return Context(module, module.code, "m.py", "pkg.mod", False, Settings(), False)


def test_private_spellings_resolve_to_the_public_name() -> None:
    ctx = _context(
        """
        import asyncio.timeouts
        from asyncio.tasks import gather as g
        from concurrent.futures._base import Future
        from redis.client import StrictRedis
        """
    )

    def resolve(text: str) -> str | None:
        return ctx.qualified_name(cst.parse_expression(text))

    assert resolve("g") == "asyncio.gather"
    assert resolve("asyncio.timeouts.timeout") == "asyncio.timeout"
    assert resolve("Future.result") == "concurrent.futures.Future.result"
    assert resolve("StrictRedis") == "redis.Redis"
    assert resolve("asyncio.subprocess.Process") == "asyncio.subprocess.Process"
    assert resolve("asyncio.tasks._private") == "asyncio.tasks._private"


def test_canonical_names_and_their_spellings() -> None:
    assert canonical("asyncio.tasks.Task.all_tasks") == "asyncio.Task.all_tasks"
    assert canonical("time.sleep") == "time.sleep"
    # A module a package imports at its top, imported from there, is that module.
    assert canonical("syncer.asyncio.create_task") == "asyncio.create_task"
    assert set(spellings("asyncio.Task.all_tasks")) == {
        "asyncio.Task.all_tasks",
        "asyncio.tasks.Task.all_tasks",
        "syncer.asyncio.Task.all_tasks",
    }
    assert configured("requests.get", ("requests.api.get",))
    assert not configured("requests.post", ("requests.api.get",))
    for alias, name in ALIASES.items():
        assert canonical(name) == name, alias
        assert alias in spellings(name)


def test_only_the_alias_table_spells_names_privately() -> None:
    """Rules and catalogs write the public spelling; `catalogs/names.py` maps the others."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "names.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and canonical(text) != text:
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {text}")
    assert found == []


def test_a_private_spelling_is_reported_like_the_public_one() -> None:
    source = textwrap.dedent(
        """
        from asyncio.tasks import gather


        async def main(fetch):
            await gather(await fetch(1), fetch(2))
        """
    )
    assert [d.code for d in lint_text(source, "m.py", Settings(select=("ASL203",)))] == ["ASL203"]


def test_configured_names_match_under_either_spelling() -> None:
    source = "import requests\n\n\nasync def main():\n    requests.session()\n"
    for key in ("requests.session", "requests.sessions.session"):
        settings = Settings(select=("ASL100",), extend_blocking_calls={key: "httpx.AsyncClient"})
        assert [d.code for d in lint_text(source, "m.py", settings)] == ["ASL100"], key


def test_memo_computes_a_fact_once_per_node() -> None:
    ctx = _context("def f():\n    pass\n\n\ndef g():\n    pass\n")
    f, g = ctx.module.body
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert ctx.memo("fact", f, lambda: compute("f")) == "F"
    assert ctx.memo("fact", f, lambda: compute("again")) == "F"
    assert ctx.memo("fact", g, lambda: compute("g")) == "G"
    assert ctx.memo("other", f, lambda: compute("other")) == "OTHER"
    assert calls == ["f", "g", "other"]


def test_self_class_is_the_first_parameter_of_a_method() -> None:
    ctx = _context(
        """
        class C:
            def m(self, other):
                def inner():
                    pass

            @staticmethod
            def s(self):
                pass
        """
    )
    cls = ctx.module.body[0]
    assert isinstance(cls, cst.ClassDef)
    method, static = cls.body.body
    assert isinstance(method, cst.FunctionDef) and isinstance(static, cst.FunctionDef)
    inner = method.body.body[0]
    ctx.enter_scope(cls)
    class_frame = ctx.frame
    ctx.enter_scope(method)
    assert self_class(ctx.frame, "self") is class_frame
    assert self_class(ctx.frame, "other") is None
    ctx.enter_scope(inner)
    assert self_class(ctx.frame, "self") is None
    assert self_class(ctx.frame, "self", closures=True) is class_frame
    ctx.exit_scope()
    ctx.exit_scope()
    ctx.enter_scope(static)
    assert self_class(ctx.frame, "self") is None


def test_coroutine_calls() -> None:
    ctx = _context(
        """
        import asyncio

        async def fetch():
            pass

        async def stream():
            yield 1

        def plain():
            pass
        """
    )

    def label(text: str) -> tuple[str, str | None] | None:
        call = cst.parse_expression(text)
        assert isinstance(call, cst.Call)
        found = coroutine_call(ctx, call)
        return None if found is None else (found.written, found.library)

    assert label("fetch()") == ("fetch", None)
    assert label("asyncio.sleep(1)") == ("asyncio.sleep", "asyncio.sleep")
    assert label("stream()") is None
    assert label("plain()") is None


def test_asl402_looks_for_a_star_import_only_where_the_text_has_one() -> None:
    """The text check before ASL402 walks a module for imports of requests: every spelling
    of a star import passes it (the tree then decides), multiplication and unpacking do not."""
    from asynclint.rules.sync_request_without_timeout import _STAR_IMPORT

    for text in ("from app.http import *", "from app.http import*", "from app.http import \\\n    *"):
        assert _STAR_IMPORT.search(text), text
    for text in ("total = price * count", "import os", "call(*args, **kwargs)"):
        assert not _STAR_IMPORT.search(text), text


def test_a_module_s_own_definitions_declare_the_types_the_project_model_is_asked_about() -> None:
    """`declared_type`: a first pass's answer to a question about the module's own names,
    from their definitions, as the summary records them; nothing where the code does not
    say, or where the type is a class of the module (judged with the whole summary)."""
    from asynclint.analysis.types import declared_type
    from asynclint.project import ProjectView

    ctx = _context(
        """
        import contextlib
        import requests
        from typing import Iterator

        from pkg.base import Remote


        def later() -> requests.Session:
            return requests.Session()


        @contextlib.contextmanager
        def opened() -> Iterator[requests.Session]:
            yield requests.Session()


        @contextlib.contextmanager
        def loosely() -> requests.Session:  # annotated with what it yields
            yield requests.Session()


        def own() -> "Holder":
            return Holder()


        def twice() -> requests.Session: ...
        twice = None


        class Holder:
            session: requests.Session

            def make(self) -> requests.Session:
                return self.session


        class Child(Holder):
            pass


        class Far(Remote):
            pass
        """
    )
    asked: list[str] = []

    def oracle(key: str) -> object:
        asked.append(key)
        return "httpx.Client" if key == "attribute pkg.base.Remote client" else None

    ctx.project = ProjectView(oracle=oracle)
    assert declared_type(ctx, "returns", "pkg.mod.later") == "requests.Session"
    assert declared_type(ctx, "returns", "pkg.mod.opened") is None  # yields it: a `with` enters it
    assert declared_type(ctx, "returns", "pkg.mod.loosely") is None
    assert declared_type(ctx, "returns", "pkg.mod.own") is None  # the module's own class
    assert declared_type(ctx, "returns", "pkg.mod.Holder") is None
    assert declared_type(ctx, "returns", "pkg.mod.twice") is None  # bound twice
    assert declared_type(ctx, "returns", "pkg.mod.Holder.make") == "requests.Session"
    assert declared_type(ctx, "returns", "pkg.mod.Child.make") == "requests.Session"  # a base's
    assert declared_type(ctx, "attribute", "pkg.mod.Child session") == "requests.Session"
    assert declared_type(ctx, "attribute", "pkg.mod.Far client") == "httpx.Client"
    assert asked == ["attribute pkg.base.Remote client"]  # another module's class: asked
    assert declared_type(ctx, "returns", "pkg.other.later") is None  # not this module's
    assert declared_type(ctx, "io", "pkg.mod.later") is None  # not a question of types


def _children_by_fields(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The meaningful children of `node` read field by field with `dataclasses` (what
    `nodes.children` gives, without its per-type readers)."""
    import dataclasses

    from asynclint.analysis.nodes import field_names, is_trivia

    found: list[cst.CSTNode] = []
    for name in field_names(type(node)):
        value = getattr(node, name)
        items = value if isinstance(value, (list, tuple)) else [value]
        found.extend(i for i in items if isinstance(i, cst.CSTNode) and not is_trivia(i))
    assert all(dataclasses.is_dataclass(n) for n in found)
    return found


def test_children_are_the_meaningful_fields_of_every_node_type_in_the_fixtures() -> None:
    from asynclint.analysis.nodes import children

    fixtures = Path(__file__).parent / "fixtures"
    seen: set[type] = set()
    for path in sorted(fixtures.rglob("*.py")):
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8"))
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            continue
        todo: list[cst.CSTNode] = [module]
        while todo:
            node = todo.pop()
            kids = children(node)
            assert kids == _children_by_fields(node), (path, type(node).__name__)
            seen.add(type(node))
            todo.extend(kids)
    # The fixtures hold most of libcst's statement and expression types.
    assert {cst.Call, cst.FunctionDef, cst.Try, cst.Lambda, cst.ListComp, cst.Match} <= seen


def test_asl402_finds_the_text_of_a_star_import_only_where_import_is_a_word() -> None:
    from asynclint.rules.sync_request_without_timeout import _star_import

    assert _star_import("from helpers import *\n")
    assert _star_import("from helpers import*\n")
    assert _star_import("import os\nfrom helpers import \\\n    *\n")
    assert _star_import("import *")  # at the very start of the text
    assert not _star_import("from helpers import get\nx = 2 * 3\n")
    assert not _star_import("# reimport * of the old module\n_import * 2\n")
