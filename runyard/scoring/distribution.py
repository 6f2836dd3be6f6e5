"""runyard itself, packaged for another environment: a model environment or a Docker image.

runyard need not be on any package index, so it is installed from where the running runyard
came from. From a source tree (an editable or ``compat`` install: the directory above the
``runyard`` package holds a ``pyproject.toml`` naming the project ``runyard``) the package,
``pyproject.toml`` and ``README.md`` are copied out; from an installed distribution the package
is copied and a ``pyproject.toml`` is written from its metadata. The copy is built into a wheel
once per content fingerprint (``fingerprint``: the version and every file) and kept under the
environment root, so the checkout never gets a ``build/`` directory and every later environment
(or image) installs the same wheel.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from runyard.errors import RunyardException
from runyard.scoring.cache import ensure_built
from runyard.version import __version__

_SKIPPED_DIRS = {"__pycache__", "build", "dist"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_PROJECT_NAME = re.compile(r'^\s*name\s*=\s*["\']runyard["\']\s*$', re.MULTILINE)
_TOP_FILES = ("pyproject.toml", "README.md", "LICENSE")


def package_dir() -> Path:
    """The directory of the running ``runyard`` package."""
    return Path(__file__).resolve().parent.parent


def source_root() -> Path | None:
    """The project root (holding runyard's ``pyproject.toml``) when runyard runs from a source tree."""
    root = package_dir().parent
    project = root / "pyproject.toml"
    if project.is_file() and _PROJECT_NAME.search(project.read_text(encoding="utf-8")):
        return root
    return None


def _package_files(package: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS and not d.endswith(".egg-info"))
        files.extend(Path(dirpath) / name for name in sorted(filenames) if not name.endswith(_SKIPPED_SUFFIXES))
    return files


def _generated_pyproject() -> str:
    """A ``pyproject.toml`` for an installed runyard, from its distribution metadata."""
    requires = [r for r in (metadata.requires("runyard") or []) if "extra ==" not in r]
    deps = "".join(f"    {json.dumps(r)},\n" for r in requires)  # a JSON string is a TOML basic string
    return ("[build-system]\nrequires = [\"setuptools>=68\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
            f"[project]\nname = \"runyard\"\nversion = \"{__version__}\"\nrequires-python = \">=3.10\"\n"
            f"dependencies = [\n{deps}]\n\n[project.scripts]\nrunyard = \"runyard.cli:main\"\n\n"
            "[tool.setuptools.packages.find]\ninclude = [\"runyard*\"]\n\n"
            "[tool.setuptools.package-data]\nrunyard = [\"**/*\"]\n")


def copy_source(dest: Path) -> Path:
    """Copy what building runyard needs (the package, ``pyproject.toml``, ``README.md``) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    package = package_dir()
    for path in _package_files(package):
        target = dest / "runyard" / path.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    root = source_root()
    if root is not None:
        for name in _TOP_FILES:
            if (root / name).is_file():
                shutil.copy2(root / name, dest / name)
    else:
        (dest / "pyproject.toml").write_text(_generated_pyproject(), encoding="utf-8")
    return dest


def fingerprint() -> str:
    """A digest of the running runyard's files and version: a wheel or environment built from one
    fingerprint holds exactly this runyard."""
    digest = hashlib.sha256(__version__.encode())
    package = package_dir()
    root = source_root()
    named = [(name, root / name) for name in _TOP_FILES if root is not None and (root / name).is_file()]
    named += [(path.relative_to(package.parent).as_posix(), path) for path in _package_files(package)]
    for name, path in named:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def release_digest() -> str:
    """A digest of what an environment needs from runyard besides its code: its version and its
    dependencies (an edit of runyard's files changes ``fingerprint`` but not this)."""
    try:
        requires = "\n".join(sorted(r for r in (metadata.requires("runyard") or []) if "extra ==" not in r))
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        root = source_root()
        requires = (root / "pyproject.toml").read_text(encoding="utf-8") if root is not None else ""
    return hashlib.sha256(f"{__version__}\0{requires}".encode()).hexdigest()


def _pip_wheel(source: Path, out: Path, isolated: bool) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
               "-w", str(out), str(source)]
    if not isolated:
        command.insert(4, "--no-build-isolation")
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _build_wheel(target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="runyard-source-") as tmp:
        source = copy_source(Path(tmp) / "runyard-source")
        # Without build isolation the installed setuptools builds it in seconds; a fresh
        # isolated build environment (downloading setuptools) is the fallback.
        done = _pip_wheel(source, target, isolated=False)
        if done.returncode != 0:
            done = _pip_wheel(source, target, isolated=True)
    if done.returncode != 0:
        tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise RunyardException(f"Could not build a runyard wheel with pip ({sys.executable} -m pip wheel): {tail}")


def runyard_wheel(root: str | os.PathLike[str], log: Callable[[str], None] | None = None) -> Path:
    """A wheel of the running runyard, built once per fingerprint under ``root/wheels``."""
    target = Path(root) / "wheels" / fingerprint()[:24]
    if ensure_built(target, _build_wheel) and log is not None:
        log(f"Built a runyard wheel in {target}")
    wheels = sorted(target.glob("runyard-*.whl"))
    if not wheels:
        raise RunyardException(f"No runyard wheel in {target}; delete that directory and try again")
    return wheels[0]
