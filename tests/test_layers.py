"""The import-linter contracts in pyproject.toml (DESIGN.md "Layers") hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    assert exe is not None, "import-linter is not installed next to this interpreter (pip install -e .[test])"
    done = subprocess.run(
        [exe, "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
