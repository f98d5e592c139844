from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from asynclint.analysis.nodes import dotted_name, is_none, keyword_arg, last_name, positional_args, walk
from asynclint.catalogs import timeouts as table
from asynclint.fixes import NodeFix
from asynclint.rule import FixSafety, Rule
from asynclint.rules._timeouts import default_timeout_literal, with_keyword

if TYPE_CHECKING:
    from asynclint.analysis.context import Context

_LAST_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in table.SYNC_UNBOUNDED)
#: Method names of `requests.Session` in the table.
_SESSION_METHODS = frozenset(
    name.rsplit(".", 1)[-1] for name in table.SYNC_UNBOUNDED if name.startswith("requests.Session.")
)


class SyncRequestWithoutTimeout(Rule):
    """
    ## What it does
    Finds blocking network calls made without a timeout, in any function: `requests`
    functions and methods of a `requests.Session` (known from its binding or an
    annotation), `urllib.request.urlopen`, `socket.create_connection`,
    `smtplib.SMTP` / `SMTP_SSL`, `http.client.HTTP(S)Connection` and `ftplib.FTP`, with no
    `timeout` (or `timeout=None`); also such a call handed to a thread
    (`asyncio.to_thread(requests.get, url)`, `loop.run_in_executor(None, requests.get,
    url)`, `anyio.to_thread.run_sync`, `functools.partial`), which still waits forever in
    its thread. A module that calls `socket.setdefaulttimeout()` is left alone, and so
    are test files and dead code that is plain to see: a nested function, or a private
    one (`_name`), that nothing in its enclosing function or module refers to.

    ## Why is this bad?
    These clients wait forever by default: requests has no timeout at all, and the stdlib
    clients use the socket default, which is "none". A server that accepts the connection
    and never answers hangs the thread (and, in a coroutine, the whole event loop) for
    good.

    ## Example
        import requests

        def fetch(url):
            return requests.get(url).json()

    ## Use instead
        import requests

        def fetch(url):
            return requests.get(url, timeout=10).json()

    ## Fix safety
    Unsafe: the fix adds `timeout=<default-timeout>` (30 unless configured), after which
    a slow server makes the call raise instead of wait; choose the value that suits the
    call. `timeout=None` becomes the same value.
    """

    code = "ASL402"
    name = "sync-request-without-timeout"
    message = "`{name}` without a timeout can block forever; pass `timeout=`"
    fix_safety = FixSafety.UNSAFE
    peer = "RF S113"
    triggers = (
        (
            "requests",
            "urlopen",
            "create_connection",
            "smtplib",
            "SMTP",
            "http.client",
            "HTTPConnection",
            "HTTPSConnection",
            "ftplib",
        ),
    )
    skip_test_files = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._default_set: bool | None = None
        self._imported: frozenset[str] | None = None
        self._clients: bool | None = None

    def visit_Call(self, node: cst.Call) -> None:
        handed = _handed_call(node)
        if handed is not None:
            # `await asyncio.to_thread(requests.get, url)` still waits forever in its
            # thread: the call it is handed is checked as if made here.
            inner, passes_keywords = handed
            self._check(node, inner, passes_keywords)
            return
        self._check(node, node, True)

    def _check(self, node: cst.Call, call: cst.Call, fixable: bool) -> None:
        """Report `node` when `call` (`node` itself, or the call a thread runner is handed)
        makes a request without a timeout; `fixable`: a keyword added to `node` reaches it."""
        func = call.func
        last = last_name(func)
        if not last:
            return
        if last not in _LAST_NAMES and last not in self._aliases():
            return
        if isinstance(func, cst.Attribute) and last in _SESSION_METHODS and not self._imports_requests():
            return  # `mapping.get()`: only a requests session makes it a request
        name = self.ctx.call_name(call)
        entry = table.SYNC_UNBOUNDED.get(name or "")
        if entry is None or any(a.star for a in node.args):
            return
        keyword, position = entry
        arg = keyword_arg(call, keyword)
        if arg is not None and not is_none(arg.value):
            return
        if arg is None and position is not None and len(positional_args(call)) > position:
            return
        if self._module_sets_default() or self._in_dead_function():
            return
        self.report(node, name=name, fix=self._fix(node, arg, keyword) if fixable else None)

    def _in_dead_function(self) -> bool:
        """The call is in a function nothing can run: a nested function, or a private one
        (`_name`), never referred to in its enclosing function or module (by name,
        attribute or string) and without decorators."""
        frame = self.ctx.frame.function_frame()
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return False
        function = frame.node
        parent = frame.parent
        while parent is not None and parent.kind == "class":
            parent = parent.parent
        nested = parent is not None and parent.kind == "function"
        name = function.name.value
        private = name.startswith("_") and not name.endswith("__")
        if function.decorators or not (nested or private) or parent is None:
            return False
        scope = parent.node
        return self.ctx.memo("unreferenced-def", function, lambda: _unreferenced(scope, function))

    def _imports_requests(self) -> bool:
        """Whether the module imports requests (anywhere, also inside a function), so that
        a method call can be on a session; computed once."""
        if self._clients is None:
            source = self.ctx.source
            # The tree, not a scan of lines: an import may share its line (`import os;
            # import requests`), follow a backslash, or end with a CR.
            self._clients = ("requests" in source or _star_import(source)) and any(
                _imports_requests(node) for node in walk(self.ctx.module)
            )
        return self._clients

    def _aliases(self) -> frozenset[str]:
        """Module-level names imported under another name (`from requests import get as
        fetch`)."""
        if self._imported is None:
            self._imported = frozenset(
                name
                for name, bindings in self.ctx.module_frame.bindings.items()
                if any(b.kind == "import" and b.qualified in table.SYNC_UNBOUNDED for b in bindings)
            )
        return self._imported

    def _module_sets_default(self) -> bool:
        if self._default_set is None:
            self._default_set = False
            if "setdefaulttimeout" in self.ctx.source:
                for sub in walk(self.ctx.module):
                    if isinstance(sub, cst.Call) and self.ctx.qualified_name(
                        sub.func, self.ctx.module_frame
                    ) in (table.SOCKET_DEFAULT_SETTERS):
                        self._default_set = True
                        break
        return self._default_set

    def _fix(self, node: cst.Call, arg: cst.Arg | None, keyword: str) -> NodeFix:
        seconds = default_timeout_literal(self.ctx.settings.default_timeout)
        text = f"timeout={self.ctx.code_for(seconds)}"
        if arg is not None:
            return NodeFix({arg.value: seconds}, f"Replace `{keyword}=None` with `{text}`")
        return NodeFix({node: with_keyword(node, keyword, seconds)}, f"Pass `{text}`")


#: Callees that run the function they are handed: the position of that function, and
#: whether keywords given to them reach it.
_RUNNERS = {
    "to_thread": (0, True),
    "partial": (0, True),
    "run_sync": (0, False),
    "run_in_executor": (1, False),
}


def _unreferenced(scope: cst.CSTNode, function: cst.FunctionDef) -> bool:
    """No name, attribute or string in `scope` but the definition's own name refers to
    `function`."""
    name = function.name.value
    for sub in walk(scope):
        if isinstance(sub, cst.Name) and sub.value == name and sub is not function.name:
            return False
        if isinstance(sub, cst.SimpleString) and name in sub.value:
            return False
    return True


def _handed_call(node: cst.Call) -> tuple[cst.Call, bool] | None:
    """`asyncio.to_thread(f, a, k=v)` (`functools.partial`, `loop.run_in_executor(None, f,
    a)`, `anyio.to_thread.run_sync(f, a)`) as the call it makes, `f(a, k=v)`, and whether a
    keyword added to `node` reaches `f`."""
    runner = _RUNNERS.get(last_name(node.func) or "")
    if runner is None:
        return None
    at, keywords = runner
    if len(node.args) <= at or any(a.keyword is not None or a.star for a in node.args[: at + 1]):
        return None
    handed = node.args[at].value
    if not isinstance(handed, (cst.Name, cst.Attribute)):
        return None
    return cst.Call(func=handed, args=node.args[at + 1 :]), keywords


#: The text of a star import (`from x import *`, also across a backslash continuation),
#: without the word boundary before `import`, so that the search looks for the word at
#: memchr speed (`_star_import` checks the boundary).
_STAR_IMPORT = re.compile(r"import[\s\\]*\*")


def _star_import(source: str) -> bool:
    """Whether `source` has the text of a star import."""
    return any(
        match.start() == 0 or not (source[match.start() - 1].isalnum() or source[match.start() - 1] == "_")
        for match in _STAR_IMPORT.finditer(source)
    )


def _imports_requests(node: cst.CSTNode) -> bool:
    """`import requests[.x]`, `from requests[.x] import ...`, or a star import."""
    if isinstance(node, cst.Import):
        return any((dotted_name(alias.name) or "").split(".")[0] == "requests" for alias in node.names)
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return True
        module = dotted_name(node.module) if node.module is not None and not node.relative else None
        return (module or "").split(".")[0] == "requests"
    return False
