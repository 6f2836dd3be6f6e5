"""Model version sources: what a version may point at, and where it downloads from.

A source is one of
- ``models:/<model_id>``: a logged model in this database (downloads from its artifact location);
- ``models:/<name>/<version>`` (or ``@alias``, a stage, ``latest``): another registered version
  (what ``copy_model_version`` writes; downloads from that version's location);
- ``runs:/<run_id>/<path>``: a run in this database (its artifact URI + path, or the logged model
  named by the path's first segment that the run produced, as MLflow 3 resolves it);
- an artifact URI inside an artifact root this store knows: the run's (``run_id``), the logged
  model's (``model_id``) or the store's default artifact root.
Anything else (plain paths, ``file:`` outside those roots, other hosts, ``..`` in any spelling,
queries, control characters) is refused, so a version can never make a server read an arbitrary
path or host (security.md PT/SSRF). The check runs on the fully decoded form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

from runyard import uris
from runyard.entities import LifecycleStage
from runyard.entities.registry import ModelVersionStage
from runyard.errors import InvalidParameterValue
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx
from runyard.stores.sql.registry_checks import MAX_SOURCE_LENGTH, checked_text
from runyard.stores.sql.registry_reads import MV, RMA, latest_version_rows, model_key_of

R = schema.runs
LM = schema.logged_models


@dataclass(frozen=True)
class ResolvedSource:
    source: str
    storage_location: str
    run_id: str | None
    model_id: str | None


def _refuse(source: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid model version source '{source[:300]}': {why}")


def _decoded(text: str) -> str:
    for _ in range(10):
        decoded = unquote(text)
        if decoded == text:
            return text
        text = decoded
    raise InvalidParameterValue(f"Invalid model version source '{text[:300]}': too many levels of percent-encoding")


def _segments(path: str, source: str) -> list[str]:
    """Non-empty path segments; '.' and '..' are refused, never resolved."""
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise _refuse(source, "relative path references ('.' or '..') are not allowed")
    return parts


def _run_artifact_uri(tx: Tx, run_id: str) -> str | None:
    rows = tx.query(sa.select(R.c.artifact_uri).where(R.c.run_uuid == run_id))
    return rows[0][0] if rows else None


def _logged_model(tx: Tx, model_id: str) -> tuple[str, str | None] | None:
    """(artifact_location, source_run_id) of an active logged model."""
    rows = tx.query(sa.select(LM.c.artifact_location, LM.c.source_run_id).where(
        LM.c.model_id == model_id, LM.c.lifecycle_stage == LifecycleStage.ACTIVE))
    return (rows[0][0], rows[0][1]) if rows else None


def _split(uri: str) -> tuple[str, str, list[str]]:
    parts = urlsplit(uri)
    netloc = parts.netloc.lower()
    if parts.scheme.lower() == "file" and netloc == "localhost":
        netloc = ""
    return parts.scheme.lower(), netloc, [part for part in parts.path.split("/") if part]


def _inside(decoded: str, root: str) -> bool:
    """Whether the (decoded, already vetted) URI lies inside ``root``."""
    if uris.scheme_of(root) == "":
        root = uris.path_to_file_uri(root)
    root = _decoded(root)
    scheme, netloc, parts = _split(decoded)
    root_scheme, root_netloc, root_parts = _split(root)
    if (scheme, netloc) != (root_scheme, root_netloc) or parts[:len(root_parts)] != root_parts:
        return False
    if scheme != "file":
        return True
    if not root_parts:
        return False  # the filesystem root is no artifact root
    # Symbolic links inside the root must not lead out of it.
    real_root = os.path.realpath("/" + "/".join(root_parts))
    real = os.path.realpath("/" + "/".join(parts))
    return real == real_root or real.startswith(real_root.rstrip("/") + "/")


def _from_registry(tx: Tx, source: str, rest: str, run_id: str | None,
                   model_id: str | None) -> ResolvedSource:
    name, at, alias = rest.partition("@")
    if not at:
        name, _, selector = rest.rpartition("/")
    if not name:
        raise _refuse(source, "expected models:/<model_id>, models:/<name>/<version> or models:/<name>@<alias>")
    key = model_key_of(tx, name)
    if key is None:
        raise _refuse(source, f"Registered Model with name={name} not found")
    if at:
        found = tx.query(sa.select(RMA.c.version).where(RMA.c.model_key == key, RMA.c.alias == alias))
        version = found[0][0] if found else None
    elif selector.isdigit():
        version = int(selector)
    else:
        stages = None if selector.lower() == "latest" else [ModelVersionStage.canonical(selector)]
        latest = latest_version_rows(tx, [key], stages)
        version = max((row[2] for row in latest), default=None)
    rows = [] if version is None else tx.query(sa.select(MV.c.storage_location, MV.c.run_id, MV.c.model_id).where(
        MV.c.model_key == key, MV.c.version == version))
    if not rows:
        raise _refuse(source, "it names no existing model version")
    location, version_run, version_model = rows[0]
    if run_id is not None and run_id != version_run:
        raise _refuse(source, f"run_id {run_id!r} is not the run of the version it names ({version_run!r})")
    return ResolvedSource(f"models:/{name}/{version}", location, version_run, model_id or version_model)


def _from_models(tx: Tx, source: str, decoded: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    if not decoded.startswith("models:/") or decoded.startswith("models://"):
        raise _refuse(source, "registered model sources must use this registry (models:/..., no host)")
    rest = decoded[len("models:/"):].strip("/")
    if "/" in rest or "@" in rest:
        return _from_registry(tx, source, rest, run_id, model_id)
    if model_id is not None and model_id != rest:
        raise _refuse(source, f"model_id {model_id!r} does not match the model the source names ({rest!r})")
    found = _logged_model(tx, rest)
    if found is None:
        raise _refuse(source, f"no logged model with ID '{rest}' exists")
    return ResolvedSource(source, found[0], run_id or found[1], rest)


def _from_runs(tx: Tx, source: str, decoded: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
    if not decoded.startswith("runs:/") or decoded.startswith("runs://"):
        raise _refuse(source, "expected runs:/<run_id>/<path>")
    source_run, *path = _segments(decoded[len("runs:/"):], source) or [""]
    if not source_run:
        raise _refuse(source, "expected runs:/<run_id>/<path>")
    if run_id is not None and run_id != source_run:
        raise _refuse(source, f"run_id {run_id!r} does not match the run the source names ({source_run!r})")
    artifact_uri = _run_artifact_uri(tx, source_run)
    if artifact_uri is None:
        raise _refuse(source, f"Run with id={source_run} not found")
    if path:
        # MLflow 3 keeps a logged model's files under the model, not the run: runs:/<run>/<name>
        # means the model named <name> that the run produced, when there is one.
        rows = tx.query(sa.select(LM.c.model_id, LM.c.artifact_location).where(
            LM.c.source_run_id == source_run, LM.c.name == path[0], LM.c.lifecycle_stage == LifecycleStage.ACTIVE,
        ).order_by(LM.c.creation_timestamp.desc()).limit(1))
        if rows:
            return ResolvedSource(source, uris.append_to_uri_path(rows[0][1], *path[1:]), source_run,
                                  model_id or rows[0][0])
    return ResolvedSource(source, uris.append_to_uri_path(artifact_uri, *path), source_run, model_id)


def _known_roots(tx: Tx, run_id: str | None, model_id: str | None, default_root: str | None) -> list[str]:
    roots = [default_root] if default_root else []
    if run_id is not None:
        roots.append(_run_artifact_uri(tx, run_id) or "")
    if model_id is not None:
        found = _logged_model(tx, model_id)
        roots.append(found[0] if found else "")
    return [root for root in roots if root]


def resolve_source(tx: Tx, source: Any, run_id: str | None, model_id: str | None,
                   default_root: str | None) -> ResolvedSource:
    """Check ``source`` and work out where the version downloads from (see the module docstring)."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidParameterValue("Missing value for required parameter 'source'.")
    checked_text(source, MAX_SOURCE_LENGTH, "source")
    decoded = _decoded(source)
    if any(ord(char) < 32 or ord(char) == 127 for char in decoded) or "\\" in decoded:
        raise _refuse(source, "control characters and backslashes are not allowed")
    scheme = uris.scheme_of(decoded)
    if scheme == "models":
        return _from_models(tx, source, decoded, run_id, model_id)
    if scheme == "runs":
        return _from_runs(tx, source, decoded, run_id, model_id)
    if scheme == "":
        raise _refuse(source, "local paths are not accepted; register from runs:/<run_id>/<path>, "
                              "models:/<model_id> or an artifact URI inside a known artifact root")
    parts = urlsplit(decoded)
    if parts.query or parts.fragment or ";" in parts.path:
        raise _refuse(source, "queries, fragments and ';' parameters are not allowed")
    _segments(parts.path, source)
    if not any(_inside(decoded, root) for root in _known_roots(tx, run_id, model_id, default_root)):
        raise _refuse(source, "it lies outside every artifact root this registry knows (the run's, the "
                              "logged model's, the default artifact root)")
    return ResolvedSource(source, source, run_id, model_id)

