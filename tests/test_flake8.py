"""The flake8 plugin, run by the real flake8 (with flake8-async installed beside it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

from asynclint.registry import rule_infos

FORMAT = "--format=%(path)s:%(row)d:%(col)d:%(code)s"

BLOCKING = textwrap.dedent(
    """\
    import asyncio
    import time


    async def poll():
        time.sleep(1)
        time.sleep(2)  # noqa: ASL101
        time.sleep(3)  # noqa: ASL6
        time.sleep(4)  # noqa
        return asyncio.get_event_loop()
    """
)


def run_flake8(*args: str, cwd: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / ("flake8.exe" if os.name == "nt" else "flake8")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flake8"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("FLAKE8_CONFIG", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


def found(output: str) -> set[tuple[str, int, int, str]]:
    """(path, row, column, code) from flake8 lines in FORMAT."""
    rows = set()
    for line in output.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        rows.add((os.path.normpath(path), int(row), int(col), code))
    return rows


def codes_at(output: str) -> set[tuple[int, str]]:
    return {(row, code) for _, row, _, code in found(output)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(BLOCKING, encoding="utf-8")
    return tmp_path


def test_same_findings_as_the_command_line_on_every_fixture() -> None:
    """Same lines, same columns, same codes, on every fixture file (syntax errors aside:
    flake8 reports them itself), with every opt-in rule turned on in both."""
    opt_in = sorted(code for code, info in rule_infos().items() if info.default == "opt")
    extend = [f"--extend-select={','.join(opt_in)}"] if opt_in else []
    # The plugin reads the project's configuration (flake8 keeps `--isolated` to itself), so
    # paths are relative to the repository and every fixture is under tests/; no file
    # counts as a test file on either side, or rules that skip tests would differ.
    no_tests = "__no_test_files__"
    flake8 = run_flake8(
        "--isolated", "--select=ASL", *extend, f"--asynclint-test-files={no_tests}", FORMAT, ".", cwd=FIXTURES
    )
    assert flake8.returncode in (0, 1), flake8.stderr
    assert not flake8.stderr, flake8.stderr
    cli = run_cli(
        "--isolated", "--no-cache", "--format=json", *extend, f"--test-files={no_tests}", ".", cwd=FIXTURES
    )
    assert cli.returncode in (0, 1), cli.stderr
    expected = {
        (os.path.normpath(d["filename"]), d["location"]["row"], d["location"]["column"], d["code"])
        for d in json.loads(cli.stdout)
        if d["code"] != "ASL001" or d["message"].startswith(("not linted: ", "file not linted: "))
    }

    def single_file(path: str) -> bool:
        # A sub-folder of a fixture folder is a multi-module project; flake8 sees one
        # file at a time, so cross-module findings are not comparable there. Under flake8,
        # flake8 reads the noqa comments (its own rules: the reported line only), so the
        # fixtures of ASL003 (unused noqa, which the plugin leaves to flake8) differ.
        return len(Path(path).parts) == 2 and Path(path).parts[0] != "ASL003"

    actual = found(flake8.stdout)
    assert expected  # the comparison means something
    assert {r for r in actual if single_file(r[0])} == {
        r for r in expected if single_file(r[0]) and r[3] != "ASL003"
    }


def test_selection_and_noqa_are_flake8s(project: Path) -> None:
    default = run_flake8("--isolated", "--select=ASL", FORMAT, "app.py", cwd=project)
    assert codes_at(default.stdout) == {(6, "ASL101"), (8, "ASL101"), (10, "ASL601")}
    assert default.returncode == 1

    no_noqa = run_flake8("--isolated", "--select=ASL", "--disable-noqa", FORMAT, "app.py", cwd=project)
    assert codes_at(no_noqa.stdout) == {(row, "ASL101") for row in (6, 7, 8, 9)} | {(10, "ASL601")}

    ignored = run_flake8(
        "--isolated", "--select=ASL", "--extend-ignore=ASL101", FORMAT, "app.py", cwd=project
    )
    assert codes_at(ignored.stdout) == {(10, "ASL601")}

    only = run_flake8("--isolated", "--select=ASL601", FORMAT, "app.py", cwd=project)
    assert codes_at(only.stdout) == {(10, "ASL601")}

    nothing = run_flake8("--isolated", "--select=E,W,F", "--extend-ignore=W", FORMAT, "app.py", cwd=project)
    assert not {code for _, code in codes_at(nothing.stdout) if code.startswith("ASL")}


def test_per_file_ignores(project: Path) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(BLOCKING, encoding="utf-8")
    (project / ".flake8").write_text(
        "[flake8]\nselect = ASL\nper-file-ignores =\n    legacy/*: ASL101\n", encoding="utf-8"
    )
    proc = run_flake8(FORMAT, ".", cwd=project)
    rows = {(Path(path).as_posix(), row, code) for path, row, _, code in found(proc.stdout)}
    assert rows == {
        ("app.py", 6, "ASL101"),
        ("app.py", 8, "ASL101"),
        ("app.py", 10, "ASL601"),
        ("legacy/old.py", 10, "ASL601"),
    }


def test_columns_follow_flake8s_convention(project: Path) -> None:
    """flake8 prints plugin columns plus one: the printed column equals asynclint's."""
    (project / "wide.py").write_text(
        "import time\n\nasync def f():\n    x = [time.sleep(1)]\n", encoding="utf-8"
    )
    flake8 = run_flake8("--isolated", "--select=ASL", FORMAT, "wide.py", cwd=project)
    assert found(flake8.stdout) == {("wide.py", 4, 10, "ASL101")}
    cli = run_cli("--isolated", "--no-cache", "wide.py", cwd=project)
    assert "wide.py:4:10: ASL101" in cli.stdout


def test_flake8_async_beside_it(project: Path) -> None:
    both = run_flake8("--isolated", FORMAT, "app.py", cwd=project)
    assert not both.stderr, both.stderr
    codes = {code for _, code in codes_at(both.stdout)}
    assert {"ASL101", "ASL601", "ASYNC251"} <= codes

    theirs = {
        code
        for _, code in codes_at(
            run_flake8("--isolated", "--select=ASYNC", FORMAT, "app.py", cwd=project).stdout
        )
    }
    assert "ASYNC251" in theirs and all(code.startswith("ASYNC") for code in theirs)

    ours = run_flake8("--isolated", "--select=ASL", FORMAT, "app.py", cwd=project)
    assert {code for _, code in codes_at(ours.stdout)} == {"ASL101", "ASL601"}

    version = run_flake8("--version", cwd=project)
    assert "asynclint" in version.stdout and "flake8-async" in version.stdout


def test_options_from_pyproject_and_flake8_config(project: Path) -> None:
    """`[tool.asynclint]` applies; `--asynclint-*` in flake8's config or command line wins.
    (`max-file-size` has a visible effect with any rule: a file above it is not linted.)"""
    (project / "pyproject.toml").write_text("[tool.asynclint]\nmax-file-size = 10\n", encoding="utf-8")
    args = ("--select=ASL", FORMAT, "app.py")
    # Not linted, and said so: ASL001 at 1:1 (a file asynclint did not lint is not a syntax error).
    assert codes_at(run_flake8(*args, cwd=project).stdout) == {(1, "ASL001")}
    assert codes_at(run_flake8("--asynclint-max-file-size=100000", *args, cwd=project).stdout)

    (project / "setup.cfg").write_text("[flake8]\nasynclint-max-file-size = 100000\n", encoding="utf-8")
    assert codes_at(run_flake8(*args, cwd=project).stdout)

    (project / "setup.cfg").write_text("[flake8]\nasynclint-target-version = py27\n", encoding="utf-8")
    bad = run_flake8(*args, cwd=project)
    assert bad.returncode != 0
    assert "target-version" in bad.stdout + bad.stderr and "py310" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr


def test_flake8_options_reach_the_settings(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flake8's own option parsing (config file and command line) into asynclint's Settings."""
    from flake8.options.parse_args import parse_args

    from asynclint.flake8_plugin import Plugin

    (project / ".flake8").write_text(
        textwrap.dedent(
            """\
            [flake8]
            asynclint-target-version = py311
            asynclint-extend-blocking-calls = mylib.fetch=mylib.afetch, other.get=other.aget
            asynclint-blocking-light-calls = true
            asynclint-test-files = checks/*.py
            asynclint-default-timeout = 12.5
            """
        ),
        encoding="utf-8",
    )
    (project / "pyproject.toml").write_text(
        '[tool.asynclint]\ntarget-version = "py312"\nignore = ["ASL101"]\ntimeout-reads = true\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    parse_args(["--asynclint-extend-resource-types=mylib.Client,mylib.Pool", "app.py"])
    assert Plugin._runner is not None
    settings = Plugin._runner.settings
    assert settings.target_version == "py311"  # flake8's config wins over [tool.asynclint]
    assert settings.extend_blocking_calls == {"mylib.fetch": "mylib.afetch", "other.get": "other.aget"}
    assert settings.blocking_light_calls is True
    assert settings.timeout_reads is True  # from [tool.asynclint]
    assert settings.test_files == ("checks/*.py",)
    assert settings.default_timeout == 12.5
    assert settings.extend_resource_types == ("mylib.Client", "mylib.Pool")
    # Selection is flake8's: `ignore` in [tool.asynclint] does not apply under flake8.
    assert "ASL101" in Plugin._runner.selected


def test_opt_in_rules_need_their_full_code() -> None:
    import argparse

    from asynclint.flake8_plugin import chosen_codes
    from asynclint.registry import RuleInfo

    def info(code: str, default: str) -> RuleInfo:
        return RuleInfo(code, f"rule-{code.lower()}", "m", default, "none", "", (), False)

    infos = {c: info(c, d) for c, d in (("ASL001", "on"), ("ASL101", "on"), ("ASL406", "opt"))}
    base = {
        "select": None,
        "extend_select": None,
        "ignore": None,
        "extend_ignore": None,
        "extended_default_select": ["ASL", "ASYNC", "E", "F", "W", "C90"],
        "extended_default_ignore": [],
    }
    assert chosen_codes(argparse.Namespace(**base), infos) == {"ASL001", "ASL101"}
    prefix = argparse.Namespace(**{**base, "extend_select": ["ASL4"]})
    assert chosen_codes(prefix, infos) == {"ASL001", "ASL101"}
    named = argparse.Namespace(**{**base, "extend_select": ["ASL406"]})
    assert chosen_codes(named, infos) == {"ASL001", "ASL101", "ASL406"}
    theirs = argparse.Namespace(**{**base, "select": ["ASYNC"]})
    assert chosen_codes(theirs, infos) == set()


def _flake8_with_parse(replacement: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real flake8, in a process where the engine's libcst parse is replaced."""
    code = textwrap.dedent(
        f"""\
        import sys
        import libcst
        import asynclint.engine

        def _parse(text):
        {textwrap.indent(replacement, "    ")}

        asynclint.engine._parse = _parse
        from flake8.main.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env()
    )


def test_a_file_libcst_cannot_parse_does_not_stop_flake8(project: Path) -> None:
    (project / "other.py").write_text("x=1\n", encoding="utf-8")
    syntax = _flake8_with_parse(
        'return libcst.parse_module("def (:\\n")', "--isolated", "-j1", FORMAT, ".", cwd=project
    )
    assert "Traceback" not in syntax.stderr, syntax.stderr
    rows = codes_at(syntax.stdout)
    # Python parses the file and libcst does not: not a syntax error (those are flake8's
    # E999) but a file asynclint did not lint, which it says.
    assert {code for _, code in rows if code.startswith("ASL")} == {"ASL001"}
    assert (
        "ASL001 not linted: valid Python that libcst"
        in _flake8_with_parse(
            'return libcst.parse_module("def (:\\n")', "--isolated", "-j1", ".", cwd=project
        ).stdout
    )
    assert (1, "E225") in rows  # the other plugins still ran

    crash = _flake8_with_parse('raise RuntimeError("boom")', "--isolated", "-j1", FORMAT, ".", cwd=project)
    assert "Traceback" not in crash.stderr, crash.stderr
    assert (1, "ASL002") in codes_at(crash.stdout) and (1, "E225") in codes_at(crash.stdout)


def _flake8_without_flake8_async(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real flake8 with asynclint and flake8's own plugins, not flake8-async (whose
    libcst parse is its own affair)."""
    code = textwrap.dedent(
        """\
        import sys
        import flake8.plugins.finder as finder

        found = finder._find_importlib_plugins
        finder._find_importlib_plugins = lambda: (
            p for p in found() if p.package.replace("_", "-").lower() != "flake8-async"
        )
        from flake8.main.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env()
    )


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        # Python parses these; libcst's native parser would overflow its stack.
        ("and_10000", " and ".join(["a"] * 10_000)),
        ("or_6000", " or ".join(["a"] * 6_000)),
    ],
)
def test_code_past_asynclint_limits_is_reported_not_crashed(
    tmp_path: Path, name: str, expression: str
) -> None:
    body = f"import time\n\n\nasync def f(a):\n    time.sleep(1)\n    x = {expression}\n    return x\n"
    (tmp_path / "weird.py").write_text(body, encoding="utf-8")
    (tmp_path / "plain.py").write_text(BLOCKING, encoding="utf-8")
    proc = _flake8_without_flake8_async(
        "--isolated", "-j1", "--select=ASL", "weird.py", "plain.py", cwd=tmp_path
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = sorted(proc.stdout.splitlines(), reverse=True)
    assert lines[0].startswith("weird.py:1:1: ASL001 not linted: an `and`/`or` chain of "), lines
    assert not [line for line in lines[1:] if line.startswith("weird.py")]
    assert "plain.py:6:5: ASL101" in "\n".join(lines)  # the other file is linted


def test_flake8_async_codes_suppress_their_counterpart(tmp_path: Path) -> None:
    """A `# noqa: ASYNC251` (flake8-async's code for a blocking sleep) suppresses ASL101
    under flake8 too (`noqa-aliases`, on by default); `--disable-noqa` shows it."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "app.py").write_text(
        "import time\n\n\nasync def f():\n    time.sleep(1)  # noqa: ASYNC251\n    time.sleep(2)\n",
        encoding="utf-8",
    )
    plain = run_flake8("--isolated", "--select=ASL", FORMAT, "app.py", cwd=tmp_path)
    assert codes_at(plain.stdout) == {(6, "ASL101")}, plain.stdout + plain.stderr
    shown = run_flake8("--isolated", "--select=ASL", "--disable-noqa", FORMAT, "app.py", cwd=tmp_path)
    assert codes_at(shown.stdout) == {(5, "ASL101"), (6, "ASL101")}
