"""Fix round-trip over a fixed subset of the pinned real-world corpus (downloaded from the
package index on first use): no internal error, no fix whose output would not parse or
compile, no fix that a second round changes, no comment lost. `python benchmarks/roundtrip.py` runs the
same check on the whole corpus."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import CorpusUnavailable, ensure_corpus, python_files
from roundtrip import CI_SUBSET, roundtrip

pytestmark = pytest.mark.slow


def test_corpus_subset_round_trip() -> None:
    try:
        folders = ensure_corpus(CI_SUBSET)
    except CorpusUnavailable as exc:
        pytest.skip(f"the pinned corpus cannot be downloaded (is the package index reachable?): {exc}")
    files = python_files(folders)
    assert len(files) > 250
    stats = roundtrip(files, jobs=2)
    assert stats.files == len(files)
    assert stats.internal_errors == []
    assert stats.broken_fixes == []
    assert stats.unstable == []
    assert stats.not_compiling == []
    assert stats.lost_comments == []
    assert sum(stats.findings.values()) > 0
