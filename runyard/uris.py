"""URI parsing: tracking/store URIs, artifact URIs, ``runs:/`` and ``models:/`` forms."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlparse

from runyard.errors import InvalidParameterValue

DEFAULT_DB_FILE = "runyard.db"
DEFAULT_ARTIFACT_DIR = "runyard-artifacts"

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "postgres", "mysql", "mariadb"})


def scheme_of(uri: str) -> str:
    """Lower-case scheme without any ``+driver`` suffix; '' for plain paths."""
    if "://" not in uri and not uri.startswith(("file:", "runs:", "models:", "mlflow-artifacts:")):
        return ""
    scheme = uri.split(":", 1)[0].lower()
    if len(scheme) == 1:  # a Windows drive letter, not a scheme
        return ""
    return scheme.split("+", 1)[0]


def is_sql_uri(uri: str) -> bool:
    return scheme_of(uri) in SQL_SCHEMES


def is_http_uri(uri: str) -> bool:
    return scheme_of(uri) in ("http", "https")


def is_local_uri(uri: str) -> bool:
    return scheme_of(uri) in ("", "file")


def default_tracking_uri(cwd: str) -> str:
    """The embedded store: ``runyard.db`` in the working directory."""
    return "sqlite:///" + str(Path(cwd, DEFAULT_DB_FILE).resolve())


def default_artifact_root(cwd: str) -> str:
    return path_to_file_uri(str(Path(cwd, DEFAULT_ARTIFACT_DIR).resolve()))


def path_to_file_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def local_path_of(uri: str) -> str:
    """Filesystem path named by a ``file:`` URI or a plain path."""
    if scheme_of(uri) == "":
        return os.path.abspath(uri)
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise InvalidParameterValue(f"Not a local path or file: URI: {uri!r}")
    if parsed.netloc not in ("", "localhost"):
        raise InvalidParameterValue(f"file: URIs must not name a host, got {uri!r}")
    # urllib.request.url2pathname would do the same on POSIX, but importing it pulls in the
    # whole HTTP and e-mail stack (30 ms, a fifth of `import runyard`).
    return unquote(parsed.path)


def sqlite_path_of(uri: str) -> str | None:
    """The database file of a ``sqlite:///`` URI (None for in-memory databases)."""
    rest = uri.split(":", 1)[1]
    if not rest.startswith("///"):
        return None
    path = rest[3:].split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return path if os.path.isabs(path) else os.path.abspath(path)


def append_to_uri_path(uri: str, *parts: str) -> str:
    """Join path segments onto a URI, keeping its scheme and query."""
    cleaned = [p.strip("/") for p in parts if p and p.strip("/")]
    if not cleaned:
        return uri
    suffix = "/".join(cleaned)
    if uri.endswith("/"):
        return uri + suffix
    return uri + "/" + suffix


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> (run_id, path)."""
    parsed = urlparse(uri)
    if parsed.scheme != "runs" or not parsed.path:
        raise InvalidParameterValue(f"Not a valid runs:/ URI: {uri!r} (expected runs:/<run_id>/<path>)")
    path = parsed.path.lstrip("/")
    run_id, _, rest = path.partition("/")
    if not run_id:
        raise InvalidParameterValue(f"Not a valid runs:/ URI: {uri!r} (missing run id)")
    return run_id, posixpath.normpath(rest) if rest else ""


class ModelsUri(NamedTuple):
    """A parsed ``models:/`` URI: a logged model id, or a registered model ``name`` with one of a
    ``version``, a ``stage``, an ``alias``, or none of them (the latest version)."""

    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    stage: str | None = None
    alias: str | None = None


_LATEST = "latest"


def _improper_models_uri(uri: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Not a proper models:/ URI: {uri!r}. Models URIs must be of the form 'models:/<model_id>', "
        "'models:/<name>/<version|stage|latest>' or 'models:/<name>@<alias>'")


def parse_models_uri(uri: str) -> ModelsUri:
    """``models:/<model_id>``, ``models:/<name>/<version>``, ``/<stage>`` (any other suffix, any
    case), ``/latest`` and ``models:/<name>@<alias>``, as MLflow reads them."""
    if not uri.lower().startswith("models:/"):
        raise _improper_models_uri(uri)
    path = uri.split(":", 1)[1]
    if path.startswith("//"):  # models://<profile>/...: MLflow's Databricks form names a workspace
        raise _improper_models_uri(uri)
    parts = path.strip("/").split("/")
    if not parts[0].strip() or len(parts) > 2:
        raise _improper_models_uri(uri)
    if len(parts) == 2:
        name, suffix = parts
        if not suffix.strip():
            raise _improper_models_uri(uri)
        if suffix.isdigit():
            return ModelsUri(name=name, version=str(int(suffix)))
        if suffix.lower() == _LATEST:
            return ModelsUri(name=name)
        return ModelsUri(name=name, stage=suffix)
    if "@" in parts[0]:
        name, _, alias = parts[0].rpartition("@")
        if not name.strip() or not alias.strip():
            raise _improper_models_uri(uri)
        return ModelsUri(name=name, alias=alias)
    return ModelsUri(model_id=parts[0])
