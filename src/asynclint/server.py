"""`asynclint server`: a Language Server Protocol server over standard input and output.

Diagnostics are published when a document is opened, changed (debounced: a change waits
`DEBOUNCE` seconds and a newer change cancels the wait; a lint whose document changed
meanwhile is dropped) and saved. Each document is linted as the command line lints one file
(`Runner.check_text`), with the configuration of its `pyproject.toml`, which is read again
when a `pyproject.toml` changes. Code actions: a quick fix per fixable diagnostic (checked
to compile), "fix all safe problems" (`source.fixAll.asynclint`, the command line's fixer
with its verification) and "suppress with `# noqa: CODE`" (`--add-noqa`'s placement).
Hover on a diagnostic shows its rule's documentation (`--explain`).

Positions: asynclint counts lines split at `\\n`, `\\r\\n` and `\\r` only, and 1-based columns
in characters; LSP counts 0-based lines split the same way and columns in the negotiated
unit (UTF-16 by default). Documents are synchronised in full, so the text linted is always
the editor's, whatever characters it holds (form feeds, `\\u2028`, ...).

A fault of asynclint's never stops the server: it is logged to the client
(`window/logMessage`) and the document keeps its earlier diagnostics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec

from asynclint.diagnostics import INTERNAL_ERROR, SYNTAX_ERROR, Diagnostic, Edit
from asynclint.runner import Runner
from asynclint.settings import ConfigError, Settings, load_settings
from asynclint.sourcefile import split_lines
from asynclint.version import __version__

#: Seconds a change waits for the next one before the document is linted.
DEBOUNCE = 0.05
FIX_ALL_KIND = "source.fixAll.asynclint"
SOURCE = "asynclint"
CONFIG_FILES = ("pyproject.toml",)

T = TypeVar("T")


@dataclass
class Linted:
    """A document's text as it was linted, and what linting it found."""

    uri: str
    version: int | None
    text: str
    path: str
    settings: Settings
    runner: Runner
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _lines: list[str] | None = None
    _simple: bool | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = [line.rstrip("\r\n") for line in split_lines(self.text)]
        return self._lines

    @property
    def simple(self) -> bool:
        """ASCII with `\\n` line endings: a position is the same in every unit, and lines
        need not be split to convert it."""
        if self._simple is None:
            self._simple = self.text.isascii() and "\r" not in self.text
        return self._simple

    @property
    def simple_lines(self) -> list[str]:
        """`lines` of a `simple` text, split at C speed."""
        if self._lines is None:
            lines = self.text.split("\n")
            if not lines[-1]:
                lines.pop()
            self._lines = lines
        return self._lines


class AsynclintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("asynclint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        #: The Python documents open in the editor.
        self.documents: set[str] = set()
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        #: (Settings, Runner) by the folder of a document.
        self.configs: dict[str, tuple[Settings, Runner]] = {}
        #: The project model's answers of each document's last lint (by runner).
        self.answers: dict[tuple[str, int], Mapping[str, object] | None] = {}
        #: The files saved since a runner last linted (their project facts are stale).
        self.saved: dict[Runner, set[str]] = {}
        self.config_errors: set[str] = set()
        #: One thread lints, so the server reads messages (and cancels stale work) meanwhile.
        self.linter = ThreadPoolExecutor(1, thread_name_prefix="asynclint-lint")
        self.docs_base = docs_base_url()
        self.debounce = DEBOUNCE
        #: When each document last changed (time.monotonic()).
        self.last_change: dict[str, float] = {}
        #: The client's `initializationOptions` (`{"debounce": milliseconds}`).
        self.init_options: Any = None

    # Logging ------------------------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"asynclint: {message}"))
        except Exception:
            print(f"asynclint: {message}", file=sys.stderr)

    def log_exception(self, what: str, exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log(
            f"internal error {what}: {type(exc).__name__}: {exc} (please report this)\n{trace}",
            types.MessageType.Error,
        )

    # Configuration ------------------------------------------------------------------------

    def path_of(self, uri: str) -> str:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return os.path.abspath(path) if path else uri

    def folder_of(self, path: str) -> str:
        """The workspace folder holding `path` (the deepest), else the file's folder."""
        best = ""
        for folder in self.workspace.folders.values():
            root = to_fs_path(folder.uri)
            if root and (path == root or path.startswith(os.path.join(root, ""))) and len(root) > len(best):
                best = root
        if best:
            return best
        if self.workspace.root_path and path.startswith(os.path.join(self.workspace.root_path, "")):
            return str(self.workspace.root_path)
        return os.path.dirname(path) if os.path.isabs(path) else os.getcwd()

    def config_for(self, path: str) -> tuple[Settings, Runner]:
        """The settings a command-line run in the workspace folder would use for `path`."""
        folder = os.path.dirname(path) if os.path.isabs(path) else self.folder_of(path)
        found = self.configs.get(folder)
        if found is not None:
            return found
        cwd = self.folder_of(path)
        target = path if os.path.isabs(path) else cwd
        try:
            settings = load_settings([target], {}, cwd=cwd)
        except ConfigError as exc:
            message = str(exc)
            if message not in self.config_errors:
                self.config_errors.add(message)
                self.show_message(f"asynclint: configuration error: {message}; the defaults are used")
            settings = replace(Settings(), project_root=cwd)
        # No worker processes: forking this threaded process could deadlock the child (a
        # lock held by another thread). Files are linted here, under the pre-checks.
        settings = replace(settings, file_timeout=0)
        # One runner per configuration: it keeps the project facts of one-file runs.
        runner = next((r for known, r in self.configs.values() if known == settings), None)
        if runner is None:
            runner = Runner(settings, jobs=1, use_cache=False)
        self.configs[folder] = (settings, runner)
        return settings, runner

    def note_saved(self, paths: Sequence[str]) -> None:
        """`paths` changed on disk: what the project model knows of them is read again
        before the next lint (in the lint thread)."""
        for runner in {id(r): r for _, r in self.configs.values()}.values():
            self.saved.setdefault(runner, set()).update(paths)

    def show_message(self, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        self.log(message, types.MessageType.Error)

    def reload_config(self) -> None:
        self.configs.clear()
        self.answers.clear()
        self.saved.clear()
        self.config_errors.clear()
        self.relint_all()

    def relint_all(self, delay: float = 0) -> None:
        """Lint every open document again (the configuration or another file changed)."""
        self.linted.clear()
        for uri in sorted(self.documents):
            self.schedule(uri, delay)

    # Linting ------------------------------------------------------------------------------

    def lint(
        self, uri: str, version: int | None, text: str, path: str, settings: Settings, runner: Runner
    ) -> Linted:
        """Lint one document's text (in the lint thread)."""
        linted = Linted(uri, version, text, path, settings, runner)
        for saved in sorted(self.saved.pop(runner, ())):
            runner.refresh_module(saved)
        # With the fixes' edits (about 7% of the lint): working them out when a code action
        # asks would lint the text a second time, and editors ask after every change.
        # The project model's answers of the document's last lint: while they hold (most
        # edits), the text is linted once, not once to ask and once with the answers.
        # An edit's text is parsed again from the last parse of the document (the top-level
        # statements the edit did not touch are kept: `asynclint.incremental`).
        run = runner.check_text(text, path, answers=self.answers.get((uri, id(runner))), reuse_parse=True)
        self.answers[(uri, id(runner))] = run.answers
        linted.diagnostics = run.diagnostics
        return linted

    def change_delay(self, uri: str) -> float:
        """How long a change waits before it is linted: nothing after a pause (the first
        change of a burst is linted at once), `debounce` while changes come quicker than
        that (each one waits for the next, and the last is linted)."""
        now = time.monotonic()
        last = self.last_change.get(uri)
        self.last_change[uri] = now
        return self.debounce if last is not None and now - last < self.debounce else 0.0

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds, cancelling a lint that has not started yet."""
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            linted = await self.current(uri)
            if linted is not None:
                self.publish(linted)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.log_exception(f"while linting {uri}", exc)
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    async def current(self, uri: str) -> Linted | None:
        """The lint of the document's current text (linted now if it is not yet); None when
        the document is closed, changed while it was linted, or linting failed."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        version, text = document.version, document.source
        known = self.linted.get(uri)
        if known is not None and known.version == version and known.text == text:
            return known
        path = self.path_of(uri)
        settings, runner = self.config_for(path)
        loop = asyncio.get_running_loop()
        try:
            linted = await loop.run_in_executor(
                self.linter, self.lint, uri, version, text, path, settings, runner
            )
        except Exception as exc:
            # The document keeps its earlier diagnostics.
            self.log_exception(f"while linting {path}", exc)
            return None
        document = self.workspace.text_documents.get(uri)
        if document is None or document.version != version or document.source != text:
            return None  # stale: a newer lint is scheduled
        for diagnostic in linted.diagnostics:
            if diagnostic.code == INTERNAL_ERROR:
                self.log(f"{path}: {diagnostic.message}", types.MessageType.Error)
        self.linted[uri] = linted
        return linted

    def publish(self, linted: Linted) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=linted.uri,
                version=linted.version,
                diagnostics=[self.to_lsp(linted, d) for d in linted.diagnostics],
            )
        )

    # Conversions --------------------------------------------------------------------------

    def position(self, lines: Sequence[str], row: int, column: int) -> types.Position:
        """asynclint's 1-based row and character column -> the client's position."""
        line = row - 1
        if line >= len(lines):
            return types.Position(line=len(lines), character=0)
        try:
            codec = self.workspace.position_codec
        except RuntimeError:  # not initialized: the protocol's default
            codec = PositionCodec()
        return codec.position_to_client_units(lines, types.Position(line=line, character=max(column - 1, 0)))

    def range(self, lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        return types.Range(start=self.position(lines, *start), end=self.position(lines, *end))

    def linted_range(self, linted: Linted, start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        """`range` in `linted`'s text (without splitting it when it is `simple`)."""
        if not linted.simple:
            return self.range(linted.lines, start, end)
        lines = linted.simple_lines

        def position(row: int, column: int) -> types.Position:
            if row - 1 >= len(lines):
                return types.Position(line=len(lines), character=0)
            return types.Position(line=row - 1, character=min(max(column - 1, 0), len(lines[row - 1])))

        return types.Range(start=position(*start), end=position(*end))

    def to_lsp(self, linted: Linted, d: Diagnostic) -> types.Diagnostic:
        href = f"{self.docs_base}#{d.code.lower()}-{d.name}" if self.docs_base else None
        return types.Diagnostic(
            range=self.linted_range(linted, (d.start.row, d.start.column), (d.end.row, d.end.column)),
            message=d.message,
            severity=(
                types.DiagnosticSeverity.Error
                if d.code in (SYNTAX_ERROR, INTERNAL_ERROR)
                else types.DiagnosticSeverity.Warning
            ),
            code=d.code,
            code_description=types.CodeDescription(href=href) if href else None,
            source=SOURCE,
            data={"name": d.name, "fix": d.fix.applicability if d.fix and d.fix.edits else None},
        )

    def text_edits(self, linted: Linted, edits: Sequence[Edit]) -> list[types.TextEdit]:
        return [
            types.TextEdit(
                range=self.linted_range(linted, (e.start.row, e.start.column), (e.end.row, e.end.column)),
                new_text=e.content,
            )
            for e in edits
        ]

    def replace_edit(self, linted: Linted, new: str) -> list[types.TextEdit]:
        """One edit that turns `linted.text` into `new`: the lines between their common
        beginning and end."""
        old_lines, new_lines = split_lines(linted.text), split_lines(new)
        head = 0
        while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
            head += 1
        tail = 0
        while (
            tail < min(len(old_lines), len(new_lines)) - head and old_lines[-1 - tail] == new_lines[-1 - tail]
        ):
            tail += 1
        content = "".join(new_lines[head : len(new_lines) - tail])
        start = types.Position(line=head, character=0)
        end_line = len(old_lines) - tail
        end = types.Position(line=end_line, character=0)
        if end_line == len(old_lines) and old_lines and not old_lines[-1].endswith(("\n", "\r")):
            # The last line has no line ending: the range ends at its end.
            end = self.position(linted.lines, end_line, len(linted.lines[-1]) + 1)
        return [types.TextEdit(range=types.Range(start=start, end=end), new_text=content)]

    def workspace_edit(self, linted: Linted, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        return types.WorkspaceEdit(changes={linted.uri: edits})

    # Code actions -------------------------------------------------------------------------

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        linted = await self.current(uri)
        if linted is None:
            return []
        only = params.context.only

        def wanted(kind: str) -> bool:
            return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)

        actions: list[types.CodeAction] = []
        first, last = params.range.start.line + 1, params.range.end.line + 1
        here = [
            d
            for d in linted.diagnostics
            if d.start.row <= last and d.end.row >= first and d.code not in (SYNTAX_ERROR, INTERNAL_ERROR)
        ]
        if wanted(types.CodeActionKind.QuickFix):
            for d in here:
                lsp_diagnostic = self.to_lsp(linted, d)
                action = self.quick_fix(linted, d, lsp_diagnostic)
                if action is not None:
                    actions.append(action)
            for d in here:
                suppress = self.suppress(linted, d)
                if suppress is not None:
                    actions.append(suppress)
        if wanted(FIX_ALL_KIND) and any(d.fixable(False) for d in linted.diagnostics):
            loop = asyncio.get_running_loop()
            new = await loop.run_in_executor(self.linter, self.fix_all, linted)
            current = await self.current(uri)
            if new is not None and current is linted:
                actions.append(
                    types.CodeAction(
                        title="asynclint: fix all safe problems",
                        kind=FIX_ALL_KIND,
                        edit=self.workspace_edit(linted, self.replace_edit(linted, new)),
                    )
                )
        return actions

    def quick_fix(self, linted: Linted, d: Diagnostic, lsp: types.Diagnostic) -> types.CodeAction | None:
        fix = d.fix
        if fix is None or not fix.edits or not compiles(linted.text, fix.edits, linted.path):
            return None
        unsafe = fix.applicability == "unsafe"
        title = f"{d.code}: {fix.message}" + (" (unsafe)" if unsafe else "")
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp],
            is_preferred=not unsafe,
            edit=self.workspace_edit(linted, self.text_edits(linted, fix.edits)),
        )

    def suppress(self, linted: Linted, d: Diagnostic) -> types.CodeAction | None:
        from asynclint.addnoqa import noqa_text

        new, changed, _ = noqa_text(linted.text, [d])
        if not changed:
            return None
        return types.CodeAction(
            title=f"{d.code}: suppress with `# noqa: {d.code}`",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[self.to_lsp(linted, d)],
            edit=self.workspace_edit(linted, self.replace_edit(linted, new)),
        )

    def fix_all(self, linted: Linted) -> str | None:
        """The document with every safe fix applied, as `asynclint --fix` would write it
        (None when nothing changes)."""
        from asynclint.fixer import fix_text

        request = linted.runner.request(linted.text, linted.path)
        outcome = fix_text(request, unsafe=False)
        for failure in outcome.failures:
            self.log(failure, types.MessageType.Warning)
        return outcome.text if outcome.text != linted.text else None

    # Hover ---------------------------------------------------------------------------------

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        linted = self.linted.get(params.text_document.uri)
        if linted is None:
            return None
        at = params.position
        codes: dict[str, None] = {}
        for d in linted.diagnostics:
            lsp_range = self.to_lsp(linted, d).range
            if contains(lsp_range, at):
                codes[d.code] = None
        if not codes:
            return None
        texts = [explanation(code) for code in codes]
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(texts))
        )


def contains(r: types.Range, at: types.Position) -> bool:
    start, end = (r.start.line, r.start.character), (r.end.line, r.end.character)
    if start == end:  # a point (ASL001): its whole line
        return at.line == r.start.line
    return start <= (at.line, at.character) <= end


def compiles(text: str, edits: Sequence[Edit], path: str) -> bool:
    """Whether `text` with `edits` applied still compiles (a quick fix is offered only then)."""
    from asynclint.fixes import apply_edits

    try:
        new = apply_edits(text, list(edits))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(new, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def explanation(code: str) -> str:
    from asynclint.registry import discover

    cls = discover().get(code)
    return cls.documentation() if cls is not None else code


def docs_base_url() -> str | None:
    """The rules page on the project's repository, from the installed package's
    `[project.urls]` (`Repository`, `Source` or `Homepage` on GitHub), or None."""
    from importlib import metadata

    try:
        urls = metadata.metadata("asynclint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    by_label = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        by_label[label.strip().lower()] = url.strip().rstrip("/")
    for label in ("documentation", "repository", "source", "homepage"):
        url = by_label.get(label)
        if url and url.startswith("https://github.com/"):
            return f"{url}/blob/main/docs/rules.md"
    return None


def _guard(
    server: AsynclintServer, what: str, default: T
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A handler that logs a fault of asynclint's and answers `default`, never raising."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(func):

            async def run_async(params: Any) -> Any:
                try:
                    return await func(params)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    server.log_exception(f"in {what}", exc)
                    return default

            return run_async

        def run(params: Any) -> Any:
            try:
                return func(params)
            except Exception as exc:
                server.log_exception(f"in {what}", exc)
                return default

        return run

    return wrap


def create_server() -> AsynclintServer:
    server = AsynclintServer()

    @server.feature(types.INITIALIZED)
    @_guard(server, "initialized", None)
    async def initialized(params: types.InitializedParams) -> None:
        options = server.protocol.client_capabilities
        init = server.init_options
        if isinstance(init, dict) and isinstance(init.get("debounce"), (int, float)):
            server.debounce = max(0.0, float(init["debounce"]) / 1000)
        watched = options.workspace.did_change_watched_files if options.workspace else None
        if watched is not None and watched.dynamic_registration:
            await server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="asynclint-config",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[
                                    types.FileSystemWatcher(glob_pattern=f"**/{name}")
                                    for name in (*CONFIG_FILES, "*.py")
                                ]
                            ),
                        )
                    ]
                )
            )

    @server.feature(types.INITIALIZE)
    @_guard(server, "initialize", None)
    def initialize(params: types.InitializeParams) -> None:
        server.init_options = params.initialization_options

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @_guard(server, "didOpen", None)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        if document.language_id == "python" or document.uri.endswith((".py", ".pyi")):
            server.documents.add(document.uri)
            server.schedule(document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @_guard(server, "didChange", None)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in server.documents:
            server.schedule(uri, server.change_delay(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @_guard(server, "didSave", None)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if os.path.basename(server.path_of(uri)) in CONFIG_FILES:
            server.reload_config()
            return
        # Another file's change can change what a document's cross-module findings are.
        server.note_saved([server.path_of(uri)])
        server.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @_guard(server, "didClose", None)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.documents.discard(uri)
        server.last_change.pop(uri, None)
        for key in list(server.answers):  # (a copy: the lint thread may add to it)
            if key[0] == uri:
                server.answers.pop(key, None)
        task = server.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        server.linted.pop(uri, None)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @_guard(server, "didChangeWatchedFiles", None)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        paths = [server.path_of(change.uri) for change in params.changes]
        if any(os.path.basename(path) in CONFIG_FILES for path in paths):
            server.reload_config()
            return
        changed = [path for path in paths if path.endswith((".py", ".pyi"))]
        if changed:
            # A checkout changes many files at once: one lint after them.
            server.note_saved(changed)
            server.relint_all(server.debounce)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @_guard(server, "didChangeConfiguration", None)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        server.reload_config()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    @_guard(server, "codeAction", [])
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return await server.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @_guard(server, "hover", None)
    def hover(params: types.HoverParams) -> types.Hover | None:
        return server.hover(params)

    return server


def warm_up() -> None:
    """Import libcst and every rule, and lint a small module once, so that the first
    document is linted as fast as the next ones."""
    from asynclint.registry import discover, selected_codes

    discover()
    settings = Settings(file_timeout=0)
    runner = Runner(settings, jobs=1, use_cache=False)
    code = "import asyncio\nimport time\n\n\nasync def f():\n    time.sleep(1)\n    await asyncio.sleep(0)\n"
    runner.check_text(code, "<warm-up>")
    selected_codes(settings)


def _print_help() -> None:
    print(
        "usage: asynclint server\n\n"
        "Run the asynclint language server over standard input and output (for editors;\n"
        "see docs/editors.md). Each document is linted with the pyproject.toml of its\n"
        "workspace folder."
    )


def main(args: Sequence[str]) -> int:
    """`asynclint server [--help]`."""
    if any(a in ("-h", "--help") for a in args):
        with contextlib.suppress(BrokenPipeError):
            _print_help()
        return 0
    if args:
        print(f"asynclint server: error: unexpected argument {args[0]!r}", file=sys.stderr)
        return 2
    warm_up()
    create_server().start_io()
    return 0


__all__ = ["AsynclintServer", "create_server", "main"]
