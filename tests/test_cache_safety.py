"""The result cache never deletes, overwrites or clutters the user's files, and no cache
file, however corrupt, makes a run crash or change its verdicts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from asynclint.cache import FORMAT, KEEP_FILES, SUBFOLDER, TAG_NAME, Cache, Stamp, owned
from asynclint.diagnostics import FileResult
from asynclint.runner import Runner
from asynclint.settings import ConfigError, Settings, load_settings
from asynclint.sourcefile import ORPHAN_AGE, TEMP_SUFFIX, orphaned_temp_file
from asynclint.version import __version__

BAD = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
#: ASL116 (facts and project diagnostics), ASL101 with a fix, and a clean file.
TREE = {
    "pkg/__init__.py": "",
    "pkg/util.py": "import time\n\n\nclass Config:\n    pass\n\n\ndef load():\n    time.sleep(1)\n    return 1\n",
    "pkg/app.py": "from pkg.util import load\n\n\nasync def handler():\n    return load()\n",
    "pkg/bad.py": BAD,
}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below `folder`, with the bytes of the files."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def rendered(result: Any) -> list[str]:
    return [
        f"{d.path}:{d.start.row}:{d.start.column}:{d.code}:{d.message}:{d.fix}" for d in result.diagnostics
    ]


def user_reports(folder: Path) -> dict[str, bytes]:
    """Twelve files of the user's own, named like the cache's files, older than any run."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for index in range(1, 13):
        for stem in ("results", "facts"):
            path = folder / f"{stem}-{index}.json"
            path.write_text(json.dumps({"run": index, "passed": True}))
            made[path.name] = path.read_bytes()
    (folder / ".gitignore").write_text("*.tmp\n")
    made[".gitignore"] = b"*.tmp\n"
    day_ago = time.time() - 86400
    for name in made:
        os.utime(folder / name, (day_ago, day_ago))
    return made


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "bad.py").write_text(BAD)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    return root


# The configured folder is never the cache folder ------------------------------------------


@pytest.mark.parametrize("given_by", ["command line", "configuration"])
def test_the_users_files_in_the_cache_dir_survive(project: Path, given_by: str) -> None:
    mine = user_reports(project / "reports")
    args = ["--cache-dir", "reports"] if given_by == "command line" else []
    if given_by == "configuration":
        (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "reports"\n')
    for timeout in (1, 2, 3):  # three configurations, three results files
        proc = run_cli(*args, f"--default-timeout={timeout}", "src", cwd=project)
        assert proc.returncode == 1 and not proc.stderr, proc.stderr
    for name, content in mine.items():
        assert (project / "reports" / name).read_bytes() == content, name
    assert sorted(p.name for p in (project / "reports").iterdir()) == sorted([*mine, SUBFOLDER])
    ours = project / "reports" / SUBFOLDER
    assert owned(str(ours)) and (ours / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(list(ours.glob("results-*.json"))) == 3
    warm = run_cli(*args, "-v", "--default-timeout=1", "src", cwd=project)
    assert "0 parsed, 1 from cache" in warm.stderr


def test_only_asynclints_own_files_are_pruned(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    parent = tmp_path / "reports"
    mine = user_reports(parent)
    for timeout in range(1, KEEP_FILES + 4):
        settings = Settings(project_root=str(tmp_path), cache_dir=str(parent), default_timeout=timeout)
        Runner(settings, jobs=1).check([str(tmp_path / "a.py")])
        if timeout == 1:  # the user's notes in asynclint's folder, named almost like its files
            for name in ("notes.txt", "results-old.json", "results-0123456789ABCDEF0123.json"):
                (parent / SUBFOLDER / name).write_text("the user's")
    assert {name: (parent / name).read_bytes() for name in mine} == mine
    ours = parent / SUBFOLDER
    results = {name[8:28] for name in os.listdir(ours) if re.fullmatch(r"results-[0-9a-f]{20}\.json", name)}
    facts = {name[6:26] for name in os.listdir(ours) if re.fullmatch(r"facts-[0-9a-f]{20}", name)}
    assert len(results) == KEEP_FILES
    assert facts and facts <= results
    for name in ("notes.txt", "results-old.json", "results-0123456789ABCDEF0123.json"):
        assert (ours / name).read_text() == "the user's"


def test_cache_dir_dot_leaves_the_project_root_alone(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "."\n')
    (project / ".gitignore").write_text("dist/\n")
    before = set(os.listdir(project))
    run_cli("src", cwd=project)
    warm = run_cli("-v", "src", cwd=project)
    assert "0 parsed, 1 from cache" in warm.stderr
    assert set(os.listdir(project)) == before | {SUBFOLDER}
    assert (project / ".gitignore").read_text() == "dist/\n"
    assert not (project / TAG_NAME).exists()
    assert owned(str(project / SUBFOLDER))


def test_a_foreign_folder_of_the_cache_name_is_left_alone_with_one_warning(project: Path) -> None:
    foreign = project / "reports" / SUBFOLDER
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    (foreign / "results-0123456789abcdef0123.json").write_text("{}")
    (foreign / f".x.{os.getpid()}.abcd1234{TEMP_SUFFIX}").write_text("mine too")
    hour_ago = time.time() - 2 * ORPHAN_AGE
    os.utime(foreign / f".x.{os.getpid()}.abcd1234{TEMP_SUFFIX}", (hour_ago, hour_ago))
    for index in range(12):
        (foreign / f"results-{index:020x}.json").write_text("{}")
    before = snapshot(project / "reports")
    for timeout in (1, 2):
        proc = run_cli("--cache-dir", "reports", f"--default-timeout={timeout}", "src", cwd=project)
        assert proc.returncode == 1
        assert "src/bad.py:5:5: ASL101" in proc.stdout
        assert proc.stderr.count("warning") == 1, proc.stderr
        assert proc.stderr.startswith(f"asynclint: warning: {foreign} was not made by asynclint")
        assert "Traceback" not in proc.stderr
    assert snapshot(project / "reports") == before


def test_an_empty_folder_of_the_cache_name_is_taken(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / ".asynclint_cache" / SUBFOLDER).mkdir(parents=True)
    settings = Settings(project_root=str(tmp_path))
    assert not Runner(settings, jobs=1).check([str(tmp_path)]).warnings
    assert owned(str(tmp_path / ".asynclint_cache" / SUBFOLDER))
    assert Runner(settings, jobs=1).check([str(tmp_path)]).from_cache == 1


def test_concurrent_first_runs_make_one_marked_folder(tmp_path: Path) -> None:
    for index in range(20):
        (tmp_path / f"m{index}.py").write_text(BAD)
    parent = tmp_path / "common"
    script = (
        "import sys\n"
        "from asynclint.runner import Runner\n"
        "from asynclint.settings import Settings\n"
        "run = Runner(Settings(project_root=sys.argv[1], cache_dir=sys.argv[2]), jobs=1).check([sys.argv[1]])\n"
        "print(len(run.diagnostics), run.warnings)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), str(parent)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert outputs == ["20 []\n"] * 4
    assert os.listdir(parent) == [SUBFOLDER]
    assert owned(str(parent / SUBFOLDER))
    assert not [name for name in os.listdir(parent / SUBFOLDER) if name.endswith(TEMP_SUFFIX)]


# Where a relative cache-dir points ---------------------------------------------------------


def test_a_relative_cache_dir_from_the_configuration_is_relative_to_its_folder(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "build/lint-cache"\n')
    proc = run_cli(".", cwd=project / "src")
    assert proc.returncode == 1
    assert owned(str(project / "build" / "lint-cache" / SUBFOLDER))
    assert sorted(os.listdir(project / "src")) == ["bad.py"]
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    proc = run_cli("-v", "--config", "../project/pyproject.toml", "../project/src", cwd=elsewhere)
    assert "0 parsed, 1 from cache" in proc.stderr
    assert os.listdir(elsewhere) == []


def test_a_relative_cache_dir_on_the_command_line_is_relative_to_the_current_folder(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "build/lint-cache"\n')
    proc = run_cli("--cache-dir", "here", ".", cwd=project / "src")
    assert proc.returncode == 1
    assert owned(str(project / "src" / "here" / SUBFOLDER))
    assert not (project / "build").exists()


def test_cache_dir_settings_are_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "c"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert load_settings(["."], {}).cache_dir == str(tmp_path / "c")
    assert load_settings(["."], {}, config=str(tmp_path / "pyproject.toml")).cache_dir == str(tmp_path / "c")
    assert load_settings(["."], {"cache-dir": "d/../e"}).cache_dir == str(sub / "e")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings(["."], {"cache-dir": "~/x"}).cache_dir == str(tmp_path / "home" / "x")
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = ""\n')
    with pytest.raises(ConfigError, match="`cache-dir` must be a path"):
        load_settings(["."], {})


# Corrupt cache files -------------------------------------------------------------------------


def make_tree(root: Path) -> list[str]:
    for name, text in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return [str(root / "pkg")]


def cached_run(root: Path) -> Any:
    return Runner(Settings(project_root=str(root)), jobs=1).check([str(root / "pkg")])


def cache_file(root: Path, stem: str) -> Path:
    """The results file, or the one facts file (the tree's modules share a folder)."""
    pattern = "results-*.json" if stem == "results" else "facts-*/*.json"
    (found,) = (root / ".asynclint_cache" / SUBFOLDER).glob(pattern)
    return found


@pytest.fixture
def cold(tmp_path: Path) -> list[str]:
    make_tree(tmp_path)
    first = rendered(cached_run(tmp_path))
    assert [line.split(":")[3] for line in first] == ["ASL116", "ASL101"]
    assert "Fix(" in first[1]
    return first


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def header(files: str) -> str:
    return f'{{"format": {FORMAT}, "version": "{__version__}", "files": {files}'


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'"results"', id="string"),
        pytest.param(b"1e999", id="infinity"),
        pytest.param(b"1" * 5000, id="integer-too-long"),
        pytest.param(nested(100_000).encode(), id="deeply-nested"),
        pytest.param(header(nested(100_000)).encode() + b"}", id="deeply-nested-files"),
        pytest.param(header("[]").encode() + b', "project": []}', id="files-a-list"),
        pytest.param(
            header('{"%s": {"s": 1e999, "m": -1e999, "h": NaN, "r": null, "x": 1}}').encode() + b"}",
            id="huge-numbers",
        ),
        pytest.param(
            header('{"%s": {"s": 0, "m": 0, "h": "", "r": ' + nested(100_000) + ', "x": 0}}').encode() + b"}",
            id="deeply-nested-entry",
        ),
    ],
)
@pytest.mark.parametrize("stem", ["results", "facts"])
def test_a_corrupt_cache_file_is_ignored(tmp_path: Path, cold: list[str], stem: str, text: bytes) -> None:
    key = str(tmp_path / "pkg" / "util.py")
    if stem == "facts":  # make the project phase read the facts again
        results = cache_file(tmp_path, "results")
        data = json.loads(results.read_text())
        data["project"] = {}
        results.write_text(json.dumps(data))
    cache_file(tmp_path, stem).write_bytes(text.replace(b"%s", key.encode()))
    assert rendered(cached_run(tmp_path)) == cold
    warm = cached_run(tmp_path)
    assert rendered(warm) == cold
    assert warm.from_cache == len(TREE)


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path to every value inside `value` (dict keys and list indexes)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield (*prefix, key)
        yield from paths_in(inner, (*prefix, key))


def wrong_values(value: Any) -> list[Any]:
    """Values of other types (and numbers out of range) to put in the place of `value`."""
    if isinstance(value, bool):
        return [int(value)]
    if isinstance(value, int):
        return [str(value), 10**30]
    if isinstance(value, str):
        return [7]
    if value is None:
        return [7]
    if isinstance(value, list):
        return [{"0": value}]
    return [list(value.values())]


def mutations(data: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    for path in paths_in(data):
        if path[0] in ("version", "written"):
            continue
        target = data
        for key in path:
            target = target[key]
        for wrong in wrong_values(target):
            yield path, wrong


def mutated(data: Any, path: tuple[Any, ...], wrong: Any) -> Any:
    copy = json.loads(json.dumps(data))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = wrong
    return copy


@pytest.mark.parametrize("stem", ["results", "facts"])
def test_a_wrong_type_at_any_level_of_the_cache_is_ignored(
    tmp_path: Path, cold: list[str], stem: str
) -> None:
    results, facts = cache_file(tmp_path, "results"), cache_file(tmp_path, "facts")
    results_data, facts_data = json.loads(results.read_text()), json.loads(facts.read_text())
    if stem == "facts":
        results_data["project"] = {}
    data = results_data if stem == "results" else facts_data
    tried = 0
    for path, wrong in mutations(data):
        results.write_text(
            json.dumps(mutated(results_data, path, wrong) if stem == "results" else results_data)
        )
        facts.write_text(json.dumps(mutated(facts_data, path, wrong) if stem == "facts" else facts_data))
        assert rendered(cached_run(tmp_path)) == cold, (path, wrong)
        tried += 1
    assert tried > (60 if stem == "results" else 30)


def test_unwritable_data_from_a_corrupt_file_is_dropped_on_save(tmp_path: Path) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    st = source.stat()
    cache = Cache(str(tmp_path / "cache"), "0" * 20)
    cache.entries["/elsewhere.py"] = {"s": 1, "m": 1, "h": "", "r": deep, "x": 0}
    cache.store(str(source), Stamp(st.st_size, st.st_mtime_ns, "d"), FileResult(str(source), parsed=True))
    cache.save()
    again = Cache(str(tmp_path / "cache"), "0" * 20)
    assert list(again.entries) == [str(source)]
    assert again.lookup(str(source)) is not None


def test_a_run_of_one_file_writes_only_the_facts_of_its_folder(tmp_path: Path) -> None:
    helpers = "import time\n\n\ndef load():\n    time.sleep(1)\n"
    files = {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/web/__init__.py": "",
        "app/web/views.py": "from app.core.helpers import load\n\n\nasync def page():\n    return load()\n",
        "app/core/__init__.py": "",
        "app/core/helpers.py": helpers,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    settings = Settings(project_root=str(tmp_path))
    cold = rendered(Runner(settings, jobs=1).check([str(tmp_path / "app")]))
    assert [line.split(":")[3] for line in cold] == ["ASL116"]
    (folder,) = (tmp_path / ".asynclint_cache" / SUBFOLDER).glob("facts-*/")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert len(before) == 2  # app/web and app/core (the empty `__init__` modules have no facts)
    views = tmp_path / "app/web/views.py"
    views.write_text(views.read_text() + "\n\nasync def other():\n    return load()\n")
    one = rendered(Runner(settings, jobs=1).check([str(views)]))
    assert [line.split(":")[3] for line in one] == ["ASL116", "ASL116"]
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert set(after) == set(before)
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 1 and "views.py" in after[changed[0]][0].decode()


def test_the_facts_file_is_decoded_only_for_the_entries_asked_for(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path / "cache"), "0" * 20)
    for name in ("a", "b", "c"):
        cache.store_summary(f"/{name}.py", Stamp(1, 1, name), {"ASL116": {"n": name}})
    cache.save()
    (facts_file,) = Path(cache.facts_folder).iterdir()  # one file per folder: "/"
    text = facts_file.read_text()
    assert json.loads(text)["files"]["/b.py"] == ["b", {"ASL116": {"n": "b"}}]
    # One entry damaged in place: only that file's facts are lost; the others are read, and
    # written back as they were.
    facts_file.write_text(text.replace('{"n":"b"}', '{"n":"b"'))
    again = Cache(str(tmp_path / "cache"), "0" * 20)
    assert again.facts("/a.py", "a") == {"ASL116": {"n": "a"}}
    assert again.facts("/b.py", "b") is None
    again.store_summary("/b.py", Stamp(1, 1, "b2"), {"ASL116": {"n": "b2"}})
    again.save()
    data = json.loads(facts_file.read_text())
    assert data["files"] == {
        "/a.py": ["a", {"ASL116": {"n": "a"}}],
        "/b.py": ["b2", {"ASL116": {"n": "b2"}}],
        "/c.py": ["c", {"ASL116": {"n": "c"}}],
    }


# Orphaned temporary files ----------------------------------------------------------------------


def test_orphaned_temp_files_go_by_age_or_dead_process(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD)
    settings = Settings(project_root=str(tmp_path))
    Runner(settings, jobs=1).check([str(tmp_path)])
    ours = tmp_path / ".asynclint_cache" / SUBFOLDER
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    live = os.getppid()  # a process that outlives the test: its id says nothing about age
    old = time.time() - 2 * ORPHAN_AGE
    names = {
        "old, live id": f".results-{'0' * 20}.json.{live}.abcd1234{TEMP_SUFFIX}",
        "dead id": f".facts-{'0' * 20}.json.{dead.stdout.strip()}.abcd1234{TEMP_SUFFIX}",
        "fresh, live id": f".results-{'1' * 20}.json.{live}.abcd1234{TEMP_SUFFIX}",
        "old, not ours": f"notes{TEMP_SUFFIX}",
    }
    (facts,) = ours.glob("facts-*/")  # a folder of facts files
    for folder in (ours, facts, tmp_path):
        for label, name in names.items():
            (folder / name).write_text(label)
            if label.startswith("old"):
                os.utime(folder / name, (old, old))
    (tmp_path / "a.py").write_text(BAD + "\n")  # a changed file: the cache is written
    Runner(settings, jobs=1).check([str(tmp_path)])
    for folder in (ours, facts, tmp_path):
        left = {label for label, name in names.items() if (folder / name).exists()}
        assert left == {"fresh, live id", "old, not ours"}, folder


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="process states are read from /proc")
def test_temp_file_of_an_exited_unreaped_writer_is_orphaned(tmp_path: Path) -> None:
    # A killed worker whose parent died too stays a zombie where nothing reaps it (the first
    # process of a container); signalling it succeeds, but it will never rename its file.
    writer = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{writer.pid}/stat", "rb") as stat_file:
            if stat_file.read().rpartition(b")")[2].split()[0] == b"Z":
                break
        time.sleep(0.01)
    temp = tmp_path / f".a.py.{writer.pid}.abcd1234{TEMP_SUFFIX}"
    temp.write_text("partial")
    live = tmp_path / f".b.py.{os.getppid()}.abcd1234{TEMP_SUFFIX}"
    live.write_text("partial")
    try:
        assert orphaned_temp_file(str(temp))
        assert not orphaned_temp_file(str(live))
    finally:
        writer.wait()
