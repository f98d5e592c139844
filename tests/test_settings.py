"""Configuration discovery, validation, precedence and rule selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynclint.registry import RuleInfo, codes_for, resolve_selection
from asynclint.settings import (
    ConfigError,
    Settings,
    load_settings,
    path_matches,
    target_from_requires,
)


def infos(*rows: tuple[str, str]) -> dict[str, RuleInfo]:
    return {code: RuleInfo(code, code.lower(), "m", default, "none", "", (), False) for code, default in rows}


RULES = infos(
    ("ASL101", "on"),
    ("ASL102", "on"),
    ("ASL107", "on"),
    ("ASL200", "on"),
    ("ASL208", "opt"),
    ("ASL406", "opt"),
)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(), {"ASL101", "ASL102", "ASL107", "ASL200"}),
        (Settings(select=("ASL1",)), {"ASL101", "ASL102", "ASL107"}),
        (Settings(select=("ASL1",), ignore=("ASL10",), extend_select=("ASL101",)), {"ASL101"}),
        (Settings(ignore=("ASL1",), extend_select=("ASL102",)), {"ASL102", "ASL200"}),
        (Settings(select=("ASL2",)), {"ASL200"}),
        (Settings(extend_select=("ASL208",)), {"ASL101", "ASL102", "ASL107", "ASL200", "ASL208"}),
        (Settings(select=("ALL",)), set(RULES)),
        (Settings(select=("ALL",), ignore=("ASL",)), set()),
        (Settings(select=("ASL101",), ignore=("ASL101",)), set()),
        (Settings(extend_ignore=("ASL200",)), {"ASL101", "ASL102", "ASL107"}),
    ],
)
def test_selection(settings: Settings, expected: set[str]) -> None:
    assert resolve_selection(settings, RULES) == expected


def test_per_file_ignores() -> None:
    settings = Settings(per_file_ignores={"tests/*": ("ASL2",), "legacy.py": ("ASL101",)})
    selected = frozenset({"ASL101", "ASL200"})
    assert codes_for(settings, "tests/unit/test_x.py", selected) == {"ASL101"}
    assert codes_for(settings, "src/legacy.py", selected) == {"ASL200"}
    assert codes_for(settings, "src/app.py", selected) == selected


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("tests/*", "tests/a/b.py", True),
        ("tests/", "tests/a.py", True),
        ("tests/unit", "tests/unit/a.py", True),
        ("test_*.py", "src/test_a.py", True),
        ("*.py", "deep/down/x.py", True),
        ("migrations", "app/migrations/0001.py", True),
        ("src/*.py", "lib/a.py", False),
        ("tests/**", "tests/x/y.py", True),
        ("./tests/*", "tests/x.py", True),
    ],
)
def test_path_matches(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


@pytest.mark.parametrize(
    ("requires", "target"),
    [
        (">=3.11", "py311"),
        (">=3.9,<4", "py39"),
        ("~=3.12", "py312"),
        (">3.10", "py310"),  # 3.10.1 is allowed
        ("^3.10", "py310"),
        (">=3.7", "py38"),  # below the lowest target: the lowest target
        (">=3.7.1, <4", "py38"),
        ("==3.9.*", "py39"),
        (">=3.8,!=3.8.*", "py39"),
        ("<3", None),
        ("3", None),
        (None, None),
    ],
)
def test_target_from_requires_python(requires: str | None, target: str | None) -> None:
    assert target_from_requires(requires) == target


def test_config_found_upward_and_cli_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.12"\n[tool.asynclint]\nignore = ["ASL101"]\ndefault-timeout = 10\n'
    )
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    settings = load_settings(["src/pkg"], {}, cwd=str(tmp_path))
    assert settings.ignore == ("ASL101",)
    assert settings.default_timeout == 10
    assert settings.target == "py312"
    assert settings.project_root == str(tmp_path)
    override = load_settings(
        ["src/pkg"],
        {"default-timeout": "5", "ignore": ("ASL6",), "target-version": "py310"},
        cwd=str(tmp_path),
    )
    assert override.default_timeout == 5 and override.ignore == ("ASL6",) and override.target == "py310"


def test_pyproject_without_our_table_is_skipped_for_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nignore = ["ASL6"]\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "inner"\nrequires-python = ">=3.13"\n')
    settings = load_settings(["inner"], {}, cwd=str(tmp_path))
    assert settings.ignore == ("ASL6",)
    assert settings.target == "py313"


def test_isolated_ignores_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nignore = ["ASL6"]\n')
    assert load_settings(["."], {}, isolated=True, cwd=str(tmp_path)).ignore == ()


def test_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\ndefault-timeout = 'soon'\n")
    with pytest.raises(
        ConfigError, match=r"pyproject.toml: `default-timeout` must be a positive number, not 'soon'"
    ):
        load_settings(["."], {}, cwd=str(tmp_path))


def test_cli_value_errors() -> None:
    with pytest.raises(ConfigError, match="expects GLOB:CODES"):
        load_settings(["."], {"per-file-ignores": ("nocolon",)}, isolated=True)
    with pytest.raises(ConfigError, match="expects NAME=VALUE"):
        load_settings(["."], {"extend-blocking-calls": ("bad",)}, isolated=True)
    with pytest.raises(ConfigError, match="expects a number"):
        load_settings(["."], {"default-timeout": "x"}, isolated=True)


def test_fingerprint_changes_with_results_affecting_options_only() -> None:
    base = Settings()
    assert base.fingerprint() == Settings(format="json", show_source=True).fingerprint()
    assert base.fingerprint() != Settings(ignore=("ASL101",)).fingerprint()
    assert base.fingerprint() != Settings(target_version="py312").fingerprint()


def test_test_file_globs() -> None:
    settings = Settings()
    assert settings.is_test_file("tests/test_api.py")
    assert settings.is_test_file("pkg/api_test.py")
    assert settings.is_test_file("conftest.py")
    assert not settings.is_test_file("src/contest.py")


def test_default_test_files_match_test_folders_at_any_depth() -> None:
    settings = Settings()
    assert settings.is_test_file("tests/client.py")
    assert settings.is_test_file("packages/api/tests/helpers/client.py")
    assert settings.is_test_file("src/pkg/test_thing.py")
    assert not settings.is_test_file("src/pkg/contests.py")
    assert not settings.is_test_file("src/latest/client.py")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, 88),
        ({"pyproject.toml": "[tool.ruff]\nline-length = 110\n"}, 110),
        ({"pyproject.toml": "[tool.black]\nline-length = 100\n"}, 100),
        ({"pyproject.toml": "[tool.ruff]\nline-length = 99\n[tool.black]\nline-length = 100\n"}, 99),
        (
            {"pyproject.toml": "[project]\nname = 'x'\n", "setup.cfg": "[flake8]\nmax-line-length = 120\n"},
            120,
        ),
        ({"tox.ini": "[flake8]\nmax-line-length = 79\n"}, 79),
        ({"pyproject.toml": "[tool.ruff]\nline-length = 'long'\n"}, 88),
        ({".flake8": "[flake8\nbroken"}, 88),
    ],
)
def test_line_length_from_the_project(tmp_path: Path, files: dict[str, str], expected: int) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "m.py").write_text("x = 1\n")
    assert load_settings(["m.py"], {}, cwd=str(tmp_path)).line_length == expected


def test_requires_python_below_the_lowest_target_is_said(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.7"\n')
    (tmp_path / "m.py").write_text("x = 1\n")
    settings = load_settings(["m.py"], {}, cwd=str(tmp_path))
    assert settings.target == "py38"
    assert settings.target_note is not None and "3.7" in settings.target_note
    chosen = load_settings(["m.py"], {"target-version": "py39"}, cwd=str(tmp_path))
    assert chosen.target == "py39" and chosen.target_note is None
