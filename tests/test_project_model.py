"""The project model: a run of some files of a project (one file named, pre-commit's staged
files, the flake8 plugin, standard input) sees the project's other modules, and reports what
a run of the whole project reports for the files it names."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, asynclint_command, run_cli

from asynclint.project import PROJECT_CODES, ProjectIndex, find_project
from asynclint.runner import Runner
from asynclint.settings import Settings

HELPERS = """\
import requests


def read_settings(path):
    response = requests.get(path, timeout=5)
    return response.json()


def load_config():
    return read_settings("settings.json")


def pure():
    return 1
"""

CALLER = """\
from app.helpers import load_config, pure


async def start():
    pure()
    return load_config()
"""

OTHER = """\
from app import helpers


async def other():
    return helpers.load_config()
"""


# What the project model tells other rules: a type and a coroutine function of another module.
TYPED = """\
import requests


def session() -> requests.Session:
    return requests.Session()


async def fetch(key):
    return await backend.get(key)


backend = None
"""

TYPED_USE = """\
from app.typed import fetch, session


async def run():
    session().get("https://example.org", timeout=5)
    fetch("a")
"""

#: The model's findings in user.py: (line, code).
TYPED_USE_FINDINGS = [(5, "ASL102"), (6, "ASL205")]


def model_findings(output: str, name: str = "src/app/user.py") -> list[tuple[int, str]]:
    """(line, code) of the findings in `name` reported in flake8 or concise output."""
    found = []
    for line in output.splitlines():
        if line.startswith(name + ":"):
            parts = line.split(":")
            found.append((int(parts[1]), parts[3].split()[0]))
    return sorted(found)


def make_project(root: Path, marker: str = "pyproject.toml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if marker == ".git":
        (root / ".git").mkdir()
    else:
        (root / marker).write_text("", encoding="utf-8")
    package = root / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (package / "caller.py").write_text(CALLER, encoding="utf-8")
    (package / "other.py").write_text(OTHER, encoding="utf-8")
    (package / "typed.py").write_text(TYPED, encoding="utf-8")
    (package / "user.py").write_text(TYPED_USE, encoding="utf-8")
    return root


def asl116(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if " ASL116 " in line)


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py", ".git"])
def test_one_file_sees_the_helper_in_another_module(tmp_path: Path, marker: str) -> None:
    root = make_project(tmp_path, marker)
    one = run_cli("--no-cache", "src/app/caller.py", cwd=root)
    assert one.returncode == 1, one.stdout + one.stderr
    assert asl116(one.stdout) == [
        "src/app/caller.py:6:12: ASL116 `load_config()` blocks the event loop in `async def start`: "
        "load_config() (src/app/helpers.py:9) → read_settings() (src/app/helpers.py:4) "
        "→ requests.get() (src/app/helpers.py:5) (2 calls deep); "
        "run it with `await asyncio.to_thread(load_config, ...)` or make it async"
    ]
    # Only the named file is linted and reported.
    assert all(line.startswith("src/app/caller.py:") for line in one.stdout.splitlines()[:-1])
    assert "1 parsed" in run_cli("--no-cache", "-v", "src/app/caller.py", cwd=root).stderr


def test_subset_runs_report_what_the_whole_project_run_reports(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    whole = asl116(run_cli("--no-cache", ".", cwd=root).stdout)
    assert len(whole) == 2
    caller = run_cli("--no-cache", "src/app/caller.py", cwd=root).stdout
    other = run_cli("--no-cache", "src/app/other.py", cwd=root).stdout
    assert sorted(asl116(caller) + asl116(other)) == whole
    both = run_cli("--no-cache", "src/app/caller.py", "src/app/other.py", cwd=root).stdout
    assert asl116(both) == whole
    # From another folder, with the paths as written.
    outside = run_cli("--no-cache", str(root / "src/app/caller.py"), cwd=root.parent).stdout
    assert [line.split(":", 1)[1] for line in asl116(outside)] == [
        line.split(":", 1)[1] for line in asl116(caller)
    ]


def test_model_findings_are_the_same_in_every_front_end(tmp_path: Path) -> None:
    """A type (ASL102 on the `requests.Session` a helper returns) and a coroutine function (ASL205) of
    another module, seen from the whole run, one file, standard input, the flake8 plugin
    and the pre-commit hook's command on the file alone."""
    from test_flake8 import run_flake8

    root = make_project(tmp_path)
    assert model_findings(run_cli("--no-cache", ".", cwd=root).stdout) == TYPED_USE_FINDINGS
    assert model_findings(run_cli("--no-cache", "src/app/user.py", cwd=root).stdout) == TYPED_USE_FINDINGS
    stdin = run_cli(
        "--no-cache", "--stdin-filename", "src/app/user.py", "-", cwd=root, stdin=TYPED_USE.encode()
    )
    assert model_findings(stdin.stdout) == TYPED_USE_FINDINGS
    flake8 = run_flake8("--select", "ASL", "src/app/user.py", cwd=root)
    assert model_findings(flake8.stdout) == TYPED_USE_FINDINGS, flake8.stdout + flake8.stderr
    command = [*asynclint_command(), *_hook_command("asynclint"), "src/app/user.py"]
    hook = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert model_findings(hook.stdout) == TYPED_USE_FINDINGS, hook.stdout + hook.stderr
    # Cached: a warm run gives the same, and follows a change of the other module.
    assert model_findings(run_cli("src/app/user.py", cwd=root).stdout) == TYPED_USE_FINDINGS
    assert model_findings(run_cli("src/app/user.py", cwd=root).stdout) == TYPED_USE_FINDINGS
    typed = root / "src/app/typed.py"
    typed.write_text(
        TYPED.replace("-> requests.Session", "-> str").replace("async def fetch", "def fetch"),
        encoding="utf-8",
    )
    assert model_findings(run_cli("src/app/user.py", cwd=root).stdout) == []
    assert model_findings(run_cli(".", cwd=root).stdout) == []


def test_a_fix_is_built_on_the_project_model(tmp_path: Path) -> None:
    """`--fix` awaits a coroutine function of another module (ASL205's safe fix); a run
    on the file alone and a whole run fix the same."""
    root = make_project(tmp_path)
    proc = run_cli("--fix", "src/app/user.py", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert '    await fetch("a")\n' in (root / "src/app/user.py").read_text(encoding="utf-8")
    assert (root / "src/app/typed.py").read_text(encoding="utf-8") == TYPED
    stdin = run_cli("--fix", "--stdin-filename", "src/app/user.py", "-", cwd=root, stdin=TYPED_USE.encode())
    assert '    await fetch("a")\n' in stdin.stdout


def test_a_cached_index_follows_changes_of_the_helpers(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    helpers = root / "src/app/helpers.py"
    first = run_cli("-v", "src/app/caller.py", cwd=root)  # cold: the other modules summarised
    assert len(asl116(first.stdout)) == 1
    assert "1 parsed" in first.stderr
    warm = run_cli("-v", "src/app/caller.py", cwd=root)
    assert asl116(warm.stdout) == asl116(first.stdout)
    assert "0 parsed, 1 from cache" in warm.stderr
    helpers.write_text(HELPERS.replace("requests.get(path, timeout=5)", "path"), encoding="utf-8")
    assert asl116(run_cli("src/app/caller.py", cwd=root).stdout) == []
    helpers.write_text(HELPERS, encoding="utf-8")
    assert len(asl116(run_cli("src/app/caller.py", cwd=root).stdout)) == 1
    # A subset run's cached project phase must not shorten a later whole run's.
    assert len(asl116(run_cli(".", cwd=root).stdout)) == 2
    assert len(asl116(run_cli("src/app/other.py", cwd=root).stdout)) == 1


def test_summarised_modules_are_cached_without_findings(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "src/app/bad.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    run_cli("src/app/caller.py", cwd=root)
    folder = root / ".asynclint_cache" / "asynclint-v1"
    (results,) = folder.glob("results-*.json")
    data = json.loads(results.read_text(encoding="utf-8"))
    assert set(data["files"]) == {str(root / "src/app/caller.py")}
    assert str(root / "src/app/helpers.py") in data["summaries"]
    # The summarised file is linted in full when it is named, and reports its finding.
    proc = run_cli("-v", "src/app/bad.py", cwd=root)
    assert "src/app/bad.py:5:5: ASL101" in proc.stdout
    assert "1 parsed" in proc.stderr


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_fixing_one_file_leaves_the_summarised_modules_alone(tmp_path: Path, mode: str) -> None:
    root = make_project(tmp_path)
    bad = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
    (root / "src/app/bad.py").write_text(bad, encoding="utf-8")
    proc = run_cli(mode, "--no-cache", "src/app/caller.py", cwd=root)
    if mode == "--fix":
        assert len(asl116(proc.stdout)) == 1, proc.stdout + proc.stderr
    assert "bad.py" not in proc.stdout + proc.stderr
    assert (root / "src/app/bad.py").read_text(encoding="utf-8") == bad


def test_a_file_outside_any_project_works_as_before(tmp_path: Path) -> None:
    if find_project(str(tmp_path)) is not None:
        pytest.skip("the temporary folder is inside a project")
    (tmp_path / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (tmp_path / "caller.py").write_text(CALLER.replace("app.helpers", "helpers"), encoding="utf-8")
    assert asl116(run_cli("--no-cache", "caller.py", cwd=tmp_path).stdout) == []
    assert len(asl116(run_cli("--no-cache", ".", cwd=tmp_path).stdout)) == 1


def test_a_file_in_an_ignored_folder_is_not_part_of_the_project(tmp_path: Path) -> None:
    """A downloaded or vendored tree inside a project (`.gitignore`d) is a world of its own:
    the project's modules are not summarised for it."""
    root = make_project(tmp_path)
    (root / ".gitignore").write_text("/vendor/\n")
    (root / "vendor").mkdir()
    (root / "vendor" / "caller.py").write_text(CALLER)
    (root / "vendor" / "helpers.py").write_text("def load_config():\n    return 1\n")
    assert asl116(run_cli("--no-cache", "vendor/caller.py", cwd=root).stdout) == []
    assert asl116(run_cli("--no-cache", "vendor", cwd=root).stdout) == []
    assert (
        asl116(
            run_cli(
                "--no-cache", "--stdin-filename", "vendor/caller.py", "-", cwd=root, stdin=CALLER.encode()
            ).stdout
        )
        == []
    )
    assert len(asl116(run_cli("--no-cache", "src/app/caller.py", cwd=root).stdout)) == 1


def test_stdin_with_its_file_name_sees_the_project(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    proc = run_cli(
        "--no-cache", "--stdin-filename", "src/app/caller.py", "-", cwd=root, stdin=CALLER.encode()
    )
    assert [line.split(" ASL116 ")[0] for line in asl116(proc.stdout)] == ["src/app/caller.py:6:12:"]
    # The text given, not the file on disk, is what the findings describe.
    edited = CALLER.replace("    return load_config()", "    return pure()")
    proc = run_cli(
        "--no-cache", "--stdin-filename", "src/app/caller.py", "-", cwd=root, stdin=edited.encode()
    )
    assert asl116(proc.stdout) == []


def test_flake8_on_one_file_sees_the_project(tmp_path: Path) -> None:
    from test_flake8 import run_flake8

    root = make_project(tmp_path)
    proc = run_flake8("--select", "ASL", "src/app/caller.py", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [line.split(" ")[:2] for line in proc.stdout.splitlines()] == [
        ["src/app/caller.py:6:12:", "ASL116"]
    ]
    # The summaries are cached for the next run (an editor runs flake8 on every save).
    (results,) = (root / ".asynclint_cache" / "asynclint-v1").glob("results-*.json")
    summaries = json.loads(results.read_text(encoding="utf-8"))["summaries"]
    assert str(root / "src/app/helpers.py") in summaries
    again = run_flake8("--select", "ASL", "src/app/caller.py", cwd=root)
    assert again.stdout == proc.stdout
    # Two files in one flake8 process: each sees the other modules.
    proc = run_flake8("--select", "ASL", "-j", "1", "src/app/caller.py", "src/app/other.py", cwd=root)
    assert sorted(line.split(" ")[0] for line in proc.stdout.splitlines()) == [
        "src/app/caller.py:6:12:",
        "src/app/other.py:5:12:",
    ]


def _hook_command(hook: str) -> list[str]:
    hooks = {
        h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    return shlex.split(str(hooks[hook]["entry"]))[1:]


def test_the_pre_commit_hook_command_on_the_staged_file_alone(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    command = [*asynclint_command(), *_hook_command("asynclint"), "src/app/caller.py"]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [line.split(" ")[:2] for line in asl116(proc.stdout)] == [["src/app/caller.py:6:12:", "ASL116"]]


@pytest.mark.slow
def test_real_pre_commit_with_only_the_staged_file(tmp_path: Path) -> None:
    from test_precommit import _pre_commit, _run

    inside = _run("git", "rev-parse", "--is-inside-work-tree", cwd=ROOT)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        pytest.skip("pre-commit try-repo needs this project to be a git checkout")
    root = make_project(tmp_path, ".git")
    os.rmdir(root / ".git")
    for command in (("git", "init", "-q"), ("git", "add", "."), ("git", "commit", "-qm", "start")):
        proc = _run(*command, cwd=root)
        assert proc.returncode == 0, proc.stderr
    caller = root / "src/app/caller.py"
    caller.write_text(CALLER + "\n\nasync def again():\n    return load_config()\n", encoding="utf-8")
    user = root / "src/app/user.py"
    user.write_text(TYPED_USE + '    session().post("https://example.org", timeout=5)\n', encoding="utf-8")
    assert _run("git", "add", "src/app/caller.py", "src/app/user.py", cwd=root).returncode == 0
    proc = _pre_commit("try-repo", str(ROOT), "asynclint", "--verbose", cwd=root)
    output = proc.stdout + proc.stderr
    if "Could not find a version" in output or "Failed to establish a new connection" in output:
        pytest.skip("pre-commit could not install the hook: the package index is unreachable")
    assert proc.returncode == 1, output
    assert "src/app/caller.py:6:12: ASL116" in output, output
    assert "src/app/caller.py:10:12: ASL116" in output, output
    # What the project model tells other rules, about modules that are not staged.
    assert "src/app/user.py:5:5: ASL102" in output, output
    assert "src/app/user.py:6:5: ASL205" in output, output
    assert "src/app/user.py:7:5: ASL102" in output, output


def test_the_runner_api_on_one_file_and_the_index(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    settings = Settings(project_root=str(root))
    run = Runner(settings, jobs=1, use_cache=False).check([str(root / "src/app/caller.py")])
    assert [d.code for d in run.diagnostics] == ["ASL116"]
    assert run.files == 1 and run.parsed == 1
    text = Runner(settings, jobs=1, use_cache=False).check_text(CALLER, str(root / "src/app/caller.py"))
    assert [d.code for d in text.diagnostics] == ["ASL116"]


def test_project_index_queries() -> None:
    from asynclint.project import FileSummary, Function

    helpers = FileSummary("app.helpers")
    helpers.functions["app.helpers.read"] = Function("read", False, "open")
    helpers.functions["app.helpers.load"] = Function("load", False, None, ["app.helpers.read"])
    package = FileSummary("app", aliases={"app.load": "app.helpers.load"})
    index = ProjectIndex({"helpers.py": helpers.to_facts(), "__init__.py": package.to_facts()})
    assert index.summary("app.helpers") is not None
    chain = index.reaches_blocking("app.load")
    assert chain is not None and chain.render() == "load() → read() → open()"
    assert index.reaches_blocking("app.helpers.missing") is None


def test_waits_only_chains_and_places() -> None:
    """A query for callers where file calls are quiet (test files, command-line code)
    follows only chains to other blocking calls; each hop carries its `path:line`."""
    from asynclint.project import FileSummary, Function, valid_facts

    helpers = FileSummary("app.helpers")
    helpers.functions["app.helpers.write"] = Function("write", False, "open", [], 3, "ASL105", 4)
    helpers.functions["app.helpers.wait"] = Function(
        "wait", False, "open", [], 7, "ASL105", 8, "time.sleep", 9
    )
    helpers.functions["app.helpers.both"] = Function(
        "both", False, None, ["app.helpers.write", "app.helpers.wait"], 12, cached=True
    )
    facts = helpers.to_facts()
    assert valid_facts(facts)
    stale = dict(facts, functions={q: f[:4] for q, f in facts["functions"].items()})
    assert not valid_facts(stale)
    index = ProjectIndex({"src/app/helpers.py": facts}, os.getcwd())
    assert index.reaches_blocking("app.helpers.write", waits=True) is None
    files = index.reaches_blocking("app.helpers.write")
    assert files is not None and files.code == "ASL105"
    assert files.render() == "write() (src/app/helpers.py:3) → open() (src/app/helpers.py:4)"
    waits = index.reaches_blocking("app.helpers.both", waits=True)
    assert waits is not None
    assert waits.render() == (
        "both() (src/app/helpers.py:12) → wait() (src/app/helpers.py:7) → time.sleep() (src/app/helpers.py:9)"
    )
    assert waits.cached == ("both",)


def test_project_codes_are_the_rules_with_a_project_phase() -> None:
    from asynclint import registry
    from asynclint.rule import Rule

    classes = registry.load(set(registry.rule_infos()))
    assert {
        c.code for c in classes if c.project_diagnostics.__func__ is not Rule.project_diagnostics.__func__
    } == (  # type: ignore[attr-defined]
        PROJECT_CODES
    )


def test_find_project(tmp_path: Path) -> None:
    root = make_project(tmp_path / "repo")
    assert find_project(str(root / "src" / "app")) == str(root)
    nested = root / "src" / "app" / "sub"
    nested.mkdir()
    (nested / "setup.py").write_text("")
    assert find_project(str(nested)) == str(nested)


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX paths in the expected output")


IO_HELPERS = """\
import asyncio

import httpx

_cache = {}


async def get_client():
    return _cache["client"]


async def build_url(path):
    return f"https://example.invalid/{path}"


async def make_config():
    url = await build_url("config")
    return {"url": url}


async def schedule(job):
    asyncio.create_task(job())


async def fetch(path):
    client = await get_client()
    return await client.get(await build_url(path))


async def via_fetch():
    return await fetch("a")


async def pause():
    await asyncio.sleep(1)


async def ping_pong(n):
    if n:
        return await pong(n - 1)
    return n


async def pong(n):
    return await ping_pong(n)


def some_decorator(function):
    return function


@some_decorator
async def decorated():
    return 1


class Store:
    async def cached(self):
        return self._value

    async def load(self):
        return await self.cached()

    @staticmethod
    async def static():
        return 1

    async def locked(self):
        async with self.lock:
            return 1

    async def each(self):
        return [item async for item in self.items]


class Sub(Store):
    async def reload(self):
        return await self.load()
"""


def _facts(files: dict[str, str]) -> dict[str, object]:
    from asynclint.engine import LintRequest, lint

    out = {}
    for module, text in files.items():
        request = LintRequest(
            text, f"{module}.py", f"{module}.py", Settings(), frozenset({"ASL116"}), module_name=module
        )
        out[f"{module}.py"] = lint(request).facts["ASL116"]
    return out


def test_reaches_io_tells_fetches_from_getters_builders_and_schedulers() -> None:
    caller = "from app.helpers import make_config as config, fetch\n\n\nasync def main():\n    return await config()\n"
    index = ProjectIndex(_facts({"app.helpers": IO_HELPERS, "app.caller": caller}))
    quiet = {
        "get_client",
        "build_url",
        "make_config",
        "schedule",
        "ping_pong",
        "pong",
        "Store.cached",
        "Store.load",
        "Store.static",
        "Sub.reload",
    }
    loud = {"fetch", "via_fetch", "pause", "decorated", "Store.locked", "Store.each"}
    for name in quiet:
        assert index.reaches_io(f"app.helpers.{name}") is False, name
    for name in loud:
        assert index.reaches_io(f"app.helpers.{name}") is True, name
    assert index.reaches_io("app.caller.config") is False  # through the import's alias
    assert index.reaches_io("app.caller.fetch") is True
    assert index.reaches_io("app.caller.main") is False
    assert index.reaches_io("app.helpers.some_decorator") is None  # not a coroutine function
    assert index.reaches_io("httpx.AsyncClient.get") is None
    # ASL116 is unchanged by coroutines in the index.
    assert index.reaches_blocking("app.helpers.fetch") is None


MODELS = """\
import contextlib
from pathlib import Path
from typing import AsyncIterator, Iterator, Optional

import aiohttp


class Config:
    def load(self) -> "Config":
        return self

    path: Path


class Data:
    name: str
    session: Optional[aiohttp.ClientSession]


class Holder:
    def __init__(self):
        self.cfg = Config()
        self.client: aiohttp.ClientSession = make_session()


class Child(Holder):
    pass


def make_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def untyped():
    return 1


async def fetch_config() -> Config:
    return Config()


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    yield Path(".")


@contextlib.asynccontextmanager
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    yield aiohttp.ClientSession()


class Managed:
    async def __aenter__(self) -> "Data":
        return Data()
"""


def test_types_through_the_model() -> None:
    package = "from app.models import make_session as new_session, Config, workdir\n"
    index = ProjectIndex(_facts({"app.models": MODELS, "app": package}))
    assert index.return_type("app.models.make_session") == "aiohttp.ClientSession"
    assert index.return_type("app.new_session") == "aiohttp.ClientSession"  # re-exported
    assert index.return_type("app.models.fetch_config") == "app.models.Config"  # awaited
    assert index.return_type("app.Config") == "app.models.Config"  # a class call
    assert index.return_type("app.models.Config.load") == "app.models.Config"
    assert index.return_type("app.models.untyped") is None
    assert index.return_type("app.models.workdir") is None  # a context manager, not a Path
    assert index.enter_type("app.workdir") == "pathlib.Path"
    assert index.enter_type("app.models.session") == "aiohttp.ClientSession"
    assert index.enter_type("app.models.Managed") == "app.models.Data"
    assert index.enter_type("app.models.make_session") is None
    assert index.attribute_type("app.models.Config", "path") == "pathlib.Path"
    assert index.attribute_type("app.Config", "path") == "pathlib.Path"
    assert index.attribute_type("app.models.Data", "session") == "aiohttp.ClientSession"
    assert index.attribute_type("app.models.Data", "name") == "builtins.str"
    assert index.attribute_type("app.models.Holder", "cfg") == "app.models.Config"
    assert index.attribute_type("app.models.Holder", "client") == "aiohttp.ClientSession"
    assert index.attribute_type("app.models.Child", "client") == "aiohttp.ClientSession"  # inherited
    assert index.attribute_type("app.models.Holder", "missing") is None


# `ContextVar[T].get()` across modules (chainlit's callbacks): the package's attribute
# `context` is an object of the module of the same name.
CONTEXT = """\
import asyncio
from contextvars import ContextVar
from typing import Optional


class AppContext:
    loop: asyncio.AbstractEventLoop


class Plain:
    name: str


context_var: ContextVar[AppContext] = ContextVar("app")
plain_var: ContextVar[Plain] = ContextVar("plain")
loop_var: Optional[ContextVar["asyncio.AbstractEventLoop"]] = None
untyped_var = ContextVar("untyped")
context: Optional[AppContext] = None
"""

CALLBACKS = """\
from app.context import context_var, loop_var, plain_var, untyped_var


def on_start(step):
    context_var.get().loop.create_task(step.send())
    loop_var.get(None).create_task(step.send())
    plain_var.get().create_task(step.send())
    untyped_var.get().create_task(step.send())
"""

CONTEXT_PACKAGE = "from app.context import context\n"

#: ASL204 in callbacks.py: the loop of the context and the loop variable.
CALLBACKS_FINDINGS = [(5, "ASL204"), (6, "ASL204")]


def test_context_variables_through_the_model() -> None:
    from asynclint.project import answer

    index = ProjectIndex(_facts({"app.context": CONTEXT, "app": CONTEXT_PACKAGE}))
    assert index.variable_type("app.context.context_var") == "contextvars.ContextVar[app.context.AppContext]"
    assert (
        answer(index, "variable app.context.context_var") == "contextvars.ContextVar[app.context.AppContext]"
    )
    assert (
        answer(index, "variable app.context.loop_var") == "contextvars.ContextVar[asyncio.AbstractEventLoop]"
    )
    assert index.variable_type("app.context.plain_var") == "contextvars.ContextVar[app.context.Plain]"
    assert answer(index, "variable app.context.plain_var") is None  # nothing a rule says of a `Plain`
    assert index.variable_type("app.context.untyped_var") == "contextvars.ContextVar"
    assert answer(index, "variable app.context.untyped_var") is None
    # The module's own class, not `app.context` (the object) `.AppContext`.
    assert index.attribute_type("app.context.AppContext", "loop") == "asyncio.AbstractEventLoop"


def _context_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    (root / "src/app/__init__.py").write_text(CONTEXT_PACKAGE, encoding="utf-8")
    (root / "src/app/context.py").write_text(CONTEXT, encoding="utf-8")
    (root / "src/app/callbacks.py").write_text(CALLBACKS, encoding="utf-8")
    return root


def test_a_context_variable_of_another_module_in_whole_and_subset_runs(tmp_path: Path) -> None:
    """`context_var.get().loop.create_task(...)` with `context_var: ContextVar[AppContext]`
    in another module: the whole run, a run of the file alone and a cached run all report
    it."""
    root = _context_project(tmp_path)
    name = "src/app/callbacks.py"
    assert [
        model_findings(run_cli("--no-cache", "--select", "ASL204", ".", cwd=root).stdout, name),
        model_findings(run_cli("--no-cache", "--select", "ASL204", name, cwd=root).stdout, name),
        model_findings(run_cli("--select", "ASL204", name, cwd=root).stdout, name),
        model_findings(run_cli("--select", "ASL204", name, cwd=root).stdout, name),  # cached
    ] == [CALLBACKS_FINDINGS] * 4


def test_a_context_variable_of_another_module_in_one_file_front_ends(tmp_path: Path) -> None:
    from test_flake8 import run_flake8

    root = _context_project(tmp_path)
    name = "src/app/callbacks.py"
    stdin = run_cli(
        "--no-cache", "--select", "ASL204", "--stdin-filename", name, "-", cwd=root, stdin=CALLBACKS.encode()
    )
    assert [
        model_findings(stdin.stdout, name),
        model_findings(run_flake8("--select", "ASL204", name, cwd=root).stdout, name),
    ] == [CALLBACKS_FINDINGS] * 2
    # A fix of standard input is built on the same answers (two rounds of them here).
    diff = run_cli(
        *("--no-cache", "--select", "ASL204", "--unsafe-fixes", "--diff"),
        *("--stdin-filename", name, "-"),
        cwd=root,
        stdin=CALLBACKS.encode(),
    ).stdout
    assert "+    task = context_var.get().loop.create_task(step.send())" in diff
    assert diff.count("+    _background_tasks.add(task)") == len(CALLBACKS_FINDINGS)


# The `loop` question: a module that nobody imports installs the event loop of its package.
PROGRAM = """\
import asyncio


class Program:
    def init_loop(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
"""

SERVICE = """\
import asyncio

LOOP = asyncio.get_event_loop()


class Service:
    def __init__(self, loop=None):
        self.loop = loop or asyncio.get_event_loop()
"""

#: ASL602 in service.py when the package installs its loop: the module-level call only.
SERVICE_FINDINGS = [(3, "ASL602")]


def test_a_module_that_sets_the_loop_is_seen_by_every_front_end(tmp_path: Path) -> None:
    """`program.py` installs the loop; `service.py` does not import it. A run of the whole
    project, of `service.py` alone, standard input and the flake8 plugin all leave the
    function's `get_event_loop()` alone, and all report it once the program sets the loop
    back to `None` (a temporary loop)."""
    from test_flake8 import run_flake8

    root = make_project(tmp_path)
    (root / "src/app/program.py").write_text(PROGRAM, encoding="utf-8")
    (root / "src/app/service.py").write_text(SERVICE, encoding="utf-8")
    name = "src/app/service.py"

    def runs() -> list[list[tuple[int, str]]]:
        return [
            model_findings(run_cli("--no-cache", ".", cwd=root).stdout, name),
            model_findings(run_cli("--no-cache", name, cwd=root).stdout, name),
            model_findings(
                run_cli("--no-cache", "--stdin-filename", name, "-", cwd=root, stdin=SERVICE.encode()).stdout,
                name,
            ),
            model_findings(run_flake8("--select", "ASL602", name, cwd=root).stdout, name),
            model_findings(run_cli(name, cwd=root).stdout, name),  # with the cache
        ]

    assert runs() == [SERVICE_FINDINGS] * 5
    temporary = PROGRAM + "        self.loop.run_forever()\n        asyncio.set_event_loop(None)\n"
    (root / "src/app/program.py").write_text(temporary, encoding="utf-8")
    assert runs() == [[(3, "ASL602"), (8, "ASL602")]] * 5


TASK_BODIES = """\
import asyncio


async def refresh_loop(state):
    while True:
        state.step()
        try:
            await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            break


async def poll(state):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        return


async def handed(state):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        return


class Pump:
    async def run(self):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            return


async def request_key(state):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        pass
    await state.cancel_request()


async def wait_quietly(state):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        pass
    state.log("done")
"""

TASK_SPAWNER = """\
from anyio import create_task_group

from app import background_tasks, binding
from app.binding import Pump


def start(state, pump: Pump):
    background_tasks.create(binding.refresh_loop(state), name="refresh")
    background_tasks.create(binding.poll(state), name="poll")
    background_tasks.create(binding.handed(state), name="handed")
    background_tasks.create(binding.request_key(state), name="request")
    background_tasks.create(binding.wait_quietly(state), name="wait")


async def serve(state):
    async with create_task_group() as tg:
        tg.start_soon(Pump().run)


async def poll_now(state):
    await binding.poll(state)


def later(loop, state):
    loop.call_soon(binding.handed, state)
"""


def test_task_bodies_through_the_model() -> None:
    index = ProjectIndex(_facts({"app.binding": TASK_BODIES, "app.main": TASK_SPAWNER}))
    assert index.only_spawned("app.binding.refresh_loop")
    assert not index.only_spawned("app.binding.poll")  # also awaited by poll_now
    assert not index.only_spawned("app.binding.handed")  # handed to call_soon as well
    assert not index.only_spawned("app.main.poll_now")  # never spawned
    assert not index.only_spawned("app.binding.missing")


def test_a_task_body_spawned_in_another_module(tmp_path: Path) -> None:
    """ASL500 leaves alone the outermost frame of a task another module spawns and no module
    awaits, unless it goes on awaiting after the handler (`request_key`); a run on the file
    alone cannot know (the spawner does not import it)."""
    root = tmp_path / "project"
    package = root / "src" / "app"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "background_tasks.py").write_text("def create(coroutine, name): ...\n", encoding="utf-8")
    (package / "binding.py").write_text(TASK_BODIES, encoding="utf-8")
    (package / "main.py").write_text(TASK_SPAWNER, encoding="utf-8")
    whole = run_cli("--no-cache", "--select", "ASL500", ".", cwd=root)
    reported = sorted(line.split()[0] for line in whole.stdout.splitlines() if " ASL500 " in line)
    assert reported == ["src/app/binding.py:16:5:", "src/app/binding.py:23:5:", "src/app/binding.py:38:5:"], (
        whole.stdout
    )
    alone = run_cli("--no-cache", "--select", "ASL500", "src/app/binding.py", cwd=root)
    assert alone.stdout.count(" ASL500 ") == 6, alone.stdout


# A cold run lints a module after the modules it imports, with the live model of those
# (`LiveModel`): the importer gets its final answers the first time and is not linted again.
# The importer is found first (`a_user` before `typed`); in the second layout the imported
# module also imports the importer inside a function (a cycle that only an indented import
# closes, which the order does not follow).
@pytest.mark.parametrize(
    ("imported", "importer", "back"),
    [
        ("typed", "a_user", ""),
        ("a_typed", "z_user", "\n\ndef later():\n    from app.z_user import run\n\n    return run\n"),
    ],
)
def test_a_cold_run_lints_importers_once(tmp_path: Path, imported: str, importer: str, back: str) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / f"{imported}.py").write_text(TYPED + back, encoding="utf-8")
    (package / f"{importer}.py").write_text(
        TYPED_USE.replace("app.typed", f"app.{imported}"), encoding="utf-8"
    )
    settings = Settings(project_root=str(tmp_path))
    for jobs, timeout in ((1, 0.0), (1, 20.0)):  # in this process, and in a worker
        run = Runner(replace(settings, file_timeout=timeout), jobs=jobs, use_cache=False).check(
            [str(tmp_path)]
        )
        found = sorted((d.start.row, d.code) for d in run.diagnostics if d.path.endswith(f"{importer}.py"))
        assert found == TYPED_USE_FINDINGS
        assert run.parsed == 2  # each file once: the importer's answers were right at once


BASE = """\
import requests


class Base:
    def __init__(self):
        self.session = requests.Session()
"""

# The module asks about its own names before its summary exists: a function defined below
# its caller, and an attribute of its class that a base class of another module assigns.
OWN_NAMES = """\
import requests

from app.base import Base


async def fetch():
    make_session().get("https://example.org", timeout=5)


class Holder(Base):
    pass


async def use(holder: Holder):
    holder.session.get("https://example.org", timeout=5)


def make_session() -> requests.Session:
    return requests.Session()
"""


def test_a_module_s_own_definitions_answer_its_first_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first pass answers the questions a module asks about its own names from their
    definitions (a return annotation below the call, a base class's attribute through the
    live model): the module is linted once, not a second time once its summary is known."""
    from asynclint import engine

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "base.py").write_text(BASE, encoding="utf-8")
    (package / "user.py").write_text(OWN_NAMES, encoding="utf-8")
    lints: list[str] = []
    real = engine._lint_module

    def counted(request: engine.LintRequest, *args: object, **kwargs: object) -> object:
        lints.append(request.path.rsplit("/", 1)[-1])
        return real(request, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_lint_module", counted)
    settings = Settings(project_root=str(tmp_path), file_timeout=0.0)
    run = Runner(settings, jobs=1, use_cache=False).check([str(tmp_path)])
    found = sorted((d.path.rsplit("/", 1)[-1], d.start.row, d.code) for d in run.diagnostics)
    assert found == [("user.py", 7, "ASL102"), ("user.py", 15, "ASL102")]
    assert lints.count("user.py") == 1, lints


FACTORY = """\
import requests


def make_session() -> requests.Session:
    return requests.Session()
"""

HOLDER = """\
from app.{factory} import make_session


class Holder:
    def __init__(self):
        self.session = make_session()
"""

HOLDER_USE = """\
from app.{holder} import Holder


async def fetch(holder: Holder):
    holder.session.get("https://example.org", timeout=5)
"""


@pytest.mark.parametrize("names", [("a_factory", "b_holder", "c_user"), ("z_factory", "y_holder", "x_user")])
def test_answers_settle_whatever_the_order_and_the_jobs(tmp_path: Path, names: tuple[str, str, str]) -> None:
    """A type known only through another module's answer (the holder's attribute is what
    the factory returns) reaches the user in any file order and with any job count: the
    answers are taken again, with the summaries of the files linted again, until none
    changes."""
    factory, holder, user = names
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / f"{factory}.py").write_text(FACTORY, encoding="utf-8")
    (package / f"{holder}.py").write_text(HOLDER.format(factory=factory), encoding="utf-8")
    (package / f"{user}.py").write_text(HOLDER_USE.format(holder=holder), encoding="utf-8")
    settings = Settings(project_root=str(tmp_path))
    for jobs, timeout in ((1, 0.0), (1, 20.0), (2, 20.0)):
        run = Runner(replace(settings, file_timeout=timeout), jobs=jobs, use_cache=False).check(
            [str(tmp_path)]
        )
        found = sorted((d.path.rsplit("/", 1)[-1], d.start.row, d.code) for d in run.diagnostics)
        assert found == [(f"{user}.py", 5, "ASL102")], (jobs, timeout, found)


def test_the_live_model_knows_the_quiet_coroutines_of_a_module_added_after_it_solved() -> None:
    """A module added to the live model after its last project-wide search still has its
    coroutines that never reach I/O known (an await of one of the project's quiet ones, or
    none), and the others not."""
    from asynclint.project import LiveModel

    live = LiveModel()
    # Twenty sync functions: one more module is not enough for a new project-wide search.
    helpers = "".join(f"def helper_{n}():\n    return {n}\n\n\n" for n in range(20))
    first = _facts({"app.store": helpers + "async def cached():\n    return 1\n"})
    live.add("app/store.py", first["app.store.py"])
    assert live.answer("io app.store.cached") is False  # the model is made and solved
    later = _facts(
        {
            "app.views": (
                "from app.store import cached\n\n\n"
                "async def page():\n    return await cached()\n\n\n"
                "async def fetch(client):\n    return await client.get()\n"
            )
        }
    )
    live.add("app/views.py", later["app.views.py"])
    assert live.answer("io app.views.page") is False
    assert live.answer("io app.views.fetch") is None


def test_the_live_model_guesses_that_a_class_of_a_module_not_seen_yet_is_informative() -> None:
    """In a first pass, a type from a module of the project not summarised yet is answered
    as it is (the runner checks the guess once every module is known); a third party's
    type is not, nor a class of the project once its module shows it says nothing."""
    from asynclint.project import LiveModel

    live = LiveModel()
    factory = (
        "from app.client import Client\nfrom other import Thing\n\n\n"
        "def get_client() -> Client:\n    return Client()\n\n\n"
        "def get_thing() -> Thing:\n    return Thing()\n"
    )
    live.add("app/factory.py", _facts({"app.factory": factory})["app.factory.py"])
    assert live.answer("returns app.factory.get_client") == "app.client.Client"
    assert live.answer("returns app.factory.get_thing") is None
    plain = "class Client:\n    def name(self):\n        return 'x'\n"
    live.add("app/client.py", _facts({"app.client": plain})["app.client.py"])
    assert live.answer("returns app.factory.get_client") is None


def test_the_live_model_takes_a_module_s_changed_summary() -> None:
    """A module linted a second time (with its own answers) whose summary changed: the live
    model answers from the new one, before and after it was made into an index, and
    forgets what only the first one said."""
    from asynclint.project import LiveModel

    first = _facts(
        {
            "app.store": "import requests\n\n\ndef make():\n    return 1\n\n\nasync def cached():\n    return 1\n"
        }
    )
    second = _facts(
        {
            "app.store": (
                "import requests\n\n\ndef make() -> requests.Session:\n    return requests.Session()\n\n\n"
                "async def cached():\n    return await requests.get()\n"
            )
        }
    )
    other = _facts({"app.other": "def helper():\n    return 2\n"})
    for made_before in (False, True):
        live = LiveModel()
        live.add("app/store.py", first["app.store.py"])
        live.add("app/other.py", other["app.other.py"])
        if made_before:
            assert live.answer("returns app.store.make") is None
            assert live.answer("io app.store.cached") is False
        live.add("app/store.py", second["app.store.py"])
        assert live.answer("returns app.store.make") == "requests.Session", made_before
        assert live.answer("io app.store.cached") is None, made_before
        live.add("app/store.py", first["app.store.py"])
        assert live.answer("returns app.store.make") is None, made_before


def test_the_live_model_answers_from_the_modules_so_far() -> None:
    from asynclint.project import LiveModel

    live = LiveModel()
    assert live.answer("returns app.models.make_session") is None  # nothing known yet
    facts = _facts({"app.models": MODELS, "app": "from app.models import Config\n"})
    for module, summary in facts.items():
        live.add(module, summary)
    assert live.answer("returns app.models.make_session") == "aiohttp.ClientSession"
    assert live.answer("attribute app.Config path") == "pathlib.Path"  # through the package
    # A second module of the same name stays out: the first one's answers stand.
    live.add("elsewhere.py", _facts({"app.models": "def make_session():\n    return 1\n"})["app.models.py"])
    assert live.answer("returns app.models.make_session") == "aiohttp.ClientSession"


ALONE_DOCS = """\
import asyncio


class Manager:
    async def ensure(self):
        await self.fetch()

    async def fetch(self):
        return 1

    async def refresh(self):
        return 2

    async def index(self):
        await asyncio.gather(self.page(1), self.page(2))

    async def page(self, number):
        return number


async def download(url):
    return url
"""

ALONE_COMMANDS = """\
import asyncio

import anyio

from app.docs import Manager, download

manager = Manager()


def combine():
    asyncio.run(manager.ensure())


def fetch(url):
    anyio.run(download, url)


def refresh():
    asyncio.run(manager.refresh())


def index():
    asyncio.run(manager.index())


async def handle(request):
    return await manager.refresh()
"""


def test_coroutines_that_run_alone_through_the_model() -> None:
    from asynclint.project import valid_facts

    facts = _facts({"app.docs": ALONE_DOCS, "app.commands": ALONE_COMMANDS})
    assert all(valid_facts(f) for f in facts.values())
    commands = facts["app.commands.py"]
    assert isinstance(commands, dict)
    assert not valid_facts({**commands, "alone": commands["alone"][:4]})  # a cache of format 5
    index = ProjectIndex(facts)
    assert index.runs_alone("app.docs.Manager.ensure")  # asyncio.run() of a typed receiver
    assert index.runs_alone("app.docs.Manager.fetch")  # awaited only by `ensure`
    assert index.runs_alone("app.docs.download")  # anyio.run(download, url)
    assert not index.runs_alone("app.docs.Manager.refresh")  # also awaited by a handler
    assert not index.runs_alone("app.docs.Manager.index")  # starts concurrent work
    assert not index.runs_alone("app.docs.Manager.page")  # handed to gather
    assert not index.runs_alone("app.commands.handle")  # run by nobody
    assert not index.runs_alone("app.docs.missing")


DEAD_CLIENT = """\
import requests

from app.settings import HEADERS


def fetch(url):
    return requests.get(url, headers=HEADERS)
"""


def test_a_module_whose_import_fails_is_silent_until_the_module_exists(tmp_path: Path) -> None:
    """`app/client.py` imports `app.settings`, which the package lacks: the module cannot
    be imported, so nothing in it runs and nothing is reported, in a whole run, a run of
    the file alone (cold and cached), standard input and flake8. Once the module exists
    the finding is back, and goes again when the module is removed."""
    from test_flake8 import run_flake8

    root = make_project(tmp_path)
    (root / "src/app/client.py").write_text(DEAD_CLIENT, encoding="utf-8")
    settings = root / "src/app/settings.py"

    def reported() -> list[list[str]]:
        runs = [
            run_cli("--no-cache", ".", cwd=root).stdout,
            run_cli("src/app/client.py", cwd=root).stdout,
            run_cli(".", cwd=root).stdout,
            run_cli(
                "--stdin-filename", "src/app/client.py", "-", cwd=root, stdin=DEAD_CLIENT.encode()
            ).stdout,
            run_flake8("--select", "ASL", "src/app/client.py", cwd=root).stdout,
        ]
        return [[line.split(":")[1] for line in run.splitlines() if "app/client.py:" in line] for run in runs]

    assert reported() == [[]] * 5
    settings.write_text('HEADERS = {"Accept": "text/plain"}\n', encoding="utf-8")
    assert reported() == [["7"]] * 5
    settings.unlink()
    assert reported() == [[]] * 5


def test_which_missing_modules_the_index_is_sure_of(tmp_path: Path) -> None:
    package = tmp_path / "app"
    (package / "sub").mkdir(parents=True)
    (package / "plugins").mkdir()
    (tmp_path / "ns").mkdir()
    for name, text in {
        "app/__init__.py": "",
        "app/core.py": "X = 1\n",
        "app/sub/__init__.py": "",
        "app/sub/leaf.py": "Y = 1\n",
        "app/native.pyi": "Z: int\n",
        "app/plugins/__init__.py": "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n",
        "app/plugins/one.py": "W = 1\n",
        "ns/tools.py": "V = 1\n",
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    summaries = _facts(
        {
            module: "def f():\n    return 1\n"
            for module in ("app.core", "app.sub.leaf", "app.plugins.one", "ns.tools")
        }
    )
    index = ProjectIndex(
        {
            str(tmp_path / path.removesuffix(".py").replace(".", "/")) + ".py": facts
            for path, facts in summaries.items()
        }
    )
    assert index.missing_module("app.gone")
    assert index.missing_module("app.gone.deeper")
    assert index.missing_module("app.sub.gone")
    assert not index.missing_module("app.core")
    assert not index.missing_module("app.sub")
    assert not index.missing_module("app.sub.leaf")
    assert not index.missing_module("app.native")  # a stub: an extension module may be built
    assert not index.missing_module("app.plugins.two")  # `__path__` is extended
    assert not index.missing_module("ns.other")  # a namespace package may span folders
    assert not index.missing_module("requests.gone")  # not the project's


def test_a_module_added_to_the_index_is_no_longer_missing(tmp_path: Path) -> None:
    """What the index read of a package's folder is read again when a module the folder
    lacked is added (the live model and the language server add modules as they are
    linted), also a new package's module whose folder the package above lacked."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app/core.py").write_text("X = 1\n", encoding="utf-8")
    facts = _facts(
        {module: "def f():\n    return 1\n" for module in ("app.core", "app.late", "app.fresh.leaf")}
    )
    index = ProjectIndex({str(tmp_path / "app/core.py"): facts["app.core.py"]})
    assert index.missing_module("app.late")
    assert index.missing_module("app.fresh.leaf")
    (tmp_path / "app/late.py").write_text("Y = 1\n", encoding="utf-8")
    (tmp_path / "app/fresh").mkdir()
    (tmp_path / "app/fresh/__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app/fresh/leaf.py").write_text("Z = 1\n", encoding="utf-8")
    (tmp_path / "app/other.py").write_text("W = 1\n", encoding="utf-8")
    assert index.missing_module("app.late")  # read once per set of modules
    assert index.add(str(tmp_path / "app/late.py"), facts["app.late.py"])
    assert not index.missing_module("app.late")
    assert not index.missing_module("app.other")
    assert index.add(str(tmp_path / "app/fresh/leaf.py"), facts["app.fresh.leaf.py"])
    assert not index.missing_module("app.fresh.leaf")
    assert index.missing_module("app.fresh.gone")


def test_a_package_name_two_folders_share_proves_no_module_missing(tmp_path: Path) -> None:
    for name in ("one/tests/__init__.py", "two/tests/__init__.py", "one/tests/utils.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    summaries = _facts(
        {"tests.test_a": "def f():\n    return 1\n", "tests.test_b": "def g():\n    return 1\n"}
    )
    index = ProjectIndex(
        {
            str(tmp_path / "one/tests/test_a.py"): summaries["tests.test_a.py"],
            str(tmp_path / "two/tests/test_b.py"): summaries["tests.test_b.py"],
        }
    )
    assert not index.missing_module("tests.utils")
    assert not index.missing_module("tests.gone")
