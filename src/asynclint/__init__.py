"""asynclint: finds and fixes asyncio antipatterns.

The small public API::

    from asynclint import lint_source, lint_paths

    for diagnostic in lint_source("async def f():\n    time.sleep(1)\n", "f.py"):
        print(diagnostic.code, diagnostic.start.row, diagnostic.message)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asynclint.version import __version__

if TYPE_CHECKING:
    from asynclint.diagnostics import Diagnostic
    from asynclint.settings import Settings

__all__ = ["Diagnostic", "__version__", "lint_paths", "lint_source"]


def lint_source(source: str, path: str = "<stdin>", settings: Settings | None = None) -> list[Diagnostic]:
    """Lint one module's text; returns its diagnostics in position order."""
    from asynclint.runner import lint_text

    return lint_text(source, path, settings)


def lint_paths(paths: list[str], settings: Settings | None = None) -> list[Diagnostic]:
    """Lint files and folders as the command line does (without fixing or caching)."""
    from asynclint.runner import Runner
    from asynclint.settings import load_settings

    settings = settings or load_settings(paths, {})
    return Runner(settings, jobs=1, use_cache=False).check(paths).diagnostics


def __getattr__(name: str) -> object:
    if name == "Diagnostic":
        from asynclint.diagnostics import Diagnostic

        return Diagnostic
    raise AttributeError(name)
