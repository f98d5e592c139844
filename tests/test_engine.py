"""The engine: one traversal, isolation of failing rules, suppression comments, scopes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import libcst as cst
import pytest

from asynclint.analysis.context import Context
from asynclint.registry import RuleInfo, rule_infos
from asynclint.rule import FixSafety, Rule, RuleDefinitionError
from asynclint.runner import lint_text
from asynclint.settings import Settings
from asynclint.suppression import file_is_skipped, parse_noqa
from asynclint.triggers import Trigger, rules_that_can_fire, trigger_problems
from asynclint.walker import Walker

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def codes(source: str, **settings: object) -> list[tuple[int, str]]:
    return [(d.start.row, d.code) for d in lint_text(textwrap.dedent(source), "m.py", Settings(**settings))]  # type: ignore[arg-type]


def test_noqa_comments() -> None:
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa")) == []
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASL101")) == []
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASL1")) == []
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # NOQA:ASL101,E501")) == []
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: E501")) == [(5, "ASL101")]
    assert codes(SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASL6")) == [(5, "ASL101")]


def test_noqa_on_the_last_line_of_a_multiline_call() -> None:
    source = "import time\n\n\nasync def poll():\n    time.sleep(\n        1\n    )  # noqa: ASL101\n"
    assert codes(source) == []


def test_file_level_noqa() -> None:
    assert file_is_skipped("#!/usr/bin/env python\n# asynclint: noqa\nimport time\n")
    assert not file_is_skipped("x = 1  # asynclint: noqa\n")
    assert codes("# asynclint: noqa\n" + SLEEPY) == []


def test_parse_noqa() -> None:
    assert parse_noqa("x  # noqa") is not None and parse_noqa("x  # noqa").codes is None  # type: ignore[union-attr]
    parsed = parse_noqa("x  # noqa: ASL101, ASL2")
    assert parsed is not None and parsed.codes == {"ASL101", "ASL2"}
    assert parse_noqa("x = 'no qa here'") is None


def test_text_scan_skips_files_without_triggers() -> None:
    infos = rule_infos()
    assert rules_that_can_fire("def f():\n    return 1\n", {"ASL101", "ASL600", "ASL001"}, infos) == set()
    assert rules_that_can_fire("async def f():\n    pass\n", {"ASL101", "ASL001"}, infos) == {"ASL001"}
    assert rules_that_can_fire(SLEEPY, {"ASL101", "ASL001"}, infos) == {"ASL101", "ASL001"}


def test_a_failing_rule_is_asl002_and_the_others_stand() -> None:
    script = textwrap.dedent(
        '''
        import libcst as cst
        from asynclint import registry
        from asynclint.rule import FixSafety, Rule
        from asynclint.runner import lint_text
        from asynclint.settings import Settings

        class Exploding(Rule):
            """
            ## What it does
            x
            ## Why is this bad?
            x
            ## Example
                x
            ## Use instead
                x
            ## Fix safety
            x
            """
            code = "ASL099"
            name = "exploding"
            message = "never"
            fix_safety = FixSafety.NONE

            def visit_Call(self, node: cst.Call) -> None:
                raise ZeroDivisionError("boom")

        original = registry.load
        registry.load = lambda codes: original(codes - {"ASL099"}) + [Exploding]
        original_infos = registry.rule_infos
        def infos():
            found = original_infos()
            found["ASL099"] = registry.RuleInfo("ASL099", "exploding", "x", "on", "none", "", (), False)
            return found
        registry.rule_infos = infos
        import asynclint.engine as engine
        engine.rule_infos = infos
        source = "import time\\n\\n\\nasync def poll():\\n    time.sleep(1)\\n"
        for d in lint_text(source, "m.py", Settings(select=("ASL101", "ASL002", "ASL099"))):
            print(d.start.row, d.code, d.message)
        '''
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("1 ASL002 rule ASL099 (exploding) raised ZeroDivisionError: boom")
    assert lines[1].startswith("5 ASL101 ")
    assert len(lines) == 2


def _resolve(source: str) -> list[tuple[str, str | None, bool]]:
    module = cst.parse_module(textwrap.dedent(source))
    ctx = Context(module, module.code, "m.py", "pkg.mod", False, Settings(), False)
    seen: list[tuple[str, str | None, bool]] = []

    class Probe:
        code = "ASL000"
        findings: list[object] = []

        def visit_Call(self, node: cst.Call) -> None:
            seen.append((ctx.code_for(node.func), ctx.call_name(node), ctx.async_function is not None))

    Walker(ctx, [Probe()]).walk(module)  # type: ignore[list-item]
    return seen


def test_name_resolution_and_async_scope() -> None:
    seen = _resolve(
        """
        import time as t
        from os import path as p
        from . import sibling
        from ..up import helper

        async def f(q, time=None):
            t.sleep(1)
            p.join("a")
            sibling.go()
            helper()
            time.sleep(1)
            q.get()
            open("x")
            def inner():
                t.sleep(2)
            [t.sleep(i) for i in range(2)]
            lambda: t.sleep(3)

        class C:
            async def m(self):
                local()

        def local():
            pass
        """
    )
    assert seen == [
        ("t.sleep", "time.sleep", True),
        ("p.join", "os.path.join", True),
        ("sibling.go", "pkg.sibling.go", True),
        ("helper", "up.helper", True),
        ("time.sleep", None, True),
        ("q.get", None, True),
        ("open", "builtins.open", True),
        ("t.sleep", "time.sleep", False),
        ("range", "builtins.range", True),
        ("t.sleep", "time.sleep", True),
        ("t.sleep", "time.sleep", False),
        ("local", "pkg.mod.local", True),
    ]


def test_leaf_types_have_no_parts_and_are_walked_when_handled() -> None:
    import dataclasses

    from asynclint.analysis.nodes import field_names
    from asynclint.walker import LEAF_TYPES

    # The walk leaves out the leaves no rule handles: a leaf must hold no node.
    for leaf in LEAF_TYPES:
        types = {f.name: f.type for f in dataclasses.fields(leaf)}
        assert all(types[name] in ("str", str) for name in field_names(leaf)), leaf
    source = "async def f(x):\n    pass\n    return g(x, 'a', 1)\n"
    module = cst.parse_module(source)
    ctx = Context(module, module.code, "m.py", "pkg.mod", False, Settings(), False)
    seen: list[str] = []

    class Probe:
        code = "ASL000"
        findings: list[object] = []

        def visit_Name(self, node: cst.Name) -> None:
            seen.append(f"{node.value} in {type(ctx.stack[-2]).__name__}")

        def leave_Pass(self, node: cst.Pass) -> None:
            seen.append("pass")

    Walker(ctx, [Probe()]).walk(module)  # type: ignore[list-item]
    assert seen == ["x in Param", "pass", "g in Call", "x in Arg"]


def test_global_declaration_means_the_module_binding() -> None:
    source = "import time\n\n\nasync def f():\n    global time\n    time.sleep(1)\n"
    assert codes(source) == [(6, "ASL101")]
    shadowed = "import time\n\n\nasync def f():\n    time = object()\n    time.sleep(1)\n"
    assert codes(shadowed) == []


def test_walrus_binding_shadows() -> None:
    source = "import time\n\n\nasync def f(clock):\n    if (time := clock):\n        time.sleep(1)\n"
    assert codes(source) == []


def test_comprehension_first_iterable_runs_outside_the_offloaded_generator() -> None:
    source = textwrap.dedent(
        """
        import asyncio
        import time

        async def f():
            await asyncio.to_thread(sum, (time.sleep(i) for i in range(3)))
            await asyncio.to_thread(sum, (i for i in [time.sleep(1)]))
        """
    )
    assert codes(source) == [(7, "ASL101")]


def test_triggers_are_substrings_alternatives_and_a_regex() -> None:
    def info(code: str, triggers: tuple[Trigger, ...], regex: str | None = None) -> RuleInfo:
        return RuleInfo(code, code.lower(), "m", "on", "none", "", triggers, False, regex)

    infos = {
        "ASL901": info("ASL901", ("async", "sleep")),
        "ASL902": info("ASL902", ("async", ("aiofiles", "open_file"))),
        "ASL903": info("ASL903", ("async", "wait"), r"\bwait\b"),
        "ASL904": info("ASL904", (), r"(?i)timeout"),
        "ASL002": info("ASL002", ()),
    }
    assert rules_that_can_fire("async def f(): await sleep(1)", infos, infos) == {"ASL901"}
    # Substrings, not words: `asyncio` has `async`, `asleep` has `sleep`.
    assert rules_that_can_fire("import asyncio; asleep()", infos, infos) == {"ASL901"}
    assert rules_that_can_fire("async with open_file(p):", infos, infos) == {"ASL902"}
    assert rules_that_can_fire("async with aiofiles.open(p):", infos, infos) == {"ASL902"}
    # The regex decides where the substrings occur, and never where one is missing.
    assert rules_that_can_fire("async def f(): await g()", infos, infos) == set()
    assert rules_that_can_fire("async def f(): await wait(t)", infos, infos) == {"ASL903"}
    assert rules_that_can_fire("def f(): wait(t)", infos, infos) == set()
    assert rules_that_can_fire("TIMEOUT = 1", infos, infos) == {"ASL904"}
    assert rules_that_can_fire("TIMEOUT = 1", {"ASL901"}, infos) == set()


def test_trigger_declarations_are_checked() -> None:
    assert trigger_problems(("async", ("a", "b")), r"\bx\b") == []
    assert trigger_problems((), None) == []
    for bad in [("async", ""), ("async", ()), ["async"], ("async", ("a", 1)), ("async", 3)]:
        assert trigger_problems(bad, None), bad
    assert trigger_problems(("async",), "(unclosed")
    with pytest.raises(RuleDefinitionError, match="triggers must be a tuple"):

        class BadTriggers(Rule):
            """
            ## What it does
            x
            ## Why is this bad?
            x
            ## Example
                x
            ## Use instead
                x
            ## Fix safety
            x
            """

            code = "ASL098"
            name = "bad-triggers"
            message = "never"
            fix_safety = FixSafety.NONE
            triggers = ("async", "")


def test_a_docstring_part_stands_for_its_paragraph_indented_as_its_line() -> None:
    """`{{name}}` lines of rule docstrings (`rule.DOC_PARTS`): a shared paragraph written
    once, rendered in each rule's docs; an unknown part is an error of the rule."""
    from asynclint.rule import DOC_PARTS, expand_doc_parts

    DOC_PARTS["example-part"] = "First line\nsecond line."
    try:
        assert expand_doc_parts("    Before.\n    {{example-part}}\n    After.") == (
            "    Before.\n    First line\n    second line.\n    After."
        )
        with pytest.raises(RuleDefinitionError, match="unknown part 'missing-part'"):

            class UnknownPart(Rule):
                """
                ## What it does
                x
                {{missing-part}}
                ## Why is this bad?
                x
                ## Example
                    x
                ## Use instead
                    x
                ## Fix safety
                x
                """

                code = "ASL097"
                name = "unknown-part"
                message = "never"
                fix_safety = FixSafety.NONE
    finally:
        del DOC_PARTS["example-part"]


def test_every_rule_declares_its_triggers_well() -> None:
    for code, info in rule_infos().items():
        assert not trigger_problems(info.triggers, info.trigger_regex), code


def test_coroutine_labels_are_written_as_in_the_code() -> None:
    source = "import asyncio\nimport aiosqlite\n\n\nasync def f(db: aiosqlite.Connection):\n    return asyncio.ensure_future(db.close())\n"
    (diagnostic,) = lint_text(source, "m.py", Settings(select=("ASL603",)))
    assert "`asyncio.create_task(db.close(...))`" in diagnostic.message


def test_blocking_methods_are_named_as_written() -> None:
    source = "from typing import TextIO\n\n\nasync def save(handle: TextIO, data):\n    handle.write(data)\n"
    (diagnostic,) = lint_text(source, "m.py", Settings(select=("ASL106",)))
    assert diagnostic.message.startswith("`handle.write()` does file I/O")


def test_fixes_reported_from_finish_are_built_from_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASL401 reports from `finish()`; its fix must not fall back to regenerating and diffing
    # the whole module (the slow path for replacements whose text depends on their parent).
    import asynclint.fixes

    def no_diff(old: str, new: str) -> tuple[object, ...]:
        raise AssertionError("whole-module diff used")

    monkeypatch.setattr(asynclint.fixes, "text_edits", no_diff)
    source = (
        "import asyncio\n\n\nasync def connect(host):\n    return await asyncio.open_connection(host, 80)\n"
    )
    (diagnostic,) = lint_text(source, "m.py", Settings(select=("ASL401",), target_version="py310"))
    assert diagnostic.code == "ASL401" and diagnostic.fix is not None and diagnostic.fix.edits


def test_get_event_loop_advice_depends_on_where_it_runs() -> None:
    source = (
        "import asyncio\n\nloop = asyncio.get_event_loop()\n\n\n"
        "class Protocol:\n    def __init__(self):\n        self.loop = asyncio.get_event_loop()\n\n\n"
        "later = lambda: asyncio.get_event_loop()\n"
    )
    top, method, lam = lint_text(source, "m.py", Settings(select=("ASL602",)))
    assert "outside any function" in top.message and "get_running_loop" not in top.message
    assert "in sync function `__init__`" in method.message and "get_running_loop()" in method.message
    assert "in a lambda" in lam.message and "if this lambda runs on the event loop" in lam.message


@pytest.mark.parametrize(
    "source",
    [
        "import requests\n\n\ndef f():\n    requests.get('u')\n",
        "import os; import requests\n\n\ndef f():\n    requests.get('u')\n",
        "import \\\n    requests\n\n\ndef f():\n    requests.get('u')\n",
        "if True: import requests\n\n\ndef f():\n    requests.get('u')\n",
        "import os\rimport requests\r\rdef f():\r    requests.get('u')\r",
    ],
    ids=["plain", "semicolon", "backslash", "inline-suite", "cr"],
)
def test_a_request_is_found_whatever_the_layout_of_its_import(source: str) -> None:
    # ASL402 takes `x.get()` for a request only where the module imports requests.
    found = lint_text(source, "m.py", Settings(select=("ASL402",)))
    row = source.replace("\r", "\n").splitlines().index("    requests.get('u')") + 1
    assert [(d.code, d.start.row) for d in found] == [("ASL402", row)]


@pytest.mark.parametrize(
    ("handler", "reported"),
    [
        ("    except Exception:\n        print('failed')\n", True),
        ("    except Exception: print('failed')\n", True),
        ("    except Exception:\n        pass\n", False),
        ("    except Exception: pass\n", False),
    ],
    ids=["block", "on-the-except-line", "pass", "pass-on-the-except-line"],
)
def test_a_handler_on_its_except_line_is_read_like_a_block(handler: str, reported: bool) -> None:
    # A client discarded in a `try` whose handler only passes provokes an error on purpose
    # (ASL300 is silent); a handler that does something is no such thing, on any line.
    source = "import aiohttp\n\n\nasync def f():\n    try:\n        aiohttp.ClientSession()\n" + handler
    # With ASL002: a rule that raised would report nothing, as the silent cases expect.
    found = lint_text(source, "m.py", Settings(select=("ASL300",), extend_select=("ASL002",)))
    assert [(d.code, d.start.row) for d in found] == ([("ASL300", 6)] if reported else [])


@pytest.mark.parametrize(
    "body",
    [
        "    user = await client.get('/user')\n    orders = await client.get('/orders')\n",
        "    user = await client.get('/user'); orders = await client.get('/orders')\n",
        "    if client: user = await client.get('/user'); orders = await client.get('/orders')\n",
    ],
    ids=["lines", "semicolon", "on-the-if-line"],
)
def test_sequential_awaits_are_found_whatever_their_lines(body: str) -> None:
    # Two independent awaits in a row are as sequential on one line as on two; the fix
    # (which rewrites whole lines) is only offered when each await has its line.
    source = (
        "import httpx\n\n\nasync def f(client: httpx.AsyncClient):\n" + body + "    return user, orders\n"
    )
    [found] = lint_text(source, "m.py", Settings(select=("ASL200",)))
    assert (found.code, found.start.row, found.start.column) == ("ASL200", 5, body.index("await") + 1)
    assert (found.fix is not None) == (body.count("\n") == 2)


@pytest.mark.parametrize(
    ("second", "reported"),
    [
        ("await fetch_orders(uid)", True),
        ("await fetch_user(uid)", False),
        ("await fetch_user (uid)", False),
        ("await fetch_user(\n        uid,  # again\n    )", False),
    ],
    ids=["other-call", "same-call", "same-call-spaced", "same-call-split"],
)
def test_the_same_call_twice_is_not_run_concurrently_whatever_its_layout(second: str, reported: bool) -> None:
    # ASL200 leaves the same call twice alone (a retry, a poll): "the same" is the same
    # code, not the same text.
    source = (
        "async def profile(uid, fetch_user, fetch_orders):\n"
        f"    user = await fetch_user(uid)\n    other = {second}\n    return user, other\n"
    )
    # With ASL002: a rule that raised would report nothing, as the silent cases expect.
    found = lint_text(source, "m.py", Settings(select=("ASL200",), extend_select=("ASL002",)))
    assert [d.code for d in found] == (["ASL200"] if reported else [])


@pytest.mark.parametrize(
    "module",
    ["asyncio.exceptions", "asyncio . exceptions", "asyncio.\\\n    exceptions"],
    ids=["plain", "spaced", "backslash"],
)
def test_a_deprecated_import_is_found_whatever_the_spacing_of_its_module(module: str) -> None:
    source = f"from {module} import TimeoutError\n"
    found = lint_text(source, "m.py", Settings(select=("ASL605",), target_version="py311"))
    assert [(d.code, "asyncio.exceptions.TimeoutError" in d.message) for d in found] == [("ASL605", True)]
