"""The peer linters, in a virtual environment of their own under benchmarks/.cache/peers.

asynclint's flake8 plugin would load in any flake8 that can see asynclint, and its time
would count as flake8-async's; a separate environment keeps the comparison fair. Versions
are pinned so numbers from different days compare.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from corpus import CACHE

PEERS = ["flake8==7.5.0", "flake8-async==26.8.1", "ruff==0.17.6"]
FOLDER = CACHE / "peers"


def peers_python() -> Path:
    """The Python of the peers' environment, created on first use."""
    python = FOLDER / "bin" / "python"
    marker = FOLDER / ".installed"
    if marker.exists() and marker.read_text() == "\n".join(PEERS):
        return python
    venv.EnvBuilder(with_pip=True, clear=True).create(FOLDER)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS], check=True)
    marker.write_text("\n".join(PEERS))
    return python


if __name__ == "__main__":
    print(peers_python())
    sys.exit(0)
