"""Bad input gets a clear message and loses nothing: every case has a defined outcome."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from conftest import run_cli

from asynclint import runner as runner_module
from asynclint.runner import Runner
from asynclint.settings import Settings, load_settings

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def check(
    tmp_path: Path, *paths: str, mode: str = "check"
) -> tuple[list[tuple[str, int, str, str]], list[str]]:
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False, mode=mode).check([str(tmp_path / p) for p in paths])
    found = [(Path(d.path).name, d.start.row, d.code, d.message) for d in result.diagnostics]
    return found, result.errors + result.missing


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("async def f(:\n    pass\n", 1, "cannot parse"),
        ("async def f():\n    x = (\n", 2, "cannot parse"),
        ("async def f():\n\treturn 1\n        return 2\n", 3, "cannot parse"),
        ("async def f():\nreturn 1\n", 2, "cannot parse"),
        ("async def f():\n    x = 'unterminated\n", 2, "cannot parse"),
        ('async def f():\n    x = """never closed\n', 2, "cannot parse"),
        ("async def f():\n    x = 1 +\n", 2, "cannot parse"),
        ("async def f():\n    print 'python 2'\n", 2, "Missing parentheses"),
        ("async def f():\n    exec 'code'\n", 2, "cannot parse"),
        ("async def f():\n    x = 0777\n", 2, "cannot parse"),
        ("async def f():\n    pass\n  pass\n", 3, "cannot parse"),
    ],
)
def test_syntax_errors_are_asl001_with_a_line(tmp_path: Path, source: str, line: int, fragment: str) -> None:
    (tmp_path / "broken.py").write_text(source)
    found, errors = check(tmp_path, "broken.py")
    assert not errors
    assert len(found) == 1
    name, row, code, message = found[0]
    assert (name, row, code) == ("broken.py", line, "ASL001")
    assert fragment in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"async def f():\n    x = '\xff\xfe'\n", "cannot decode the file as utf-8"),
        (b"# -*- coding: ascii -*-\nasync def f():\n    x = '\xc3\xa9'\n", "cannot decode the file as ascii"),
        (b"# -*- coding: no-such-codec -*-\nasync def f(): pass\n", "encoding problem"),
        (codecs.BOM_UTF8 + b"# -*- coding: latin-1 -*-\nasync def f(): pass\n", "encoding problem"),
        (codecs.BOM_UTF16_LE + "async def f(): pass\n".encode("utf-16-le"), "UTF-16"),
        (b"async def f():\n    pass\x00\n", "null byte"),
        (bytes(range(256)) * 4, "null byte"),
    ],
)
def test_undecodable_files_are_asl001(tmp_path: Path, data: bytes, fragment: str) -> None:
    (tmp_path / "odd.py").write_bytes(data)
    found, errors = check(tmp_path, "odd.py")
    assert errors == []
    assert [f[2] for f in found] == ["ASL001"]
    assert fragment in found[0][3]


def test_latin1_cookie_and_bom_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport time\nasync def f():\n    x = '\xe9'\n    time.sleep(1)\n"
    )
    (tmp_path / "bom.py").write_bytes(codecs.BOM_UTF8 + SLEEPY.encode())
    found, _ = check(tmp_path, "latin.py", "bom.py")
    assert sorted((f[0], f[1], f[2]) for f in found) == [("bom.py", 5, "ASL101"), ("latin.py", 5, "ASL101")]


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "blank.py").write_text("\n\n   \n")
    (tmp_path / "async_word.py").write_text("# async\n")
    found, errors = check(tmp_path, "empty.py", "blank.py", "async_word.py")
    assert found == [] and errors == []


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(SLEEPY)
    found, errors = check(tmp_path, "ok.py", "missing.py", "missing_dir")
    assert [f[2] for f in found] == ["ASL101"]
    assert sorted(Path(e).name for e in errors) == ["missing.py", "missing_dir"]


def test_unreadable_file_is_reported_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text(SLEEPY)
    (tmp_path / "b.py").write_text(SLEEPY)
    real_open = os.open

    def fake_open(path: str, *args: int) -> int:
        if str(path).endswith("a.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args)

    monkeypatch.setattr("asynclint.runner.os.open", fake_open)
    found, _ = check(tmp_path, "a.py", "b.py")
    assert ("a.py", 1, "ASL001", "cannot read the file: Permission denied") in found
    assert ("b.py", 5, "ASL101") in [f[:3] for f in found]


def test_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "x.py").write_text(SLEEPY)
    real_scandir = os.scandir

    def fake_scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("asynclint.discovery.os.scandir", fake_scandir)
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False).check([str(tmp_path)])
    assert [d.code for d in result.diagnostics] == ["ASL101"]
    assert any("locked: Permission denied" in e for e in result.errors)


def test_read_only_file_under_fix_is_reported_and_others_are_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text(SLEEPY)
    (tmp_path / "b.py").write_text(SLEEPY)
    real_write = runner_module.write_atomic

    def guarded(path: str, data: bytes, expected: bytes) -> None:
        if path.endswith("a.py"):
            raise PermissionError(13, "Permission denied")
        real_write(path, data, expected)

    monkeypatch.setattr(runner_module, "write_atomic", guarded)
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False, mode="fix").check(
        [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    )
    assert (tmp_path / "a.py").read_text() == SLEEPY
    assert "await asyncio.sleep(1)" in (tmp_path / "b.py").read_text()
    assert result.errors == [
        f"{tmp_path / 'a.py'}: cannot write the fixed file: Permission denied; it was left as it is"
    ]
    assert [(Path(d.path).name, d.code) for d in result.diagnostics] == [("a.py", "ASL101")]
    assert sum(result.applied.values()) == 1


def test_symlink_loops_do_not_crash(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SLEEPY)
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    os.symlink(tmp_path / "self.py", tmp_path / "self.py")
    found, errors = check(tmp_path, "pkg")
    assert errors == []
    assert [(f[0], f[2]) for f in found] == [("mod.py", "ASL101")]
    looped, _ = check(tmp_path, "self.py")
    assert looped[0][2] == "ASL001" and "cannot read the file" in looped[0][3]


def test_non_python_file_named_explicitly(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(SLEEPY)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    found, _ = check(tmp_path, "notes.txt", "image.png")
    assert [(f[0], f[2]) for f in found] == [("image.png", "ASL001"), ("notes.txt", "ASL101")]


def test_folder_walk_skips_non_python_and_default_excludes(tmp_path: Path) -> None:
    for folder in ["src", ".venv", "build", "node_modules", "src/__pycache__"]:
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "m.py").write_text(SLEEPY)
    (tmp_path / "src" / "m.txt").write_text(SLEEPY)
    (tmp_path / "src" / "stub.pyi").write_text(SLEEPY)
    found, _ = check(tmp_path, ".")
    assert sorted(f[0] for f in found) == ["m.py", "stub.pyi"]


def test_gitignore_is_honoured(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\nskip_*.py\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "g.py").write_text(SLEEPY)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ".gitignore").write_text("local.py\n")
    for name in ["skip_me.py", "keep.py", "local.py"]:
        (tmp_path / "src" / name).write_text(SLEEPY)
    found, _ = check(tmp_path, ".")
    assert sorted(f[0] for f in found) == ["keep.py"]
    sub, _ = check(tmp_path, "src")
    assert sorted(f[0] for f in sub) == ["keep.py"]
    explicit, _ = check(tmp_path, "src/skip_me.py")
    assert [f[0] for f in explicit] == ["skip_me.py"]


def test_bad_config_key_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nselekt = ["ASL1"]\n')
    (tmp_path / "a.py").write_text(SLEEPY)
    proc = run_cli("a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"asynclint: error: {tmp_path / 'pyproject.toml'}: unknown key `selekt` in [tool.asynclint] (did you mean `select`?)"
    )


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('select = "ASL1"\nignore = 3\n', "`ignore` must be a list of strings, not 3"),
        ('target-version = "py27"\n', "`target-version` must be one of py38"),
        ("default-timeout = -1\n", "`default-timeout` must be a positive number"),
        ('select = ["E501"]\n', "is not a rule code or prefix"),
        ('select = ["ASL9"]\n', "selects no rule"),
        ('stateful-names = "("\n', "not a valid regular expression"),
        ('per-file-ignores = ["x"]\n', "`per-file-ignores` must be a table"),
        ("select = [\n", "not valid TOML"),
        ("blocking-light-calls = 1\n", "must be true or false"),
        ("default-timeout = inf\n", "`default-timeout` must be a positive number, not inf"),
        ("default-timeout = nan\n", "`default-timeout` must be a positive number, not nan"),
        ("default-timeout = 1e9\n", "`default-timeout` must be a positive number of at most 3600"),
        ('select = [""]\n', "`select` is empty"),
    ],
)
def test_bad_config_values(tmp_path: Path, toml: str, fragment: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\n" + toml)
    (tmp_path / "a.py").write_text(SLEEPY)
    proc = run_cli("a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert str(tmp_path / "pyproject.toml") in proc.stderr or "not valid TOML" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_configuration_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.asynclint]\n# caf\xe9\nselect = ["ASL1"]\n')
    (tmp_path / "a.py").write_text(SLEEPY)
    proc = run_cli("a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not valid TOML: TOML files must be UTF-8" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_select_on_the_command_line_is_an_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "a.py").write_text(SLEEPY)
    proc = run_cli("--select", value, "a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--select is empty" in proc.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    proc = run_cli("--config", "nope.toml", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "asynclint: error: nope.toml: configuration file not found"


def test_an_ignored_folder_named_explicitly_is_linted(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("vendor/\n")
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "m.py").write_text(SLEEPY)
    assert check(tmp_path, ".")[0] == []
    assert [f[0] for f in check(tmp_path, "vendor/lib")[0]] == ["m.py"]


def test_symlinks_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "theirs.py").write_text(SLEEPY)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mine.py").write_text(SLEEPY)
    os.symlink(outside / "theirs.py", tmp_path / "pkg" / "linked_out.py")
    os.symlink(tmp_path / "pkg" / "mine.py", tmp_path / "pkg" / "linked_in.py")
    os.symlink(outside, tmp_path / "pkg" / "folder_link")
    found, errors = check(tmp_path, "pkg")
    assert errors == []
    assert sorted(f[0] for f in found) == ["linked_in.py", "mine.py"]
    # Named explicitly, the link is linted like any file.
    named, _ = check(tmp_path, "pkg/linked_out.py")
    assert [f[2] for f in named] == ["ASL101"]


def test_an_excluded_folder_named_explicitly_is_linted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nextend-exclude = ["examples", "src/gen"]\n')
    for folder in ("examples", "src/gen", "src/app"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text(SLEEPY)
    (tmp_path / "examples" / "examples").mkdir()
    (tmp_path / "examples" / "examples" / "inner.py").write_text(SLEEPY)

    def linted(*paths: str) -> list[str]:
        settings = load_settings(paths, {}, cwd=str(tmp_path))
        result = Runner(settings, jobs=1, use_cache=False).check([str(tmp_path / p) for p in paths])
        return sorted(Path(d.path).relative_to(tmp_path).as_posix() for d in result.diagnostics)

    assert linted(".") == ["src/app/m.py"]
    assert linted("src") == ["src/app/m.py"]
    assert linted("src/gen") == ["src/gen/m.py"]
    assert linted("examples") == ["examples/examples/inner.py", "examples/m.py"]


def test_force_exclude_applies_to_a_folder_named_explicitly(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nextend-exclude = ["examples"]\n')
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "m.py").write_text(SLEEPY)
    settings = load_settings(["examples"], {"force-exclude": True}, cwd=str(tmp_path))
    result = Runner(settings, jobs=1, use_cache=False).check([str(tmp_path / "examples")])
    assert result.diagnostics == []


def test_valid_code_libcst_cannot_read_is_not_called_a_syntax_error(tmp_path: Path) -> None:
    # `(name): int` is valid Python (CPython's own test_grammar uses it); libcst rejects it.
    (tmp_path / "m.py").write_text("async def f():\n    (no_such_global): int\n    return 1\n")
    found, _ = check(tmp_path, "m.py")
    assert [(f[1], f[2]) for f in found] == [(2, "ASL001")]
    assert found[0][3].startswith("not linted: valid Python that libcst, asynclint's parser, cannot read")


def test_a_fifo_named_on_the_command_line_is_asl001_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "b.py").write_text(SLEEPY)
    done = run_cli("--no-cache", "pipe.py", "b.py", cwd=tmp_path)
    assert "pipe.py:1:1: ASL001 cannot read the file: it is a FIFO, not a regular file" in done.stdout
    assert "b.py:5:5: ASL101" in done.stdout
    assert done.returncode == 1


def test_a_device_named_on_the_command_line_is_asl001(tmp_path: Path) -> None:
    found, _ = check(tmp_path, os.devnull)
    assert found == [("null", 1, "ASL001", "cannot read the file: it is a device, not a regular file")]


def test_a_failed_write_is_exit_2_even_with_exit_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from asynclint import cli

    (tmp_path / "a.py").write_text(SLEEPY)

    def refuse(path: str, data: bytes, expected: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runner_module, "write_atomic", refuse)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.cli, ["--no-cache", "--fix", "--exit-zero", "a.py"])
    assert result.exit_code == 2, result.output
    assert "cannot write the fixed file: Permission denied" in result.output
    assert (tmp_path / "a.py").read_text() == SLEEPY


def test_an_unreadable_folder_is_exit_2_even_with_exit_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from asynclint import cli

    (tmp_path / "locked").mkdir()
    (tmp_path / "x.py").write_text("x = 1\n")
    real_scandir = os.scandir

    def fake_scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("asynclint.discovery.os.scandir", fake_scandir)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.cli, ["--no-cache", "--exit-zero", "."])
    assert result.exit_code == 2, result.output
    assert "locked: Permission denied" in result.output
