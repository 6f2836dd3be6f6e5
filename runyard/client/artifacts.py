"""Run artifacts: where a run's files live, and ``runs:/`` / file URI resolution.

``RunArtifacts`` is the artifact half of ``RunyardClient``; the module functions serve the
``runyard.artifacts`` facade, which names artifacts by URI rather than by run.
"""

from __future__ import annotations

import os
import posixpath
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from runyard import artifact_content, uris
from runyard.client.tracking_uri import resolve_tracking_uri
from runyard.entities import FileInfo, RunTag
from runyard.errors import InvalidParameterValue
from runyard.stores.artifact_store import ArtifactStore
from runyard.stores.factory import artifact_store_for, tracking_store_for
from runyard.stores.tracking import TrackingStore

_IMAGE_KEY_RE = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")
_ROOT_CACHE_LIMIT = 4096


class RunArtifacts:
    """Artifact methods of the client; relies on ``self._store`` (a TrackingStore)."""

    _store: TrackingStore
    _artifact_roots: dict[str, str]
    _tracking_uri: str

    def _run_artifact_root(self, run_id: str) -> str:
        root = self._artifact_roots.get(run_id)
        if root is None:
            # A run's artifact URI never changes, so one lookup per run is enough.
            root = self._store.get_run(run_id).info.artifact_uri
            if len(self._artifact_roots) >= _ROOT_CACHE_LIMIT:
                self._artifact_roots.clear()
            self._artifact_roots[run_id] = root
        return root

    def _artifact_store(self, run_id: str) -> ArtifactStore:
        return artifact_store_for(self._run_artifact_root(run_id), self._tracking_uri)

    @contextmanager
    def _staged_file(self, run_id: str, artifact_file: str) -> Iterator[str]:
        """A temporary local path that is uploaded to ``artifact_file`` when the block ends."""
        if not isinstance(artifact_file, str) or not artifact_file.strip("/"):
            raise InvalidParameterValue(f"Invalid artifact_file {artifact_file!r}: a file name is required")
        norm = posixpath.normpath(artifact_file)
        directory = posixpath.dirname(norm) or None
        import tempfile  # noqa: PLC0415 - kept off `import runyard`'s path

        with tempfile.TemporaryDirectory(prefix="runyard-") as tmp:
            local = os.path.join(tmp, posixpath.basename(norm))
            yield local
            self._artifact_store(run_id).log_artifact(local, directory)

    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Upload one local file (or a directory's contents) into the run's artifacts."""
        path = os.fspath(local_path)
        store = self._artifact_store(run_id)
        if os.path.isdir(path):
            store.log_artifacts(path, posixpath.join(artifact_path or "", os.path.basename(os.path.abspath(path))))
        else:
            store.log_artifact(path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Upload the contents of a local directory into the run's artifacts."""
        self._artifact_store(run_id).log_artifacts(os.fspath(local_dir), artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save ``text`` as the artifact ``artifact_file``."""
        with self._staged_file(run_id, artifact_file) as local:
            artifact_content.write_text(text, local)

    def log_dict(self, run_id: str, dictionary: dict[str, Any], artifact_file: str) -> None:
        """Save a dict as JSON (or YAML for .yaml/.yml files) at ``artifact_file``."""
        with self._staged_file(run_id, artifact_file) as local:
            artifact_content.write_dict(dictionary, local)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str, *,
                   save_kwargs: dict[str, Any] | None = None) -> None:
        """Save a matplotlib or plotly figure at ``artifact_file``."""
        with self._staged_file(run_id, artifact_file) as local:
            if save_kwargs and hasattr(figure, "savefig"):
                figure.savefig(local, **save_kwargs)  # matplotlib options such as dpi or bbox_inches
            else:
                artifact_content.write_figure(figure, local)

    def log_image(self, run_id: str, image: Any, artifact_file: str | None = None, key: str | None = None,
                  step: int | None = None, timestamp: int | None = None, synchronous: bool | None = None) -> None:
        """Save a numpy array or PIL image, either at ``artifact_file`` or as step ``step`` of ``key``."""
        if artifact_file is not None and any(a is not None for a in (key, step, timestamp)):
            raise TypeError("log_image takes either `artifact_file` or `key` (with optional `step` and "
                            "`timestamp`), not both")
        if artifact_file is None and key is None:
            raise TypeError("log_image needs one of `artifact_file` (a static image) or `key` (an image series)")
        if artifact_file is None:
            if not _IMAGE_KEY_RE.match(key or ""):
                raise ValueError(f"Invalid image key {key!r}: use alphanumerics, '_', '-', '.', ' ' and '/'")
            # MLflow's naming, so that its UI and ours find the series.
            artifact_file = (f"images/{key.replace('/', '~')}+step+{step or 0}"  # type: ignore[union-attr]
                             f"+timestamp+{timestamp or int(time.time() * 1000)}+{os.urandom(16).hex()}.png")
            self._store.set_tag(run_id, RunTag("mlflow.loggedImages", "True"))
        with self._staged_file(run_id, artifact_file) as local:
            artifact_content.write_image(image, local)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` in the run's artifacts (run-relative paths)."""
        return self._artifact_store(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy a run artifact (file or directory) to ``dst_path``; returns the local path."""
        if dst_path is not None:
            os.makedirs(dst_path, exist_ok=True)
        return self._artifact_store(run_id).download_artifacts(path or "", dst_path)


def resolve_artifact_location(run_root: Callable[[str], str], artifact_uri: str | None = None,
                              run_id: str | None = None, artifact_path: str | None = None) -> tuple[str, str]:
    """(root URI, path below it) for an artifact named by URI or by run id and path.

    ``run_root`` maps a run id to its artifact URI. ``runs:/<id>/<path>`` URIs resolve through it;
    other URIs are split into their parent and last segment.
    """
    if (artifact_uri is None) == (run_id is None):
        raise InvalidParameterValue("Specify exactly one of `artifact_uri` or `run_id`")
    if artifact_uri is not None and artifact_path is not None:
        raise InvalidParameterValue("`artifact_path` goes with `run_id`; put the path in `artifact_uri` instead")
    if run_id is not None:
        return run_root(run_id), (artifact_path or "").strip("/")
    assert artifact_uri is not None
    if uris.scheme_of(artifact_uri) == "runs":
        rid, rel = uris.parse_runs_uri(artifact_uri)
        return run_root(rid), "" if rel == "." else rel
    trimmed = artifact_uri.rstrip("/")
    parent, leaf = posixpath.split(trimmed)
    if not leaf or not parent or parent.endswith(":"):
        return trimmed, ""
    return parent, leaf


def _run_root_from_default_store(run_id: str) -> str:
    return tracking_store_for(resolve_tracking_uri()).get_run(run_id).info.artifact_uri


def _download(root: str, rel: str, dst_path: str | None) -> str:
    if dst_path is not None:
        os.makedirs(dst_path, exist_ok=True)
    return artifact_store_for(root, resolve_tracking_uri()).download_artifacts(rel, dst_path)


def download_artifacts(artifact_uri: str | None = None, run_id: str | None = None,
                       artifact_path: str | None = None, dst_path: str | None = None) -> str:
    """Copy an artifact file or directory, named by URI or by run id and path, to a local path.

    ``artifact_uri`` may be ``runs:/<run_id>/<path>``, a ``file://`` URI or a local path; runs
    are looked up in the current tracking store. Returns the local path of the copy.
    """
    root, rel = resolve_artifact_location(_run_root_from_default_store, artifact_uri, run_id, artifact_path)
    return _download(root, rel, dst_path)


def list_artifacts(artifact_uri: str | None = None, run_id: str | None = None,
                   artifact_path: str | None = None) -> list[FileInfo]:
    """Direct children of an artifact directory named by URI or by run id and path."""
    if artifact_uri is not None and uris.scheme_of(artifact_uri) != "runs":
        return artifact_store_for(artifact_uri, resolve_tracking_uri()).list_artifacts(None)
    root, rel = resolve_artifact_location(_run_root_from_default_store, artifact_uri, run_id, artifact_path)
    return artifact_store_for(root, resolve_tracking_uri()).list_artifacts(rel or None)


def load_artifact(artifact_uri: str, reader: Callable[[str], Any]) -> Any:
    """Download one artifact file to a temporary place and parse it with ``reader``."""
    import tempfile  # noqa: PLC0415 - kept off `import runyard`'s path

    root, rel = resolve_artifact_location(_run_root_from_default_store, artifact_uri)
    with tempfile.TemporaryDirectory(prefix="runyard-") as tmp:
        return reader(_download(root, rel, tmp))


def load_text(artifact_uri: str) -> str:
    """The content of a text artifact."""
    return load_artifact(artifact_uri, artifact_content.read_text)


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """A JSON or YAML artifact as a dict."""
    return load_artifact(artifact_uri, artifact_content.read_dict)


def load_image(artifact_uri: str) -> Any:
    """An image artifact as a PIL image."""
    def read_fully(path: str) -> Any:
        image = artifact_content.read_image(path)
        if hasattr(image, "load"):
            image.load()  # PIL reads lazily; the temporary file is gone after this call
        return image

    return load_artifact(artifact_uri, read_fully)
