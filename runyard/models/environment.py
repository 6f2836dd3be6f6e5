"""Environment capture: ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml``.

MLflow infers requirements by loading the model in a subprocess and recording every module it
imports (seconds per model, and the list picks up whatever else the process had loaded). runyard
decides them instead: each flavor names the distributions it needs (scikit-learn and its numeric
stack, the serialiser), the modules the model object itself refers to are added, and every name is
pinned to the installed version read with ``importlib.metadata``.

Neither ``runyard`` nor ``mlflow`` is written into the requirements: the model does not need them,
and whichever program serves the model brings itself. To serve with MLflow's environment
restoration (``mlflow models serve --env-manager virtualenv``), pass
``extra_pip_requirements=["mlflow==<version>"]``.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from runyard.errors import InvalidParameterValue

REQUIREMENTS_FILE = "requirements.txt"
CONSTRAINTS_FILE = "constraints.txt"
CONDA_ENV_FILE = "conda.yaml"
PYTHON_ENV_FILE = "python_env.yaml"

# Import names whose distribution is named differently (checked before the slow full scan).
_DISTRIBUTION_OF_MODULE = {
    "sklearn": "scikit-learn", "yaml": "PyYAML", "PIL": "Pillow", "cv2": "opencv-python",
    "skimage": "scikit-image", "attr": "attrs", "dateutil": "python-dateutil", "bs4": "beautifulsoup4",
    "google": None, "pkg_resources": "setuptools", "_distutils_hack": "setuptools",
}
# Never written as requirements: the programs that load models, and interpreter internals.
_NOT_REQUIREMENTS = frozenset({"runyard", "mlflow", "__main__", "builtins", "tests", "pytest", "_pytest"})


def python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def _strip_local_version(version: str) -> str:
    # 2.1.0+cpu is not on PyPI; 2.1.0 is what pip can install.
    return version.split("+", 1)[0]


def installed_version(distribution: str) -> str | None:
    try:
        return _strip_local_version(metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return None


def pinned(distribution: str) -> str:
    """``name==version`` for an installed distribution, the bare name otherwise."""
    version = installed_version(distribution)
    return f"{distribution}=={version}" if version else distribution


@functools.lru_cache(maxsize=1)
def _all_module_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # a full scan (~0.3 s): only for unusual modules


@functools.lru_cache(maxsize=1024)
def distribution_of(module: str) -> str | None:
    """The installed distribution providing top-level module ``module`` (None for the standard
    library, for runyard and mlflow, and for modules no installed distribution provides)."""
    top = module.split(".", 1)[0]
    if not top or top in _NOT_REQUIREMENTS or top in sys.stdlib_module_names or top.startswith("_"):
        return None
    if top in _DISTRIBUTION_OF_MODULE:
        named = _DISTRIBUTION_OF_MODULE[top]
        return named if named and installed_version(named) else None
    try:
        return metadata.distribution(top).metadata["Name"]
    except metadata.PackageNotFoundError:
        found = _all_module_distributions().get(top)
        return found[0] if found else None


def requirements_for_modules(modules: Iterable[str]) -> list[str]:
    """Distribution names for the top-level modules in ``modules`` (unknown ones skipped)."""
    names: dict[str, None] = {}
    for module in modules:
        dist = distribution_of(module)
        if dist and dist.lower() not in _NOT_REQUIREMENTS:
            names[dist] = None
    return list(names)


def _requirement_name(requirement: str) -> str:
    for separator in ("[", "=", "<", ">", "!", "~", ";", " ", "@"):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def _read_requirement_lines(source: str | os.PathLike[str] | Sequence[str], field: str) -> list[str]:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise InvalidParameterValue(f"{field}: {path!r} is neither a list of requirements nor a file")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    elif isinstance(source, Sequence):
        lines = [str(line) for line in source]
    else:
        raise InvalidParameterValue(f"{field} must be a list of strings or a requirements file path")
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _pip_from_conda(conda_env: dict[str, Any]) -> list[str]:
    for dep in conda_env.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            return [str(line) for line in dep["pip"]]
    return []


def resolve_requirements(default: Sequence[str], conda_env: Any = None, pip_requirements: Any = None,
                         extra_pip_requirements: Any = None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(conda env dict, pip requirements, pip constraints) from MLflow's three arguments.

    ``pip_requirements`` replaces the defaults, ``extra_pip_requirements`` adds to them and
    ``conda_env`` (a dict or a YAML path) is written as given; at most one of them may be set.
    ``-c file`` lines become constraints, as in MLflow.
    """
    given = [n for n, v in (("conda_env", conda_env), ("pip_requirements", pip_requirements),
                            ("extra_pip_requirements", extra_pip_requirements)) if v is not None]
    if len(given) > 1:
        raise InvalidParameterValue(f"Only one of conda_env, pip_requirements and extra_pip_requirements "
                                    f"may be specified, got {', '.join(given)}")
    if conda_env is not None:
        env = _load_conda_env(conda_env)
        return env, _pip_from_conda(env), []
    if pip_requirements is not None:
        lines = _read_requirement_lines(pip_requirements, "pip_requirements")
    else:
        extra = _read_requirement_lines(extra_pip_requirements, "extra_pip_requirements") if extra_pip_requirements else []
        overridden = {_requirement_name(line) for line in extra}
        lines = [req for req in default if _requirement_name(req) not in overridden] + extra
    requirements, constraints = [], []
    for line in dict.fromkeys(lines):
        if line.startswith("-c "):
            constraints.extend(_read_requirement_lines(line[3:].strip(), "constraints file"))
            requirements.append(f"-c {CONSTRAINTS_FILE}")
        else:
            requirements.append(line)
    return default_conda_env(requirements), requirements, constraints


def _load_conda_env(conda_env: Any) -> dict[str, Any]:
    if isinstance(conda_env, dict):
        return conda_env
    path = os.fspath(conda_env)
    if not os.path.isfile(path):
        raise InvalidParameterValue(f"conda_env: {path!r} is neither a dict nor a YAML file")
    with open(path, encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    if not isinstance(loaded, dict):
        raise InvalidParameterValue(f"conda_env: {path!r} does not hold a YAML mapping")
    return loaded


def default_conda_env(pip_requirements: Sequence[str]) -> dict[str, Any]:
    """conda.yaml content: conda-forge, this Python, pip and the pip requirements."""
    pip_version = installed_version("pip")
    return {"channels": ["conda-forge"],
            "dependencies": [f"python={python_version()}", f"pip<={pip_version}" if pip_version else "pip",
                             {"pip": list(pip_requirements)}],
            "name": "mlflow-env"}


def python_env(python: str | None = None) -> dict[str, Any]:
    """python_env.yaml content: the Python version, the build tools and ``-r requirements.txt``."""
    build = [pinned(name) if name != "wheel" else "wheel" for name in ("pip", "setuptools", "wheel")]
    return {"python": python or python_version(), "build_dependencies": build,
            "dependencies": [f"-r {REQUIREMENTS_FILE}"]}


def write_environment(path: str, default_requirements: Sequence[str], conda_env: Any = None,
                      pip_requirements: Any = None, extra_pip_requirements: Any = None) -> dict[str, str]:
    """Write conda.yaml, python_env.yaml and requirements.txt (+ constraints.txt) into ``path``;
    returns the ``env`` entry of the python_function flavor."""
    env, requirements, constraints = resolve_requirements(
        default_requirements, conda_env, pip_requirements, extra_pip_requirements)
    with open(os.path.join(path, CONDA_ENV_FILE), "w", encoding="utf-8") as f:
        yaml.safe_dump(env, f, default_flow_style=False)
    python = next((str(d).split("=", 1)[1] for d in env.get("dependencies") or []
                   if isinstance(d, str) and d.startswith("python=")), None)
    with open(os.path.join(path, PYTHON_ENV_FILE), "w", encoding="utf-8") as f:
        yaml.safe_dump(python_env(python), f, default_flow_style=False, sort_keys=False)
    with open(os.path.join(path, REQUIREMENTS_FILE), "w", encoding="utf-8") as f:
        f.write("\n".join(requirements))
    if constraints:
        with open(os.path.join(path, CONSTRAINTS_FILE), "w", encoding="utf-8") as f:
            f.write("\n".join(constraints))
    return {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE}


def modules_of_object(obj: Any, limit: int = 20000) -> set[str]:
    """Top-level modules of the classes and functions reachable from ``obj`` through attributes,
    lists, tuples and dicts (numpy arrays and modules are not entered). Bounded by ``limit`` objects."""
    import types  # noqa: PLC0415 - small, and only needed here

    seen: set[int] = set()
    modules: set[str] = set()
    stack = [obj]
    while stack and len(seen) < limit:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, (str, bytes, int, float, bool)):
            continue
        seen.add(id(item))
        if isinstance(item, types.ModuleType):
            modules.add(item.__name__.split(".", 1)[0])
            continue
        if isinstance(item, (type, types.FunctionType, types.BuiltinFunctionType)):
            modules.add((getattr(item, "__module__", None) or "").split(".", 1)[0])
            continue
        module = type(item).__module__ or ""
        modules.add(module.split(".", 1)[0])
        if module.startswith("numpy"):
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
    return {m for m in modules if m}


def modules_of_functions(functions: Iterable[Any]) -> set[str]:
    """Top-level modules that functions import (``import x`` inside them) or use through their
    globals (``np.mean`` with ``import numpy as np`` at module level)."""
    import dis  # noqa: PLC0415
    import types  # noqa: PLC0415

    modules: set[str] = set()
    for func in functions:
        func = getattr(func, "__func__", func)
        code = getattr(func, "__code__", None)
        if code is None:
            continue
        globals_ = getattr(func, "__globals__", {})
        codes = [code]
        while codes:
            current = codes.pop()
            codes.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
            for instruction in dis.get_instructions(current):
                if instruction.opname == "IMPORT_NAME":
                    modules.add(str(instruction.argval).split(".", 1)[0])
            for name in current.co_names:
                value = globals_.get(name)
                if isinstance(value, types.ModuleType):
                    modules.add(value.__name__.split(".", 1)[0])
                elif value is not None and getattr(value, "__module__", None):
                    modules.add(str(value.__module__).split(".", 1)[0])
    return {m for m in modules if m}
