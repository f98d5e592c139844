"""Many files: the same output whatever --jobs is, and a cache that is fast and never wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from asynclint.cache import SUBFOLDER
from asynclint.runner import Runner
from asynclint.settings import Settings

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep({n})\n"


def make_tree(root: Path, count: int = 40) -> None:
    for i in range(count):
        folder = root / f"pkg{i % 5}"
        folder.mkdir(exist_ok=True)
        body = SLEEPY.format(n=i) if i % 3 else "def plain():\n    return 1\n"
        if i % 7 == 0:
            body = "async def broken(:\n"
        (folder / f"m{i}.py").write_text(body)


def rendered(result: object) -> list[str]:
    return [f"{d.path}:{d.start.row}:{d.start.column}:{d.code}:{d.message}" for d in result.diagnostics]  # type: ignore[attr-defined]


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    make_tree(tmp_path)
    settings = Settings(project_root=str(tmp_path))
    one = Runner(settings, jobs=1, use_cache=False).check([str(tmp_path)])
    two = Runner(settings, jobs=2, use_cache=False).check([str(tmp_path)])
    assert rendered(one) == rendered(two)
    assert len(one.diagnostics) > 20
    assert rendered(one) == sorted(
        rendered(one), key=lambda s: (s.split(":")[0], int(s.split(":")[1]), int(s.split(":")[2]))
    )


def test_fix_with_two_jobs(tmp_path: Path) -> None:
    make_tree(tmp_path, 12)
    settings = Settings(project_root=str(tmp_path))
    result = Runner(settings, jobs=2, use_cache=False, mode="fix").check([str(tmp_path)])
    assert sum(result.applied.values()) == sum(1 for i in range(12) if i % 3 and i % 7)
    assert all("time.sleep(" not in p.read_text() for p in tmp_path.rglob("*.py"))


def test_cache_hits_and_invalidation(tmp_path: Path) -> None:
    make_tree(tmp_path, 10)
    settings = Settings(project_root=str(tmp_path))
    cold = Runner(settings, jobs=1).check([str(tmp_path)])
    assert cold.from_cache == 0
    cache_folder = tmp_path / ".asynclint_cache" / SUBFOLDER
    assert (cache_folder / ".gitignore").read_text().strip().endswith("*")
    warm = Runner(settings, jobs=1).check([str(tmp_path)])
    assert warm.from_cache == 10 and warm.parsed == 0
    assert rendered(warm) == rendered(cold)
    changed = tmp_path / "pkg1" / "m1.py"
    changed.write_text("import time\n\n\nasync def poll():\n    x = 1\n    time.sleep(1)\n")
    after = Runner(settings, jobs=1).check([str(tmp_path)])
    assert after.from_cache == 9
    assert [d.start.row for d in after.diagnostics if d.path.endswith("pkg1/m1.py")] == [6]


def test_touched_but_unchanged_file_stays_cached(tmp_path: Path) -> None:
    make_tree(tmp_path, 5)
    settings = Settings(project_root=str(tmp_path))
    Runner(settings, jobs=1).check([str(tmp_path)])
    for path in tmp_path.rglob("m*.py"):
        os.utime(path, None)
        path.write_bytes(path.read_bytes())
    warm = Runner(settings, jobs=1).check([str(tmp_path)])
    assert warm.from_cache == 5


def test_settings_change_misses_the_cache(tmp_path: Path) -> None:
    make_tree(tmp_path, 5)
    Runner(Settings(project_root=str(tmp_path)), jobs=1).check([str(tmp_path)])
    other = Runner(Settings(project_root=str(tmp_path), ignore=("ASL101",)), jobs=1).check([str(tmp_path)])
    assert other.from_cache == 0
    assert not [d for d in other.diagnostics if d.code == "ASL101"]


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": 1, "version": "0.0.0", "files": {}}',
        b'{"format": 1, "files": {"x": 3}}',
    ],
)
def test_corrupt_or_foreign_cache_is_ignored(tmp_path: Path, garbage: bytes) -> None:
    make_tree(tmp_path, 5)
    settings = Settings(project_root=str(tmp_path))
    cold = Runner(settings, jobs=1).check([str(tmp_path)])
    for cache_file in (tmp_path / ".asynclint_cache" / SUBFOLDER).glob("results-*.json"):
        cache_file.write_bytes(garbage)
    result = Runner(settings, jobs=1).check([str(tmp_path)])
    assert result.from_cache == 0
    assert rendered(result) == rendered(cold)


def test_corrupt_entry_is_ignored(tmp_path: Path) -> None:
    make_tree(tmp_path, 5)
    settings = Settings(project_root=str(tmp_path))
    cold = Runner(settings, jobs=1).check([str(tmp_path)])
    cache_file = next((tmp_path / ".asynclint_cache" / SUBFOLDER).glob("results-*.json"))
    data = json.loads(cache_file.read_text())
    for entry in data["files"].values():
        entry["r"] = {"d": [["ASL101"]]}
    cache_file.write_text(json.dumps(data))
    result = Runner(settings, jobs=1).check([str(tmp_path)])
    assert result.from_cache == 0
    assert rendered(result) == rendered(cold)


def test_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    make_tree(tmp_path, 3)
    blocker = tmp_path / "cachefile"
    blocker.write_text("a file, not a folder")
    settings = Settings(project_root=str(tmp_path), cache_dir=str(blocker / "sub"))
    result = Runner(settings, jobs=1).check([str(tmp_path)])
    assert rendered(result) == rendered(Runner(settings, jobs=1, use_cache=False).check([str(tmp_path)]))
    assert len(result.diagnostics) == 3


def test_concurrent_runs_leave_a_valid_cache(tmp_path: Path) -> None:
    import subprocess
    import sys

    make_tree(tmp_path, 30)
    script = "import sys; from asynclint.runner import Runner; from asynclint.settings import Settings; Runner(Settings(project_root=sys.argv[1]), jobs=1).check([sys.argv[1]])"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)]) for _ in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    for cache_file in (tmp_path / ".asynclint_cache" / SUBFOLDER).glob("results-*.json"):
        json.loads(cache_file.read_text())
    assert sorted(p.name for p in (tmp_path / ".asynclint_cache").iterdir()) == [SUBFOLDER]
    assert not list((tmp_path / ".asynclint_cache" / SUBFOLDER).glob("*tmp*"))
    warm = Runner(Settings(project_root=str(tmp_path)), jobs=1).check([str(tmp_path)])
    assert warm.from_cache == 30


def test_a_changed_helper_changes_its_callers_verdict_from_the_cache(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "app.py").write_text("from pkg.util import load\n\n\nasync def handler():\n    return load()\n")
    util = pkg / "util.py"
    util.write_text("def load():\n    return 1\n")
    settings = Settings(project_root=str(tmp_path))

    def asl116() -> list[tuple[str, int]]:
        result = Runner(settings, jobs=1).check([str(pkg)])
        return [(Path(d.path).name, d.start.row) for d in result.diagnostics if d.code == "ASL116"]

    assert asl116() == []
    util.write_text("import time\n\n\ndef load():\n    time.sleep(1)\n    return 1\n")
    assert asl116() == [("app.py", 5)]
    warm = Runner(settings, jobs=1).check([str(pkg)])
    assert warm.from_cache == 3 and warm.parsed == 0
    assert [d.code for d in warm.diagnostics] == ["ASL116"]
    util.write_text("def load():\n    return 2\n")
    assert asl116() == []


def test_facts_lost_from_the_cache_are_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import time\n\n\ndef load():\n    time.sleep(1)\n\n\nasync def handler():\n    return load()\n"
    )
    settings = Settings(project_root=str(tmp_path))
    cold = rendered(Runner(settings, jobs=1).check([str(tmp_path)]))
    assert any("ASL116" in line for line in cold)
    folder = tmp_path / ".asynclint_cache" / SUBFOLDER
    facts_files = list(folder.glob("facts-*/*.json"))
    assert facts_files
    for facts in facts_files:
        facts.write_text("{}")
    results_file = next(folder.glob("results-*.json"))
    data = json.loads(results_file.read_text())
    data["project"] = {}
    results_file.write_text(json.dumps(data))
    assert rendered(Runner(settings, jobs=1).check([str(tmp_path)])) == cold


def test_a_changed_file_is_linted_once_when_its_last_answers_stand(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/clients.py").write_text(
        "import requests\n\n\ndef session() -> requests.Session:\n    return requests.Session()\n"
    )
    caller = tmp_path / "app/views.py"
    caller.write_text(
        "import requests\n\nfrom app.clients import session\n\n\nasync def page(url):\n"
        "    response = session().get(url, timeout=10)\n"
        "    return response.text if response.status_code == requests.codes.ok else None\n"
    )
    settings = Settings(project_root=str(tmp_path))
    whole = Runner(settings, jobs=1)
    assert [line.split(":")[3] for line in rendered(whole.check([str(tmp_path / "app")]))] == ["ASL102"]
    # The file changes, its questions do not: their last answers are given to its lint
    # (and checked), so it is linted once, in a run of that file and in a whole run.
    for named in (caller, tmp_path / "app"):
        caller.write_text(caller.read_text() + "\n# edited\n")
        runner = Runner(settings, jobs=1)
        assert [line.split(":")[3] for line in rendered(runner.check([str(named)]))] == ["ASL102"]
        assert runner.relinted == 0
    # An answer that no longer stands is found, and the file linted again with the new one.
    (tmp_path / "app/clients.py").write_text("def session():\n    return None\n")
    caller.write_text(caller.read_text() + "\n# edited again\n")
    runner = Runner(settings, jobs=1)
    assert rendered(runner.check([str(caller)])) == []
    assert runner.relinted == 1
