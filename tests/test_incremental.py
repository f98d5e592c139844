"""Parsing an edited module again from its last parse (the language server's edits): the
tree must be the one a parse of the whole text gives, or the whole text is parsed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from asynclint import positions
from asynclint.engine import LintRequest, lint
from asynclint.incremental import PARSES, ParseCache, Parsed, reparse
from asynclint.positions import layout
from asynclint.registry import rule_infos
from asynclint.settings import Settings

MODULE = """\
# A header comment.

import asyncio
import time


class Service:
    def __init__(self, url):
        self.url = url

    async def poll(self):
        time.sleep(0.1)
        return self.url


async def worker(queue):
    while True:
        item = await queue.get()
        queue.task_done()


async def main():
    await asyncio.gather(worker(asyncio.Queue()))
"""


def parsed(text: str) -> Parsed:
    module = cst.parse_module(text)
    bounds: list[int] = []
    layout(module, [], [], source=text, bounds=bounds)
    assert len(bounds) == len(module.body) + 1
    return Parsed(text, module, tuple(bounds))


def same_tree(a: cst.Module, b: cst.Module) -> bool:
    return a.deep_equals(b) and all(
        getattr(a, field) == getattr(b, field)
        for field in ("default_indent", "default_newline", "encoding", "has_trailing_newline")
    )


def test_bounds_are_the_statements_offsets() -> None:
    base = parsed(MODULE)
    body = base.module.body
    for index, statement in enumerate(body):
        code = base.module.code_for_node(statement)
        assert MODULE[base.bounds[index] : base.bounds[index + 1]] == code
    assert base.bounds[0] == len("# A header comment.\n\n")


# Edits inside a statement that is neither the first nor the last: the window is parsed,
# the other statements are the last parse's nodes.
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("time.sleep(0.1)", "time.sleep(0.25)"),
        ("        queue.task_done()\n", "        queue.task_done()\n        print(item)\n"),
        ("async def worker(queue):", "async def worker(queue, extra):"),
        # A statement added, and one removed.
        ("\n\nasync def main", "\n\ndef helper():\n    pass\n\n\nasync def main"),
        (
            "async def worker(queue):\n    while True:\n        item = await queue.get()\n        queue.task_done()\n\n\n",
            "",
        ),
    ],
)
def test_an_edit_inside_the_module_is_parsed_as_a_window(old: str, new: str) -> None:
    base = parsed(MODULE)
    edited = MODULE.replace(old, new, 1)
    assert edited != MODULE
    found = reparse(base, edited)
    assert found is not None
    module, bounds = found
    assert same_tree(module, cst.parse_module(edited))
    assert module.code == edited
    # The statements before and after the edit are the last parse's own nodes.
    assert module.body[0] is base.module.body[0]
    assert module.body[-1] is base.module.body[-1]
    # The statements' offsets, without a code generation of the module.
    assert bounds == parsed(edited).bounds


def test_the_window_is_the_changed_statements_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between flush-left lines, the neighbours of the changed statement are not parsed
    again (a module may be one large class)."""
    base = parsed(MODULE)
    parsed_texts: list[str] = []
    parse = cst.parse_module

    def recorded(text: str) -> cst.Module:
        parsed_texts.append(text)
        return parse(text)

    monkeypatch.setattr(cst, "parse_module", recorded)
    edited = MODULE.replace("item = await queue.get()", "item = await queue.get_nowait()")
    found = reparse(base, edited)
    assert found is not None
    assert parsed_texts == [edited[base.bounds[3] : base.bounds[4] + len(edited) - len(MODULE)]]
    assert parsed_texts[0].lstrip("\n").startswith("async def worker")
    monkeypatch.setattr(cst, "parse_module", parse)
    assert same_tree(found[0], cst.parse_module(edited))
    assert found[1] == parsed(edited).bounds


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("worker(asyncio.Queue())", "worker(asyncio.Queue(), 1)"),
        ("worker(asyncio.Queue()))\n", "worker(asyncio.Queue()))\n\n\nasync def other():\n    pass\n"),
        # The footer: comments after the last statement, the last line break.
        ("worker(asyncio.Queue()))\n", "worker(asyncio.Queue()))\n    # indented\n# flush left\n\n"),
        ("worker(asyncio.Queue()))\n", "worker(asyncio.Queue()))"),
    ],
)
def test_an_edit_of_the_last_statement_is_parsed_to_the_end(old: str, new: str) -> None:
    base = parsed(MODULE)
    edited = MODULE.replace(old, new, 1)
    found = reparse(base, edited)
    assert found is not None
    module, bounds = found
    assert same_tree(module, cst.parse_module(edited))
    assert module.body[0] is base.module.body[0]
    if module.has_trailing_newline:
        assert bounds == parsed(edited).bounds


# Edits whose text is parsed differently with what comes before or after it: the tree is
# the whole text's (whether built on the window or not).
@pytest.mark.parametrize(
    ("old", "new"),
    [
        # A comment indented after a class body belongs to the class's block.
        ("\n\nasync def worker", "\n        # indented\n\nasync def worker"),
        ("\n\nasync def worker", "\n# flush left\n\nasync def worker"),
        # The first indented block decides the module's indentation.
        (
            "    def __init__(self, url):\n        self.url = url\n",
            "  def __init__(self, url):\n    self.url = url\n",
        ),
        ("class Service:\n", "class Service:\n    '''Doc.'''\n"),
        # A string opened and never closed: nothing parses.
        ("        queue.task_done()\n", '        queue.task_done()\n        """\n'),
        # A backslash continuation line (libcst drops it).
        ("\n\nasync def main", "\n\\\nasync def main"),
        ("import time\n", "import time\n\\\n"),
        # The first and the last statements.
        ("import asyncio\n", "import asyncio as aio\n"),
        ("# A header comment.\n", "# A header comment.\n# Another.\n"),
        ("\n", "\r\n"),
    ],
)
def test_an_edit_near_a_boundary_gives_the_whole_texts_tree(old: str, new: str) -> None:
    base = parsed(MODULE)
    edited = MODULE.replace(old, new, 1)
    assert edited != MODULE
    try:
        expected = cst.parse_module(edited)
    except cst.ParserSyntaxError:
        assert reparse(base, edited) is None
        return
    found = reparse(base, edited)
    assert found is None or (same_tree(found[0], expected) and found[1] in (None, parsed(edited).bounds))


def test_a_module_indented_by_its_later_blocks() -> None:
    """The window holds no indented block, and the first one of the whole text is after it:
    the module's indentation cannot be told from the window."""
    text = "x = 1\n\n\ndef f():\n    pass\n\n\ny = 2\n\n\ndef g():\n\tpass\n"
    base = parsed(text)
    edited = text.replace("def f():\n    pass\n", "z = 3\n")
    expected = cst.parse_module(edited)
    assert expected.default_indent == "\t"
    found = reparse(base, edited)
    assert found is None or same_tree(found[0], expected)


def test_the_cache_answers_the_same_text_and_falls_back() -> None:
    cache = ParseCache(size=1)
    first = cache.parse("a.py", MODULE)
    assert cache.last == "full" and isinstance(first, cst.Module)
    base = parsed(MODULE)
    cache.remember("a.py", Parsed(MODULE, first, base.bounds))
    same = cache.parse("a.py", MODULE)
    assert isinstance(same, Parsed) and same.module is first and cache.last == "same"
    edited = MODULE.replace("0.1", "0.2")
    again = cache.parse("a.py", edited)
    assert isinstance(again, Parsed) and cache.last == "window"
    assert same_tree(again.module, cst.parse_module(edited)) and again.bounds == base.bounds
    with pytest.raises(cst.ParserSyntaxError):
        cache.parse("a.py", MODULE.replace("return self.url", "return (self.url"))
    # One entry: another document's parse pushes the first out.
    cache.remember("b.py", base)
    cache.parse("a.py", edited)
    assert cache.last == "full"


def test_the_engine_reports_the_same_with_a_reused_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Edit after edit, the diagnostics of a lint built on the last parse are those of a
    lint of the whole text."""
    codes = frozenset(rule_infos())
    settings = Settings()

    def diagnostics(text: str, reuse: bool) -> list[tuple[object, ...]]:
        request = LintRequest(
            text, "reused.py", "reused.py", settings, codes, module_name="reused", reuse_parse=reuse
        )
        return [(d.code, d.start, d.end, d.message, d.fix) for d in lint(request).diagnostics]

    generated: list[int] = []  # targets of whole-module code generations

    def counted(module: cst.Module, nodes: Iterable[cst.CSTNode], *args: Any, **kwargs: Any) -> Any:
        nodes = list(nodes)
        generated.append(len(nodes))
        return layout(module, nodes, *args, **kwargs)

    monkeypatch.setattr(positions, "layout", counted)
    # A finding in the last statement too: edits above it move it down.
    text = MODULE.replace("async def main():\n", "async def main():\n    time.sleep(2)\n")
    edits = [
        ("time.sleep(0.1)", "time.sleep(0.2)"),
        ("        queue.task_done()\n", "        queue.task_done()\n        time.sleep(1)\n"),
        ("time.sleep(0.2)", "await asyncio.sleep(0.2)"),
        ("import time\n", "import time\nimport os\n"),
    ]
    assert diagnostics(text, True) == diagnostics(text, False)
    ways = []
    for old, new in edits:
        text = text.replace(old, new, 1)
        generated.clear()
        reused = diagnostics(text, True)
        ways.append((PARSES.last, any(generated)))
        assert reused == diagnostics(text, False)
    # The first three edits: a window parsed, positions from the reported statements alone.
    assert ways[:3] == [("window", False)] * 3
    found = diagnostics(text, True)
    assert any(d[0] == "ASL101" and d[1].row == 21 for d in found)
    assert any(d[0] == "ASL101" and d[1].row == 25 for d in found)


def test_the_parse_without_node_checks_gives_libcsts_tree_and_leaves_the_checks_on() -> None:
    """`parse_module` turns libcst's check of each new node off for the parse alone: the
    tree is the one `libcst.parse_module` gives, and a node built afterwards (by a fix) is
    checked again, also after a parse that failed."""
    from asynclint.incremental import parse_module

    text = "async def f(a, *, b=1):\n    return [x async for x in a if (x or b)]\n"
    assert parse_module(text).deep_equals(cst.parse_module(text))
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


_DUMP = """
import dataclasses, hashlib, sys
import libcst as cst


def dump(node, out):
    if isinstance(node, cst.CSTNode):
        out.append(type(node).__name__ + "(")
        for field in dataclasses.fields(node):
            out.append(field.name + "=")
            dump(getattr(node, field.name), out)
        out.append(")")
    elif isinstance(node, (list, tuple)):
        out.append("[")
        for item in node:
            dump(item, out)
        out.append("]")
    else:
        out.append(type(node).__name__ + ":" + repr(node) + ",")


def digest(module):
    out = []
    dump(module, out)
    return hashlib.sha256("".join(out).encode()).hexdigest()
"""


def test_the_parse_s_node_constructors_build_libcst_s_own_tree(tmp_path: Path) -> None:
    """`parse_module` builds nodes through constructors of its own
    (`install_constructors`): every field of every node of the fixtures' trees is the one a
    plain `libcst.parse_module` in a fresh interpreter gives, a new node still gets its
    defaults and is checked, and the constructors take libcst's arguments."""
    import dataclasses
    import inspect
    import subprocess
    import sys

    from asynclint import incremental

    namespace: dict[str, Any] = {}
    exec(_DUMP, namespace)  # the same dump on both sides
    fixtures = sorted(str(p) for p in (Path(__file__).parent / "fixtures").rglob("*.py"))
    ours = []
    for path in fixtures:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        try:
            ours.append(namespace["digest"](incremental.parse_module(text)))
        except cst.ParserSyntaxError:
            ours.append("error")
    assert cst.Name.__init__.__code__.co_name != "__init__"  # installed by the parse
    script = tmp_path / "plain.py"
    script.write_text(
        _DUMP
        + "for path in sys.argv[1:]:\n"
        + "    try:\n"
        + "        print(digest(cst.parse_module(open(path, encoding='utf-8').read())))\n"
        + "    except cst.ParserSyntaxError:\n"
        + "        print('error')\n",
        encoding="utf-8",
    )
    plain = subprocess.run(
        [sys.executable, str(script), *fixtures], capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(fixtures) > 100
    assert plain == ours
    # Nodes built outside a parse: defaults, fresh factory defaults, checks.
    name = cst.Name("x")
    assert (name.value, name.lpar, name.rpar) == ("x", (), ())
    first, second = cst.Arg(cst.Name("a")), cst.Arg(cst.Name("b"))
    assert isinstance(first.whitespace_after_arg, cst.SimpleWhitespace)
    assert first.comma is cst.MaybeSentinel.DEFAULT and second.keyword is None
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
    with pytest.raises(TypeError):
        cst.Name()  # type: ignore[call-arg]
    assert cst.Name("y").with_changes(value="z").value == "z"
    # The same parameters (names, order, defaults) as the constructors `dataclasses` made.
    marker = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", None)
    for cls in (c for c in vars(cst).values() if inspect.isclass(c) and issubclass(c, cst.CSTNode)):
        if inspect.isabstract(cls) or not dataclasses.is_dataclass(cls):
            continue
        expected = [
            (
                f.name,
                f.default
                if f.default is not dataclasses.MISSING
                else marker
                if f.default_factory is not dataclasses.MISSING
                else inspect.Parameter.empty,
            )
            for f in dataclasses.fields(cls)
        ]
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert [(p.name, p.default) for p in parameters] == expected, cls
