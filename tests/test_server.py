"""`asynclint server` driven over standard input and output by a real LSP client (pygls's),
as an editor drives it: initialize, open, diagnostics, code actions, apply the edit, change,
diagnostics again; a syntax error; a configuration change; hover."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import asynclint_command
from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

from asynclint.diagnostics import Edit, Location

TIMEOUT = 60

BAD = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
#: One quick fix: the diagnostic's own edits (the import it adds, in isort's place).
FIXED = "import asyncio\nimport time\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
#: "Fix all": the fixer's whole run, which also removes the import the fix left unused.
ALL_FIXED = "import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("asynclint-test", "1")
        self.published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()
        self.logs: list[str] = []
        self.published_uris: list[str] = []
        self.registrations: list[types.Registration] = []

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.put_nowait(params)
            self.published_uris.append(params.uri)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            self.logs.append(params.message)

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)

    async def diagnostics(self, uri: str, version: int | None = None) -> list[types.Diagnostic]:
        """The next diagnostics published for `uri` (for `version`, when given)."""
        while True:
            params = await asyncio.wait_for(self.published.get(), TIMEOUT)
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=version, text=text
                )
            )
        )

    def change(self, uri: str, text: str, version: int) -> None:
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def actions(
        self, uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None
    ) -> list[types.CodeAction]:
        line = diagnostics[0].range.start.line if diagnostics else 0
        result = await self.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
                ),
                context=types.CodeActionContext(diagnostics=diagnostics, only=only),
            )
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]


def run_session(
    workspace: Path, body: Callable[[Client], Awaitable[None]], command: list[str] | None = None
) -> Client:
    async def session() -> Client:
        client = Client()
        await client.start_io(
            *(command or [*asynclint_command(), "server"]), cwd=str(workspace), env=dict(os.environ)
        )
        initialize = client.initialize_async(
            types.InitializeParams(
                process_id=os.getpid(),
                root_uri=from_fs_path(str(workspace)),
                workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(workspace)) or "", name="ws")],
                capabilities=types.ClientCapabilities(
                    workspace=types.WorkspaceClientCapabilities(
                        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                            dynamic_registration=True
                        )
                    )
                ),
            )
        )
        await asyncio.wait_for(initialize, TIMEOUT)
        client.initialized(types.InitializedParams())
        try:
            await body(client)
        finally:
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
            await asyncio.wait_for(client.stop(), TIMEOUT)
        return client

    return asyncio.run(session())


def utf16_offset(text: str, position: types.Position) -> int:
    lines = text.splitlines(keepends=True)  # the test texts hold only \n line endings
    offset = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(line)


def apply(text: str, action: types.CodeAction, uri: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    edits = action.edit.changes[uri]
    spans = sorted(
        ((utf16_offset(text, e.range.start), utf16_offset(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    return tmp_path


def test_diagnostics_quick_fix_and_cleared(workspace: Path) -> None:
    path = workspace / "bad.py"
    path.write_text(BAD)
    uri = from_fs_path(str(path)) or ""
    found: dict[str, Any] = {}

    async def body(client: Client) -> None:
        client.open(uri, BAD)
        diagnostics = await client.diagnostics(uri)
        assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [
            ("ASL101", 4, 4)
        ]
        assert diagnostics[0].source == "asynclint"
        actions = await client.actions(uri, diagnostics)
        titles = [a.title for a in actions]
        assert titles == [
            "ASL101: Replace with `await asyncio.sleep(...)`",
            "ASL101: suppress with `# noqa: ASL101`",
            "asynclint: fix all safe problems",
        ], titles
        fix, suppress, _ = actions
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=4, character=6),
            )
        )
        assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
        fixed = apply(BAD, fix, uri)
        assert fixed == FIXED
        client.change(uri, fixed, 2)
        found["after_fix"] = await client.diagnostics(uri, 2)
        suppressed = apply(BAD, suppress, uri)
        assert suppressed == BAD.replace("time.sleep(1)\n", "time.sleep(1)  # noqa: ASL101\n")
        client.change(uri, suppressed, 3)
        found["after_noqa"] = await client.diagnostics(uri, 3)
        client.change(uri, BAD, 4)
        await client.diagnostics(uri, 4)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        found["hover"] = hover.contents.value
        fix_all = await client.actions(uri, [], only=[types.CodeActionKind.SourceFixAll])
        assert [a.kind for a in fix_all] == ["source.fixAll.asynclint"]
        assert apply(BAD, fix_all[0], uri) == ALL_FIXED

    run_session(workspace, body)
    assert found["after_fix"] == []
    assert found["after_noqa"] == []
    assert "## What it does" in found["hover"] or "What it does" in found["hover"]


def test_positions_are_utf16_on_non_ascii_lines(workspace: Path) -> None:
    code = 'import time\n\n\nasync def poll():\n    s = "😀é"; time.sleep(1)\n    return s\n'
    uri = from_fs_path(str(workspace / "emoji.py")) or ""

    async def body(client: Client) -> None:
        client.open(uri, code)
        diagnostics = await client.diagnostics(uri)
        assert len(diagnostics) == 1
        start, end = diagnostics[0].range.start, diagnostics[0].range.end
        # `time` is the 15th character; the emoji takes two UTF-16 units.
        assert (start.line, start.character) == (4, 15)
        assert (end.line, end.character) == (4, 28)

    run_session(workspace, body)


def test_syntax_error_then_recovery(workspace: Path) -> None:
    uri = from_fs_path(str(workspace / "broken.py")) or ""

    async def body(client: Client) -> None:
        client.open(uri, "async def f(:\n    pass\n")
        diagnostics = await client.diagnostics(uri)
        assert [d.code for d in diagnostics] == ["ASL001"]
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error
        assert await client.actions(uri, diagnostics) == []
        client.change(uri, BAD, 2)
        assert [d.code for d in await client.diagnostics(uri, 2)] == ["ASL101"]

    run_session(workspace, body)


def test_configuration_change_is_picked_up(workspace: Path) -> None:
    uri = from_fs_path(str(workspace / "bad.py")) or ""
    config = workspace / "pyproject.toml"

    async def body(client: Client) -> None:
        client.open(uri, BAD)
        assert [d.code for d in await client.diagnostics(uri)] == ["ASL101"]
        assert [r.method for r in client.registrations] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        config.write_text('[project]\nname = "demo"\n\n[tool.asynclint]\nignore = ["ASL101"]\n')
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=from_fs_path(str(config)) or "", type=types.FileChangeType.Changed)
                ]
            )
        )
        assert await client.diagnostics(uri) == []
        config.write_text('[tool.asynclint]\nselect = ["NOT A CODE"]\n')
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=from_fs_path(str(config)) or "", type=types.FileChangeType.Changed)
                ]
            )
        )
        # A broken configuration is shown to the user; the defaults are used meanwhile.
        assert [d.code for d in await client.diagnostics(uri)] == ["ASL101"]
        # Saved in the editor: the configuration is read again; the file itself is not linted.
        config_uri = from_fs_path(str(config)) or ""
        config_text = '[tool.asynclint]\nignore = ["ASL1"]\n'
        config.write_text(config_text)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=config_uri, language_id="toml", version=1, text=config_text
                )
            )
        )
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config_uri))
        )
        assert await client.diagnostics(uri) == []
        assert config_uri not in client.published_uris

    client = run_session(workspace, body)
    assert any("configuration error" in message for message in client.logs), client.logs


HELPER_BLOCKS = "import time\n\n\ndef pause():\n    time.sleep(1)\n"
HELPER_FINE = "def pause():\n    return None\n"
APP = "from lib.helpers import pause\n\n\nasync def handler():\n    pause()\n"


def test_cross_module_finding_follows_the_saved_helper(workspace: Path) -> None:
    """ASL116 comes from the project model: the helper in another file blocks. Saving that
    file (in the editor, or written by a tool and reported as changed) updates the finding
    in the open document; unsaved edits of the helper do not count, as for the command line."""
    (workspace / "lib").mkdir()
    (workspace / "lib" / "__init__.py").write_text("")
    helper = workspace / "lib" / "helpers.py"
    helper.write_text(HELPER_BLOCKS)
    (workspace / "app.py").write_text(APP)
    uri = from_fs_path(str(workspace / "app.py")) or ""
    helper_uri = from_fs_path(str(helper)) or ""

    def save(client: Client) -> None:
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=helper_uri))
        )

    async def app_codes(client: Client, expected: list[str]) -> list[str] | None:
        """The codes of the app's diagnostics once they are `expected` (else the last ones
        published in time, None when none were)."""
        codes: list[str] | None = None
        try:
            while codes != expected:
                codes = [str(d.code) for d in await asyncio.wait_for(client.diagnostics(uri), 10)]
        except TimeoutError:
            pass
        return codes

    async def body(client: Client) -> None:
        client.open(uri, APP)
        found = await client.diagnostics(uri)
        assert [(d.code, d.range.start.line) for d in found] == [("ASL116", 4)]
        assert "pause() (lib/helpers.py:4) → time.sleep() (lib/helpers.py:5)" in found[0].message
        client.open(helper_uri, HELPER_BLOCKS)
        # An unsaved edit of the helper: the finding stands.
        client.change(helper_uri, HELPER_FINE, 2)
        await asyncio.sleep(0.3)
        helper.write_text(HELPER_FINE)
        save(client)
        assert await app_codes(client, []) == []
        # Changed on disk by another tool (a checkout): the watched-files notice.
        helper.write_text(HELPER_BLOCKS)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=helper_uri, type=types.FileChangeType.Changed)]
            )
        )
        assert await app_codes(client, ["ASL116"]) == ["ASL116"]

    run_session(workspace, body)


def test_unsafe_fix_is_labelled_and_not_preferred(workspace: Path) -> None:
    code = "import requests\n\n\nasync def get(url):\n    requests.get(url, timeout=5)\n"
    uri = from_fs_path(str(workspace / "unsafe.py")) or ""
    seen: list[types.CodeAction] = []

    async def body(client: Client) -> None:
        client.open(uri, code)
        diagnostics = await client.diagnostics(uri)
        seen.extend(await client.actions(uri, diagnostics))

    run_session(workspace, body)
    fixes = [a for a in seen if "suppress" not in a.title]
    assert fixes, [a.title for a in seen]
    assert all(a.title.endswith("(unsafe)") and not a.is_preferred for a in fixes), [a.title for a in fixes]


EXPLODING_SERVER = """
import sys
from asynclint.runner import Runner
from asynclint.server import main

original = Runner.check_text

def check_text(self, text, filename, **kwargs):
    if "EXPLODE" in text:
        raise ZeroDivisionError("boom")
    return original(self, text, filename, **kwargs)

Runner.check_text = check_text
sys.exit(main([]))
"""


def test_internal_error_is_logged_and_the_server_stays_up(workspace: Path) -> None:
    uri = from_fs_path(str(workspace / "bad.py")) or ""

    async def body(client: Client) -> None:
        client.open(uri, BAD)
        assert [d.code for d in await client.diagnostics(uri)] == ["ASL101"]
        client.change(uri, BAD + "# EXPLODE\n", 2)
        for _ in range(200):
            if any("ZeroDivisionError: boom" in message for message in client.logs):
                break
            await asyncio.sleep(0.05)
        assert client.published.empty()  # the earlier diagnostics stand
        client.change(uri, BAD + "x = 1\n", 3)
        assert [d.code for d in await client.diagnostics(uri, 3)] == ["ASL101"]

    client = run_session(workspace, body, [sys.executable, "-c", EXPLODING_SERVER])
    assert any("internal error" in m and "ZeroDivisionError: boom" in m for m in client.logs), client.logs


def test_without_pygls_the_extra_is_named(tmp_path: Path) -> None:
    import subprocess

    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls.py").write_text("raise ImportError('blocked for the test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "server"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 2
    assert "pip install 'asynclint[server]'" in proc.stderr


def test_conversions_in_process() -> None:
    """Rows and columns past the end of the text, and a last line without a line ending."""
    from asynclint.server import AsynclintServer, Linted
    from asynclint.settings import Settings

    server = AsynclintServer()
    from asynclint.runner import Runner

    text = "x = 'é'\ny = 1"
    linted = Linted("file:///x.py", 1, text, "/x.py", Settings(), Runner(Settings(), jobs=1, use_cache=False))
    edits = server.text_edits(linted, [Edit(Location(1, 6), Location(1, 8), "'a'")])
    assert edits[0].range.start == types.Position(line=0, character=5)
    assert edits[0].range.end == types.Position(line=0, character=7)
    [whole] = server.replace_edit(linted, "x = 'é'\ny = 2")
    assert whole.range.start == types.Position(line=1, character=0)
    assert whole.range.end == types.Position(line=1, character=5)
    assert whole.new_text == "y = 2"


@pytest.mark.parametrize("text", ["a = 1\nb = 2\n", "a = 1\nb = 2", "", "a = 1\n\n\n", "a = 1\r\nb = 2\n"])
def test_ascii_shortcut_gives_the_codecs_positions(text: str) -> None:
    """An ASCII text with `\\n` line endings is converted without splitting it into lines:
    the same ranges as the general conversion, past the end of the text too."""
    from asynclint.runner import Runner
    from asynclint.server import AsynclintServer, Linted
    from asynclint.settings import Settings

    server = AsynclintServer()
    runner = Runner(Settings(), jobs=1, use_cache=False)
    linted = Linted("file:///x.py", 1, text, "/x.py", Settings(), runner)
    assert linted.simple == ("\r" not in text)
    for start in [(1, 1), (1, 4), (2, 3), (3, 1), (4, 1), (9, 2)]:
        for end in [start, (start[0], start[1] + 2), (start[0] + 1, 1)]:
            assert server.linted_range(linted, start, end) == server.range(linted.lines, start, end)


def test_code_links_to_the_rule_on_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    from email.message import Message
    from importlib import metadata

    from asynclint import server as server_module
    from asynclint.diagnostics import Diagnostic
    from asynclint.runner import Runner
    from asynclint.settings import Settings

    found = Message()
    found["Project-URL"] = "Repository, https://github.com/example/asynclint/"
    monkeypatch.setattr(metadata, "metadata", lambda name: found)
    assert server_module.docs_base_url() == "https://github.com/example/asynclint/blob/main/docs/rules.md"
    server = server_module.AsynclintServer()
    linted = server_module.Linted("file:///x.py", 1, "x\n", "/x.py", Settings(), Runner(Settings(), jobs=1))
    d = Diagnostic("ASL101", "blocking-sleep", "m", "/x.py", Location(1, 1), Location(1, 2))
    lsp = server.to_lsp(linted, d)
    assert lsp.code_description is not None
    assert lsp.code_description.href == (
        "https://github.com/example/asynclint/blob/main/docs/rules.md#asl101-blocking-sleep"
    )
    found.replace_header("Project-URL", "Homepage, https://example.org")
    assert server_module.docs_base_url() is None


def test_answers_of_the_last_lint_spare_the_second_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that asks the project model questions is linted, then linted again with the
    answers; given the answers of its last lint (what the server keeps per document), an
    edit that does not change them is linted once, with the same findings."""
    from asynclint import runner as runner_module
    from asynclint.runner import Runner
    from asynclint.settings import Settings

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "helpers.py").write_text("async def fetch():\n    return 1\n")
    app = tmp_path / "app.py"
    code = "from lib.helpers import fetch\n\n\nasync def handler():\n    fetch()\n"
    app.write_text(code)
    monkeypatch.chdir(tmp_path)
    lints: list[object] = []
    real = runner_module.lint

    def counting(request: Any) -> Any:
        if request.path == str(app):  # not the summaries of the other modules
            lints.append(request.answers)
        return real(request)

    monkeypatch.setattr(runner_module, "lint", counting)
    runner = Runner(Settings(project_root=str(tmp_path), file_timeout=0), jobs=1, use_cache=False)
    first = runner.check_text(code, str(app))
    assert len(lints) == 2 and lints[0] is None  # asked, then answered
    assert first.answers
    lints.clear()
    edited = code + "\n\nX = 1\n"
    again = runner.check_text(edited, str(app), answers=first.answers)
    assert len(lints) == 1
    assert [(d.code, d.start) for d in again.diagnostics] == [(d.code, d.start) for d in first.diagnostics]
    assert [d.code for d in first.diagnostics] == ["ASL205"]  # fetch() is a coroutine not awaited
    # Answers that no longer hold (another helper) are replaced: linted again.
    lints.clear()
    stale = {key: not value if isinstance(value, bool) else value for key, value in first.answers.items()}
    assert runner.check_text(edited, str(app), answers=stale).diagnostics == again.diagnostics
    assert len(lints) == 2


def test_a_module_created_after_the_first_lint_joins_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's runner keeps the project's modules between lints; a file saved for the
    first time (`refresh_module`, as on didSave) is found at the next lint, and a deleted
    one is gone."""
    from asynclint.runner import Runner
    from asynclint.settings import Settings

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    app = tmp_path / "app.py"
    app.write_text(APP)
    monkeypatch.chdir(tmp_path)
    runner = Runner(Settings(project_root=str(tmp_path), file_timeout=0), jobs=1, use_cache=False)
    assert runner.check_text(APP, str(app)).diagnostics == []
    helper = tmp_path / "lib" / "helpers.py"
    helper.write_text(HELPER_BLOCKS)
    assert runner.check_text(APP, str(app)).diagnostics == []  # not told yet: kept as it was
    runner.refresh_module(str(helper))
    assert [d.code for d in runner.check_text(APP, str(app)).diagnostics] == ["ASL116"]
    helper.unlink()
    runner.refresh_module(str(helper))
    assert runner.check_text(APP, str(app)).diagnostics == []
