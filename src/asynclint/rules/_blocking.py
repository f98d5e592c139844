"""The blocking family (ASL1xx): what a call is, and the shared body of the rules that report
catalog calls on the event loop.

What a call is: the catalog row it matches (by qualified name, or by `Type.method` for a
receiver of known type), after the exemptions that depend on the arguments, the tier
settings and the surrounding code. Every ASL1xx rule asks `blocking_call(ctx, call)` for the
call being visited; the answer is computed once per call and shared. ASL116 uses
`classify()` on the calls of sync functions.

Each catalog rule is `BlockingCallRule` with its own code, message and documentation; the
fixes of rule-catalog §1.3 are built here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import (
    children,
    dotted_name,
    keyword_arg,
    needs_parentheses,
    parenthesize,
    positional_args,
    walk,
)
from asynclint.catalogs import blocking as catalog
from asynclint.catalogs.calls import SLEEP, TO_THREAD
from asynclint.catalogs.names import spellings
from asynclint.fixes import NodeFix, imports_for
from asynclint.project import may_be_project_name
from asynclint.rule import DOC_PARTS, Rule

if TYPE_CHECKING:
    from asynclint.analysis.context import Context
    from asynclint.analysis.scopes import Frame
    from asynclint.settings import Settings

# The paragraphs the blocking rules' docs share (`{{runs-alone}}`, `{{test-waits}}`): what
# `stalls_nothing` leaves alone.
DOC_PARTS["runs-alone"] = """\
Command-line code, scripts and coroutines the project runs only under `asyncio.run()`
where nothing runs beside the coroutine (no `gather`, `create_task`, task group...) are
left alone: see `test-files` in the configuration documentation."""
DOC_PARTS["test-waits"] = """\
In test files a wait outside every loop of the test (a sleep that lets
time pass, a join of the test's own thread, a name resolved at set-up) freezes nothing
the test waits for and is not reported; one in a polling loop is."""


_ENABLING = {
    catalog.LIGHT: "blocking_light_calls",
    catalog.SIZE: "cpu_heavy_size_dependent",
    catalog.IMPORT: "blocking_imports",
}
_PROCESS_WAITS = frozenset({"wait", "communicate"})


@dataclass(frozen=True, slots=True)
class Hit:
    """A call that matches a catalog row."""

    key: str  # catalog key: `requests.get`, `requests.Session.get`
    entry: catalog.Blocking
    method: bool  # matched through the receiver's type

    @property
    def display(self) -> str:
        """The catalog name (`open`, not `builtins.open`; `requests.get` however imported)."""
        return self.key.removeprefix("builtins.")

    def shown(self, call: cst.Call) -> str:
        """The name messages show: a method as written (`handle.write`, not the receiver's
        type `io.TextIOWrapper.write`), a function by its catalog name."""
        if self.method:
            written = dotted_name(call.func)
            if written is not None:
                return written
        return self.display


def lookup(name: str, settings: Settings) -> tuple[str, catalog.Blocking] | None:
    """The catalog row for a qualified callee name, honouring the tier settings and
    `extend-blocking-calls`; None when the call is not blocking."""
    entry = catalog.CALLS.get(name)
    key = name
    if entry is None and "." in name:
        owner = name.rpartition(".")[0]
        wildcard = catalog.CALLS.get(owner + ".*")
        if wildcard is not None and name not in catalog.NOT_BLOCKING:
            entry = wildcard
    if entry is None:
        extra = settings.extend_blocking_calls
        replacement = next((extra[s] for s in spellings(name) if s in extra), None) if extra else None
        if replacement is None:
            return None
        text = f"`{replacement}`" if replacement else "a non-blocking alternative"
        entry = catalog.Blocking("ASL100", catalog.HEAVY, text, text)
    if entry.tier == catalog.NEVER:
        return None
    option = _ENABLING.get(entry.tier)
    if option is not None and not getattr(settings, option):
        return None
    return key, entry


def receiver_type(ctx: Context, expr: cst.BaseExpression, frame: Frame | None = None) -> str | None:
    """`ctx.type_of` plus what pathlib arithmetic keeps (`root / "x"`, `path.parent`)."""
    found = ctx.type_of(expr, frame)
    if found is None:
        base: cst.BaseExpression | None = None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            base = expr.left
        elif isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
            base = expr.value
        if base is not None and receiver_type(ctx, base, frame) == "pathlib.Path":
            return "pathlib.Path"
        return None
    return catalog.TYPE_ALIASES.get(found, found)


def callee_name(ctx: Context, call: cst.Call, frame: Frame | None = None) -> tuple[str, bool] | None:
    """The callee's qualified name and whether it came from the receiver's type."""
    name = ctx.qualified_name(call.func, frame)
    func = call.func
    if name is not None:
        if isinstance(func, cst.Attribute) and may_be_project_name(name):
            # A method of a module-level variable of another module (typed by the project
            # model): `CONFIG.read_text()` with `from app.paths import CONFIG`.
            owner = receiver_type(ctx, func.value, frame)
            if owner is not None:
                return f"{owner}.{func.attr.value}", True
        return catalog.TYPE_ALIASES.get(name, name), False
    if isinstance(func, cst.Attribute):
        owner = receiver_type(ctx, func.value, frame)
        if owner is not None:
            return f"{owner}.{func.attr.value}", True
    return None


def classify(ctx: Context, call: cst.Call, frame: Frame | None = None) -> Hit | None:
    """The catalog row `call` matches, after the argument-based exemptions; None when it
    does not block. Says nothing about where the call is."""
    found = callee_name(ctx, call, frame)
    if found is None:
        return None
    name, method = found
    row = lookup(name, ctx.settings)
    if row is None:
        return None
    key, entry = row
    if _nonblocking_arguments(key, call):
        return None
    if key in catalog.CONNECT_WITH_ARGS and not call.args:
        return None
    if key.startswith("socket.socket.") and _module_uses_nonblocking_sockets(ctx):
        return None
    return Hit(key, entry, method)


def _module_uses_nonblocking_sockets(ctx: Context) -> bool:
    # A module that switches sockets to non-blocking mode reads and writes them from
    # selector callbacks, where a send or recv never waits.
    source = ctx.source
    return "setblocking(False)" in source or "setblocking(0)" in source or "settimeout(0)" in source


def _is_false(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def _is_zero(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float)) and float(expr.value) == 0


def _nonblocking_arguments(key: str, call: cst.Call) -> bool:
    """`q.get(block=False)`, `event.wait(0)`, `executor.shutdown(wait=False)`..."""
    method = key.rpartition(".")[2]
    positional = positional_args(call)
    if method in ("get", "acquire", "put"):
        for keyword in ("block", "blocking"):
            arg = keyword_arg(call, keyword)
            if arg is not None and _is_false(arg.value):
                return True
        if positional and _is_false(positional[0].value) and not key.startswith(("redis.", "boto3.")):
            return True
    if method in ("wait", "join", "result", "exception", "get", "wait_for", "recv", "acquire"):
        arg = keyword_arg(call, "timeout")
        if arg is not None and _is_zero(arg.value):
            return True
        if method in ("wait", "join", "result", "exception") and positional and _is_zero(positional[0].value):
            return True
    if method == "shutdown":
        arg = keyword_arg(call, "wait")
        if arg is not None and _is_false(arg.value):
            return True
        if positional and _is_false(positional[0].value):
            return True
    return False


def blocking_call(ctx: Context, call: cst.Call) -> Hit | None:
    """The blocking call to report at `call`, visited on the event loop, or None: the
    catalog match minus what is reported elsewhere (one finding per problem) and lazy
    iterators handed to a thread. Computed once per call, so that every rule of the family
    shares one answer."""
    return ctx.memo("blocking-call", call, lambda: _blocking_call(ctx, call))


def _blocking_call(ctx: Context, call: cst.Call) -> Hit | None:
    hit = classify(ctx, call)
    if hit is not None and (
        _reported_elsewhere(ctx, call, hit) or _guarded(ctx, call, hit) or signals_only(call, hit)
    ):
        return None
    return hit


#: Reads that return at once once `select` reports their stream readable: a socket's
#: `recv` gives what has arrived; a file's `read(1)` needs one byte.
_READS_AFTER_SELECT = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "accept", "read1"})


def _guarded(ctx: Context, call: cst.Call, hit: Hit) -> bool:
    """A wait that a test around it in the same function shows cannot block: a read of a
    stream under an `if` on what `select.select([stream], ...)` just returned, or a
    process's `communicate()`/`wait()` under `if proc.poll() is not None:` (it has
    exited: the call only drains its pipes)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method in _PROCESS_WAITS:
        check = _exited_test
    elif method in _READS_AFTER_SELECT or (method == "read" and _reads_one(call)):
        check = _selected_test
    else:
        return False
    function = ctx.function
    if function is None:
        return False
    receiver = ctx.code_for(func.value)
    for node in reversed(ctx.stack):
        if node is function:
            return False
        if not isinstance(node, cst.If):
            continue
        if any(n is node.body for n in ctx.stack) and check(ctx, node.test, receiver, function):
            return True
    return False


def _reads_one(call: cst.Call) -> bool:
    positional = positional_args(call)
    return (
        len(call.args) == 1
        and bool(positional)
        and isinstance(positional[0].value, cst.Integer)
        and positional[0].value.value == "1"
    )


def _exited_test(
    ctx: Context, test: cst.BaseExpression, receiver: str, function: cst.FunctionDef | cst.Lambda
) -> bool:
    """`proc.poll() is not None` or `proc.returncode is not None`."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    target = test.comparisons[0]
    if not (
        isinstance(target.operator, cst.IsNot)
        and isinstance(target.comparator, cst.Name)
        and target.comparator.value == "None"
    ):
        return False
    left = test.left
    if isinstance(left, cst.Call) and not left.args:
        left = left.func
        attribute = "poll"
    else:
        attribute = "returncode"
    return (
        isinstance(left, cst.Attribute)
        and left.attr.value == attribute
        and ctx.code_for(left.value) == receiver
    )


def _selected_test(
    ctx: Context, test: cst.BaseExpression, receiver: str, function: cst.FunctionDef | cst.Lambda
) -> bool:
    """A test on a name the function binds to `select.select([..., receiver, ...], ...)`
    (or to its first item)."""
    names = {n.value for n in walk(test) if isinstance(n, cst.Name)}
    for node in walk(function.body, into_scopes=False):
        if not (isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.value, cst.Call)):
            continue
        if ctx.qualified_name(node.value.func) not in _SELECTS:
            continue
        target: cst.BaseExpression = node.targets[0].target
        if isinstance(target, (cst.Tuple, cst.List)) and target.elements:
            target = target.elements[0].value
        if not (isinstance(target, cst.Name) and target.value in names):
            continue
        positional = positional_args(node.value)
        watched = positional[0].value if positional else None
        if isinstance(watched, (cst.List, cst.Tuple)) and any(
            ctx.code_for(e.value) == receiver for e in watched.elements
        ):
            return True
    return False


_SELECTS = frozenset({"select.select"})


def _reported_elsewhere(ctx: Context, call: cst.Call, hit: Hit) -> bool:
    entry = hit.entry
    if hit.method and isinstance(ctx.parent, cst.Await):
        # `await r.get(key)`: the receiver is an async client whatever its annotation says.
        return True
    if entry.lazy and offloaded_iterator(ctx):
        return True
    if hit.key == "subprocess.Popen":
        return _process_waited(ctx, call) or spawn_only(ctx, call, hit)
    if entry is catalog.FILE_IO:
        return _opened_here(ctx, call)
    return False


def spawn_only(ctx: Context, call: cst.Call, hit: Hit) -> bool:
    """A `subprocess.Popen` that is not the item of a `with` (whose exit waits for the
    child): it only forks and executes the child, as asyncio's own
    `create_subprocess_exec` does on the loop's thread; a wait for the process is reported
    where it happens (ASL104)."""
    if hit.key != "subprocess.Popen":
        return False
    parent = ctx.parent
    return not (isinstance(parent, cst.WithItem) and parent.item is call)


#: Commands that send a signal to processes and exit at once, as quick as `os.kill()`
#: (which nothing reports): what the loop waits for is the fork and exec, as with
#: asyncio's own `create_subprocess_exec`.
_SIGNAL_COMMANDS = frozenset({"kill", "pkill", "killall", "taskkill", "tskill"})
#: Shell syntax that runs more than the first command (`kill $(lsof -t -i:80)`).
_SHELL_MORE = re.compile(r"[`|;&<>\n]|\$\(")


def signals_only(call: cst.Call, hit: Hit) -> bool:
    """A process run whose command is a literal signal-sending tool (`subprocess.run(["kill",
    pid])`, `os.system(f"taskkill /F /PID {pid}")`, `check_call(shlex.split("pkill -f
    worker"))`): it exits as soon as the signal is sent."""
    # The runs that take a command line first (`os.posix_spawn` and `os.spawn*` take a
    # path, `Popen` only starts the child: `spawn_only`).
    if (hit.entry is not catalog.RUN_PROCESS and hit.key != "os.popen") or hit.key.startswith(
        "os.posix_spawn"
    ):
        return False
    arg = keyword_arg(call, "args")
    if arg is None:
        positional = positional_args(call)
        arg = positional[0] if positional else None
    return arg is not None and _command_name(arg.value) in _SIGNAL_COMMANDS


def _command_name(node: cst.BaseExpression) -> str | None:
    """The program a literal command line runs: the first item of a list or tuple of
    strings, or the first word of a string (`shlex.split(...)` of one included), with
    its folder and a `.exe` suffix removed; None for anything else."""
    word: str | None = None
    if isinstance(node, (cst.List, cst.Tuple)):
        first = node.elements[0].value if node.elements else None
        if isinstance(first, cst.SimpleString):
            word = first.evaluated_value if isinstance(first.evaluated_value, str) else None
    elif isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "split" and node.args:
            return _command_name(node.args[0].value)
        return None
    else:
        text = _literal_text(node)
        if text is None or _SHELL_MORE.search(text) or not text[:1].strip():
            return None
        word = text.partition(" ")[0]
    if not word:
        return None
    name = re.split(r"[\\/]", word)[-1].lower()
    return name.removesuffix(".exe")


def _literal_text(node: cst.BaseExpression) -> str | None:
    """The text of a string literal; for an f-string, its literal parts with each
    replacement field as `{}` (None if it starts with one)."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString) and node.parts:
        if not isinstance(node.parts[0], cst.FormattedStringText):
            return None
        return "".join(
            part.value if isinstance(part, cst.FormattedStringText) else "{}" for part in node.parts
        )
    return None


def offloaded_iterator(ctx: Context) -> bool:
    """`to_thread(list, root.glob("*"))` or `to_thread(sorted, (p for p in root.iterdir()))`:
    the iterator is consumed in the worker thread."""
    stack = ctx.stack
    if len(stack) >= 3 and isinstance(stack[-2], cst.Arg) and isinstance(stack[-3], cst.Call):
        return ctx.is_offload_call(stack[-3])
    if (
        len(stack) >= 4
        and isinstance(stack[-2], cst.GeneratorExp)
        and stack[-2].for_in.iter is stack[-1]
        and isinstance(stack[-3], cst.Arg)
        and isinstance(stack[-4], cst.Call)
    ):
        return ctx.is_offload_call(stack[-4])
    return False


def _process_waited(ctx: Context, call: cst.Call) -> bool:
    """A process that the same function waits for is reported at the wait (ASL104)."""
    parent = ctx.parent
    if isinstance(parent, cst.Attribute) and parent.attr.value in _PROCESS_WAITS:
        return True
    name: str | None = None
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        name = target.value if isinstance(target, cst.Name) else None
    elif isinstance(parent, cst.WithItem) and parent.asname is not None:
        target = parent.asname.name
        name = target.value if isinstance(target, cst.Name) else None
    function = ctx.function
    if name is None or function is None:
        return False
    return name in ctx.memo("process-waits", function, lambda: _waited_names(function))


def _waited_names(function: cst.FunctionDef | cst.Lambda) -> set[str]:
    """Names `function` calls `.wait()` or `.communicate()` on."""
    found: set[str] = set()
    for node in walk(function.body, into_scopes=False):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _PROCESS_WAITS
            and isinstance(node.func.value, cst.Name)
        ):
            found.add(node.func.value.value)
    return found


def _opened_here(ctx: Context, call: cst.Call) -> bool:
    """A file method on a handle the same function opened is reported at the open
    (ASL105); handles from parameters and attributes are reported here."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    receiver = func.value
    if isinstance(receiver, cst.Call):
        return True
    if not isinstance(receiver, cst.Name):
        return False
    found = ctx.frame.lookup(receiver.value)
    if found is None:
        return False
    scope, bindings = found
    function = ctx.frame.function_frame()
    if scope.function_frame() is not function:
        return False
    return any(b.kind != "param" for b in bindings)


def files_quiet(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether file and filesystem calls (`catalog.FILE_CODES`, directly or at the end of
    an ASL116 chain) in the coroutine `function` are left unreported (unless
    `test-file-io`): set-up and clean-up in a test file, or command-line code, which runs alone on its
    loop: a module of a `cli` package, a `cli` or `__main__` module, a command
    (`@app.command()`, `@click.command`, `@app.callback()`), a coroutine that prompts the
    user (`input()`, `Prompt.ask`, `click.prompt`...)."""
    return ctx.memo("files-quiet", function, lambda: _files_quiet(ctx, function))


def _files_quiet(ctx: Context, function: cst.FunctionDef) -> bool:
    if ctx.settings.test_file_io:
        return False
    return ctx.is_test_file or command_line(ctx, function) or lifecycle(function) or script(ctx)


def lifecycle(function: cst.FunctionDef) -> bool:
    """Whether the coroutine `function` is one-shot set-up or clean-up (`__aenter__`,
    `__aexit__`, `close`, `shutdown`, `start`, `setup`...): its file and filesystem work (a
    folder made or removed, a small state file) runs once per object or process."""
    return function.name.value.strip("_") in catalog.LIFECYCLE_METHODS


def script(ctx: Context) -> bool:
    """Whether the module is a script that starts its own loop (`if __name__ ==
    "__main__":` followed by `asyncio.run(...)`, `anyio.run` or `trio.run`): its coroutines
    run alone on that loop."""
    return ctx.memo(
        "script", ctx.module, lambda: "__main__" in ctx.source and bool(_SCRIPT.search(ctx.source))
    )


_SCRIPT = re.compile(
    # The guard, then its block (indented or empty lines, each one way only), up to a line
    # of the block that starts a loop.
    r"""^if[ \t]+__name__[ \t]*==[ \t]*['"]__main__['"][ \t]*:(?:\n(?:[ \t][^\n]*)?)*?"""
    r"""\n[ \t][^\n]*?\b(?:asyncio|anyio|trio|uvloop)\.run\(""",
    re.MULTILINE,
)


def command_line(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether the coroutine `function` is command-line code (see `files_quiet`)."""
    return ctx.memo("command-line", function, lambda: _command_line(ctx, function))


def _command_line(ctx: Context, function: cst.FunctionDef) -> bool:
    return command(ctx, function) or prompts(ctx, function)


def command(ctx: Context, function: cst.FunctionDef) -> bool:
    """A coroutine of a `cli` package or module, of a module that imports prompts (from
    `rich.prompt`, `questionary`, the project's `cli` package...), or a command
    (`@app.command()`)."""
    if ctx.memo("command-module", ctx.module, lambda: _command_module(ctx)):
        return True
    return _command_decorated(function)


def _command_decorated(function: cst.FunctionDef) -> bool:
    """`@app.command()`, `@click.command`, `@app.callback()`."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Attribute) and expr.attr.value in catalog.COMMAND_DECORATORS:
            return True
        if isinstance(expr, cst.Name) and expr.value in catalog.COMMAND_DECORATORS:
            return True
    return False


def _command_module(ctx: Context) -> bool:
    """A `cli` package or module, or a module that imports prompts (see `command`)."""
    parts = (ctx.module_info.name or "").split(".")
    if "cli" in parts or "__main__" in parts:
        return True
    source = ctx.source
    # The names first (`in` scans at memchr speed, the expression at each line start).
    return any(name in source for name in _INTERACTIVE_NAMES) and bool(_INTERACTIVE_IMPORT.search(source))


#: An import (at any depth) of a prompt library or of a `cli` package's module.
_INTERACTIVE_IMPORT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(?:rich\.prompt|questionary|InquirerPy|inquirer|prompt_toolkit"
    r"|(?:[\w.]*\.)?cli(?:\.[\w.]+)?[ \t]+import|\.+cli\b)",
    re.MULTILINE,
)
#: A text that `_INTERACTIVE_IMPORT` matches holds one of these.
_INTERACTIVE_NAMES = ("rich.prompt", "questionary", "InquirerPy", "inquirer", "prompt_toolkit", "cli")


def prompts(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether the coroutine `function` asks the user (`input()`, `Prompt.ask`...)."""
    for node in walk(function.body, into_scopes=False):
        if isinstance(node, cst.Call):
            name = ctx.qualified_name(node.func)
            if name is not None and (name in catalog.PROMPTS or name.startswith(catalog.PROMPT_MODULES)):
                return True
    return False


def runs_alone(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether the coroutine `function` is in a command-line module or is a command
    (`command`: prompting the user alone does not count, since that is what ASL108
    reports) or in a script (`script`), and nothing runs beside it on the loop: it starts no concurrent work
    (`gather`, `create_task`, a task group...), no function of its module that does
    names it (a coroutine handed to `gather` or to a task), and its module hands it to no
    one: it is only called, never passed as a value (`add_route("/", handle)`), and no
    decorator of an object of the module registers it (`@routes.get("/")`, `@bot.event`;
    a command's decorator aside). Elsewhere, whether the project model says the
    coroutine function only ever runs alone on a loop of its own
    (`ProjectIndex.runs_alone`: sync code hands it to `asyncio.run()`, or only such
    coroutines await it, and nothing starts concurrent work). Such a coroutine is the only
    thing its loop runs, so no blocking call in it (nor at the end of an ASL116 chain
    that starts in it) stalls anything; the user waits for the command either way.
    `test-file-io = true` turns this off."""
    return ctx.memo("runs-alone", function, lambda: _runs_alone(ctx, function))


def _runs_alone(ctx: Context, function: cst.FunctionDef) -> bool:
    if ctx.settings.test_file_io:
        return False
    if not (script(ctx) or command(ctx, function)):
        qualname = coroutine_qualname(ctx, function)
        return qualname is not None and ctx.project.runs_alone(qualname)
    if not _command_decorated(function) and any(_registers(ctx, d.decorator) for d in function.decorators):
        return False  # a route, an event handler...: the framework may run it beside others
    starters, named = ctx.memo("concurrency", ctx.module, lambda: _concurrency(ctx.module))
    if id(function) in starters or function.name.value in named:
        return False
    return function.name.value not in ctx.memo("handed-over", ctx.module, lambda: _handed_over(ctx.module))


def coroutine_qualname(ctx: Context, function: cst.FunctionDef) -> str | None:
    """`app.cli.main` or `app.docs.Manager.fetch` for a module-level function or a method
    of a module-level class; None for a nested one or outside a package module."""
    module = ctx.module_info.name
    frame = ctx.frame_of(function)
    parent = frame.parent if frame is not None else None
    if not module or parent is None or not may_be_project_name(module):
        return None
    if parent.kind == "module":
        return f"{module}.{function.name.value}"
    if (
        parent.kind == "class"
        and isinstance(parent.node, cst.ClassDef)
        and parent.parent is not None
        and parent.parent.kind == "module"
    ):
        return f"{module}.{parent.node.name.value}.{function.name.value}"
    return None


def _registers(ctx: Context, decorator: cst.BaseExpression) -> bool:
    """A decorator that hands the function to an object of the module (`@routes.get("/")`,
    `@bot.event`), not one that wraps it (`@functools.wraps(f)`, `@inject_client`)."""
    if isinstance(decorator, cst.Call):
        decorator = decorator.func
    if not isinstance(decorator, cst.Attribute):
        return False
    root = decorator.value
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return True
    found = ctx.module_frame.lookup(root.value)
    return found is None or not all(b.kind == "import" for b in found[1])


def _handed_over(module: cst.Module) -> set[str]:
    """The names `module` uses as values rather than calling them (`add_route("/", handle)`,
    `partial(self.handle, x)`): functions handed to someone who may run them beside other
    work."""
    found: set[str] = set()
    # One walk: each node knows from its parent whether it is a name in use as a value.
    todo: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    # Exact types (libcst's node classes have no subclasses): `isinstance` of their
    # abstract bases is slow, and this looks at every node of the module.
    while todo:
        node, excluded = todo.pop()
        kind = type(node)
        if kind is cst.Import or kind is cst.ImportFrom:
            continue
        skip: cst.CSTNode | None = None
        if kind is cst.Name:
            if not excluded:
                found.add(node.value)  # type: ignore[attr-defined]
        elif kind is cst.Attribute:
            if not excluded:
                found.add(node.attr.value)  # type: ignore[attr-defined]
            skip = node.attr  # type: ignore[attr-defined]
        elif kind is cst.Call:
            skip = node.func  # type: ignore[attr-defined]
        elif kind is cst.FunctionDef or kind is cst.ClassDef or kind is cst.Param:
            skip = node.name  # type: ignore[attr-defined]
        elif kind is cst.Arg and node.keyword is not None:  # type: ignore[attr-defined]
            skip = node.keyword  # type: ignore[attr-defined]
        todo.extend((kid, kid is skip) for kid in children(node))
    return found


def _concurrency(module: cst.Module) -> tuple[set[int], set[str]]:
    """The functions of `module` that start concurrent work (ids), and the names they
    mention (the coroutines they may run concurrently)."""
    starting: dict[int, cst.FunctionDef] = {}
    # One walk, with the functions whose bodies hold each node: a call that starts work
    # makes every one of them a starter.
    todo: list[tuple[cst.CSTNode, tuple[cst.FunctionDef, ...]]] = [(module, ())]
    while todo:
        node, around = todo.pop()
        kind = type(node)
        if around and kind is cst.Call and starts_work(node):
            starting.update((id(function), function) for function in around)
        if kind is cst.FunctionDef:
            assert isinstance(node, cst.FunctionDef)
            todo.extend((kid, around) for kid in children(node) if kid is not node.body)
            todo.append((node.body, (*around, node)))
        else:
            todo.extend((kid, around) for kid in children(node))
    named: set[str] = set()
    for function in starting.values():
        for inner in walk(function.body):
            if isinstance(inner, cst.Name):
                named.add(inner.value)
            elif isinstance(inner, cst.Attribute):
                named.add(inner.attr.value)
    return set(starting), named


def starts_work(node: cst.CSTNode) -> bool:
    """A call that runs work concurrently: `gather`, `create_task`, a task group's
    `start_soon`, `asyncio.wait`..."""
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        return func.value in catalog.CONCURRENT_CALLS
    if isinstance(func, cst.Attribute):
        name = func.attr.value
        if name in catalog.CONCURRENT_CALLS:
            return True
        owner = func.value
        return name == "wait" and isinstance(owner, cst.Name) and owner.value in catalog.ASYNC_MODULES
    return False


def quiet_hit(ctx: Context, hit: Hit) -> bool:
    """A blocking call in a coroutine that runs alone on its loop (`runs_alone`), a file
    or filesystem call where those are not reported (`files_quiet`), or a console prompt
    (ASL108) in a terminal dialogue: in a command, or in a coroutine that writes to the
    terminal (`print`, `console.print`, `click.echo`), whose user is what it waits for."""
    function = ctx.async_function
    if function is None:
        return False
    if stalls_nothing(ctx, function):
        return True
    code = hit.entry.code
    if file_call(hit):
        return files_quiet(ctx, function)
    if code == "ASL108":
        return ctx.memo("dialogue", function, lambda: command(ctx, function) or _talks(ctx, function))
    return False


def stalls_nothing(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether a blocking call being visited in the coroutine `function` stalls nothing
    anyone waits for: the coroutine runs alone on its loop (`runs_alone`), or the call is a
    test's wait outside a polling loop (`test_wait`). Neither the blocking rules nor the
    ASL116 chains that start there report it."""
    return runs_alone(ctx, function) or test_wait(ctx, function)


def test_wait(ctx: Context, function: cst.FunctionDef) -> bool:
    """Whether the call being visited (in the coroutine `function`) is a wait of a test
    that freezes nothing the test waits for: in a test file (unless `test-file-io`),
    outside every loop of the coroutine. A test that sleeps once, joins its own thread or
    resolves a name during set-up waits for wall-clock time or for other threads; one that
    sleeps in a loop polls (`while not client.ready: time.sleep(0.1)`, `for _ in
    range(10): await fetch(); time.sleep(0.1)`) for what the loop it froze should have
    done, and is reported."""
    if not ctx.is_test_file or ctx.settings.test_file_io:
        return False
    for node in reversed(ctx.stack):
        if node is function:
            return True
        if isinstance(node, (cst.For, cst.While)):
            return False
    return True


def file_call(hit: Hit) -> bool:
    """A file or filesystem call (`catalog.FILE_CODES`, a SQLite database file)."""
    return hit.entry.code in catalog.FILE_CODES or hit.key.startswith(catalog.LOCAL_FILE_PREFIXES)


def _talks(ctx: Context, function: cst.FunctionDef) -> bool:
    for node in walk(function.body, into_scopes=False):
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("print", "echo", "secho"):
                return True
            if ctx.qualified_name(func) in ("builtins.print", "click.echo", "typer.echo", "click.secho"):
                return True
    return False


def cheap(key: str, call: cst.Call) -> bool:
    """A cheap metadata call (the light tier: `os.makedirs`, `os.path.exists`) or a sleep of at
    most `catalog.TINY_SLEEP` seconds given as a literal: not worth a thread hop when a
    helper makes it, so ASL116 does not follow it."""
    if catalog.CALLS.get(key, catalog.FS_TRIVIAL).tier == catalog.LIGHT:
        return True
    if key == "time.sleep":
        positional = positional_args(call)
        arg = positional[0].value if positional else None
        return isinstance(arg, (cst.Integer, cst.Float)) and float(arg.value) <= catalog.TINY_SLEEP
    return False


def replacement_text(ctx: Context, call: cst.Call, hit: Hit) -> str:
    """What the message suggests instead, in the module's async library."""
    entry = hit.entry
    library = ctx.library
    text = entry.asyncio if library == "asyncio" else entry.other
    if library == "asyncio" and ctx.settings.target_minor < 9:  # `asyncio.to_thread` is 3.9+
        text = text.replace("asyncio.to_thread(", "asyncio.get_running_loop().run_in_executor(None, ")
    written = dotted_name(call.func) or hit.display
    alternative = catalog.ASYNC_ALTERNATIVES.get(hit.key.split(".", 1)[0], "an async client")
    return text.replace("{name}", written).replace("{lib}", library).replace("{replacement}", alternative)


def classify_lock(ctx: Context, expr: cst.BaseExpression) -> str | None:
    """The thread-lock type of `expr` (`threading.Lock`), or None."""
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None
    kind = receiver_type(ctx, expr)
    return kind if kind in catalog.THREAD_LOCKS else None


# The rules ------------------------------------------------------------------------------------


class BlockingCallRule(Rule):
    """Reports the catalog calls of its code made on the event loop."""

    abstract = True

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.async_function
        if function is None:
            return
        hit = blocking_call(self.ctx, node)
        if hit is None or hit.entry.code != self.code or quiet_hit(self.ctx, hit):
            return
        self.report(
            node,
            fix=self.fix_for(node, hit),
            name=hit.shown(node),
            function=function.name.value,
            replacement=replacement_text(self.ctx, node, hit),
        )

    def fix_for(self, node: cst.Call, hit: Hit) -> NodeFix | None:
        kind = hit.entry.fix
        if kind == catalog.SLEEP:
            return sleep_fix(self, node)
        if kind == catalog.TO_THREAD:
            return to_thread_fix(self, node)
        if kind == catalog.GETADDRINFO:
            return getaddrinfo_fix(self, node, hit)
        if kind == catalog.WRAP_FUTURE:
            return wrap_future_fix(self, node)
        return None


def _directly_in_coroutine(rule: Rule) -> bool:
    # `await` in a comprehension would change what it builds (a generator expression
    # becomes an async generator), so fixes only apply in the coroutine's own statements.
    return rule.ctx.frame.kind == "function"


def _replace_with_await(node: cst.Call, new: cst.BaseExpression, rule: Rule) -> cst.BaseExpression:
    awaited: cst.BaseExpression = cst.Await(expression=new)
    if node.lpar:
        return awaited.with_changes(lpar=node.lpar, rpar=node.rpar)
    if needs_parentheses(awaited, rule.ctx.parent):
        return parenthesize(awaited)
    return awaited


def sleep_fix(rule: Rule, node: cst.Call) -> NodeFix | None:
    """`time.sleep(s)` as a whole statement -> `await asyncio.sleep(s)` (`anyio.sleep`,
    `trio.sleep` in a module of that library)."""
    ctx = rule.ctx
    if not isinstance(ctx.parent, cst.Expr) or not _directly_in_coroutine(rule):
        return None
    replacement = SLEEP[ctx.library]
    reference = ctx.reference(replacement)
    if reference is None:
        return None
    func, module = reference
    awaited = cst.Await(expression=node.with_changes(func=func))
    return NodeFix({node: awaited}, f"Replace with `await {replacement}(...)`", imports_for(module))


def to_thread_fix(rule: Rule, node: cst.Call) -> NodeFix | None:
    """`f(a, k=v)` -> `await asyncio.to_thread(f, a, k=v)`, for a whole statement or the
    right-hand side of an assignment, with a plain dotted callee."""
    ctx = rule.ctx
    parent = ctx.parent
    statement = isinstance(parent, cst.Expr) or (
        isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node
    )
    if not statement or not _directly_in_coroutine(rule) or dotted_name(node.func) is None:
        return None
    library = ctx.library
    if library != "asyncio" and any(a.keyword is not None or a.star == "**" for a in node.args):
        return None  # anyio/trio's run_sync takes positional arguments only
    first = cst.Arg(value=node.func.with_changes(lpar=[], rpar=[]))
    if library == "asyncio" and ctx.settings.target_minor < 9:
        # `asyncio.to_thread` is 3.9+: the loop's executor, which takes positional
        # arguments only.
        if any(a.keyword is not None or a.star == "**" for a in node.args):
            return None
        reference = ctx.reference("asyncio.get_running_loop")
        if reference is None:
            return None
        loop, module = reference
        executor = cst.Attribute(value=cst.Call(func=loop), attr=cst.Name("run_in_executor"))
        call = cst.Call(func=executor, args=[cst.Arg(value=cst.Name("None")), first, *node.args])
        return NodeFix(
            {node: _replace_with_await(node, call, rule)},
            "Run it in a worker thread with `await asyncio.get_running_loop().run_in_executor(None, ...)`",
            imports_for(module),
        )
    target = TO_THREAD[library]
    reference = ctx.reference(target)
    if reference is None:
        return None
    func, module = reference
    call = cst.Call(func=func, args=[first, *node.args])
    return NodeFix(
        {node: _replace_with_await(node, call, rule)},
        f"Run it in a worker thread with `await {target}(...)`",
        imports_for(module),
    )


def getaddrinfo_fix(rule: Rule, node: cst.Call, hit: Hit) -> NodeFix | None:
    """`socket.getaddrinfo(host, port)` -> `await asyncio.get_running_loop().getaddrinfo(host, port)`."""
    ctx = rule.ctx
    if not _directly_in_coroutine(rule) or any(a.star for a in node.args) or len(positional_args(node)) > 2:
        return None
    method = hit.key.rpartition(".")[2]
    library = ctx.library
    if library == "asyncio":
        reference = ctx.reference("asyncio.get_running_loop")
        if reference is None:
            return None
        loop, module = reference
        func: cst.BaseExpression = cst.Attribute(value=cst.Call(func=loop), attr=cst.Name(method))
        label = f"asyncio.get_running_loop().{method}"
    else:
        dotted = f"anyio.{method}" if library == "anyio" else f"trio.socket.{method}"
        reference = ctx.reference(dotted)
        if reference is None:
            return None
        func, module = reference
        label = dotted
    return NodeFix(
        {node: _replace_with_await(node, node.with_changes(func=func, lpar=[], rpar=[]), rule)},
        f"Use `await {label}(...)`",
        imports_for(module),
    )


def wrap_future_fix(rule: Rule, node: cst.Call) -> NodeFix | None:
    """`fut.result()` -> `await asyncio.wrap_future(fut)`; with a timeout,
    `await asyncio.wait_for(asyncio.wrap_future(fut), timeout)`."""
    ctx = rule.ctx
    func = node.func
    if ctx.library != "asyncio" or not _directly_in_coroutine(rule) or not isinstance(func, cst.Attribute):
        return None
    positional = positional_args(node)
    keyword = keyword_arg(node, "timeout")
    if any(a.star for a in node.args) or len(node.args) > 1:
        return None
    timeout = positional[0].value if positional else (keyword.value if keyword is not None else None)
    wrap = ctx.reference("asyncio.wrap_future")
    if wrap is None:
        return None
    wrapped = cst.Call(func=wrap[0], args=[cst.Arg(value=func.value)])
    if timeout is None:
        new: cst.BaseExpression = wrapped
        label = "await asyncio.wrap_future(...)"
    else:
        wait_for = ctx.reference("asyncio.wait_for")
        if wait_for is None:
            return None
        new = cst.Call(func=wait_for[0], args=[cst.Arg(value=wrapped), cst.Arg(value=timeout)])
        label = "await asyncio.wait_for(asyncio.wrap_future(...), timeout)"
    return NodeFix({node: _replace_with_await(node, new, rule)}, f"Use `{label}`", imports_for(wrap[1]))
