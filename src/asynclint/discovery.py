"""Paths -> the Python files to lint.

Folders are walked for `*.py` and `*.pyi`, honouring `.gitignore` files (of the walked
folders and their parents up to the repository root), the built-in excludes and the
`exclude`/`extend-exclude` settings. A file named explicitly is always linted, unless
`force-exclude` is set (pre-commit names every staged file, excluded or not). Symlinked
folders are not followed (no loops); unreadable folders are reported and skipped.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from asynclint.settings import DEFAULT_EXCLUDES, Settings, path_matches
from asynclint.sourcefile import TEMP_SUFFIX, orphaned_temp_file

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    #: Paths given that do not exist, and folders that could not be read.
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


class _GitIgnores:
    """The .gitignore rules that apply to a folder, loaded once per folder."""

    def __init__(self) -> None:
        self._specs: dict[str, object | None] = {}

    def spec(self, folder: str) -> object | None:
        if folder not in self._specs:
            path = os.path.join(folder, ".gitignore")
            spec = None
            lines = _read_lines(path)
            git = os.path.join(folder, ".git")
            if os.path.exists(git):
                # The top of a work tree: git's other ignore files apply to the whole tree,
                # with less weight than the .gitignore files (a later line wins).
                common = _git_common_dir(git)
                lines = [
                    *_read_lines(_global_excludes_file(common)),
                    *(_read_lines(os.path.join(common, "info", "exclude")) if common else []),
                    *lines,
                ]
            if lines:
                import pathspec

                try:
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except Exception:  # a malformed pattern must not stop the run
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool, folders: list[str]) -> bool:
        for folder in folders:
            spec = self.spec(folder)
            if spec is None:
                continue
            prefix = os.path.join(folder, "")
            rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, folder)
            rel = rel.replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if spec.match_file(rel):  # type: ignore[attr-defined]
                return True
        return False


def _read_lines(path: str | None) -> list[str]:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def _git_common_dir(git: str) -> str | None:
    """The repository folder of a work tree's `.git`: the folder itself, or for a linked
    work tree or submodule (`.git` is a file: `gitdir: ...`) the folder it names, and that
    folder's `commondir` (where `info/exclude` lives)."""
    if os.path.isdir(git):
        return git
    for line in _read_lines(git):
        if line.startswith("gitdir:"):
            gitdir = os.path.join(os.path.dirname(git), line[len("gitdir:") :].strip())
            common = _read_lines(os.path.join(gitdir, "commondir"))
            if common and common[0].strip():
                return os.path.normpath(os.path.join(gitdir, common[0].strip()))
            return os.path.normpath(gitdir)
    return None


def _global_excludes_file(common: str | None) -> str | None:
    """git's `core.excludesFile`: from the repository's config, else the user's
    (`~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`), else `$XDG_CONFIG_HOME/git/ignore`.
    Read without running git; `include` directives are not followed."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    configs = [os.path.join(xdg, "git", "config"), os.path.join(os.path.expanduser("~"), ".gitconfig")]
    if common:
        configs.append(os.path.join(common, "config"))
    value = None
    for config in configs:  # later files win, as in git
        value = _config_value(config, "core", "excludesfile") or value
    if value is None:
        return os.path.join(xdg, "git", "ignore")
    return os.path.expanduser(value)


def _config_value(path: str, section: str, key: str) -> str | None:
    """The last value of `section.key` in a git config file (simple syntax only)."""
    current = ""
    value = None
    for raw in _read_lines(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = line[1 : line.find("]")].strip().split()[0].lower() if "]" in line else ""
            line = line[line.find("]") + 1 :].strip()
            if not line:
                continue
        name, sep, rest = line.partition("=")
        if sep and current == section and name.strip().lower() == key:
            rest = rest.strip()
            for mark in (" #", " ;", "\t#", "\t;"):
                rest = rest.split(mark, 1)[0]
            value = rest.strip().strip('"') or None
    return value


def _repo_root(start: str) -> str | None:
    folder = start
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def discover(paths: list[str], settings: Settings, *, tidy: bool = True) -> Discovery:
    """The files to lint under `paths`. `tidy`: remove the orphaned temporary files met
    (False for a walk that only looks, such as the project model's)."""
    result = Discovery()
    root = settings.project_root
    excludes = tuple(settings.exclude) + tuple(settings.extend_exclude)
    ignores = _GitIgnores()
    seen: set[str] = set()
    named_folders: set[str] = set()
    cwd = os.getcwd()
    for given in paths:
        if not os.path.lexists(given):
            result.missing.append(given)
            continue
        if os.path.isdir(given):
            start = os.path.abspath(given)
            repo = _repo_root(start)
            # .gitignore files of the folders above, up to the repository root, apply too.
            parents: list[str] = []
            folder = os.path.dirname(start)
            while repo is not None and len(folder) >= len(repo) and folder != start:
                parents.insert(0, folder)
                if folder == repo:
                    break
                folder = os.path.dirname(folder)
            if parents and ignores.ignored(start, True, parents):
                # Named explicitly, an ignored folder is linted; only its own .gitignore
                # files (and the patterns below it) apply.
                parents = []
            # Named explicitly, an excluded folder is linted too (unless `--force-exclude`):
            # patterns that match it or a folder above it do not apply.
            active = (
                excludes
                if settings.force_exclude
                else tuple(p for p in excludes if not _excluded_file(start, root, (p,), builtin=False))
            )
            for found in _walk(given, start, parents, settings, active, ignores, result, root, tidy):
                key = os.path.normcase(os.path.normpath(os.path.join(cwd, found)))
                if key not in seen:
                    seen.add(key)
                    result.files.append(found)
        else:
            if settings.force_exclude and _excluded_file(given, root, excludes):
                continue
            key = os.path.normcase(os.path.abspath(given))
            if key not in seen:
                seen.add(key)
                result.files.append(given)
                named_folders.add(os.path.dirname(os.path.abspath(given)))
    for folder in named_folders if tidy else ():
        _remove_orphans(folder)
    return result


def _remove_orphans(folder: str) -> None:
    """Temporary files of killed runs beside files named explicitly (folder walks remove
    the ones they meet)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(TEMP_SUFFIX) and orphaned_temp_file(entry.path):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
    except OSError:
        pass


def _excluded(path: str, name: str, root: str, excludes: tuple[str, ...], builtin: bool = True) -> bool:
    if builtin and name in DEFAULT_EXCLUDES:
        return True
    if not excludes:
        return False
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return any(path_matches(pattern, rel) or path_matches(pattern, name) for pattern in excludes)


def excluded_by(path: str, root: str, excludes: tuple[str, ...]) -> bool:
    """Whether the user's patterns `excludes`, relative to `root`, skip this file or a
    folder above it (for a file found under another project than the run's)."""
    return _excluded_file(path, root, excludes, builtin=False)


def _excluded_file(path: str, root: str, excludes: tuple[str, ...], builtin: bool = True) -> bool:
    """Whether walking from the project root would have skipped this file or folder, or a
    folder above it (`builtin=False`: by the user's patterns alone)."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    if rel == os.curdir:
        return False
    parts = rel.split(os.sep) if not rel.startswith("..") else [os.path.basename(absolute)]
    current = absolute
    for name in reversed(parts):
        if _excluded(current, name, root, excludes, builtin):
            return True
        current = os.path.dirname(current)
    return False


def _walk(
    display: str,
    absolute: str,
    parents: list[str],
    settings: Settings,
    excludes: tuple[str, ...],
    ignores: _GitIgnores,
    result: Discovery,
    root: str,
    tidy: bool = True,
) -> Iterator[str]:
    stack: list[tuple[str, str, list[str]]] = [(display, absolute, parents)]
    top = os.path.realpath(absolute)
    while stack:
        shown, folder, ancestry = stack.pop()
        chain = [*ancestry, folder]
        try:
            with os.scandir(folder) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            result.unreadable.append(f"{shown}: {exc.strerror or exc}")
            continue
        subfolders = []
        for entry in listing:
            shown_path = os.path.join(shown, entry.name) if shown not in (".", "") else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if _excluded(entry.path, entry.name, root, excludes):
                continue
            if ignores.ignored(entry.path, is_dir, chain):
                continue
            if is_dir:
                subfolders.append((shown_path, entry.path, chain))
            elif is_file and entry.name.endswith(PYTHON_SUFFIXES):
                if entry.is_symlink() and not _inside(os.path.realpath(entry.path), top):
                    # Like symlinked folders, a link out of the tree is not followed: a
                    # folder walk must not lint, or fix, files elsewhere on the disk.
                    continue
                yield shown_path
            elif tidy and is_file and entry.name.endswith(TEMP_SUFFIX) and orphaned_temp_file(entry.path):
                # Left by a run killed while writing a fix: the original is intact (the
                # rename never happened), so the copy can go.
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        stack.extend(reversed(subfolders))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def module_name(path: str, namespaces: frozenset[str] = frozenset()) -> tuple[str, bool]:
    """The dotted module name of a file (walking up through `__init__.py` packages, and
    through the folders `namespaces` names: absolute paths of namespace packages, which
    count as packages with all the folders below them) and whether it is a package's
    `__init__`."""
    folder, name = os.path.split(os.path.abspath(path))
    stem = name.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    package = _package(folder, namespaces)
    parts = [package] if package else []
    if not is_package:
        parts.append(stem)
    return ".".join(parts), is_package


@functools.lru_cache(maxsize=4096)
def _package(folder: str, namespaces: frozenset[str] = frozenset()) -> str:
    """The dotted package that `folder` is ("" when it has no `__init__` and is not in a
    namespace package of `namespaces`)."""
    if not (
        os.path.exists(os.path.join(folder, "__init__.py"))
        or os.path.exists(os.path.join(folder, "__init__.pyi"))
        or any(_inside(folder, namespace) for namespace in namespaces)
    ):
        return ""
    parent = os.path.dirname(folder)
    if parent == folder:
        return os.path.basename(folder)
    above = _package(parent, namespaces)
    here = os.path.basename(folder)
    return f"{above}.{here}" if above else here
