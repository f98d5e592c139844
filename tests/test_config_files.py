"""Which configuration applies to which file: pyproject.toml read as TOML, the standalone
`asynclint.toml` / `.asynclint.toml`, each file's nearest project, and git's ignore files
(`.git/info/exclude`, `core.excludesFile`). Through the command line, as users meet them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from asynclint.settings import ProjectSettings, find_config, load_settings

# One finding of each of two rules, so a configuration's `ignore` shows in the output.
CODE = (
    'import time\nimport requests\n\n\nasync def f():\n    time.sleep(1)\n    requests.get("u", timeout=1)\n'
)


def _codes(stdout: str) -> list[tuple[str, str]]:
    """(file, code) of each finding, paths with `/`."""
    out = []
    for line in stdout.splitlines():
        parts = line.split(": ", 1)[0].split(":")
        if len(parts) == 3 and line.split(" ")[1].startswith("ASL"):
            out.append((parts[0].replace("\\", "/"), line.split(" ")[1]))
    return out


def _isolated_git_env(tmp_path: Path) -> dict[str, str]:
    """A home folder of the test's own, so the user's git configuration plays no part."""
    home = tmp_path / "_home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "USERPROFILE": str(home)}


@pytest.mark.parametrize(
    "pyproject",
    [
        '[ tool.asynclint ]\nignore = ["ASL101"]\n',
        '[tool]\nasynclint.ignore = ["ASL101"]\n',
        '[tool.asynclint]\nignore = ["ASL101"]\n',
        'tool.asynclint = { ignore = ["ASL101"] }\n',
    ],
    ids=["spaced-header", "dotted-key", "plain", "inline-table"],
)
def test_pyproject_is_read_as_toml(tmp_path: Path, pyproject: str) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", "m.py", cwd=tmp_path)
    assert _codes(proc.stdout) == [("m.py", "ASL102")], proc.stdout + proc.stderr


def test_a_pyproject_of_another_tool_that_is_not_toml_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nignore = ["ASL101"]\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[tool.other\nbroken = \n")
    (inner / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", "inner", cwd=tmp_path)
    assert _codes(proc.stdout) == [("inner/m.py", "ASL102")], proc.stdout + proc.stderr


def test_a_broken_pyproject_that_names_us_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint\nignore = [\n")
    (tmp_path / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", "m.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "pyproject.toml: not valid TOML" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("files", "ignored"),
    [
        (
            {
                "pyproject.toml": "[tool.asynclint]\nignore = ['ASL101']\n",
                "asynclint.toml": "ignore = ['ASL102']\n",
            },
            "ASL102",
        ),
        ({"asynclint.toml": "ignore = ['ASL101']\n", ".asynclint.toml": "ignore = ['ASL102']\n"}, "ASL102"),
        ({"pyproject.toml": "[project]\nname = 'x'\n", "asynclint.toml": "ignore = ['ASL101']\n"}, "ASL101"),
        # A standalone file may also hold the table form.
        ({"asynclint.toml": "[tool.asynclint]\nignore = ['ASL101']\n"}, "ASL101"),
    ],
    ids=[
        "asynclint.toml-over-pyproject",
        "dot-file-over-asynclint.toml",
        "pyproject-without-table",
        "table-form",
    ],
)
def test_precedence_in_one_folder(tmp_path: Path, files: dict[str, str], ignored: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", ".", cwd=tmp_path)
    remaining = {"ASL101", "ASL102"} - {ignored}
    assert {code for _, code in _codes(proc.stdout)} == remaining, proc.stdout + proc.stderr


def test_the_nearest_folder_wins(tmp_path: Path) -> None:
    (tmp_path / ".asynclint.toml").write_text("ignore = ['ASL101']\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[tool.asynclint]\nignore = ['ASL102']\n")
    (sub / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", "sub", cwd=tmp_path)
    assert _codes(proc.stdout) == [("sub/m.py", "ASL101")], proc.stdout + proc.stderr
    found, _ = find_config(sub)
    assert found == sub / "pyproject.toml"


def test_requires_python_comes_from_the_nearest_pyproject_beside_a_standalone_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nrequires-python = '>=3.12'\n")
    (tmp_path / "asynclint.toml").write_text("default-timeout = 5\n")
    settings = load_settings(["."], {}, cwd=str(tmp_path))
    assert settings.config_path == str(tmp_path / "asynclint.toml")
    assert settings.default_timeout == 5 and settings.target == "py312"


def _two_projects(tmp_path: Path) -> None:
    for name, config in (
        ("pkg_a", ("pyproject.toml", "[tool.asynclint]\nignore = ['ASL101']\n")),
        ("pkg_b", (".asynclint.toml", "ignore = ['ASL102']\n")),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / config[0]).write_text(config[1])
        (folder / "m.py").write_text(CODE)


@pytest.mark.parametrize(
    "args", [("pkg_a", "pkg_b"), ("pkg_b", "pkg_a"), (".",), ("pkg_a/m.py", "pkg_b/m.py")]
)
def test_each_file_gets_its_own_projects_configuration(tmp_path: Path, args: tuple[str, ...]) -> None:
    _two_projects(tmp_path)
    proc = run_cli("--no-cache", *args, cwd=tmp_path)
    assert _codes(proc.stdout) == [("pkg_a/m.py", "ASL102"), ("pkg_b/m.py", "ASL101")], (
        proc.stdout + proc.stderr
    )
    assert proc.returncode == 1


def test_each_project_keeps_its_own_cache(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    first = run_cli("pkg_a", "pkg_b", cwd=tmp_path)
    assert (tmp_path / "pkg_a" / ".asynclint_cache").is_dir()
    assert (tmp_path / "pkg_b" / ".asynclint_cache").is_dir()
    assert not (tmp_path / ".asynclint_cache").exists()
    again = run_cli("pkg_a", "pkg_b", "-v", cwd=tmp_path)
    assert again.stdout == first.stdout
    assert "2 from cache" in again.stderr


def test_config_and_isolated_still_apply_one_configuration_to_all(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    proc = run_cli("--no-cache", "--config", "pkg_a/pyproject.toml", ".", cwd=tmp_path)
    assert _codes(proc.stdout) == [("pkg_a/m.py", "ASL102"), ("pkg_b/m.py", "ASL102")]
    proc = run_cli("--no-cache", "--isolated", ".", cwd=tmp_path)
    assert len(_codes(proc.stdout)) == 4


def test_a_nested_projects_excludes_apply_to_a_walk_from_above(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    (tmp_path / "pkg_b" / ".asynclint.toml").write_text("exclude = ['generated']\n")
    (tmp_path / "pkg_b" / "generated").mkdir()
    (tmp_path / "pkg_b" / "generated" / "g.py").write_text(CODE)
    proc = run_cli("--no-cache", ".", cwd=tmp_path)
    assert [path for path, _ in _codes(proc.stdout)] == ["pkg_a/m.py", "pkg_b/m.py", "pkg_b/m.py"]


def test_project_settings_share_one_settings_per_configuration(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    (tmp_path / "pkg_a" / "deep" / "er").mkdir(parents=True)
    projects = ProjectSettings({}, cwd=str(tmp_path))
    first = projects.for_file("pkg_a/m.py")
    assert projects.for_file("pkg_a/deep/er/x.py") is first
    assert first.ignore == ("ASL101",)
    assert projects.for_file("pkg_b/m.py").ignore == ("ASL102",)
    assert projects.for_file("elsewhere.py").config_path is None


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    for name in ("kept", "local_only", "global_only"):
        (repo / name).mkdir()
        (repo / name / "m.py").write_text(CODE)
    return repo


def test_git_info_exclude_is_honoured(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".git" / "info" / "exclude").write_text("# local\nlocal_only/\n")
    proc = run_cli("--no-cache", ".", cwd=repo, env=_isolated_git_env(tmp_path))
    assert {path for path, _ in _codes(proc.stdout)} == {"kept/m.py", "global_only/m.py"}


@pytest.mark.parametrize("where", ["gitconfig", "xdg-config", "repo-config", "xdg-ignore"])
def test_git_global_excludes_file_is_honoured(tmp_path: Path, where: str) -> None:
    repo = _repo(tmp_path)
    env = _isolated_git_env(tmp_path)
    home = Path(env["HOME"])
    ignore_file = home / "my-ignores"
    ignore_file.write_text("global_only\n")
    setting = f'[core]\n\texcludesFile = "{ignore_file}"\n'
    if where == "gitconfig":
        (home / ".gitconfig").write_text("[user]\n\tname = x\n" + setting)
    elif where == "xdg-config":
        (home / ".config" / "git").mkdir(parents=True)
        (home / ".config" / "git" / "config").write_text(setting)
    elif where == "repo-config":
        (repo / ".git" / "config").write_text(setting)
    else:
        (home / ".config" / "git").mkdir(parents=True)
        (home / ".config" / "git" / "ignore").write_text("global_only/\n")
    proc = run_cli("--no-cache", ".", cwd=repo, env=env)
    assert {path for path, _ in _codes(proc.stdout)} == {"kept/m.py", "local_only/m.py"}


def test_a_gitignore_negation_wins_over_the_global_excludes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    env = _isolated_git_env(tmp_path)
    (Path(env["HOME"]) / ".config" / "git").mkdir(parents=True)
    (Path(env["HOME"]) / ".config" / "git" / "ignore").write_text("*_only/\n")
    (repo / ".gitignore").write_text("!global_only/\n")
    proc = run_cli("--no-cache", ".", cwd=repo, env=env)
    assert {path for path, _ in _codes(proc.stdout)} == {"kept/m.py", "global_only/m.py"}


def test_a_linked_work_tree_reads_the_common_info_exclude(tmp_path: Path) -> None:
    main = _repo(tmp_path)
    (main / ".git" / "info" / "exclude").write_text("local_only/\n")
    gitdir = main / ".git" / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    (gitdir / "commondir").write_text("../..\n")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").write_text(f"gitdir: {gitdir}\n")
    for name in ("kept", "local_only"):
        (linked / name).mkdir()
        (linked / name / "m.py").write_text(CODE)
    proc = run_cli("--no-cache", ".", cwd=linked, env=_isolated_git_env(tmp_path))
    assert {path for path, _ in _codes(proc.stdout)} == {"kept/m.py"}


def test_a_missing_path_creates_no_cache_folder(tmp_path: Path) -> None:
    proc = run_cli("not-there", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not-there: no such file or folder" in proc.stderr
    assert not (tmp_path / ".asynclint_cache").exists()


def test_fix_uses_each_projects_selection(tmp_path: Path) -> None:
    _two_projects(tmp_path)
    proc = run_cli("--no-cache", "--fix", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "time.sleep(1)" in (tmp_path / "pkg_a" / "m.py").read_text()  # ASL101 ignored there
    assert "await asyncio.sleep(1)" in (tmp_path / "pkg_b" / "m.py").read_text()
