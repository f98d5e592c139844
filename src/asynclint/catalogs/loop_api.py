"""Event-loop API facts: deprecated and removed asyncio APIs with the Python version of
each step, and the library functions known to be coroutine functions. Data only.
"""

from __future__ import annotations

from typing import NamedTuple


class Deprecation(NamedTuple):
    deprecated: int  # minor version of Python 3 that deprecated it (or made it an alias)
    removed: int | None  # minor version that removed it, if any
    replacement: str  # what to use instead, for the message
    fix: str | None  # a dotted name the reference can be replaced with (a safe fix)


_POLICY = "asyncio.run(..., loop_factory=...) or asyncio.Runner(loop_factory=...)"
_WATCHER = "asyncio's built-in process watching (no watcher needed)"

#: Deprecated or removed asyncio names (ASL605), reported when `target-version` has
#: deprecated them.
DEPRECATED: dict[str, Deprecation] = {
    "asyncio.iscoroutinefunction": Deprecation(
        14, 16, "inspect.iscoroutinefunction", "inspect.iscoroutinefunction"
    ),
    "asyncio.get_event_loop_policy": Deprecation(14, 16, _POLICY, None),
    "asyncio.set_event_loop_policy": Deprecation(14, 16, _POLICY, None),
    "asyncio.AbstractEventLoopPolicy": Deprecation(14, 16, _POLICY, None),
    "asyncio.DefaultEventLoopPolicy": Deprecation(14, 16, _POLICY, None),
    "asyncio.WindowsSelectorEventLoopPolicy": Deprecation(14, 16, _POLICY, None),
    "asyncio.WindowsProactorEventLoopPolicy": Deprecation(14, 16, _POLICY, None),
    "asyncio.get_child_watcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.set_child_watcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.AbstractChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.SafeChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.FastChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.ThreadedChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.MultiLoopChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.PidfdChildWatcher": Deprecation(12, 14, _WATCHER, None),
    "asyncio.coroutine": Deprecation(8, 11, "async def", None),
    "asyncio.Task.all_tasks": Deprecation(7, 9, "asyncio.all_tasks()", None),
    "asyncio.Task.current_task": Deprecation(7, 9, "asyncio.current_task()", None),
    # Not deprecated, but only an alias of the builtin since 3.11 (ruff UP041).
    "asyncio.TimeoutError": Deprecation(11, None, "TimeoutError", "builtins.TimeoutError"),
}

#: asyncio callables whose `loop` parameter was deprecated in 3.8 and removed in 3.10.
LOOP_PARAMETER_REMOVED = frozenset(
    {
        "asyncio.sleep",
        "asyncio.wait",
        "asyncio.wait_for",
        "asyncio.gather",
        "asyncio.shield",
        "asyncio.as_completed",
        "asyncio.open_connection",
        "asyncio.start_server",
        "asyncio.open_unix_connection",
        "asyncio.start_unix_server",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.Queue",
        "asyncio.PriorityQueue",
        "asyncio.LifoQueue",
        "asyncio.Lock",
        "asyncio.Event",
        "asyncio.Condition",
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
    }
)


#: Calls that run a coroutine (function) as a program's entry point.
RUNNERS = frozenset({"asyncio.run", "asyncio.Runner.run", "anyio.run", "trio.run", "uvloop.run"})

#: A module that runs on Windows says so: a check of the platform, `msvcrt`, a Windows
#: event loop policy. There `loop.add_signal_handler()` does not exist (ASL607's cure).
WINDOWS_CODE_RE = (
    r"""["']win32["']|sys\.platform\.startswith\(\s*["']win|os\.name\s*(?:==|!=)\s*["']nt["']"""
    r"""|platform\.system\(\)(?:\.lower\(\))?\s*(?:==|!=)\s*["'][Ww]indows["']"""
    r"""|^\s*import\s+msvcrt\b|\bWindows(?:Selector|Proactor)EventLoopPolicy\b"""
)
